/* replicate.c: the leader's side of log replication: what to send each
 * follower, heartbeat rounds, and the commit rule of section 5.4.2. */
#include "protocols/raft/raft.h"

#include <string.h>

static void
send_snapshot (RaftNode *node, const ProtoCtx *ctx, int peer, ProtoOutbox *out)
{
  const RaftPersist *p = &node->persist;
  /* Section 7: "the leader must occasionally send snapshots to followers
   * that lag behind.  This happens when the leader has already discarded
   * the next log entry that it needs to send to a follower." */
  guint at = out->bytes->len;
  proto_outbox_send (out, peer, NULL, 0);
  g_byte_array_set_size (out->bytes, at + (guint) sizeof (RaftInstallSnapshot));
  RaftInstallSnapshot *m = (RaftInstallSnapshot *) (void *) (out->bytes->data + at);
  memset (m, 0, sizeof *m);
  m->type = RAFT_MSG_INSTALL_SNAPSHOT;
  m->term = p->current_term;
  m->round = node->round_sent;
  m->last_index = p->snap.index;
  m->last_term = p->snap.term;
  m->last_chain = p->snap.chain;
  m->members = p->snap.members;
  m->machine = p->snap.machine;
  g_array_index (out->msgs, ProtoOutMsg, out->msgs->len - 1).len = sizeof *m;
}

/* Figure 2, Leaders: "If last log index >= nextIndex for a follower: send
 * AppendEntries RPC with log entries starting at nextIndex".  Sends up to
 * `batch` entries and then assumes they arrive (nextIndex moves past them);
 * a rejection brings nextIndex back. */
void
raft_send_append (RaftNode *node, const ProtoCtx *ctx, int peer, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  const RaftPersist *p = &node->persist;
  uint64_t next = node->next_index[peer];
  if (next <= p->snap.index) {
    send_snapshot (node, ctx, peer, out);
    /* As with entries, assume it arrives; a rejection brings us back. */
    node->next_index[peer] = p->snap.index + 1;
    return;
  }
  if (next > p->last_index + 1)
    next = p->last_index + 1;
  uint64_t n = p->last_index + 1 - next;
  if (n > (uint64_t) cfg->batch)
    n = (uint64_t) cfg->batch;
  RaftAppendEntries m;
  memset (&m, 0, sizeof m);
  m.type = RAFT_MSG_APPEND_ENTRIES;
  m.n_entries = (uint16_t) n;
  m.term = p->current_term;
  m.prev_log_index = next - 1;
  m.prev_log_term = raft_log_term (node, next - 1);
  m.leader_commit = node->commit_index;
  m.round = node->round_sent;
  /* Header and entries go straight into the outbox's byte buffer. */
  guint at = out->bytes->len;
  proto_outbox_send (out, peer, &m, sizeof m);
  if (n > 0) {
    g_byte_array_set_size (out->bytes, at + (guint) (sizeof m + n * sizeof (RaftWireEntry)));
    RaftWireEntry *dst = (RaftWireEntry *) (void *) (out->bytes->data + at + sizeof m);
    for (uint64_t k = 0; k < n; k++)
      memcpy (&dst[k], &p->log[(next + k) % RAFT_LOG_CAP].e, sizeof (RaftWireEntry));
    g_array_index (out->msgs, ProtoOutMsg, out->msgs->len - 1).len
      = (uint32_t) (sizeof m + n * sizeof (RaftWireEntry));
    node->next_index[peer] = next + n;
  }
}

/* A heartbeat round: AppendEntries to every follower, numbered so that
 * ReadIndex and leases can tell which acknowledgements came after which
 * request (thesis 6.4 step 3). */
void
raft_broadcast_round (RaftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  node->round_sent++;
  node->round_sent_at_us[node->round_sent % RAFT_ROUND_RING] = now_us;
  node->acked_round[ctx->self] = node->round_sent;
  node->is_round_wanted = FALSE;
  node->heartbeat_deadline_us = now_us + cfg->heartbeat_us;
  for (int i = 0; i < ctx->n_nodes; i++)
    if (i != ctx->self && raft_is_member (node, i))
      raft_send_append (node, ctx, i, out);
  if (node->config == 1u << ctx->self)
    raft_round_ack (node, ctx, ctx->self, node->round_sent, now_us, out);
}

