/* replica_on_prepare.c: a prepare from another backup. */
#include "protocols/pbft/pbft.h"

/* 4.2: "Replicas (including the primary) accept prepare messages and add
 * them to their log provided their signatures are correct, their view
 * number equals the replica's current view, and their sequence number is
 * between h and H."  The primary sends no prepare: one from it is ignored. */
void
pbft_replica_on_prepare (PbftNode *node, const ProtoCtx *ctx, int from, const PbftVote *m,
                         int64_t now_us, ProtoOutbox *out)
{
  pbft_answer_lagging (node, ctx, from, m, out);
  if (m->view != node->view || node->is_view_changing
      || from == pbft_primary (m->view, ctx->n_nodes))
    return;
  PbftSlot *s = pbft_slot (node, ctx, m->seq);
  if (s == NULL)
    return;
  s->prepares[from] = (PbftVoteSeen) { .view = m->view, .digest = m->digest };
  pbft_slot_update (node, ctx, s, now_us, out);
}
