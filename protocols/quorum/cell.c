/* cell.c: what a replica holds for one key, and how two versions meet.
 *
 * lww and abd keep one version, ordered by (timestamp, node): lww stamps a
 * write with its coordinator's clock (Cassandra), so a coordinator whose
 * clock runs behind writes "older" versions than it did a moment ago; abd
 * stamps it with a counter one above the largest a majority reported.
 *
 * vv keeps concurrent versions as siblings with dotted version vectors
 * (Preguica et al. 2010).  A sibling is (value, dot, ctx): the dot (node,
 * counter) names the write, ctx is what the client had seen when it wrote.
 * "A version v1 is obsolete if there is some v2 whose causal past includes
 * v1's dot": sibling s is covered by t when t.ctx[s.node] >= s.counter.
 * The merge of two replicas' siblings keeps each sibling that no sibling of
 * the other covers: nothing is lost unless a causally later write replaced
 * it.  The ctx excludes the sibling's own dot, so two writes coordinated by
 * the same node with the same context stay siblings (plain version vectors
 * would let the second one silently replace the first). */
#include "protocols/quorum/quorum.h"

#include <stdlib.h>
#include <string.h>

gboolean
quorum_cell_is_vv (const ProtoCtx *ctx)
{
  const QuorumConfig *cfg = ctx->config;
  return cfg->mode == QUORUM_MODE_DYNAMO && cfg->conflict == QUORUM_CONFLICT_VV;
}

void
quorum_vv_join (QuorumVV *into, const QuorumVV *other)
{
  for (int i = 0; i < PROTO_MAX_NODES; i++)
    into->c[i] = MAX (into->c[i], other->c[i]);
}

/* The causal context a read of the cell gives its client: every sibling's
 * context and dot. */
void
quorum_cell_context (const QuorumCell *cell, QuorumVV *vv)
{
  memset (vv, 0, sizeof *vv);
  for (int k = 0; k < cell->n_siblings; k++) {
    const QuorumSibling *s = &cell->sib[k];
    quorum_vv_join (vv, &s->ctx);
    vv->c[s->dot_node] = MAX (vv->c[s->dot_node], s->dot);
  }
}

static gboolean
sibling_covered_by (const QuorumSibling *s, const QuorumVV *ctx)
{
  return ctx->c[s->dot_node] >= s->dot;
}

static gboolean
sibling_same (const QuorumSibling *a, const QuorumSibling *b)
{
  return a->dot_node == b->dot_node && a->dot == b->dot;
}

static int
sibling_cmp (const void *a, const void *b)
{
  const QuorumSibling *x = a, *y = b;
  if (x->dot_node != y->dot_node)
    return x->dot_node - y->dot_node;
  return (x->dot > y->dot) - (x->dot < y->dot);
}

/* Puts the n siblings of `sib` into the cell, sorted, unused slots zeroed.
 * More than the cell holds: the oldest dots go, and say so (the invariants
 * will call it a lost write, which it is). */
static void
cell_set_siblings (QuorumCell *cell, QuorumSibling *sib, int n, ProtoOutbox *out)
{
  qsort (sib, (size_t) n, sizeof *sib, sibling_cmp);
  int drop = MAX (n - QUORUM_MAX_SIBLINGS, 0);
  if (drop > 0 && out != NULL) {
    proto_outbox_mark (out, "sibling-overflow");
    proto_outbox_note (out, "%d siblings, more than %d: dropping %d", n, QUORUM_MAX_SIBLINGS,
                       drop);
  }
  memset (cell->sib, 0, sizeof cell->sib);
  memcpy (cell->sib, sib + drop, (size_t) (n - drop) * sizeof *sib);
  cell->n_siblings = (uint8_t) (n - drop);
  cell->has_value = cell->n_siblings > 0;
}

void
quorum_cell_add_write (QuorumCell *cell, int64_t value, int dot_node, uint32_t dot,
                       const QuorumVV *ctx, ProtoOutbox *out)
{
  /* Riak (and Dynamo 4.4): "the client must specify which version it is
   * updating by passing the context it obtained from an earlier read";
   * the write replaces exactly the siblings that context covers. */
  QuorumSibling sib[2 * QUORUM_MAX_SIBLINGS];
  int n = 0;
  for (int k = 0; k < cell->n_siblings; k++)
    if (!sibling_covered_by (&cell->sib[k], ctx))
      sib[n++] = cell->sib[k];
  if (n > 0 && out != NULL)
    proto_outbox_mark (out, "write-kept-siblings");
  QuorumSibling *s = &sib[n++];
  memset (s, 0, sizeof *s);
  s->value = value;
  s->dot = dot;
  s->dot_node = (uint8_t) dot_node;
  s->ctx = *ctx;
  cell_set_siblings (cell, sib, n, out);
}

gboolean
quorum_ts_newer (int64_t ts_a, int32_t node_a, int64_t ts_b, int32_t node_b)
{
  return ts_a > ts_b || (ts_a == ts_b && node_a > node_b);
}

