/* test_world.c: the simulated world: determinism, network faults, node
 * faults, clocks, clients, retries and idempotency, side-by-side worlds.
 *
 * The test protocol `tkv` defined here is small on purpose: every node keeps
 * counters the tests read back (a persist counter and a volatile one,
 * messages received per sender, observed latency, timeout times), pings the
 * other nodes on a timer when asked to, and node n1 serves a key-value store
 * to clients that counts how many times each written value was applied. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "sim/world.h"

/* ---- The test protocol ---------------------------------------------------*/

#define TKV_KEYS 8
#define TKV_VALUES 4096
#define TKV_LOG 16

typedef struct {
  int64_t tick_us;        /* timer period on the node's clock (0: none) */
  gboolean ping_all;      /* on each tick, message every other node */
  gboolean drop_first_reply; /* n1 does not answer the first request for a value */
  gboolean silent;        /* n1 never answers clients */
} TkvConfig;

typedef struct {
  uint64_t starts;        /* how often the node booted */
  int64_t persist_counter;/* events handled, across crashes */
} TkvPersist;

typedef enum { TKV_PING = 1, TKV_REQ, TKV_REPLY } TkvKind;

typedef struct {
  uint8_t kind;
  uint8_t f;
  uint8_t has_value;
  int8_t key;
  uint32_t client, seq;
  int64_t value, expect;
  int64_t sent_local;     /* sender's clock at the send */
} TkvMsg;

typedef struct {
  TkvPersist persist;
  uint64_t volatile_counter; /* events handled since the last start */
  uint64_t recv_from[PROTO_MAX_ENDPOINTS];
  int64_t latency_min, latency_max;
  uint64_t timeouts;
  int64_t timeout_local[TKV_LOG];  /* the clock at each of the first timeouts */
  int64_t start_local;
  int64_t values[TKV_KEYS];
  uint8_t has[TKV_KEYS];
  uint16_t applied[TKV_VALUES];    /* times each written value was applied */
  uint8_t seen[SIM_MAX_CLIENTS][64]; /* (client, seq) already applied */
} TkvNode;

typedef struct {
  ProtoOp op;
  gboolean is_open;
} TkvClient;

static const ProtoKnob tkv_knobs[] = {
  { "tick", PROTO_KNOB_DURATION, offsetof (TkvConfig, tick_us), "0", 0, 10000000, NULL, "" },
  { "ping_all", PROTO_KNOB_BOOL, offsetof (TkvConfig, ping_all), "false", 0, 0, NULL, "" },
  { "drop_first_reply", PROTO_KNOB_BOOL, offsetof (TkvConfig, drop_first_reply), "false", 0, 0,
    NULL, "" },
  { "silent", PROTO_KNOB_BOOL, offsetof (TkvConfig, silent), "false", 0, 0, NULL, "" },
  { NULL },
};

static void
tkv_serve (TkvNode *n, const ProtoCtx *ctx, const ProtoEvent *ev, const TkvMsg *req,
           ProtoOutbox *out)
{
  const TkvConfig *cfg = ctx->config;
  TkvMsg reply = { .kind = TKV_REPLY, .f = req->f, .key = req->key, .client = req->client,
                   .seq = req->seq, .value = req->value };
  gboolean first_sighting = FALSE;
  uint8_t *seen = &n->seen[req->client % SIM_MAX_CLIENTS][req->seq % 64];
  switch ((ProtoOpKind) req->f) {
  case PROTO_OP_READ:
    reply.has_value = n->has[req->key];
    reply.value = n->values[req->key];
    break;
  case PROTO_OP_WRITE:
    first_sighting = n->applied[req->value % TKV_VALUES] == 0;
    if (!*seen) { /* the idempotency key: apply each (client, seq) once */
      *seen = 1;
      n->values[req->key] = req->value;
      n->has[req->key] = 1;
      n->applied[req->value % TKV_VALUES]++;
    }
    break;
  default:
    reply.has_value = 2; /* unsupported: fail */
    break;
  }
  if (cfg->silent || (cfg->drop_first_reply && first_sighting))
    return;
  proto_outbox_send (out, ev->from, &reply, sizeof reply);
}

