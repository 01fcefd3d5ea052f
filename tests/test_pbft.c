/* test_pbft.c: PBFT's handlers, one replica (or client stub) at a time: the
 * test hands it messages as if from given senders and reads its outbox. */
#include <criterion/criterion.h>

#include "protocols/pbft/pbft.h"

#include <string.h>

typedef struct {
  PbftConfig cfg;
  ProtoCtx ctx;
  PbftNode *node;
  ProtoOutbox out;
} One;

static One *
one_new (int self, int n_nodes, int bug)
{
  One *o = g_new0 (One, 1);
  proto_config_defaults (&proto_pbft, &o->cfg);
  o->cfg.bug = bug;
  o->ctx = (ProtoCtx) { .self = self, .n_nodes = n_nodes, .n_clients = 2, .seed = 7,
                        .config = &o->cfg };
  o->node = g_malloc0 (sizeof (PbftNode));
  proto_outbox_init (&o->out);
  ProtoEvent ev = { .kind = PROTO_EV_START };
  proto_pbft.step (o->node, &o->ctx, &ev, &o->out);
  return o;
}

static void
one_free (One *o)
{
  proto_outbox_clear (&o->out);
  g_free (o->node);
  g_free (o);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (One, one_free)

static void
deliver (One *o, int from, const void *msg, size_t len)
{
  proto_outbox_reset (&o->out);
  ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .now_us = 1000, .from = from, .msg = msg,
                    .msg_len = len };
  proto_pbft.step (o->node, &o->ctx, &ev, &o->out);
}

/* Messages of type `type` in the outbox, and to whom (bitmask). */
static int
sent (const One *o, uint8_t type, uint32_t *to_mask)
{
  int k = 0;
  if (to_mask != NULL)
    *to_mask = 0;
  for (guint i = 0; i < o->out.msgs->len; i++) {
    const ProtoOutMsg *m = &g_array_index (o->out.msgs, ProtoOutMsg, i);
    if (o->out.bytes->data[m->offset] == type) {
      k++;
      if (to_mask != NULL && m->to < 32)
        *to_mask |= 1u << m->to;
    }
  }
  return k;
}

static gboolean
reached (const One *o, const char *mark)
{
  for (guint i = 0; i < o->out.marks->len; i++)
    if (strcmp (g_ptr_array_index (o->out.marks, i), mark) == 0)
      return TRUE;
  return FALSE;
}

static PbftRequest
request (uint16_t client, uint32_t t, int64_t value)
{
  PbftRequest r;
  memset (&r, 0, sizeof r);
  r.kind = PBFT_OP_WRITE;
  r.client = client;
  r.t = t;
  r.value = value;
  pbft_request_sign (&r);
  return r;
}

static PbftPrePrepare
pre_prepare (uint64_t view, uint64_t seq, const PbftRequest *r)
{
  PbftPrePrepare m;
  memset (&m, 0, sizeof m);
  m.type = PBFT_MSG_PRE_PREPARE;
  m.view = view;
  m.seq = seq;
  m.req = *r;
  m.digest = pbft_request_digest (r);
  return m;
}

static PbftVote
vote (uint8_t type, uint64_t view, uint64_t seq, uint64_t digest)
{
  PbftVote m;
  memset (&m, 0, sizeof m);
  m.type = type;
  m.view = view;
  m.seq = seq;
  m.digest = digest;
  return m;
}

Test (pbft, quorums)
{
  cr_expect_eq (pbft_f (4), 1);
  cr_expect_eq (pbft_quorum (4), 3);
  cr_expect_eq (pbft_quorum (7), 5);
  cr_expect_eq (pbft_quorum (16), 11); /* f = 5 */
  cr_expect_eq (pbft_quorum (5), 4);   /* two quorums of 5 share f + 1 = 2 */
  cr_expect_eq (pbft_quorum (1), 1);
}

/* The primary assigns sequence number 1 and multicasts the pre-prepare. */
Test (pbft, primary_on_request_sends_pre_prepares)
{
  g_autoptr (One) o = one_new (0, 4, PBFT_BUG_NONE);
  PbftRequestMsg m = { .type = PBFT_MSG_REQUEST, .req = request (0, 1, 5) };
  deliver (o, 4, &m, sizeof m);
  uint32_t to;
  cr_expect_eq (sent (o, PBFT_MSG_PRE_PREPARE, &to), 3);
  cr_expect_eq (to, 0xeu, "to n2, n3, n4");
  cr_expect_eq (o->node->next_seq, 1);
  /* The same request again: not a second sequence number. */
  deliver (o, 4, &m, sizeof m);
  cr_expect_eq (sent (o, PBFT_MSG_PRE_PREPARE, NULL), 0);
  cr_expect_eq (o->node->next_seq, 1);
}

