/* merkle.c: Merkle trees over the ring, for anti-entropy.
 *
 * Dynamo 4.7: "A Merkle tree is a hash tree where leaves are hashes of the
 * values of individual keys.  Parent nodes higher in the tree are hashes of
 * their respective children.  The principal advantage of Merkle tree is
 * that each branch of the tree can be checked independently without
 * requiring nodes to download the entire tree or the entire data set. ...
 * if the hash values of the root of two trees are equal, then the values of
 * the leaf nodes in the tree are equal and the nodes require no
 * synchronization.  If not, it implies that the values of some replicas
 * are different.  In such cases, the nodes may exchange the hash values of
 * children and the process continues until it reaches the leaves of the
 * trees, at which point the hosts can identify the keys that are 'out of
 * sync'."
 *
 * The tree is binary over ring positions (tokens), as Cassandra's: node
 * (level, i) covers the tokens whose top `level` bits are i, so every
 * subtree is one token range of the ring and a leaf is one of 2^depth
 * ranges.  Only the keys both nodes replicate are in it.  Nothing is
 * stored: a node's hash is computed from the replica's sorted keys when
 * asked (a range with no key hashes to 0), so the tree is as fresh as the
 * store and the node state stays flat. */
#include "protocols/quorum/quorum.h"
#include "protocols/mix64.h"

#include <stdlib.h>
#include <string.h>

static int
leaf_cmp (const void *a, const void *b)
{
  const QuorumMerkleLeaf *x = a, *y = b;
  if (x->token != y->token)
    return x->token < y->token ? -1 : 1;
  return (x->key > y->key) - (x->key < y->key);
}

void
quorum_merkle_sort (QuorumMerkleLeaf *leaves, int n)
{
  if (n > 1)
    qsort (leaves, (size_t) n, sizeof *leaves, leaf_cmp);
}

/* The first leaf at or after token. */
static int
lower_bound (const QuorumMerkleLeaf *leaves, int n, uint64_t token)
{
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (leaves[mid].token < token)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The leaves [lo, hi) under node (level, index). */
static void
node_range (const QuorumMerkleLeaf *leaves, int n, int level, uint64_t index, int *lo, int *hi)
{
  if (level == 0) {
    *lo = 0, *hi = n;
    return;
  }
  int shift = 64 - level;
  *lo = lower_bound (leaves, n, index << shift);
  *hi = index + 1 == (uint64_t) 1 << level ? n : lower_bound (leaves, n, (index + 1) << shift);
}

/* The hash of the node at `level` over leaves[lo, hi), all of which lie in
 * its range. */
static uint64_t
range_hash (const QuorumMerkleLeaf *leaves, int lo, int hi, int depth, int level)
{
  if (lo == hi)
    return 0;
  uint64_t h;
  if (level == depth) {
    /* A leaf: the keys in it, each with its version's digest. */
    h = 0x6d65726b6c65ull;
    for (int i = lo; i < hi; i++)
      h = splitmix64_mix (h ^ splitmix64_mix (leaves[i].token ^ splitmix64_mix (leaves[i].digest + (uint64_t) leaves[i].key)));
  } else {
    /* Children split on the next bit of the token. */
    uint64_t bit = (uint64_t) 1 << (63 - level);
    int mid = lo;
    while (mid < hi && !(leaves[mid].token & bit))
      mid++;
    uint64_t left = range_hash (leaves, lo, mid, depth, level + 1);
    uint64_t right = range_hash (leaves, mid, hi, depth, level + 1);
    h = splitmix64_mix (left ^ splitmix64_mix (right ^ 0x74726565ull));
  }
  return h != 0 ? h : 1; /* 0 means "no key here" */
}

uint64_t
quorum_merkle_hash (const QuorumMerkleLeaf *leaves, int n, int depth, int level,
                    uint32_t index)
{
  g_assert (level >= 0 && level <= depth && depth <= QUORUM_MERKLE_MAX_DEPTH);
  int lo, hi;
  node_range (leaves, n, level, index, &lo, &hi);
  return range_hash (leaves, lo, hi, depth, level);
}

void
quorum_merkle_root (const QuorumMerkleLeaf *leaves, int n, int depth, QuorumAeTree *m)
{
  memset (m, 0, sizeof *m);
  m->type = QUORUM_MSG_AE_TREE;
  m->level = 0;
  m->n_hashes = 1;
  m->first = 0;
  m->hash[0] = quorum_merkle_hash (leaves, n, depth, 0, 0);
}

void
quorum_merkle_answer (const QuorumMerkleLeaf *leaves, int n, int depth, const QuorumAeTree *m,
                      QuorumMerkleAnswer *ans)
{
  memset (ans, 0, sizeof *ans);
  if (m->level > depth || m->n_hashes < 1 || m->n_hashes > 2
      || (uint64_t) m->first + m->n_hashes > (uint64_t) 1 << m->level)
    return;
  for (int j = 0; j < m->n_hashes; j++) {
    uint32_t index = m->first + (uint32_t) j;
    if (quorum_merkle_hash (leaves, n, depth, m->level, index) == m->hash[j])
      continue; /* this subtree agrees: nothing under it to exchange */
    if (m->level == depth) {
      node_range (leaves, n, m->level, index, &ans->leaf_lo[ans->n_leaves],
                  &ans->leaf_hi[ans->n_leaves]);
      ans->n_leaves++;
      continue;
    }
    QuorumAeTree *t = &ans->trees[ans->n_trees++];
    memset (t, 0, sizeof *t);
    t->type = QUORUM_MSG_AE_TREE;
    t->level = (uint8_t) (m->level + 1);
    t->n_hashes = 2;
    t->first = 2 * index;
    t->hash[0] = quorum_merkle_hash (leaves, n, depth, t->level, t->first);
    t->hash[1] = quorum_merkle_hash (leaves, n, depth, t->level, t->first + 1);
  }
}
