/* test_world.c: the simulated world: determinism, network faults, node
 * faults, clocks, clients, retries and idempotency, side-by-side worlds.
 *
 * The test protocol `tkv` defined here is small on purpose: every node keeps
 * counters the tests read back (a persist counter and a volatile one,
 * messages received per sender, observed latency, timeout times), pings the
 * other nodes on a timer when asked to, and node n1 serves a key-value store
 * to clients that counts how many times each written value was applied. */
#include <criterion/criterion.h>

#include <json-glib/json-glib.h>

#include <stdio.h>
#include <string.h>

#include "checkers/ops.h"
#include "sim/world.h"
#include "tests/support.h"

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
  uint32_t pad;           /* no hidden padding: message bytes are hashed */
  int64_t value, expect;
  int64_t sent_local;     /* sender's clock at the send */
} TkvMsg;

typedef struct {
  TkvPersist persist;
  uint64_t volatile_counter; /* events handled since the last start */
  uint64_t recv_from[PROTO_MAX_ENDPOINTS];
  int64_t latency_min[PROTO_MAX_NODES], latency_max[PROTO_MAX_NODES]; /* per sender */
  uint64_t timeouts;
  int64_t timeout_local[TKV_LOG];  /* the clock at each of the first timeouts */
  int64_t start_local;
  int64_t values[TKV_KEYS];
  uint8_t has[TKV_KEYS];
  uint16_t applied[TKV_VALUES];    /* times each written value was applied */
  uint8_t seen[SIM_MAX_CLIENTS][256]; /* (client, seq) already applied */
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
  uint8_t *seen = &n->seen[req->client % SIM_MAX_CLIENTS][req->seq % 256];
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
  proto_outbox_sync (out); /* every step's persist change is durable */
  switch (ev->kind) {
  case PROTO_EV_START:
    n->persist.starts++;
    n->start_local = ev->now_us;
    for (int i = 0; i < PROTO_MAX_NODES; i++)
      n->latency_min[i] = INT64_MAX;
    if (cfg->tick_us > 0)
      proto_outbox_set_deadline (out, ev->now_us + cfg->tick_us);
    proto_outbox_mark (out, "tkv-started");
    proto_outbox_note (out, "boot \"%s\"\tnumber %" G_GUINT64_FORMAT, "quoted", n->persist.starts);
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
      n->latency_min[ev->from] = MIN (n->latency_min[ev->from], lat);
      n->latency_max[ev->from] = MAX (n->latency_max[ev->from], lat);
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

/* At at_us: n1 n2 | n3 n4. */
static void
add_split (SimConfig *cfg, int64_t at_us)
{
  SimFault p = node_fault (at_us, SIM_FAULT_PARTITION, 0);
  p.group[0] = p.group[1] = 0;
  p.group[2] = p.group[3] = 1;
  add_fault (cfg, p);
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
  add_split (cfg, 50000);
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

Test (world, pause_delays_handling_then_delivers)
{
  g_autoptr (SimConfig) cfg = tkv_config (3, "tick", "10ms");
  tkv_set (cfg, "ping_all", "true");
  cfg->duration_us = 500000;
  add_fault (cfg, node_fault (100000, SIM_FAULT_PAUSE, 2));
  add_fault (cfg, node_fault (300000, SIM_FAULT_RESUME, 2));
  g_autoptr (SimWorld) w = sim_world_new (cfg, 4);
  const TkvNode *n = tkv_node (w, 2);

  run_until (w, 100000);
  cr_assert (sim_world_node_is_paused (w, 2));
  uint64_t handled = n->volatile_counter, timeouts = n->timeouts;
  uint64_t from0 = n->recv_from[0], from1 = n->recv_from[1];
  run_until (w, 299999);
  cr_expect_eq (n->volatile_counter, handled, "a paused node handles nothing");
  cr_expect_eq (n->timeouts, timeouts);
  cr_expect_eq (tkv_node (w, 0)->recv_from[1] - 0 > 0, TRUE);

  run_until (w, 300000);
  cr_expect_not (sim_world_node_is_paused (w, 2));
  /* 20 ticks of n1 and n2 went out during the pause (a few arrived before
   * it, a few are still in flight): all that arrived wait and come now. */
  cr_expect_geq (n->recv_from[0] - from0, 19u);
  cr_expect_geq (n->recv_from[1] - from1, 19u);
  cr_expect_eq (n->timeouts, timeouts + 1, "the deadline that passed fires once, on resume");
  cr_expect_eq (n->timeout_local[n->timeouts - 1], 300000);
  sim_world_run (w);
  cr_expect_eq (sim_world_stats (w)->msgs_dropped, 0u, "nothing is lost to a pause");
}

/* Records the virtual times at which node `node` handled its timeouts. */
static int
timeout_times (SimWorld *w, int node, int64_t *at, int max)
{
  const TkvNode *n = tkv_node (w, node);
  int count = 0;
  uint64_t seen = n->timeouts;
  while (count < max && sim_world_step (w))
    if (n->timeouts != seen) {
      seen = n->timeouts;
      at[count++] = sim_world_stats (w)->now_us;
    }
  return count;
}

Test (world, drift_skews_now_and_converts_deadlines)
{
  g_autoptr (SimConfig) cfg = tkv_config (2, "tick", "11ms");
  cfg->duration_us = 200000;
  SimFault f = node_fault (0, SIM_FAULT_SKEW, 1);
  f.drift_ppm = 100000; /* 10% fast: local = 1.1 * virtual */
  add_fault (cfg, f);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 2);
  int64_t at[5];
  cr_assert_eq (timeout_times (w, 1, at, 5), 5);
  const TkvNode *n = tkv_node (w, 1);
  for (int k = 0; k < 5; k++) {
    cr_expect_eq (n->timeout_local[k], 11000 * (k + 1), "the node sees its own clock");
    cr_expect_eq (at[k], 10000 * (k + 1), "an 11ms timer on a 10%% fast clock fires every 10ms");
  }
  cr_expect_eq (sim_world_node_local_time (w, 1), 55000);
  cr_expect_eq (tkv_node (w, 0)->timeout_local[0], 11000, "virtual time itself is not skewed");
}

Test (world, skew_offsets_the_clock)
{
  g_autoptr (SimConfig) cfg = tkv_config (1, "tick", "10ms");
  cfg->duration_us = 200000;
  SimFault f = node_fault (25000, SIM_FAULT_SKEW, 0);
  f.skew_us = 4000;
  add_fault (cfg, f);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 2);
  int64_t at[4];
  cr_assert_eq (timeout_times (w, 0, at, 4), 4);
  const TkvNode *n = tkv_node (w, 0);
  /* Ticks at 10 and 20ms; at 25ms the clock jumps 4ms ahead, so the tick
   * due at local 30ms comes at virtual 26ms and reads 30ms. */
  cr_expect_eq (at[0], 10000);
  cr_expect_eq (at[1], 20000);
  cr_expect_eq (at[2], 26000);
  cr_expect_eq (n->timeout_local[2], 30000);
  cr_expect_eq (at[3], 36000);
  cr_expect_eq (n->timeout_local[3], 40000);
}

/* ---- Network through the world ------------------------------------------*/

static void
recv_matrix (const SimWorld *w, int n, uint64_t m[4][4])
{
  for (int to = 0; to < n; to++)
    for (int from = 0; from < n; from++)
      m[from][to] = tkv_node (w, to)->recv_from[from];
}

static SimConfig *
ping_config (int n)
{
  SimConfig *cfg = tkv_config (n, "tick", "5ms");
  tkv_set (cfg, "ping_all", "true");
  cfg->duration_us = 3 * G_USEC_PER_SEC;
  return cfg;
}

Test (world, partition_cuts_exactly_the_listed_links_and_heal_restores)
{
  g_autoptr (SimConfig) cfg = ping_config (4);
  add_split (cfg, 1000000);
  add_fault (cfg, node_fault (2000000, SIM_FAULT_HEAL, 0));
  g_autoptr (SimWorld) w = sim_world_new (cfg, 9);
  uint64_t before[4][4], during[4][4], after[4][4];
  run_until (w, 999999);
  recv_matrix (w, 4, before);
  run_until (w, 1999999);
  recv_matrix (w, 4, during);
  sim_world_run (w);
  recv_matrix (w, 4, after);
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 4; b++) {
      if (a == b)
        continue;
      gboolean cut = (a < 2) != (b < 2);
      if (cut)
        cr_expect_eq (during[a][b], before[a][b], "n%d -> n%d must be cut", a + 1, b + 1);
      else
        cr_expect_geq (during[a][b] - before[a][b], 190u, "n%d -> n%d must flow", a + 1, b + 1);
      cr_expect_geq (after[a][b] - during[a][b], 190u, "n%d -> n%d flows after heal", a + 1,
                     b + 1);
    }
}