/* A client may not speak for another client. */
Test (pbft, request_in_another_clients_name_is_ignored)
{
  g_autoptr (One) o = one_new (0, 4, PBFT_BUG_NONE);
  PbftRequestMsg m = { .type = PBFT_MSG_REQUEST, .req = request (1, 1, 5) };
  deliver (o, 4, &m, sizeof m); /* endpoint 4 is client 0 */
  cr_expect_eq (sent (o, PBFT_MSG_PRE_PREPARE, NULL), 0);
  /* Nor may anyone change a signed request. */
  m.req = request (0, 1, 5);
  m.req.value = 6;
  deliver (o, 4, &m, sizeof m);
  cr_expect_eq (sent (o, PBFT_MSG_PRE_PREPARE, NULL), 0);
}

Test (pbft, backup_accepts_pre_prepare_and_prepares)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_NONE);
  PbftRequest r = request (0, 1, 5);
  PbftPrePrepare m = pre_prepare (0, 1, &r);
  deliver (o, 0, &m, sizeof m);
  uint32_t to;
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, &to), 3);
  cr_expect_eq (to, 0xdu, "to n1, n3, n4");
  cr_expect (o->node->log[1].has_pre_prepare);
  cr_expect_lt (o->node->vc_deadline_us, INT64_MAX, "waiting for the request: timer runs");
}

Test (pbft, backup_refuses_bad_pre_prepares)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_NONE);
  PbftRequest r = request (0, 1, 5);
  PbftPrePrepare m = pre_prepare (0, 1, &r);
  deliver (o, 2, &m, sizeof m); /* not from the primary of view 0 */
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, NULL), 0);
  PbftPrePrepare wrong_view = pre_prepare (1, 1, &r);
  deliver (o, 0, &wrong_view, sizeof wrong_view);
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, NULL), 0);
  PbftPrePrepare beyond = pre_prepare (0, 17, &r); /* H = 0 + 16 */
  deliver (o, 0, &beyond, sizeof beyond);
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, NULL), 0);
  PbftPrePrepare bad_digest = pre_prepare (0, 1, &r);
  bad_digest.digest ^= 1;
  deliver (o, 0, &bad_digest, sizeof bad_digest);
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, NULL), 0);
  cr_expect (reached (o, "digest-mismatch"));
  /* Accepted once; a second, different one for (v, n) is refused. */
  deliver (o, 0, &m, sizeof m);
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, NULL), 3);
  PbftRequest r2 = request (1, 1, 9);
  PbftPrePrepare other = pre_prepare (0, 1, &r2);
  deliver (o, 0, &other, sizeof other);
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, NULL), 0);
  cr_expect (reached (o, "conflicting-pre-prepare"));
  cr_expect_eq (o->node->log[1].digest, m.digest);
}

Test (pbft, no_digest_check_bug_takes_the_wrong_request)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_NO_DIGEST_CHECK);
  PbftRequest r = request (0, 1, 5);
  PbftPrePrepare m = pre_prepare (0, 1, &r);
  pbft_request_null (&m.req, 1);
  deliver (o, 0, &m, sizeof m);
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, NULL), 3);
}

/* 2f prepares make it prepared (commit goes out); 2f+1 commits make it
 * committed-local: executed, and the client gets its reply. */
