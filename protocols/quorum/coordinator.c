/* coordinator.c: the node a client asked runs the operation against the
 * key's replicas.
 *
 * Dynamo 4.5: "Upon receiving a put() request for a key, the coordinator
 * generates the vector clock for the new version and writes the new version
 * locally.  The coordinator then sends the new version (along with the new
 * vector clock) to the N highest-ranked reachable nodes.  If at least W-1
 * nodes respond then the write is considered successful.  Similarly, for a
 * get() request, the coordinator requests all existing versions of data for
 * that key from the N highest-ranked reachable nodes in the preference list
 * for that key, and then waits for R responses before returning the result
 * to the client.  If the coordinator ends up gathering multiple versions of
 * the data, it returns all the versions it deems to be causally unrelated."
 *
 * 4.6 (sloppy quorum): "all read and write operations are performed on the
 * first N healthy nodes from the preference list, which may not always be
 * the first N nodes encountered while walking the consistent hashing ring."
 * A replica that has not answered within fallback_us is replaced by the
 * next node on the ring, which holds the write as a hint.
 *
 * 4.7 (read repair): stale replicas seen by a read are sent the merged
 * version.

 *
 * mode = abd has no coordinator: its client runs both phases (abd.c).
 */
#include "protocols/quorum/quorum.h"

#include <string.h>

QuorumOp *
quorum_coord_find (QuorumNode *node, uint64_t tag, ProtoOutbox *out)
{
  if (tag == 0)
    return NULL;
  for (int i = 0; i < QUORUM_MAX_OPS; i++)
    if (node->ops[i].tag == tag)
      return &node->ops[i];
  if (quorum_tag_incarnation (tag) != node->persist.incarnation)
    proto_outbox_mark (out, "reply-to-earlier-incarnation");
  return NULL;
}

/* The tag of a new request: this incarnation's next count.  After 2^32 - 1
 * requests the count would wrap onto tags already used: the node moves on
 * to a new incarnation instead, durable before the request leaves (its
 * messages wait for the sync), as at a start. */
static uint64_t
next_tag (QuorumNode *node, ProtoOutbox *out)
{
  if (node->tag_count == UINT32_MAX) {
    if (++node->persist.incarnation == 0)
      node->persist.incarnation = 1;
    node->tag_count = 0;
    proto_outbox_mark (out, "tag-count-wrapped");
    proto_outbox_sync (out);
  }
  return quorum_tag (node->persist.incarnation, ++node->tag_count);
}

static void
reply_client (QuorumNode *node, const ProtoCtx *ctx, QuorumOp *op, ProtoOutbox *out)
{
  QuorumClientReply m;
  memset (&m, 0, sizeof m);
  m.type = QUORUM_MSG_CLIENT_REPLY;
  m.seq = op->seq;
  gboolean is_vv = quorum_cell_is_vv (ctx);
  if (op->kind == QUORUM_OP_WRITE) {
    /* No context: see client.c. */
  } else {
    m.n_values = (uint8_t) quorum_cell_values (&op->cell, is_vv, m.values);
    if (is_vv)
      quorum_cell_context (&op->cell, &m.ctx);
    if (m.n_values > 1)
      proto_outbox_mark (out, "read-returned-siblings");
  }
  op->is_answered = 1;
  proto_outbox_send (out, ctx->n_nodes + op->client, &m, sizeof m);
}

/* The write is acknowledged: show it to the invariants (check.c). */
static void
record_acked (QuorumNode *node, const ProtoCtx *ctx, const QuorumOp *op)
{
  QuorumAcked *a = &node->acked[node->n_acked % QUORUM_ACK_RING];
  memset (a, 0, sizeof *a);
  a->value = op->value;
  a->key = op->key;
  a->client = op->client;
  a->seq = op->seq;
  if (op->level != PROTO_LEVEL_DEFAULT)
    a->w = (uint8_t) op->needed;
  if (quorum_cell_is_vv (ctx)) {
    a->dot = op->dot;
    a->dot_node = (uint8_t) ctx->self;
  } else {
    a->ts = op->cell.ts;
    a->ts_node = op->cell.ts_node;
  }
  node->n_acked++;
}

static void
send_put (const ProtoCtx *ctx, int to, const QuorumOp *op, const QuorumCell *cell, int hint_for,
          uint64_t tag, ProtoOutbox *out)
{
  QuorumPut m;
  memset (&m, 0, sizeof m);
  m.type = QUORUM_MSG_PUT;
  m.key = op->key;
  m.hint_for = (int8_t) hint_for;
  m.tag = tag;
  m.cell = *cell;
  proto_outbox_send (out, to, &m, sizeof m);
}

static void
send_get (const ProtoCtx *ctx, int to, const QuorumOp *op, ProtoOutbox *out)
{
  QuorumGet m;
  memset (&m, 0, sizeof m);
  m.type = QUORUM_MSG_GET;
  m.key = op->key;
  m.tag = op->tag;
  proto_outbox_send (out, to, &m, sizeof m);
}

