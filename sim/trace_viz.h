/* trace_viz.h: a trace file (JSON Lines, sim/trace.h) read into viz's model
 * (viz/model.h), for diagrams and the ShiViz export.
 *
 * The trace must start with its meta line and list events in the order they
 * happened (time never goes back).  Every recv and drop names a message sent
 * earlier; a dup line makes a second delivery of its dup_of message, drawn
 * from the original send.  Role annotations come from the "state" field.
 * Fields the reader does not know are ignored.  Lamport times are computed
 * (viz_model_compute_clocks) before the model is returned.
 *
 * Bad input: NULL and an error "FILE:LINE: what was expected", in the
 * SIM_TRACE_ERROR domain. */
#pragma once

#include "viz/model.h"

#define SIM_TRACE_ERROR (sim_trace_error_quark ())
GQuark sim_trace_error_quark (void);
typedef enum {
  SIM_TRACE_ERROR_IO,
  SIM_TRACE_ERROR_PARSE,
  SIM_TRACE_ERROR_LIMIT, /* the memory cap of sim_trace_viz_load_limited */
} SimTraceError;

/* Limits, each a clear error (exit 2 from the command line) when passed:
 * a trace file must be a regular file of at most SIM_TRACE_MAX_BYTES; a
 * line may nest arrays and objects SIM_TRACE_MAX_DEPTH deep (checked before
 * the JSON parser sees it); the meta line may list SIM_TRACE_MAX_PROCESSES
 * nodes and clients in all. */
#define SIM_TRACE_MAX_BYTES ((gsize) 1 << 30)
#define SIM_TRACE_MAX_DEPTH 32
#define SIM_TRACE_MAX_PROCESSES 4096

VizModel *sim_trace_viz_load (const char *path, GError **error);
/* The same under a memory cap (0: none): the text read and what each line
 * can add to the model, counted from above (so the same file stops at the
 * same line on every machine), past max_bytes end the reading with
 * SIM_TRACE_ERROR_LIMIT, "FILE:LINE: reading the trace reached the memory
 * limit of N bytes"; a file larger than the cap is not read. */
VizModel *sim_trace_viz_load_limited (const char *path, gsize max_bytes, GError **error);
/* The same from memory; name is used in messages. */
VizModel *sim_trace_viz_load_data (const char *name, const char *data, gsize len,
                                   GError **error);
