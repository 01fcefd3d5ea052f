/* client.c: the primary-backup client stub.
 *
 * A client sends each attempt to the node it believes is primary (n1 at
 * first).  A backup answers "not primary, try nX" and the client follows
 * (a few times per attempt, so two confused nodes cannot bounce it forever).
 * When the world's retry timer fires the client tries the next node in
 * turn: the primary it believed in may be down or cut off.  Every attempt
 * carries the same (client, seq), so the primary applies a write once. */
#include "protocols/pb/pb.h"

#include <string.h>

static void
send_attempt (const PbClient *c, ProtoOutbox *out)
{
  PbRequest m = {
    .type = PB_MSG_REQUEST,
    .f = (uint32_t) c->op.f,
    .client = c->op.client,
    .seq = c->op.seq,
    .key = c->op.key,
    .value = c->op.value,
    .expect = c->op.expect,
  };
  proto_outbox_send (out, c->target, &m, sizeof m);
}

static void
on_reply (PbClient *c, const ProtoCtx *ctx, int from, const PbReply *m, ProtoOutbox *out)
{
  if (!c->has_op || m->seq != c->op.seq)
    return; /* a late answer to an operation already over */
  switch (m->kind) {
  case PB_REPLY_OK:
    c->has_op = 0;
    c->target = from;
    proto_outbox_complete (out, PROTO_RESULT_OK, m->has_value != 0, m->value);
    return;
  case PB_REPLY_FAIL:
    c->has_op = 0;
    c->target = from;
    proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
    return;
  case PB_REPLY_REDIRECT:
    if (c->redirects >= 2u * (uint32_t) ctx->n_nodes)
      return; /* wait for the retry timer */
    c->redirects++;
    c->target = (m->hint >= 0 && m->hint < ctx->n_nodes && m->hint != from)
                  ? m->hint : (from + 1) % ctx->n_nodes;
    send_attempt (c, out);
    return;
  default:
    return;
  }
}

void
pb_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  PbClient *c = cstate;
  switch (ev->kind) {
  case PROTO_EV_INVOKE:
    c->op = *ev->op;
    c->has_op = 1;
    c->redirects = 0;
    if (c->target < 0 || c->target >= ctx->n_nodes)
      c->target = 0;
    send_attempt (c, out);
    return;
  case PROTO_EV_RETRY:
    if (!c->has_op)
      return;
    c->target = (c->target + 1) % ctx->n_nodes;
    c->redirects = 0;
    send_attempt (c, out);
    return;
  case PROTO_EV_RECEIVE: {
    PbReply m;
    uint32_t type = 0;
    if (ev->msg_len != sizeof m || ev->from >= ctx->n_nodes)
      return;
    memcpy (&m, ev->msg, sizeof m);
    memcpy (&type, ev->msg, sizeof type);
    if (type == PB_MSG_REPLY)
      on_reply (c, ctx, ev->from, &m, out);
    return;
  }
  default:
    return;
  }
}