static void
tkv_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  TkvNode *n = state;
  const TkvConfig *cfg = ctx->config;
  n->persist.persist_counter++;
  n->volatile_counter++;
  switch (ev->kind) {
  case PROTO_EV_START:
    n->persist.starts++;
    n->start_local = ev->now_us;
    n->latency_min = INT64_MAX;
    if (cfg->tick_us > 0)
      proto_outbox_set_deadline (out, ev->now_us + cfg->tick_us);
    proto_outbox_mark (out, "tkv-started");
    break;
  case PROTO_EV_TIMEOUT:
    if (n->timeouts < TKV_LOG)
      n->timeout_local[n->timeouts] = ev->now_us;
    n->timeouts++;
    cr_assert_eq (out->deadline_us, PROTO_NO_DEADLINE, "a fired deadline is cleared");
    if (cfg->ping_all)
      for (int i = 0; i < ctx->n_nodes; i++)
        if (i != ctx->self) {
          TkvMsg m = { .kind = TKV_PING, .sent_local = ev->now_us };
          proto_outbox_send (out, i, &m, sizeof m);
        }
    proto_outbox_set_deadline (out, ev->now_us + cfg->tick_us);
    break;
  case PROTO_EV_RECEIVE: {
    TkvMsg m;
    cr_assert_eq (ev->msg_len, sizeof m);
    memcpy (&m, ev->msg, sizeof m);
    n->recv_from[ev->from]++;
    if (m.kind == TKV_PING) {
      int64_t lat = ev->now_us - m.sent_local;
      n->latency_min = MIN (n->latency_min, lat);
      n->latency_max = MAX (n->latency_max, lat);
    } else if (m.kind == TKV_REQ) {
      tkv_serve (n, ctx, ev, &m, out);
    }
    break;
  }
  default:
    break;
  }
}

static void
tkv_client_send (TkvClient *c, ProtoOutbox *out)
{
  TkvMsg m = { .kind = TKV_REQ, .f = (uint8_t) c->op.f, .key = (int8_t) c->op.key,
               .client = c->op.client, .seq = c->op.seq, .value = c->op.value };
  proto_outbox_send (out, 0, &m, sizeof m);
}

static void
tkv_client_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  TkvClient *c = state;
  switch (ev->kind) {
  case PROTO_EV_INVOKE:
  case PROTO_EV_RETRY:
    c->op = *ev->op;
    c->is_open = TRUE;
    tkv_client_send (c, out);
    break;
  case PROTO_EV_RECEIVE: {
    TkvMsg m;
    memcpy (&m, ev->msg, sizeof m);
    /* Any attempt's answer ends the operation (retries may change seq). */
    gboolean mine = c->is_open && m.client == c->op.client
                    && (m.seq == c->op.seq || (c->op.f != PROTO_OP_READ && m.value == c->op.value));
    if (!mine)
      break;
    c->is_open = FALSE;
    if (m.has_value == 2)
      proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
    else
      proto_outbox_complete (out, PROTO_RESULT_OK, m.has_value, m.value);
    break;
  }
  default:
    break;
  }
}

static void
tkv_format_msg (const void *msg, size_t len, GString *out)
{
  TkvMsg m;
  memcpy (&m, msg, sizeof m);
  static const char *const kinds[] = { "?", "ping", "req", "reply" };
  g_string_append_printf (out, "%s(seq=%u, value=%" G_GINT64_FORMAT ")", kinds[m.kind % 4], m.seq,
                          m.value);
}

static const ProtoVTable tkv_vt = {
  .name = "tkv",
  .summary = "test protocol",
  .knobs = tkv_knobs,
  .config_size = sizeof (TkvConfig),
  .ops_supported = (1u << PROTO_OP_READ) | (1u << PROTO_OP_WRITE),
  .min_nodes = 1,
  .max_nodes = PROTO_MAX_NODES,
  .state_size = sizeof (TkvNode),
  .persist_offset = offsetof (TkvNode, persist),
  .persist_size = sizeof (TkvPersist),
  .step = tkv_step,
  .format_msg = tkv_format_msg,
  .client_state_size = sizeof (TkvClient),
  .client_step = tkv_client_step,
};

static SimConfig *
tkv_config (int n_nodes, const char *knob, const char *value)
{
  SimConfig *cfg = sim_config_new (&tkv_vt);
  cfg->n_nodes = n_nodes;
  if (knob != NULL)
    cr_assert (proto_config_set (&tkv_vt, cfg->proto_config, knob, value, NULL));
  return cfg;
}

static void
tkv_set (SimConfig *cfg, const char *knob, const char *value)
{
  cr_assert (proto_config_set (&tkv_vt, cfg->proto_config, knob, value, NULL));
}

static const TkvNode *
tkv_node (const SimWorld *w, int i)
{
  return sim_world_node_state (w, i);
}

static void
add_fault (SimConfig *cfg, SimFault f)
{
  g_array_append_val (cfg->faults, f);
}

