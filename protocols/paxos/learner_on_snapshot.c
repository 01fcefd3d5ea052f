/* learner_on_snapshot.c: another node's snapshot arrives at a learner that
 * asked for slots the other node has compacted. */
#include "protocols/paxos/paxos.h"

/* Every slot up to the snapshot's index is chosen and applied there; the
 * snapshot replaces them here too (as Raft's InstallSnapshot does), and the
 * learner goes on from the slots it holds after it. */
void
paxos_learner_on_snapshot (PaxosNode *node, const ProtoCtx *ctx, int from,
                           const PaxosSnapshotMsg *m, int64_t now_us, ProtoOutbox *out)
{
  if (m->index <= node->commit)
    return; /* we have all of it already */
  if (node->role == PAXOS_LEADER && m->index >= node->next_slot) {
    /* Slots we took to be free are chosen elsewhere: we cannot lead. */
    proto_outbox_note (out, "n%d's snapshot reaches past our free slots: step down", from + 1);
    paxos_become_follower (node, ctx, now_us, out);
  }
  paxos_install_snapshot (node, m->index, m->chain, &m->machine);
  proto_outbox_mark (out, "snapshot-installed");
  proto_outbox_note (out, "installed n%d's snapshot at slot %" G_GUINT64_FORMAT, from + 1, m->index);
  paxos_commit_advance (node, ctx, now_us, out);
  node->catchup_asked_us = 0;
  paxos_catchup_ask (node, ctx, from, now_us, out);
}
