/* proposer_on_accepted.c: an acceptor's answer to an accept request
 * (phase 2b) arrives at the proposer. */
#include "protocols/paxos/paxos.h"

#include <string.h>

/* Single mode: the decree is chosen; tell every learner (section 2.3: "the
 * acceptors could respond with their acceptances to some set of
 * distinguished learners, each of which can then inform all the learners
 * when a value has been chosen"; here the proposer is that learner). */
static void
broadcast_chosen (PaxosNode *node, const ProtoCtx *ctx, uint64_t slot, ProtoOutbox *out)
{
  PaxosChosen m;
  memset (&m, 0, sizeof m);
  m.type = PAXOS_MSG_CHOSEN;
  m.n_slots = 1;
  PaxosWireSlot w;
  memset (&w, 0, sizeof w);
  w.slot = slot;
  w.ballot = node->ballot;
  w.cmd = paxos_slot_c (node, slot)->cmd;
  w.is_chosen = TRUE;
  for (int i = 0; i < ctx->n_nodes; i++) {
    if (i == ctx->self)
      continue;
    proto_outbox_send (out, i, &m, sizeof m);
    g_byte_array_append (out->bytes, (const guint8 *) &w, sizeof w);
    g_array_index (out->msgs, ProtoOutMsg, out->msgs->len - 1).len = sizeof m + sizeof w;
  }
}

/* Section 2.3: "the learner must find out that a proposal has been accepted
 * by a majority of acceptors."  The proposer counts the acceptances of its
 * own ballot per slot; a majority means the command is chosen.  A rejection
 * carries the higher ballot that preempted us. */
void
paxos_proposer_on_accepted (PaxosNode *node, const ProtoCtx *ctx, int from,
                            const PaxosAccepted *m, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  if (!m->is_ok) {
    if (m->ballot == node->ballot)
      paxos_see_ballot (node, ctx, m->promised, now_us, out);
    return;
  }
  if (node->role != PAXOS_LEADER || m->ballot != node->ballot
      || !paxos_slot_in_window (node, m->slot))
    return; /* for an earlier ballot, or long chosen */
  PaxosSlot *sl = paxos_slot (node, m->slot);
  if (sl->ballot != node->ballot)
    return; /* not a slot we proposed in this ballot */
  uint32_t *acks = &node->acks[m->slot % PAXOS_LOG_CAP];
  *acks |= 1u << from;
  if (sl->is_chosen || __builtin_popcount (*acks) < paxos_majority (ctx->n_nodes))
    return;
  paxos_learn (node, ctx, m->slot, &sl->cmd, out);
  if (cfg->mode == PAXOS_MODE_SINGLE) {
    broadcast_chosen (node, ctx, m->slot, out);
    paxos_commit_advance (node, ctx, now_us, out);
    paxos_single_answer (node, ctx, out);
    node->attempts = 0;
    paxos_become_follower (node, ctx, now_us, out);
    return;
  }
  paxos_commit_advance (node, ctx, now_us, out);
}
