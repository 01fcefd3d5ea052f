/* test_pb.c: the primary-backup protocol, driven through its step functions
 * directly (no world): a tiny in-test network delivers messages in FIFO
 * order, or drops the ones a test names. */
#include <criterion/criterion.h>
#include <string.h>

#include "protocols/pb/pb.h"

#define N 3
#define NC 2

typedef struct {
  int from, to;
  GByteArray *bytes;
} TMsg;

typedef struct {
  const ProtoVTable *vt;
  PbConfig cfg;
  PbNode nodes[N];
  PbClient clients[NC];
  ProtoCtx ctx[N + NC];
  GQueue inflight;          /* TMsg* */
  ProtoOutbox out;
  int64_t deadline[N + NC];
  gboolean has_result[NC];
  ProtoResult result[NC];
  GPtrArray *marks;         /* every mark reached, in order */
  GString *notes;
  unsigned char ghost[sizeof (uint64_t) * 2 * PROTO_MAX_NODES];
} Cluster;

static void
msg_free (gpointer p)
{
  TMsg *m = p;
  g_byte_array_unref (m->bytes);
  g_free (m);
}

static void
collect (Cluster *c, int self)
{
  for (guint i = 0; i < c->out.msgs->len; i++) {
    ProtoOutMsg *om = &g_array_index (c->out.msgs, ProtoOutMsg, i);
    TMsg *m = g_new0 (TMsg, 1);
    m->from = self;
    m->to = om->to;
    m->bytes = g_byte_array_new ();
    g_byte_array_append (m->bytes, c->out.bytes->data + om->offset, om->len);
    g_queue_push_tail (&c->inflight, m);
  }
  for (guint i = 0; i < c->out.marks->len; i++)
    g_ptr_array_add (c->marks, c->out.marks->pdata[i]);
  if (c->out.notes->len > 0)
    g_string_append_printf (c->notes, "%s\n", c->out.notes->str);
  c->deadline[self] = c->out.deadline_us;
  if (self >= N && c->out.has_result) {
    c->has_result[self - N] = TRUE;
    c->result[self - N] = c->out.result;
  }
  proto_outbox_reset (&c->out);
}

static void
step (Cluster *c, int who, const ProtoEvent *ev)
{
  c->out.deadline_us = c->deadline[who];
  if (who < N)
    c->vt->step (&c->nodes[who], &c->ctx[who], ev, &c->out);
  else
    c->vt->client_step (&c->clients[who - N], &c->ctx[who], ev, &c->out);
  collect (c, who);
}

static gboolean
invariants_hold (Cluster *c, GString *why)
{
  const void *states[N];
  gboolean up[N];
  for (int i = 0; i < N; i++) {
    states[i] = &c->nodes[i];
    up[i] = TRUE;
  }
  return c->vt->check (c->ghost, states, up, c->ctx, N, why);
}

static void
cluster_init (Cluster *c)
{
  memset (c, 0, sizeof *c);
  c->vt = proto_find ("pb");
  cr_assert_not_null (c->vt);
  cr_assert_leq (c->vt->ghost_size, sizeof c->ghost);
  proto_config_defaults (c->vt, &c->cfg);
  g_queue_init (&c->inflight);
  proto_outbox_init (&c->out);
  c->marks = g_ptr_array_new ();
  c->notes = g_string_new (NULL);
  for (int i = 0; i < N + NC; i++) {
    c->ctx[i] = (ProtoCtx) { .self = i, .n_nodes = N, .n_clients = NC, .seed = 7,
                             .config = &c->cfg };
    c->deadline[i] = PROTO_NO_DEADLINE;
  }
  for (int i = 0; i < N; i++)
    step (c, i, &(ProtoEvent) { .kind = PROTO_EV_START, .now_us = 0 });
}

static void
cluster_clear (Cluster *c)
{
  g_queue_clear_full (&c->inflight, msg_free);
  proto_outbox_clear (&c->out);
  g_ptr_array_unref (c->marks);
  g_string_free (c->notes, TRUE);
}

