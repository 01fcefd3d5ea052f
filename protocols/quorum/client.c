/* client.c: the quorum client stub.
 *
 * It knows the ring (a pure function of the knobs), so it picks the
 * coordinator itself, as Dynamo's "partition-aware client library" does
 * (4.5): coordinator = owner asks the first node of the key's preference
 * list and walks down the ring on each retry; coordinator = any asks a
 * random node and moves on to the next on each retry.  With version vectors
 * the coordinator is always a node of the preference list (the first, or a
 * random one): it must hold the versions its new version descends from.
 *
 * With version vectors the client keeps, per key, the causal context of
 * what it has read, and sends it with its next write, so the write replaces
 * exactly what the client saw (Riak's "read before you write").  A write to
 * a key it has no fresh context for (never read, or written since) first
 * fetches one with a read that is not part of the history.  A write's own
 * reply gives no context: a version vector cannot say "saw my dot n1:3 but
 * not n1:2, which another client wrote through n1 a moment earlier". */
#include "protocols/quorum/quorum.h"

#include <string.h>

static int
pick_target (QuorumClient *c, const ProtoCtx *ctx, uint32_t start)
{
  const QuorumConfig *cfg = ctx->config;
  int n_nodes = ctx->n_nodes;
  uint32_t i = start + c->tries;
  if (cfg->coordinator == QUORUM_COORD_OWNER)
    return c->ring[c->op.key][c->tries % (uint32_t) n_nodes];
  if (quorum_cell_is_vv (ctx))
    return c->ring[c->op.key][i % (uint32_t) quorum_replicas (ctx)];
  return (int) (i % (uint32_t) n_nodes);
}

static void
client_send (QuorumClient *c, const ProtoCtx *ctx, ProtoOutbox *out)
{
  QuorumClientRequest m;
  memset (&m, 0, sizeof m);
  m.type = QUORUM_MSG_CLIENT_REQUEST;
  m.kind = c->is_fetching ? QUORUM_OP_FETCH
           : c->op.f == PROTO_OP_READ ? QUORUM_OP_READ : QUORUM_OP_WRITE;
  m.client = (uint8_t) c->op.client;
  m.key = (uint8_t) c->op.key;
  m.seq = c->op.seq;
  m.value = c->op.value;
  m.level = (uint8_t) c->op.level;
  if (m.kind == QUORUM_OP_WRITE)
    m.ctx = c->ctx[c->op.key];
  proto_outbox_send (out, c->target, &m, sizeof m);
}

void
quorum_client_seed (QuorumClient *c, const ProtoCtx *ctx)
{
  const QuorumConfig *cfg = ctx->config;
  if (c->is_seeded)
    return;
  pcg32_seed (&c->rng, ctx->seed, (uint64_t) ctx->self);
  quorum_ring_orders (ctx->n_nodes, (int) cfg->vnodes, c->ring);
  c->is_seeded = TRUE;
}

static void
client_invoke (QuorumClient *c, const ProtoCtx *ctx, const ProtoOp *op, ProtoOutbox *out)
{
  quorum_client_seed (c, ctx);
  c->op = *op;
  c->tries = 0;
  c->is_fetching = FALSE;
  if ((op->f != PROTO_OP_READ && op->f != PROTO_OP_WRITE) || op->key < 0
      || op->key >= QUORUM_MAX_KEYS || op->client > 255) {
    /* Not something this store can do: it certainly did not happen. */
    c->is_open = FALSE;
    proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
    return;
  }
  c->is_open = TRUE;
  c->start = (uint8_t) pcg32_below (&c->rng, 256);
  c->is_fetching = op->f == PROTO_OP_WRITE && quorum_cell_is_vv (ctx) && !c->has_ctx[op->key];
  c->target = pick_target (c, ctx, c->start);
  client_send (c, ctx, out);
}

static void
client_receive (QuorumClient *c, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  QuorumClientReply r;
  if (!c->is_open || ev->msg_len != sizeof r || ev->from < 0 || ev->from >= ctx->n_nodes)
    return;
  memcpy (&r, ev->msg, sizeof r);
  if (r.type != QUORUM_MSG_CLIENT_REPLY || r.seq != c->op.seq
      || r.n_values > QUORUM_MAX_SIBLINGS)
    return; /* an answer to an earlier operation, or garbled */
  int key = c->op.key;
  gboolean is_vv = quorum_cell_is_vv (ctx);
  if (is_vv && (c->is_fetching || c->op.f == PROTO_OP_READ)) {
    quorum_vv_join (&c->ctx[key], &r.ctx);
    c->has_ctx[key] = TRUE;
  } else if (is_vv) {
    c->has_ctx[key] = FALSE; /* written since: fetch before the next write */
  }
  if (c->is_fetching) {
    /* The context is here: now the write itself, to the same node. */
    c->is_fetching = FALSE;
    c->target = ev->from;
    client_send (c, ctx, out);
    return;
  }
  c->is_open = FALSE;
  if (c->op.f == PROTO_OP_WRITE)
    proto_outbox_complete (out, PROTO_RESULT_OK, FALSE, 0);
  else
    proto_outbox_complete_values (out, r.values, r.n_values);
}

void
quorum_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  QuorumClient *c = cstate;
  const QuorumConfig *cfg = ctx->config;
  if (cfg->mode == QUORUM_MODE_ABD) {
    quorum_abd_client_step (c, ctx, ev, out);
    return;
  }
  switch (ev->kind) {
  case PROTO_EV_INVOKE:
    client_invoke (c, ctx, ev->op, out);
    break;
  case PROTO_EV_RETRY:
    if (!c->is_open)
      break;
    /* No answer in time: the coordinator may be down or cut off.  A
     * retry with a new sequence number (no idempotency keys) is a new
     * operation for the nodes; a write then makes a second version of
     * the same value, which is harmless. */
    c->op.seq = ev->op != NULL ? ev->op->seq : c->op.seq;
    c->tries++;
    c->target = pick_target (c, ctx, c->start);
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
