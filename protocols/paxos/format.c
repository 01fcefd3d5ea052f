/* format.c: digest, and the words traces and diagrams use for ballots,
 * messages and node states. */
#include "protocols/paxos/paxos.h"

#include <string.h>

static inline uint64_t
digest_mix (uint64_t h, uint64_t v)
{
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

/* Ballot (round, node) as "round.node": 3.2 is round 3 of n2. */
void
paxos_format_ballot (uint64_t ballot, GString *out)
{
  if (ballot == 0)
    g_string_append (out, "0");
  else
    g_string_append_printf (out, "%" G_GUINT64_FORMAT ".%d", paxos_ballot_round (ballot),
                            paxos_ballot_node (ballot) + 1);
}

/* Canonical: the log's window enters slot by slot (unused slots as zero),
 * the state machine through applied_chain (a function of what was applied),
 * the check's event ring not at all. */
uint64_t
paxos_digest (const void *state, const ProtoCtx *ctx)
{
  const PaxosNode *node = state;
  const PaxosPersist *p = &node->persist;
  uint64_t h = 0x7a05;
  h = digest_mix (h, p->promised);
  h = digest_mix (h, p->last_slot);
  h = digest_mix (h, p->snap.index);
  h = digest_mix (h, p->snap.chain);
  for (uint64_t s = p->snap.index + 1; s <= p->last_slot && paxos_slot_in_window (node, s); s++) {
    const PaxosSlot *sl = paxos_slot_c (node, s);
    h = digest_mix (h, sl->ballot);
    h = digest_mix (h, sl->ballot != 0 || sl->is_chosen ? paxos_cmd_hash (&sl->cmd) : 0);
    h = digest_mix (h, sl->is_chosen);
  }
  h = digest_mix (h, node->rng.state);
  h = digest_mix (h, (uint64_t) node->role);
  h = digest_mix (h, (uint64_t) (int64_t) node->leader);
  h = digest_mix (h, node->ballot);
  h = digest_mix (h, node->promises);
  h = digest_mix (h, node->attempts);
  h = digest_mix (h, node->commit);
  h = digest_mix (h, node->last_applied);
  h = digest_mix (h, node->applied_chain);
  h = digest_mix (h, (uint64_t) node->election_deadline_us);
  h = digest_mix (h, (uint64_t) node->catchup_asked_us);
  for (uint32_t i = 0; i < node->n_pending; i++) {
    const PaxosPending *w = &node->pending[i];
    h = digest_mix (h, (uint64_t) w->value ^ (uint64_t) w->seq << 32 ^ (uint64_t) w->client << 8
                       ^ w->kind);
  }
  if (node->role == PAXOS_CANDIDATE)
    for (uint64_t s = node->commit + 1; s <= node->report_max_slot; s++) {
      const PaxosReport *r = &node->reports[s % PAXOS_LOG_CAP];
      h = digest_mix (h, r->ballot ^ (r->is_chosen ? paxos_cmd_hash (&r->cmd) : 0));
    }
  if (node->role == PAXOS_LEADER) {
    h = digest_mix (h, (uint64_t) node->heartbeat_deadline_us);
    h = digest_mix (h, node->next_slot);
    h = digest_mix (h, node->open_until);
    h = digest_mix (h, node->is_phase2_started);
    h = digest_mix (h, (uint64_t) node->lease_wait_until_us);
    h = digest_mix (h, (uint64_t) node->lease_until_us);
    h = digest_mix (h, node->round_sent);
    h = digest_mix (h, node->round_confirmed);
    for (int i = 0; i < ctx->n_nodes; i++)
      h = digest_mix (h, node->acked_round[i]);
    for (uint64_t s = node->commit + 1; s < node->next_slot && paxos_slot_in_window (node, s); s++)
      h = digest_mix (h, node->acks[s % PAXOS_LOG_CAP]);
  }
  return h;
}


static void
format_cmd (const PaxosCmd *c, GString *out)
{
  switch ((PaxosCmdKind) c->kind) {
  case PAXOS_CMD_NOOP:
    g_string_append (out, "no-op");
    return;
  case PAXOS_CMD_READ:
    g_string_append_printf (out, "c%u#%u read k%u", c->client + 1u, c->seq, c->key);
    return;
  case PAXOS_CMD_WRITE:
    g_string_append_printf (out, "c%u#%u k%u:=%" G_GINT64_FORMAT, c->client + 1u, c->seq, c->key,
                            c->value);
    return;
  case PAXOS_CMD_CAS:
    g_string_append_printf (out, "c%u#%u k%u %" G_GINT64_FORMAT "->%" G_GINT64_FORMAT,
                            c->client + 1u, c->seq, c->key, c->expect, c->value);
    return;
  }
  g_string_append (out, "?");
}

static void
format_slots (const void *msg, size_t header, uint16_t n, size_t len, GString *out)
{
  if (len != header + (size_t) n * sizeof (PaxosWireSlot)) {
    g_string_append_printf (out, "%u slots?", n);
    return;
  }
  for (uint16_t k = 0; k < n; k++) {
    PaxosWireSlot w;
    memcpy (&w, (const uint8_t *) msg + header + k * sizeof w, sizeof w);
    if (k == 4) {
      g_string_append_printf (out, ", ...%u more", n - 4u);
      return;
    }
    g_string_append_printf (out, "%s%" G_GUINT64_FORMAT "=", k ? ", " : "", w.slot);
    format_cmd (&w.cmd, out);
    if (!w.is_chosen) {
      g_string_append (out, "@");
      paxos_format_ballot (w.ballot, out);
    }
  }
}

void
paxos_format_msg (const void *msg, size_t len, GString *out)
{
  if (len == 0) {
    g_string_append (out, "?(empty)");
    return;
  }
  uint8_t type = ((const uint8_t *) msg)[0];
#define TAKE(T, v) T v; if (len < sizeof v) goto bad; memcpy (&v, msg, sizeof v)
  switch (type) {
  case PAXOS_MSG_PREPARE: {
    TAKE (PaxosPrepare, m);
    g_string_append (out, "Prepare(b=");
    paxos_format_ballot (m.ballot, out);
    g_string_append_printf (out, ", from=%" G_GUINT64_FORMAT ")", m.from_slot);
    return;
  }
  case PAXOS_MSG_PROMISE: {
    TAKE (PaxosPromise, m);
    if (!m.is_ok) {
      g_string_append (out, "PromiseRejected(b=");
      paxos_format_ballot (m.ballot, out);
      g_string_append (out, ", promised=");
      paxos_format_ballot (m.promised, out);
      g_string_append (out, ")");
      return;
    }
    g_string_append (out, "Promise(b=");
    paxos_format_ballot (m.ballot, out);
    if (m.snap_index > 0)
      g_string_append_printf (out, ", snap=%" G_GUINT64_FORMAT, m.snap_index);
    g_string_append (out, m.n_slots ? ", accepted " : ", none accepted");
    format_slots (msg, sizeof m, m.n_slots, len, out);
    g_string_append (out, ")");
    return;
  }
  case PAXOS_MSG_ACCEPT: {
    TAKE (PaxosAccept, m);
    g_string_append (out, "Accept(b=");
    paxos_format_ballot (m.ballot, out);
    g_string_append_printf (out, ", slot %" G_GUINT64_FORMAT "=", m.slot);
    format_cmd (&m.cmd, out);
    g_string_append_printf (out, ", commit=%" G_GUINT64_FORMAT ")", m.commit);
    return;
  }
  case PAXOS_MSG_ACCEPTED: {
    TAKE (PaxosAccepted, m);
    g_string_append (out, m.is_ok ? "Accepted(b=" : "AcceptRejected(b=");
    paxos_format_ballot (m.ballot, out);
    g_string_append_printf (out, ", slot %" G_GUINT64_FORMAT, m.slot);
    if (!m.is_ok) {
      g_string_append (out, ", promised=");
      paxos_format_ballot (m.promised, out);
    }
    g_string_append (out, ")");
    return;
  }
  case PAXOS_MSG_HEARTBEAT: {
    TAKE (PaxosHeartbeat, m);
    g_string_append (out, "Heartbeat(b=");
    paxos_format_ballot (m.ballot, out);
    g_string_append_printf (out, ", commit=%" G_GUINT64_FORMAT ")", m.commit);
    return;
  }
  case PAXOS_MSG_HEARTBEAT_ACK: {
    TAKE (PaxosHeartbeatAck, m);
    g_string_append (out, m.is_ok ? "HeartbeatOk(b=" : "HeartbeatRejected(b=");
    paxos_format_ballot (m.ballot, out);
    if (!m.is_ok) {
      g_string_append (out, ", promised=");
      paxos_format_ballot (m.promised, out);
    }
    g_string_append (out, ")");
    return;
  }
  case PAXOS_MSG_CHOSEN: {
    TAKE (PaxosChosen, m);
    g_string_append (out, "Chosen(");
    format_slots (msg, sizeof m, m.n_slots, len, out);
    g_string_append (out, ")");
    return;
  }
  case PAXOS_MSG_CATCHUP_REQUEST: {
    TAKE (PaxosCatchupRequest, m);
    g_string_append_printf (out, "CatchUp(from=%" G_GUINT64_FORMAT ")", m.from_slot);
    return;
  }
  case PAXOS_MSG_SNAPSHOT: {
    if (len < offsetof (PaxosSnapshotMsg, machine))
      goto bad;
    PaxosSnapshotMsg m;
    memcpy (&m, msg, offsetof (PaxosSnapshotMsg, machine));
    g_string_append_printf (out, "Snapshot(upto=%" G_GUINT64_FORMAT ")", m.index);
    return;
  }
  case PAXOS_MSG_CLIENT_REQUEST: {
    TAKE (PaxosClientRequest, m);
    leader_client_format_request (out, m.client, m.seq, m.kind, m.key, m.value, m.expect);
    return;
  }
  case PAXOS_MSG_CLIENT_REPLY: {
    TAKE (PaxosClientReply, m);
    LeaderReply r = {
      .status = m.status == PAXOS_REPLY_REDIRECT ? LEADER_REPLY_REDIRECT
                : m.status == PAXOS_REPLY_FAILED ? LEADER_REPLY_FAILED : LEADER_REPLY_OK,
      .seq = m.seq, .has_value = m.has_value, .value = m.value, .leader_hint = m.leader_hint,
    };
    leader_client_format_reply (out, &r, "failed");
    return;
  }
  default:
    break;
  }
#undef TAKE
bad:
  g_string_append_printf (out, "?(type %u, %zu bytes)", type, len);
}

void
paxos_format_state (const void *state, const ProtoCtx *ctx, GString *out)
{
  const PaxosNode *node = state;
  const PaxosPersist *p = &node->persist;
  if (node->is_halted) {
    g_string_append (out, "stopped (damaged disk image)");
    return;
  }
  g_string_append_printf (out, "%s promised=", paxos_role_name ((PaxosRole) node->role));
  paxos_format_ballot (p->promised, out);
  if (node->role != PAXOS_FOLLOWER) {
    g_string_append (out, " ballot=");
    paxos_format_ballot (node->ballot, out);
  }
  g_string_append_printf (out, " slots=%" G_GUINT64_FORMAT, p->last_slot);
  if (p->snap.index > 0)
    g_string_append_printf (out, " snap=%" G_GUINT64_FORMAT, p->snap.index);
  g_string_append_printf (out, " commit=%" G_GUINT64_FORMAT " applied=%" G_GUINT64_FORMAT,
                          node->commit, node->last_applied);
  if (node->role == PAXOS_FOLLOWER && node->leader != PAXOS_NOBODY)
    g_string_append_printf (out, " leader=n%d", node->leader + 1);
}

/* The role-aware faults' leader: a proposer in phase 2, by its ballot. */
int64_t
paxos_leader_term (const void *state, const ProtoCtx *ctx)
{
  const PaxosNode *node = state;
  return node->role == PAXOS_LEADER && !node->is_halted ? (int64_t) (node->ballot >> 1) : -1;
}

/* The fuzzer's convergence check: every running node that is not halted
 * has applied as many slots as the most advanced one, with the same state
 * machine (key-value store and client sessions). */
gboolean
paxos_converged (const void *const *states, const gboolean *is_up, const ProtoCtx *ctxs,
                 int n_nodes, GString *why)
{
  int best = -1;
  for (int n = 0; n < n_nodes; n++) {
    const PaxosNode *node = states[n];
    if (is_up[n] && !node->is_halted
        && (best < 0 || node->last_applied > ((const PaxosNode *) states[best])->last_applied))
      best = n;
  }
  if (best < 0)
    return TRUE;
  const PaxosNode *b = states[best];
  gboolean ok = TRUE;
  for (int n = 0; n < n_nodes; n++) {
    const PaxosNode *node = states[n];
    if (n == best || !is_up[n] || node->is_halted)
      continue;
    if (node->last_applied == b->last_applied
        && memcmp (&node->machine, &b->machine, sizeof b->machine) == 0)
      continue;
    g_string_append_printf (why, "%sn%d applied %" G_GUINT64_FORMAT " slots%s, n%d %"
                            G_GUINT64_FORMAT, ok ? "" : "; ", n + 1, node->last_applied,
                            node->last_applied == b->last_applied ? " with a different state" : "",
                            best + 1, b->last_applied);
    ok = FALSE;
  }
  return ok;
}
