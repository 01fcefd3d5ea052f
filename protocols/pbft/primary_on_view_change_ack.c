/* primary_on_view_change_ack.c: the new primary counts VIEW-CHANGE-ACKs. */
#include "protocols/pbft/pbft.h"

/* TOCS 4.5: "The new primary collects view-change and view-change-ack
 * messages (including messages from itself).  It stores a view-change
 * message m from replica i in a set S only after it receives 2f-1
 * view-change-acks for m."  An ack counts for the message the primary
 * holds from j only if it names the same digest: j may have sent others
 * another one. */
void
pbft_primary_on_view_change_ack (PbftNode *node, const ProtoCtx *ctx, int from,
                                 const PbftVcAck *m, int64_t now_us, ProtoOutbox *out)
{
  if (pbft_primary (m->view, ctx->n_nodes) != ctx->self || m->node < 0
      || m->node >= ctx->n_nodes || m->node == from || m->node == ctx->self)
    return;
  int j = m->node;
  if (node->vc_digest[j] != m->digest || node->vcs[j].head.view != m->view)
    return;
  node->vc_acks[j] |= 1u << from;
  if (node->is_view_changing && node->view == m->view)
    pbft_new_view_try (node, ctx, now_us, out);
}