static SimFault
node_fault (int64_t at_us, SimFaultKind kind, int node)
{
  SimFault f;
  memset (&f, 0, sizeof f);
  memset (f.group, -1, sizeof f.group);
  f.at_us = at_us;
  f.kind = kind;
  f.node = node;
  return f;
}

/* Steps until virtual time reaches t (events at t are applied). */
static void
run_until (SimWorld *w, int64_t t)
{
  SimChoice c;
  while (sim_world_next_choice (w, &c) && c.time_us <= t)
    sim_world_step (w);
}

/* ---- Determinism ---------------------------------------------------------*/

typedef struct {
  char *trace;
  char *history;
  SimStats stats;
} RunOutput;

static void
run_output_clear (RunOutput *r)
{
  g_free (r->trace);
  g_free (r->history);
}

static RunOutput
run_to_memory (const SimConfig *cfg, uint64_t seed)
{
  RunOutput r = { 0 };
  size_t len = 0;
  FILE *f = open_memstream (&r.trace, &len);
  SimWorld *w = sim_world_new (cfg, seed);
  sim_world_set_trace_output (w, f);
  sim_world_run (w);
  fclose (f);
  size_t hlen = 0;
  FILE *h = open_memstream (&r.history, &hlen);
  cr_assert (chk_history_write_jsonl (sim_world_history (w), h, NULL));
  fclose (h);
  r.stats = *sim_world_stats (w);
  sim_world_free (w);
  return r;
}

/* Null protocol over a lossy, duplicating network with a partition and a
 * crash. */
static SimConfig *
null_faulty_config (void)
{
  SimConfig *cfg = sim_config_new (proto_find ("null"));
  cfg->n_nodes = 4;
  cfg->duration_us = 300000;
  cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "tokens", "20", NULL));
  cfg->net.drop = 0.02;
  cfg->net.duplicate = 0.05;
  cfg->net.reorder = 0.1;
  SimFault p = node_fault (50000, SIM_FAULT_PARTITION, 0);
  p.group[0] = 0;
  p.group[1] = 0;
  p.group[2] = 1;
  p.group[3] = 1;
  add_fault (cfg, p);
  add_fault (cfg, node_fault (120000, SIM_FAULT_HEAL, 0));
  add_fault (cfg, node_fault (150000, SIM_FAULT_CRASH, 2));
  add_fault (cfg, node_fault (200000, SIM_FAULT_RESTART, 2));
  cfg->random_faults.pause_per_s = 10;
  cfg->random_faults.pause_us = 20000;
  return cfg;
}

static SimConfig *
tkv_clients_config (void)
{
  SimConfig *cfg = tkv_config (3, "tick", "20ms");
  tkv_set (cfg, "ping_all", "true");
  cfg->duration_us = 2 * G_USEC_PER_SEC;
  cfg->workload.n_clients = 4;
  cfg->workload.n_keys = 3;
  cfg->workload.attempt_timeout_us = 30000;
  cfg->workload.op_timeout_us = 200000;
  cfg->net.drop = 0.05;
  cfg->net.dist = SIM_LATENCY_LONGTAIL;
  cfg->random_faults.crash_per_s = 2;
  cfg->random_faults.crash_down_us = 100000;
  cfg->random_faults.partition_per_s = 1;
  cfg->random_faults.partition_us = 200000;
  cfg->random_faults.skew_per_s = 3;
  return cfg;
}

static void
expect_same_run (const SimConfig *cfg, uint64_t seed)
{
  RunOutput a = run_to_memory (cfg, seed);
  RunOutput b = run_to_memory (cfg, seed);
  cr_assert_gt (strlen (a.trace), 1000);
  cr_expect_str_eq (a.trace, b.trace);
  cr_expect_str_eq (a.history, b.history);
  cr_expect_eq (memcmp (&a.stats, &b.stats, sizeof a.stats), 0);
  RunOutput c = run_to_memory (cfg, seed + 1);
  cr_expect_str_neq (a.trace, c.trace, "another seed gives another run");
  run_output_clear (&a);
  run_output_clear (&b);
  run_output_clear (&c);
}

Test (world, null_faulty_run_is_byte_identical)
{
  g_autoptr (SimConfig) cfg = null_faulty_config ();
  expect_same_run (cfg, 11);
}

Test (world, clients_run_is_byte_identical)
{
  g_autoptr (SimConfig) cfg = tkv_clients_config ();
  RunOutput a = run_to_memory (cfg, 3);
  cr_expect_gt (a.stats.ops_ok, 20u, "clients got answers");
  cr_expect_gt (a.stats.crashes, 0u);
  cr_expect_gt (a.stats.retries, 0u);
  cr_expect_gt (strlen (a.history), 1000);
  run_output_clear (&a);
  expect_same_run (cfg, 3);
}

