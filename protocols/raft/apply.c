/* apply.c: the replicated state machine (integer registers with client
 * sessions) and the apply loop. */
#include "protocols/raft/raft.h"

#include <string.h>

void
raft_machine_read (const RaftMachine *m, int key, gboolean *has_value, int64_t *value)
{
  *has_value = m->kv[key].has_value;
  *value = m->kv[key].value;
}

void
raft_reply (ProtoOutbox *out, const ProtoCtx *ctx, int client, uint32_t seq,
            RaftReplyStatus status, gboolean has_value, int64_t value, int leader_hint)
{
  RaftClientReply r;
  memset (&r, 0, sizeof r);
  r.type = RAFT_MSG_CLIENT_REPLY;
  r.status = (uint8_t) status;
  r.has_value = (uint8_t) has_value;
  r.leader_hint = (int8_t) leader_hint;
  r.seq = seq;
  r.value = value;
  proto_outbox_send (out, ctx->n_nodes + client, &r, sizeof r);
}

/* Section 8: "the state machine tracks the latest serial number processed
 * for each client, along with the associated response.  If it receives a
 * command whose serial number has already been executed, it responds
 * immediately without re-executing the request." */
static void
apply_entry (RaftNode *node, const ProtoCtx *ctx, const RaftEntry *entry, ProtoOutbox *out)
{
  const RaftWireEntry *e = &entry->e;
  if (e->kind == RAFT_ENTRY_NOOP || e->kind == RAFT_ENTRY_CONFIG)
    return;
  RaftMachine *m = &node->machine;
  node->is_machine_set = 1;
  RaftSession *s = &m->sessions[e->client];
  if (e->seq <= s->seq) {
    /* A retry that reached the log twice: applied once only. */
    proto_outbox_mark (out, "duplicate-request-suppressed");
    proto_outbox_note (out, "c%u #%u already applied: not applied again", e->client + 1u, e->seq);
    return;
  }
  RaftCell *cell = &m->kv[e->key];
  s->seq = e->seq;
  s->is_ok = TRUE;
  switch ((RaftEntryKind) e->kind) {
  case RAFT_ENTRY_READ:
    s->has_value = cell->has_value;
    s->value = cell->value;
    break;
  case RAFT_ENTRY_WRITE:
    cell->has_value = TRUE;
    cell->value = e->value;
    s->has_value = FALSE;
    s->value = 0;
    break;
  case RAFT_ENTRY_CAS:
    s->is_ok = cell->has_value && cell->value == e->expect;
    if (s->is_ok)
      cell->value = e->value;
    s->has_value = FALSE;
    s->value = 0;
    break;
  case RAFT_ENTRY_NOOP:
  case RAFT_ENTRY_CONFIG:
    break;
  }
  /* Figure 2, Leaders: "respond after entry applied to state machine".
   * Only the leader that appended the entry answers; a later leader answers
   * a retry from the session cache. */
  if (node->role == RAFT_LEADER && e->term == node->persist.current_term)
    raft_reply (out, ctx, e->client, e->seq, s->is_ok ? RAFT_REPLY_OK : RAFT_REPLY_CAS_FAILED,
                s->has_value, s->value, ctx->self);
}

/* Figure 2, All Servers: "If commitIndex > lastApplied: increment
 * lastApplied, apply log[lastApplied] to state machine (5.3)". */
void
raft_apply_committed (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  uint64_t upto = MIN (node->commit_index, node->persist.last_index);
  while (node->last_applied < upto) {
    node->last_applied++;
    const RaftEntry *entry = raft_log_entry (node, node->last_applied);
    apply_entry (node, ctx, entry, out);
    node->applied_chain = entry->chain;
  }
  if (node->last_applied - node->persist.snap.index >= (uint64_t) cfg->snapshot_threshold)
    raft_log_compact (node, ctx, out);
}
