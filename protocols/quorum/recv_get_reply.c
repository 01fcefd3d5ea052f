/* recv_get_reply.c: a replica's versions reach the coordinator of a read
 * (or of an ABD write's query phase). */
#include "protocols/quorum/quorum.h"

void
quorum_recv_get_reply (QuorumNode *node, const ProtoCtx *ctx, int from,
                       const QuorumGetReply *m, int64_t now_us, ProtoOutbox *out)
{
  QuorumOp *op = quorum_coord_find (node, m->tag, out);
  if (op == NULL || op->key != m->key)
    return;
  quorum_coord_answer (node, ctx, op, from, &m->cell, now_us, out);
}
