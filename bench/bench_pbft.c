/* bench_pbft.c: the price of Byzantine tolerance: messages and bytes per
 * committed client operation.
 *
 *   bench_pbft PROTOCOL NODES [SECONDS]
 *
 * Runs PROTOCOL (pbft, raft, or any registered protocol) with NODES nodes,
 * 4 clients doing read/write/cas on 4 keys with 5ms think time over a
 * lossless network (latency 1-5ms) for SECONDS virtual seconds (default
 * 10), seed 1, and prints one row: protocol, nodes, operations completed,
 * messages and bytes sent per completed operation.  Deterministic: no clock
 * is read. */
#include <stdio.h>
#include <stdlib.h>

#include "sim/world.h"

int
main (int argc, char **argv)
{
  const ProtoVTable *vt = argc > 2 ? proto_find (argv[1]) : NULL;
  int nodes = argc > 2 ? atoi (argv[2]) : 0;
  double seconds = argc > 3 ? atof (argv[3]) : 10.0;
  if (vt == NULL || nodes < vt->min_nodes || nodes > vt->max_nodes || seconds <= 0) {
    fprintf (stderr, "usage: bench_pbft PROTOCOL NODES [SECONDS]\n");
    return 2;
  }
  g_autoptr (SimConfig) cfg = sim_config_new (vt);
  cfg->n_nodes = nodes;
  cfg->duration_us = (int64_t) (seconds * 1e6);
  SimWorkloadConfig *w = &cfg->workload;
  w->n_clients = 4;
  w->n_keys = 4;
  w->mix[PROTO_OP_READ] = 2;
  w->mix[PROTO_OP_WRITE] = 1;
  w->mix[PROTO_OP_CAS] = 1;
  w->think_us = 5000;
  g_autoptr (SimWorld) world = sim_world_new (cfg, 1);
  sim_world_run (world);
  const SimStats *s = sim_world_stats (world);
  uint64_t done = s->ops_ok + s->ops_fail;
  if (sim_world_invariant_failure (world) != NULL || done == 0) {
    fprintf (stderr, "bench_pbft: %s\n", done == 0 ? "no operation completed"
                                                   : sim_world_invariant_failure (world));
    return 1;
  }
  printf ("| %-8s | %5d | %8" G_GUINT64_FORMAT " | %10.1f | %12.0f |\n", vt->name, nodes, done,
          (double) s->msgs_sent / (double) done, (double) s->bytes_sent / (double) done);
  return 0;
}
