/* recv_ack.c: the primary hears where a backup is.
 *
 * A backup of the same epoch that is behind gets the updates it misses from
 * the ring of recent updates (resend_batch at a time); one that holds another
 * epoch's data, or is too far behind, gets a snapshot of the whole state.
 * An ACK naming a newer epoch than ours means another node was promoted
 * while we were cut off: step down. */
#include "protocols/pb/pb.h"

void
pb_recv_ack (PbNode *node, const ProtoCtx *ctx, int from, const PbPosition *m,
             int64_t now_us, ProtoOutbox *out)
{
  const PbConfig *cfg = ctx->config;
  if (node->role != PB_PRIMARY)
    return;
  if (m->known_epoch > node->persist.epoch) {
    pb_hear_epoch (node, ctx, m->known_epoch, now_us, out);
    return;
  }
  if (m->epoch == node->persist.epoch && m->seq >= node->persist.seq)
    return; /* up to date */
  if (m->epoch == node->persist.epoch) {
    uint64_t last = MIN (node->persist.seq, m->seq + (uint64_t) cfg->resend_batch);
    gboolean in_ring = TRUE;
    for (uint64_t s = m->seq + 1; s <= last; s++) {
      const PbUpdate *u = &node->ring[s % PB_RING];
      in_ring = in_ring && u->seq == s && u->epoch == node->persist.epoch;
    }
    if (in_ring) {
      for (uint64_t s = m->seq + 1; s <= last; s++) {
        PbUpdateMsg msg = { .type = PB_MSG_UPDATE, .u = node->ring[s % PB_RING] };
        proto_outbox_send (out, from, &msg, sizeof msg);
      }
      proto_outbox_mark (out, "pb-resend");
      return;
    }
  }
  pb_send_snapshot (node, ctx, out, from);
}
