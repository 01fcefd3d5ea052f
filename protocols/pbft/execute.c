/* execute.c: executing committed requests in sequence order, replies,
 * checkpoints and garbage collection, and the view-change timer. */
#include "protocols/pbft/pbft.h"

#include <string.h>

void
pbft_reply (const PbftNode *node, const ProtoCtx *ctx, ProtoOutbox *out, int client)
{
  const PbftSession *s = &node->machine.sessions[client];
  PbftReply r;
  memset (&r, 0, sizeof r);
  r.type = PBFT_MSG_REPLY;
  r.is_ok = s->is_ok;
  r.has_value = s->has_value;
  r.t = s->t;
  r.view = node->view;
  r.value = s->value;
  proto_outbox_send (out, ctx->n_nodes + client, &r, sizeof r);
}

/* 4.1: "Each replica i executes the operation requested by m after
 * committed-local(m, v, n, i) is true and i's state reflects the sequential
 * execution of all requests with lower sequence numbers."  "If the request
 * timestamp is not greater than the last reply timestamp for the client,
 * ... the replica does not execute it" (at most once), and re-sends the
 * stored reply when the timestamp equals it. */
static void
apply (PbftNode *node, const ProtoCtx *ctx, const PbftRequest *req, ProtoOutbox *out)
{
  PbftMachine *m = &node->machine;
  m->exec_chain = pbft_mix (m->exec_chain, pbft_request_digest (req));
  if (req->kind == PBFT_OP_NULL)
    return;
  PbftSession *s = &m->sessions[req->client];
  if (req->t < s->t)
    return;
  if (req->t == s->t) {
    proto_outbox_mark (out, "duplicate-request-suppressed");
    pbft_reply (node, ctx, out, req->client);
    return;
  }
  PbftCell *cell = &m->kv[req->key];
  s->t = req->t;
  s->is_ok = TRUE;
  s->has_value = FALSE;
  s->value = 0;
  switch ((PbftOpKind) req->kind) {
  case PBFT_OP_READ:
    s->has_value = cell->has_value;
    s->value = cell->value;
    break;
  case PBFT_OP_WRITE:
    cell->value = req->value;
    cell->has_value = TRUE;
    break;
  case PBFT_OP_CAS:
    if (cell->has_value && cell->value == req->expect) {
      cell->value = req->value;
    } else {
      s->is_ok = FALSE;
    }
    break;
  case PBFT_OP_NULL:
    break;
  }
  node->pending[req->client].is_pending = FALSE;
  pbft_reply (node, ctx, out, req->client);
}

/* 4.3: "a replica produces a checkpoint ... when a request with a sequence
 * number divisible by some constant is executed", and multicasts
 * ⟨CHECKPOINT, n, d, i⟩. */
static void
checkpoint_make (PbftNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  uint64_t seq = node->last_exec;
  /* The oldest own checkpoint gives way; the stable one is kept apart. */
  PbftCheckpoint *slot = &node->own[0];
  uint64_t oldest = UINT64_MAX;
  for (int i = 0; i < PBFT_CKPT_RING; i++)
    if (node->own[i].seq < oldest) {
      oldest = node->own[i].seq;
      slot = &node->own[i];
    }
  slot->seq = seq;
  slot->machine = node->machine;
  slot->digest = pbft_machine_digest (&node->machine, seq);
  PbftCheckpointMsg m;
  memset (&m, 0, sizeof m);
  m.type = PBFT_MSG_CHECKPOINT;
  m.seq = seq;
  m.digest = slot->digest;
  pbft_replica_on_checkpoint (node, ctx, ctx->self, &m, 0, out);
  pbft_send_all (ctx, out, &m, sizeof m);
}

void
pbft_execute (PbftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PbftConfig *cfg = ctx->config;
  gboolean did = FALSE;
  for (;;) {
    const PbftSlot *s = pbft_slot_peek (node, node->last_exec + 1);
    if (s == NULL || !s->is_committed || node->is_fetching)
      break;
    node->last_exec++;
    apply (node, ctx, &s->req, out);
    did = TRUE;
    if (node->last_exec % (uint64_t) cfg->checkpoint_interval == 0)
      checkpoint_make (node, ctx, out);
  }
  if (did) {
    proto_outbox_sync (out);
    /* 4.5.2: the view-change timeout doubles until a request executes in
     * the new view; then it is back to T. */
    if (!node->is_view_changing) {
      node->vc_timeout_us = cfg->view_change_us;
      node->vc_deadline_us = INT64_MAX;
      pbft_timer_update (node, ctx, now_us);
      if (pbft_primary (node->view, ctx->n_nodes) == ctx->self)
        pbft_primary_propose (node, ctx, now_us, out);
    }
  }
}

