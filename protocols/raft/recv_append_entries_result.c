/* recv_append_entries_result.c: a follower's answer to AppendEntries
 * arrives at the leader. */
#include "protocols/raft/raft.h"

/* Where to resume after a rejection, from the follower's hint (section 5.3,
 * fast backtracking): past the last entry of the conflicting term if we have
 * that term, else at the first index the follower has of it. */
static uint64_t
backtrack_to (const RaftNode *node, const RaftAppendEntriesResult *m)
{
  const RaftPersist *p = &node->persist;
  if (m->conflict_term != 0) {
    uint64_t i = p->last_index;
    while (i > p->snap.index && raft_log_term (node, i) > m->conflict_term)
      i--;
    if (i > p->snap.index && raft_log_term (node, i) == m->conflict_term)
      return i + 1;
  }
  return m->conflict_index;
}

/* Figure 2, Leaders: "If successful: update nextIndex and matchIndex for
 * follower (5.3).  If AppendEntries fails because of log inconsistency:
 * decrement nextIndex and retry (5.3)." */
void
raft_recv_append_entries_result (RaftNode *node, const ProtoCtx *ctx, int from,
                                 const RaftAppendEntriesResult *m, int64_t now_us,
                                 ProtoOutbox *out)
{
  RaftPersist *p = &node->persist;
  if (!raft_answer_is_for_leader (node, ctx, m->term, now_us, out))
    return;
  node->heard |= 1u << from;
  if (m->req_term != p->current_term) {
    proto_outbox_mark (out, "stale-answer-ignored");
    return; /* an answer to an older term's request: its round, match and
               conflict describe that request, not ours */
  }
  if (m->is_success) {
    raft_match_advance (node, ctx, from, m->match_index, now_us, out);
  } else if (m->conflict_index != 0) {
    uint64_t next = MIN (backtrack_to (node, m), p->last_index + 1);
    if (next <= node->match_index[from]) {
      /* Figure 2 lets matchIndex only grow: a follower answers only once
       * its disk holds what it acknowledges, so it never loses it.  A
       * rejection below matchIndex says this one did (its disk lost or
       * damaged the writes), or is an answer older than the
       * acknowledgement.  Either way, count only what it is now known to
       * hold and resend from there: kept at matchIndex + 1, nextIndex would
       * draw the same rejection for ever, and each duplicated message
       * would start one more such exchange. */
      proto_outbox_mark (out, "follower-log-regressed");
      proto_outbox_note (out, "n%d answers below its matchIndex %" G_GUINT64_FORMAT
                         ": matchIndex -> %" G_GUINT64_FORMAT, from + 1,
                         node->match_index[from], next - 1);
      node->match_index[from] = next - 1;
    }
    if (m->conflict_term != 0) {
      proto_outbox_mark (out, "log-conflict-backtrack");
      proto_outbox_note (out, "n%d conflicts (its term %" G_GUINT64_FORMAT " from index %"
                         G_GUINT64_FORMAT "): nextIndex %" G_GUINT64_FORMAT " -> %"
                         G_GUINT64_FORMAT, from + 1, m->conflict_term, m->conflict_index,
                         node->next_index[from], next);
    } else {
      proto_outbox_note (out, "n%d lacks entries from %" G_GUINT64_FORMAT ": nextIndex %"
                         G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, from + 1, m->conflict_index,
                         node->next_index[from], next);
    }
    node->next_index[from] = next;
    raft_send_append (node, ctx, from, out);
  }
  if (node->role != RAFT_LEADER)
    return;
  raft_round_ack (node, ctx, from, m->round, now_us, out);
  if (m->is_success && node->next_index[from] <= p->last_index)
    raft_send_append (node, ctx, from, out);
}
