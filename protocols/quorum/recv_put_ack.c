/* recv_put_ack.c: a replica stored the coordinator's version. */
#include "protocols/quorum/quorum.h"

void
quorum_recv_put_ack (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumPutAck *m,
                     int64_t now_us, ProtoOutbox *out)
{
  QuorumOp *op = quorum_coord_find (node, m->tag, out);
  if (op == NULL || op->key != m->key)
    return; /* an operation this node no longer runs (restart, expiry) */
  quorum_coord_answer (node, ctx, op, from, NULL, now_us, out);
}
