/* acceptor_on_accept.c: an accept request (phase 2a) arrives at an
 * acceptor. */
#include "protocols/paxos/paxos.h"

#include <string.h>

static void
accepted_reply (const PaxosNode *node, int to, const PaxosAccept *m, gboolean is_ok,
                ProtoOutbox *out)
{
  PaxosAccepted r;
  memset (&r, 0, sizeof r);
  r.type = PAXOS_MSG_ACCEPTED;
  r.is_ok = (uint8_t) is_ok;
  r.ballot = m->ballot;
  r.slot = m->slot;
  r.promised = node->persist.promised;
  proto_outbox_send (out, to, &r, sizeof r);
}

/* A message from the leader of `ballot`, which we have not promised to
 * ignore: follow it, and learn what it says is chosen.  Every slot up to
 * `commit` is chosen; the command we accepted in the leader's own ballot
 * is the one it proposed, so that is what was chosen.  Slots we hold from
 * other ballots (or not at all) we ask for (catch-up). */
void
paxos_follow_leader (PaxosNode *node, const ProtoCtx *ctx, int from, uint64_t ballot,
                     uint64_t commit, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  paxos_see_ballot (node, ctx, ballot, now_us, out);
  if (cfg->mode == PAXOS_MODE_SINGLE)
    return; /* no leader to follow: the decree is learned from Chosen */
  if (node->role == PAXOS_FOLLOWER) {
    node->leader = from;
    node->attempts = 0;
    node->election_deadline_us = paxos_random_timeout (node, cfg, now_us);
  }
  for (uint64_t s = node->commit + 1; s <= commit && paxos_slot_in_window (node, s); s++) {
    const PaxosSlot *sl = paxos_slot_c (node, s);
    if (!sl->is_chosen && sl->ballot == ballot)
      paxos_learn (node, ctx, s, &sl->cmd, out);
  }
  paxos_commit_advance (node, ctx, now_us, out);
  if (node->commit < commit)
    paxos_catchup_ask (node, ctx, from, now_us, out);
}

/* Section 2.2, phase 2 (b): "If an acceptor receives an accept request for
 * a proposal numbered n, it accepts the proposal unless it has already
 * responded to a prepare request having a number greater than n."
 * The accept is made durable before the answer leaves. */
void
paxos_acceptor_on_accept (PaxosNode *node, const ProtoCtx *ctx, int from,
                          const PaxosAccept *m, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  PaxosPersist *p = &node->persist;
  if (m->ballot < p->promised) {
    g_autoptr (GString) a = g_string_new (NULL);
    g_autoptr (GString) b = g_string_new (NULL);
    paxos_format_ballot (m->ballot, a);
    paxos_format_ballot (p->promised, b);
    if (cfg->bug != PAXOS_BUG_ACCEPT_WITHOUT_PROMISE_CHECK) {
      proto_outbox_mark (out, "stale-ballot");
      proto_outbox_note (out, "accept %s for slot %" G_GUINT64_FORMAT " rejected: promised %s",
                         a->str, m->slot, b->str);
      accepted_reply (node, from, m, FALSE, out);
      return;
    }
    /* Seeded bug: the promise is not checked. */
    proto_outbox_note (out, "accepts %s for slot %" G_GUINT64_FORMAT " below its promise %s (bug)",
                       a->str, m->slot, b->str);
  }
  /* Slots up to the snapshot are chosen and compacted; slots beyond our
   * window wait until we have caught up (the leader resends them). */
  if (paxos_slot_in_window (node, m->slot)) {
    paxos_accept_slot (node, m->slot, m->ballot, &m->cmd);
    proto_outbox_sync (out);
    accepted_reply (node, from, m, TRUE, out);
  }
  if (m->ballot >= p->promised)
    paxos_follow_leader (node, ctx, from, m->ballot, m->commit, now_us, out);
}