/* Delivers the oldest message at time now; returns FALSE if none. */
static gboolean
deliver_one (Cluster *c, int64_t now_us)
{
  TMsg *m = g_queue_pop_head (&c->inflight);
  if (m == NULL)
    return FALSE;
  ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .now_us = now_us, .from = m->from,
                    .msg = m->bytes->data, .msg_len = m->bytes->len };
  step (c, m->to, &ev);
  msg_free (m);
  GString *why = g_string_new (NULL);
  cr_assert (invariants_hold (c, why), "invariant broken: %s", why->str);
  g_string_free (why, TRUE);
  return TRUE;
}

static void
deliver_all (Cluster *c, int64_t now_us)
{
  for (int guard = 0; guard < 10000 && deliver_one (c, now_us); guard++)
    ;
  cr_assert (g_queue_is_empty (&c->inflight), "messages keep flowing");
}

/* Drops every in-flight message from `from` (or to `to`; -1: any). */
static int
drop_where (Cluster *c, int from, int to)
{
  int dropped = 0;
  for (GList *l = c->inflight.head; l != NULL;) {
    GList *next = l->next;
    TMsg *m = l->data;
    if ((from < 0 || m->from == from) && (to < 0 || m->to == to)) {
      msg_free (m);
      g_queue_delete_link (&c->inflight, l);
      dropped++;
    }
    l = next;
  }
  return dropped;
}

static void
invoke (Cluster *c, int client, ProtoOpKind f, int key, int64_t value, int64_t expect,
        uint32_t seq, int64_t now_us)
{
  ProtoOp op = { .f = f, .key = key, .value = value, .expect = expect, .client = (uint32_t) client,
                 .seq = seq };
  c->has_result[client] = FALSE;
  step (c, N + client, &(ProtoEvent) { .kind = PROTO_EV_INVOKE, .now_us = now_us, .op = &op });
}

static gboolean
reached (Cluster *c, const char *mark)
{
  for (guint i = 0; i < c->marks->len; i++)
    if (strcmp (c->marks->pdata[i], mark) == 0)
      return TRUE;
  return FALSE;
}

/* Fires node i's timer at its deadline (skipping time forward). */
static int64_t
fire (Cluster *c, int i)
{
  int64_t at = c->deadline[i];
  cr_assert_neq (at, PROTO_NO_DEADLINE);
  step (c, i, &(ProtoEvent) { .kind = PROTO_EV_TIMEOUT, .now_us = at });
  return at;
}

Test (pb, n1_starts_primary_and_others_backups)
{
  Cluster c;
  cluster_init (&c);
  cr_expect_eq (c.nodes[0].role, PB_PRIMARY);
  cr_expect_eq (c.nodes[1].role, PB_BACKUP);
  cr_expect_eq (c.nodes[2].role, PB_BACKUP);
  cr_expect_eq (c.deadline[0], c.cfg.heartbeat_us, "primary wakes for its next heartbeat");
  cr_expect_eq (c.deadline[1], c.cfg.failover_timeout_us, "n2 is first in line");
  cr_expect_eq (c.deadline[2], 2 * c.cfg.failover_timeout_us, "n3 waits twice as long");
  cluster_clear (&c);
}

Test (pb, primary_acks_write_before_backups_have_it)
{
  Cluster c;
  cluster_init (&c);
  deliver_all (&c, 100);
  invoke (&c, 0, PROTO_OP_WRITE, 2, 41, 0, 1, 1000);
  deliver_one (&c, 1100); /* the request reaches n1 */
  /* n1 replied at once and has queued updates; nothing reached n2 yet. */
  cr_expect_eq (c.nodes[0].persist.kv[2].value, 41);
  cr_expect_eq (c.nodes[1].persist.kv[2].has_value, 0);
  deliver_all (&c, 1200);
  cr_assert (c.has_result[0]);
  cr_expect_eq (c.result[0].kind, PROTO_RESULT_OK);
  for (int i = 0; i < N; i++) {
    cr_expect_eq (c.nodes[i].persist.seq, 1, "n%d", i + 1);
    cr_expect_eq (c.nodes[i].persist.kv[2].value, 41, "n%d", i + 1);
  }
  invoke (&c, 1, PROTO_OP_READ, 2, 0, 0, 1, 2000);
  deliver_all (&c, 2100);
  cr_assert (c.has_result[1]);
  cr_expect (c.result[1].has_value);
  cr_expect_eq (c.result[1].value, 41);
  cluster_clear (&c);
}