Test (world, oneway_cut_is_one_way)
{
  g_autoptr (SimConfig) cfg = ping_config (3);
  SimFault f = node_fault (1000000, SIM_FAULT_ONEWAY, 0);
  f.from = 0;
  f.to = 1;
  add_fault (cfg, f);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 9);
  uint64_t before[4][4], after[4][4];
  run_until (w, 999999);
  recv_matrix (w, 3, before);
  sim_world_run (w);
  recv_matrix (w, 3, after);
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++)
      if (a == 0 && b == 1)
        cr_expect_eq (after[a][b], before[a][b], "n1 -> n2 is cut");
      else if (a != b)
        cr_expect_geq (after[a][b] - before[a][b], 390u, "n%d -> n%d flows", a + 1, b + 1);
}

Test (world, link_override_applies_to_that_link_only)
{
  g_autoptr (SimConfig) cfg = ping_config (3);
  cfg->duration_us = G_USEC_PER_SEC;
  SimLinkOverride o = { .from = 0, .to = 1, .link = cfg->net };
  o.link.latency_min_us = o.link.latency_max_us = 50000;
  g_array_append_val (cfg->link_overrides, o);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 5);
  sim_world_run (w);
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) {
      if (a == b)
        continue;
      const TkvNode *n = tkv_node (w, b);
      if (a == 0 && b == 1) {
        cr_expect_eq (n->latency_min[a], 50000);
        cr_expect_eq (n->latency_max[a], 50000);
      } else {
        cr_expect_geq (n->latency_min[a], cfg->net.latency_min_us, "n%d -> n%d", a + 1, b + 1);
        cr_expect_leq (n->latency_max[a], cfg->net.latency_max_us, "n%d -> n%d", a + 1, b + 1);
        cr_expect_lt (n->latency_min[a], 1200, "the range is used");
        cr_expect_gt (n->latency_max[a], 4800, "the range is used");
      }
    }
}

