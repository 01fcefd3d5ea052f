/* check.c: the invariants of quorum replication, checked across all nodes
 * after every step.
 *
 *  no-lost-write: a write acknowledged to its client stays on at least as
 *    many nodes as acknowledged it (w; a majority under abd), in their
 *    stores or as hints, itself or a version that replaced it.  Dynamo's
 *    durability promise; what makes w + r > n reads see it.  Counted once
 *    the acknowledgement can have left (acked_settle).
 *  version-monotonic: a replica's version of a key never goes back: lww and
 *    abd timestamps never decrease, and the version vector of a key's
 *    siblings never loses a dot.
 *  siblings-survive (vv): a sibling leaves a replica only when a write whose
 *    context covers it (a causally later write, which merged it) is there.
 *
 * The last two judge what a node holds in memory after every step, against
 * what it held before, except across a crash.  A crash takes a node back
 * to what its disk holds (sim/storage.c: changes not yet durable are lost),
 * and that may be less than it held in memory: a replica or coordinator
 * changes its store, asks for the sync (proto_outbox_sync), and its Puts,
 * acks and replies wait for the sync, so a crash before the sync undoes the
 * change unseen, its dot included: nobody else ever saw it.  So a node that
 * is down is not judged, and the ghost takes its versions as its disk gave
 * them back (as Raft's ghost remembers a commit only once the disk holds
 * it); when it restarts, it is judged against those.  What it acknowledged
 * is no-lost-write's to judge, which counts the write on other nodes too.
 *
 * A broken property is reported as "NAME: what happened", the name first,
 * as a scenario's `expect = violation invariant:NAME` matches it. */
#include "protocols/quorum/quorum.h"

#include <stddef.h>
#include <string.h>

static void
acked_describe (const QuorumAcked *a, gboolean is_vv, GString *why)
{
  g_string_append_printf (why, "c%d's write of %" G_GINT64_FORMAT " to key %d", a->client + 1,
                          a->value, a->key);
  if (is_vv)
    g_string_append_printf (why, " (dot n%d:%u)", a->dot_node + 1, a->dot);
  else
    g_string_append_printf (why, " (timestamp %" G_GINT64_FORMAT "/n%d)", a->ts, a->ts_node + 1);
}

static gboolean
persist_covers (const QuorumPersist *p, const QuorumAcked *a, gboolean is_vv)
{
  if (quorum_cell_covers (&p->store[a->key], a, is_vv))
    return TRUE;
  for (int i = 0; p->n_hints > 0 && i < QUORUM_MAX_HINTS; i++) {
    const QuorumHint *h = &p->hints[i];
    if (h->is_used && h->key == a->key && quorum_cell_covers (&h->cell, a, is_vv))
      return TRUE;
  }
  return FALSE;
}

static gboolean
node_covers (const QuorumNode *node, gboolean is_up, const QuorumAcked *a, gboolean is_vv)
{
  if (persist_covers (&node->persist, a, is_vv))
    return TRUE;
  for (int i = 0; is_up && i < QUORUM_MAX_PENDING; i++) {
    const QuorumPending *p = &node->pending[i];
    if (p->is_used && p->key == a->key && quorum_cell_covers (&p->cell, a, is_vv))
      return TRUE;
  }
  return FALSE;
}