Test (pb, cas_succeeds_only_on_the_expected_value)
{
  Cluster c;
  cluster_init (&c);
  invoke (&c, 0, PROTO_OP_CAS, 0, 5, 1, 1, 10);
  deliver_all (&c, 20);
  cr_expect_eq (c.result[0].kind, PROTO_RESULT_FAIL, "cas on nil fails");
  invoke (&c, 0, PROTO_OP_WRITE, 0, 1, 0, 2, 30);
  deliver_all (&c, 40);
  invoke (&c, 0, PROTO_OP_CAS, 0, 5, 1, 3, 50);
  deliver_all (&c, 60);
  cr_expect_eq (c.result[0].kind, PROTO_RESULT_OK);
  cr_expect_eq (c.nodes[2].persist.kv[0].value, 5);
  invoke (&c, 0, PROTO_OP_CAS, 0, 9, 1, 4, 70);
  deliver_all (&c, 80);
  cr_expect_eq (c.result[0].kind, PROTO_RESULT_FAIL);
  cr_expect_eq (c.nodes[0].persist.kv[0].value, 5);
  cluster_clear (&c);
}

Test (pb, backup_redirects_and_client_follows)
{
  Cluster c;
  cluster_init (&c);
  deliver_all (&c, 10);
  c.clients[0].target = 2; /* the client believes n3 is primary */
  invoke (&c, 0, PROTO_OP_WRITE, 0, 7, 0, 1, 100);
  deliver_all (&c, 200);
  cr_expect (reached (&c, "pb-redirect"));
  cr_assert (c.has_result[0]);
  cr_expect_eq (c.result[0].kind, PROTO_RESULT_OK);
  cr_expect_eq (c.clients[0].target, 0, "the client remembers the primary");
  cluster_clear (&c);
}

Test (pb, retried_write_applies_once)
{
  Cluster c;
  cluster_init (&c);
  deliver_all (&c, 10);
  invoke (&c, 0, PROTO_OP_WRITE, 0, 7, 0, 1, 100);
  deliver_one (&c, 110);            /* n1 applies and replies */
  cr_assert_eq (drop_where (&c, 0, N + 0), 1, "the reply is lost");
  deliver_all (&c, 120);
  cr_expect_not (c.has_result[0]);
  /* Retry rotates to n2, which redirects back to n1: same (client, seq). */
  step (&c, N, &(ProtoEvent) { .kind = PROTO_EV_RETRY, .now_us = 300 });
  deliver_all (&c, 310);
  cr_assert (c.has_result[0]);
  cr_expect_eq (c.result[0].kind, PROTO_RESULT_OK);
  cr_expect (reached (&c, "pb-duplicate-suppressed"));
  cr_expect_eq (c.nodes[0].persist.seq, 1, "applied once, not twice");
  cr_expect_eq (c.nodes[1].persist.seq, 1);
  cluster_clear (&c);
}

Test (pb, backup_applies_in_order_and_asks_for_gaps)
{
  Cluster c;
  cluster_init (&c);
  deliver_all (&c, 10);
  invoke (&c, 0, PROTO_OP_WRITE, 0, 1, 0, 1, 100);
  deliver_one (&c, 110);
  cr_assert_eq (drop_where (&c, 0, 1), 1, "update seq 1 to n2 is lost");
  invoke (&c, 0, PROTO_OP_WRITE, 0, 2, 0, 2, 200);
  deliver_all (&c, 210);
  cr_expect (reached (&c, "pb-gap"));
  cr_expect (reached (&c, "pb-resend"));
  cr_expect_eq (c.nodes[1].persist.seq, 2, "n2 caught up through the resend");
  cr_expect_eq (c.nodes[1].persist.kv[0].value, 2);
  cluster_clear (&c);
}

