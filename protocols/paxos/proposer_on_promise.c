/* proposer_on_promise.c: an acceptor's answer to our prepare (phase 1b)
 * arrives at a candidate. */
#include "protocols/paxos/paxos.h"

/* Keeps, for every slot, the highest-numbered proposal any promise reported
 * (a command some learner knows chosen outranks them all). */
static void
merge_report (PaxosNode *node, const PaxosWireSlot *w)
{
  PaxosReport *r = &node->reports[w->slot % PAXOS_LOG_CAP];
  if (r->is_chosen)
    return;
  if (w->is_chosen || w->ballot > r->ballot) {
    r->ballot = w->ballot;
    r->cmd = w->cmd;
    r->is_chosen = w->is_chosen;
  }
  if (w->slot > node->report_max_slot)
    node->report_max_slot = w->slot;
}

/* Section 2.2, phase 2 (a): "If the proposer receives a response to its
 * prepare requests (numbered n) from a majority of acceptors, then it sends
 * an accept request ... with a value v, where v is the value of the
 * highest-numbered proposal among the responses, or is any value if the
 * responses reported no proposals."  A rejection means a higher number is
 * about: we abandon ours (section 2.3) and back off. */
void
paxos_proposer_on_promise (PaxosNode *node, const ProtoCtx *ctx, int from,
                           const PaxosPromise *m, const PaxosWireSlot *slots, int64_t now_us,
                           ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  if (!m->is_ok) {
    if (node->role == PAXOS_CANDIDATE && m->ballot == node->ballot)
      paxos_see_ballot (node, ctx, m->promised, now_us, out);
    return;
  }
  if (node->role != PAXOS_CANDIDATE || m->ballot != node->ballot)
    return; /* an answer to an earlier ballot */
  if (node->promises & (1u << from))
    return; /* a duplicate */
  /* Slots this acceptor compacted, or holds beyond our window, are chosen
   * values we do not know: we could not re-propose them.  Learn them first
   * and leave the ballot to a node that is up to date. */
  gboolean is_behind = m->snap_index > node->commit;
  for (uint32_t k = 0; k < m->n_slots && !is_behind; k++)
    if (slots[k].slot > node->persist.snap.index + PAXOS_LOG_CAP)
      is_behind = TRUE;
  if (is_behind) {
    proto_outbox_note (out, "n%d knows chosen slots we lack: catch up first", from + 1);
    paxos_catchup_ask (node, ctx, from, now_us, out);
    paxos_become_follower (node, ctx, now_us, out);
    return;
  }
  for (uint32_t k = 0; k < m->n_slots; k++) {
    const PaxosWireSlot *w = &slots[k];
    if (w->slot <= node->commit)
      continue;
    if (w->is_chosen && paxos_slot_in_window (node, w->slot))
      paxos_learn (node, ctx, w->slot, &w->cmd, out);
    merge_report (node, w);
  }
  paxos_commit_advance (node, ctx, now_us, out);
  if (cfg->mode == PAXOS_MODE_SINGLE && paxos_single_is_decided (node, ctx, now_us, out))
    return; /* a promise told us the decree: nothing left to propose */
  node->promises |= 1u << from;
  if (__builtin_popcount (node->promises) < paxos_majority (ctx->n_nodes))
    return;
  if (cfg->mode == PAXOS_MODE_SINGLE)
    paxos_single_phase2 (node, ctx, now_us, out);
  else
    paxos_become_leader (node, ctx, now_us, out);
}
