/* timeline.c: a history as a timeline, DOT text with pinned positions.
 *
 * Columns: every distinct finite invocation or completion time gets one
 * column, COL_DX apart, in time order; a bar spans from its invocation's
 * column to its completion's.  Lanes are LANE_DY apart, the first on top.
 * Linearization points are placed left to right in linearization order,
 * each inside its bar. */
#include "viz/timeline.h"

#include <string.h>

#include "viz/dotw.h"

#define COL_DX 58.0
#define LANE_DY 58.0
#define BAR_H 24.0
#define OPEN_DX 90.0   /* an open bar runs this far past the last column */
#define FONT_OP 9.5

#define C_PREFIX "#cdebd3"
#define C_PREFIX_PEN "#2a9d4a"
#define C_CULPRIT "#e0201b"
#define C_WITNESS "#ffd8a8"
#define C_WITNESS_PEN "#d9730d"
#define C_PLAIN "#ececec"
#define C_PLAIN_PEN "#9a9a9a"
#define C_CONC_PEN "#1f5fa8"
#define C_RF "#1f5fa8"
#define C_SO "#7a7a7a"
#define C_OTHER "#8e44ad"

static void
op_clear (gpointer p)
{
  g_free (((VizOp *) p)->label);
}

static void
edge_clear (gpointer p)
{
  g_free (((VizOpEdge *) p)->label);
}

VizTimeline *
viz_timeline_new (const char *title)
{
  VizTimeline *t = g_new0 (VizTimeline, 1);
  t->title = g_strdup (title);
  t->lanes = g_ptr_array_new_with_free_func (g_free);
  t->ops = g_array_new (FALSE, TRUE, sizeof (VizOp));
  g_array_set_clear_func (t->ops, op_clear);
  t->edges = g_array_new (FALSE, TRUE, sizeof (VizOpEdge));
  g_array_set_clear_func (t->edges, edge_clear);
  return t;
}

void
viz_timeline_free (VizTimeline *t)
{
  if (t == NULL)
    return;
  g_free (t->title);
  g_free (t->caption);
  g_ptr_array_unref (t->lanes);
  g_array_unref (t->ops);
  g_array_unref (t->edges);
  g_free (t);
}

int
viz_timeline_add_lane (VizTimeline *t, const char *name)
{
  g_ptr_array_add (t->lanes, g_strdup (name));
  return (int) t->lanes->len - 1;
}

int
viz_timeline_add_op (VizTimeline *t, int lane, const char *label, int64_t start,
                     int64_t end, VizOpStatus status)
{
  g_assert (lane >= 0 && lane < (int) t->lanes->len);
  g_assert (end >= start);
  VizOp op = {
    .lane = lane,
    .label = g_strdup (label),
    .start = start,
    .end = end,
    .status = status,
  };
  g_array_append_val (t->ops, op);
  return (int) t->ops->len - 1;
}

void
viz_timeline_add_edge (VizTimeline *t, int from, int to, VizRelation rel, const char *label)
{
  g_assert (from >= 0 && from < (int) t->ops->len && to >= 0 && to < (int) t->ops->len);
  VizOpEdge e = {
    .from = from,
    .to = to,
    .rel = rel,
    .label = g_strdup (label ? label : rel == VIZ_REL_READS_FROM ? "rf"
                                     : rel == VIZ_REL_SESSION ? "so" : "rel"),
  };
  g_array_append_val (t->edges, e);
}

void
viz_timeline_set_caption (VizTimeline *t, const char *caption)
{
  g_free (t->caption);
  t->caption = g_strdup (caption);
}

