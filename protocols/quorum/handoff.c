/* handoff.c: hinted handoff.  Dynamo 4.6: "Upon detecting that A has
 * recovered, D will attempt to deliver the replica to A.  Once the transfer
 * succeeds, D may delete the object from its local store without
 * decreasing the total number of replicas in the system."
 *
 * The holder offers each hint to its owner every handoff_us; the owner
 * merges it, makes it durable, and answers with the digest it took; the
 * holder deletes the hint only if it has not grown since. */
#include "protocols/quorum/quorum.h"

#include <string.h>

void
quorum_handoff_send (QuorumNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  for (int i = 0; i < QUORUM_MAX_HINTS; i++) {
    const QuorumHint *h = &node->persist.hints[i];
    if (!h->is_used || h->owner >= ctx->n_nodes)
      continue;
    QuorumHandoff m;
    memset (&m, 0, sizeof m);
    m.type = QUORUM_MSG_HANDOFF;
    m.key = h->key;
    m.digest = quorum_cell_digest (&h->cell);
    m.cell = h->cell;
    proto_outbox_send (out, h->owner, &m, sizeof m);
  }
}

void
quorum_recv_handoff (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumHandoff *m,
                     int64_t now_us, ProtoOutbox *out)
{
  if (!quorum_store_put (node, ctx, m->key, &m->cell, QUORUM_NOBODY, now_us, out))
    return;
  QuorumHandoffAck ack;
  memset (&ack, 0, sizeof ack);
  ack.type = QUORUM_MSG_HANDOFF_ACK;
  ack.key = m->key;
  ack.digest = m->digest;
  proto_outbox_send (out, from, &ack, sizeof ack);
}

void
quorum_recv_handoff_ack (QuorumNode *node, const ProtoCtx *ctx, int from,
                         const QuorumHandoffAck *m, ProtoOutbox *out)
{
  QuorumPersist *p = &node->persist;
  for (int i = 0; i < QUORUM_MAX_HINTS; i++) {
    QuorumHint *h = &p->hints[i];
    if (!h->is_used || h->key != m->key || h->owner != from
        || quorum_cell_digest (&h->cell) != m->digest)
      continue;
    memset (h, 0, sizeof *h);
    p->n_hints--;
    proto_outbox_mark (out, "hint-handed-off");
    proto_outbox_note (out, "handed off key %d to n%d", m->key, from + 1);
    proto_outbox_sync (out);
  }
}
