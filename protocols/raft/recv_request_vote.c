/* recv_request_vote.c: a RequestVote (or pre-vote) arrives at any node. */
#include "protocols/raft/raft.h"

#include <string.h>

static void
vote_reply (const ProtoCtx *ctx, int to, gboolean is_pre_vote, gboolean is_granted,
            uint64_t term, ProtoOutbox *out)
{
  RaftRequestVoteResult r;
  memset (&r, 0, sizeof r);
  r.type = RAFT_MSG_REQUEST_VOTE_RESULT;
  r.is_pre_vote = (uint8_t) is_pre_vote;
  r.is_granted = (uint8_t) is_granted;
  r.term = term;
  proto_outbox_send (out, to, &r, sizeof r);
}

/* Thesis 4.2.3: "if a server receives a RequestVote request within the
 * minimum election timeout of hearing from a current leader, it does not
 * update its term or grant its vote."  Thesis 9.6: a server grants a
 * pre-vote only if "it has not received heartbeats from a valid leader for
 * at least a baseline election timeout". */
static gboolean
leader_is_alive (const RaftNode *node, const RaftConfig *cfg, int64_t now_us)
{
  return node->role == RAFT_LEADER || now_us - node->leader_contact_us < cfg->election_min_us;
}

static gboolean
log_check_passes (const RaftNode *node, const RaftConfig *cfg, const RaftRequestVote *m,
                  ProtoOutbox *out)
{
  if (raft_log_is_up_to_date (node, m->last_log_index, m->last_log_term))
    return TRUE;
  if (cfg->bug == RAFT_BUG_VOTE_WITHOUT_LOG_CHECK) {
    proto_outbox_note (out, "candidate's log %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                       " is behind ours, vote anyway (bug)", m->last_log_index,
                       m->last_log_term);
    return TRUE;
  }
  if (cfg->unclean_election) {
    /* A configuration, not a bug: availability over Leader Completeness,
     * as Kafka's unclean leader election chooses. */
    proto_outbox_note (out, "candidate's log %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                       " is behind ours, vote anyway (unclean_election)", m->last_log_index,
                       m->last_log_term);
    return TRUE;
  }
  return FALSE;
}

/* Thesis 9.6: the pre-vote is answered as the vote would be, without
 * changing anything durable. */
static void
recv_pre_vote (RaftNode *node, const ProtoCtx *ctx, int from, const RaftRequestVote *m,
               int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  uint64_t current = node->persist.current_term;
  const char *why = NULL;
  if (m->term < current)
    why = "its term is behind ours";
  else if (leader_is_alive (node, cfg, now_us))
    why = "we heard from a leader within the election timeout";
  else if (!log_check_passes (node, cfg, m, out))
    why = "its log is behind ours";
  else if (raft_is_recovering (node)
           && !raft_recovering_vote_passes (node, m->last_log_index, m->last_log_term))
    why = "its log is behind the damaged log we are recovering";
  if (why != NULL) {
    proto_outbox_mark (out, "pre-vote-rejected");
    proto_outbox_note (out, "pre-vote for n%d rejected: %s", from + 1, why);
    vote_reply (ctx, from, TRUE, FALSE, current, out);
    return;
  }
  vote_reply (ctx, from, TRUE, TRUE, m->term, out);
}

/* Figure 2, RequestVote RPC, receiver implementation:
 * "1. Reply false if term < currentTerm (5.1)
 *  2. If votedFor is null or candidateId, and candidate's log is at least
 *     as up-to-date as receiver's log, grant vote (5.2, 5.4)" */
void
raft_recv_request_vote (RaftNode *node, const ProtoCtx *ctx, int from, const RaftRequestVote *m,
                        int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  RaftPersist *p = &node->persist;
  if (m->is_pre_vote) {
    recv_pre_vote (node, ctx, from, m, now_us, out);
    return;
  }
  if (m->term < p->current_term) {
    proto_outbox_mark (out, "stale-term");
    proto_outbox_note (out, "vote request from n%d has stale term %" G_GUINT64_FORMAT,
                       from + 1, m->term);
    vote_reply (ctx, from, FALSE, FALSE, p->current_term, out);
    return;
  }
  if (m->term > p->current_term && leader_is_alive (node, cfg, now_us)) {
    proto_outbox_note (out, "vote request from n%d ignored: leader is alive", from + 1);
    return;
  }
  if (m->term > p->current_term)
    raft_become_follower (node, ctx, m->term, now_us, out);
  gboolean is_free = !p->has_voted || p->voted_for == from;
  gboolean is_granted = is_free && log_check_passes (node, cfg, m, out);
  if (is_granted && raft_is_recovering (node)
      && !raft_recovering_vote_passes (node, m->last_log_index, m->last_log_term)) {
    proto_outbox_mark (out, "recovering-no-vote");
    proto_outbox_note (out, "vote for n%d refused: its log %" G_GUINT64_FORMAT "/%"
                       G_GUINT64_FORMAT " is behind entry %" G_GUINT64_FORMAT "/%"
                       G_GUINT64_FORMAT " of the damaged log we are recovering", from + 1,
                       m->last_log_index, m->last_log_term, p->recover_index, p->recover_term);
    is_granted = FALSE;
  }
  if (is_granted) {
    p->has_voted = TRUE;
    p->voted_for = from;
    raft_persist_touch (node);
    node->is_reply_unsynced = 1;
    /* Figure 2, Followers: the election timer restarts on "granting vote
     * to candidate". */
    node->election_deadline_us = raft_random_timeout (node, cfg, now_us);
  } else if (!is_free && raft_log_is_up_to_date (node, m->last_log_index, m->last_log_term)
             && node->role != RAFT_LEADER) {
    /* Our vote in this term is gone (to ourselves, or to another), but the
     * candidate's log is as good as ours: restart the election timer all
     * the same, so that our next term does not start ahead of its next
     * one, round after round.  Without it, a server removed from the
     * configuration that kept raising its term, then added back with a
     * stale log (and a stale configuration, so that it never asks the
     * leader's successor for a vote), deposed the leader and won the race
     * to every next term: no leader in three seconds (pre_vote = false).
     * Timing only: no vote and no term changes. */
    proto_outbox_mark (out, "vote-taken-timer-restarted");
    node->election_deadline_us = raft_random_timeout (node, cfg, now_us);
  }
  vote_reply (ctx, from, FALSE, is_granted, p->current_term, out);
}
