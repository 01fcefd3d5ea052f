/* read.c: linearizable reads without writing to the log: ReadIndex (thesis
 * 6.4) and leader leases (thesis 6.4.1). */
#include "protocols/raft/raft.h"

#include <string.h>

static void
read_reply (RaftNode *node, const ProtoCtx *ctx, int client, uint32_t seq, int key,
            ProtoOutbox *out)
{
  gboolean has_value;
  int64_t value;
  raft_machine_read (&node->machine, key, &has_value, &value);
  raft_reply (out, ctx, client, seq, RAFT_REPLY_OK, has_value, value, ctx->self);
}

/* Thesis 6.4, ReadIndex:
 * "1. If the leader has not yet marked an entry from its current term
 *     committed, it waits until it has done so.
 *  2. The leader saves its current commit index in a local variable
 *     readIndex.  This will be used as a lower bound for the version of the
 *     state that the query operates against.
 *  3. The leader needs to make sure it hasn't been superseded by a newer
 *     leader of which it is unaware.  It issues a new round of heartbeats
 *     and waits for their acknowledgments from a majority of the cluster.
 *  4. The leader waits for its state machine to advance at least as far as
 *     the readIndex.
 *  5. Finally, the leader issues the query against its state machine and
 *     replies to the client with the results."
 * Step 1 is folded into step 2: before this term's no-op is committed, the
 * read index is the no-op's index, which bounds everything committed
 * before this leader. */
void
raft_read_start (RaftNode *node, const ProtoCtx *ctx, const RaftClientRequest *req,
                 int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  if (cfg->bug == RAFT_BUG_STALE_LEADER_READ) {
    /* Seeded bug: a leader that may have been deposed answers from its own
     * state machine. */
    read_reply (node, ctx, req->client, req->seq, req->key, out);
    return;
  }
  gboolean has_term_commit = node->commit_index >= node->term_start_index;
  /* Thesis 6.4.1: with a lease, the leader skips the heartbeat round: no
   * other leader can have been elected before the lease runs out. */
  if (cfg->read_mode == RAFT_READ_LEASE && has_term_commit && now_us < node->lease_until_us
      && node->last_applied >= node->commit_index) {
    read_reply (node, ctx, req->client, req->seq, req->key, out);
    return;
  }
  if (node->n_reads >= RAFT_MAX_READS)
    return; /* too many in flight: the client retries */
  RaftRead *r = &node->reads[node->n_reads++];
  r->read_index = MAX (node->commit_index, node->term_start_index);
  r->client = req->client;
  r->seq = req->seq;
  r->key = req->key;
  /* The round must start after the read arrived: the next one.  Only one
   * round is in flight at a time; reads that arrive meanwhile share the
   * following one. */
  r->round = node->round_sent + 1;
  if (node->round_confirmed >= node->round_sent)
    raft_broadcast_round (node, ctx, now_us, out);
  else
    node->is_round_wanted = TRUE;
}

/* Answers every pending read whose round is confirmed and whose read index
 * is applied. */
void
raft_reads_serve (RaftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  if (node->role != RAFT_LEADER || node->n_reads == 0)
    return;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < node->n_reads; i++) {
    RaftRead r = node->reads[i];
    if (r.round <= node->round_confirmed && node->last_applied >= r.read_index)
      read_reply (node, ctx, r.client, r.seq, r.key, out);
    else
      node->reads[kept++] = r;
  }
  for (uint32_t i = kept; i < node->n_reads; i++)
    memset (&node->reads[i], 0, sizeof node->reads[i]);
  node->n_reads = kept;
}
