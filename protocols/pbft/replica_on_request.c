/* replica_on_request.c: a client's request arrives at a replica. */
#include "protocols/pbft/pbft.h"

#include <string.h>

/* 4.1: "If the request has already been processed, the replicas simply
 * re-send the reply; replicas remember the last reply message they sent to
 * each client.  Otherwise, if the replica is not the primary, it relays the
 * request to the primary.  If the primary does not multicast the request to
 * the group, it will eventually be suspected to be faulty by enough
 * replicas to cause a view change."  4.4: a backup that receives a valid
 * request it has not executed starts its view-change timer. */
void
pbft_replica_on_request (PbftNode *node, const ProtoCtx *ctx, int from,
                         const PbftRequest *req, int64_t now_us, ProtoOutbox *out)
{
  if (req->kind == PBFT_OP_NULL || !pbft_request_is_valid (req))
    return;
  /* A client speaks for itself only (the network's true sender). */
  if (from >= ctx->n_nodes && from - ctx->n_nodes != req->client)
    return;
  const PbftSession *s = &node->machine.sessions[req->client];
  if (req->t <= s->t) {
    if (req->t == s->t && from >= ctx->n_nodes)
      pbft_reply (node, ctx, out, req->client);
    return;
  }
  PbftPending *p = &node->pending[req->client];
  if (p->is_pending && p->req.t > req->t)
    return; /* an older request of a client that moved on */
  gboolean is_new = !p->is_pending || memcmp (&p->req, req, sizeof *req) != 0;
  p->is_pending = TRUE;
  p->req = *req;
  int primary = pbft_primary (node->view, ctx->n_nodes);
  if (primary == ctx->self) {
    pbft_primary_propose (node, ctx, now_us, out);
    return;
  }
  if (is_new && from >= ctx->n_nodes && !node->is_view_changing) {
    PbftRequestMsg m;
    memset (&m, 0, sizeof m);
    m.type = PBFT_MSG_REQUEST;
    m.req = *req;
    proto_outbox_send (out, primary, &m, sizeof m);
  }
  pbft_timer_update (node, ctx, now_us);
}
