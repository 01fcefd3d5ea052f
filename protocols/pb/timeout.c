/* timeout.c: a node's timer fires.
 *
 * The primary sends heartbeats.  A backup that has not heard the primary for
 * failover_timeout (times its rank among the backups) suspects it and
 * promotes itself into the next epoch it may lead.  Nothing checks that the
 * old primary is really gone: under a partition it is not, and two primaries
 * serve clients at once. */
#include "protocols/pb/pb.h"

void
pb_on_timeout (PbNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  if (node->role == PB_PRIMARY) {
    if (now_us < node->next_heartbeat_us)
      return;
  } else {
    if (now_us < pb_failover_deadline (node, ctx))
      return;
    /* Promotion: the smallest epoch above every epoch heard of that this
     * node leads. */
    uint64_t epoch = MAX (node->persist.epoch, node->primary_epoch) + 1;
    while (pb_epoch_leader (epoch, ctx) != ctx->self)
      epoch++;
    proto_outbox_note (out, "n%d heard nothing from n%d for %" G_GINT64_FORMAT
                       "ms: it promotes itself", ctx->self + 1, node->primary + 1,
                       (now_us - node->last_heard_us) / 1000);
    proto_outbox_mark (out, "pb-promoted");
    node->persist.epoch = epoch;
    node->primary_epoch = epoch;
    node->primary = ctx->self;
    pb_role_set (node, ctx, PB_PRIMARY, out);
  }
  pb_send_heartbeats (node, ctx, now_us, out);
}
