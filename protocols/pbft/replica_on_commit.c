/* replica_on_commit.c: a commit from another replica. */
#include "protocols/pbft/pbft.h"

/* 4.2: "Replicas accept commit messages and insert them in their log
 * provided they are properly signed, the view number in the message is
 * equal to the replica's current view, and the sequence number is between
 * h and H." */
void
pbft_replica_on_commit (PbftNode *node, const ProtoCtx *ctx, int from, const PbftVote *m,
                        int64_t now_us, ProtoOutbox *out)
{
  pbft_answer_lagging (node, ctx, from, m, out);
  if (m->view != node->view || node->is_view_changing)
    return;
  PbftSlot *s = pbft_slot (node, ctx, m->seq);
  if (s == NULL)
    return;
  s->commits[from] = (PbftVoteSeen) { .view = m->view, .digest = m->digest };
  pbft_slot_update (node, ctx, s, now_us, out);
}