Test (world, drop_rate_over_100000_messages)
{
  g_autoptr (SimConfig) cfg = ping_config (5);
  tkv_set (cfg, "tick", "1ms");
  cfg->duration_us = 6 * G_USEC_PER_SEC;
  cfg->net.drop = 0.1;
  cfg->net.duplicate = 0.1;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 77);
  sim_world_run (w);
  const SimStats *s = sim_world_stats (w);
  cr_assert_geq (s->msgs_sent, 100000u);
  double drop = (double) s->msgs_dropped / (double) s->msgs_sent;
  double dup = (double) s->msgs_duplicated / (double) (s->msgs_sent - s->msgs_dropped);
  cr_expect (drop >= 0.09 && drop <= 0.11, "drop rate %f", drop);
  cr_expect (dup >= 0.09 && dup <= 0.11, "duplicate rate %f", dup);
  cr_expect_eq (s->msgs_delivered + s->msgs_dropped + sim_world_in_flight (w),
                s->msgs_sent + s->msgs_duplicated, "every message is accounted for");
}

/* ---- Clients -------------------------------------------------------------*/

static SimConfig *
client_config (int n_clients)
{
  SimConfig *cfg = tkv_config (1, NULL, NULL);
  cfg->duration_us = G_USEC_PER_SEC;
  cfg->workload.n_clients = n_clients;
  cfg->workload.think_us = 5000;
  cfg->workload.attempt_timeout_us = 20000;
  cfg->workload.op_timeout_us = 100000;
  return cfg;
}

