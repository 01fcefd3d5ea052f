/* anti_entropy.c: replicas compare what they hold and exchange what
 * differs.  Dynamo 4.7: two nodes "exchange the root of the Merkle tree
 * corresponding to the key ranges that they host in common", descend into
 * the subtrees whose hashes differ, and exchange only the keys under the
 * leaves that differ (merkle.c builds the trees).
 *
 * Every anti_entropy_us a node sends a random peer the root of its tree
 * over the keys both replicate.  A node that gets the hashes of some tree
 * nodes compares them with its own: for each that differs it sends back
 * the hashes of its two children, or, at a leaf, the digest of each key
 * under it; the other node pushes its version of each key whose digest
 * differs, and the first merges and pushes back its merge if the pusher
 * lacked something.  So one differing key costs one message per level of
 * the tree, one for its leaf and its push (and push back), whatever the
 * number of keys.
 *
 * merkle_depth = 0 keeps the flat exchange: one message with the digest of
 * every shared key, and the peer pushes those that differ. */
#include "protocols/quorum/quorum.h"

#include <string.h>

/* The keys this node and peer both replicate, sorted by ring position. */
static int
shared_leaves (const QuorumNode *node, const ProtoCtx *ctx, int peer,
               QuorumMerkleLeaf leaves[QUORUM_MAX_KEYS])
{
  int n = 0;
  for (int k = 0; k < QUORUM_MAX_KEYS; k++)
    if (quorum_is_replica (node, ctx, k, ctx->self) && quorum_is_replica (node, ctx, k, peer))
      leaves[n++] = (QuorumMerkleLeaf) { quorum_ring_key_position (k),
                                         quorum_cell_digest (&node->persist.store[k]), k, 0 };
  quorum_merkle_sort (leaves, n);
  return n;
}

void
quorum_anti_entropy_start (QuorumNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  if (ctx->n_nodes < 2)
    return;
  int peer = (int) pcg32_below (&node->rng, (uint32_t) ctx->n_nodes - 1);
  if (peer >= ctx->self)
    peer++;
  if (cfg->merkle_depth > 0) {
    QuorumMerkleLeaf leaves[QUORUM_MAX_KEYS];
    int n = shared_leaves (node, ctx, peer, leaves);
    if (n == 0)
      return;
    QuorumAeTree root;
    quorum_merkle_root (leaves, n, (int) cfg->merkle_depth, &root);
    proto_outbox_send (out, peer, &root, sizeof root);
    return;
  }
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
quorum_recv_ae_tree (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumAeTree *m,
                     ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  if (cfg->merkle_depth == 0)
    return; /* no trees here */
  QuorumMerkleLeaf leaves[QUORUM_MAX_KEYS];
  int n = shared_leaves (node, ctx, from, leaves);
  QuorumMerkleAnswer ans;
  quorum_merkle_answer (leaves, n, (int) cfg->merkle_depth, m, &ans);
  for (int i = 0; i < ans.n_trees; i++)
    proto_outbox_send (out, from, &ans.trees[i], sizeof ans.trees[i]);
  for (int i = 0; i < ans.n_leaves; i++) {
    QuorumAeKeys keys;
    memset (&keys, 0, sizeof keys);
    keys.type = QUORUM_MSG_AE_KEYS;
    for (int j = ans.leaf_lo[i]; j < ans.leaf_hi[i]; j++) {
      keys.key[keys.n_keys] = (uint8_t) leaves[j].key;
      keys.digest[keys.n_keys++] = leaves[j].digest;
    }
    proto_outbox_send (out, from, &keys, sizeof keys);
    proto_outbox_mark (out, "merkle-leaf-differs");
  }
}

void
quorum_recv_ae_keys (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumAeKeys *m,
                     ProtoOutbox *out)
{
  for (int i = 0; i < m->n_keys && i < QUORUM_MAX_KEYS; i++) {
    int k = m->key[i];
    if (k < QUORUM_MAX_KEYS && quorum_is_replica (node, ctx, k, ctx->self)
        && quorum_is_replica (node, ctx, k, from)
        && quorum_cell_digest (&node->persist.store[k]) != m->digest[i])
      push (ctx, from, k, &node->persist.store[k], TRUE, out);
  }
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