Test (pbft, prepared_then_committed_then_executed)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_NONE);
  PbftRequest r = request (0, 1, 5);
  PbftPrePrepare m = pre_prepare (0, 1, &r);
  deliver (o, 0, &m, sizeof m);
  PbftVote p = vote (PBFT_MSG_PREPARE, 0, 1, m.digest);
  deliver (o, 0, &p, sizeof p); /* from the primary: does not count */
  cr_expect_eq (sent (o, PBFT_MSG_COMMIT, NULL), 0);
  PbftVote p_other = vote (PBFT_MSG_PREPARE, 0, 1, m.digest ^ 2);
  deliver (o, 2, &p_other, sizeof p_other); /* another digest: does not count */
  cr_expect_eq (sent (o, PBFT_MSG_COMMIT, NULL), 0);
  deliver (o, 3, &p, sizeof p); /* own + n4: 2f = 2 */
  cr_expect_eq (sent (o, PBFT_MSG_COMMIT, NULL), 3);
  cr_expect (o->node->log[1].is_prepared);
  PbftVote c = vote (PBFT_MSG_COMMIT, 0, 1, m.digest);
  deliver (o, 0, &c, sizeof c); /* own + n1: 2 of 3 */
  cr_expect_not (o->node->log[1].is_committed);
  cr_expect_eq (o->node->last_exec, 0);
  deliver (o, 3, &c, sizeof c);
  cr_expect (o->node->log[1].is_committed);
  cr_expect_eq (o->node->last_exec, 1);
  uint32_t to;
  cr_expect_eq (sent (o, PBFT_MSG_REPLY, &to), 1);
  cr_expect_eq (to, 1u << 4, "to c1");
  cr_expect (o->node->machine.kv[0].has_value && o->node->machine.kv[0].value == 5);
  cr_expect_eq (o->node->vc_deadline_us, INT64_MAX, "nothing pending: timer stopped");
  /* The request again, from the client: the stored reply, not a second
   * execution. */
  PbftRequestMsg again = { .type = PBFT_MSG_REQUEST, .req = r };
  deliver (o, 4, &again, sizeof again);
  cr_expect_eq (sent (o, PBFT_MSG_REPLY, NULL), 1);
  cr_expect_eq (o->node->machine.sessions[0].t, 1);
}

/* With the seeded bug, the 2f prepares are enough: committed without a
 * single commit from another replica. */
Test (pbft, commit_bug_commits_on_prepares)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_COMMIT_WITH_2F_PREPARES);
  PbftRequest r = request (0, 1, 5);
  PbftPrePrepare m = pre_prepare (0, 1, &r);
  deliver (o, 0, &m, sizeof m);
  cr_expect_not (o->node->log[1].is_committed);
  PbftVote p = vote (PBFT_MSG_PREPARE, 0, 1, m.digest);
  deliver (o, 3, &p, sizeof p);
  cr_expect (o->node->log[1].is_committed);
  cr_expect_eq (o->node->last_exec, 1);
}

/* 2f+1 matching checkpoints make it stable: the log below is dropped and
 * the water marks move. */
Test (pbft, checkpoint_becomes_stable_and_collects_garbage)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_NONE);
  for (uint32_t t = 1; t <= 8; t++) {
    PbftRequest r = request (0, t, t);
    PbftPrePrepare m = pre_prepare (0, t, &r);
    deliver (o, 0, &m, sizeof m);
    PbftVote p = vote (PBFT_MSG_PREPARE, 0, t, m.digest);
    deliver (o, 3, &p, sizeof p);
    PbftVote c = vote (PBFT_MSG_COMMIT, 0, t, m.digest);
    deliver (o, 0, &c, sizeof c);
    deliver (o, 3, &c, sizeof c);
  }
  cr_assert_eq (o->node->last_exec, 8);
  cr_expect_eq (sent (o, PBFT_MSG_CHECKPOINT, NULL), 3, "checkpoint 8 multicast");
  cr_expect_eq (o->node->stable.seq, 0);
  PbftCheckpointMsg ck = { .type = PBFT_MSG_CHECKPOINT, .seq = 8,
                           .digest = pbft_machine_digest (&o->node->machine, 8) };
  deliver (o, 0, &ck, sizeof ck);
  cr_expect_eq (o->node->stable.seq, 0, "2 of 3");
  PbftCheckpointMsg wrong = ck;
  wrong.digest ^= 4;
  deliver (o, 2, &wrong, sizeof wrong);
  cr_expect_eq (o->node->stable.seq, 0, "a different digest does not count");
  deliver (o, 3, &ck, sizeof ck);
  cr_expect_eq (o->node->stable.seq, 8);
  cr_expect (reached (o, "checkpoint-stable"));
  cr_expect_eq (pbft_slot_peek (o->node, 8), NULL, "slot 8 collected");
  /* H moved to 24: a pre-prepare for 20 is now accepted. */
  PbftRequest r = request (1, 1, 1);
  PbftPrePrepare m = pre_prepare (0, 20, &r);
  deliver (o, 0, &m, sizeof m);
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, NULL), 3);
}

/* The view-change timer fires: VIEW-CHANGE for view 1 with the prepared
 * request in P, and the next timeout is twice as long. */
