/* role.c: every role change of a Raft node goes through raft_role_set, which
 * asserts that the edge is one the paper allows (Figure 4 of the paper, with
 * the pre-candidate state of thesis 9.6 in front of the candidate). */
#include "protocols/raft/raft.h"

#include <string.h>

const char *
raft_role_name (RaftRole role)
{
  switch (role) {
  case RAFT_FOLLOWER: return "follower";
  case RAFT_PRECANDIDATE: return "pre-candidate";
  case RAFT_CANDIDATE: return "candidate";
  case RAFT_LEADER: return "leader";
  }
  return "?";
}

static gboolean
raft_role_edge_is_legal (RaftRole from, RaftRole to)
{
  switch (to) {
  case RAFT_FOLLOWER:
    /* "discovers current leader or new term": from any state. */
    return TRUE;
  case RAFT_PRECANDIDATE:
    /* A follower or candidate times out (with pre-vote on, every new
     * election starts with a pre-vote); a pre-candidate asks again. */
    return from != RAFT_LEADER;
  case RAFT_CANDIDATE:
    /* "times out, starts election" (from follower, or from a pre-candidate
     * that won its pre-vote); a candidate times out and starts again. */
    return from != RAFT_LEADER;
  case RAFT_LEADER:
    /* "receives votes from majority of servers". */
    return from == RAFT_CANDIDATE;
  }
  return FALSE;
}

void
raft_role_set (RaftNode *node, const ProtoCtx *ctx, RaftRole role, ProtoOutbox *out)
{
  RaftRole from = (RaftRole) node->role;
  g_assert (raft_role_edge_is_legal (from, role));
  node->role = role;
  if (from != role)
    proto_outbox_note (out, "%s -> %s, term %" G_GUINT64_FORMAT, raft_role_name (from),
                       raft_role_name (role), node->persist.current_term);
}

/* Figure 2, All Servers: "If RPC request or response contains term T >
 * currentTerm: set currentTerm = T, convert to follower (5.1)". */
void
raft_become_follower (RaftNode *node, const ProtoCtx *ctx, uint64_t term, int64_t now_us,
                      ProtoOutbox *out)
{
  RaftPersist *p = &node->persist;
  if (term > p->current_term) {
    p->current_term = term;
    p->has_voted = FALSE;
    p->voted_for = RAFT_NOBODY;
    node->leader = RAFT_NOBODY;
    raft_persist_touch (node);
  }
  if (node->role != RAFT_FOLLOWER) {
    /* A leader that steps down in its own term (CheckQuorum, or removed
     * from the configuration) no longer knows a leader: pointing clients
     * at itself would send them round in circles. */
    if (node->leader == ctx->self)
      node->leader = RAFT_NOBODY;
    raft_role_set (node, ctx, RAFT_FOLLOWER, out);
    node->election_deadline_us = raft_random_timeout (node, ctx->config, now_us);
    /* Pending reads die with the leadership; their clients retry.  (Freed
     * entries are kept zero: raft_state_holes.) */
    memset (node->reads, 0, sizeof node->reads);
    node->n_reads = 0;
    node->is_round_wanted = FALSE;
    node->lease_until_us = 0;
  }
}

/* Figure 2, Leaders: "Upon election: send initial empty AppendEntries RPCs
 * (heartbeat) to each server".  Section 8: "Raft handles this by having each
 * leader commit a blank no-op entry into the log at the start of its term." */
void
raft_become_leader (RaftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  RaftPersist *p = &node->persist;
  raft_role_set (node, ctx, RAFT_LEADER, out);
  node->leader = ctx->self;
  /* Figure 2, volatile state on leaders, "Reinitialized after election":
   * nextIndex "initialized to leader last log index + 1", matchIndex
   * "initialized to 0". */
  for (int i = 0; i < ctx->n_nodes; i++) {
    node->next_index[i] = p->last_index + 1;
    node->match_index[i] = 0;
    node->acked_round[i] = 0;
  }
  node->round_sent = 0;
  node->round_confirmed = 0;
  node->heard = 0;
  node->quorum_since_us = now_us;
  node->lease_until_us = 0;
  memset (node->reads, 0, sizeof node->reads);
  node->n_reads = 0;
  node->is_round_wanted = FALSE;
  memset (node->round_sent_at_us, 0, sizeof node->round_sent_at_us);
  if (cfg->bug != RAFT_BUG_COMMIT_PREVIOUS_TERM) {
    RaftWireEntry noop = { .term = p->current_term, .kind = RAFT_ENTRY_NOOP };
    if (!raft_log_append (node, ctx, &noop)) {
      raft_log_compact (node, ctx, out);
      raft_log_append (node, ctx, &noop);
    }
  }
  node->term_start_index = p->last_index;
  node->match_index[ctx->self] = p->last_index;
  raft_broadcast_round (node, ctx, now_us, out);
  raft_commit_advance (node, ctx, now_us, out);
}

/* An answer to a leader's request: a higher term deposes us (Figure 2, All
 * Servers); an answer from an older term, or one that arrives after we
 * stopped leading, is stale.  TRUE when the leader should act on it. */
gboolean
raft_answer_is_for_leader (RaftNode *node, const ProtoCtx *ctx, uint64_t term, int64_t now_us,
                           ProtoOutbox *out)
{
  if (term > node->persist.current_term) {
    raft_become_follower (node, ctx, term, now_us, out);
    return FALSE;
  }
  return node->role == RAFT_LEADER && term == node->persist.current_term;
}
