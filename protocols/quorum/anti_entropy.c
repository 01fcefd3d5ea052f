/* anti_entropy.c: replicas compare what they hold and exchange what
 * differs.  Dynamo 4.7 uses Merkle trees per key range so that two replicas
 * "exchange the root of the Merkle tree corresponding to the key ranges that
 * they host in common"; with at most QUORUM_MAX_KEYS keys the tree is one
 * level: a digest per shared key.
 *
 * Every anti_entropy_us a node sends a random peer the digests of the keys
 * both replicate; the peer pushes its version of each key whose digest
 * differs, and the node pushes back its merge if the peer lacked something. */
#include "protocols/quorum/quorum.h"

#include <string.h>

void
quorum_anti_entropy_start (QuorumNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  if (ctx->n_nodes < 2)
    return;
  int peer = (int) pcg32_below (&node->rng, (uint32_t) ctx->n_nodes - 1);
  if (peer >= ctx->self)
    peer++;
  QuorumAeDigest m;
  memset (&m, 0, sizeof m);
  m.type = QUORUM_MSG_AE_DIGEST;
  gboolean any = FALSE;
  for (int k = 0; k < QUORUM_MAX_KEYS; k++)
    if (quorum_is_replica (node, ctx, k, ctx->self) && quorum_is_replica (node, ctx, k, peer)) {
      m.digest[k] = quorum_cell_digest (&node->persist.store[k]);
      any = TRUE;
    }
  if (any)
    proto_outbox_send (out, peer, &m, sizeof m);
}

static void
push (const ProtoCtx *ctx, int to, int key, const QuorumCell *cell, gboolean wants_reply,
      ProtoOutbox *out)
{
  QuorumAePush m;
  memset (&m, 0, sizeof m);
  m.type = QUORUM_MSG_AE_PUSH;
  m.key = (uint8_t) key;
  m.wants_reply = (uint8_t) wants_reply;
  m.cell = *cell;
  proto_outbox_send (out, to, &m, sizeof m);
}

void
quorum_recv_ae_digest (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumAeDigest *m,
                       ProtoOutbox *out)
{
  for (int k = 0; k < QUORUM_MAX_KEYS; k++)
    if (m->digest[k] != 0 && quorum_is_replica (node, ctx, k, ctx->self)
        && quorum_cell_digest (&node->persist.store[k]) != m->digest[k])
      push (ctx, from, k, &node->persist.store[k], TRUE, out);
}

void
quorum_recv_ae_push (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumAePush *m,
                     int64_t now_us, ProtoOutbox *out)
{
  if (!quorum_is_replica (node, ctx, m->key, ctx->self))
    return;
  QuorumCell *mine = &node->persist.store[m->key];
  if (quorum_cell_merge (mine, &m->cell, quorum_cell_is_vv (ctx), out)) {
    proto_outbox_mark (out, "anti-entropy-repaired");
    proto_outbox_note (out, "anti-entropy: key %d from n%d", m->key, from + 1);
    proto_outbox_sync (out);
  }
  if (m->wants_reply && quorum_cell_digest (mine) != quorum_cell_digest (&m->cell))
    push (ctx, from, m->key, mine, FALSE, out);
}