Test (pbft, view_change_timer_sends_view_change_with_certificates)
{
  g_autoptr (One) o = one_new (2, 4, PBFT_BUG_NONE);
  PbftRequest r = request (0, 1, 5);
  PbftPrePrepare m = pre_prepare (0, 1, &r);
  deliver (o, 0, &m, sizeof m);
  PbftVote p = vote (PBFT_MSG_PREPARE, 0, 1, m.digest);
  deliver (o, 3, &p, sizeof p);
  cr_assert (o->node->log[1].is_prepared);
  int64_t t = o->node->vc_deadline_us;
  proto_outbox_reset (&o->out);
  ProtoEvent ev = { .kind = PROTO_EV_TIMEOUT, .now_us = t };
  proto_pbft.step (o->node, &o->ctx, &ev, &o->out);
  cr_expect_eq (sent (o, PBFT_MSG_VIEW_CHANGE, NULL), 3);
  cr_expect_eq (o->node->view, 1);
  cr_expect (o->node->is_view_changing);
  const PbftViewChange *vc = &o->node->vcs[2];
  cr_expect_eq (vc->head.n_p, 1);
  cr_expect_eq (vc->p[0].digest, m.digest);
  cr_expect_eq (vc->head.n_q, 1);
  /* The new-view timer waits for 2f+1 view changes for view 1 (OSDI
   * 4.5.2): alone, the replica stays in view 1 however long it waits. */
  cr_expect_eq (o->node->vc_deadline_us, INT64_MAX);
  cr_expect_eq (o->node->vc_timeout_us, 200000);
  PbftViewChange other;
  memset (&other, 0, sizeof other);
  other.head.type = PBFT_MSG_VIEW_CHANGE;
  other.head.view = 1;
  other.head.n_c = 1;
  uint8_t buf[sizeof other];
  size_t len = pbft_view_change_wire (&other, buf, sizeof buf);
  deliver (o, 0, buf, len);
  cr_expect_eq (o->node->vc_deadline_us, INT64_MAX, "two of three");
  deliver (o, 3, buf, len);
  cr_expect_eq (o->node->vc_deadline_us - 1000, 200000, "started at the third");
  cr_expect_eq (o->node->vc_timeout_us, 400000, "doubled for the next one");
  /* Prepares of view 0 are no longer accepted. */
  deliver (o, 1, &p, sizeof p);
  cr_expect_eq (sent (o, PBFT_MSG_COMMIT, NULL), 0);
}

/* The decision procedure over hand-made view-change messages (TOCS
 * Figure 4): a request prepared at one replica and pre-prepared at f + 1
 * is chosen; with nothing prepared, the null request; with the
 * certificate and nothing else vouching, no decision. */
static void
put_vc (PbftNode *node, int j, uint64_t view, const PbftPEntry *p, int n_q_with_p)
{
  PbftViewChange *vc = &node->vcs[j];
  memset (vc, 0, sizeof *vc);
  vc->head.type = PBFT_MSG_VIEW_CHANGE;
  vc->head.view = view;
  vc->head.n_c = 1;
  if (p != NULL) {
    vc->p[vc->head.n_p++] = *p;
  }
  for (int k = 0; k < n_q_with_p && p != NULL; k++)
    vc->q[vc->head.n_q++] = (PbftQEntry) { .seq = p->seq, .view = p->view, .digest = p->digest };
  node->vc_digest[j] = 100 + (uint64_t) j;
}

Test (pbft, decision_procedure)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_NONE);
  PbftRequest r = request (0, 1, 5);
  PbftPEntry p = { .seq = 1, .view = 0, .digest = pbft_request_digest (&r), .req = r };
  PbftNewView nv;
  /* n1 prepared it; n3 pre-prepared it; n4 knows nothing. */
  put_vc (o->node, 0, 1, &p, 1);
  put_vc (o->node, 2, 1, NULL, 0);
  o->node->vcs[2].q[o->node->vcs[2].head.n_q++] = (PbftQEntry) { .seq = 1, .digest = p.digest };
  put_vc (o->node, 3, 1, NULL, 0);
  cr_assert (pbft_decide (o->node, &o->ctx, 1, 0xdu, &nv));
  cr_expect_eq (nv.head.n_x, 1);
  cr_expect_eq (nv.x[0].digest, p.digest, "A1 and A2 hold: the prepared request");
  /* Only the certificate vouches (the others forgot): neither A2 nor B. */
  put_vc (o->node, 2, 1, NULL, 0);
  cr_expect_not (pbft_decide (o->node, &o->ctx, 1, 0xdu, &nv));
  /* Nobody prepared anything: B, the null request... or nothing at all. */
  put_vc (o->node, 0, 1, NULL, 0);
  cr_assert (pbft_decide (o->node, &o->ctx, 1, 0xdu, &nv));
  cr_expect_eq (nv.head.n_x, 0);
  /* Fewer than 2f + 1 messages: no decision. */
  cr_expect_not (pbft_decide (o->node, &o->ctx, 1, 0x5u, &nv));
}

