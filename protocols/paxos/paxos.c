/* paxos.c: the Paxos node's step function: start, timeouts, and a
 * dispatcher that hands each message to its handler (<role>_on_<message>.c).
 * Set beside protocols/raft/raft.c: the same seam, knobs and layout. */
#include "protocols/paxos/paxos.h"
#include "protocols/mix64.h"

#include <string.h>

static const ProtoKnob paxos_knobs[] = {
  { "mode", PROTO_KNOB_CHOICE, offsetof (PaxosConfig, mode),
    "multi", 0, 0, "single|multi",
    "single: one decree, a write-once register; multi: Multi-Paxos with a leader and a log" },
  { "election_timeout_min", PROTO_KNOB_DURATION, offsetof (PaxosConfig, election_min_us),
    "150ms", 1000, 60000000, NULL,
    "shortest randomized wait before a node runs phase 1 (multi), or retries a ballot" },
  { "election_timeout_max", PROTO_KNOB_DURATION, offsetof (PaxosConfig, election_max_us),
    "300ms", 1000, 60000000, NULL, "longest randomized wait (before backoff)" },
  { "heartbeat", PROTO_KNOB_DURATION, offsetof (PaxosConfig, heartbeat_us),
    "50ms", 100, 60000000, NULL, "leader's idle heartbeat interval" },
  { "backoff_cap", PROTO_KNOB_INT, offsetof (PaxosConfig, backoff_cap),
    "4", 0, 10, NULL, "a lost ballot doubles the longest wait, up to this many times" },
  { "snapshot_threshold", PROTO_KNOB_INT, offsetof (PaxosConfig, snapshot_threshold),
    "128", 1, PAXOS_LOG_CAP, NULL, "applied slots beyond the snapshot that trigger compaction" },
  { "reads", PROTO_KNOB_CHOICE, offsetof (PaxosConfig, reads),
    "log", 0, 0, "log|lease",
    "log: reads are commands in the log; lease: the leader answers while its lease holds" },
  { "lease", PROTO_KNOB_DURATION, offsetof (PaxosConfig, lease_us),
    "100ms", 0, 60000000, NULL,
    "lease length (reads = lease); a new leader waits this long before phase 2; safe only "
    "while the clocks run at nearly the same rate" },
  { "bug", PROTO_KNOB_CHOICE, offsetof (PaxosConfig, bug), "none", 0, 0,
    "none|accept-without-promise-check|ignore-accepted-in-promise|volatile-promise|"
    "lease-read-without-wait",
    "seeded bug to switch on" },
  { NULL },
};

/* Randomized timeouts with backoff: after `attempts` lost ballots in a row
 * the longest wait doubles (up to backoff_cap times), so two proposers that
 * keep preempting each other soon draw far apart. */
int64_t
paxos_random_timeout (PaxosNode *node, const PaxosConfig *cfg, int64_t now_us)
{
  int64_t lo = cfg->election_min_us;
  int64_t hi = MAX (lo, cfg->election_max_us);
  uint32_t doublings = MIN (node->attempts, (uint32_t) cfg->backoff_cap);
  hi <<= doublings;
  return now_us + pcg32_range (&node->rng, lo, hi);
}

/* A command's identity for the invariants: never 0 (0 is "nothing"). */
uint64_t
paxos_cmd_hash (const PaxosCmd *c)
{
  uint64_t h = mix64 (0x5bd1e995u ^ (uint64_t) c->value);
  h = mix64 (h ^ (uint64_t) c->expect);
  h = mix64 (h ^ ((uint64_t) c->seq << 32 | (uint64_t) c->client << 16
                  | (uint64_t) c->kind << 8 | c->key));
  return h | 1u;
}

/* A restart: the acceptor's promise, its accepted slots and what the
 * learner knew was chosen are read back from disk; the state machine is
 * rebuilt from the snapshot and the chosen slots after it. */
static void
paxos_start (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  PaxosPersist *p = &node->persist;
  pcg32_seed (&node->rng, ctx->seed, (uint64_t) ctx->self);
  node->role = PAXOS_FOLLOWER;
  node->leader = PAXOS_NOBODY;
  node->election_deadline_us = PROTO_NO_DEADLINE;
  g_autoptr (GString) why = g_string_new (NULL);
  if (!paxos_persist_is_intact (p, why)) {
    node->is_halted = TRUE;
    proto_outbox_mark (out, "storage-corrupt-halt");
    proto_outbox_note (out, "disk image damaged: %s; stops", why->str);
    return;
  }
  node->boot_promised = p->promised;
  node->machine = p->snap.machine;
  node->commit = p->snap.index;
  node->last_applied = p->snap.index;
  node->applied_chain = p->snap.chain;
  if (cfg->bug == PAXOS_BUG_VOLATILE_PROMISE && p->promised != 0) {
    /* Seeded bug: the promise was kept in memory only. */
    g_autoptr (GString) b = g_string_new (NULL);
    paxos_format_ballot (p->promised, b);
    proto_outbox_note (out, "forgot its promise of ballot %s (bug)", b->str);
    p->promised = 0;
  }
  paxos_commit_advance (node, ctx, now_us, out);
  if (cfg->mode == PAXOS_MODE_SINGLE) {
    node->election_deadline_us = PROTO_NO_DEADLINE;
    return;
  }
  node->election_deadline_us = paxos_random_timeout (node, cfg, now_us);
  if (ctx->n_nodes == 1)
    paxos_prepare_start (node, ctx, now_us, out);
}

