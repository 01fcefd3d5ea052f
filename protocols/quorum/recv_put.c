/* recv_put.c: a replica (or, in a sloppy quorum, a stand-in holding a
 * hint) is asked to store a version.  It merges it with what it has,
 * makes that durable, and acknowledges.  A tag of 0 is a read repair:
 * nobody waits for an ack. */
#include "protocols/quorum/quorum.h"

#include <string.h>

void
quorum_recv_put (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumPut *m,
                 int64_t now_us, ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  if (m->tag == 0 && cfg->bug == QUORUM_BUG_READ_REPAIR_OVERWRITES_NEWER) {
    /* Seeded bug: the repair replaces the replica's version instead of
     * merging with it, though the replica may have heard of a newer write
     * since the read. */
    QuorumCell *mine = &node->persist.store[m->key];
    if (memcmp (mine, &m->cell, sizeof *mine) != 0) {
      *mine = m->cell;
      proto_outbox_mark (out, "read-repair-overwrote");
      proto_outbox_sync (out);
    }
    return;
  }
  gboolean is_stored = quorum_store_put (node, ctx, m->key, &m->cell, m->hint_for, now_us, out);
  if (m->tag == 0 || !is_stored)
    return;
  QuorumPutAck ack;
  memset (&ack, 0, sizeof ack);
  ack.type = QUORUM_MSG_PUT_ACK;
  ack.key = m->key;
  ack.tag = m->tag;
  proto_outbox_send (out, from, &ack, sizeof ack);
}
