/* proposer_on_client_request.c: a client's request arrives at a node. */
#include "protocols/paxos/paxos.h"

/* Is (client, seq) already proposed in a slot not yet applied? */
static gboolean
is_pending (const PaxosNode *node, int client, uint32_t seq)
{
  for (uint64_t s = node->last_applied + 1; s < node->next_slot; s++) {
    if (!paxos_slot_in_window (node, s))
      break;
    const PaxosCmd *c = &paxos_slot_c (node, s)->cmd;
    if (c->kind != PAXOS_CMD_NOOP && c->client == client && c->seq == seq)
      return TRUE;
  }
  return FALSE;
}

/* Section 3: "each server [is] ... a replica of the state machine ... A
 * client sends its command to the leader, the leader decides where in the
 * sequence it should appear."  A node that does not lead says whom it
 * follows.  A request already applied is answered from the client's
 * session (at most once); reads go through the log like writes, or, with
 * reads = lease, are answered by a leader whose lease holds (lease.c). */
void
paxos_proposer_on_client_request (PaxosNode *node, const ProtoCtx *ctx, int from,
                                  const PaxosClientRequest *m, int64_t now_us,
                                  ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  int client = from - ctx->n_nodes;
  if (client != m->client || client >= PAXOS_MAX_CLIENTS || m->key >= PAXOS_MAX_KEYS
      || m->kind > PROTO_OP_CAS || m->seq == 0)
    return; /* malformed: ignore */
  if (cfg->mode == PAXOS_MODE_SINGLE) {
    paxos_single_request (node, ctx, client, m, now_us, out);
    return;
  }
  if (node->role != PAXOS_LEADER) {
    paxos_reply (out, ctx, client, m->seq, PAXOS_REPLY_REDIRECT, FALSE, 0, node->leader);
    return;
  }
  const PaxosSession *s = &node->machine.sessions[client];
  if (m->seq <= s->seq) {
    if (m->seq == s->seq) {
      proto_outbox_mark (out, "duplicate-request-suppressed");
      proto_outbox_note (out, "c%d #%u already applied: cached reply", client + 1, m->seq);
      paxos_reply (out, ctx, client, m->seq, s->is_ok ? PAXOS_REPLY_OK : PAXOS_REPLY_FAILED,
                   s->has_value, s->value, ctx->self);
    }
    return;
  }
  if (m->kind == PROTO_OP_READ && cfg->reads == PAXOS_READS_LEASE
      && paxos_lease_read (node, ctx, m, now_us, out))
    return;
  if (!node->is_phase2_started)
    return; /* still waiting out the old lease: the client retries */
  if (is_pending (node, client, m->seq))
    return; /* answered when it is applied */
  if (!paxos_slot_in_window (node, node->next_slot)) {
    /* The window is full of slots not yet chosen: the client retries. */
    paxos_reply (out, ctx, client, m->seq, PAXOS_REPLY_REDIRECT, FALSE, 0, PAXOS_NOBODY);
    return;
  }
  PaxosCmd cmd = {
    .value = m->value,
    .expect = m->expect,
    .seq = m->seq,
    .client = (uint8_t) client,
    .kind = m->kind == PROTO_OP_READ ? PAXOS_CMD_READ
            : m->kind == PROTO_OP_WRITE ? PAXOS_CMD_WRITE : PAXOS_CMD_CAS,
    .key = m->key,
  };
  paxos_propose (node, ctx, node->next_slot++, &cmd, out);
  paxos_commit_advance (node, ctx, now_us, out);
}