static void
paxos_timeout (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  if (node->role == PAXOS_LEADER && cfg->mode == PAXOS_MODE_MULTI) {
    if (!node->is_phase2_started && now_us >= node->lease_wait_until_us)
      paxos_phase2_start (node, ctx, now_us, out);
    if (now_us >= node->heartbeat_deadline_us)
      paxos_heartbeat (node, ctx, now_us, out);
    return;
  }
  if (now_us < node->election_deadline_us)
    return;
  if (cfg->mode == PAXOS_MODE_SINGLE && paxos_single_is_decided (node, ctx, now_us, out))
    return;
  if (cfg->mode == PAXOS_MODE_SINGLE && node->n_pending == 0) {
    /* Nobody waits for the decree any more: stop proposing. */
    if (node->role != PAXOS_FOLLOWER)
      paxos_become_follower (node, ctx, now_us, out);
    node->election_deadline_us = PROTO_NO_DEADLINE;
    return;
  }
  /* A candidate (or a single-decree proposer in phase 2) that heard from
   * no majority in time lost this ballot: back off, then try a higher one. */
  if (node->role != PAXOS_FOLLOWER) {
    node->attempts++;
    proto_outbox_note (out, "ballot timed out (attempt %u)", node->attempts);
  }
  paxos_prepare_start (node, ctx, now_us, out);
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

static gboolean
cmd_is_valid (const PaxosCmd *c)
{
  return c->kind <= PAXOS_CMD_CAS && c->key < PAXOS_MAX_KEYS && c->client < PAXOS_MAX_CLIENTS;
}

/* A header followed by n PaxosWireSlot: copies the slots to aligned storage
 * (at most PAXOS_LOG_CAP), or refuses the message. */
static gboolean
slots_take (const ProtoEvent *ev, size_t header, uint32_t n, PaxosWireSlot *dst)
{
  if (n > PAXOS_LOG_CAP || ev->msg_len != header + (size_t) n * sizeof (PaxosWireSlot))
    return FALSE;
  memcpy (dst, (const uint8_t *) ev->msg + header, (size_t) n * sizeof (PaxosWireSlot));
  for (uint32_t k = 0; k < n; k++)
    if (!cmd_is_valid (&dst[k].cmd))
      return FALSE;
  return TRUE;
}

static void
paxos_receive (PaxosNode *node, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  if (ev->msg_len == 0)
    return;
  int from = ev->from;
  int64_t now = ev->now_us;
  gboolean from_node = from >= 0 && from < ctx->n_nodes && from != ctx->self;
  switch (((const uint8_t *) ev->msg)[0]) {
  case PAXOS_MSG_PREPARE: {
    PaxosPrepare m;
    if (from_node && msg_take (ev, &m, sizeof m))
      paxos_acceptor_on_prepare (node, ctx, from, &m, now, out);
    break;
  }
  case PAXOS_MSG_PROMISE: {
    PaxosPromise m;
    if (!from_node || !msg_take (ev, &m, sizeof m))
      break;
    PaxosWireSlot *slots = g_new (PaxosWireSlot, MAX (m.n_slots, 1));
    if (slots_take (ev, sizeof m, m.n_slots, slots))
      paxos_proposer_on_promise (node, ctx, from, &m, slots, now, out);
    g_free (slots);
    break;
  }
  case PAXOS_MSG_ACCEPT: {
    PaxosAccept m;
    if (from_node && msg_take (ev, &m, sizeof m) && cmd_is_valid (&m.cmd))
      paxos_acceptor_on_accept (node, ctx, from, &m, now, out);
    break;
  }
  case PAXOS_MSG_ACCEPTED: {
    PaxosAccepted m;
    if (from_node && msg_take (ev, &m, sizeof m))
      paxos_proposer_on_accepted (node, ctx, from, &m, now, out);
    break;
  }
  case PAXOS_MSG_HEARTBEAT: {
    PaxosHeartbeat m;
    if (from_node && msg_take (ev, &m, sizeof m))
      paxos_acceptor_on_heartbeat (node, ctx, from, &m, now, out);
    break;
  }
  case PAXOS_MSG_HEARTBEAT_ACK: {
    PaxosHeartbeatAck m;
    if (from_node && msg_take (ev, &m, sizeof m))
      paxos_proposer_on_heartbeat_ack (node, ctx, from, &m, now, out);
    break;
  }
  case PAXOS_MSG_CHOSEN: {
    PaxosChosen m;
    if (!from_node || !msg_take (ev, &m, sizeof m))
      break;
    PaxosWireSlot *slots = g_new (PaxosWireSlot, MAX (m.n_slots, 1));
    if (slots_take (ev, sizeof m, m.n_slots, slots))
      paxos_learner_on_chosen (node, ctx, from, slots, m.n_slots, now, out);
    g_free (slots);
    break;
  }
  case PAXOS_MSG_CATCHUP_REQUEST: {
    PaxosCatchupRequest m;
    if (from_node && msg_take (ev, &m, sizeof m))
      paxos_learner_on_catchup_request (node, ctx, from, &m, out);
    break;
  }
  case PAXOS_MSG_SNAPSHOT: {
    if (!from_node || ev->msg_len != sizeof (PaxosSnapshotMsg))
      break;
    PaxosSnapshotMsg *m = g_malloc (sizeof *m);
    memcpy (m, ev->msg, sizeof *m);
    paxos_learner_on_snapshot (node, ctx, from, m, now, out);
    g_free (m);
    break;
  }
  case PAXOS_MSG_CLIENT_REQUEST: {
    PaxosClientRequest m;
    if (from >= ctx->n_nodes && msg_take (ev, &m, sizeof m))
      paxos_proposer_on_client_request (node, ctx, from, &m, now, out);
    break;
  }
  default:
    break; /* not a Paxos message: ignore */
  }
}

static void
paxos_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  PaxosNode *node = state;
  const PaxosConfig *cfg = ctx->config;
  if (node->is_halted) {
    proto_outbox_set_deadline (out, PROTO_NO_DEADLINE);
    return; /* its disk lied: it takes no part any more */
  }
  switch (ev->kind) {
  case PROTO_EV_START:
    paxos_start (node, ctx, ev->now_us, out);
    break;
  case PROTO_EV_TIMEOUT:
    paxos_timeout (node, ctx, ev->now_us, out);
    break;
  case PROTO_EV_RECEIVE:
    paxos_receive (node, ctx, ev, out);
    break;
  case PROTO_EV_INVOKE:
  case PROTO_EV_RETRY:
    break; /* client events: not for nodes */
  }
  int64_t deadline = node->election_deadline_us;
  if (node->role == PAXOS_LEADER && cfg->mode == PAXOS_MODE_MULTI) {
    deadline = node->heartbeat_deadline_us;
    if (!node->is_phase2_started)
      deadline = MIN (deadline, node->lease_wait_until_us);
  }
  proto_outbox_set_deadline (out, deadline);
  /* The world writes persist as the step leaves it: seal the header last. */
  if (out->sync)
    paxos_persist_seal (&node->persist);
}