/* A cell that could come from a correct node: siblings and nodes in range. */
gboolean
quorum_cell_is_valid (const QuorumCell *c, int n_nodes)
{
  /* abd timestamps name the writing client: any endpoint. */
  if (c->n_siblings > QUORUM_MAX_SIBLINGS || c->ts_node < 0
      || c->ts_node >= PROTO_MAX_ENDPOINTS)
    return FALSE;
  for (int k = 0; k < c->n_siblings; k++)
    if (c->sib[k].dot_node >= n_nodes)
      return FALSE;
  return TRUE;
}

gboolean
quorum_cell_merge (QuorumCell *dst, const QuorumCell *src, gboolean is_vv, ProtoOutbox *out)
{
  if (!is_vv) {
    if (!src->has_value
        || (dst->has_value && !quorum_ts_newer (src->ts, src->ts_node, dst->ts, dst->ts_node)))
      return FALSE;
    dst->ts = src->ts;
    dst->ts_node = src->ts_node;
    dst->value = src->value;
    dst->has_value = 1;
    return TRUE;
  }
  QuorumSibling sib[2 * QUORUM_MAX_SIBLINGS];
  int n = 0;
  for (int k = 0; k < dst->n_siblings; k++) {
    gboolean covered = FALSE;
    for (int j = 0; j < src->n_siblings && !covered; j++)
      covered = sibling_covered_by (&dst->sib[k], &src->sib[j].ctx);
    if (!covered)
      sib[n++] = dst->sib[k];
  }
  for (int j = 0; j < src->n_siblings; j++) {
    gboolean covered = FALSE;
    for (int k = 0; k < dst->n_siblings && !covered; k++)
      covered = sibling_same (&src->sib[j], &dst->sib[k])
                || sibling_covered_by (&src->sib[j], &dst->sib[k].ctx);
    if (!covered)
      sib[n++] = src->sib[j];
  }
  QuorumCell before = *dst;
  cell_set_siblings (dst, sib, n, out);
  return memcmp (&before, dst, sizeof before) != 0;
}

gboolean
quorum_cell_covers (const QuorumCell *cell, const QuorumAcked *a, gboolean is_vv)
{
  if (!is_vv)
    return cell->has_value && !quorum_ts_newer (a->ts, a->ts_node, cell->ts, cell->ts_node);
  for (int k = 0; k < cell->n_siblings; k++) {
    const QuorumSibling *s = &cell->sib[k];
    if ((s->dot_node == a->dot_node && s->dot == a->dot) || s->ctx.c[a->dot_node] >= a->dot)
      return TRUE;
  }
  return FALSE;
}

size_t
quorum_cell_used_size (const QuorumCell *cell)
{
  return offsetof (QuorumCell, sib) + (size_t) cell->n_siblings * sizeof (QuorumSibling);
}

uint64_t
quorum_cell_digest (const QuorumCell *cell)
{
  /* Cells are canonical (siblings sorted, unused slots zero), so the bytes
   * in use name the cell.  A word at a time; both sizes are multiples of 8. */
  size_t used = quorum_cell_used_size (cell);
  G_STATIC_ASSERT (offsetof (QuorumCell, sib) % 8 == 0 && sizeof (QuorumSibling) % 8 == 0);
  const uint8_t *p = (const uint8_t *) cell;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < used; i += 8) {
    uint64_t word;
    memcpy (&word, p + i, 8);
    h = (h ^ word) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  return h | 1; /* never 0: anti-entropy uses 0 for "not shared" */
}

uint32_t
quorum_cell_values (const QuorumCell *cell, gboolean is_vv, int64_t values[QUORUM_MAX_SIBLINGS])
{
  if (!is_vv) {
    values[0] = cell->value;
    return cell->has_value ? 1 : 0;
  }
  for (int k = 0; k < cell->n_siblings; k++)
    values[k] = cell->sib[k].value;
  return cell->n_siblings;
}

void
quorum_cell_format (const QuorumCell *cell, gboolean is_vv, GString *out)
{
  if (!is_vv) {
    if (!cell->has_value)
      g_string_append (out, "nil");
    else
      g_string_append_printf (out, "%" G_GINT64_FORMAT "@%" G_GINT64_FORMAT "/n%d", cell->value,
                              cell->ts, cell->ts_node + 1);
    return;
  }
  if (cell->n_siblings == 0) {
    g_string_append (out, "nil");
    return;
  }
  /* Traces show messages as they arrive, garbled ones too. */
  int n = MIN (cell->n_siblings, QUORUM_MAX_SIBLINGS);
  g_string_append_c (out, '{');
  for (int k = 0; k < n; k++)
    g_string_append_printf (out, "%s%" G_GINT64_FORMAT " n%d:%u", k > 0 ? " | " : "",
                            cell->sib[k].value, cell->sib[k].dot_node + 1, cell->sib[k].dot);
  if (n < cell->n_siblings)
    g_string_append_printf (out, " | %d more?", cell->n_siblings - n);
  g_string_append_c (out, '}');
}
