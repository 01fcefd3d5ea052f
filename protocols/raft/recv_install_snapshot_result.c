/* recv_install_snapshot_result.c: a follower confirms a snapshot. */
#include "protocols/raft/raft.h"

void
raft_recv_install_snapshot_result (RaftNode *node, const ProtoCtx *ctx, int from,
                                   const RaftInstallSnapshotResult *m, int64_t now_us,
                                   ProtoOutbox *out)
{
  RaftPersist *p = &node->persist;
  if (!raft_answer_is_for_leader (node, ctx, m->term, now_us, out))
    return;
  node->heard |= 1u << from;
  if (m->req_term != p->current_term)
    return; /* answers a request of an older term */
  raft_match_advance (node, ctx, from, m->match_index, now_us, out);
  if (node->role != RAFT_LEADER)
    return;
  raft_round_ack (node, ctx, from, m->round, now_us, out);
  if (node->next_index[from] <= p->last_index)
    raft_send_append (node, ctx, from, out);
}
