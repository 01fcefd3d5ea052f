/* scenario.h: scenario files (.scn) in, SimConfig out.
 *
 * A scenario is a GLib key file.  Sections (README, "Scenario files", lists
 * every key with its default and unit):
 *   [scenario]      name, description, seed, duration, expect
 *   [cluster]       protocol (required), nodes
 *   [<protocol>]    the protocol's knobs (`dsim list`), e.g. [pb]
 *   [network]       latency, distribution, drop, duplicate, reorder, bandwidth
 *   [link A->B]     per-link overrides of [network] keys ("A<->B": both ways,
 *                   "*" any endpoint)
 *   [workload]      clients, ops, keys, mix, rate or think, timeouts, retries,
 *                   backoff, idempotency
 *   [faults]        "at 1s = partition n1 | n2 n3; crash n4" schedule entries
 *                   and random.* rates for fuzzing
 *   [check]         models
 *
 * Bad input is never a crash: the error (SIM_SCENARIO_ERROR) always starts
 * with "FILE:LINE: " and, when one key is at fault, "[section] key: ", then
 * says what was expected and what was found:
 *   scenarios/x.scn:7: [network] drop: expected a probability between 0 and 1, got '1.5'
 * Unknown sections and keys are errors, with the closest known name
 * suggested. */
#pragma once

#include "sim/config.h"

#define SIM_SCENARIO_ERROR (sim_scenario_error_quark ())
GQuark sim_scenario_error_quark (void);
typedef enum {
  SIM_SCENARIO_ERROR_IO,    /* the file cannot be read */
  SIM_SCENARIO_ERROR_PARSE, /* the file is not a valid scenario */
} SimScenarioError;

/* A scenario file must be a regular file (not a FIFO or a device) of at
 * most this many bytes; parsing takes time linear in its size. */
#define SIM_SCENARIO_MAX_BYTES ((gsize) 16 << 20)

/* Reads and parses the scenario at path.  (transfer full) */
SimConfig *sim_scenario_load (const char *path, GError **error);
/* Reads a scenario file's text as sim_scenario_load does: a regular file
 * of at most SIM_SCENARIO_MAX_BYTES, else "PATH: cannot read the scenario:
 * why" (for callers that keep the text, such as dsim fuzz and explore). */
gboolean sim_scenario_read (const char *path, char **text, gsize *len, GError **error);
/* Parses len bytes of text (need not be NUL-terminated; may contain any
 * bytes); `name` stands for the file name in messages and cfg->path. */
SimConfig *sim_scenario_load_data (const char *name, const char *text, gsize len,
                                   GError **error);

/* Writes cfg's expectation as a scenario file spells it: "pass",
 * "violation linearizable", "violation" or "any". */
void sim_scenario_format_expect (const SimConfig *cfg, GString *out);
