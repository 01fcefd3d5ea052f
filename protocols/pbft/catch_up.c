/* catch_up.c: answering a replica that fell behind in the current view.
 *
 * A replica stops retransmitting its votes for a slot once the slot is
 * committed-local at it.  If a vote another replica needed was lost, that
 * replica can then wait for ever: with n = 3f + 1 and f faulty, every
 * correct replica's vote counts.  Castro and Liskov's implementation
 * retransmits on the receiver's behalf (a replica's status message tells
 * the others what it is missing, and they resend it); here a replica's
 * own resent vote is its status.  A replica that receives a resent PREPARE
 * or COMMIT for a slot it committed in this view answers the sender with
 * its own prepare and commit for it; one for a slot below its stable
 * checkpoint, with the checkpoint message, so the sender can fetch the
 * state once 2f + 1 checkpoints vouch for it (4.3).  Answers are not
 * answered, so two replicas that both committed never echo each other. */
#include "protocols/pbft/pbft.h"

#include <string.h>

void
pbft_answer_lagging (const PbftNode *node, const ProtoCtx *ctx, int from, const PbftVote *m,
                     ProtoOutbox *out)
{
  if (m->how != PBFT_VOTE_RESENT || m->view != node->view || node->is_view_changing
      || from < 0 || from >= ctx->n_nodes || from == ctx->self)
    return;
  if (m->seq <= node->stable.seq) {
    if (node->stable.seq == 0)
      return;
    PbftCheckpointMsg c;
    memset (&c, 0, sizeof c);
    c.type = PBFT_MSG_CHECKPOINT;
    c.seq = node->stable.seq;
    c.digest = node->stable.digest;
    proto_outbox_mark (out, "lagging-replica-answered");
    proto_outbox_send (out, from, &c, sizeof c);
    return;
  }
  const PbftSlot *s = pbft_slot_peek (node, m->seq);
  if (s == NULL || !s->has_pre_prepare || s->view != m->view || !s->is_committed
      || s->digest != m->digest)
    return;
  proto_outbox_mark (out, "lagging-replica-answered");
  if (pbft_primary (s->view, ctx->n_nodes) != ctx->self)
    pbft_send_vote_how (ctx, out, from, PBFT_MSG_PREPARE, s->view, s->seq, s->digest,
                        PBFT_VOTE_ANSWER);
  pbft_send_vote_how (ctx, out, from, PBFT_MSG_COMMIT, s->view, s->seq, s->digest,
                      PBFT_VOTE_ANSWER);
}