Test (world, client_timeout_gives_info_and_a_new_process)
{
  g_autoptr (SimConfig) cfg = client_config (2);
  tkv_set (cfg, "silent", "true");
  cfg->workload.max_retries = 0;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 6);
  sim_world_run (w);
  const ChkHistory *h = sim_world_history (w);
  cr_assert_gt (chk_history_len (h), 10u);
  g_autoptr (GHashTable) invoked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  int64_t last_process[2] = { -1, -1 };
  guint n_info = 0;
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent ev_ev = chk_history_event (h, i);
    const ChkEvent *ev = &ev_ev;
    int client = (int) (ev->process % 2);
    if (ev->type == CHK_INVOKE) {
      cr_expect_null (g_hash_table_lookup (invoked, &ev->process),
                      "process %ld invokes only once after an info", (long) ev->process);
      g_hash_table_add (invoked, g_memdup2 (&ev->process, sizeof ev->process));
      if (last_process[client] >= 0)
        cr_expect_eq (ev->process, last_process[client] + 2, "next process is p + n_clients");
      last_process[client] = ev->process;
    } else {
      cr_expect_eq (ev->type, CHK_INFO, "nobody answers: every completion is info");
      n_info++;
    }
  }
  const SimStats *s = sim_world_stats (w);
  cr_expect_eq (s->ops_info, n_info);
  cr_expect_eq (s->ops_invoked, n_info, "open operations become info at the end");
  ChkEvent last_ev = chk_history_event (h, chk_history_len (h) - 1);
  const ChkEvent *last = &last_ev;
  cr_expect_eq (last->type, CHK_INFO);
  cr_expect_eq (last->time_us, cfg->duration_us, "still-open ops end at the final time");
}

static void
check_applications (gboolean idempotency, int expect_applied)
{
  g_autoptr (SimConfig) cfg = client_config (1);
  tkv_set (cfg, "drop_first_reply", "true");
  cfg->workload.mix[PROTO_OP_READ] = 0;
  cfg->workload.max_retries = 3;
  cfg->workload.idempotency = idempotency;
  cfg->workload.ops = 40;
  cfg->duration_us = 10 * G_USEC_PER_SEC;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 12);
  sim_world_run (w);
  const SimStats *s = sim_world_stats (w);
  cr_expect_eq (s->ops_invoked, 40u, "invoked %lu ok %lu info %lu fail %lu events %lu", (unsigned long) s->ops_invoked, (unsigned long) s->ops_ok, (unsigned long) s->ops_info, (unsigned long) s->ops_fail, (unsigned long) s->events);
  cr_expect_eq (s->ops_ok, 40u, "every write ends ok after one retry");
  cr_expect_eq (s->retries, 40u);
  const TkvNode *n = tkv_node (w, 0);
  const ChkHistory *h = sim_world_history (w);
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent ev_ev = chk_history_event (h, i);
    const ChkEvent *ev = &ev_ev;
    if (ev->type == CHK_INVOKE) {
      cr_assert_eq (ev->value.kind, CHK_VAL_INT);
      cr_expect_eq (n->applied[ev->value.i], expect_applied, "value %ld applied %d times",
                    (long) ev->value.i, n->applied[ev->value.i]);
    }
  }
}

Test (world, retries_with_idempotency_key_apply_once)
{
  check_applications (TRUE, 1);
}

Test (world, retries_without_idempotency_apply_twice)
{
  check_applications (FALSE, 2);
}

Test (world, history_values_are_unique_and_typed)
{
  g_autoptr (SimConfig) cfg = client_config (3);
  cfg->workload.n_keys = 2;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 2);
  sim_world_run (w);
  const ChkHistory *h = sim_world_history (w);
  g_autoptr (GHashTable) written = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  guint reads = 0, writes = 0;
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent ev_ev = chk_history_event (h, i);
    const ChkEvent *ev = &ev_ev;
    const char *key = chk_history_string (h, ev->key);
    cr_expect (strcmp (key, "x") == 0 || strcmp (key, "y") == 0);
    cr_expect_eq (ev->f_name, -1);
    if (ev->type != CHK_INVOKE)
      continue;
    if (ev->f == CHK_F_READ) {
      cr_expect_eq (ev->value.kind, CHK_VAL_NIL, "a read is invoked with null");
      reads++;
    } else {
      cr_expect_eq (ev->value.kind, CHK_VAL_INT);
      cr_expect_null (g_hash_table_lookup (written, &ev->value.i), "value %ld written twice",
                      (long) ev->value.i);
      g_hash_table_add (written, g_memdup2 (&ev->value.i, sizeof ev->value.i));
      writes++;
    }
  }
  cr_expect_gt (reads, 20u);
  cr_expect_gt (writes, 20u);
  GError *error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_expect_not_null (ops, "the history pairs up: %s", error ? error->message : "");
}

/* ---- Invariants ----------------------------------------------------------*/