/* 4.4: "A backup is waiting for a request if it received a valid request
 * and has not executed it.  A backup starts a timer when it receives a
 * request and the timer is not already running.  It stops the timer when it
 * is no longer waiting to execute the request, but restarts it if at that
 * point it is waiting to execute some other request." */
void
pbft_timer_update (PbftNode *node, const ProtoCtx *ctx, int64_t now_us)
{
  (void) ctx;
  if (node->is_view_changing)
    return; /* the new-view timer runs */
  gboolean waiting = FALSE;
  for (int c = 0; c < PBFT_MAX_CLIENTS && !waiting; c++)
    waiting = node->pending[c].is_pending;
  if (!waiting)
    node->vc_deadline_us = INT64_MAX;
  else if (node->vc_deadline_us == INT64_MAX)
    node->vc_deadline_us = now_us + node->vc_timeout_us;
}

/* 4.3: "When a replica i receives a checkpoint message for sequence number
 * n with digest d ... it collects checkpoints in its log until it has 2f+1
 * of them for sequence number n with the same digest d ... signed by
 * different replicas (including possibly its own).  These 2f+1 messages are
 * the proof of correctness for the checkpoint.  A checkpoint with a proof
 * becomes stable and the replica discards all pre-prepare, prepare, and
 * commit messages with sequence number less than or equal to n from its
 * log; it also discards all earlier checkpoints and checkpoint messages."
 * A replica that has not reached n itself fetches the state (state
 * transfer). */
void
pbft_checkpoint_stable_check (PbftNode *node, const ProtoCtx *ctx, int64_t now_us,
                              ProtoOutbox *out)
{
  int q = pbft_quorum (ctx->n_nodes);
  uint64_t best_seq = 0, best_digest = 0;
  for (int j = 0; j < ctx->n_nodes; j++)
    for (int k = 0; k < PBFT_CKPT_RING; k++) {
      const PbftQEntry *c = &node->ckpt_votes[j][k];
      if (c->seq <= node->stable.seq || c->seq <= best_seq)
        continue;
      int votes = 0;
      for (int i = 0; i < ctx->n_nodes; i++)
        for (int l = 0; l < PBFT_CKPT_RING; l++)
          if (node->ckpt_votes[i][l].seq == c->seq && node->ckpt_votes[i][l].digest == c->digest)
            votes++;
      if (votes >= q) {
        best_seq = c->seq;
        best_digest = c->digest;
      }
    }
  if (best_seq == 0)
    return;
  const PbftCheckpoint *mine = NULL;
  for (int i = 0; i < PBFT_CKPT_RING; i++)
    if (node->own[i].seq == best_seq && node->own[i].digest == best_digest)
      mine = &node->own[i];
  if (mine == NULL) {
    if (node->last_exec >= best_seq && !node->is_fetching) {
      /* Executed past it with a different state: should not happen to a
       * correct replica; the invariants will say so.  Wait. */
      return;
    }
    if (!node->is_fetching || node->fetch_seq < best_seq) {
      node->is_fetching = TRUE;
      node->fetch_seq = best_seq;
      node->fetch_digest = best_digest;
      proto_outbox_mark (out, "state-transfer");
      PbftFetch m;
      memset (&m, 0, sizeof m);
      m.type = PBFT_MSG_FETCH;
      m.seq = best_seq;
      pbft_send_all (ctx, out, &m, sizeof m);
    }
    return;
  }
  node->stable = *mine;
  proto_outbox_mark (out, "checkpoint-stable");
  proto_outbox_note (out, "checkpoint %" G_GUINT64_FORMAT " stable", best_seq);
  for (int i = 0; i < PBFT_CKPT_RING; i++)
    if (node->own[i].seq <= best_seq)
      memset (&node->own[i], 0, sizeof node->own[i]);
  for (int j = 0; j < ctx->n_nodes; j++)
    for (int k = 0; k < PBFT_CKPT_RING; k++)
      if (node->ckpt_votes[j][k].seq <= best_seq)
        memset (&node->ckpt_votes[j][k], 0, sizeof node->ckpt_votes[j][k]);
  for (int i = 0; i < PBFT_LOG_CAP; i++)
    if (node->log[i].seq <= best_seq)
      memset (&node->log[i], 0, sizeof node->log[i]);
  if (node->next_seq < best_seq)
    node->next_seq = best_seq;
  proto_outbox_sync (out);
  if (pbft_primary (node->view, ctx->n_nodes) == ctx->self && !node->is_view_changing)
    pbft_primary_propose (node, ctx, now_us, out);
}