/* Asks the key's N replicas for this phase; the coordinator answers its
 * own part last, since that answer may end the phase. */
static void
send_phase (QuorumNode *node, const ProtoCtx *ctx, QuorumOp *op, int64_t now_us,
            ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  int n = quorum_replicas (ctx);
  op->asked = 0;
  op->replied = 0;
  op->next_ring = (uint8_t) n;
  op->fallback_at_us = now_us + cfg->fallback_us;
  gboolean is_self_replica = FALSE;
  for (int k = 0; k < n; k++) {
    int to = node->ring[op->key][k];
    op->asked |= (uint16_t) (1u << to);
    if (to == ctx->self)
      is_self_replica = TRUE;
    else if (op->phase == QUORUM_PHASE_STORE)
      send_put (ctx, to, op, &op->cell, QUORUM_NOBODY, op->tag, out);
    else
      send_get (ctx, to, op, out);
  }
  if (!is_self_replica)
    return;
  if (op->phase == QUORUM_PHASE_STORE) {
    if (quorum_store_put (node, ctx, op->key, &op->cell, QUORUM_NOBODY, now_us, out))
      quorum_coord_answer (node, ctx, op, ctx->self, NULL, now_us, out);
  } else {
    QuorumCell mine;
    quorum_store_read (node, op->key, quorum_cell_is_vv (ctx), &mine);
    quorum_coord_answer (node, ctx, op, ctx->self, &mine, now_us, out);
  }
}

static void
repair (QuorumNode *node, const ProtoCtx *ctx, QuorumOp *op, int who, int64_t now_us,
        ProtoOutbox *out)
{
  op->repaired |= (uint16_t) (1u << who);
  proto_outbox_mark (out, "read-repair");
  proto_outbox_note (out, "read repair of key %d at n%d", op->key, who + 1);
  if (who == ctx->self) {
    quorum_store_put (node, ctx, op->key, &op->cell, QUORUM_NOBODY, now_us, out);
    return;
  }
  send_put (ctx, who, op, &op->cell, QUORUM_NOBODY, 0, out);
}

static void
read_repair (QuorumNode *node, const ProtoCtx *ctx, QuorumOp *op, int64_t now_us,
             ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  if (!cfg->read_repair)
    return;
  uint64_t want = quorum_cell_digest (&op->cell);
  for (int i = 0; i < ctx->n_nodes; i++)
    if ((op->replied & (1u << i)) && !(op->repaired & (1u << i))
        && op->reply_digest[i] != want && quorum_is_replica (node, ctx, op->key, i))
      repair (node, ctx, op, i, now_us, out);
}

/* A phase has all the answers it waits for. */
static void
phase_done (QuorumNode *node, const ProtoCtx *ctx, QuorumOp *op, int64_t now_us,
            ProtoOutbox *out)
{
  if (op->phase == QUORUM_PHASE_STORE)
    record_acked (node, ctx, op);
  reply_client (node, ctx, op, out);
  if (op->phase == QUORUM_PHASE_QUERY)
    read_repair (node, ctx, op, now_us, out);
}

void
quorum_coord_answer (QuorumNode *node, const ProtoCtx *ctx, QuorumOp *op, int from,
                     const QuorumCell *cell, int64_t now_us, ProtoOutbox *out)
{
  uint16_t bit = (uint16_t) (1u << from);
  gboolean is_query = op->phase == QUORUM_PHASE_QUERY;
  if (!(op->asked & bit) || (op->replied & bit) || is_query != (cell != NULL))
    return; /* not asked, a duplicate, or an answer to the other phase */
  op->replied |= bit;
  if (is_query) {
    op->reply_digest[from] = quorum_cell_digest (cell);
    quorum_cell_merge (&op->cell, cell, quorum_cell_is_vv (ctx), out);
    if (op->is_answered) {
      /* A late reply: the client has its answer; repair what is stale. */
      read_repair (node, ctx, op, now_us, out);
      return;
    }
  }
  if (op->is_answered || (uint32_t) __builtin_popcount (op->replied) < op->needed)
    return;
  phase_done (node, ctx, op, now_us, out);
}

static QuorumOp *
op_alloc (QuorumNode *node)
{
  QuorumOp *best = NULL;
  for (int i = 0; i < QUORUM_MAX_OPS; i++) {
    QuorumOp *op = &node->ops[i];
    if (op->tag == 0)
      return op;
    /* Else the answered operation that expires first (only read repair
     * still waits on it). */
    if (op->is_answered && (best == NULL || op->expires_at_us < best->expires_at_us))
      best = op;
  }
  return best;
}

/* A lifetime for an operation slot: long enough for late replies to be
 * repaired, short enough to free the slot for a client that retries. */
