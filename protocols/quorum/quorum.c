/* quorum.c: the quorum node's step function: start, timers, and a
 * dispatcher that hands each message to its handler (recv_*.c). */
#include "protocols/quorum/quorum.h"

#include <string.h>

static const ProtoKnob quorum_knobs[] = {
  { "n", PROTO_KNOB_INT, offsetof (QuorumConfig, n), "3", 1, PROTO_MAX_NODES, NULL,
    "replicas of each key (the preference list's length)" },
  { "w", PROTO_KNOB_INT, offsetof (QuorumConfig, w), "2", 1, PROTO_MAX_NODES, NULL,
    "acknowledgements a write waits for" },
  { "r", PROTO_KNOB_INT, offsetof (QuorumConfig, r), "2", 1, PROTO_MAX_NODES, NULL,
    "replies a read waits for" },
  { "vnodes", PROTO_KNOB_INT, offsetof (QuorumConfig, vnodes), "16", 1, QUORUM_MAX_VNODES, NULL,
    "points of each node on the ring (virtual nodes)" },
  { "mode", PROTO_KNOB_CHOICE, offsetof (QuorumConfig, mode), "dynamo", 0, 0, "dynamo|abd",
    "dynamo: one round, w acks and r replies; abd: two rounds over majorities, reads write back" },
  { "conflict", PROTO_KNOB_CHOICE, offsetof (QuorumConfig, conflict), "lww", 0, 0, "lww|vv",
    "lww: last writer wins by the coordinator's clock; vv: version vectors keep siblings" },
  { "coordinator", PROTO_KNOB_CHOICE, offsetof (QuorumConfig, coordinator), "any", 0, 0,
    "any|owner", "which node a client asks: any node, or the key's first replica" },
  { "read_repair", PROTO_KNOB_BOOL, offsetof (QuorumConfig, read_repair), "false", 0, 0, NULL,
    "send the merged version to stale replicas a read heard from" },
  { "sloppy", PROTO_KNOB_BOOL, offsetof (QuorumConfig, sloppy), "false", 0, 0, NULL,
    "sloppy quorum: silent replicas are replaced by the next nodes on the ring (hinted handoff)" },
  { "hints", PROTO_KNOB_CHOICE, offsetof (QuorumConfig, hints), "persisted", 0, 0,
    "persisted|volatile", "where hint holders keep hints: on disk, or in memory (lost on restart)" },
  { "fallback", PROTO_KNOB_DURATION, offsetof (QuorumConfig, fallback_us), "30ms", 100, 60000000,
    NULL, "sloppy: how long a replica may stay silent before the next node is asked" },
  { "handoff", PROTO_KNOB_DURATION, offsetof (QuorumConfig, handoff_us), "100ms", 1000, 60000000,
    NULL, "how often a hint holder offers its hints to their owners" },
  { "anti_entropy", PROTO_KNOB_DURATION, offsetof (QuorumConfig, anti_entropy_us), "0", 0,
    60000000, NULL, "how often a node compares its keys with a random peer (0: never)" },
  { "merkle_depth", PROTO_KNOB_INT, offsetof (QuorumConfig, merkle_depth), "4", 0,
    QUORUM_MERKLE_MAX_DEPTH, NULL, "anti-entropy: depth of the Merkle tree over the ring "
    "(2^depth leaf ranges); 0: one digest per key in one message" },
  { "store_delay", PROTO_KNOB_DURATION, offsetof (QuorumConfig, store_delay_us), "20ms", 0,
    60000000, NULL, "bug ack-before-store: time from the ack to the store" },
  { "bug", PROTO_KNOB_CHOICE, offsetof (QuorumConfig, bug), "none", 0, 0,
    "none|hint-dropped-on-restart|ack-before-store|read-repair-overwrites-newer|"
    "abd-skip-write-back", "seeded bug to switch on" },
  { NULL },
};

/* Quorum keeps no checksums: a flipped bit on disk is served as data.  But
 * a cell or hint read back that no correct node could have written (too
 * many siblings, a node out of range) would be read past its end by every
 * loop over it, so such entries are dropped, as lost, and the count of
 * hints is taken again from the slots. */
static void
repair_disk (QuorumNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  QuorumPersist *p = &node->persist;
  guint dropped = 0, n_hints = 0;
  for (int k = 0; k < QUORUM_MAX_KEYS; k++)
    if (!quorum_cell_is_valid (&p->store[k], ctx->n_nodes)) {
      memset (&p->store[k], 0, sizeof p->store[k]);
      dropped++;
    }
  for (int i = 0; i < QUORUM_MAX_HINTS; i++) {
    QuorumHint *h = &p->hints[i];
    if (h->is_used
        && (h->key >= QUORUM_MAX_KEYS || h->owner >= ctx->n_nodes
            || !quorum_cell_is_valid (&h->cell, ctx->n_nodes))) {
      memset (h, 0, sizeof *h);
      dropped++;
    }
    n_hints += h->is_used != 0;
  }
  if (dropped == 0 && n_hints == p->n_hints)
    return;
  proto_outbox_mark (out, "disk-entry-damaged");
  if (dropped > 0)
    proto_outbox_note (out, "dropped %u damaged entr%s read back from disk", dropped,
                       dropped == 1 ? "y" : "ies");
  if (n_hints != p->n_hints)
    proto_outbox_note (out, "disk said %u hints, %u slots hold one: recounted", p->n_hints,
                       n_hints);
  p->n_hints = n_hints;
  proto_outbox_sync (out);
}