static gboolean
tkv_check_ticks (void *ghost, const void *const *states, const gboolean *is_up,
                 const ProtoCtx *ctxs, int n_nodes, GString *why)
{
  const TkvNode *n = states[0];
  if (n->timeouts < 5)
    return TRUE;
  g_string_append_printf (why, "too-many-ticks: n1 fired %" G_GUINT64_FORMAT " timeouts",
                          n->timeouts);
  return FALSE;
}

static void
check_failure_report (gboolean with_trace)
{
  ProtoVTable vt = tkv_vt;
  vt.check = tkv_check_ticks;
  g_autoptr (SimConfig) cfg = sim_config_new (&vt);
  cfg->n_nodes = 2;
  tkv_set (cfg, "tick", "10ms");
  tkv_set (cfg, "ping_all", "true");
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = with_trace ? open_memstream (&buf, &len) : NULL;
  sim_world_set_trace_output (w, f);
  sim_world_run (w);
  const char *why = sim_world_invariant_failure (w);
  cr_assert_not_null (why);
  cr_expect (g_str_has_prefix (why, "too-many-ticks: n1 fired 5 timeouts\nlast trace lines:\n"),
             "%s", why);
  cr_expect_not_null (strstr (why, "{\"time\":50000,\"node\":\"n1\",\"kind\":\"timeout\""), "%s",
                      why);
  cr_expect_eq (sim_world_stats (w)->now_us, 50000, "the run stops at the violation");
  if (f != NULL) {
    fclose (f);
    free (buf);
  }
}

Test (world, violation_stops_with_explanation_and_trace_tail)
{
  check_failure_report (TRUE);
}

Test (world, violation_without_trace_replays_for_the_tail)
{
  check_failure_report (FALSE);
}

/* ---- Trace format --------------------------------------------------------*/

Test (world, trace_lines_are_json_with_vector_clocks)
{
  g_autoptr (SimConfig) cfg = tkv_clients_config ();
  cfg->duration_us = 500000;
  RunOutput r = run_to_memory (cfg, 5);
  g_auto (GStrv) lines = g_strsplit (r.trace, "\n", -1);
  int n_ep = cfg->n_nodes + cfg->workload.n_clients;
  g_autoptr (GHashTable) sent_vc = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                          (GDestroyNotify) g_array_unref);
  int64_t last_time = 0;
  int64_t own[PROTO_MAX_ENDPOINTS] = { 0 };
  guint n_recv = 0, n_notes = 0;
  for (int i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    g_autoptr (JsonParser) parser = json_parser_new ();
    GError *error = NULL;
    cr_assert (json_parser_load_from_data (parser, lines[i], -1, &error), "line %d: %s: %s",
               i + 1, lines[i], error ? error->message : "");
    JsonObject *o = json_node_get_object (json_parser_get_root (parser));
    const char *kind = json_object_get_string_member (o, "kind");
    if (i == 0) {
      cr_assert_str_eq (kind, "meta");
      cr_expect_eq (json_array_get_length (json_object_get_array_member (o, "nodes")), 3u);
      cr_expect_eq (json_array_get_length (json_object_get_array_member (o, "clients")), 4u);
      continue;
    }
    int64_t t = json_object_get_int_member (o, "time");
    cr_assert_geq (t, last_time, "line %d: time goes forward", i + 1);
    last_time = t;
    if (!json_object_has_member (o, "node")) {
      cr_expect (strcmp (kind, "partition") == 0 || strcmp (kind, "heal") == 0, "%s", kind);
      continue;
    }
    const char *node = json_object_get_string_member (o, "node");
    int e = node[0] == 'n' ? atoi (node + 1) - 1 : cfg->n_nodes + atoi (node + 1) - 1;
    JsonArray *vc = json_object_get_array_member (o, "vc");
    cr_assert_eq (json_array_get_length (vc), (guint) n_ep);
    int64_t mine = json_array_get_int_element (vc, e);
    cr_assert_eq (mine, own[e] + 1, "line %d: each event at %s ticks its own entry", i + 1, node);
    own[e] = mine;
    if (strcmp (kind, "send") == 0 || strcmp (kind, "dup") == 0) {
      int64_t *id = g_new (int64_t, 1);
      *id = json_object_get_int_member (o, "msg");
      GArray *copy = g_array_new (FALSE, FALSE, sizeof (int64_t));
      for (int k = 0; k < n_ep; k++) {
        int64_t v = json_array_get_int_element (vc, k);
        g_array_append_val (copy, v);
      }
      g_hash_table_insert (sent_vc, id, copy);
    } else if (strcmp (kind, "recv") == 0) {
      int64_t id = json_object_get_int_member (o, "msg");
      GArray *at_send = g_hash_table_lookup (sent_vc, &id);
      cr_assert_not_null (at_send, "line %d: recv of a message never sent", i + 1);
      for (int k = 0; k < n_ep; k++)
        cr_assert_geq (json_array_get_int_element (vc, k), g_array_index (at_send, int64_t, k),
                       "line %d: a receive happens after its send", i + 1);
      n_recv++;
    } else if (strcmp (kind, "note") == 0 && json_object_has_member (o, "label")
               && g_str_has_prefix (json_object_get_string_member (o, "label"), "boot")) {
      cr_expect_str_eq (json_object_get_string_member (o, "label"), "boot \"quoted\"\tnumber 1");
      n_notes++;
    }
  }
  cr_expect_gt (n_recv, 100u);
  cr_expect_eq (n_notes, 3u, "one boot note per node");
  run_output_clear (&r);
}

