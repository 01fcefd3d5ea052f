/* recv_client_request.c: a client's request arrives at a node. */
#include "protocols/raft/raft.h"

/* Is (client, seq) already in the log, waiting to be applied? */
static gboolean
is_pending (const RaftNode *node, int client, uint32_t seq)
{
  for (uint64_t i = node->last_applied + 1; i <= node->persist.last_index; i++) {
    const RaftWireEntry *e = &raft_log_entry (node, i)->e;
    if (e->kind != RAFT_ENTRY_NOOP && e->kind != RAFT_ENTRY_CONFIG && e->client == client
        && e->seq == seq)
      return TRUE;
  }
  return FALSE;
}

/* Section 8: "Clients of Raft send all of their requests to the leader.
 * ... If the client's first choice is not the leader, that server will
 * reject the client's request and supply information about the most recent
 * leader it has heard from."  Figure 2, Leaders: "If command received from
 * client: append entry to local log, respond after entry applied to state
 * machine (5.3)". */
void
raft_recv_client_request (RaftNode *node, const ProtoCtx *ctx, int from,
                          const RaftClientRequest *m, int64_t now_us, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  RaftPersist *p = &node->persist;
  int client = from - ctx->n_nodes;
  if (client != m->client || client >= RAFT_MAX_CLIENTS || m->key >= RAFT_MAX_KEYS
      || m->kind > PROTO_OP_CAS || m->seq == 0)
    return; /* malformed: ignore */
  if (node->role != RAFT_LEADER) {
    raft_reply (out, ctx, client, m->seq, RAFT_REPLY_REDIRECT, FALSE, 0, node->leader);
    return;
  }
  /* Thesis 6.3: the session answers a retry of an applied request from its
   * cache instead of applying it again. */
  const RaftSession *s = &node->machine.sessions[client];
  if (m->seq <= s->seq) {
    if (m->seq == s->seq) {
      proto_outbox_mark (out, "duplicate-request-suppressed");
      proto_outbox_note (out, "c%d #%u already applied: cached reply", client + 1, m->seq);
      raft_reply (out, ctx, client, m->seq, s->is_ok ? RAFT_REPLY_OK : RAFT_REPLY_CAS_FAILED,
                  s->has_value, s->value, ctx->self);
    }
    return;
  }
  if (m->kind == PROTO_OP_READ && cfg->read_mode != RAFT_READ_LOG) {
    raft_read_start (node, ctx, m, now_us, out);
    return;
  }
  if (is_pending (node, client, m->seq))
    return; /* answered when it is applied */
  /* Keep room in the ring for the next leader's no-op: refuse new work while
   * half of it waits for a commit.  The client retries later. */
  if (p->last_index - node->commit_index >= RAFT_LOG_CAP / 2) {
    raft_reply (out, ctx, client, m->seq, RAFT_REPLY_REDIRECT, FALSE, 0, RAFT_NOBODY);
    return;
  }
  RaftWireEntry e = {
    .term = p->current_term,
    .value = m->value,
    .expect = m->expect,
    .seq = m->seq,
    .client = (uint8_t) client,
    .kind = m->kind == PROTO_OP_READ ? RAFT_ENTRY_READ
            : m->kind == PROTO_OP_WRITE ? RAFT_ENTRY_WRITE : RAFT_ENTRY_CAS,
    .key = m->key,
  };
  if (!raft_log_append (node, ctx, &e)) {
    raft_log_compact (node, ctx, out);
    if (!raft_log_append (node, ctx, &e))
      return;
  }
  raft_replicate (node, ctx, out);
  raft_commit_advance (node, ctx, now_us, out);
}
