/* raft.c: the Raft node's step function: start, timeouts, and a dispatcher
 * that hands each message to its handler (recv_*.c). */
#include "protocols/raft/raft.h"
#include "protocols/bytes_nonzero.h"

#include <string.h>

static const ProtoKnob raft_knobs[] = {
  { "election_timeout_min", PROTO_KNOB_DURATION, offsetof (RaftConfig, election_min_us),
    "150ms", 1000, 60000000, NULL, "shortest randomized election timeout" },
  { "election_timeout_max", PROTO_KNOB_DURATION, offsetof (RaftConfig, election_max_us),
    "300ms", 1000, 60000000, NULL, "longest randomized election timeout" },
  { "heartbeat", PROTO_KNOB_DURATION, offsetof (RaftConfig, heartbeat_us),
    "50ms", 100, 60000000, NULL, "leader's idle AppendEntries interval" },
  { "batch", PROTO_KNOB_INT, offsetof (RaftConfig, batch),
    "64", 1, 256, NULL, "entries per AppendEntries at most" },
  { "snapshot_threshold", PROTO_KNOB_INT, offsetof (RaftConfig, snapshot_threshold),
    "256", 1, RAFT_LOG_CAP, NULL, "applied entries beyond the snapshot that trigger compaction" },
  { "read_mode", PROTO_KNOB_CHOICE, offsetof (RaftConfig, read_mode),
    "read-index", 0, 0, "read-index|lease|log", "how linearizable reads are served" },
  { "lease", PROTO_KNOB_DURATION, offsetof (RaftConfig, lease_us),
    "100ms", 0, 60000000, NULL, "lease length (read_mode = lease); keep below election_timeout_min minus clock drift" },
  { "pre_vote", PROTO_KNOB_BOOL, offsetof (RaftConfig, pre_vote),
    "true", 0, 0, NULL, "ask for pre-votes before starting an election (thesis 9.6)" },
  { "check_quorum", PROTO_KNOB_BOOL, offsetof (RaftConfig, check_quorum),
    "true", 0, 0, NULL, "a leader that has not heard from a majority within an election timeout steps down (thesis 6.2)" },
  { "members", PROTO_KNOB_INT, offsetof (RaftConfig, members),
    "0", 0, PROTO_MAX_NODES, NULL, "n1..nK form the first configuration, the others join by 'admin add nX' (0: every node)" },
  { "unclean_election", PROTO_KNOB_BOOL, offsetof (RaftConfig, unclean_election),
    "false", 0, 0, NULL, "grant votes without the log up-to-date check (Kafka's unclean leader election): an out-of-date node may lead and committed entries are lost" },
  { "bug", PROTO_KNOB_CHOICE, offsetof (RaftConfig, bug), "none", 0, 0,
    "none|vote-without-log-check|commit-previous-term|stale-leader-read|volatile-vote|"
    "reply-before-sync|two-changes-at-once",
    "seeded bug to switch on" },
  { NULL },
};

int64_t
raft_random_timeout (RaftNode *node, const RaftConfig *cfg, int64_t now_us)
{
  int64_t hi = MAX (cfg->election_min_us, cfg->election_max_us);
  return now_us + pcg32_range (&node->rng, cfg->election_min_us, hi);
}

/* A restart: the persistent state is what a real server would read back
 * from disk; everything else starts over. */
static void
raft_start (RaftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  RaftPersist *p = &node->persist;
  pcg32_seed (&node->rng, ctx->seed, (uint64_t) ctx->self);
  node->role = RAFT_FOLLOWER;
  node->leader = RAFT_NOBODY;
  gboolean is_snap_zero;
  if (!raft_persist_recover (node, ctx, out, &is_snap_zero))
    return;
  raft_config_refresh (node, ctx);
  /* Section 7: "the state machine is reset using the snapshot contents";
   * commit and apply restart from the snapshot, the log is replayed as the
   * leader tells us what is committed. */
  node->machine = p->snap.machine;
  /* A snapshot found all zero holds a zero machine: no second scan. */
  node->is_machine_set = !is_snap_zero && bytes_nonzero (&node->machine, sizeof node->machine);
  node->commit_index = p->snap.index;
  node->last_applied = p->snap.index;
  node->applied_chain = p->snap.chain;
  /* Thesis 6.4.1: a leader's lease assumes no server votes within an
   * election timeout of hearing from it; a server that just rebooted may
   * have heard from it a moment ago, so with leases it waits as if it had.
   * Without leases it may vote at once. */
  node->leader_contact_us = cfg->read_mode == RAFT_READ_LEASE ? now_us : INT64_MIN / 4;
  node->election_deadline_us = raft_random_timeout (node, cfg, now_us);
  if (cfg->bug == RAFT_BUG_VOLATILE_VOTE && p->has_voted) {
    /* Seeded bug: votedFor was kept in memory only. */
    p->has_voted = FALSE;
    raft_persist_touch (node);
    proto_outbox_note (out, "forgot its vote in term %" G_GUINT64_FORMAT " (bug)",
                       p->current_term);
  }
  if (node->config == 1u << ctx->self && !raft_is_recovering (node))
    raft_election_start (node, ctx, FALSE, now_us, out);
}

