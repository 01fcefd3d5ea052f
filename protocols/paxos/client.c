/* client.c: the Paxos client stub, the same as Raft's: it sends the
 * current operation to a node chosen at random, follows "not the leader,
 * try nX" redirects, and moves on to the next node when the world's retry
 * timer fires (the last one did not answer).  In single mode every node
 * answers, so there are no redirects.
 *
 * A reply of PAXOS_REPLY_FAILED means the operation certainly did not take
 * effect: a cas whose comparison failed, or a single-decree write whose
 * value lost to another. */
#include "protocols/paxos/paxos.h"

#include <string.h>

static void
client_send (PaxosClient *c, const ProtoCtx *ctx, ProtoOutbox *out)
{
  PaxosClientRequest m;
  memset (&m, 0, sizeof m);
  m.type = PAXOS_MSG_CLIENT_REQUEST;
  m.kind = (uint8_t) c->op.f;
  m.client = (uint8_t) c->op.client;
  m.key = (uint8_t) c->op.key;
  m.seq = c->op.seq;
  m.value = c->op.value;
  m.expect = c->op.expect;
  proto_outbox_send (out, c->target, &m, sizeof m);
}

static void
client_invoke (PaxosClient *c, const ProtoCtx *ctx, const ProtoOp *op, ProtoOutbox *out)
{
  if (!c->is_seeded) {
    pcg32_seed (&c->rng, ctx->seed, (uint64_t) ctx->self);
    c->target = (int32_t) pcg32_below (&c->rng, (uint32_t) ctx->n_nodes);
    c->is_seeded = TRUE;
  }
  c->op = *op;
  c->hops = 0;
  if (op->f > PROTO_OP_CAS || op->key < 0 || op->key >= PAXOS_MAX_KEYS
      || op->client >= PAXOS_MAX_CLIENTS) {
    /* Not something this cluster can do: it certainly did not happen. */
    c->is_open = FALSE;
    proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
    return;
  }
  c->is_open = TRUE;
  client_send (c, ctx, out);
}

static void
client_receive (PaxosClient *c, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  PaxosClientReply r;
  if (!c->is_open || ev->msg_len != sizeof r || ev->from < 0 || ev->from >= ctx->n_nodes)
    return;
  memcpy (&r, ev->msg, sizeof r);
  if (r.type != PAXOS_MSG_CLIENT_REPLY || r.seq != c->op.seq)
    return; /* an answer to an earlier operation */
  switch ((PaxosReplyStatus) r.status) {
  case PAXOS_REPLY_OK:
    c->is_open = FALSE;
    c->target = ev->from;
    proto_outbox_complete (out, PROTO_RESULT_OK, r.has_value, r.value);
    return;
  case PAXOS_REPLY_FAILED:
    c->is_open = FALSE;
    c->target = ev->from;
    proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
    return;
  case PAXOS_REPLY_REDIRECT:
    /* Follow the hint, or try the next node; after two tours of the
     * cluster, wait for the retry timer instead of spinning. */
    if (c->hops >= 2u * (uint32_t) ctx->n_nodes)
      return;
    c->hops++;
    if (r.leader_hint >= 0 && r.leader_hint < ctx->n_nodes && r.leader_hint != ev->from)
      c->target = r.leader_hint;
    else if (r.leader_hint == PAXOS_NOBODY && c->hops > (uint32_t) ctx->n_nodes)
      return; /* no leader anywhere yet: let the backoff pass */
    else
      c->target = (ev->from + 1) % ctx->n_nodes;
    client_send (c, ctx, out);
    return;
  }
}

void
paxos_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  PaxosClient *c = cstate;
  switch (ev->kind) {
  case PROTO_EV_INVOKE:
    client_invoke (c, ctx, ev->op, out);
    break;
  case PROTO_EV_RETRY:
    if (!c->is_open)
      break;
    /* No answer from the last node in time: it may be down or cut off. */
    c->hops = 0;
    c->target = (c->target + 1) % ctx->n_nodes;
    client_send (c, ctx, out);
    break;
  case PROTO_EV_RECEIVE:
    client_receive (c, ctx, ev, out);
    break;
  case PROTO_EV_START:
  case PROTO_EV_TIMEOUT:
    break;
  }
}
