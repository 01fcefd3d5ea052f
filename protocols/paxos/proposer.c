/* proposer.c: the proposer's sending side: phase 1a (prepare), phase 2a
 * (accept), and the leader's heartbeats. */
#include "protocols/paxos/paxos.h"

#include <string.h>

/* Takes what our own acceptor accepted into the phase 1 reports, as if it
 * had promised us like any other acceptor. */
static void
report_own_slots (PaxosNode *node)
{
  const PaxosPersist *p = &node->persist;
  memset (node->reports, 0, sizeof node->reports);
  node->report_max_slot = 0;
  for (uint64_t s = node->commit + 1; s <= p->last_slot && paxos_slot_in_window (node, s); s++) {
    const PaxosSlot *sl = paxos_slot_c (node, s);
    if (sl->ballot == 0 && !sl->is_chosen)
      continue;
    PaxosReport *r = &node->reports[s % PAXOS_LOG_CAP];
    r->ballot = sl->ballot;
    r->cmd = sl->cmd;
    r->is_chosen = sl->is_chosen;
    node->report_max_slot = s;
  }
}

/* Section 2.2, phase 1 (a): "A proposer selects a proposal number n and
 * sends a prepare request with number n to a majority of acceptors."
 * Section 2.5: "Different proposers choose their numbers from disjoint sets
 * of numbers, so two different proposers never issue a proposal with the
 * same number."  Our number is one round above every ballot we have seen;
 * our own acceptor promises it at once. */
void
paxos_prepare_start (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  PaxosPersist *p = &node->persist;
  uint64_t round = MAX (paxos_ballot_round (p->promised), paxos_ballot_round (node->ballot)) + 1;
  node->ballot = paxos_ballot (round, ctx->self);
  p->promised = node->ballot;
  proto_outbox_sync (out);
  paxos_role_set (node, ctx, PAXOS_CANDIDATE, out);
  node->leader = PAXOS_NOBODY;
  node->promises = 1u << ctx->self;
  node->is_phase2_started = FALSE;
  if (node->attempts > 0 && cfg->backoff_cap > 0)
    proto_outbox_mark (out, "backoff"); /* the wait below is drawn from a wider range */
  node->election_deadline_us = paxos_random_timeout (node, cfg, now_us);
  uint64_t from_slot = cfg->mode == PAXOS_MODE_SINGLE ? 1 : node->commit + 1;
  for (uint32_t i = 0; i < node->n_pending; i++)
    node->pending[i].is_covered = TRUE;
  report_own_slots (node);
  if (paxos_majority (ctx->n_nodes) <= 1) {
    if (cfg->mode == PAXOS_MODE_MULTI)
      paxos_become_leader (node, ctx, now_us, out);
    else
      paxos_single_phase2 (node, ctx, now_us, out);
    return;
  }
  PaxosPrepare m;
  memset (&m, 0, sizeof m);
  m.type = PAXOS_MSG_PREPARE;
  m.ballot = node->ballot;
  m.from_slot = from_slot;
  for (int i = 0; i < ctx->n_nodes; i++)
    if (i != ctx->self)
      proto_outbox_send (out, i, &m, sizeof m);
}

void
paxos_send_accept (PaxosNode *node, const ProtoCtx *ctx, uint64_t slot, int peer,
                   ProtoOutbox *out)
{
  PaxosAccept m;
  memset (&m, 0, sizeof m);
  m.type = PAXOS_MSG_ACCEPT;
  m.ballot = node->ballot;
  m.slot = slot;
  m.commit = node->commit;
  m.cmd = paxos_slot_c (node, slot)->cmd;
  proto_outbox_send (out, peer, &m, sizeof m);
}

/* Section 2.2, phase 2 (a): "If the proposer receives a response to its
 * prepare requests (numbered n) from a majority of acceptors, then it sends
 * an accept request to each of those acceptors for a proposal numbered n
 * with a value v".  Our own acceptor accepts first (it promised n and
 * nothing higher, or we would have been preempted); the accept is made
 * durable before the requests leave. */