Test (pb, silent_primary_is_replaced_by_lowest_backup)
{
  Cluster c;
  cluster_init (&c);
  deliver_all (&c, 10);
  drop_where (&c, -1, -1);
  int64_t t = fire (&c, 1); /* n2's failover deadline: nobody heard n1 */
  cr_expect (reached (&c, "pb-promoted"));
  cr_expect_eq (c.nodes[1].role, PB_PRIMARY);
  cr_expect_eq (c.nodes[1].persist.epoch, 1, "epoch 1 is n2's (1 mod 3)");
  deliver_all (&c, t + 10);
  cr_expect_eq (c.nodes[2].primary, 1, "n3 follows n2");
  cr_expect_eq (c.nodes[2].role, PB_BACKUP);
  cr_expect_eq (c.nodes[2].persist.epoch, 1, "n3 took n2's snapshot");
  cr_expect_gt (c.deadline[2], t, "n3's failover timer restarted");
  cluster_clear (&c);
}

Test (pb, new_primary_brings_a_lagging_backup_up_with_a_snapshot)
{
  Cluster c;
  cluster_init (&c);
  deliver_all (&c, 10);
  invoke (&c, 0, PROTO_OP_WRITE, 3, 5, 0, 1, 100);
  deliver_one (&c, 110);
  cr_assert_eq (drop_where (&c, 0, 2), 1, "n3 never gets the update");
  deliver_all (&c, 120);
  cr_expect_eq (c.nodes[1].persist.kv[3].value, 5);
  cr_expect_eq (c.nodes[2].persist.kv[3].has_value, 0);
  drop_where (&c, -1, -1);
  int64_t t = fire (&c, 1);
  deliver_all (&c, t + 10);
  cr_expect (reached (&c, "pb-snapshot-installed"));
  cr_expect_eq (c.nodes[2].persist.epoch, 1);
  cr_expect_eq (c.nodes[2].persist.seq, 1);
  cr_expect_eq (c.nodes[2].persist.kv[3].has_value, 1, "the snapshot carries the data");
  cr_expect_eq (c.nodes[2].persist.kv[3].value, 5);
  cr_expect_eq (c.nodes[2].persist.clients[0].seq, 1, "and the reply table");
  cluster_clear (&c);
}

Test (pb, old_primary_steps_down_when_it_hears_a_newer_epoch)
{
  Cluster c;
  cluster_init (&c);
  deliver_all (&c, 10);
  drop_where (&c, -1, -1);
  int64_t t = fire (&c, 1);
  cr_expect_eq (c.nodes[0].role, PB_PRIMARY, "n1 does not know yet: two primaries");
  drop_where (&c, -1, -1);
  /* n1 heartbeats, n2 answers with its epoch: n1 steps down. */
  fire (&c, 0);
  deliver_all (&c, t + 10);
  cr_expect (reached (&c, "pb-stepped-down"));
  cr_expect_eq (c.nodes[0].role, PB_BACKUP);
  cr_expect_eq (c.nodes[0].primary, 1);
  cluster_clear (&c);
}

Test (pb, failover_loses_an_acknowledged_write)
{
  Cluster c;
  cluster_init (&c);
  deliver_all (&c, 10);
  invoke (&c, 0, PROTO_OP_WRITE, 0, 99, 0, 1, 100);
  deliver_one (&c, 110);
  cr_assert_eq (drop_where (&c, 0, 1) + drop_where (&c, 0, 2), 2, "updates never leave n1");
  deliver_all (&c, 120);
  cr_assert (c.has_result[0]);
  cr_expect_eq (c.result[0].kind, PROTO_RESULT_OK, "the write was acknowledged");
  /* n1 crashes: the world keeps persist and zeroes the rest. */
  memset ((char *) &c.nodes[0] + sizeof (PbPersist), 0, sizeof (PbNode) - sizeof (PbPersist));
  cr_expect_eq (c.nodes[0].persist.kv[0].value, 99, "persist survives the crash");
  int64_t t = fire (&c, 1);
  deliver_all (&c, t + 1);
  /* n1 restarts as a backup and adopts n2's data: the write is gone. */
  step (&c, 0, &(ProtoEvent) { .kind = PROTO_EV_START, .now_us = t + 100 });
  cr_expect_eq (c.nodes[0].role, PB_BACKUP);
  step (&c, 1, &(ProtoEvent) { .kind = PROTO_EV_TIMEOUT, .now_us = c.deadline[1] });
  deliver_all (&c, t + 200);
  cr_expect (reached (&c, "pb-snapshot-installed"));
  cr_expect_eq (c.nodes[0].persist.epoch, 1);
  cr_expect_eq (c.nodes[0].persist.kv[0].has_value, 0, "the acknowledged write is lost");
  invoke (&c, 1, PROTO_OP_READ, 0, 0, 0, 1, t + 300);
  c.clients[1].target = 1;
  deliver_all (&c, t + 310);
  cr_assert (c.has_result[1]);
  cr_expect_not (c.result[1].has_value, "a read after the acked write sees nil");
  cluster_clear (&c);
}

