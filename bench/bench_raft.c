/* bench_raft.c: Raft in the simulated world on a healthy network.
 *
 *   bench_raft [NODES [CLIENTS [SECONDS [THINK_US]]]]
 *
 * NODES Raft nodes (default 5) and CLIENTS clients (default 10) run a
 * read/write/cas workload over a lossless network (latency 1-5ms) for
 * SECONDS of virtual time (default 60), each client pausing THINK_US
 * microseconds between operations (default 1000).  Invariants are checked
 * after every step, as in every run; no trace is written.  Prints delivered
 * messages per wall second, client operations per wall second and the ratio
 * of simulated to wall time (and the same per CPU second, which a loaded
 * machine does not distort).  The wall clock is read only here, outside the
 * world. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/world.h"

static double
wall_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts); /* dsim-allow-nondeterminism: benchmark timing */
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static double
cpu_seconds (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec * 1e-6
         + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec * 1e-6;
}

int
main (int argc, char **argv)
{
  int nodes = argc > 1 ? atoi (argv[1]) : 5;
  int clients = argc > 2 ? atoi (argv[2]) : 10;
  double seconds = argc > 3 ? atof (argv[3]) : 60.0;
  int64_t think_us = argc > 4 ? atoll (argv[4]) : 1000;
  const ProtoVTable *vt = proto_find ("raft");
  if (vt == NULL || nodes < 1 || nodes > PROTO_MAX_NODES || clients < 1
      || clients > SIM_MAX_CLIENTS || seconds <= 0 || think_us < 0) {
    fprintf (stderr, "usage: bench_raft [NODES (1-16) [CLIENTS (1-128) [SECONDS [THINK_US]]]]\n");
    return 2;
  }
  g_autoptr (SimConfig) cfg = sim_config_new (vt);
  cfg->n_nodes = nodes;
  cfg->duration_us = (int64_t) (seconds * 1e6);
  SimWorkloadConfig *w = &cfg->workload;
  w->n_clients = clients;
  w->n_keys = 5;
  w->mix[PROTO_OP_READ] = 2;
  w->mix[PROTO_OP_WRITE] = 2;
  w->mix[PROTO_OP_CAS] = 1;
  w->think_us = think_us;

  double cpu0 = cpu_seconds ();
  double t0 = wall_seconds ();
  g_autoptr (SimWorld) world = sim_world_new (cfg, 1);
  sim_world_run (world);
  double wall = wall_seconds () - t0;
  double cpu = cpu_seconds () - cpu0;

  const SimStats *s = sim_world_stats (world);
  const char *failure = sim_world_invariant_failure (world);
  double virt = (double) s->now_us / 1e6;
  uint64_t ops = s->ops_ok + s->ops_fail;
  printf ("raft nodes=%d clients=%d virtual=%.0fs delivered=%" G_GUINT64_FORMAT
          " ops=%" G_GUINT64_FORMAT " wall=%.2fs cpu=%.2fs\n", nodes, clients, virt,
          s->msgs_delivered, ops, wall, cpu);
  printf ("  delivered messages per wall second  %12.0f  (per cpu second %.0f)\n",
          (double) s->msgs_delivered / wall, (double) s->msgs_delivered / cpu);
  printf ("  client operations per wall second   %12.0f  (per cpu second %.0f)\n",
          (double) ops / wall, (double) ops / cpu);
  printf ("  simulated / wall time               %12.1f\n", virt / wall);
  if (failure != NULL) {
    printf ("  invariant broken: %s\n", failure);
    return 1;
  }
  return 0;
}