/* A NEW-VIEW that does not follow from its view-change messages is
 * rejected. */
Test (pbft, backup_rejects_a_made_up_new_view)
{
  g_autoptr (One) o = one_new (2, 4, PBFT_BUG_NONE);
  put_vc (o->node, 0, 1, NULL, 0);
  put_vc (o->node, 2, 1, NULL, 0);
  put_vc (o->node, 3, 1, NULL, 0);
  o->node->view = 1;
  o->node->is_view_changing = TRUE;
  PbftNewView nv;
  cr_assert (pbft_decide (o->node, &o->ctx, 1, 0xdu, &nv));
  PbftRequest r = request (0, 1, 5);
  nv.x[nv.head.n_x++] = (PbftPEntry) { .seq = 1, .digest = pbft_request_digest (&r), .req = r };
  uint8_t buf[sizeof nv];
  size_t len = pbft_new_view_wire (&nv, buf, sizeof buf);
  deliver (o, 1, buf, len);
  cr_expect (reached (o, "new-view-rejected"));
  cr_expect (o->node->is_view_changing);
  nv.head.n_x = 0;
  len = pbft_new_view_wire (&nv, buf, sizeof buf);
  deliver (o, 1, buf, len);
  cr_expect (reached (o, "new-view"));
  cr_expect_not (o->node->is_view_changing);
}

/* The client accepts after f + 1 matching replies (one with the bug). */
static void
client_reply (PbftClient *c, const ProtoCtx *ctx, ProtoOutbox *out, int from, int64_t value)
{
  PbftReply r;
  memset (&r, 0, sizeof r);
  r.type = PBFT_MSG_REPLY;
  r.is_ok = 1;
  r.has_value = 1;
  r.t = 1;
  r.value = value;
  proto_outbox_reset (out);
  ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .from = from, .msg = &r, .msg_len = sizeof r };
  pbft_client_step (c, ctx, &ev, out);
}

static void
client_case (int bug, int replies_before_accept)
{
  PbftConfig cfg;
  proto_config_defaults (&proto_pbft, &cfg);
  cfg.bug = bug;
  ProtoCtx ctx = { .self = 4, .n_nodes = 4, .n_clients = 1, .config = &cfg };
  PbftClient c;
  memset (&c, 0, sizeof c);
  ProtoOutbox out;
  proto_outbox_init (&out);
  ProtoOp op = { .f = PROTO_OP_READ, .key = 0, .client = 0, .seq = 1 };
  ProtoEvent inv = { .kind = PROTO_EV_INVOKE, .op = &op };
  pbft_client_step (&c, &ctx, &inv, &out);
  cr_expect_eq (out.msgs->len, 1, "to the primary only");
  client_reply (&c, &ctx, &out, 1, 99); /* a liar */
  if (replies_before_accept == 1) {
    cr_expect (out.has_result);
    cr_expect_eq (out.result.value, 99);
  } else {
    cr_expect_not (out.has_result);
    client_reply (&c, &ctx, &out, 2, 7);
    cr_expect_not (out.has_result, "7 once, 99 once");
    client_reply (&c, &ctx, &out, 3, 7);
    cr_expect (out.has_result);
    cr_expect_eq (out.result.value, 7);
  }
  proto_outbox_clear (&out);
}

Test (pbft, client_accepts_after_f_plus_one_matching_replies)
{
  client_case (PBFT_BUG_NONE, 2);
  client_case (PBFT_BUG_CLIENT_ACCEPTS_FIRST_REPLY, 1);
}

/* Lies in PBFT's terms: equivocation makes a consistent second story, a
 * lie in a view change drops the certificates, and camp 0 hears the truth. */
