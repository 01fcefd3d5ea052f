/* single.c: single-decree Paxos (sections 2.1-2.4 of the paper) as a
 * write-once register.  A client's write proposes its value; a read asks
 * which value was chosen.  Every node is proposer, acceptor and learner;
 * there is no leader, so each node that hears from a client runs its own
 * ballots, and two of them may duel (a liveness problem, which the
 * randomized backoff of paxos_random_timeout resolves, never a safety one).
 *
 * Answers: a read returns the chosen value (nil while phase 1 finds none
 * accepted by a majority); a write is ok if its own value was chosen and
 * fails otherwise (another value was chosen, so this one never will be). */
#include "protocols/paxos/paxos.h"

#include <string.h>

static const PaxosSlot *
decree (const PaxosNode *node)
{
  if (!paxos_slot_in_window (node, 1))
    return NULL;
  const PaxosSlot *sl = paxos_slot_c (node, 1);
  return sl->is_chosen ? sl : NULL;
}

static void
answer_one (const PaxosSlot *chosen, const ProtoCtx *ctx, const PaxosPending *w,
            ProtoOutbox *out)
{
  const PaxosCmd *c = &chosen->cmd;
  if (w->kind == PROTO_OP_READ) {
    paxos_reply (out, ctx, w->client, w->seq, PAXOS_REPLY_OK, TRUE, c->value, ctx->self);
    return;
  }
  gboolean is_mine = c->client == w->client && c->seq == w->seq && c->value == w->value;
  paxos_reply (out, ctx, w->client, w->seq, is_mine ? PAXOS_REPLY_OK : PAXOS_REPLY_FAILED,
               FALSE, 0, ctx->self);
}

/* If the decree is known (learned from a promise, say), answers every
 * waiting client and stops proposing: TRUE. */
gboolean
paxos_single_is_decided (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  if (decree (node) == NULL)
    return FALSE;
  paxos_commit_advance (node, ctx, now_us, out);
  paxos_single_answer (node, ctx, out);
  node->attempts = 0;
  if (node->role != PAXOS_FOLLOWER)
    paxos_become_follower (node, ctx, now_us, out);
  node->election_deadline_us = PROTO_NO_DEADLINE;
  return TRUE;
}

/* Answers every waiting client once the decree is known. */
void
paxos_single_answer (PaxosNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  const PaxosSlot *chosen = decree (node);
  if (chosen == NULL)
    return;
  for (uint32_t i = 0; i < node->n_pending; i++)
    answer_one (chosen, ctx, &node->pending[i], out);
  memset (node->pending, 0, sizeof node->pending);
  node->n_pending = 0;
}

void
paxos_single_request (PaxosNode *node, const ProtoCtx *ctx, int client,
                      const PaxosClientRequest *m, int64_t now_us, ProtoOutbox *out)
{
  if (m->kind == PROTO_OP_CAS || m->key != 0) {
    /* One register, written once: there is nothing to compare against. */
    paxos_reply (out, ctx, client, m->seq, PAXOS_REPLY_FAILED, FALSE, 0, ctx->self);
    return;
  }
  PaxosPending w = {
    .value = m->value, .seq = m->seq, .client = (uint8_t) client, .kind = m->kind,
  };
  const PaxosSlot *chosen = decree (node);
  if (chosen != NULL) {
    answer_one (chosen, ctx, &w, out);
    return;
  }
  for (uint32_t i = 0; i < node->n_pending; i++)
    if (node->pending[i].client == client && node->pending[i].seq == m->seq)
      return; /* a retry: already waiting */
  if (node->n_pending >= PAXOS_MAX_PENDING)
    return; /* the client retries */
  node->pending[node->n_pending++] = w;
  if (node->role == PAXOS_FOLLOWER && node->election_deadline_us == PROTO_NO_DEADLINE)
    paxos_prepare_start (node, ctx, now_us, out);
}

/* Phase 1 is done: a majority promised our ballot.  Section 2.2, phase 2
 * (a): the value is "the value of the highest-numbered proposal among the
 * responses, or is any value if the responses reported no proposals": the
 * value of a waiting write.  With only reads waiting and nothing accepted,
 * no value can have been chosen in a lower ballot (a majority promised not
 * to accept one and reported none), so the reads return nil. */
void
paxos_single_phase2 (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  const PaxosReport *r = &node->reports[1 % PAXOS_LOG_CAP];
  if (r->is_chosen)
    paxos_learn (node, ctx, 1, &r->cmd, out);
  if (paxos_single_is_decided (node, ctx, now_us, out))
    return;
  const PaxosPending *write = NULL;
  for (uint32_t i = 0; i < node->n_pending && write == NULL; i++)
    if (node->pending[i].kind == PROTO_OP_WRITE)
      write = &node->pending[i];
  PaxosCmd cmd;
  memset (&cmd, 0, sizeof cmd);
  if (r->ballot != 0 && (write == NULL || cfg->bug != PAXOS_BUG_IGNORE_ACCEPTED_IN_PROMISE)) {
    cmd = r->cmd;
    proto_outbox_mark (out, "accepted-value-adopted");
    proto_outbox_note (out, "adopts the accepted value %" G_GINT64_FORMAT, cmd.value);
  } else if (write != NULL) {
    if (r->ballot != 0)
      proto_outbox_note (out, "ignores the accepted value %" G_GINT64_FORMAT
                         " a promise reported (bug)", r->cmd.value);
    cmd.kind = PAXOS_CMD_WRITE;
    cmd.value = write->value;
    cmd.client = write->client;
    cmd.seq = write->seq;
  } else {
    /* Only reads that were waiting when this phase 1 began: a read that
     * came later may follow a choice this phase 1 could not see (an
     * acceptor that promised us may have accepted since). */
    proto_outbox_mark (out, "read-before-choice");
    proto_outbox_note (out, "no value accepted by the majority: reads return nil");
    uint32_t kept = 0;
    for (uint32_t i = 0; i < node->n_pending; i++) {
      const PaxosPending *w = &node->pending[i];
      if (w->is_covered)
        paxos_reply (out, ctx, w->client, w->seq, PAXOS_REPLY_OK, FALSE, 0, ctx->self);
      else
        node->pending[kept++] = *w;
    }
    for (uint32_t i = kept; i < node->n_pending; i++)
      memset (&node->pending[i], 0, sizeof node->pending[i]);
    node->n_pending = kept;
    node->attempts = 0;
    if (kept > 0)
      paxos_prepare_start (node, ctx, now_us, out); /* a new ballot for the later reads */
    else
      paxos_become_follower (node, ctx, now_us, out);
    return;
  }
  paxos_role_set (node, ctx, PAXOS_LEADER, out);
  memset (node->acks, 0, sizeof node->acks);
  paxos_propose (node, ctx, 1, &cmd, out);
  if (decree (node) != NULL) {
    /* One node alone: chosen at once. */
    paxos_commit_advance (node, ctx, now_us, out);
    paxos_single_answer (node, ctx, out);
    paxos_become_follower (node, ctx, now_us, out);
  }
}