Test (pb, invariants_catch_divergent_replicas_and_going_back)
{
  Cluster c;
  cluster_init (&c);
  GString *why = g_string_new (NULL);
  cr_assert (invariants_hold (&c, why));
  c.nodes[1].persist.seq = 3;
  c.nodes[2].persist.seq = 3;
  c.nodes[1].persist.kv[4] = (PbCell) { .value = 1, .has_value = 1 };
  cr_expect_not (invariants_hold (&c, why));
  cr_expect (strstr (why->str, "replicas-agree: n2 and n3") != NULL, "%s", why->str);
  g_string_truncate (why, 0);
  c.nodes[2].persist.kv[4] = c.nodes[1].persist.kv[4];
  cr_assert (invariants_hold (&c, why), "%s", why->str);
  c.nodes[2].persist.seq = 2;
  c.nodes[2].persist.kv[4].value = 0;
  cr_expect_not (invariants_hold (&c, why));
  cr_expect (strstr (why->str, "apply-order: n3 went back") != NULL, "%s", why->str);
  g_string_free (why, TRUE);
  cluster_clear (&c);
}

Test (pb, garbage_messages_are_ignored)
{
  Cluster c;
  cluster_init (&c);
  Pcg32 rng;
  pcg32_seed (&rng, 11, 3);
  uint8_t buf[200];
  for (int round = 0; round < 20000; round++) {
    size_t len = pcg32_below (&rng, sizeof buf);
    for (size_t i = 0; i < len; i++)
      buf[i] = (uint8_t) pcg32_next (&rng);
    if (len >= 4) /* a valid type tag half the time */
      buf[0] = (uint8_t) (round % 2 ? buf[0] : 1 + pcg32_below (&rng, 6)), buf[1] = buf[2] = buf[3] = 0;
    int to = (int) pcg32_below (&rng, N + NC);
    int from = (int) pcg32_below (&rng, N + NC);
    ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .now_us = round, .from = from, .msg = buf,
                      .msg_len = len };
    step (&c, to, &ev);
    g_queue_clear_full (&c.inflight, msg_free);
  }
  cluster_clear (&c);
}

Test (pb, formats_messages_and_state)
{
  Cluster c;
  cluster_init (&c);
  invoke (&c, 0, PROTO_OP_WRITE, 1, 5, 0, 3, 10);
  TMsg *m = g_queue_peek_head (&c.inflight);
  g_autoptr (GString) s = g_string_new (NULL);
  c.vt->format_msg (m->bytes->data, m->bytes->len, s);
  cr_expect_str_eq (s->str, "Heartbeat(epoch 0, seq 0)");
  deliver_all (&c, 20);
  g_string_truncate (s, 0);
  c.vt->format_state (&c.nodes[1], &c.ctx[1], s);
  cr_expect_str_eq (s->str, "backup epoch=0 seq=1 primary=n1 k1=5");
  PbRequest req = { .type = PB_MSG_REQUEST, .f = PROTO_OP_CAS, .client = 1, .seq = 4, .key = 0,
                    .value = 8, .expect = 5 };
  g_string_truncate (s, 0);
  c.vt->format_msg (&req, sizeof req, s);
  cr_expect_str_eq (s->str, "Request(c2#4 cas k0 5->8)");
  g_string_truncate (s, 0);
  c.vt->format_msg ("xy", 2, s);
  cr_expect_str_eq (s->str, "?(2 bytes)");
  cluster_clear (&c);
}
