/* recv_heartbeat.c: a node hears a primary's heartbeat.
 *
 * A heartbeat says "I lead epoch E and my data is at seq S".  A backup
 * resets its failover timer and, if it is behind (or holds another epoch's
 * data), answers with an ACK so the primary sends what is missing.  A
 * heartbeat from an epoch older than one already heard of comes from a
 * deposed primary; the ACK names the newer epoch and makes it step down. */
#include "protocols/pb/pb.h"

void
pb_recv_heartbeat (PbNode *node, const ProtoCtx *ctx, int from, const PbPosition *m,
                   int64_t now_us, ProtoOutbox *out)
{
  if (!pb_follow (node, ctx, from, m->epoch, now_us, out))
    return;
  if (node->persist.epoch != m->epoch || node->persist.seq < m->seq)
    pb_send_position (node, out, PB_MSG_ACK, from);
}