Test (pbft, tamper)
{
  Pcg32 rng;
  pcg32_seed (&rng, 1, 1);
  PbftRequest r = request (0, 1, 5);
  PbftPrePrepare m = pre_prepare (0, 1, &r);
  PbftPrePrepare lie = m;
  size_t len = sizeof lie;
  cr_expect_not (pbft_tamper (NULL, NULL, (uint8_t *) &lie, &len, PROTO_TAMPER_VALUE, 0, &rng));
  cr_expect (pbft_tamper (NULL, NULL, (uint8_t *) &lie, &len, PROTO_TAMPER_VALUE, 1, &rng));
  cr_expect_eq (lie.req.kind, PBFT_OP_NULL);
  cr_expect_eq (lie.digest, pbft_request_digest (&lie.req), "a consistent lie");
  PbftVote v = vote (PBFT_MSG_PREPARE, 0, 1, m.digest);
  len = sizeof v;
  cr_expect (pbft_tamper (NULL, NULL, (uint8_t *) &v, &len, PROTO_TAMPER_VALUE, 1, &rng));
  cr_expect_eq (v.digest, lie.digest, "votes follow the same story");
  PbftPrePrepare bad = m;
  len = sizeof bad;
  cr_expect (pbft_tamper (NULL, NULL, (uint8_t *) &bad, &len, PROTO_TAMPER_DIGEST, 1, &rng));
  cr_expect_neq (bad.digest, pbft_request_digest (&bad.req));
  g_autoptr (One) o = one_new (2, 4, PBFT_BUG_NONE);
  PbftPEntry p = { .seq = 1, .view = 0, .digest = m.digest, .req = r };
  put_vc (o->node, 2, 1, &p, 1);
  uint8_t buf[sizeof (PbftViewChange)];
  len = pbft_view_change_wire (&o->node->vcs[2], buf, sizeof buf);
  size_t full = len;
  cr_expect (pbft_tamper (NULL, NULL, buf, &len, PROTO_TAMPER_FORGET, 0, &rng));
  cr_expect_lt (len, full);
  PbftViewChange parsed;
  cr_assert (pbft_view_change_parse (buf, len, &parsed));
  cr_expect_eq (parsed.head.n_p, 0);
  cr_expect_eq (parsed.head.n_q, 0);
}

/* Garbled messages are ignored, never a crash. */
Test (pbft, garbled_messages_are_ignored)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_NONE);
  Pcg32 rng;
  pcg32_seed (&rng, 3, 3);
  uint8_t buf[sizeof (PbftViewChange)];
  for (int i = 0; i < 20000; i++) {
    size_t len = pcg32_below (&rng, 200);
    for (size_t k = 0; k < len; k++)
      buf[k] = (uint8_t) pcg32_next (&rng);
    if (len > 0)
      buf[0] = (uint8_t) (1 + pcg32_below (&rng, 10));
    deliver (o, (int) pcg32_below (&rng, 6), buf, len);
  }
  cr_expect_eq (o->node->last_exec, 0);
}

/* A replica done with a slot answers another replica's resent vote for it
 * (that replica lost a vote it needed, and nobody else resends): its own
 * prepare and commit, to that replica only.  A first vote, or an answer,
 * is not answered, so two replicas that both committed never echo. */
static void
commit_slot_one (One *o, PbftPrePrepare *m)
{
  PbftRequest r = request (0, 1, 5);
  *m = pre_prepare (0, 1, &r);
  deliver (o, 0, m, sizeof *m);
  PbftVote p = vote (PBFT_MSG_PREPARE, 0, 1, m->digest);
  deliver (o, 3, &p, sizeof p);
  PbftVote c = vote (PBFT_MSG_COMMIT, 0, 1, m->digest);
  deliver (o, 0, &c, sizeof c);
  deliver (o, 3, &c, sizeof c);
  cr_assert (o->node->log[1].is_committed);
}

Test (pbft, committed_replica_answers_a_resent_vote)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_NONE);
  PbftPrePrepare m;
  commit_slot_one (o, &m);
  PbftVote p = vote (PBFT_MSG_PREPARE, 0, 1, m.digest);
  deliver (o, 2, &p, sizeof p);
  cr_expect_eq (o->out.msgs->len, 0, "a first vote of n3 arriving late: no answer");
  p.how = PBFT_VOTE_RESENT;
  deliver (o, 2, &p, sizeof p);
  uint32_t to;
  cr_expect_eq (sent (o, PBFT_MSG_PREPARE, &to), 1);
  cr_expect_eq (to, 1u << 2, "to n3 only");
  cr_expect_eq (sent (o, PBFT_MSG_COMMIT, &to), 1);
  cr_expect_eq (to, 1u << 2);
  cr_expect (reached (o, "lagging-replica-answered"));
  const ProtoOutMsg *om = &g_array_index (o->out.msgs, ProtoOutMsg, 0);
  PbftVote answer;
  memcpy (&answer, o->out.bytes->data + om->offset, sizeof answer);
  cr_expect_eq (answer.how, PBFT_VOTE_ANSWER);
  cr_expect_eq (answer.digest, m.digest);
  /* An answer, or a resent vote for another digest or view: no answer. */
  p.how = PBFT_VOTE_ANSWER;
  deliver (o, 2, &p, sizeof p);
  cr_expect_eq (o->out.msgs->len, 0);
  PbftVote other = vote (PBFT_MSG_COMMIT, 0, 1, m.digest ^ 2);
  other.how = PBFT_VOTE_RESENT;
  deliver (o, 2, &other, sizeof other);
  cr_expect_eq (o->out.msgs->len, 0);
  /* A resent commit is answered the same way. */
  PbftVote c = vote (PBFT_MSG_COMMIT, 0, 1, m.digest);
  c.how = PBFT_VOTE_RESENT;
  deliver (o, 3, &c, sizeof c);
  cr_expect_eq (sent (o, PBFT_MSG_COMMIT, &to), 1);
  cr_expect_eq (to, 1u << 3);
}

