/* bench_merkle.c: what one anti-entropy exchange between two replicas
 * costs, flat (one digest per key, merkle_depth = 0) against Merkle trees
 * of several depths, for key sets larger than a simulated node holds.
 *
 * The tree side runs the protocol's own code (protocols/quorum/merkle.c:
 * the root, then quorum_merkle_answer back and forth until the leaves,
 * then one message with the digests of each differing leaf's keys)
 * between two sorted key sets that differ in `diff` keys.  The flat side
 * is counted from its definition: one message with a digest per key.
 * Either way each differing key is pushed and pushed back (2 pushes); a
 * digest or hash counts 8 bytes and a message 8 more. */
#include <stdio.h>
#include <stdlib.h>

#include "protocols/quorum/quorum.h"

typedef struct {
  long compare_msgs; /* tree or digest messages */
  long hashes;       /* hashes or digests they carry */
  long bytes;        /* their size (8 bytes a digest, 8 of header) */
  long hops;         /* one-way message delays before the first push */
  long pushed;       /* keys pushed, both ways */
} Cost;

static Cost
merkle_cost (const QuorumMerkleLeaf *a, const QuorumMerkleLeaf *b, int n, int depth)
{
  Cost c = { 0 };
  const QuorumMerkleLeaf *side[2] = { b, a }; /* b answers the root */
  GQueue queue = G_QUEUE_INIT;
  QuorumAeTree *root = g_new (QuorumAeTree, 1);
  quorum_merkle_root (a, n, depth, root);
  g_queue_push_tail (&queue, root);
  c.compare_msgs = 1, c.hashes = 1, c.bytes = (long) sizeof *root, c.hops = 1;
  for (int turn = 0; !g_queue_is_empty (&queue); turn++) {
    /* One level at a time: everything in the queue goes to side[turn % 2]. */
    guint at_level = g_queue_get_length (&queue);
    gboolean any_tree = FALSE, any_leaf = FALSE;
    for (guint q = 0; q < at_level; q++) {
      QuorumAeTree *m = g_queue_pop_head (&queue);
      QuorumMerkleAnswer ans;
      quorum_merkle_answer (side[turn % 2], n, depth, m, &ans);
      g_free (m);
      for (int i = 0; i < ans.n_trees; i++) {
        g_queue_push_tail (&queue, g_memdup2 (&ans.trees[i], sizeof ans.trees[i]));
        c.compare_msgs++;
        c.hashes += ans.trees[i].n_hashes;
        c.bytes += (long) sizeof ans.trees[i];
        any_tree = TRUE;
      }
      for (int i = 0; i < ans.n_leaves; i++) {
        /* The leaf's key digests, then the differing keys pushed and
         * pushed back. */
        c.compare_msgs++;
        c.hashes += ans.leaf_hi[i] - ans.leaf_lo[i];
        c.bytes += 8 + 8L * (ans.leaf_hi[i] - ans.leaf_lo[i]);
        for (int j = ans.leaf_lo[i]; j < ans.leaf_hi[i]; j++)
          c.pushed += 2 * (side[0][j].digest != side[1][j].digest);
        any_leaf = TRUE;
      }
    }
    c.hops += any_tree || any_leaf;
  }
  return c;
}

static Cost
flat_cost (const QuorumMerkleLeaf *a, const QuorumMerkleLeaf *b, int n)
{
  Cost c = { 1, n, 8 + 8L * n, 1, 0 };  /* then the pushes, as for the tree */
  for (int i = 0; i < n; i++)
    c.pushed += a[i].digest != b[i].digest ? 2 : 0;
  return c;
}

static void
row (const char *what, int n, int diff, Cost c)
{
  printf ("%7d %5d  %-10s %8ld %8ld %9ld %5ld %7ld\n", n, diff, what, c.compare_msgs, c.hashes,
          c.bytes, c.hops, c.pushed);
}

int
main (int argc, char **argv)
{
  (void) argc, (void) argv;
  static const int sizes[] = { 16, 1000, 100000 };
  static const int diffs[] = { 1, 10 };
  static const int depths[] = { 4, 8, 10, 12, 16 };
  printf ("one anti-entropy exchange between two replicas (sizeof QuorumAeTree = %zu bytes)\n",
          sizeof (QuorumAeTree));
  printf ("%7s %5s  %-10s %8s %8s %9s %5s %7s\n", "keys", "diff", "exchange", "messages",
          "hashes", "bytes", "hops", "pushed");
  for (size_t s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (size_t d = 0; d < G_N_ELEMENTS (diffs); d++) {
      int n = sizes[s], diff = MIN (diffs[d], n);
      QuorumMerkleLeaf *a = g_new (QuorumMerkleLeaf, n), *b = g_new (QuorumMerkleLeaf, n);
      for (int k = 0; k < n; k++) {
        a[k] = (QuorumMerkleLeaf) { quorum_ring_key_position (k), 1000 + (uint64_t) k, k, 0 };
        b[k] = a[k];
      }
      /* The differing keys: spread over the key numbers. */
      for (int i = 0; i < diff; i++)
        b[(int) ((long) i * n / diff + n / (2 * diff))].digest = 7;
      quorum_merkle_sort (a, n);
      quorum_merkle_sort (b, n);
      row ("flat", n, diff, flat_cost (a, b, n));
      for (size_t t = 0; t < G_N_ELEMENTS (depths); t++) {
        char what[32];
        g_snprintf (what, sizeof what, "merkle %d", depths[t]);
        row (what, n, diff, merkle_cost (a, b, n, depths[t]));
      }
      g_free (a);
      g_free (b);
    }
  return 0;
}