/* New entries: send them to every follower that is not already past them. */
void
raft_replicate (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  for (int i = 0; i < ctx->n_nodes; i++)
    if (i != ctx->self && raft_is_member (node, i)
        && node->next_index[i] <= node->persist.last_index)
      raft_send_append (node, ctx, i, out);
}

/* Figure 2, Leaders: "If there exists an N such that N > commitIndex, a
 * majority of matchIndex[i] >= N, and log[N].term == currentTerm: set
 * commitIndex = N (5.3, 5.4)."
 *
 * Section 5.4.2: "Raft never commits log entries from previous terms by
 * counting replicas.  Only log entries from the leader's current term are
 * committed by counting replicas; once an entry from the current term has
 * been committed in this way, then all prior entries are committed
 * indirectly because of the Log Matching Property." */
void
raft_commit_advance (RaftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  node->match_index[ctx->self] = node->persist.last_index;
  /* Thesis 4.2.2: a leader that is not in its configuration manages it
   * without counting itself (raft_members_kth counts members only). */
  uint64_t n = raft_members_kth (node, node->match_index, raft_quorum (node));
  if (n <= node->commit_index)
    return;
  if (raft_log_term (node, n) != node->persist.current_term) {
    if (cfg->bug != RAFT_BUG_COMMIT_PREVIOUS_TERM)
      return;
    /* Seeded bug: an entry of an older term counted as committed once a
     * majority stores it (the Figure 8 mistake). */
    proto_outbox_note (out, "commits %" G_GUINT64_FORMAT " of older term %" G_GUINT64_FORMAT
                       " by counting replicas (bug)", n, raft_log_term (node, n));
  }
  node->commit_index = n;
  raft_apply_committed (node, ctx, out);
  raft_reads_serve (node, ctx, now_us, out);
  if (!raft_is_member (node, ctx->self) && node->commit_index >= node->config_index) {
    /* Thesis 4.2.2: "the leader steps down ... once the Cnew entry is
     * committed." */
    proto_outbox_mark (out, "removed-leader-steps-down");
    proto_outbox_note (out, "removed from the configuration, now committed: steps down");
    raft_become_follower (node, ctx, node->persist.current_term, now_us, out);
  }
}

/* Figure 2, Leaders: "If successful: update nextIndex and matchIndex for
 * follower (5.3)", then see whether the commit index moves. */
void
raft_match_advance (RaftNode *node, const ProtoCtx *ctx, int peer, uint64_t match,
                    int64_t now_us, ProtoOutbox *out)
{
  if (match <= node->match_index[peer])
    return; /* old news: a duplicate or reordered answer */
  node->match_index[peer] = MIN (match, node->persist.last_index);
  if (node->next_index[peer] <= node->match_index[peer])
    node->next_index[peer] = node->match_index[peer] + 1;
  raft_commit_advance (node, ctx, now_us, out);
}

/* A follower acknowledged a message of heartbeat round `round` in our term
 * (success or not: either way it accepts us as leader). */
void
raft_round_ack (RaftNode *node, const ProtoCtx *ctx, int peer, uint64_t round, int64_t now_us,
                ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  if (round > node->round_sent) {
    proto_outbox_note (out, "n%d acknowledges round %" G_GUINT64_FORMAT ", never sent "
                       "(only %" G_GUINT64_FORMAT "): ignored", peer + 1, round, node->round_sent);
    return;
  }
  if (round <= node->acked_round[peer] && peer != ctx->self)
    return;
  if (round > node->acked_round[peer])
    node->acked_round[peer] = round;
  uint64_t confirmed = raft_members_kth (node, node->acked_round, raft_quorum (node));
  if (confirmed <= node->round_confirmed)
    return;
  node->round_confirmed = confirmed;
  /* Thesis 6.4.1: "once the leader's heartbeats were acknowledged by a
   * majority of the cluster, it would extend its lease to start + election
   * timeout / clock drift bound".  start is when the round was sent; the
   * lease knob is that quotient, chosen by the operator. */
  if (cfg->read_mode == RAFT_READ_LEASE && confirmed + RAFT_ROUND_RING > node->round_sent) {
    int64_t until = node->round_sent_at_us[confirmed % RAFT_ROUND_RING] + cfg->lease_us;
    if (until > node->lease_until_us)
      node->lease_until_us = until;
  }
  if (node->is_round_wanted && node->round_confirmed >= node->round_sent)
    raft_broadcast_round (node, ctx, now_us, out);
  raft_reads_serve (node, ctx, now_us, out);
}