static void
quorum_start (QuorumNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  QuorumPersist *p = &node->persist;
  pcg32_seed (&node->rng, ctx->seed, (uint64_t) ctx->self);
  /* A reply counts only for the request it answers.  Replies (PutAck,
   * GetReply) name their operation by its tag, and replies sent to an
   * earlier incarnation may still arrive after a restart, when the
   * operations they answered are gone: a new write given an old tag would
   * take a stale PutAck for a version its sender never stored, and the
   * coordinator would count w acks for a write fewer nodes hold.  So every
   * start is a new incarnation, counted on the node's disk, and every tag
   * carries it (quorum_tag).  The incarnation is synced before the node
   * sends anything: its messages wait for the sync, so a crash before the
   * number is durable loses every message that carried it, and the next
   * start, taking the same number again, reuses a tag no message ever left
   * with.  Two requests that left the node never share a tag (unless the
   * disk flips the number's bits, as it could the dot counter's). */
  repair_disk (node, ctx, out);
  if (++p->incarnation == 0)
    p->incarnation = 1;
  node->tag_count = 0;
  proto_outbox_sync (out);
  quorum_ring_orders (ctx->n_nodes, (int) cfg->vnodes, node->ring);
  if (p->n_hints > 0 && (cfg->hints == QUORUM_HINTS_VOLATILE
                         || cfg->bug == QUORUM_BUG_HINT_DROPPED_ON_RESTART)) {
    /* Volatile hints lived in memory only; the seeded bug throws persisted
     * ones away on restart, as if they were a cache. */
    proto_outbox_mark (out, "hints-lost-on-restart");
    proto_outbox_note (out, "restart lost %u hints%s", p->n_hints,
                       cfg->hints == QUORUM_HINTS_VOLATILE ? " (volatile)" : " (bug)");
    memset (p->hints, 0, sizeof p->hints);
    p->n_hints = 0;
    proto_outbox_sync (out);
  }
  /* Timers start at a random phase so that nodes do not act in lockstep. */
  node->handoff_at_us = now_us + pcg32_range (&node->rng, 1, cfg->handoff_us);
  node->anti_entropy_at_us = cfg->anti_entropy_us > 0
                             ? now_us + pcg32_range (&node->rng, 1, cfg->anti_entropy_us)
                             : PROTO_NO_DEADLINE;
}

static void
quorum_timeout (QuorumNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  quorum_store_flush (node, ctx, now_us, out);
  quorum_coord_timeout (node, ctx, now_us, out);
  if (now_us >= node->handoff_at_us) {
    node->handoff_at_us = now_us + cfg->handoff_us;
    quorum_handoff_send (node, ctx, out);
  }
  if (now_us >= node->anti_entropy_at_us) {
    node->anti_entropy_at_us = now_us + cfg->anti_entropy_us;
    quorum_anti_entropy_start (node, ctx, out);
  }
}

static int64_t
quorum_deadline (const QuorumNode *node, const ProtoCtx *ctx)
{
  const QuorumConfig *cfg = ctx->config;
  int64_t at = MIN (node->anti_entropy_at_us, quorum_store_next_flush (node));
  if (node->persist.n_hints > 0)
    at = MIN (at, node->handoff_at_us);
  for (int i = 0; i < QUORUM_MAX_OPS; i++) {
    const QuorumOp *op = &node->ops[i];
    if (op->tag == 0)
      continue;
    at = MIN (at, op->expires_at_us);
    if (cfg->sloppy && cfg->mode == QUORUM_MODE_DYNAMO && !op->is_answered)
      at = MIN (at, op->fallback_at_us);
  }
  return at;
}