static int
cmp_int64 (gconstpointer a, gconstpointer b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

/* Column of time v among the sorted distinct times. */
static double
column_x (const GArray *times, int64_t v)
{
  guint lo = 0, hi = times->len;
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (g_array_index (times, int64_t, mid) < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo * COL_DX;
}

/* Wraps text at about width characters, on spaces. */
static char *
wrap (const char *text, guint width)
{
  GString *out = g_string_new (NULL);
  guint col = 0;
  g_auto (GStrv) words = g_strsplit (text, " ", -1);
  for (char **w = words; *w; w++) {
    guint n = (guint) g_utf8_strlen (*w, -1);
    if (col > 0 && col + 1 + n > width) {
      g_string_append_c (out, '\n');
      col = 0;
    } else if (col > 0) {
      g_string_append_c (out, ' ');
      col++;
    }
    g_string_append (out, *w);
    col += n;
  }
  return g_string_free (out, FALSE);
}

typedef struct {
  double x0, x1, y;
} Bar;

static void
legend_item (GString *o, guint k, double *x, double y, const char *fill, const char *pen,
             gboolean dashed, const char *edge_color, const char *text)
{
  char id[32];
  g_snprintf (id, sizeof id, "lg%u", k);
  if (edge_color != NULL) {
    g_autofree char *a = g_strdup_printf ("%s_a", id);
    g_autofree char *b = g_strdup_printf ("%s_b", id);
    viz_dot_anchor (o, a, *x, y);
    viz_dot_anchor (o, b, *x + 34, y);
    g_string_append_printf (o, "  %s -> %s [color=\"%s\"%s];\n", a, b, edge_color,
                            dashed ? ", style=dashed" : "");
  } else {
    viz_dot_box (o, id, *x, *x + 34, y - 8, y + 8, fill, pen, dashed);
  }
  g_snprintf (id, sizeof id, "lg%u_t", k);
  double w = viz_text_width (text, 9);
  viz_dot_text (o, id, *x + 42 + w / 2, y, text, 9, "#303030", FALSE, FALSE);
  *x += 42 + w + 22;
}

char *
viz_timeline_dot (const VizTimeline *t)
{
  guint n = t->ops->len, n_lanes = t->lanes->len;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (int64_t));
  for (guint i = 0; i < n; i++) {
    const VizOp *op = viz_timeline_op (t, i);
    g_array_append_val (times, op->start);
    if (op->end != VIZ_OP_OPEN)
      g_array_append_val (times, op->end);
  }
  g_array_sort (times, cmp_int64);
  guint k = 0;
  for (guint i = 0; i < times->len; i++)
    if (k == 0 || g_array_index (times, int64_t, i) != g_array_index (times, int64_t, k - 1))
      g_array_index (times, int64_t, k++) = g_array_index (times, int64_t, i);
  g_array_set_size (times, k);
  double x_last = k > 0 ? (k - 1) * COL_DX : 0;
  double x_open = x_last + OPEN_DX;
  double x_right = MAX (x_open + 20, 420);
  double y_top = n_lanes > 0 ? (n_lanes - 1) * LANE_DY : 0;

  GString *o = g_string_sized_new (4096 + 400 * (gsize) n);
  g_string_append (o,
    "/* dsim history timeline.  Every position is pinned (pos=\"x,y!\", in\n"
    " * points): draw it with Graphviz's nop2 layout, e.g.\n"
    " * neato -n2 -Tsvg this.dot -o this.svg  */\n"
    "digraph history {\n"
    "  graph [splines=line, outputorder=nodesfirst, bgcolor=white, pad=0.3,\n"
    "         fontname=\"Helvetica\"];\n"
    "  node [shape=box, label=\"\", fontname=\"Helvetica\", fontsize=10, penwidth=1.2];\n"
    "  edge [arrowsize=0.7, penwidth=1.4];\n");
  g_autofree char *title = g_strdup_printf ("%s: history timeline", t->title ? t->title : "history");
  viz_dot_text_left (o, "title", -110, y_top + 62, title, 14, "#222222", TRUE);

  /* lanes */
  for (guint l = 0; l < n_lanes; l++) {
    double y = y_top - l * LANE_DY;
    const char *name = g_ptr_array_index (t->lanes, l);
    char id[32];
    g_snprintf (id, sizeof id, "lane%u", l);
    double w = viz_text_width (name, 11);
    viz_dot_text (o, id, -32 - w / 2, y, name, 11, "#4d4d4d", TRUE, FALSE);
    /* a thin box, not an edge: edges are drawn over the bars */
    g_snprintf (id, sizeof id, "lane%u_line", l);
    viz_dot_box (o, id, -24, x_right, y - 0.6, y + 0.6, "#c8c8c8", "none", FALSE);
  }

  /* bars */
  g_autofree Bar *bars = g_new0 (Bar, n + 1);
  guint legend = 0;
  enum { L_PREFIX = 1, L_CULPRIT = 2, L_CONC = 4, L_WITNESS = 8, L_INFO = 16, L_FAIL = 32,
         L_RF = 64, L_SO = 128, L_OTHER = 256 };
  for (guint i = 0; i < n; i++) {
    const VizOp *op = viz_timeline_op (t, i);
    Bar *b = &bars[i];
    b->x0 = column_x (times, op->start) - 6;
    b->x1 = op->end == VIZ_OP_OPEN ? x_open : column_x (times, op->end) + 6;
    b->y = y_top - op->lane * LANE_DY;
    const char *fill = C_PLAIN, *pen = C_PLAIN_PEN, *font = "#222222";
    double penwidth = 1.2;
    switch (op->mark) {
    case VIZ_MARK_PREFIX:
      fill = C_PREFIX, pen = C_PREFIX_PEN, legend |= L_PREFIX;
      break;
    case VIZ_MARK_CULPRIT:
      fill = C_CULPRIT, pen = "#8f0d0a", font = "white", penwidth = 2, legend |= L_CULPRIT;
      break;
    case VIZ_MARK_CONCURRENT:
      pen = C_CONC_PEN, penwidth = 2, legend |= L_CONC;
      break;
    case VIZ_MARK_WITNESS:
      fill = C_WITNESS, pen = C_WITNESS_PEN, penwidth = 1.6, legend |= L_WITNESS;
      break;
    case VIZ_MARK_NONE:
      break;
    }
    g_autofree char *label = NULL;
    if (op->status == VIZ_OP_FAIL) {
      label = g_strdup_printf ("%s (fail)", op->label ? op->label : "");
      legend |= L_FAIL;
    } else if (op->status == VIZ_OP_INFO) {
      label = g_strdup_printf ("%s ?", op->label ? op->label : "");
      legend |= L_INFO;
    } else {
      label = g_strdup (op->label ? op->label : "");
    }
    g_autofree char *shown = viz_text_shorten (label, 40);
    gboolean inside = viz_text_width (shown, FONT_OP) + 8 <= b->x1 - b->x0;
    g_string_append_printf (o, "  op%u [fixedsize=true, style=\"filled%s\"", i,
                            op->status == VIZ_OP_OK ? "" : ",dashed");
    if (op->status == VIZ_OP_INFO)
      g_string_append_printf (o, ", fillcolor=\"%s:white\", gradientangle=0", fill);
    else
      viz_dot_attr (o, "fillcolor", op->status == VIZ_OP_FAIL ? "white" : fill);
    viz_dot_attr (o, "color", pen);
    g_string_append (o, ", penwidth=");
    viz_dot_num (o, penwidth);
    if (inside) {
      g_string_append (o, ", label=");
      viz_dot_quote (o, shown);
      g_string_append (o, ", fontsize=");
      viz_dot_num (o, FONT_OP);
      viz_dot_attr (o, "fontcolor", font);
    }
    g_string_append (o, ", ");
    viz_dot_size (o, b->x1 - b->x0, BAR_H);
    g_string_append (o, ", ");
    viz_dot_pos (o, (b->x0 + b->x1) / 2, b->y);
    g_string_append (o, "];\n");
    if (!inside) {
      char id[32];
      g_snprintf (id, sizeof id, "op%u_t", i);
      double w = viz_text_width (shown, FONT_OP);
      viz_dot_text (o, id, b->x0 + w / 2, b->y - BAR_H / 2 - 8, shown, FONT_OP,
                    op->mark == VIZ_MARK_CULPRIT ? C_CULPRIT : "#222222",
                    op->mark == VIZ_MARK_CULPRIT, FALSE);
    }
  }

  /* linearization points, in order */
  g_autoptr (GArray) ordered = g_array_new (FALSE, FALSE, sizeof (guint));
  for (int want = 1;; want++) {
    gboolean found = FALSE;
    for (guint i = 0; i < n && !found; i++)
      if (viz_timeline_op (t, i)->order == want) {
        g_array_append_val (ordered, i);
        found = TRUE;
      }
    if (!found)
      break;
  }
  double prev = -G_MAXDOUBLE;
  for (guint j = 0; j < ordered->len; j++) {
    guint i = g_array_index (ordered, guint, j);
    const Bar *b = &bars[i];
    double x = MAX (b->x0 + 8, prev + 14);
    x = MIN (x, b->x1 - 8);
    prev = x;
    g_string_append_printf (o, "  lp%u [shape=circle, style=filled, color=\"#1b5e20\", "
                            "width=0.09, height=0.09, fixedsize=true, ", i);
    viz_dot_pos (o, x, b->y + BAR_H / 2);
    g_string_append (o, "];\n");
    char id[32], num[16];
    g_snprintf (id, sizeof id, "lp%u_t", i);
    g_snprintf (num, sizeof num, "%d", viz_timeline_op (t, i)->order);
    viz_dot_text (o, id, x, b->y + BAR_H / 2 + 10, num, 8.5, "#1b5e20", TRUE, FALSE);
  }

  /* relation edges */
  for (guint i = 0; i < t->edges->len; i++) {
    const VizOpEdge *e = &g_array_index (t->edges, VizOpEdge, i);
    const char *color = e->rel == VIZ_REL_READS_FROM ? C_RF
                        : e->rel == VIZ_REL_SESSION ? C_SO : C_OTHER;
    legend |= e->rel == VIZ_REL_READS_FROM ? L_RF : e->rel == VIZ_REL_SESSION ? L_SO : L_OTHER;
    const Bar *a = &bars[e->from], *b = &bars[e->to];
    double xa, xb, ya = a->y, yb = b->y;
    if (ya == yb) {
      /* one process: through the gap between the two bars */
      gboolean forward = a->x1 <= b->x0;
      xa = forward ? a->x1 : a->x0;
      xb = forward ? b->x0 : b->x1;
    } else {
      /* from the edge of one bar to the edge of the other */
      xa = MIN ((a->x0 + a->x1) / 2, a->x0 + 40);
      xb = MIN ((b->x0 + b->x1) / 2, b->x0 + 40);
      ya += ya > yb ? -BAR_H / 2 : BAR_H / 2;
      yb += yb > a->y ? -BAR_H / 2 : BAR_H / 2;
    }
    char ida[32], idb[32];
    g_snprintf (ida, sizeof ida, "rel%u_a", i);
    g_snprintf (idb, sizeof idb, "rel%u_b", i);
    viz_dot_anchor (o, ida, xa, ya);
    viz_dot_anchor (o, idb, xb, yb);
    g_string_append_printf (o, "  %s -> %s [color=\"%s\", penwidth=1.8%s];\n", ida, idb,
                            color, e->rel == VIZ_REL_SESSION ? ", style=dashed" : "");
    char idt[32];
    g_snprintf (idt, sizeof idt, "rel%u_t", i);
    /* beside the line, not on it: above a level one, right of a slanted one,
     * nearer the source so that crossing edges keep their labels apart */
    double f = ya == yb ? 0.5 : 0.3;
    double mx = xa + f * (xb - xa) + (ya == yb ? 0 : 12), my = ya + f * (yb - ya) + (ya == yb ? 10 : 0);
    viz_dot_text (o, idt, mx, my, e->label, 9, color, TRUE, FALSE);
  }

  /* caption and legend */
  double y = -LANE_DY * 0.9;
  g_string_append_printf (o, "  axis_a [style=invis, width=0.01, height=0.01, ");
  viz_dot_pos (o, -24, -LANE_DY / 2);
  g_string_append (o, "];\n  axis_b [style=invis, width=0.01, height=0.01, ");
  viz_dot_pos (o, x_right, -LANE_DY / 2);
  g_string_append (o, "];\n  axis_a -> axis_b [color=\"#909090\", penwidth=1];\n");
  viz_dot_text (o, "axis_t", x_right - 60, -LANE_DY / 2 - 11, "real time (invocation to completion)",
                8.5, "#707070", FALSE, FALSE);
  double x = -110;
  viz_dot_text (o, "legend", x + 22, y, "legend:", 9, "#404040", TRUE, FALSE);
  x += 52;
  static const struct {
    guint flag;
    const char *fill, *pen;
    gboolean dashed;
    const char *edge;
    const char *text;
  } items[] = {
    { L_PREFIX, C_PREFIX, C_PREFIX_PEN, FALSE, NULL, "linearizable prefix (dots: linearization order)" },
    { L_CULPRIT, C_CULPRIT, "#8f0d0a", FALSE, NULL, "cannot be linearized" },
    { L_CONC, C_PLAIN, C_CONC_PEN, FALSE, NULL, "concurrent with it" },
    { L_WITNESS, C_WITNESS, C_WITNESS_PEN, FALSE, NULL, "in the bad pattern" },
    { L_INFO, C_PLAIN, C_PLAIN_PEN, TRUE, NULL, "info: may take effect any time later, or never" },
    { L_FAIL, "white", C_PLAIN_PEN, TRUE, NULL, "failed: did not happen" },
    { L_RF, NULL, NULL, FALSE, C_RF, "reads from" },
    { L_SO, NULL, NULL, TRUE, C_SO, "session order" },
    { L_OTHER, NULL, NULL, FALSE, C_OTHER, "other relation" },
  };
  double x_max = MAX (x_right, 700);
  for (guint i = 0; i < G_N_ELEMENTS (items); i++) {
    if (!(legend & items[i].flag))
      continue;
    double w = 42 + viz_text_width (items[i].text, 9) + 22;
    if (x + w > x_max && x > -58) {
      x = -58;
      y -= 22;
    }
    legend_item (o, items[i].flag, &x, y, items[i].fill, items[i].pen, items[i].dashed,
                 items[i].edge, items[i].text);
  }
  if (t->caption != NULL) {
    g_autofree char *wrapped = wrap (t->caption, (guint) MAX (60, (x_max + 110) / 5.6));
    guint lines = 1;
    for (const char *c = wrapped; *c; c++)
      lines += *c == '\n';
    viz_dot_text_left (o, "caption", -110, y - 22 - lines * 7.0, wrapped, 10.5, "#8f0d0a", FALSE);
  }
  g_string_append (o, "}\n");
  return g_string_free (o, FALSE);
}