void
paxos_propose (PaxosNode *node, const ProtoCtx *ctx, uint64_t slot, const PaxosCmd *cmd,
               ProtoOutbox *out)
{
  g_assert (node->persist.promised == node->ballot);
  /* Whatever is known chosen is proposed again as it is, never replaced. */
  const PaxosSlot *sl = paxos_slot_c (node, slot);
  g_assert (!sl->is_chosen || paxos_cmd_hash (&sl->cmd) == paxos_cmd_hash (cmd));
  paxos_accept_slot (node, slot, node->ballot, cmd);
  proto_outbox_sync (out);
  node->acks[slot % PAXOS_LOG_CAP] = 1u << ctx->self;
  for (int i = 0; i < ctx->n_nodes; i++)
    if (i != ctx->self)
      paxos_send_accept (node, ctx, slot, i, out);
  if (paxos_majority (ctx->n_nodes) <= 1)
    paxos_learn (node, ctx, slot, cmd, out);
}

/* Phase 2 of a new leader, for every slot that was open when it won:
 * "the leader ... executes phase 2 for instances 135 and 140" with the
 * values phase 1 reported, and "fill[s] the gaps in instances 137-139 by
 * immediately proposing that those instances' commands be special no-op
 * commands that leave the state unchanged" (section 3). */
void
paxos_phase2_start (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  node->is_phase2_started = TRUE;
  for (uint64_t s = MAX (node->start_slot, node->commit + 1); s < node->next_slot; s++) {
    if (!paxos_slot_in_window (node, s))
      break;
    const PaxosReport *r = &node->reports[s % PAXOS_LOG_CAP];
    PaxosCmd cmd;
    memset (&cmd, 0, sizeof cmd);
    if (cfg->bug == PAXOS_BUG_IGNORE_ACCEPTED_IN_PROMISE) {
      /* Seeded bug: the leader trusts only its own acceptor's slots and
       * fills everything else with no-ops, whatever the promises said. */
      const PaxosSlot *own = paxos_slot_c (node, s);
      if (own->ballot != 0 || own->is_chosen) {
        cmd = own->cmd;
      } else {
        if (r->ballot != 0 || r->is_chosen)
          proto_outbox_note (out, "slot %" G_GUINT64_FORMAT ": ignores the accepted value a "
                             "promise reported (bug)", s);
        proto_outbox_mark (out, "gap-filled-noop");
      }
    } else if (r->ballot != 0 || r->is_chosen) {
      cmd = r->cmd;
      if (!paxos_slot_c (node, s)->is_chosen)
        proto_outbox_mark (out, "accepted-value-adopted");
    } else {
      proto_outbox_mark (out, "gap-filled-noop");
      proto_outbox_note (out, "slot %" G_GUINT64_FORMAT ": no value accepted, fill with a no-op",
                         s);
    }
    paxos_propose (node, ctx, s, &cmd, out);
  }
  paxos_commit_advance (node, ctx, now_us, out);
}

/* The leader's heartbeat: "I still lead, and everything up to `commit` is
 * chosen".  It also resends accept requests that have not been answered by
 * enough acceptors (the network may have lost them), a few per beat. */
void
paxos_heartbeat (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  node->round_sent++;
  node->round_sent_at_us[node->round_sent % PAXOS_ROUND_RING] = now_us;
  node->acked_round[ctx->self] = node->round_sent;
  node->heartbeat_deadline_us = now_us + cfg->heartbeat_us;
  PaxosHeartbeat m;
  memset (&m, 0, sizeof m);
  m.type = PAXOS_MSG_HEARTBEAT;
  m.ballot = node->ballot;
  m.commit = node->commit;
  m.round = node->round_sent;
  for (int i = 0; i < ctx->n_nodes; i++)
    if (i != ctx->self)
      proto_outbox_send (out, i, &m, sizeof m);
  if (ctx->n_nodes == 1)
    paxos_lease_round_ack (node, ctx, ctx->self, node->round_sent, now_us, out);
  if (!node->is_phase2_started)
    return;
  int resent = 0;
  for (uint64_t s = node->commit + 1; s < node->next_slot && resent < 64; s++) {
    if (!paxos_slot_in_window (node, s) || paxos_slot_c (node, s)->is_chosen)
      continue;
    uint32_t acks = node->acks[s % PAXOS_LOG_CAP];
    for (int i = 0; i < ctx->n_nodes; i++)
      if (i != ctx->self && !(acks & (1u << i))) {
        paxos_send_accept (node, ctx, s, i, out);
        resent++;
      }
  }
}
