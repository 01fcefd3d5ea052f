/* cons_explain.c: the witness operations and the plain sentences. */
#include "checkers/cons_internal.h"

static char *
value_text (const ChkHistory *h, const ChkValue *v)
{
  switch (v->kind) {
  case CHK_VAL_NONE:
  case CHK_VAL_NIL:
    return g_strdup ("nil");
  case CHK_VAL_INT:
    return g_strdup_printf ("%" G_GINT64_FORMAT, v->i);
  case CHK_VAL_STR:
    return g_strdup (h != NULL ? chk_history_string (h, v->s) : "?");
  case CHK_VAL_PAIR:
    return chk_pair_text (v, "[", " ", "]", "nil");
  case CHK_VAL_SIBLINGS: case CHK_VAL_LIST:
    break; /* refused by chk_consistency_check */
  }
  g_assert_not_reached ();
}

char *
chk_cons_op_value (const ChkHistory *h, const GArray *ops, guint i)
{
  const ChkOp *o = &g_array_index (ops, ChkOp, i);
  /* What a dequeue or a txn returned, as the value it stands for. */
  ChkValue ov = o->f == CHK_F_READ || (o->f == CHK_F_OTHER && o->status == CHK_OP_OK
                                       && chk_op_output (o).kind != CHK_VAL_NONE)
                  ? chk_op_output (o) : chk_op_input (o);
  const ChkValue *v = &ov;
  if (v->kind == CHK_VAL_LIST) /* a collection (linearizable only) */
    return chk_value_describe (h, v);
  return value_text (h, v);
}

static char *
op_kv (const ChkHistory *h, const GArray *ops, guint i)
{
  const ChkOp *o = &g_array_index (ops, ChkOp, i);
  g_autofree char *val = chk_cons_op_value (h, ops, i);
  if (o->key < 0 || h == NULL)
    return g_steal_pointer (&val);
  const char *key = chk_history_string (h, o->key);
  if (key[0] == ':' && key[1] != '\0')
    key++; /* an EDN keyword: :x is x */
  return g_strdup_printf ("%s=%s", key, val);
}

static const char *
op_verb (const GArray *ops, guint i)
{
  const ChkOp *o = &g_array_index (ops, ChkOp, i);
  return o->f == CHK_F_READ ? "read" : o->f == CHK_F_WRITE ? "wrote" : "did";
}

char *
chk_cons_op_describe (const ChkHistory *h, const GArray *ops, guint i)
{
  const ChkOp *o = &g_array_index (ops, ChkOp, i);
  g_autofree char *kv = op_kv (h, ops, i);
  return g_strdup_printf ("process %" G_GINT64_FORMAT " %s %s", o->process, op_verb (ops, i), kv);
}

char *
cons_describe (const ConsHist *ch, int kept)
{
  return chk_cons_op_describe (ch->h, ch->ops, ch->op[kept]);
}

char *
cons_kv (const ConsHist *ch, int kept)
{
  return op_kv (ch->h, ch->ops, ch->op[kept]);
}

static int64_t
kept_process (const ConsHist *ch, int kept)
{
  return g_array_index (ch->ops, ChkOp, ch->op[kept]).process;
}

ChkConsViolation *
cons_violation_new (const char *pattern)
{
  ChkConsViolation *v = g_new0 (ChkConsViolation, 1);
  v->pattern = g_strdup (pattern);
  v->witness = g_array_new (FALSE, FALSE, sizeof (guint));
  return v;
}

void
cons_violation_free (ChkConsViolation *v)
{
  if (v == NULL)
    return;
  g_free (v->pattern);
  g_array_unref (v->witness);
  g_free (v->explanation);
  g_free (v);
}

void
cons_violation_add_op (ChkConsViolation *v, const ConsHist *ch, int kept)
{
  if (kept < 0)
    return;
  guint op = ch->op[kept];
  for (guint i = 0; i < v->witness->len; i++)
    if (g_array_index (v->witness, guint, i) == op)
      return;
  g_array_append_val (v->witness, op);
}