const ProtoVTable proto_paxos = {
  .name = "paxos",
  .summary = "single-decree Paxos and Multi-Paxos with leader election, no-op gap filling, "
             "catch-up, client sessions, leases and snapshots",
  .knobs = paxos_knobs,
  .config_size = sizeof (PaxosConfig),
  .ops_supported = (1u << PROTO_OP_READ) | (1u << PROTO_OP_WRITE) | (1u << PROTO_OP_CAS),
  .min_nodes = 1,
  .max_nodes = PROTO_MAX_NODES,
  .state_size = sizeof (PaxosNode),
  .persist_offset = offsetof (PaxosNode, persist),
  .persist_size = sizeof (PaxosPersist),
  .step = paxos_step,
  .digest = paxos_digest,
  .state_extent = paxos_state_extent,
  .state_holes = paxos_state_holes,
  .ghost_size = sizeof (PaxosGhost),
  .check = paxos_check,
  .ghost_copy = paxos_ghost_copy,
  .ghost_free = paxos_ghost_free,
  .ghost_digest = paxos_ghost_digest,
  .format_msg = paxos_format_msg,
  .format_state = paxos_format_state,
  .client_state_size = sizeof (PaxosClient),
  .client_step = paxos_client_step,  .invariant_names = (const char *const[]) { "agreement", "validity", "promises-respected",
                                             "learned-only-chosen", "same-sequence", NULL },
  .leader_term = paxos_leader_term,
  .converged = paxos_converged,
};