/* The resend timer marks the votes it repeats, so they are answered. */
Test (pbft, resent_votes_are_marked)
{
  g_autoptr (One) o = one_new (2, 4, PBFT_BUG_NONE);
  PbftRequest r = request (0, 1, 5);
  PbftPrePrepare m = pre_prepare (0, 1, &r);
  deliver (o, 0, &m, sizeof m);
  proto_outbox_reset (&o->out);
  ProtoEvent ev = { .kind = PROTO_EV_TIMEOUT, .now_us = o->node->resend_deadline_us };
  proto_pbft.step (o->node, &o->ctx, &ev, &o->out);
  cr_assert_eq (sent (o, PBFT_MSG_PREPARE, NULL), 3);
  const ProtoOutMsg *om = &g_array_index (o->out.msgs, ProtoOutMsg, 0);
  PbftVote v;
  memcpy (&v, o->out.bytes->data + om->offset, sizeof v);
  cr_expect_eq (v.how, PBFT_VOTE_RESENT);
}

/* A view-change message reaches the new primary only with 2f-1 acks
 * (TOCS 4.5): n2, primary of view 1 among 4 (f = 1, one ack needed),
 * holds view changes from n1, n3 and n4 but puts n4's in S only once n3
 * acked the same digest; a replica acks what it receives to the primary. */
static void
receive_vc (One *o, int from, uint64_t view)
{
  PbftViewChange vc;
  memset (&vc, 0, sizeof vc);
  vc.head.type = PBFT_MSG_VIEW_CHANGE;
  vc.head.view = view;
  vc.head.n_c = 1;
  uint8_t buf[sizeof vc];
  size_t len = pbft_view_change_wire (&vc, buf, sizeof buf);
  deliver (o, from, buf, len);
}

Test (pbft, new_primary_waits_for_view_change_acks)
{
  g_autoptr (One) o = one_new (1, 4, PBFT_BUG_NONE);
  pbft_view_change_start (o->node, &o->ctx, 1, 1000, &o->out);
  receive_vc (o, 0, 1);
  receive_vc (o, 2, 1);
  cr_expect_eq (sent (o, PBFT_MSG_VIEW_CHANGE_ACK, NULL), 0, "the primary acks no one");
  receive_vc (o, 3, 1);
  cr_expect_not (reached (o, "new-view-sent"), "n1, n3 and n4 unacked: S has n2 alone");
  cr_expect (o->node->is_view_changing);
  PbftVcAck ack = { .type = PBFT_MSG_VIEW_CHANGE_ACK, .node = 3, .view = 1,
                    .digest = o->node->vc_digest[3] ^ 4 };
  deliver (o, 2, &ack, sizeof ack);
  cr_expect_not (reached (o, "new-view-sent"), "an ack for another digest does not count");
  ack.digest = o->node->vc_digest[3];
  deliver (o, 3, &ack, sizeof ack);
  cr_expect_not (reached (o, "new-view-sent"), "n4 cannot ack its own");
  deliver (o, 2, &ack, sizeof ack);
  cr_expect_not (reached (o, "new-view-sent"), "n2 and n4: two of three");
  ack.node = 0;
  ack.digest = o->node->vc_digest[0];
  deliver (o, 2, &ack, sizeof ack);
  cr_expect (reached (o, "new-view-sent"));
  cr_expect_eq (o->node->new_view.head.vc_digest[2], 0, "n3's own message had no ack");
  cr_expect_neq (o->node->new_view.head.vc_digest[3], 0);

  /* A backup acks a view change to the primary of its view. */
  g_autoptr (One) b = one_new (2, 4, PBFT_BUG_NONE);
  receive_vc (b, 3, 1);
  uint32_t to;
  cr_expect_eq (sent (b, PBFT_MSG_VIEW_CHANGE_ACK, &to), 1);
  cr_expect_eq (to, 1u << 1, "to n2, primary of view 1");
}

