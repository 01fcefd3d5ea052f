/* recv_install_snapshot.c: a leader's snapshot arrives at a follower that
 * lags behind the leader's log. */
#include "protocols/raft/raft.h"

#include <string.h>

static void
snapshot_reply (const RaftNode *node, int to, uint64_t match, const RaftInstallSnapshot *m,
                ProtoOutbox *out)
{
  RaftInstallSnapshotResult r;
  memset (&r, 0, sizeof r);
  r.type = RAFT_MSG_INSTALL_SNAPSHOT_RESULT;
  r.term = node->persist.current_term;
  r.match_index = match;
  r.round = m->round;
  r.req_term = m->term;
  proto_outbox_send (out, to, &r, sizeof r);
}

/* Figure 13, InstallSnapshot RPC, receiver implementation (the whole
 * snapshot comes in one chunk, so steps 2-5 are one copy):
 * "1. Reply immediately if term < currentTerm
 *  ...
 *  5. Save snapshot file, discard any existing or partial snapshot with a
 *     smaller index
 *  6. If existing log entry has same index and term as snapshot's last
 *     included entry, retain log entries following it and reply
 *  7. Discard the entire log
 *  8. Reset state machine using snapshot contents" */
void
raft_recv_install_snapshot (RaftNode *node, const ProtoCtx *ctx, int from,
                            const RaftInstallSnapshot *m, int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  RaftPersist *p = &node->persist;
  if (m->term < p->current_term) {
    proto_outbox_mark (out, "stale-term");
    snapshot_reply (node, from, 0, m, out);
    return;
  }
  raft_become_follower (node, ctx, m->term, now_us, out);
  node->leader = from;
  node->leader_contact_us = now_us;
  node->election_deadline_us = raft_random_timeout (node, cfg, now_us);
  if (m->last_index <= node->commit_index) {
    /* We already have all of it, committed: nothing to install. */
    snapshot_reply (node, from, m->last_index, m, out);
    return;
  }
  uint64_t old_snap = p->snap.index;
  if (raft_log_has (node, m->last_index) && raft_log_term (node, m->last_index) == m->last_term) {
    for (uint64_t i = old_snap + 1; i <= m->last_index; i++)
      memset (&p->log[i % RAFT_LOG_CAP], 0, sizeof (RaftEntry));
  } else {
    for (uint64_t i = old_snap + 1; i <= p->last_index; i++)
      memset (&p->log[i % RAFT_LOG_CAP], 0, sizeof (RaftEntry));
    p->last_index = m->last_index;
  }
  p->snap.index = m->last_index;
  p->snap.term = m->last_term;
  p->snap.chain = m->last_chain;
  p->snap.machine = m->machine;
  p->snap.members = m->members;
  raft_persist_touch (node);
  node->is_snap_dirty = 1;
  node->machine = m->machine;
  node->is_machine_set = 1;
  node->commit_index = m->last_index;
  node->last_applied = m->last_index;
  node->applied_chain = m->last_chain;
  raft_config_refresh (node, ctx);
  proto_outbox_mark (out, "snapshot-installed");
  proto_outbox_note (out, "installed snapshot %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                     " from n%d", m->last_index, m->last_term, from + 1);
  snapshot_reply (node, from, m->last_index, m, out);
}