/* ---- Deadlines that move --------------------------------------------------
 * A watchdog: n1 pings n2 every 5ms until 100ms; n2 pushes its deadline to
 * 20ms after each ping (like a follower's election timeout).  It must fire
 * once, 20ms after the last ping, however often it was moved. */

typedef struct {
  int64_t last_recv;
  int64_t fired_at[4];
  int n_fired;
} WatchNode;

static void
watch_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  WatchNode *n = state;
  if (ctx->self == 0) {
    if (ev->kind == PROTO_EV_START || ev->kind == PROTO_EV_TIMEOUT) {
      if (ev->now_us < 100000) {
        char ping = 'p';
        proto_outbox_send (out, 1, &ping, 1);
        proto_outbox_set_deadline (out, ev->now_us + 5000);
      }
    }
    return;
  }
  if (ev->kind == PROTO_EV_RECEIVE) {
    n->last_recv = ev->now_us;
    proto_outbox_set_deadline (out, ev->now_us + 20000);
  } else if (ev->kind == PROTO_EV_TIMEOUT && n->n_fired < 4) {
    n->fired_at[n->n_fired++] = ev->now_us;
  }
}

static const ProtoVTable watch_vt = {
  .name = "watch",
  .summary = "test protocol",
  .min_nodes = 2,
  .max_nodes = 2,
  .state_size = sizeof (WatchNode),
  .step = watch_step,
};

Test (world, a_postponed_deadline_fires_once_at_its_last_time)
{
  g_autoptr (SimConfig) cfg = sim_config_new (&watch_vt);
  cfg->n_nodes = 2;
  cfg->duration_us = G_USEC_PER_SEC;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 3);
  sim_world_run (w);
  const WatchNode *n = sim_world_node_state (w, 1);
  cr_expect_gt (n->last_recv, 95000);
  cr_expect_eq (n->n_fired, 1);
  cr_expect_eq (n->fired_at[0], n->last_recv + 20000);
  /* Each of the 20 pings and the one timeout is one event, plus the two
   * boots and n1's timeouts: moving a deadline adds none. */
  cr_expect_eq (sim_world_stats (w)->events, 2u + 20u + 19u + 1u + 1u);
}

/* ---- Choices, clones and digests ----------------------------------------*/

static char *
history_text (const SimWorld *w)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  chk_history_write_jsonl (sim_world_history (w), f, NULL);
  fclose (f);
  return buf;
}

Test (world, clone_continues_like_the_original)
{
  g_autoptr (SimConfig) cfg = tkv_clients_config ();
  g_autoptr (SimWorld) a = sim_world_new (cfg, 31);
  run_until (a, 700000);
  uint64_t digest = sim_world_digest (a);
  g_autoptr (SimWorld) b = sim_world_clone (a);
  cr_expect_eq (sim_world_digest (b), digest);
  sim_world_run (b);
  cr_expect_eq (sim_world_digest (a), digest, "running the clone leaves the original alone");
  cr_expect_eq (sim_world_stats (a)->now_us, 700000);
  sim_world_run (a);
  cr_expect_eq (memcmp (sim_world_stats (a), sim_world_stats (b), sizeof (SimStats)), 0);
  g_autofree char *ha = history_text (a);
  g_autofree char *hb = history_text (b);
  cr_expect_str_eq (ha, hb);
  cr_expect_eq (sim_world_digest (a), sim_world_digest (b));
}