#define QUORUM_OP_LIFETIME_US 1000000

void
quorum_coord_start (QuorumNode *node, const ProtoCtx *ctx, int client,
                    const QuorumClientRequest *m, int64_t now_us, ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  for (int i = 0; i < QUORUM_MAX_OPS; i++)
    if (node->ops[i].tag != 0 && node->ops[i].client == client && node->ops[i].seq == m->seq
        && node->ops[i].kind == m->kind && !node->ops[i].is_answered)
      return; /* a retry of an operation still running here */
  QuorumOp *op = op_alloc (node);
  if (op == NULL) {
    proto_outbox_mark (out, "coordinator-busy");
    return; /* the client retries */
  }
  memset (op, 0, sizeof *op);
  op->tag = next_tag (node, out);
  op->seq = m->seq;
  op->client = (uint8_t) client;
  op->key = m->key;
  op->kind = m->kind;
  op->value = m->value;
  op->ctx = m->ctx;
  op->expires_at_us = now_us + QUORUM_OP_LIFETIME_US;
  gboolean is_write = m->kind == QUORUM_OP_WRITE;
  if (!is_write) {
    op->phase = QUORUM_PHASE_QUERY;
    op->needed = (uint32_t) cfg->r;
  } else {
    op->phase = QUORUM_PHASE_STORE;
    op->needed = (uint32_t) cfg->w;
    if (quorum_cell_is_vv (ctx)) {
      /* Dynamo 4.4: the coordinator makes the new version with its own dot
       * on top of the client's context, stores it, and sends on its whole
       * version of the key, so that every replica that has this dot also
       * has what this node held before it. */
      op->dot = ++node->persist.dot;
      proto_outbox_sync (out);
      quorum_store_read (node, op->key, TRUE, &op->cell);
      quorum_cell_add_write (&op->cell, op->value, ctx->self, op->dot, &op->ctx, out);
    } else {
      /* Last writer wins by the coordinator's clock (Cassandra). */
      op->cell.ts = now_us;
      op->cell.ts_node = ctx->self;
      op->cell.value = op->value;
      op->cell.has_value = 1;
    }
  }
  if (m->level > PROTO_LEVEL_DEFAULT && m->level < PROTO_LEVEL__COUNT) {
    /* Cassandra's per-request consistency level: ONE, QUORUM or ALL of the
     * key's N replicas, in place of the w or r knob. */
    int n = quorum_replicas (ctx);
    op->level = m->level;
    op->needed = m->level == PROTO_LEVEL_ONE ? 1u
                 : m->level == PROTO_LEVEL_QUORUM ? (uint32_t) (n / 2 + 1) : (uint32_t) n;
  }
  send_phase (node, ctx, op, now_us, out);
}

/* Sloppy quorum: every replica still silent is replaced by the next node
 * on the ring that was not asked yet; a write goes to it as a hint. */
static void
fall_back (QuorumNode *node, const ProtoCtx *ctx, QuorumOp *op, int64_t now_us,
           ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  int n = quorum_replicas (ctx);
  op->fallback_at_us = now_us + cfg->fallback_us;
  for (int k = 0; k < n && op->next_ring < ctx->n_nodes; k++) {
    int owner = node->ring[op->key][k];
    if (op->replied & (1u << owner))
      continue;
    int to = node->ring[op->key][op->next_ring++];
    op->asked |= (uint16_t) (1u << to);
    proto_outbox_mark (out, "sloppy-fallback");
    proto_outbox_note (out, "n%d silent: asking n%d instead (key %d)", owner + 1, to + 1,
                       op->key);
    if (to == ctx->self) {
      if (op->phase == QUORUM_PHASE_STORE) {
        if (quorum_store_put (node, ctx, op->key, &op->cell, owner, now_us, out))
          quorum_coord_answer (node, ctx, op, to, NULL, now_us, out);
      } else {
        QuorumCell mine;
        quorum_store_read (node, op->key, quorum_cell_is_vv (ctx), &mine);
        quorum_coord_answer (node, ctx, op, to, &mine, now_us, out);
      }
    } else if (op->phase == QUORUM_PHASE_STORE) {
      send_put (ctx, to, op, &op->cell, owner, op->tag, out);
    } else {
      send_get (ctx, to, op, out);
    }
    if (op->tag == 0 || op->is_answered)
      return;
  }
}

void
quorum_coord_timeout (QuorumNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  for (int i = 0; i < QUORUM_MAX_OPS; i++) {
    QuorumOp *op = &node->ops[i];
    if (op->tag == 0)
      continue;
    if (now_us >= op->expires_at_us) {
      memset (op, 0, sizeof *op);
      continue;
    }
    if (cfg->sloppy && !op->is_answered
        && now_us >= op->fallback_at_us)
      fall_back (node, ctx, op, now_us, out);
  }
}
