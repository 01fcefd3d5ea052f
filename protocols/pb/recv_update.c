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
  if (!pb_follow (node, ctx, from, u->epoch, now_us, out))
    return;
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