static gboolean
apply_kind (SimWorld *w, SimChoiceKind kind, int nth)
{
  g_autoptr (GArray) choices = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  sim_world_enabled (w, choices);
  for (guint i = 0; i < choices->len; i++) {
    SimChoice *c = &g_array_index (choices, SimChoice, i);
    if (c->kind == kind && nth-- == 0)
      return sim_world_apply (w, c);
  }
  return FALSE;
}

Test (world, digest_ignores_the_order_that_led_to_a_state)
{
  g_autoptr (SimConfig) cfg = sim_config_new (proto_find ("null"));
  cfg->n_nodes = 2;
  g_autoptr (SimWorld) a = sim_world_new (cfg, 1);
  g_autoptr (SimWorld) b = sim_world_new (cfg, 1);
  for (int i = 0; i < 2; i++) {
    cr_assert (apply_kind (a, SIM_CHOICE_START, 0));
    cr_assert (apply_kind (b, SIM_CHOICE_START, 0));
  }
  cr_expect_eq (sim_world_digest (a), sim_world_digest (b));
  cr_assert (apply_kind (a, SIM_CHOICE_DELIVER, 0));
  uint64_t one = sim_world_digest (a);
  cr_assert (apply_kind (a, SIM_CHOICE_DELIVER, 0));
  cr_assert (apply_kind (b, SIM_CHOICE_DELIVER, 1));
  cr_expect_neq (sim_world_digest (b), one, "another message delivered: another state");
  cr_assert (apply_kind (b, SIM_CHOICE_DELIVER, 0));
  cr_expect_eq (sim_world_digest (a), sim_world_digest (b), "same state by two orders");
  cr_expect_neq (sim_world_digest (a), one);

  g_autoptr (GArray) choices = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  sim_world_enabled (a, choices);
  cr_assert_eq (choices->len, 2u, "two tokens in flight");
  SimChoice drop = g_array_index (choices, SimChoice, 0);
  drop.kind = SIM_CHOICE_DROP;
  cr_expect (sim_world_apply (a, &drop));
  cr_expect_not (sim_world_apply (a, &drop), "a message is lost once");
  cr_expect_eq (sim_world_stats (a)->msgs_dropped, 1u);
  cr_expect_eq (sim_world_in_flight (a), 1u);
  g_autoptr (GString) text = g_string_new (NULL);
  sim_choice_describe (a, &drop, text);
  cr_expect (g_str_has_prefix (text->str, "drop m"), "%s", text->str);
}

Test (world, applying_the_steps_choices_replays_the_run)
{
  g_autoptr (SimConfig) cfg = tkv_clients_config ();
  cfg->duration_us = 300000;
  g_autoptr (SimWorld) a = sim_world_new (cfg, 4);
  g_autoptr (SimWorld) b = sim_world_new (cfg, 4);
  g_autoptr (GArray) path = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  SimChoice c;
  while (sim_world_next_choice (a, &c)) {
    g_array_append_val (path, c);
    sim_world_step (a);
  }
  cr_assert_gt (path->len, 200u, "%u choices", path->len);
  for (guint i = 0; i < path->len; i++)
    cr_assert (sim_world_apply (b, &g_array_index (path, SimChoice, i)), "choice %u", i);
  sim_world_finish (a);
  sim_world_finish (b);
  cr_expect_eq (memcmp (sim_world_stats (a), sim_world_stats (b), sizeof (SimStats)), 0);
  g_autofree char *ha = history_text (a);
  g_autofree char *hb = history_text (b);
  cr_expect_str_eq (ha, hb);
}

static void
silence (const char *behaviour, const ProtoCtx *ctx, const void *state, ProtoOutbox *out,
         Pcg32 *rng, GByteArray *memory, void *user_data)
{
  if (strcmp (behaviour, "silent") == 0)
    g_array_set_size (out->msgs, 0);
  (*(int *) user_data)++;
}

