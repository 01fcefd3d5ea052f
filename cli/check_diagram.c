/* check_diagram.c: `dsim check --diagram FILE`: the checked history as a
 * timeline (viz/timeline.h).
 *
 * Linearizability: the failing part's operations (one key, if the history
 * is keyed), the longest linearizable prefix numbered in linearization
 * order, the culprit in red, the operations concurrent with it.  A model of
 * consistency.h: the witness operations of the bad pattern, with the
 * reads-from edges between them (a read of a key returning the value a
 * witness write of that key wrote) and the session order between witness
 * operations of one process.  A history that holds draws its linearization
 * when the checker gives one.  Operations are placed by their positions in
 * the history, which is all real-time order needs. */
#include "cli/check_diagram.h"

#include <string.h>

#include "viz/render.h"
#include "viz/timeline.h"

#define DIAGRAM_MAX_OPS 120 /* beyond this, only the marked operations are drawn */

static int
cmp_int64 (gconstpointer a, gconstpointer b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

gboolean
cli_check_diagram_available (void)
{
  return TRUE;
}

static void
value_text (const ChkHistory *h, const ChkValue *v, GString *out)
{
  switch (v->kind) {
  case CHK_VAL_NONE:
    g_string_append (out, "?");
    break;
  case CHK_VAL_NIL:
    g_string_append (out, "nil");
    break;
  case CHK_VAL_INT:
    g_string_append_printf (out, "%" G_GINT64_FORMAT, v->i);
    break;
  case CHK_VAL_STR:
    g_string_append_printf (out, "\"%s\"", chk_history_string (h, v->s));
    break;
  case CHK_VAL_PAIR:
  {
    g_autofree char *pair = chk_pair_text (v, "", "->", "", "nil");
    g_string_append (out, pair);
    break;
  }
  case CHK_VAL_SIBLINGS: case CHK_VAL_LIST: {
    g_autofree char *text = chk_value_describe (h, v);
    g_string_append (out, text);
    break;
  }
  }
}

/* "write x=3", "read x: 2", "cas x 1->2", "append x \"a\"". */
static char *
op_label (const ChkHistory *h, const ChkOp *op)
{
  GString *s = g_string_new (NULL);
  const char *key = op->key >= 0 ? chk_history_string (h, op->key) : NULL;
  switch (op->f) {
  case CHK_F_READ:
    g_string_append_printf (s, "read%s%s", key ? " " : "", key ? key : "");
    if (op->status == CHK_OP_OK) {
      g_string_append (s, ": ");
      value_text (h, (ChkValue[]) { chk_op_output (op) }, s);
    }
    break;
  case CHK_F_WRITE:
    g_string_append_printf (s, "write %s%s", key ? key : "", key ? "=" : "");
    value_text (h, (ChkValue[]) { chk_op_input (op) }, s);
    break;
  case CHK_F_CAS:
    g_string_append_printf (s, "cas %s%s", key ? key : "", key ? " " : "");
    value_text (h, (ChkValue[]) { chk_op_input (op) }, s);
    break;
  case CHK_F_APPEND:
    g_string_append_printf (s, "append %s%s", key ? key : "", key ? " " : "");
    value_text (h, (ChkValue[]) { chk_op_input (op) }, s);
    break;
  case CHK_F_OTHER: { /* "acquire", "add 3", "dequeue: 5", "txn [[:read :x 1]]" */
    ChkEvent inv_ev = chk_history_event (h, (guint) op->call);
    const ChkEvent *inv = &inv_ev;
    g_string_append (s, inv->f_name >= 0 ? chk_history_string (h, inv->f_name) : "op");
    ChkValue in = chk_op_input (op), out = chk_op_output (op);
    gboolean has_out = op->status == CHK_OP_OK && out.kind != CHK_VAL_NONE
                       && out.kind != CHK_VAL_NIL;
    gboolean shows_out = has_out && in.kind != CHK_VAL_INT && in.kind != CHK_VAL_STR;
    const ChkValue *v = shows_out ? &out : &in;
    if (v->kind != CHK_VAL_NONE && v->kind != CHK_VAL_NIL) {
      g_string_append (s, shows_out && v->kind != CHK_VAL_LIST ? ": " : " ");
      value_text (h, v, s);
    }
    break;
  }
  }
  return g_string_free (s, FALSE);
}

static gboolean
same_value (const ChkValue *a, const ChkValue *b)
{
  return a->kind == b->kind && a->s == b->s && a->i == b->i && a->j == b->j;
}

static const char *
format_of (const char *path)
{
  const char *dot = strrchr (path, '.');
  return dot != NULL && viz_format_is_known (dot + 1) ? dot + 1 : NULL;
}

gboolean
cli_check_diagram_write (const char *path, const ChkHistory *h, const GArray *ops,
                         const ChkReport *report, GError **error)
{
  const char *format = format_of (path);
  if (format == NULL) {
    g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                 "--diagram %s: the name must end in .svg, .png, .pdf or .dot", path);
    return FALSE;
  }
  gboolean is_lin = strcmp (report->model, "linearizable") == 0;
  gboolean is_violation = report->verdict == CHK_VERDICT_VIOLATION;
  guint n = ops->len;
  /* marks and linearization order, per op */
  g_autofree VizOpMark *mark = g_new0 (VizOpMark, n + 1);
  g_autofree int *order = g_new0 (int, n + 1);
  for (guint k = 0; k < report->order->len; k++) {
    int64_t i = g_array_index (report->order, int64_t, k);
    if (i < 0 || (guint64) i >= n)
      continue;
    if (is_lin) {
      mark[i] = VIZ_MARK_PREFIX;
      order[i] = (int) k + 1;
    } else if (is_violation) {
      mark[i] = VIZ_MARK_WITNESS;
    }
  }
  for (guint k = 0; report->concurrent != NULL && k < report->concurrent->len; k++) {
    int64_t i = g_array_index (report->concurrent, int64_t, k);
    if (i >= 0 && (guint64) i < n && mark[i] == VIZ_MARK_NONE)
      mark[i] = VIZ_MARK_CONCURRENT;
  }
  if (is_violation && report->culprit >= 0 && (guint64) report->culprit < n)
    mark[report->culprit] = VIZ_MARK_CULPRIT;

  /* which ops to draw: the failing key's; only marked ones if too many */
  g_autofree gboolean *shown = g_new0 (gboolean, n + 1);
  guint n_shown = 0, n_marked = 0;
  for (guint i = 0; i < n; i++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, i);
    shown[i] = !(is_violation && report->key >= 0 && op->key != report->key);
    n_shown += shown[i];
    n_marked += shown[i] && mark[i] != VIZ_MARK_NONE;
  }
  guint n_hidden = 0;
  if (n_shown > DIAGRAM_MAX_OPS && n_marked > 0)
    for (guint i = 0; i < n; i++)
      if (shown[i] && mark[i] == VIZ_MARK_NONE) {
        shown[i] = FALSE;
        n_hidden++;
      }
  /* Still too many (a long linearizable prefix, a large bad pattern, or no
   * marks at all): at most DIAGRAM_MAX_OPS, the most telling first.  A
   * million bars would take Graphviz hours. */
  if (n_shown - n_hidden > DIAGRAM_MAX_OPS) {
    g_autofree gboolean *keep = g_new0 (gboolean, n + 1);
    guint kept = 0;
    static const VizOpMark priority[] = { VIZ_MARK_CULPRIT, VIZ_MARK_WITNESS,
                                          VIZ_MARK_CONCURRENT, VIZ_MARK_PREFIX, VIZ_MARK_NONE };
    for (guint p = 0; p < G_N_ELEMENTS (priority); p++) {
      if (priority[p] == VIZ_MARK_PREFIX) {
        /* the end of the prefix, next to where it stops */
        for (guint k = report->order->len; k > 0 && kept < DIAGRAM_MAX_OPS; k--) {
          int64_t i = g_array_index (report->order, int64_t, k - 1);
          if (i >= 0 && (guint64) i < n && shown[i] && !keep[i] && mark[i] == VIZ_MARK_PREFIX) {
            keep[i] = TRUE;
            kept++;
          }
        }
        continue;
      }
      for (guint i = 0; i < n && kept < DIAGRAM_MAX_OPS; i++)
        if (shown[i] && !keep[i] && mark[i] == priority[p]) {
          keep[i] = TRUE;
          kept++;
        }
    }
    for (guint i = 0; i < n; i++)
      if (shown[i] && !keep[i]) {
        shown[i] = FALSE;
        n_hidden++;
      }
  }

  g_autofree char *base = g_path_get_basename (h->source ? h->source : "history");
  g_autofree char *title = report->key >= 0 && is_violation
                             ? g_strdup_printf ("%s, key %s, %s", base,
                                                chk_history_string (h, report->key),
                                                report->model)
                             : g_strdup_printf ("%s, %s", base, report->model);
  g_autoptr (VizTimeline) t = viz_timeline_new (title);
  /* lanes: the processes, in increasing order */
  g_autoptr (GArray) procs = g_array_new (FALSE, FALSE, sizeof (int64_t));
  for (guint i = 0; i < n; i++)
    if (shown[i])
      g_array_append_val (procs, g_array_index (ops, ChkOp, i).process);
  g_array_sort (procs, cmp_int64);
  guint np = 0;
  for (guint i = 0; i < procs->len; i++)
    if (np == 0 || g_array_index (procs, int64_t, i) != g_array_index (procs, int64_t, np - 1))
      g_array_index (procs, int64_t, np++) = g_array_index (procs, int64_t, i);
  g_array_set_size (procs, np);
  for (guint l = 0; l < np; l++) {
    g_autofree char *name = g_strdup_printf ("process %" G_GINT64_FORMAT,
                                             g_array_index (procs, int64_t, l));
    viz_timeline_add_lane (t, name);
  }
  g_autofree int *index = g_new (int, n + 1); /* op -> timeline op, -1 */
  for (guint i = 0; i < n; i++) {
    index[i] = -1;
    if (!shown[i])
      continue;
    const ChkOp *op = &g_array_index (ops, ChkOp, i);
    int lane = 0;
    while (g_array_index (procs, int64_t, lane) != op->process)
      lane++;
    g_autofree char *label = op_label (h, op);
    VizOpStatus st = op->status == CHK_OP_OK ? VIZ_OP_OK
                     : op->status == CHK_OP_FAIL ? VIZ_OP_FAIL : VIZ_OP_INFO;
    int64_t end = st == VIZ_OP_INFO || op->ret == G_MAXINT64 ? VIZ_OP_OPEN : op->ret;
    index[i] = viz_timeline_add_op (t, lane, label, op->call, end, st);
    viz_timeline_op (t, (guint) index[i])->mark = mark[i];
    viz_timeline_op (t, (guint) index[i])->order = order[i];
  }
  if (!is_lin && is_violation) {
    /* the drawn witnesses: in the order of the report, then of the history */
    g_autoptr (GArray) drawn = g_array_new (FALSE, FALSE, sizeof (int64_t));
    for (guint a = 0; a < report->order->len; a++) {
      int64_t i = g_array_index (report->order, int64_t, a);
      if (i >= 0 && (guint64) i < n && index[i] >= 0)
        g_array_append_val (drawn, i);
    }
    g_autoptr (GArray) witnesses = g_array_new (FALSE, FALSE, sizeof (int64_t));
    for (guint i = 0; i < n; i++)
      if (mark[i] == VIZ_MARK_WITNESS && index[i] >= 0) {
        int64_t w = i;
        g_array_append_val (witnesses, w);
      }
    /* relation edges between the witnesses */
    for (guint a = 0; a < drawn->len; a++) {
      int64_t i = g_array_index (drawn, int64_t, a);
      const ChkOp *oi = &g_array_index (ops, ChkOp, i);
      for (guint b = 0; b < drawn->len; b++) {
        int64_t j = g_array_index (drawn, int64_t, b);
        const ChkOp *oj = &g_array_index (ops, ChkOp, j);
        if (i == j)
          continue;
        if (oi->f == CHK_F_WRITE && oj->f == CHK_F_READ && oi->key == oj->key
            && oj->status == CHK_OP_OK
            && same_value ((ChkValue[]) { chk_op_input (oi) }, (ChkValue[]) { chk_op_output (oj) }))
          viz_timeline_add_edge (t, index[i], index[j], VIZ_REL_READS_FROM, NULL);
      }
    }
    /* session order: consecutive witnesses of one process, in history order */
    for (guint a = 0; a < witnesses->len; a++) {
      int64_t i = g_array_index (witnesses, int64_t, a);
      for (guint b = a + 1; b < witnesses->len; b++) {
        int64_t j = g_array_index (witnesses, int64_t, b);
        const ChkOp *oi = &g_array_index (ops, ChkOp, i), *oj = &g_array_index (ops, ChkOp, j);
        if (oj->process != oi->process)
          continue;
        viz_timeline_add_edge (t, index[i], index[j], VIZ_REL_SESSION, NULL);
        break;
      }
    }
  }
  GString *caption = g_string_new (NULL);
  if (report->verdict == CHK_VERDICT_OK)
    g_string_append_printf (caption, "%s: holds.", report->model);
  else if (report->explanation != NULL)
    g_string_append (caption, report->explanation);
  if (n_hidden > 0)
    g_string_append_printf (caption, " (%u other operations are not drawn.)", n_hidden);
  viz_timeline_set_caption (t, caption->str);
  g_string_free (caption, TRUE);
  g_autofree char *dot = viz_timeline_dot (t);
  return viz_render_file (dot, format, path, 0, NULL, error);
}
