/* recv_append_entries.c: AppendEntries (entries or heartbeat) arrives at a
 * follower. */
#include "protocols/raft/raft.h"

#include <string.h>

/* The reply names the request it answers: its round and its term, so a
 * leader never takes an answer to an older term's request for one of its
 * own (the follower's current term alone does not say which). */
static void
append_reply (RaftNode *node, const ProtoCtx *ctx, int to, gboolean is_success,
              uint64_t match, uint64_t conflict_index, uint64_t conflict_term,
              const RaftAppendEntries *m, ProtoOutbox *out)
{
  node->is_reply_unsynced = 1;
  RaftAppendEntriesResult r;
  memset (&r, 0, sizeof r);
  r.type = RAFT_MSG_APPEND_ENTRIES_RESULT;
  r.is_success = (uint8_t) is_success;
  r.term = node->persist.current_term;
  r.match_index = match;
  r.conflict_index = conflict_index;
  r.conflict_term = conflict_term;
  r.round = m->round;
  r.req_term = m->term;
  proto_outbox_send (out, to, &r, sizeof r);
}

/* Section 5.3: "when rejecting an AppendEntries request, the follower can
 * include the term of the conflicting entry and the first index it stores
 * for that term.  With this information, the leader can decrement nextIndex
 * to bypass all of the conflicting entries in that term; one AppendEntries
 * RPC will be required for each term with conflicting entries, rather than
 * one RPC per entry." */
static void
reject_mismatch (RaftNode *node, const ProtoCtx *ctx, int to, const RaftAppendEntries *m,
                 ProtoOutbox *out)
{
  const RaftPersist *p = &node->persist;
  uint64_t prev = m->prev_log_index;
  if (prev > p->last_index) {
    append_reply (node, ctx, to, FALSE, 0, p->last_index + 1, 0, m, out);
    return;
  }
  uint64_t term = raft_log_term (node, prev);
  uint64_t first = prev;
  while (first > p->snap.index + 1 && raft_log_term (node, first - 1) == term)
    first--;
  proto_outbox_note (out, "no entry %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                     ": ours has term %" G_GUINT64_FORMAT " from index %" G_GUINT64_FORMAT,
                     prev, m->prev_log_term, term, first);
  append_reply (node, ctx, to, FALSE, 0, first, term, m, out);
}

/* Figure 2, AppendEntries RPC, receiver implementation:
 * "1. Reply false if term < currentTerm (5.1)
 *  2. Reply false if log doesn't contain an entry at prevLogIndex whose term
 *     matches prevLogTerm (5.3)
 *  3. If an existing entry conflicts with a new one (same index but
 *     different terms), delete the existing entry and all that follow it
 *     (5.3)
 *  4. Append any new entries not already in the log
 *  5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit,
 *     index of last new entry)" */
void
raft_recv_append_entries (RaftNode *node, const ProtoCtx *ctx, int from,
                          const RaftAppendEntries *m, const RaftWireEntry *entries,
                          int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  RaftPersist *p = &node->persist;
  if (m->term < p->current_term) {
    proto_outbox_mark (out, "stale-term");
    proto_outbox_note (out, "AppendEntries from n%d has stale term %" G_GUINT64_FORMAT,
                       from + 1, m->term);
    append_reply (node, ctx, from, FALSE, 0, 0, 0, m, out);
    return;
  }
  /* Figure 2, Candidates: "If AppendEntries RPC received from new leader:
   * convert to follower". */
  raft_become_follower (node, ctx, m->term, now_us, out);
  node->leader = from;
  node->leader_contact_us = now_us;
  node->election_deadline_us = raft_random_timeout (node, cfg, now_us);

  uint64_t prev = m->prev_log_index;
  if (prev > p->last_index
      || (prev >= p->snap.index && raft_log_term (node, prev) != m->prev_log_term)) {
    reject_mismatch (node, ctx, from, m, out);
    return;
  }
  /* Entries at or below our snapshot are committed, hence identical to the
   * leader's: skip them. */
  uint64_t verified = prev;
  for (uint32_t k = 0; k < m->n_entries; k++) {
    uint64_t index = prev + 1 + k;
    const RaftWireEntry *e = &entries[k];
    if (index <= p->snap.index) {
      verified = index;
      continue;
    }
    if (index <= p->last_index) {
      if (raft_log_term (node, index) == e->term) {
        verified = index;
        continue;
      }
      proto_outbox_note (out, "entry %" G_GUINT64_FORMAT " has term %" G_GUINT64_FORMAT
                         ", leader's has %" G_GUINT64_FORMAT ": truncate",
                         index, raft_log_term (node, index), e->term);
      raft_log_truncate (node, ctx, index - 1);
    }
    if (!raft_log_append (node, ctx, e)) {
      raft_log_compact (node, ctx, out);
      if (!raft_log_append (node, ctx, e))
        break; /* full of entries not yet applied: take the rest later */
    }
    verified = index;
  }
  if (verified < p->snap.index)
    verified = p->snap.index;
  if (m->leader_commit > node->commit_index) {
    uint64_t commit = MIN (m->leader_commit, verified);
    if (commit > node->commit_index)
      node->commit_index = commit;
  }
  raft_apply_committed (node, ctx, out);
  append_reply (node, ctx, from, TRUE, verified, 0, 0, m, out);
}