static gboolean
is_order_kind (ConsEdgeKind k)
{
  return k == CONS_EDGE_PO || k == CONS_EDGE_ORDER;
}

/* The edges with virtual nodes (the cumulative chains of session.c) cut
 * out: a -> virtual -> b becomes a -> b, keeping the more telling kind.
 * For a cycle, the result starts at a real node. */
static GArray *
without_virtual (const ConsGraph *g, const GArray *edges, gboolean is_cycle)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (ConsEdge));
  guint n = edges->len, start = 0;
  if (is_cycle)
    while (start < n && g->node_op[g_array_index (edges, ConsEdge, start).from] < 0)
      start++;
  if (start == n)
    start = 0;
  for (guint i = 0; i < n; i++) {
    ConsEdge e = g_array_index (edges, ConsEdge, (start + i) % n);
    if (out->len > 0) {
      ConsEdge *last = &g_array_index (out, ConsEdge, out->len - 1);
      if (g->node_op[last->to] < 0) {
        last->to = e.to;
        if (last->kind == CONS_EDGE_ORDER) {
          last->kind = e.kind;
          last->because = e.because;
        }
        continue;
      }
    }
    g_array_append_val (out, e);
  }
  return out;
}

char *
cons_tell_path (const ConsGraph *g, const GArray *path_in, ChkConsViolation *v)
{
  const ConsHist *ch = g->ch;
  g_autoptr (GArray) path = without_virtual (g, path_in, FALSE);
  g_assert (path->len > 0);
  int last = g->node_op[g_array_index (path, ConsEdge, path->len - 1).to];
  GString *s = g_string_new (NULL);
  g_autofree char *first = cons_describe (ch, last);
  g_string_append (s, first);
  g_autoptr (GArray) told = g_array_new (FALSE, FALSE, sizeof (int));
  g_array_append_val (told, last);
  gboolean attributed = TRUE; /* the node we stand on has its writer told */
  int i = (int) path->len - 1;
  while (i >= 0) {
    const ConsEdge *e = &g_array_index (path, ConsEdge, i);
    if (is_order_kind (e->kind)) {
      /* A run of program order: name where the path entered it. */
      while (i > 0 && is_order_kind (g_array_index (path, ConsEdge, i - 1).kind))
        i--;
      int u = g->node_op[g_array_index (path, ConsEdge, i).from];
      i--;
      if (u < 0)
        continue;
      g_autofree char *kv = cons_kv (ch, u);
      g_string_append_printf (s, " after %s %s", ch->is_write[u] ? "writing" : "reading", kv);
      attributed = TRUE;
      g_array_append_val (told, u);
      continue;
    }
    int u = g->node_op[e->from], to = g->node_op[e->to];
    g_autofree char *kv = cons_kv (ch, u);
    switch (e->kind) {
    case CONS_EDGE_RF:
      if (kept_process (ch, u) == kept_process (ch, to))
        g_string_append (s, ", which it wrote itself");
      else
        g_string_append_printf (s, ", which process %" G_GINT64_FORMAT " wrote",
                                kept_process (ch, u));
      break;
    case CONS_EDGE_WFR:
      g_string_append_printf (s, " after reading %s, which process %" G_GINT64_FORMAT " wrote",
                              kv, kept_process (ch, u));
      break;
    case CONS_EDGE_UNSEEN:
      g_string_append_printf (s, ", which came after process %" G_GINT64_FORMAT " read %s",
                              kept_process (ch, u), kv);
      break;
    case CONS_EDGE_FORCED: {
      int r = g->node_op[e->because];
      g_autofree char *skv = cons_kv (ch, to);
      g_string_append_printf (s, ", which must follow %s written by process %" G_GINT64_FORMAT
                              " (process %" G_GINT64_FORMAT " read %s with %s already visible)",
                              kv, kept_process (ch, u), kept_process (ch, r), skv, kv);
      break;
    }
    default:
      g_assert_not_reached ();
    }
    attributed = TRUE;
    g_array_append_val (told, u);
    i--;
  }
  (void) attributed;
  for (guint j = told->len; j-- > 0;)
    cons_violation_add_op (v, ch, g_array_index (told, int, j));
  return g_string_free (s, FALSE);
}

