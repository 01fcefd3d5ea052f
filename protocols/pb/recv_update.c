/* recv_update.c: a backup receives one update from a primary.
 *
 * Updates are applied strictly in sequence order within the data's epoch:
 * the next one is applied, an old one is a duplicate, and a gap (an update
 * lost or overtaken on the network) is answered with an ACK saying where
 * this backup is, so the primary resends what is missing.  Updates from an
 * epoch older than the newest one heard of come from a deposed primary: the
 * ACK tells it so. */
#include "protocols/pb/pb.h"

void
pb_recv_update (PbNode *node, const ProtoCtx *ctx, int from, const PbUpdateMsg *m,
                int64_t now_us, ProtoOutbox *out)
{
  const PbUpdate *u = &m->u;
  if (u->key < 0 || u->key >= PB_MAX_KEYS)
    return;
  if (u->epoch < node->primary_epoch) {
    proto_outbox_note (out, "update from epoch %" G_GUINT64_FORMAT " is stale (epoch %"
                       G_GUINT64_FORMAT " is newer)", u->epoch, node->primary_epoch);
    proto_outbox_mark (out, "pb-stale-epoch");
    pb_send_position (node, out, PB_MSG_ACK, from);
    return;
  }
  pb_hear_epoch (node, ctx, u->epoch, now_us, out);
  if (node->role == PB_PRIMARY)
    return;
  node->primary = from;
  node->last_heard_us = now_us;
  if (u->epoch != node->persist.epoch) {
    pb_send_position (node, out, PB_MSG_ACK, from); /* a snapshot first */
    return;
  }
  if (u->seq <= node->persist.seq)
    return; /* already applied */
  if (u->seq > node->persist.seq + 1) {
    proto_outbox_note (out, "gap: have seq %" G_GUINT64_FORMAT ", got %" G_GUINT64_FORMAT,
                       node->persist.seq, u->seq);
    proto_outbox_mark (out, "pb-gap");
    pb_send_position (node, out, PB_MSG_ACK, from);
    return;
  }
  pb_apply (node, u);
}
