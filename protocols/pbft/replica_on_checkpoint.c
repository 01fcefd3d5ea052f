/* replica_on_checkpoint.c: a checkpoint message (own ones too). */
#include "protocols/pbft/pbft.h"

/* 4.3: a replica collects checkpoint messages "until it has 2f+1 of them
 * for sequence number n with the same digest d"; see
 * pbft_checkpoint_stable_check.  Each sender's latest PBFT_CKPT_RING
 * checkpoints are kept, newest replacing oldest. */
void
pbft_replica_on_checkpoint (PbftNode *node, const ProtoCtx *ctx, int from,
                            const PbftCheckpointMsg *m, int64_t now_us, ProtoOutbox *out)
{
  if (m->seq <= node->stable.seq || m->seq > pbft_high (node, ctx) + PBFT_LOG_CAP)
    return;
  PbftQEntry *votes = node->ckpt_votes[from];
  int slot = 0;
  for (int k = 0; k < PBFT_CKPT_RING; k++) {
    if (votes[k].seq == m->seq) {
      slot = k;
      break;
    }
    if (votes[k].seq < votes[slot].seq)
      slot = k;
  }
  votes[slot] = (PbftQEntry) { .seq = m->seq, .digest = m->digest };
  pbft_checkpoint_stable_check (node, ctx, now_us, out);
}