char *
cons_tell_cycle (const ConsGraph *g, const GArray *cycle_in, ChkConsViolation *v)
{
  const ConsHist *ch = g->ch;
  g_autoptr (GArray) cycle = without_virtual (g, cycle_in, TRUE);
  GString *s = g_string_new (NULL);
  guint i = 0;
  /* Start after a run of program order, so runs are not split at the
   * seam. */
  guint start = 0;
  while (start < cycle->len && is_order_kind (g_array_index (cycle, ConsEdge, start).kind))
    start++;
  if (start == cycle->len)
    start = 0;
  for (guint n = 0; n < cycle->len; n++) {
    i = (start + n) % cycle->len;
    const ConsEdge *e = &g_array_index (cycle, ConsEdge, i);
    if (s->len > 0)
      g_string_append (s, "; ");
    int u = g->node_op[e->from];
    if (is_order_kind (e->kind)) {
      while (n + 1 < cycle->len
             && is_order_kind (g_array_index (cycle, ConsEdge, (start + n + 1) % cycle->len).kind))
        n++;
      int w = g->node_op[g_array_index (cycle, ConsEdge, (start + n) % cycle->len).to];
      if (u < 0 || w < 0) {
        g_string_truncate (s, s->len >= 2 ? s->len - 2 : 0);
        continue;
      }
      cons_violation_add_op (v, ch, u);
      cons_violation_add_op (v, ch, w);
      g_autofree char *du = cons_describe (ch, u);
      g_autofree char *kw = cons_kv (ch, w);
      if (kept_process (ch, u) == kept_process (ch, w))
        g_string_append_printf (s, "%s before it %s %s", du,
                                ch->is_write[w] ? "wrote" : "read", kw);
      else {
        g_autofree char *dw = cons_describe (ch, w);
        g_string_append_printf (s, "%s must precede %s", du, dw);
      }
      continue;
    }
    int w = g->node_op[e->to];
    cons_violation_add_op (v, ch, u);
    cons_violation_add_op (v, ch, w);
    g_autofree char *ku = cons_kv (ch, u);
    g_autofree char *kw = cons_kv (ch, w);
    switch (e->kind) {
    case CONS_EDGE_RF:
      g_string_append_printf (s, "process %" G_GINT64_FORMAT " read %s, written by process %"
                              G_GINT64_FORMAT, kept_process (ch, w), kw, kept_process (ch, u));
      break;
    case CONS_EDGE_WFR:
      g_string_append_printf (s, "process %" G_GINT64_FORMAT " wrote %s after reading %s",
                              kept_process (ch, w), kw, ku);
      break;
    case CONS_EDGE_UNSEEN:
      if (ch->val[u] == 0)
        g_string_append_printf (s, "process %" G_GINT64_FORMAT " read %s, so before %s was "
                                "written", kept_process (ch, u), ku, kw);
      else
        g_string_append_printf (s, "process %" G_GINT64_FORMAT " read %s, so before %s "
                                "overwrote it", kept_process (ch, u), ku, kw);
      break;
    case CONS_EDGE_FORCED: {
      int r = g->node_op[e->because];
      cons_violation_add_op (v, ch, r);
      g_string_append_printf (s, "%s must come after %s, since process %" G_GINT64_FORMAT
                              " read %s with %s already visible", kw, ku,
                              kept_process (ch, r), kw, ku);
      break;
    }
    default:
      g_assert_not_reached ();
    }
  }
  return g_string_free (s, FALSE);
}
