/* recv_request_vote_result.c: a (pre-)vote answer arrives at a candidate. */
#include "protocols/raft/raft.h"

/* Figure 2, Candidates: "If votes received from majority of servers: become
 * leader."  Thesis 9.6: a pre-candidate that gathers a majority of pre-votes
 * starts a real election. */
void
raft_recv_request_vote_result (RaftNode *node, const ProtoCtx *ctx, int from,
                               const RaftRequestVoteResult *m, int64_t now_us, ProtoOutbox *out)
{
  RaftPersist *p = &node->persist;
  if (m->term > p->current_term && !(m->is_pre_vote && m->is_granted)) {
    raft_become_follower (node, ctx, m->term, now_us, out);
    return;
  }
  if (m->is_pre_vote) {
    if (node->role != RAFT_PRECANDIDATE || !m->is_granted || m->term != p->current_term + 1)
      return;
  } else if (node->role != RAFT_CANDIDATE || !m->is_granted || m->term != p->current_term) {
    return;
  }
  node->votes |= 1u << from;
  if (__builtin_popcount (node->votes & node->config) < raft_quorum (node))
    return;
  if (m->is_pre_vote)
    raft_election_start (node, ctx, FALSE, now_us, out);
  else
    raft_become_leader (node, ctx, now_us, out);
}
