/* store.c: a replica takes a version into its store, or holds it as a hint
 * for a node that could not be reached.
 *
 * Dynamo 4.6: "the replica sent to D will have a hint in its metadata that
 * suggests which node was the intended recipient of the replica ...  Nodes
 * that receive hinted replicas will keep them in a separate local database
 * that is scanned periodically.  Upon detecting that A has recovered, D
 * will attempt to deliver the replica to A."
 *
 * Everything an acknowledgement promises is synced before the ack leaves
 * (proto_outbox_sync), except under the seeded bug ack-before-store, which
 * keeps the write in memory for store_delay and acks at once. */
#include "protocols/quorum/quorum.h"

#include <string.h>

static gboolean
hint_put (QuorumNode *node, const ProtoCtx *ctx, int key, const QuorumCell *cell, int owner,
          ProtoOutbox *out)
{
  QuorumPersist *p = &node->persist;
  QuorumHint *slot = NULL;
  for (int i = 0; i < QUORUM_MAX_HINTS && slot == NULL; i++)
    if (p->hints[i].is_used && p->hints[i].key == key && p->hints[i].owner == owner)
      slot = &p->hints[i];
  for (int i = 0; i < QUORUM_MAX_HINTS && slot == NULL; i++)
    if (!p->hints[i].is_used) {
      slot = &p->hints[i];
      memset (slot, 0, sizeof *slot);
      slot->is_used = 1;
      slot->key = (uint8_t) key;
      slot->owner = (uint8_t) owner;
      p->n_hints++;
    }
  if (slot == NULL) {
    proto_outbox_mark (out, "hints-full");
    proto_outbox_note (out, "no room for a hint for n%d", owner + 1);
    return FALSE;
  }
  quorum_cell_merge (&slot->cell, cell, quorum_cell_is_vv (ctx), out);
  proto_outbox_mark (out, "hint-stored");
  proto_outbox_note (out, "holds a hint for n%d, key %d", owner + 1, key);
  proto_outbox_sync (out);
  return TRUE;
}

gboolean
quorum_store_put (QuorumNode *node, const ProtoCtx *ctx, int key, const QuorumCell *cell,
                  int hint_for, int64_t now_us, ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  gboolean is_vv = quorum_cell_is_vv (ctx);
  if (hint_for >= 0 && hint_for != ctx->self)
    return hint_put (node, ctx, key, cell, hint_for, out);
  if (cfg->bug == QUORUM_BUG_ACK_BEFORE_STORE) {
    /* Seeded bug: acknowledge now, make it durable later. */
    QuorumPending *slot = NULL;
    for (int i = 0; i < QUORUM_MAX_PENDING && slot == NULL; i++)
      if (node->pending[i].is_used && node->pending[i].key == key)
        slot = &node->pending[i];
    for (int i = 0; i < QUORUM_MAX_PENDING && slot == NULL; i++)
      if (!node->pending[i].is_used) {
        slot = &node->pending[i];
        memset (slot, 0, sizeof *slot);
        slot->is_used = 1;
        slot->key = (uint8_t) key;
        slot->store_at_us = now_us + cfg->store_delay_us;
      }
    if (slot != NULL) {
      quorum_cell_merge (&slot->cell, cell, is_vv, out);
      proto_outbox_mark (out, "ack-before-store");
      return TRUE;
    }
  }
  if (quorum_cell_merge (&node->persist.store[key], cell, is_vv, out))
    proto_outbox_sync (out);
  return TRUE;
}

void
quorum_store_flush (QuorumNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  for (int i = 0; i < QUORUM_MAX_PENDING; i++) {
    QuorumPending *slot = &node->pending[i];
    if (!slot->is_used || slot->store_at_us > now_us)
      continue;
    if (quorum_cell_merge (&node->persist.store[slot->key], &slot->cell,
                           quorum_cell_is_vv (ctx), out))
      proto_outbox_sync (out);
    memset (slot, 0, sizeof *slot);
  }
}

int64_t
quorum_store_next_flush (const QuorumNode *node)
{
  int64_t at = PROTO_NO_DEADLINE;
  for (int i = 0; i < QUORUM_MAX_PENDING; i++)
    if (node->pending[i].is_used)
      at = MIN (at, node->pending[i].store_at_us);
  return at;
}

void
quorum_store_read (const QuorumNode *node, int key, gboolean is_vv, QuorumCell *cell)
{
  /* A read sees what the node would hand over: its store, writes it holds
   * for others as hints, and (bug ack-before-store) writes not yet stored.
   * A NULL outbox: a read records no marks. */
  *cell = node->persist.store[key];
  for (int i = 0; i < QUORUM_MAX_HINTS; i++)
    if (node->persist.hints[i].is_used && node->persist.hints[i].key == key)
      quorum_cell_merge (cell, &node->persist.hints[i].cell, is_vv, NULL);
  for (int i = 0; i < QUORUM_MAX_PENDING; i++)
    if (node->pending[i].is_used && node->pending[i].key == key)
      quorum_cell_merge (cell, &node->pending[i].cell, is_vv, NULL);
}
