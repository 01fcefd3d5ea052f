/* bench_consensus.c: Raft and Multi-Paxos side by side in the simulated
 * world, on the same workload and network.
 *
 *   bench_consensus PROTOCOL NODES [SECONDS]
 *
 * PROTOCOL is raft or paxos (Multi-Paxos, reads through the log; Raft with
 * its default ReadIndex reads).  Ten clients run a read/write/cas workload
 * (2:2:1 on five keys, 1ms think time) over a lossless network (latency
 * 1-5ms) for SECONDS of virtual time (default 60), with every invariant
 * checked after every step.  Prints one line:
 *
 *   PROTOCOL NODES msgs/op LAT_MEDIAN_MS LAT_P99_MS LEADERLESS_MEDIAN_MS
 *   LEADERLESS_MAX_MS DELIVERED_PER_WALL_S DELIVERED_PER_CPU_S
 *
 * msgs/op: delivered messages (clients' included) per completed operation;
 * latency: virtual time from invocation to completion of the completed
 * operations; leaderless: over 50 seeds, the leader is crashed at 2s and
 * the time until another node leads (and, for Paxos, has started phase 2)
 * is measured.  The wall clock is read only here, outside the worlds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "protocols/paxos/paxos.h"
#include "protocols/raft/raft.h"
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

static int
cmp_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

static int64_t
percentile (GArray *v, double p)
{
  if (v->len == 0)
    return 0;
  g_array_sort (v, cmp_i64);
  guint i = (guint) (p * (double) (v->len - 1) + 0.5);
  return g_array_index (v, int64_t, i);
}

/* The node that leads now (the highest term or ballot), or -1. */
static int
leader_of (const SimWorld *w, gboolean is_paxos, int n_nodes)
{
  int leader = -1;
  uint64_t best = 0;
  for (int i = 0; i < n_nodes; i++) {
    if (!sim_world_node_is_up (w, i))
      continue;
    const void *s = sim_world_node_state (w, i);
    if (is_paxos) {
      const PaxosNode *p = s;
      if (p->role == PAXOS_LEADER && p->is_phase2_started && p->ballot >= best) {
        leader = i;
        best = p->ballot;
      }
    } else {
      const RaftNode *r = s;
      if (r->role == RAFT_LEADER && r->persist.current_term >= best) {
        leader = i;
        best = r->persist.current_term;
      }
    }
  }
  return leader;
}

/* Crashes the leader at 2s; the virtual time until another node leads. */
static int64_t
leaderless_us (const SimConfig *cfg, uint64_t seed, gboolean is_paxos)
{
  g_autoptr (SimWorld) w = sim_world_new (cfg, seed);
  while (sim_world_stats (w)->now_us < 2000000 && sim_world_step (w))
    ;
  int old = leader_of (w, is_paxos, cfg->n_nodes);
  if (old < 0)
    return -1;
  SimFault f;
  memset (&f, 0, sizeof f);
  f.kind = SIM_FAULT_CRASH;
  f.node = old;
  f.at_us = sim_world_stats (w)->now_us;
  SimChoice c = { .kind = SIM_CHOICE_INJECT, .endpoint = old, .fault = &f };
  if (!sim_world_apply (w, &c))
    return -1;
  int64_t t0 = sim_world_stats (w)->now_us;
  while (sim_world_step (w)) {
    int now = leader_of (w, is_paxos, cfg->n_nodes);
    if (now >= 0 && now != old)
      return sim_world_stats (w)->now_us - t0;
  }
  return -1;
}

int
main (int argc, char **argv)
{
  const char *name = argc > 1 ? argv[1] : "paxos";
  int nodes = argc > 2 ? atoi (argv[2]) : 3;
  double seconds = argc > 3 ? atof (argv[3]) : 60.0;
  const ProtoVTable *vt = proto_find (name);
  gboolean is_paxos = vt != NULL && strcmp (name, "paxos") == 0;
  if (vt == NULL || (!is_paxos && strcmp (name, "raft") != 0) || nodes < 1
      || nodes > PROTO_MAX_NODES || seconds <= 0) {
    fprintf (stderr, "usage: bench_consensus raft|paxos NODES (1-16) [SECONDS]\n");
    return 2;
  }
  g_autoptr (SimConfig) cfg = sim_config_new (vt);
  cfg->n_nodes = nodes;
  cfg->duration_us = (int64_t) (seconds * 1e6);
  SimWorkloadConfig *wl = &cfg->workload;
  wl->n_clients = 10;
  wl->n_keys = 5;
  wl->mix[PROTO_OP_READ] = 2;
  wl->mix[PROTO_OP_WRITE] = 2;
  wl->mix[PROTO_OP_CAS] = 1;
  wl->think_us = 1000;

  double cpu0 = cpu_seconds ();
  double t0 = wall_seconds ();
  g_autoptr (SimWorld) world = sim_world_new (cfg, 1);
  sim_world_run (world);
  double wall = wall_seconds () - t0;
  double cpu = cpu_seconds () - cpu0;
  const SimStats *s = sim_world_stats (world);
  if (sim_world_invariant_failure (world) != NULL) {
    fprintf (stderr, "invariant broken: %s\n", sim_world_invariant_failure (world));
    return 1;
  }
  uint64_t ops = s->ops_ok + s->ops_fail;

  /* Latency of every completed operation, from the history. */
  const ChkHistory *h = sim_world_history (world);
  g_autoptr (GHashTable) invoked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                          g_free);
  g_autoptr (GArray) lat = g_array_new (FALSE, FALSE, sizeof (int64_t));
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent e_ev = chk_history_event (h, i);
    const ChkEvent *e = &e_ev;
    if (e->type == CHK_INVOKE) {
      int64_t *k = g_new (int64_t, 1), *t = g_new (int64_t, 1);
      *k = e->process;
      *t = e->time_us;
      g_hash_table_replace (invoked, k, t);
    } else if (e->type == CHK_OK || e->type == CHK_FAIL) {
      const int64_t *t = g_hash_table_lookup (invoked, &e->process);
      if (t != NULL) {
        int64_t d = e->time_us - *t;
        g_array_append_val (lat, d);
      }
    }
  }

  /* Time without a leader after the leader crashes, over 50 seeds. */
  g_autoptr (SimConfig) crash_cfg = sim_config_copy (cfg);
  crash_cfg->duration_us = 8 * G_USEC_PER_SEC;
  g_autoptr (GArray) gaps = g_array_new (FALSE, FALSE, sizeof (int64_t));
  for (uint64_t seed = 1; seed <= 50; seed++) {
    int64_t d = leaderless_us (crash_cfg, seed, is_paxos);
    if (d >= 0)
      g_array_append_val (gaps, d);
  }
  int64_t gap_max = 0;
  for (guint i = 0; i < gaps->len; i++)
    gap_max = MAX (gap_max, g_array_index (gaps, int64_t, i));

  printf ("%-6s %5d  %7.2f  %8.2f  %8.2f  %10.1f  %10.1f  %9.0f  %9.0f\n", name, nodes,
          ops > 0 ? (double) s->msgs_delivered / (double) ops : 0.0,
          (double) percentile (lat, 0.5) / 1000.0, (double) percentile (lat, 0.99) / 1000.0,
          (double) percentile (gaps, 0.5) / 1000.0, (double) gap_max / 1000.0,
          (double) s->msgs_delivered / wall, (double) s->msgs_delivered / cpu);
  return 0;
}