/* Thesis 6.2: "a leader in Raft steps down if an election timeout elapses
 * without a successful round of heartbeats to a majority of its cluster;
 * this allows clients to retry their requests with another server."  The
 * leader counts the nodes it heard from (any answer in its term) during
 * each window of election_timeout_min; a window with no majority deposes
 * it. */
static gboolean
raft_check_quorum (RaftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  if (!cfg->check_quorum || node->role != RAFT_LEADER || ctx->n_nodes == 1)
    return TRUE;
  if (now_us - node->quorum_since_us < cfg->election_min_us)
    return TRUE;
  node->heard |= 1u << ctx->self;
  int heard = __builtin_popcount (node->heard & node->config);
  if (heard >= raft_quorum (node)) {
    node->heard = 0;
    node->quorum_since_us = now_us;
    return TRUE;
  }
  proto_outbox_mark (out, "check-quorum-step-down");
  proto_outbox_note (out, "heard from %d of %d members in an election timeout: steps down",
                     heard, __builtin_popcount (node->config));
  raft_become_follower (node, ctx, node->persist.current_term, now_us, out);
  node->leader = RAFT_NOBODY;
  return FALSE;
}

static void
raft_timeout (RaftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  if (node->role == RAFT_LEADER && raft_check_quorum (node, ctx, now_us, out)) {
    /* Figure 2, Leaders: "send initial empty AppendEntries RPCs (heartbeat)
     * to each server; repeat during idle periods to prevent election
     * timeouts (5.2)". */
    if (now_us >= node->heartbeat_deadline_us)
      raft_broadcast_round (node, ctx, now_us, out);
    return;
  }
  if (node->role == RAFT_LEADER)
    return;
  /* Figure 2, Followers: "If election timeout elapses without receiving
   * AppendEntries RPC from current leader or granting vote to candidate:
   * convert to candidate."  Candidates: "If election timeout elapses: start
   * new election." */
  if (now_us < node->election_deadline_us)
    return;
  if (!raft_is_member (node, ctx->self) && !raft_is_needed_until_committed (node, ctx)) {
    node->election_deadline_us = raft_random_timeout (node, cfg, now_us);
    return; /* not in the configuration: stands for no election */
  }
  if (raft_is_recovering (node)) {
    proto_outbox_mark (out, "recovering-no-vote");
    node->election_deadline_us = raft_random_timeout (node, cfg, now_us);
    return;
  }
  raft_election_start (node, ctx, cfg->pre_vote && ctx->n_nodes > 1, now_us, out);
}

/* An entry the state machine can apply (a garbled or forged one could
 * index past the registers or sessions). */
static gboolean
raft_wire_entry_is_valid (const RaftWireEntry *e)
{
  return e->kind <= RAFT_ENTRY_CONFIG && e->key < RAFT_MAX_KEYS && e->client < RAFT_MAX_CLIENTS;
}

/* Copies a fixed-size message out of the event, or refuses it. */
static gboolean
msg_take (const ProtoEvent *ev, void *dst, size_t len)
{
  if (ev->msg_len < len)
    return FALSE;
  memcpy (dst, ev->msg, len);
  return TRUE;
}