/* A backup whose NEW-VIEW names a view change it does not hold (here n4
 * sent it another one) asks for it, and believes a relayed copy from n4
 * itself at once, or from f + 1 = 2 other replicas; then it checks the
 * NEW-VIEW again and enters the view. */
Test (pbft, backup_fetches_a_named_view_change)
{
  for (int from_sender = 0; from_sender <= 1; from_sender++) {
    g_autoptr (One) o = one_new (2, 4, PBFT_BUG_NONE);
    PbftViewChange vc;
    memset (&vc, 0, sizeof vc);
    vc.head.type = PBFT_MSG_VIEW_CHANGE;
    vc.head.view = 1;
    vc.head.n_c = 1;
    PbftViewChange other = vc;
    other.head.h = 0;
    other.c[0].digest = 77; /* n4 equivocates: another checkpoint digest */
    uint8_t buf[sizeof vc], obuf[sizeof vc];
    size_t len = pbft_view_change_wire (&vc, buf, sizeof buf);
    size_t olen = pbft_view_change_wire (&other, obuf, sizeof obuf);
    deliver (o, 0, buf, len);
    deliver (o, 1, buf, len);
    deliver (o, 3, obuf, olen);
    receive_vc (o, 2, 1); /* not from itself: let it start its own */
    o->node->view = 1;
    o->node->is_view_changing = TRUE;
    o->node->vcs[2] = vc;
    o->node->vc_digest[2] = pbft_bytes_digest (buf, len);
    PbftNewView nv;
    memset (&nv, 0, sizeof nv);
    nv.head.type = PBFT_MSG_NEW_VIEW;
    nv.head.view = 1;
    for (int j = 0; j < 4; j++)
      if (j != 2)
        nv.head.vc_digest[j] = pbft_bytes_digest (buf, len);
    uint8_t nbuf[sizeof nv];
    size_t nlen = pbft_new_view_wire (&nv, nbuf, sizeof nbuf);
    deliver (o, 1, nbuf, nlen);
    cr_expect_not (reached (o, "new-view"));
    uint32_t to;
    cr_expect_eq (sent (o, PBFT_MSG_VC_FETCH, &to), 3, "asks everyone for n4's");
    uint8_t relay[sizeof (PbftVcRelayHead) + sizeof vc];
    PbftVcRelayHead head = { .type = PBFT_MSG_VC_RELAY, .node = 3 };
    memcpy (relay, &head, sizeof head);
    memcpy (relay + sizeof head, buf, len);
    if (from_sender) {
      deliver (o, 3, relay, sizeof head + len);
    } else {
      deliver (o, 1, relay, sizeof head + len);
      cr_expect_not (reached (o, "view-change-relayed"), "one replica vouches: not enough");
      deliver (o, 1, relay, sizeof head + len);
      cr_expect_not (reached (o, "view-change-relayed"), "the same one twice: not enough");
      deliver (o, 0, relay, sizeof head + len);
    }
    cr_expect (reached (o, "view-change-relayed"));
    cr_expect (reached (o, "new-view"));
    cr_expect_not (o->node->is_view_changing);
  }
}

/* A replica answers VC-FETCH with the message it holds, if it is the one
 * named. */
Test (pbft, replica_relays_a_view_change)
{
  g_autoptr (One) o = one_new (2, 4, PBFT_BUG_NONE);
  receive_vc (o, 3, 1);
  PbftVcAck ask = { .type = PBFT_MSG_VC_FETCH, .node = 3, .view = 1,
                    .digest = o->node->vc_digest[3] ^ 8 };
  deliver (o, 0, &ask, sizeof ask);
  cr_expect_eq (o->out.msgs->len, 0, "another digest: nothing");
  ask.digest = o->node->vc_digest[3];
  deliver (o, 0, &ask, sizeof ask);
  uint32_t to;
  cr_expect_eq (sent (o, PBFT_MSG_VC_RELAY, &to), 1);
  cr_expect_eq (to, 1u << 0);
}

/* One replica (f = 0, quorums of one) executes a request on its own: no
 * other replica's prepare will come to make it look at the slot. */
Test (pbft, a_single_replica_executes_alone)
{
  g_autoptr (One) o = one_new (0, 1, PBFT_BUG_NONE);
  PbftRequest r = request (0, 1, 5);
  PbftRequestMsg m = { .type = PBFT_MSG_REQUEST, .req = r };
  deliver (o, 1, &m, sizeof m);
  cr_expect_eq (o->node->last_exec, 1);
  uint32_t to;
  cr_expect_eq (sent (o, PBFT_MSG_REPLY, &to), 1);
  cr_expect_eq (to, 1u << 1, "to c1");
}