static void
quorum_receive (QuorumNode *node, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  if (ev->msg_len == 0)
    return;
  int from = ev->from;
  int64_t now = ev->now_us;
  const QuorumConfig *cfg = ctx->config;
  gboolean from_node = from >= 0 && from < ctx->n_nodes && from != ctx->self;
  /* abd: clients talk to the replicas themselves (abd.c). */
  gboolean from_writer = cfg->mode == QUORUM_MODE_ABD ? from >= ctx->n_nodes : from_node;
  /* Messages are large (a cell each); they are copied to the heap rather
   * than to the stack of a step that may be called deep. */
  void *m = g_malloc (ev->msg_len);
  memcpy (m, ev->msg, ev->msg_len);
  switch (((const uint8_t *) ev->msg)[0]) {
  case QUORUM_MSG_CLIENT_REQUEST:
    if (from >= ctx->n_nodes && ev->msg_len == sizeof (QuorumClientRequest))
      quorum_recv_client_request (node, ctx, from, m, now, out);
    break;
  case QUORUM_MSG_PUT: {
    const QuorumPut *put = m;
    if (from_writer && ev->msg_len == sizeof *put && put->key < QUORUM_MAX_KEYS
        && put->hint_for < ctx->n_nodes && quorum_cell_is_valid (&put->cell, ctx->n_nodes))
      quorum_recv_put (node, ctx, from, put, now, out);
    break;
  }
  case QUORUM_MSG_PUT_ACK:
    if (from_node && ev->msg_len == sizeof (QuorumPutAck))
      quorum_recv_put_ack (node, ctx, from, m, now, out);
    break;
  case QUORUM_MSG_GET: {
    const QuorumGet *get = m;
    if (from_writer && ev->msg_len == sizeof *get && get->key < QUORUM_MAX_KEYS)
      quorum_recv_get (node, ctx, from, get, out);
    break;
  }
  case QUORUM_MSG_GET_REPLY: {
    const QuorumGetReply *r = m;
    if (from_node && ev->msg_len == sizeof *r && quorum_cell_is_valid (&r->cell, ctx->n_nodes))
      quorum_recv_get_reply (node, ctx, from, r, now, out);
    break;
  }
  case QUORUM_MSG_HANDOFF: {
    const QuorumHandoff *h = m;
    if (from_node && ev->msg_len == sizeof *h && h->key < QUORUM_MAX_KEYS
        && quorum_cell_is_valid (&h->cell, ctx->n_nodes))
      quorum_recv_handoff (node, ctx, from, h, now, out);
    break;
  }
  case QUORUM_MSG_HANDOFF_ACK:
    if (from_node && ev->msg_len == sizeof (QuorumHandoffAck))
      quorum_recv_handoff_ack (node, ctx, from, m, out);
    break;
  case QUORUM_MSG_AE_DIGEST:
    if (from_node && ev->msg_len == sizeof (QuorumAeDigest))
      quorum_recv_ae_digest (node, ctx, from, m, out);
    break;
  case QUORUM_MSG_AE_TREE:
    if (from_node && ev->msg_len == sizeof (QuorumAeTree))
      quorum_recv_ae_tree (node, ctx, from, m, out);
    break;
  case QUORUM_MSG_AE_KEYS:
    if (from_node && ev->msg_len == sizeof (QuorumAeKeys))
      quorum_recv_ae_keys (node, ctx, from, m, out);
    break;
  case QUORUM_MSG_AE_PUSH: {
    const QuorumAePush *a = m;
    if (from_node && ev->msg_len == sizeof *a && a->key < QUORUM_MAX_KEYS
        && quorum_cell_is_valid (&a->cell, ctx->n_nodes))
      quorum_recv_ae_push (node, ctx, from, a, now, out);
    break;
  }
  default:
    break; /* not a quorum message: ignore */
  }
  g_free (m);
}

static void
quorum_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  QuorumNode *node = state;
  switch (ev->kind) {
  case PROTO_EV_START:
    quorum_start (node, ctx, ev->now_us, out);
    break;
  case PROTO_EV_TIMEOUT:
    quorum_timeout (node, ctx, ev->now_us, out);
    break;
  case PROTO_EV_RECEIVE:
    quorum_receive (node, ctx, ev, out);
    break;
  case PROTO_EV_INVOKE:
  case PROTO_EV_RETRY:
    break; /* client events: not for nodes */
  }
  proto_outbox_set_deadline (out, quorum_deadline (node, ctx));
}

const ProtoVTable proto_quorum = {
  .name = "quorum",
  .summary = "leaderless quorums (Dynamo, Cassandra, Riak): ring, N/W/R, sloppy quorums, "
             "hinted handoff, read repair, LWW or version vectors, and ABD",
  .knobs = quorum_knobs,
  .config_size = sizeof (QuorumConfig),
  .ops_supported = (1u << PROTO_OP_READ) | (1u << PROTO_OP_WRITE),
  .min_nodes = 1,
  .max_nodes = PROTO_MAX_NODES,
  .has_levels = TRUE,
  .state_size = sizeof (QuorumNode),
  .persist_offset = offsetof (QuorumNode, persist),
  .persist_size = sizeof (QuorumPersist),
  .step = quorum_step,
  .state_extent = quorum_state_extent,
  .state_holes = quorum_state_holes,
  .ghost_size = sizeof (QuorumGhost),
  .ghost_extent = quorum_ghost_extent,
  .check = quorum_check,
  .format_msg = quorum_format_msg,
  .format_state = quorum_format_state,
  .client_state_size = sizeof (QuorumClient),
  .client_step = quorum_client_step,  .invariant_names = (const char *const[]) { "no-lost-write", "version-monotonic",
                                             "siblings-survive", NULL },
};
