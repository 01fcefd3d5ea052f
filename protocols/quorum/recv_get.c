/* recv_get.c: a replica reports every version it holds for a key (Dynamo
 * 4.5: "the coordinator requests all existing versions of data"). */
#include "protocols/quorum/quorum.h"

#include <string.h>

void
quorum_recv_get (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumGet *m,
                 ProtoOutbox *out)
{
  QuorumGetReply r;
  memset (&r, 0, sizeof r);
  r.type = QUORUM_MSG_GET_REPLY;
  r.key = m->key;
  r.tag = m->tag;
  quorum_store_read (node, m->key, quorum_cell_is_vv (ctx), &r.cell);
  proto_outbox_send (out, from, &r, sizeof r);
}
