/* test_world_swarm.c: many seeds, each with its own random mix of network
 * and node faults (swarm testing), checking what must hold in every run:
 * every message is accounted for, the history pairs up, written values are
 * unique, virtual time never goes back, and a rerun gives the same run.
 *
 * The fast suite runs SWARM_SEEDS seeds (200), the slow suite 5000;
 * DSIM_SWARM_SEEDS overrides both. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "checkers/ops.h"
#include "protocols/pcg32.h"
#include "sim/world.h"

#ifndef SWARM_SEEDS
#define SWARM_SEEDS 200
#endif

/* Totals over all seeds: the swarm must really exercise what it checks. */
static SimStats totals;

/* An echo service: node i answers each client request with the value the
 * request carried; nodes also gossip on a timer so that the network is busy
 * between client operations. */
typedef struct {
  uint64_t handled;
  int64_t last;
} EchoNode;

typedef struct {
  uint32_t client, seq;
  int64_t value;
  uint32_t kind; /* 0 gossip, 1 request, 2 reply */
  uint32_t pad;  /* explicit: message bytes are hashed, so no hidden padding */
} EchoMsg;

typedef struct {
  ProtoOp op;
} EchoClient;

static void
echo_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  EchoNode *n = state;
  n->handled++;
  if (ev->kind == PROTO_EV_START || ev->kind == PROTO_EV_TIMEOUT) {
    EchoMsg g = { .kind = 0, .value = (int64_t) n->handled };
    proto_outbox_send (out, (ctx->self + 1) % ctx->n_nodes, &g, sizeof g);
    proto_outbox_set_deadline (out, ev->now_us + 7000);
  } else if (ev->kind == PROTO_EV_RECEIVE) {
    EchoMsg m;
    memcpy (&m, ev->msg, sizeof m);
    if (m.kind == 1) {
      m.kind = 2;
      n->last = m.value;
      proto_outbox_send (out, ev->from, &m, sizeof m);
    }
  }
}

static void
echo_client_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  EchoClient *c = state;
  if (ev->kind == PROTO_EV_INVOKE || ev->kind == PROTO_EV_RETRY) {
    c->op = *ev->op;
    EchoMsg m = { .kind = 1, .client = c->op.client, .seq = c->op.seq, .value = c->op.value };
    proto_outbox_send (out, (int) (c->op.seq % (uint32_t) ctx->n_nodes), &m, sizeof m);
  } else if (ev->kind == PROTO_EV_RECEIVE) {
    EchoMsg m;
    memcpy (&m, ev->msg, sizeof m);
    if (m.kind == 2 && m.seq == c->op.seq)
      proto_outbox_complete (out, m.value % 5 == 0 ? PROTO_RESULT_FAIL : PROTO_RESULT_OK,
                             c->op.f == PROTO_OP_READ, m.value);
  }
}

static const ProtoVTable echo_vt = {
  .name = "echo",
  .summary = "test protocol",
  .ops_supported = (1u << PROTO_OP_READ) | (1u << PROTO_OP_WRITE) | (1u << PROTO_OP_CAS)
                   | (1u << PROTO_OP_APPEND),
  .min_nodes = 1,
  .max_nodes = PROTO_MAX_NODES,
  .state_size = sizeof (EchoNode),
  .persist_offset = offsetof (EchoNode, last),
  .persist_size = sizeof (int64_t),
  .step = echo_step,
  .client_state_size = sizeof (EchoClient),
  .client_step = echo_client_step,
};

/* A random configuration for seed s (drawn from a stream of the test's own). */
static SimConfig *
swarm_config (uint64_t s)
{
  Pcg32 r;
  pcg32_seed (&r, s, 777);
  SimConfig *cfg = sim_config_new (&echo_vt);
  cfg->n_nodes = 1 + (int) pcg32_below (&r, 7);
  cfg->duration_us = 200000 + pcg32_range (&r, 0, 800000);
  SimLinkConfig *l = &cfg->net;
  l->dist = pcg32_below (&r, 2) ? SIM_LATENCY_LONGTAIL : SIM_LATENCY_UNIFORM;
  l->latency_min_us = pcg32_range (&r, 0, 2000);
  l->latency_max_us = l->latency_min_us + pcg32_range (&r, 0, 50000);
  l->latency_median_us = l->latency_min_us + pcg32_range (&r, 0, 3000);
  l->drop = pcg32_below (&r, 2) ? pcg32_double (&r) * 0.3 : 0;
  l->duplicate = pcg32_below (&r, 2) ? pcg32_double (&r) * 0.3 : 0;
  l->reorder = pcg32_double (&r) * 0.5;
  l->bandwidth_bytes_per_s = pcg32_below (&r, 3) == 0 ? pcg32_range (&r, 1000, 1000000) : 0;
  if (pcg32_below (&r, 2)) {
    SimLinkOverride o = { .from = (int) pcg32_below (&r, (uint32_t) cfg->n_nodes), .to = -1,
                          .link = *l };
    o.link.drop = 0.5;
    g_array_append_val (cfg->link_overrides, o);
  }
  SimWorkloadConfig *wl = &cfg->workload;
  wl->n_clients = (int) pcg32_below (&r, 9);
  wl->n_keys = 1 + (int) pcg32_below (&r, 4);
  for (int f = 0; f < PROTO_OP__COUNT; f++)
    wl->mix[f] = (double) pcg32_below (&r, 3);
  wl->think_us = pcg32_range (&r, 0, 20000);
  wl->rate_per_s = pcg32_below (&r, 3) == 0 ? 50 + pcg32_double (&r) * 500 : 0;
  wl->op_timeout_us = pcg32_range (&r, 0, 300000);
  wl->attempt_timeout_us = pcg32_range (&r, 1000, 60000);
  wl->max_retries = (int) pcg32_below (&r, 4);
  wl->idempotency = pcg32_below (&r, 2);
  wl->ops = pcg32_below (&r, 2) ? pcg32_range (&r, 1, 200) : 0;
  SimRandomFaults *rf = &cfg->random_faults;
  rf->crash_per_s = pcg32_double (&r) * 5;
  rf->partition_per_s = pcg32_double (&r) * 5;
  rf->pause_per_s = pcg32_double (&r) * 5;
  rf->skew_per_s = pcg32_double (&r) * 5;
  return cfg;
}