Test (world, trace_off_gives_same_stats_and_history)
{
  g_autoptr (SimConfig) cfg = tkv_clients_config ();
  RunOutput a = run_to_memory (cfg, 8);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 8);
  sim_world_run (w);
  cr_expect_eq (memcmp (&a.stats, sim_world_stats (w), sizeof a.stats), 0,
                "formatting the trace must not change the run");
  char *h = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&h, &len);
  chk_history_write_jsonl (sim_world_history (w), f, NULL);
  fclose (f);
  cr_expect_str_eq (h, a.history);
  free (h);
  run_output_clear (&a);
}

Test (world, two_worlds_interleaved_match_separate_runs)
{
  g_autoptr (SimConfig) c1 = tkv_clients_config ();
  g_autoptr (SimConfig) c2 = null_faulty_config ();
  RunOutput r1 = run_to_memory (c1, 21);
  RunOutput r2 = run_to_memory (c2, 22);

  char *t1 = NULL, *t2 = NULL;
  size_t l1 = 0, l2 = 0;
  FILE *f1 = open_memstream (&t1, &l1), *f2 = open_memstream (&t2, &l2);
  SimWorld *w1 = sim_world_new (c1, 21), *w2 = sim_world_new (c2, 22);
  sim_world_set_trace_output (w1, f1);
  sim_world_set_trace_output (w2, f2);
  gboolean more1 = TRUE, more2 = TRUE;
  while (more1 || more2) {
    if (more1)
      more1 = sim_world_step (w1);
    for (int i = 0; i < 3 && more2; i++)
      more2 = sim_world_step (w2);
  }
  sim_world_finish (w1);
  sim_world_finish (w2);
  fclose (f1);
  fclose (f2);
  cr_expect_str_eq (t1, r1.trace);
  cr_expect_str_eq (t2, r2.trace);
  cr_expect_eq (memcmp (sim_world_stats (w1), &r1.stats, sizeof r1.stats), 0);
  cr_expect_eq (memcmp (sim_world_stats (w2), &r2.stats, sizeof r2.stats), 0);
  sim_world_free (w1);
  sim_world_free (w2);
  free (t1);
  free (t2);
  run_output_clear (&r1);
  run_output_clear (&r2);
}

/* ---- Node faults ---------------------------------------------------------*/

Test (world, crash_loses_volatile_state_and_keeps_persist)
{
  g_autoptr (SimConfig) cfg = tkv_config (2, "tick", "10ms");
  cfg->duration_us = G_USEC_PER_SEC;
  add_fault (cfg, node_fault (105000, SIM_FAULT_CRASH, 1));
  add_fault (cfg, node_fault (500000, SIM_FAULT_RESTART, 1));
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);

  run_until (w, 100000);
  const TkvNode *n = tkv_node (w, 1);
  cr_assert_eq (n->persist.starts, 1u);
  int64_t persist_before = n->persist.persist_counter;
  cr_assert_gt (n->volatile_counter, 5u);
  cr_assert_gt (n->timeouts, 5u);

  run_until (w, 110000);
  cr_expect_not (sim_world_node_is_up (w, 1));
  cr_expect_eq (n->volatile_counter, 0u, "volatile state is zeroed by the crash");
  cr_expect_eq (n->timeouts, 0u);
  cr_expect_eq (n->persist.starts, 1u, "persist survives the crash");
  cr_expect_eq (n->persist.persist_counter, persist_before);

  run_until (w, 499999);
  cr_expect_eq (n->persist.persist_counter, persist_before, "a down node handles nothing");
  cr_expect_eq (tkv_node (w, 0)->timeouts, 49u, "the other node keeps running");

  run_until (w, 500000);
  cr_expect (sim_world_node_is_up (w, 1));
  cr_expect_eq (n->persist.starts, 2u, "restart sends PROTO_EV_START");
  cr_expect_eq (n->volatile_counter, 1u);
  cr_expect_eq (n->start_local, 500000);
  cr_expect_eq (sim_world_node_incarnation (w, 1), 2u);
  sim_world_run (w);
  cr_expect_eq (n->timeouts, 50u, "its timer runs again after the restart");
  cr_expect_eq (sim_world_stats (w)->crashes, 1u);
  cr_expect_eq (sim_world_stats (w)->restarts, 1u);
  cr_expect (sim_world_reached (w, "tkv-started"));
  uint64_t count = 0;
  cr_expect_str_eq (sim_world_mark (w, 0, &count), "tkv-started");
  cr_expect_eq (count, 3u, "two first boots and one restart");
}
