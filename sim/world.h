/* world.h: one simulated run.
 *
 * A SimWorld owns everything of one run: the nodes' flat states, the virtual
 * clock, the event queue, every Pcg32 stream, the network and its in-flight
 * messages, the faults, the clients, the trace and the history.  Several
 * worlds can exist side by side in one process; nothing is global.
 *
 * Events are ordered by (virtual time, insertion sequence): ties never depend
 * on pointers or hash order, so the same config and seed always give the same
 * run, byte for byte.
 *
 * One function applies one choice to a world (sim_world_apply): deliver a
 * message, fire a node's timeout, inject a fault, start a client operation.
 * sim_world_step picks the next choice by time and rng; an explorer or fuzzer
 * can enumerate or dictate choices instead and replay them. */
#pragma once

#include <stdio.h>

#include "checkers/history.h"
#include "sim/config.h"

typedef struct SimWorld SimWorld;

typedef struct {
  int64_t now_us;           /* virtual time of the last applied event */
  uint64_t events;          /* events applied */
  uint64_t msgs_sent;
  uint64_t msgs_delivered;
  uint64_t msgs_dropped;    /* lost to drop probability or partitions */
  uint64_t msgs_duplicated;
  uint64_t ops_invoked;
  uint64_t ops_ok;
  uint64_t ops_fail;
  uint64_t ops_info;        /* timed out or still open at the end */
  uint64_t retries;
  uint64_t crashes, restarts;
} SimStats;

/* Builds a world from cfg (copied) with run seed `seed`.  Nodes get
 * PROTO_EV_START at time 0. */
SimWorld *sim_world_new (const SimConfig *cfg, uint64_t seed);
void sim_world_free (SimWorld *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimWorld, sim_world_free)

/* Streams the trace (JSON Lines, sim/trace.h) to out as the run goes; NULL
 * (the default) writes none.  Set before the first step. */
void sim_world_set_trace_output (SimWorld *w, FILE *out);

/* Applies the next event.  FALSE when the run is over: the duration was
 * reached, nothing is left to do, or an invariant broke. */
gboolean sim_world_step (SimWorld *w);
/* Steps until the run is over.  Open client operations are then recorded as
 * info at the final time. */
void sim_world_run (SimWorld *w);

const SimStats *sim_world_stats (const SimWorld *w);
const SimConfig *sim_world_config (const SimWorld *w);
uint64_t sim_world_seed (const SimWorld *w);
const ChkHistory *sim_world_history (const SimWorld *w);

/* NULL while every invariant holds; otherwise the protocol's explanation
 * (invariant name, nodes involved), then the last trace lines. */
const char *sim_world_invariant_failure (const SimWorld *w);

/* Coverage marks reached so far: names in first-reached order, with counts. */
guint sim_world_n_marks (const SimWorld *w);
const char *sim_world_mark (const SimWorld *w, guint i, uint64_t *count);
gboolean sim_world_reached (const SimWorld *w, const char *mark);

/* Read-only access to node state (for tests, explorers, format_state). */
const void *sim_world_node_state (const SimWorld *w, int node);
gboolean sim_world_node_is_up (const SimWorld *w, int node);
