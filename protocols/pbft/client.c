/* client.c: the PBFT client stub.
 *
 * 4.1: "A client c requests the execution of state machine operation o by
 * sending a ⟨REQUEST, o, t, c⟩ message to the primary.  Timestamp t is
 * used to ensure exactly-once semantics ...  The client waits for f+1
 * replies with valid signatures from different replicas, and with the same
 * t and r, before accepting the result r. ...  If the client does not
 * receive replies soon enough, it broadcasts the request to all replicas."
 * The world's retry timer is "soon enough"; t is the operation number. */
#include "protocols/pbft/pbft.h"

#include <string.h>

static void
client_send (PbftClient *c, const ProtoCtx *ctx, gboolean to_all, ProtoOutbox *out)
{
  PbftRequestMsg m;
  memset (&m, 0, sizeof m);
  m.type = PBFT_MSG_REQUEST;
  m.req.kind = (uint8_t) c->op.f;
  m.req.key = (uint8_t) c->op.key;
  m.req.client = (uint16_t) c->op.client;
  m.req.t = c->op.seq;
  m.req.value = c->op.f == PROTO_OP_READ ? 0 : c->op.value;
  m.req.expect = c->op.f == PROTO_OP_CAS ? c->op.expect : 0;
  pbft_request_sign (&m.req);
  if (to_all) {
    for (int j = 0; j < ctx->n_nodes; j++)
      proto_outbox_send (out, j, &m, sizeof m);
  } else {
    proto_outbox_send (out, pbft_primary (c->view, ctx->n_nodes), &m, sizeof m);
  }
}

static void
client_receive (PbftClient *c, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  const PbftConfig *cfg = ctx->config;
  PbftReply r;
  if (!c->is_open || ev->msg_len != sizeof r || ev->from < 0 || ev->from >= ctx->n_nodes)
    return;
  memcpy (&r, ev->msg, sizeof r);
  if (r.type != PBFT_MSG_REPLY || r.t != c->op.seq)
    return;
  c->replies[ev->from] = (PbftClientReply) { .is_valid = 1, .is_ok = r.is_ok != 0,
                                             .has_value = r.has_value != 0, .t = r.t,
                                             .value = r.has_value ? r.value : 0 };
  const PbftClientReply *mine = &c->replies[ev->from];
  int matching = 0;
  for (int j = 0; j < ctx->n_nodes; j++) {
    const PbftClientReply *o = &c->replies[j];
    if (o->is_valid && o->t == mine->t && o->is_ok == mine->is_ok
        && o->has_value == mine->has_value && o->value == mine->value)
      matching++;
  }
  int need = pbft_f (ctx->n_nodes) + 1;
  if (cfg->bug == PBFT_BUG_CLIENT_ACCEPTS_FIRST_REPLY)
    need = 1; /* seeded bug */
  if (matching < need)
    return;
  c->is_open = FALSE;
  if (r.view > c->view && r.view < c->view + 1000000)
    c->view = r.view;
  c->has_accepted = TRUE;
  c->accepted_t = mine->t;
  c->accepted_is_ok = mine->is_ok;
  c->accepted_has_value = mine->has_value;
  c->accepted_value = mine->value;
  if (mine->is_ok)
    proto_outbox_complete (out, PROTO_RESULT_OK, mine->has_value, mine->value);
  else
    proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
}

void
pbft_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  PbftClient *c = cstate;
  switch (ev->kind) {
  case PROTO_EV_INVOKE: {
    const ProtoOp *op = ev->op;
    c->op = *op;
    memset (c->replies, 0, sizeof c->replies);
    if (op->f > PROTO_OP_CAS || op->key < 0 || op->key >= PBFT_MAX_KEYS
        || op->client >= PBFT_MAX_CLIENTS) {
      c->is_open = FALSE;
      proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
      break;
    }
    c->is_open = TRUE;
    client_send (c, ctx, FALSE, out);
    break;
  }
  case PROTO_EV_RETRY:
    if (c->is_open)
      client_send (c, ctx, TRUE, out);
    break;
  case PROTO_EV_RECEIVE:
    client_receive (c, ctx, ev, out);
    break;
  case PROTO_EV_START:
  case PROTO_EV_TIMEOUT:
    break;
  }
}
