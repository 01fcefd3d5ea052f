/* backup_on_pre_prepare.c: a backup receives the primary's pre-prepare. */
#include "protocols/pbft/pbft.h"

/* 4.2: "A backup accepts a pre-prepare message provided: the signatures in
 * the request and the pre-prepare message are correct and d is the digest
 * for m; it is in view v; it has not accepted a pre-prepare message for
 * view v and sequence number n containing a different digest; the sequence
 * number in the pre-prepare message is between a low water mark, h, and a
 * high water mark, H.  ...  If backup i accepts the ⟨PRE-PREPARE, v, n, d⟩
 * message, it enters the prepare phase by multicasting a ⟨PREPARE, v, n, d,
 * i⟩ message to all other replicas and adds both messages to its log." */
void
pbft_backup_on_pre_prepare (PbftNode *node, const ProtoCtx *ctx, int from,
                            const PbftPrePrepare *m, int64_t now_us, ProtoOutbox *out)
{
  const PbftConfig *cfg = ctx->config;
  if (m->view != node->view || node->is_view_changing
      || from != pbft_primary (m->view, ctx->n_nodes) || from == ctx->self)
    return;
  if (!pbft_request_is_valid (&m->req))
    return;
  if (cfg->bug != PBFT_BUG_NO_DIGEST_CHECK && pbft_request_digest (&m->req) != m->digest) {
    proto_outbox_mark (out, "digest-mismatch");
    proto_outbox_note (out, "pre-prepare %" G_GUINT64_FORMAT ": digest does not match the request",
                       m->seq);
    return;
  }
  PbftSlot *s = pbft_slot (node, ctx, m->seq);
  if (s == NULL)
    return;
  if (s->has_pre_prepare && s->view == m->view) {
    if (s->digest != m->digest) {
      proto_outbox_mark (out, "conflicting-pre-prepare");
      proto_outbox_note (out, "n%d sent a second pre-prepare for %" G_GUINT64_FORMAT
                         " in view %" G_GUINT64_FORMAT, from + 1, m->seq, m->view);
    }
    return;
  }
  pbft_slot_accept_pre_prepare (node, s, m->view, m->digest, &m->req);
  s->prepares[ctx->self] = (PbftVoteSeen) { .view = m->view, .digest = m->digest };
  if (m->req.kind != PBFT_OP_NULL && m->req.t > node->machine.sessions[m->req.client].t
      && !node->pending[m->req.client].is_pending) {
    /* A request known only from the pre-prepare: wait for it too. */
    node->pending[m->req.client].is_pending = TRUE;
    node->pending[m->req.client].req = m->req;
  }
  proto_outbox_sync (out);
  pbft_send_vote (ctx, out, PBFT_MSG_PREPARE, m->view, m->seq, m->digest);
  pbft_timer_update (node, ctx, now_us);
  pbft_slot_update (node, ctx, s, now_us, out);
}
