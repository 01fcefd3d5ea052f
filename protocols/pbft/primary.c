/* primary.c: the primary assigns sequence numbers to requests. */
#include "protocols/pbft/pbft.h"

#include <string.h>

/* Is the client's request already in the log of this view? */
static gboolean
is_assigned (const PbftNode *node, const PbftRequest *req)
{
  for (int i = 0; i < PBFT_LOG_CAP; i++) {
    const PbftSlot *s = &node->log[i];
    if (s->seq > node->stable.seq && s->has_pre_prepare && s->view == node->view
        && s->req.kind != PBFT_OP_NULL && s->req.client == req->client && s->req.t >= req->t)
      return TRUE;
  }
  return FALSE;
}

/* 4.2: "When the primary, p, receives a client request, m, it starts a
 * three-phase protocol to atomically multicast the request to the replicas
 * ... the primary assigns a sequence number, n, to the request, multicasts
 * a pre-prepare message with m piggybacked to all the backups, and appends
 * the message to its log."  Requests wait while the log is full up to the
 * high water mark, and go out once a checkpoint moves it. */
void
pbft_primary_propose (PbftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  g_assert (pbft_primary (node->view, ctx->n_nodes) == ctx->self);
  if (node->is_view_changing)
    return;
  for (int c = 0; c < PBFT_MAX_CLIENTS; c++) {
    PbftPending *p = &node->pending[c];
    if (!p->is_pending)
      continue;
    if (p->req.t <= node->machine.sessions[c].t) {
      p->is_pending = FALSE;
      continue;
    }
    if (is_assigned (node, &p->req))
      continue;
    PbftSlot *s = pbft_slot (node, ctx, node->next_seq + 1);
    if (s == NULL) {
      proto_outbox_mark (out, "high-water-mark");
      return;
    }
    node->next_seq++;
    uint64_t d = pbft_request_digest (&p->req);
    pbft_slot_accept_pre_prepare (node, s, node->view, d, &p->req);
    PbftPrePrepare m;
    memset (&m, 0, sizeof m);
    m.type = PBFT_MSG_PRE_PREPARE;
    m.view = node->view;
    m.seq = s->seq;
    m.digest = d;
    m.req = p->req;
    proto_outbox_sync (out);
    pbft_send_all (ctx, out, &m, sizeof m);
    /* A quorum of one (n = 1): the primary alone prepares and commits, no
     * other replica's message will come to make it look at the slot. */
    if (pbft_quorum (ctx->n_nodes) == 1)
      pbft_slot_update (node, ctx, s, now_us, out);
  }
}