static gboolean
check_no_lost_write (QuorumGhost *g, const void *const *states, const gboolean *is_up,
                     const ProtoCtx *ctx, int n_nodes, GString *why)
{
  const QuorumConfig *cfg = ctx->config;
  gboolean is_vv = quorum_cell_is_vv (ctx);
  /* Pending writes exist only under the seeded bug ack-before-store. */
  gboolean has_pending = cfg->bug == QUORUM_BUG_ACK_BEFORE_STORE;
  uint32_t from = g->n_acked > QUORUM_GHOST_ACKED ? g->n_acked - QUORUM_GHOST_ACKED : 0;
  for (uint32_t k = from; k < g->n_acked; k++) {
    const QuorumAcked *a = &g->acked[k % QUORUM_GHOST_ACKED];
    if (g->acked_wait[k % QUORUM_GHOST_ACKED] != 0)
      continue; /* its reply has not left, or never will (acked_settle) */
    int need = a->w != 0 ? a->w : (int) cfg->w;
    int held = 0;
    for (int i = 0; i < n_nodes && held < need; i++)
      held += node_covers (states[i], is_up[i] && has_pending, a, is_vv);
    if (held >= need)
      continue;
    g_string_append (why, "no-lost-write: ");
    acked_describe (a, is_vv, why);
    g_string_append_printf (why, ", acknowledged by %d nodes, is now held by %d (nodes:", need,
                            held);
    for (int i = 0; i < n_nodes; i++)
      if (node_covers (states[i], is_up[i] && has_pending, a, is_vv))
        g_string_append_printf (why, " n%d", i + 1);
    g_string_append (why, held == 0 ? " none): it is lost" : ")");
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_versions (QuorumGhost *g, const QuorumNode *node, int i, gboolean is_up, gboolean is_vv,
                GString *why)
{
  for (int key = 0; key < QUORUM_MAX_KEYS; key++) {
    const QuorumCell *cur = &node->persist.store[key];
    QuorumCell *seen = &g->seen[key][i];
    size_t used = quorum_cell_used_size (cur);
    if (quorum_cell_used_size (seen) == used && memcmp (seen, cur, used) == 0)
      continue; /* unchanged since the last step */
    if (!is_up) {
      /* Down after a crash: the store is what the disk gave back (see the
       * comment at the top); nothing to judge. */
    } else if (!is_vv) {
      if (seen->has_value && (!cur->has_value
                              || quorum_ts_newer (seen->ts, seen->ts_node, cur->ts, cur->ts_node))) {
        g_string_append_printf (why, "version-monotonic: n%d's version of key %d went back from ",
                                i + 1, key);
        quorum_cell_format (seen, FALSE, why);
        g_string_append (why, " to ");
        quorum_cell_format (cur, FALSE, why);
        return FALSE;
      }
    } else {
      for (int k = 0; k < seen->n_siblings; k++) {
        const QuorumSibling *s = &seen->sib[k];
        QuorumAcked as = { .dot = s->dot, .dot_node = s->dot_node };
        if (quorum_cell_covers (cur, &as, TRUE))
          continue;
        g_string_append_printf (why, "siblings-survive: n%d dropped sibling %" G_GINT64_FORMAT
                                " (dot n%d:%u) of key %d, which no later write merged; "
                                "it now holds ", i + 1, s->value, s->dot_node + 1, s->dot, key);
        quorum_cell_format (cur, TRUE, why);
        return FALSE;
      }
      QuorumVV before, after;
      quorum_cell_context (seen, &before);
      quorum_cell_context (cur, &after);
      for (int j = 0; j < PROTO_MAX_NODES; j++)
        if (after.c[j] < before.c[j]) {
          g_string_append_printf (why, "version-monotonic: n%d's version vector of key %d went "
                                  "back: n%d's entry from %u to %u", i + 1, key, j + 1,
                                  before.c[j], after.c[j]);
          return FALSE;
        }
    }
    /* Copy what is in use and zero the rest, as a cell keeps it. */
    size_t old_used = quorum_cell_used_size (seen);
    memcpy (seen, cur, used);
    if (old_used > used)
      memset ((uint8_t *) seen + used, 0, old_used - used);
    g->seen_used = MAX (g->seen_used, (uint32_t) (key * PROTO_MAX_NODES + i + 1));
  }
  return TRUE;
}

/* An acknowledgement leaves its coordinator behind the step's sync.  With
 * w = 1 (or level one) the coordinator answers in the step that stores the
 * write, so while its disk does not hold it, the reply is still waiting,
 * and a crash before the sync loses both, unseen (the client retries).  So
 * such an acknowledgement counts only once the coordinator's disk holds
 * the write, and is forgotten if the coordinator goes down first with a
 * disk that does not (sim_node_crash checks right after the crash, with
 * the disk the node came back to).  Acknowledgements of writes the
 * coordinator does not hold count at once.  Without a disk (handler tests)
 * memory counts. */
static void
acked_settle (QuorumGhost *g, const gboolean *is_up, const ProtoCtx *ctxs, gboolean is_vv)
{
  uint32_t from = g->n_acked > QUORUM_GHOST_ACKED ? g->n_acked - QUORUM_GHOST_ACKED : 0;
  for (uint32_t k = from; k < g->n_acked; k++) {
    uint8_t *wait = &g->acked_wait[k % QUORUM_GHOST_ACKED];
    if (*wait == 0 || *wait == QUORUM_ACK_VOID)
      continue;
    int i = *wait - 1;
    if (persist_covers (ctxs[i].disk, &g->acked[k % QUORUM_GHOST_ACKED], is_vv))
      *wait = 0;
    else if (!is_up[i])
      *wait = QUORUM_ACK_VOID;
  }
}

/* The cells of seen[][] written so far end the ghost's nonzero bytes. */
size_t
quorum_ghost_extent (const void *ghost)
{
  const QuorumGhost *g = ghost;
  G_STATIC_ASSERT (offsetof (QuorumGhost, seen) + sizeof (((QuorumGhost *) NULL)->seen)
                   == sizeof (QuorumGhost));
  return offsetof (QuorumGhost, seen)
         + MIN ((size_t) g->seen_used, (size_t) QUORUM_MAX_KEYS * PROTO_MAX_NODES)
             * sizeof (QuorumCell);
}

gboolean
quorum_check (void *ghost, const void *const *states, const gboolean *is_up,
              const ProtoCtx *ctxs, int n_nodes, GString *why)
{
  QuorumGhost *g = ghost;
  gboolean is_vv = quorum_cell_is_vv (&ctxs[0]);
  for (int i = 0; i < n_nodes; i++) {
    const QuorumNode *node = states[i];
    if (!check_versions (g, node, i, is_up[i], is_vv, why))
      return FALSE;
    /* Writes this node acknowledged since the last step. */
    if (node->n_acked < g->acked_seen[i])
      g->acked_seen[i] = 0; /* it restarted: its volatile count starts over */
    uint32_t first = MAX (g->acked_seen[i], node->n_acked > QUORUM_ACK_RING
                                            ? node->n_acked - QUORUM_ACK_RING : 0);
    for (uint32_t k = first; k < node->n_acked; k++) {
      const QuorumAcked *a = &node->acked[k % QUORUM_ACK_RING];
      gboolean waits = ctxs[i].disk != NULL && persist_covers (&node->persist, a, is_vv)
                       && !persist_covers (ctxs[i].disk, a, is_vv);
      g->acked_wait[g->n_acked % QUORUM_GHOST_ACKED] = waits ? (uint8_t) (i + 1) : 0;
      g->acked[g->n_acked++ % QUORUM_GHOST_ACKED] = *a;
    }
    g->acked_seen[i] = node->n_acked;
  }
  acked_settle (g, is_up, ctxs, is_vv);
  return check_no_lost_write (g, states, is_up, &ctxs[0], n_nodes, why);
}
