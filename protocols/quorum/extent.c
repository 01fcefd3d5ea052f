/* extent.c: which bytes of a node's state are known zero, read from its
 * own fields (protocol.h, state_extent and state_holes), so the explorer
 * neither copies nor hashes them.  A node is 190 KB, most of it free
 * slots: unused hints, free coordinator operations, writes not pending,
 * keys nothing was written to.  Every slot is zeroed whole when it is freed
 * (handoff.c, coordinator.c, store.c) and a cell is written only through a
 * value (cell.c), so a free slot and a cell without a value are zero. */
#include "protocols/quorum/quorum.h"
#include "protocols/holes.h"

#include <stddef.h>

static gboolean
cell_is_empty (const QuorumCell *c)
{
  return !c->has_value && c->n_siblings == 0;
}

/* Writes not yet stored come last: past the last pending one, zero. */
size_t
quorum_state_extent (const void *state)
{
  const QuorumNode *node = state;
  G_STATIC_ASSERT (offsetof (QuorumNode, pending) + sizeof (((QuorumNode *) NULL)->pending)
                   == sizeof (QuorumNode));
  int last = QUORUM_MAX_PENDING;
  while (last > 0 && !node->pending[last - 1].is_used)
    last--;
  return offsetof (QuorumNode, pending) + (size_t) last * sizeof (QuorumPending);
}

/* Empty cells of the store and unused hints (the persist region, in that
 * order and adjacent), then free operations and free pending slots below
 * the extent. */
int
quorum_state_holes (const void *state, size_t holes[][2])
{
  const QuorumNode *node = state;
  const QuorumPersist *p = &node->persist;
  ProtoHoles b = proto_holes_start (holes);
  size_t at = offsetof (QuorumNode, persist) + offsetof (QuorumPersist, store);
  for (int k = 0; k < QUORUM_MAX_KEYS; k++, at += sizeof (QuorumCell))
    if (cell_is_empty (&p->store[k]))
      proto_holes_zero (&b, at, at + sizeof (QuorumCell));
  at = offsetof (QuorumNode, persist) + offsetof (QuorumPersist, hints);
  for (int h = 0; h < QUORUM_MAX_HINTS; h++, at += sizeof (QuorumHint))
    if (!p->hints[h].is_used)
      proto_holes_zero (&b, at, at + sizeof (QuorumHint));
  at = offsetof (QuorumNode, ops);
  for (int i = 0; i < QUORUM_MAX_OPS; i++, at += sizeof (QuorumOp))
    if (node->ops[i].tag == 0)
      proto_holes_zero (&b, at, at + sizeof (QuorumOp));
  size_t extent = quorum_state_extent (state);
  at = offsetof (QuorumNode, pending);
  for (int i = 0; i < QUORUM_MAX_PENDING && at < extent; i++, at += sizeof (QuorumPending))
    if (!node->pending[i].is_used)
      proto_holes_zero (&b, at, at + sizeof (QuorumPending));
  return proto_holes_end (&b);
}
