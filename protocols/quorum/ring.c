/* ring.c: consistent hashing with virtual nodes.
 *
 * Dynamo 4.2: "the output range of a hash function is treated as a fixed
 * circular space or ring ... Each node in the system is assigned a random
 * value within this space which represents its position on the ring.  Each
 * data item identified by a key is assigned to a node by hashing the data
 * item's key to yield its position on the ring, and then walking the ring
 * clockwise to find the first node with a position larger than the item's
 * position. ... each node gets assigned to multiple points in the ring"
 * (virtual nodes).  4.3: "The list of nodes that is responsible for storing
 * a particular key is called the preference list ... constructed by
 * skipping positions in the ring to ensure that the list contains only
 * distinct physical nodes."
 *
 * Positions are a fixed hash of (node, vnode) and of the key, so every node
 * and client computes the same ring without talking. */
#include "protocols/quorum/quorum.h"
#include "protocols/mix64.h"

#include <stdlib.h>

uint64_t
quorum_ring_key_position (int key)
{
  return splitmix64_mix (0x6b6579ull << 32 | (uint32_t) key);
}

uint64_t
quorum_ring_point (int node, int vnode)
{
  return splitmix64_mix (((uint64_t) (uint32_t) node << 32 | (uint32_t) vnode)
                         ^ 0x72696e67ull << 40);
}

typedef struct {
  uint64_t pos;
  int node;
} RingPoint;

static int
point_cmp (const void *a, const void *b)
{
  const RingPoint *x = a, *y = b;
  if (x->pos != y->pos)
    return x->pos < y->pos ? -1 : 1;
  return x->node - y->node; /* equal positions: the lower node first */
}

static RingPoint *
ring_build (int n_nodes, int vnodes, int *n_points)
{
  g_assert (n_nodes >= 1 && n_nodes <= PROTO_MAX_NODES);
  g_assert (vnodes >= 1 && vnodes <= QUORUM_MAX_VNODES);
  int n = n_nodes * vnodes;
  RingPoint *pts = g_new (RingPoint, n);
  for (int i = 0; i < n_nodes; i++)
    for (int v = 0; v < vnodes; v++)
      pts[i * vnodes + v] = (RingPoint) { quorum_ring_point (i, v), i };
  qsort (pts, (size_t) n, sizeof *pts, point_cmp);
  *n_points = n;
  return pts;
}

/* The key's order on a built ring. */
static void
ring_order_of (const RingPoint *pts, int n, int n_nodes, int key, uint8_t order[PROTO_MAX_NODES])
{
  uint64_t at = quorum_ring_key_position (key);
  /* The first point at or after the key's position, wrapping around. */
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (pts[mid].pos < at)
      lo = mid + 1;
    else
      hi = mid;
  }
  uint32_t seen = 0;
  int k = 0;
  for (int step = 0; step < n && k < n_nodes; step++) {
    int node = pts[(lo + step) % n].node;
    if (seen & (1u << node))
      continue;
    seen |= 1u << node;
    order[k++] = (uint8_t) node;
  }
  g_assert (k == n_nodes);
  for (; k < PROTO_MAX_NODES; k++)
    order[k] = 0;
}

void
quorum_ring_order (int n_nodes, int vnodes, int key, uint8_t order[PROTO_MAX_NODES])
{
  int n;
  g_autofree RingPoint *pts = ring_build (n_nodes, vnodes, &n);
  ring_order_of (pts, n, n_nodes, key, order);
}

/* Every key's order, from one ring (each node and client computes them
 * when it starts). */
void
quorum_ring_orders (int n_nodes, int vnodes, uint8_t order[QUORUM_MAX_KEYS][PROTO_MAX_NODES])
{
  int n;
  g_autofree RingPoint *pts = ring_build (n_nodes, vnodes, &n);
  for (int k = 0; k < QUORUM_MAX_KEYS; k++)
    ring_order_of (pts, n, n_nodes, k, order[k]);
}

void
quorum_ring_shares (int n_nodes, int vnodes, double shares[PROTO_MAX_NODES])
{
  int n;
  g_autofree RingPoint *pts = ring_build (n_nodes, vnodes, &n);
  for (int i = 0; i < PROTO_MAX_NODES; i++)
    shares[i] = 0;
  /* A point owns the arc from the previous point (exclusive) to itself. */
  for (int k = 0; k < n; k++) {
    uint64_t prev = pts[(k + n - 1) % n].pos;
    uint64_t arc = pts[k].pos - prev; /* wraps around for k == 0 */
    shares[pts[k].node] += (double) arc / 18446744073709551616.0;
  }
  if (n == 1)
    shares[pts[0].node] = 1.0;
}

int
quorum_replicas (const ProtoCtx *ctx)
{
  const QuorumConfig *cfg = ctx->config;
  return (int) MIN (cfg->n, (int64_t) ctx->n_nodes);
}

gboolean
quorum_is_replica_of (const uint8_t order[PROTO_MAX_NODES], const ProtoCtx *ctx, int who)
{
  int n = quorum_replicas (ctx);
  for (int k = 0; k < n; k++)
    if (order[k] == who)
      return TRUE;
  return FALSE;
}

gboolean
quorum_is_replica (const QuorumNode *node, const ProtoCtx *ctx, int key, int who)
{
  return quorum_is_replica_of (node->ring[key], ctx, who);
}
