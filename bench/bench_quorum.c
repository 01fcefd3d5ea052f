/* bench_quorum.c: leaderless quorum replication beside Raft, in the
 * simulated world on a healthy network.
 *
 *   bench_quorum [SECONDS]
 *
 * Five nodes, ten clients, half reads and half writes over five keys, a
 * lossless network (latency 1-5ms), SECONDS of virtual time (default 20),
 * 1ms think time.  Runs Raft (ReadIndex reads) and several quorum
 * configurations with the same workload, invariants checked after every
 * step, no trace, and prints for each: messages sent per client operation,
 * simulated events per wall second (and per CPU second), client operations
 * per wall second.  The wall clock is read only here, outside the worlds. */
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

typedef struct {
  const char *label;
  const char *protocol;
  const char *knobs[8]; /* key, value, ..., NULL */
} Setup;

static const Setup setups[] = {
  { "raft (read-index)", "raft", { NULL } },
  { "quorum lww n3 w2 r2", "quorum", { NULL } },
  { "quorum lww n3 w1 r1", "quorum", { "w", "1", "r", "1", NULL } },
  { "quorum lww + read repair", "quorum", { "read_repair", "true", NULL } },
  { "quorum vv n3 w2 r2", "quorum", { "conflict", "vv", NULL } },
  { "quorum abd n5", "quorum", { "mode", "abd", "n", "5", NULL } },
};

int
main (int argc, char **argv)
{
  double seconds = argc > 1 ? atof (argv[1]) : 20.0;
  if (seconds <= 0) {
    fprintf (stderr, "usage: bench_quorum [SECONDS]\n");
    return 2;
  }
  printf ("5 nodes, 10 clients, read:1 write:1 over 5 keys, %.0f virtual seconds\n", seconds);
  printf ("%-26s %10s %9s %12s %12s %10s\n", "setup", "ops", "msgs/op", "events/s",
          "events/cpu-s", "ops/s");
  int rc = 0;
  for (guint i = 0; i < G_N_ELEMENTS (setups); i++) {
    const Setup *s = &setups[i];
    const ProtoVTable *vt = proto_find (s->protocol);
    g_assert (vt != NULL);
    g_autoptr (SimConfig) cfg = sim_config_new (vt);
    for (int k = 0; s->knobs[k] != NULL; k += 2) {
      g_autoptr (GError) error = NULL;
      if (!proto_config_set (vt, cfg->proto_config, s->knobs[k], s->knobs[k + 1], &error))
        g_error ("%s", error->message);
    }
    cfg->n_nodes = 5;
    cfg->duration_us = (int64_t) (seconds * 1e6);
    SimWorkloadConfig *w = &cfg->workload;
    w->n_clients = 10;
    w->n_keys = 5;
    w->mix[PROTO_OP_READ] = 1;
    w->mix[PROTO_OP_WRITE] = 1;
    w->think_us = 1000;
    double cpu0 = cpu_seconds ();
    double t0 = wall_seconds ();
    g_autoptr (SimWorld) world = sim_world_new (cfg, 1);
    sim_world_run (world);
    double wall = wall_seconds () - t0;
    double cpu = cpu_seconds () - cpu0;
    const SimStats *st = sim_world_stats (world);
    uint64_t ops = st->ops_ok + st->ops_fail;
    printf ("%-26s %10" G_GUINT64_FORMAT " %9.2f %12.0f %12.0f %10.0f\n", s->label, ops,
            ops > 0 ? (double) st->msgs_sent / (double) ops : 0.0, (double) st->events / wall,
            (double) st->events / cpu, (double) ops / wall);
    const char *failure = sim_world_invariant_failure (world);
    if (failure != NULL) {
      printf ("  invariant broken: %s\n", failure);
      rc = 1;
    }
  }
  return rc;
}