static void
raft_receive (RaftNode *node, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  if (ev->msg_len == 0)
    return;
  int from = ev->from;
  int64_t now = ev->now_us;
  gboolean from_node = from >= 0 && from < ctx->n_nodes && from != ctx->self;
  switch (((const uint8_t *) ev->msg)[0]) {
  case RAFT_MSG_REQUEST_VOTE: {
    RaftRequestVote m;
    if (from_node && msg_take (ev, &m, sizeof m))
      raft_recv_request_vote (node, ctx, from, &m, now, out);
    break;
  }
  case RAFT_MSG_REQUEST_VOTE_RESULT: {
    RaftRequestVoteResult m;
    if (from_node && msg_take (ev, &m, sizeof m))
      raft_recv_request_vote_result (node, ctx, from, &m, now, out);
    break;
  }
  case RAFT_MSG_APPEND_ENTRIES: {
    RaftAppendEntries m;
    if (!from_node || !msg_take (ev, &m, sizeof m)
        || ev->msg_len != sizeof m + (size_t) m.n_entries * sizeof (RaftWireEntry))
      break;
    /* Entries follow the header; copy them to aligned storage. */
    RaftWireEntry entries[256];
    if (m.n_entries > G_N_ELEMENTS (entries))
      break;
    memcpy (entries, (const uint8_t *) ev->msg + sizeof m,
            (size_t) m.n_entries * sizeof (RaftWireEntry));
    for (uint32_t k = 0; k < m.n_entries; k++)
      if (!raft_wire_entry_is_valid (&entries[k]))
        return; /* garbled: ignore the whole message */
    raft_recv_append_entries (node, ctx, from, &m, entries, now, out);
    break;
  }
  case RAFT_MSG_APPEND_ENTRIES_RESULT: {
    RaftAppendEntriesResult m;
    if (from_node && msg_take (ev, &m, sizeof m))
      raft_recv_append_entries_result (node, ctx, from, &m, now, out);
    break;
  }
  case RAFT_MSG_INSTALL_SNAPSHOT: {
    if (!from_node || ev->msg_len != sizeof (RaftInstallSnapshot))
      break;
    /* Too big for the stack of a step that may be called deep; the message
     * bytes are only read, so a copy is made into the node's own snapshot
     * by the handler. */
    RaftInstallSnapshot *m = g_malloc (sizeof *m);
    memcpy (m, ev->msg, sizeof *m);
    raft_recv_install_snapshot (node, ctx, from, m, now, out);
    g_free (m);
    break;
  }
  case RAFT_MSG_INSTALL_SNAPSHOT_RESULT: {
    RaftInstallSnapshotResult m;
    if (from_node && msg_take (ev, &m, sizeof m))
      raft_recv_install_snapshot_result (node, ctx, from, &m, now, out);
    break;
  }
  case RAFT_MSG_CLIENT_REQUEST: {
    RaftClientRequest m;
    if (from >= ctx->n_nodes && msg_take (ev, &m, sizeof m))
      raft_recv_client_request (node, ctx, from, &m, now, out);
    break;
  }
  default:
    break; /* not a Raft message: ignore */
  }
}

static inline gboolean
cfg_check_quorum (const ProtoCtx *ctx)
{
  const RaftConfig *cfg = ctx->config;
  return cfg->check_quorum && ctx->n_nodes > 1;
}

static void
raft_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  RaftNode *node = state;
  if (node->is_halted) {
    proto_outbox_set_deadline (out, PROTO_NO_DEADLINE);
    return;
  }
  switch (ev->kind) {
  case PROTO_EV_START:
    raft_start (node, ctx, ev->now_us, out);
    if (node->is_halted) {
      proto_outbox_set_deadline (out, PROTO_NO_DEADLINE);
      return;
    }
    break;
  case PROTO_EV_TIMEOUT:
    raft_timeout (node, ctx, ev->now_us, out);
    break;
  case PROTO_EV_RECEIVE:
    raft_receive (node, ctx, ev, out);
    break;
  case PROTO_EV_INVOKE:
  case PROTO_EV_RETRY:
    break; /* client events: not for nodes */
  }
  raft_persist_seal (node, ctx, out);
  int64_t deadline = node->election_deadline_us;
  if (node->role == RAFT_LEADER) {
    deadline = node->heartbeat_deadline_us;
    if (cfg_check_quorum (ctx))
      deadline = MIN (deadline, node->quorum_since_us + ((const RaftConfig *) ctx->config)->election_min_us);
  }
  proto_outbox_set_deadline (out, deadline);
}

/* The operator commands of membership.c: "add nK" and "remove nK". */
static const char *const raft_admin_words[] = { "add", "remove", NULL };

const ProtoVTable proto_raft = {
  .name = "raft",
  .summary = "Raft with pre-vote, ReadIndex, leases, client sessions and snapshots",
  .knobs = raft_knobs,
  .config_size = sizeof (RaftConfig),
  .ops_supported = (1u << PROTO_OP_READ) | (1u << PROTO_OP_WRITE) | (1u << PROTO_OP_CAS),
  .min_nodes = 1,
  .max_nodes = PROTO_MAX_NODES,
  .state_size = sizeof (RaftNode),
  .persist_offset = offsetof (RaftNode, persist),
  .persist_size = sizeof (RaftPersist),
  .step = raft_step,
  .digest = raft_digest,
  .ghost_size = sizeof (RaftGhost),
  .check = raft_check,
  .ghost_copy = raft_ghost_copy,
  .ghost_free = raft_ghost_free,
  .ghost_assign = raft_ghost_assign,
  .ghost_digest = raft_ghost_digest,
  .admin = raft_admin,
  .admin_words = raft_admin_words,
  .format_msg = raft_format_msg,
  .format_state = raft_format_state,
  .client_state_size = sizeof (RaftClient),
  .client_step = raft_client_step,
  .invariant_names = (const char *const[]) { "election-safety", "leader-append-only",
                                             "leader-completeness", "state-machine-safety",
                                             "log-matching", NULL },
  .leader_term = raft_leader_term,
  .converged = raft_converged,
  .state_extent = raft_state_extent,
  .state_holes = raft_state_holes,
};