Test (world, byzantine_rewriter_changes_only_the_marked_node)
{
  g_autoptr (SimConfig) cfg = ping_config (3);
  cfg->duration_us = G_USEC_PER_SEC;
  SimFault f = node_fault (500000, SIM_FAULT_BYZANTINE, 0);
  g_strlcpy (f.behaviour, "silent", sizeof f.behaviour);
  add_fault (cfg, f);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 2);
  int calls = 0;
  sim_world_set_byzantine (w, silence, &calls);
  uint64_t before[4][4], after[4][4];
  run_until (w, 500000);
  recv_matrix (w, 3, before);
  sim_world_run (w);
  recv_matrix (w, 3, after);
  cr_expect_str_eq (sim_world_node_behaviour (w, 0), "silent");
  cr_expect_gt (calls, 90);
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++)
      if (a != b && a == 0)
        cr_expect_leq (after[a][b] - before[a][b], 1u, "n1 is silent (but for one in flight)");
      else if (a != b)
        cr_expect_geq (after[a][b] - before[a][b], 90u);
}

/* ---- Golden files ---------------------------------------------------------
 * Small runs whose trace and history are compared byte for byte with files
 * under tests/golden/.  A change in them is a reviewed change of the golden
 * file: DSIM_UPDATE_GOLDEN=1 rewrites them (then read the diff). */

static void
expect_golden (const char *name, const char *actual)
{
  g_autofree char *rel = g_strconcat ("tests/golden/", name, NULL);
  g_autofree char *path = test_source_path (rel);
  if (g_getenv ("DSIM_UPDATE_GOLDEN") != NULL) {
    cr_assert (g_file_set_contents (path, actual, -1, NULL));
    return;
  }
  g_autofree char *golden = NULL;
  GError *error = NULL;
  cr_assert (g_file_get_contents (path, &golden, NULL, &error), "%s", error->message);
  cr_expect_str_eq (actual, golden, "%s differs (DSIM_UPDATE_GOLDEN=1 rewrites it)", rel);
}

Test (world, golden_null_with_faults)
{
  g_autoptr (SimConfig) cfg = sim_config_new (proto_find ("null"));
  cfg->n_nodes = 3;
  cfg->duration_us = 20000;
  cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "tokens", "2", NULL));
  cfg->net.drop = 0.1;
  cfg->net.duplicate = 0.1;
  SimFault p = node_fault (8000, SIM_FAULT_PARTITION, 0);
  p.group[0] = 0;
  p.group[1] = p.group[2] = 1;
  add_fault (cfg, p);
  add_fault (cfg, node_fault (12000, SIM_FAULT_CRASH, 1));
  add_fault (cfg, node_fault (14000, SIM_FAULT_HEAL, 0));
  add_fault (cfg, node_fault (15000, SIM_FAULT_RESTART, 1));
  RunOutput r = run_to_memory (cfg, 5);
  expect_golden ("world-null-faults.trace.jsonl", r.trace);
  run_output_clear (&r);
}

Test (world, golden_clients_with_retries)
{
  g_autoptr (SimConfig) cfg = client_config (2);
  tkv_set (cfg, "drop_first_reply", "true");
  cfg->duration_us = 120000;
  cfg->workload.mix[PROTO_OP_WRITE] = 2;
  cfg->workload.max_retries = 2;
  SimFault pause = node_fault (60000, SIM_FAULT_PAUSE, 0);
  add_fault (cfg, pause);
  add_fault (cfg, node_fault (75000, SIM_FAULT_RESUME, 0));
  RunOutput r = run_to_memory (cfg, 7);
  expect_golden ("world-clients.trace.jsonl", r.trace);
  expect_golden ("world-clients.history.jsonl", r.history);
  run_output_clear (&r);
}

Test (world, a_run_whose_time_stops_ends_with_no_progress)
{
  g_autoptr (SimConfig) cfg = sim_config_new (proto_find ("null"));
  cfg->n_nodes = 2;
  cfg->net.latency_min_us = cfg->net.latency_max_us = 0;
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  sim_world_set_stall_limit (w, 5000);
  sim_world_run (w);
  const char *why = sim_world_invariant_failure (w);
  cr_assert_not_null (why, "tokens passed in zero time forever must not hang the run");
  cr_expect (g_str_has_prefix (why, "no-progress: 5000 events at virtual time 0us"), "%s", why);
  cr_expect_not_null (strstr (why, "last trace lines:\n{\"time\":0,"), "%s", why);
  cr_expect_eq (sim_world_stats (w)->events, 5001u);
}
