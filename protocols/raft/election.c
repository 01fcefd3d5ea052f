/* election.c: starting an election or a pre-vote, and the "at least as
 * up-to-date" comparison of section 5.4.1. */
#include "protocols/raft/raft.h"

#include <string.h>

/* Section 5.4.1: "Raft determines which of two logs is more up-to-date by
 * comparing the index and term of the last entries in the logs.  If the logs
 * have last entries with different terms, then the log with the later term
 * is more up-to-date.  If the logs end with the same term, then whichever log
 * is longer is more up-to-date." */
gboolean
raft_log_is_up_to_date (const RaftNode *node, uint64_t last_index, uint64_t last_term)
{
  uint64_t my_index = node->persist.last_index;
  uint64_t my_term = raft_log_term (node, my_index);
  if (last_term != my_term)
    return last_term > my_term;
  return last_index >= my_index;
}

/* A node recovering a damaged log compares a candidate with the last entry
 * it may have acknowledged (protocols/raft/storage.c), as if its log still
 * ended there. */
gboolean
raft_recovering_vote_passes (const RaftNode *node, uint64_t last_index, uint64_t last_term)
{
  const RaftPersist *p = &node->persist;
  if (last_term != p->recover_term)
    return last_term > p->recover_term;
  return last_index >= p->recover_index;
}

/* Figure 2, Candidates (5.2): "On conversion to candidate, start election:
 * Increment currentTerm; Vote for self; Reset election timer; Send
 * RequestVote RPCs to all other servers."
 *
 * Thesis 9.6: "In the Pre-Vote algorithm, a candidate only increments its
 * term if it first learns from a majority of the cluster that they would be
 * willing to grant the candidate their votes (if the candidate's term were
 * to be incremented)."  A pre-candidate sends the same request with
 * is_pre_vote set and term = currentTerm + 1, and changes nothing durable. */
void
raft_election_start (RaftNode *node, const ProtoCtx *ctx, gboolean is_pre_vote,
                     int64_t now_us, ProtoOutbox *out)
{
  RaftPersist *p = &node->persist;
  uint64_t term;
  if (is_pre_vote) {
    raft_role_set (node, ctx, RAFT_PRECANDIDATE, out);
    term = p->current_term + 1;
  } else {
    p->current_term++;
    p->has_voted = TRUE;
    p->voted_for = ctx->self;
    raft_persist_touch (node);
    term = p->current_term;
    raft_role_set (node, ctx, RAFT_CANDIDATE, out);
  }
  node->leader = RAFT_NOBODY;
  node->votes = 1u << ctx->self;
  node->election_deadline_us = raft_random_timeout (node, ctx->config, now_us);
  if (raft_quorum (node) <= 1 && raft_is_member (node, ctx->self)) {
    if (is_pre_vote)
      raft_election_start (node, ctx, FALSE, now_us, out);
    else
      raft_become_leader (node, ctx, now_us, out);
    return;
  }
  RaftRequestVote m;
  memset (&m, 0, sizeof m);
  m.type = RAFT_MSG_REQUEST_VOTE;
  m.is_pre_vote = (uint8_t) is_pre_vote;
  m.term = term;
  m.last_log_index = p->last_index;
  m.last_log_term = raft_log_term (node, p->last_index);
  for (int i = 0; i < ctx->n_nodes; i++)
    if (i != ctx->self && raft_is_member (node, i))
      proto_outbox_send (out, i, &m, sizeof m);
}
