/* format.c: digest, and the words traces and diagrams use for messages and
 * node states. */
#include "protocols/raft/raft.h"

#include <string.h>

static inline uint64_t
digest_mix (uint64_t h, uint64_t v)
{
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

/* Canonical: the log enters through its hash chain (which covers every
 * entry and the snapshot), the state machine through applied_chain (it is a
 * function of the applied prefix), and unused slots never enter.  The
 * words are gathered, then mixed in two independent lanes (the explorer
 * digests every node a step touches). */
uint64_t
raft_digest (const void *state, const ProtoCtx *ctx)
{
  const RaftNode *node = state;
  const RaftPersist *p = &node->persist;
  uint64_t v[24 + 3 * PROTO_MAX_NODES + RAFT_MAX_READS];
  size_t n = 0;
  v[n++] = p->current_term;
  v[n++] = p->has_voted ? (uint64_t) p->voted_for + 1 : 0;
  v[n++] = p->snap.index;
  v[n++] = p->last_index;
  v[n++] = raft_log_chain (node, p->last_index);
  v[n++] = node->rng.state;
  v[n++] = (uint64_t) node->role;
  v[n++] = (uint64_t) (int64_t) node->leader;
  v[n++] = node->commit_index;
  v[n++] = node->last_applied;
  v[n++] = node->applied_chain;
  v[n++] = (uint64_t) node->election_deadline_us;
  v[n++] = (uint64_t) node->leader_contact_us;
  v[n++] = node->votes;
  if (node->role == RAFT_LEADER) {
    v[n++] = (uint64_t) node->heartbeat_deadline_us;
    for (int i = 0; i < MIN (ctx->n_nodes, PROTO_MAX_NODES); i++) {
      v[n++] = node->next_index[i];
      v[n++] = node->match_index[i];
      v[n++] = node->acked_round[i];
    }
    v[n++] = node->round_sent;
    v[n++] = node->round_confirmed;
    v[n++] = (uint64_t) node->lease_until_us;
    for (uint32_t i = 0; i < MIN (node->n_reads, RAFT_MAX_READS); i++) {
      const RaftRead *r = &node->reads[i];
      v[n++] = r->read_index ^ r->round << 20 ^ (uint64_t) r->seq << 32 ^ r->client;
    }
  }
  uint64_t a = 0x1234567, b = 0x89abcdef;
  size_t i = 0;
  for (; i + 2 <= n; i += 2) {
    a = digest_mix (a, v[i]);
    b = digest_mix (b, v[i + 1]);
  }
  if (i < n)
    a = digest_mix (a, v[i]);
  return digest_mix (digest_mix (n, a), b);
}

static void
format_entries (const RaftAppendEntries *m, GString *out)
{
  if (m->n_entries == 0)
    g_string_append (out, "heartbeat");
  else
    g_string_append_printf (out, "%u entr%s", m->n_entries, m->n_entries == 1 ? "y" : "ies");
}

void
raft_format_msg (const void *msg, size_t len, GString *out)
{
  if (len == 0) {
    g_string_append (out, "?(empty)");
    return;
  }
  uint8_t type = ((const uint8_t *) msg)[0];
#define TAKE(T, v) T v; if (len < sizeof v) goto bad; memcpy (&v, msg, sizeof v)
  switch (type) {
  case RAFT_MSG_REQUEST_VOTE: {
    TAKE (RaftRequestVote, m);
    g_string_append_printf (out, "%s(t=%" G_GUINT64_FORMAT ", last=%" G_GUINT64_FORMAT
                            "/%" G_GUINT64_FORMAT ")", m.is_pre_vote ? "PreVote" : "RequestVote",
                            m.term, m.last_log_index, m.last_log_term);
    return;
  }
  case RAFT_MSG_REQUEST_VOTE_RESULT: {
    TAKE (RaftRequestVoteResult, m);
    g_string_append_printf (out, "%s%s(t=%" G_GUINT64_FORMAT ")",
                            m.is_pre_vote ? "PreVote" : "Vote",
                            m.is_granted ? "Granted" : "Denied", m.term);
    return;
  }
  case RAFT_MSG_APPEND_ENTRIES: {
    TAKE (RaftAppendEntries, m);
    g_string_append_printf (out, "AppendEntries(t=%" G_GUINT64_FORMAT ", prev=%" G_GUINT64_FORMAT
                            "/%" G_GUINT64_FORMAT ", ", m.term, m.prev_log_index,
                            m.prev_log_term);
    format_entries (&m, out);
    g_string_append_printf (out, ", commit=%" G_GUINT64_FORMAT ")", m.leader_commit);
    return;
  }
  case RAFT_MSG_APPEND_ENTRIES_RESULT: {
    TAKE (RaftAppendEntriesResult, m);
    if (m.is_success)
      g_string_append_printf (out, "AppendOk(t=%" G_GUINT64_FORMAT ", match=%" G_GUINT64_FORMAT
                              ")", m.term, m.match_index);
    else if (m.conflict_index == 0)
      g_string_append_printf (out, "AppendRejected(t=%" G_GUINT64_FORMAT ", stale term)", m.term);
    else
      g_string_append_printf (out, "AppendRejected(t=%" G_GUINT64_FORMAT ", conflict=%"
                              G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT ")", m.term,
                              m.conflict_index, m.conflict_term);
    return;
  }
  case RAFT_MSG_INSTALL_SNAPSHOT: {
    TAKE (RaftInstallSnapshot, m);
    g_string_append_printf (out, "InstallSnapshot(t=%" G_GUINT64_FORMAT ", last=%" G_GUINT64_FORMAT
                            "/%" G_GUINT64_FORMAT ")", m.term, m.last_index, m.last_term);
    return;
  }
  case RAFT_MSG_INSTALL_SNAPSHOT_RESULT: {
    TAKE (RaftInstallSnapshotResult, m);
    g_string_append_printf (out, "SnapshotOk(t=%" G_GUINT64_FORMAT ", match=%" G_GUINT64_FORMAT
                            ")", m.term, m.match_index);
    return;
  }
  case RAFT_MSG_CLIENT_REQUEST: {
    TAKE (RaftClientRequest, m);
    leader_client_format_request (out, m.client, m.seq, m.kind, m.key, m.value, m.expect);
    return;
  }
  case RAFT_MSG_CLIENT_REPLY: {
    TAKE (RaftClientReply, m);
    LeaderReply r = {
      .status = m.status == RAFT_REPLY_REDIRECT ? LEADER_REPLY_REDIRECT
                : m.status == RAFT_REPLY_CAS_FAILED ? LEADER_REPLY_FAILED : LEADER_REPLY_OK,
      .seq = m.seq, .has_value = m.has_value, .value = m.value, .leader_hint = m.leader_hint,
    };
    leader_client_format_reply (out, &r, "cas failed");
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
raft_format_state (const void *state, const ProtoCtx *ctx, GString *out)
{
  const RaftNode *node = state;
  const RaftPersist *p = &node->persist;
  g_string_append_printf (out, "%s t=%" G_GUINT64_FORMAT, raft_role_name ((RaftRole) node->role),
                          p->current_term);
  if (p->has_voted)
    g_string_append_printf (out, " vote=n%d", p->voted_for + 1);
  g_string_append_printf (out, " log=%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                          p->last_index, raft_log_term (node, p->last_index));
  if (p->snap.index > 0)
    g_string_append_printf (out, " snap=%" G_GUINT64_FORMAT, p->snap.index);
  g_string_append_printf (out, " commit=%" G_GUINT64_FORMAT " applied=%" G_GUINT64_FORMAT,
                          node->commit_index, node->last_applied);
  if (node->role != RAFT_LEADER && node->leader != RAFT_NOBODY)
    g_string_append_printf (out, " leader=n%d", node->leader + 1);
}

/* The role-aware faults' leader: a leader of current_term. */
int64_t
raft_leader_term (const void *state, const ProtoCtx *ctx)
{
  const RaftNode *node = state;
  return node->role == RAFT_LEADER && !node->is_halted ? (int64_t) node->persist.current_term : -1;
}

/* The fuzzer's convergence check: the leader of the highest term, and
 * every running member of its configuration with the same applied index and
 * the same state machine (key-value store and client sessions).  Nodes the
 * leader's configuration left out are not replicas any more: a removed
 * server never hears of its removal. */
gboolean
raft_converged (const void *const *states, const gboolean *is_up, const ProtoCtx *ctxs,
                int n_nodes, GString *why)
{
  int leader = -1;
  for (int n = 0; n < n_nodes; n++) {
    const RaftNode *node = states[n];
    if (is_up[n] && raft_leader_term (node, &ctxs[n]) >= 0
        && (leader < 0 || node->persist.current_term
                            > ((const RaftNode *) states[leader])->persist.current_term))
      leader = n;
  }
  if (leader < 0) {
    g_string_append (why, "no node leads");
    return FALSE;
  }
  const RaftNode *l = states[leader];
  gboolean ok = TRUE;
  for (int n = 0; n < n_nodes; n++) {
    const RaftNode *node = states[n];
    if (n == leader || !((l->config >> n) & 1u))
      continue;
    if (!is_up[n] || node->is_halted) {
      g_string_append_printf (why, "%sn%d is a member but not running", ok ? "" : "; ", n + 1);
      ok = FALSE;
      continue;
    }
    if (node->last_applied == l->last_applied
        && memcmp (&node->machine, &l->machine, sizeof l->machine) == 0)
      continue;
    g_string_append_printf (why, "%sn%d applied %" G_GUINT64_FORMAT " entries%s, the leader n%d "
                            "(term %" G_GUINT64_FORMAT ") %" G_GUINT64_FORMAT,
                            ok ? "" : "; ", n + 1, node->last_applied,
                            node->last_applied == l->last_applied ? " with a different state" : "",
                            leader + 1, l->persist.current_term, l->last_applied);
    ok = FALSE;
  }
  return ok;
}
