/* bench_engine.c: simulated events per wall-clock second and peak memory.
 *
 *   bench_engine null [NODES [TOKENS [SECONDS [trace]]]]
 *   bench_engine PROTOCOL [NODES [CLIENTS [SECONDS [trace]]]]
 *
 * The null workload passes TOKENS tokens per node around a ring over a
 * lossless network, without a trace: it measures the engine itself (queue,
 * network, stepping).  For another protocol, CLIENTS clients run the default
 * workload against it.  With `trace`, the trace is formatted and written to
 * /dev/null (the cost of `dsim run --out`).  The wall clock is read only here, outside the world. */
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

int
main (int argc, char **argv)
{
  const char *name = argc > 1 ? argv[1] : "null";
  const ProtoVTable *vt = proto_find (name);
  if (vt == NULL) {
    fprintf (stderr, "bench_engine: unknown protocol '%s'\n", name);
    return 2;
  }
  int nodes = argc > 2 ? atoi (argv[2]) : 5;
  long extra = argc > 3 ? atol (argv[3]) : (vt == proto_find ("null") ? 1000 : 10);
  double seconds = argc > 4 ? atof (argv[4]) : 20.0;
  gboolean with_trace = argc > 5 && g_strcmp0 (argv[5], "trace") == 0;

  g_autoptr (SimConfig) cfg = sim_config_new (vt);
  cfg->n_nodes = nodes;
  cfg->duration_us = (int64_t) (seconds * 1e6);
  if (vt == proto_find ("null")) {
    g_autofree char *tokens = g_strdup_printf ("%ld", extra);
    if (!proto_config_set (vt, cfg->proto_config, "tokens", tokens, NULL))
      return 2;
  } else {
    cfg->workload.n_clients = (int) extra;
    cfg->workload.n_keys = 5;
  }

  struct rusage ru0;
  getrusage (RUSAGE_SELF, &ru0);
  double cpu0 = (double) ru0.ru_utime.tv_sec + (double) ru0.ru_utime.tv_usec * 1e-6
                + (double) ru0.ru_stime.tv_sec + (double) ru0.ru_stime.tv_usec * 1e-6;
  double t0 = wall_seconds ();
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  FILE *devnull = with_trace ? fopen ("/dev/null", "w") : NULL;
  if (devnull != NULL)
    sim_world_set_trace_output (w, devnull);
  sim_world_run (w);
  if (devnull != NULL)
    fclose (devnull);
  double elapsed = wall_seconds () - t0;

  const SimStats *s = sim_world_stats (w);
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  /* CPU time too: on a loaded machine wall time also counts waiting. */
  double cpu = (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec * 1e-6
               + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec * 1e-6 - cpu0;
  printf ("%-16s%s nodes=%d %s=%ld virtual=%.1fs events=%" G_GUINT64_FORMAT
          " messages=%" G_GUINT64_FORMAT " ops=%" G_GUINT64_FORMAT
          " wall=%.3fs events/s=%.0f cpu=%.3fs events/cpu-s=%.0f peak_rss=%ldKiB\n",
          name, with_trace ? " +trace" : "", nodes, vt == proto_find ("null") ? "tokens" : "clients", extra,
          (double) s->now_us / 1e6, s->events, s->msgs_sent, s->ops_invoked, elapsed,
          (double) s->events / elapsed, cpu, (double) s->events / cpu, ru.ru_maxrss);
  return 0;
}