static void
stats_add (const SimStats *st)
{
  totals.events += st->events;
  totals.msgs_dropped += st->msgs_dropped;
  totals.msgs_duplicated += st->msgs_duplicated;
  totals.ops_ok += st->ops_ok;
  totals.ops_fail += st->ops_fail;
  totals.ops_info += st->ops_info;
  totals.retries += st->retries;
  totals.crashes += st->crashes;
}

static void
check_seed (uint64_t s)
{
  g_autoptr (SimConfig) cfg = swarm_config (s);
  g_autoptr (SimWorld) w = sim_world_new (cfg, s);
  int64_t last = 0;
  while (sim_world_step (w)) {
    cr_assert_geq (sim_world_stats (w)->now_us, last, "seed %lu: time went back", (unsigned long) s);
    last = sim_world_stats (w)->now_us;
  }
  sim_world_finish (w);
  const SimStats *st = sim_world_stats (w);
  cr_assert_null (sim_world_invariant_failure (w), "seed %lu", (unsigned long) s);
  stats_add (st);
  cr_assert_leq (st->now_us, cfg->duration_us);
  cr_assert_eq (st->msgs_delivered + st->msgs_dropped + sim_world_in_flight (w),
                st->msgs_sent + st->msgs_duplicated, "seed %lu: messages unaccounted",
                (unsigned long) s);
  cr_assert_eq (st->ops_ok + st->ops_fail + st->ops_info, st->ops_invoked, "seed %lu",
                (unsigned long) s);
  if (cfg->workload.ops > 0)
    cr_assert_leq (st->ops_invoked, (uint64_t) cfg->workload.ops);

  const ChkHistory *h = sim_world_history (w);
  GError *error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops, "seed %lu: %s", (unsigned long) s, error ? error->message : "");
  cr_assert_eq (ops->len, st->ops_invoked);
  g_autoptr (GHashTable) values = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent ev_ev = chk_history_event (h, i);
    const ChkEvent *ev = &ev_ev;
    if (ev->type != CHK_INVOKE || ev->f == CHK_F_READ)
      continue;
    const int64_t *v = ev->f == CHK_F_CAS ? &ev->value.j : &ev->value.i;
    cr_assert_null (g_hash_table_lookup (values, v), "seed %lu: value %ld reused",
                    (unsigned long) s, (long) *v);
    g_hash_table_add (values, g_memdup2 (v, sizeof *v));
  }

  /* Every fourth seed: a rerun (from a clone made half way) ends the same. */
  if (s % 4 == 0) {
    g_autoptr (SimWorld) again = sim_world_new (cfg, s);
    SimChoice c;
    while (sim_world_next_choice (again, &c) && c.time_us < cfg->duration_us / 2)
      sim_world_step (again);
    g_autoptr (SimWorld) half = sim_world_clone (again);
    sim_world_run (half);
    cr_assert_eq (memcmp (sim_world_stats (half), st, sizeof *st), 0, "seed %lu: rerun differs",
                  (unsigned long) s);
    cr_assert_eq (sim_world_digest (half), sim_world_digest (w));
  }
}

Test (world_swarm, many_seeds_keep_the_books)
{
  const char *env = g_getenv ("DSIM_SWARM_SEEDS");
  int n = env != NULL ? atoi (env) : SWARM_SEEDS;
  for (int s = 1; s <= n; s++)
    check_seed ((uint64_t) s);
  if (n >= 100) {
    cr_expect_gt (totals.msgs_dropped, 1000u);
    cr_expect_gt (totals.msgs_duplicated, 1000u);
    cr_expect_gt (totals.ops_ok, 1000u);
    cr_expect_gt (totals.ops_fail, 100u);
    cr_expect_gt (totals.ops_info, 100u);
    cr_expect_gt (totals.retries, 100u);
    cr_expect_gt (totals.crashes, 50u);
  }
}
