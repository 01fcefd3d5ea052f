/* recv_install_snapshot_result.c: a follower confirms a snapshot. */
#include "protocols/raft/raft.h"

void
raft_recv_install_snapshot_result (RaftNode *node, const ProtoCtx *ctx, int from,
                                   const RaftInstallSnapshotResult *m, int64_t now_us,
                                   ProtoOutbox *out)
{
  RaftPersist *p = &node->persist;
  if (m->term > p->current_term) {
    raft_become_follower (node, ctx, m->term, now_us, out);
    return;
  }
  if (node->role != RAFT_LEADER || m->term != p->current_term)
    return;
  if (m->match_index > node->match_index[from]) {
    node->match_index[from] = MIN (m->match_index, p->last_index);
    if (node->next_index[from] <= node->match_index[from])
      node->next_index[from] = node->match_index[from] + 1;
    raft_commit_advance (node, ctx, now_us, out);
  }
  if (node->role != RAFT_LEADER)
    return;
  raft_round_ack (node, ctx, from, m->round, now_us, out);
  if (node->next_index[from] <= p->last_index)
    raft_send_append (node, ctx, from, out);
}
