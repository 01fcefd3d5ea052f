/* spacetime.c: the space-time diagram as DOT text with pinned positions.
 *
 * Coordinates are in points, y growing upwards (Graphviz's convention).
 * Lanes are LANE_GAP apart, the top lane first; the time axis runs under the
 * lowest lane and the legend under the axis.  Everything is written in model
 * order, so the text is a function of the model and the options only. */
#include "viz/spacetime.h"

#include <math.h>
#include <string.h>

#include "viz/dotw.h"
#include "viz/select.h"

#define LANE_GAP 80.0  /* between two lanes */
#define MSG_DX 150.0   /* a typical message delay, virtual axis */
#define BREAK_AT 600.0 /* a stretch longer than this is cut short ... */
#define IDLE_AT 110.0  /* the same with no message in flight */
#define BREAK_W 70.0   /* ... to this */
#define LAMPORT_DX 46.0 /* one Lamport tick, logical axis */
#define LAMPORT_GAP 3  /* a longer jump in Lamport time is cut short */
#define EDGE_DX 50.0   /* arrows leaving the window end this far outside */
#define LABEL_MAX 34   /* characters of a message label */
#define FONT_MSG 9.0
#define FONT_EV 8.5

/* The red cross where a message is lost (fontcolor added by the caller). */
#define CROSS_ATTRS "shape=plaintext, label=\"\u00d7\", fontsize=20, " \
  "fontname=\"Helvetica-Bold\", width=0.3, height=0.3, fixedsize=true"

#define C_MSG "#1f5fa8"
#define C_CLIENT "#2a9d4a"
#define C_DROP "#d62728"
#define C_DUP "#8e44ad"
#define C_TIMEOUT "#f28e2b"
#define C_RESTART "#2a9d4a"
#define C_PAUSE "#7f7f7f"
#define C_ROLE "#1f4e9c"
#define C_NOTE "#6b6b6b"
#define C_HIGHLIGHT "#e0201b"
#define C_LANE "#4d4d4d"

G_DEFINE_QUARK (viz-error-quark, viz_error)

enum {
  LG_MSG = 1 << 0,
  LG_CLIENT = 1 << 1,
  LG_DROP = 1 << 2,
  LG_DUP = 1 << 3,
  LG_EDGE = 1 << 4,
  LG_TIMEOUT = 1 << 5,
  LG_CRASH = 1 << 6,
  LG_PAUSE = 1 << 7,
  LG_PARTITION = 1 << 8,
  LG_ROLE = 1 << 9,
  LG_HIGHLIGHT = 1 << 10,
};

typedef struct {
  double x;   /* middle of the cut stretch on the axis */
  int64_t dt; /* how long it was */
} Break;

typedef struct {
  double x;       /* where this stretch starts */
  int64_t t;      /* its first time */
  int64_t t_end;  /* its last time */
} Segment;

typedef struct {
  const VizModel *m;
  const VizSpacetimeOptions *opt;
  GString *out;
  VizPlacer *placer;
  VizSelection sel;     /* lanes and events drawn */
  double *x;            /* x of a drawn event */
  double x_lo, x_hi;
  double scale;         /* points per microsecond (virtual axis) */
  int64_t lmin;         /* Lamport time at x = 0 (logical axis) */
  GArray *breaks;       /* Break */
  GArray *segments;     /* Segment */
  guint n_labels_hidden;
  guint n_msgs_hidden;  /* to or from a hidden process */
  guint legend;         /* LG_* marks that appear */
} Draw;

static double
lane_y (const Draw *d, int lane)
{
  return (double) (d->sel.n_lanes - 1 - (guint) lane) * LANE_GAP;
}

static double
y_top (const Draw *d)
{
  return d->sel.n_lanes > 0 ? lane_y (d, 0) : 0;
}

static int
cmp_int64 (gconstpointer a, gconstpointer b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

/* The delay most messages take, in the drawn part: the scale of the virtual
 * axis gives it MSG_DX points. */
static int64_t
typical_delay (const Draw *d)
{
  const VizModel *m = d->m;
  g_autoptr (GArray) delays = g_array_new (FALSE, FALSE, sizeof (int64_t));
  for (guint i = 0; i < viz_model_n_messages (m); i++) {
    const VizMessage *msg = viz_model_message (m, i);
    int end = msg->recv >= 0 ? msg->recv : msg->drop;
    if (end < 0 || !d->sel.drawn[msg->send] || !d->sel.drawn[end])
      continue;
    int64_t dt = viz_model_event (m, (guint) end)->time_us
                 - viz_model_event (m, (guint) msg->send)->time_us;
    if (dt > 0)
      g_array_append_val (delays, dt);
  }
  if (delays->len == 0) {
    int64_t prev = G_MININT64;
    for (guint i = d->sel.first; i < d->sel.stop; i++) {
      if (!d->sel.drawn[i])
        continue;
      int64_t t = viz_model_event (m, i)->time_us;
      if (prev != G_MININT64 && t > prev) {
        int64_t dt = t - prev;
        g_array_append_val (delays, dt);
      }
      prev = t;
    }
  }
  if (delays->len == 0)
    return 1000;
  g_array_sort (delays, cmp_int64);
  return g_array_index (delays, int64_t, delays->len / 2);
}

/* For each drawn event i, whether some drawn message is in flight from the
 * previous drawn time to i's time: such a stretch keeps its proportions,
 * an idle one can be cut short. */
static gboolean *
busy_stretches (const Draw *d)
{
  const VizModel *m = d->m;
  guint ne = viz_model_n_events (m);
  /* rank of each drawn event among the distinct drawn times */
  g_autofree int *rank = g_new (int, ne + 1);
  int r = -1;
  int64_t prev = G_MININT64;
  for (guint i = d->sel.first; i < d->sel.stop; i++) {
    if (!d->sel.drawn[i])
      continue;
    int64_t t = viz_model_event (m, i)->time_us;
    if (t != prev)
      r++;
    prev = t;
    rank[i] = r;
  }
  /* depth[k] > 0: a message is in flight between time rank k-1 and k */
  g_autofree int *depth = g_new0 (int, (gsize) r + 3);
  for (guint k = 0; k < viz_model_n_messages (m); k++) {
    const VizMessage *msg = viz_model_message (m, k);
    int end = msg->recv >= 0 ? msg->recv : msg->drop;
    if (end < 0 || !d->sel.drawn[msg->send] || !d->sel.drawn[end])
      continue;
    if (rank[end] > rank[msg->send]) {
      depth[rank[msg->send] + 1]++;
      depth[rank[end] + 1]--;
    }
  }
  gboolean *busy = g_new0 (gboolean, ne + 1);
  int run = 0, at = -1;
  for (guint i = d->sel.first; i < d->sel.stop; i++) {
    if (!d->sel.drawn[i])
      continue;
    while (at < rank[i])
      run += depth[++at];
    busy[i] = run > 0;
  }
  return busy;
}

static void
place_virtual (Draw *d)
{
  const VizModel *m = d->m;
  d->scale = MSG_DX / (double) typical_delay (d);
  g_autofree gboolean *busy = busy_stretches (d);
  double x = 0;
  int64_t prev = G_MININT64;
  for (guint i = d->sel.first; i < d->sel.stop; i++) {
    if (!d->sel.drawn[i])
      continue;
    int64_t t = viz_model_event (m, i)->time_us;
    if (prev == G_MININT64) {
      Segment s = { x, t, t };
      g_array_append_val (d->segments, s);
    } else if (t > prev) {
      double dx = (double) (t - prev) * d->scale;
      if (dx > (busy[i] ? BREAK_AT : IDLE_AT)) {
        Break b = { x + BREAK_W / 2, t - prev };
        g_array_append_val (d->breaks, b);
        x += BREAK_W;
        Segment s = { x, t, t };
        g_array_append_val (d->segments, s);
      } else {
        x += dx;
      }
    }
    prev = MAX (prev, t);
    d->x[i] = x;
    g_array_index (d->segments, Segment, d->segments->len - 1).t_end = prev;
  }
}

/* Lamport time: each distinct Lamport value of the drawn events gets its
 * column, LAMPORT_DX per tick; a jump of more than LAMPORT_GAP ticks with
 * nothing drawn in between (a window starts, a quiet client) is cut short
 * like an idle stretch of virtual time.  The segments' "times" are then
 * Lamport values, and scale is points per tick. */
static void
place_logical (Draw *d)
{
  const VizModel *m = d->m;
  g_autoptr (GArray) ls = g_array_new (FALSE, FALSE, sizeof (int64_t));
  for (guint i = d->sel.first; i < d->sel.stop; i++)
    if (d->sel.drawn[i] && viz_model_event (m, i)->process >= 0)
      g_array_append_val (ls, viz_model_event (m, i)->lamport);
  g_array_sort (ls, cmp_int64);
  g_autoptr (GArray) xs = g_array_new (FALSE, FALSE, sizeof (double));
  guint n = 0;
  double x = 0;
  d->scale = LAMPORT_DX;
  for (guint k = 0; k < ls->len; k++) {
    int64_t l = g_array_index (ls, int64_t, k);
    if (n > 0 && l == g_array_index (ls, int64_t, n - 1))
      continue;
    if (n == 0) {
      Segment seg = { x, l, l };
      g_array_append_val (d->segments, seg);
    } else {
      int64_t dl = l - g_array_index (ls, int64_t, n - 1);
      if (dl > LAMPORT_GAP) {
        Break b = { x + BREAK_W / 2, dl };
        g_array_append_val (d->breaks, b);
        x += BREAK_W;
        Segment seg = { x, l, l };
        g_array_append_val (d->segments, seg);
      } else {
        x += (double) dl * LAMPORT_DX;
      }
    }
    g_array_index (d->segments, Segment, d->segments->len - 1).t_end = l;
    g_array_index (ls, int64_t, n++) = l;
    g_array_append_val (xs, x);
  }
  g_array_set_size (ls, n);
  d->lmin = n > 0 ? g_array_index (ls, int64_t, 0) : 0;
  for (guint i = d->sel.first; i < d->sel.stop; i++) {
    if (!d->sel.drawn[i] || n == 0)
      continue;
    const VizEvent *e = viz_model_event (m, i);
    /* the last column at or before e's Lamport time */
    guint lo = 0, hi = n;
    while (hi - lo > 1) {
      guint mid = (lo + hi) / 2;
      if (g_array_index (ls, int64_t, mid) <= e->lamport)
        lo = mid;
      else
        hi = mid;
    }
    d->x[i] = g_array_index (xs, double, lo);
    if (e->process < 0) /* a partition or heal: between two columns */
      d->x[i] += LAMPORT_DX / 2;
  }
}

static void
compute_extent (Draw *d)
{
  gboolean any = FALSE;
  d->x_lo = d->x_hi = 0;
  for (guint i = d->sel.first; i < d->sel.stop; i++) {
    if (!d->sel.drawn[i])
      continue;
    if (!any || d->x[i] < d->x_lo)
      d->x_lo = d->x[i];
    if (!any || d->x[i] > d->x_hi)
      d->x_hi = d->x[i];
    any = TRUE;
  }
  if (d->x_hi - d->x_lo < 360)
    d->x_hi = d->x_lo + 360;
}

/* ---- writing ---- */

/* Tries a few spots for a label near (x, y): above, below, then shifted. */
static gboolean
place_near (Draw *d, const char *id, double x, double y, const char *text,
            double fontsize, const char *color, gboolean bold, gboolean force)
{
  double w = viz_text_width (text, fontsize) + 4, h = fontsize + 3;
  static const double dy[] = { 11, -11, 22, -22 };
  static const double dx[] = { 0, 0.5, -0.5 };
  for (guint j = 0; j < G_N_ELEMENTS (dx); j++)
    for (guint i = 0; i < G_N_ELEMENTS (dy); i++) {
      double cx = x + dx[j] * w, cy = y + dy[i];
      if (viz_placer_take (d->placer, cx, cy, w, h)) {
        viz_dot_text (d->out, id, cx, cy, text, fontsize, color, bold, TRUE);
        return TRUE;
      }
    }
  if (force) {
    viz_placer_occupy (d->placer, x, y + dy[0], w, h);
    viz_dot_text (d->out, id, x, y + dy[0], text, fontsize, color, bold, TRUE);
    return TRUE;
  }
  d->n_labels_hidden++;
  return FALSE;
}

static void
write_header (Draw *d)
{
  const char *axis = d->opt->axis == VIZ_TIME_LOGICAL ? "Lamport time" : "virtual time";
  g_string_append_printf (d->out,
    "/* dsim space-time diagram (%s).  Every position is pinned\n"
    " * (pos=\"x,y!\", in points): draw it with Graphviz's nop2 layout,\n"
    " * e.g.  neato -n2 -Tsvg this.dot -o this.svg  */\n"
    "digraph dsim {\n"
    "  graph [splines=line, outputorder=edgesfirst, bgcolor=white, pad=0.3,\n"
    "         fontname=\"Helvetica\"];\n"
    "  node [shape=point, width=0.08, height=0.08, label=\"\", fontname=\"Helvetica\",\n"
    "        fontsize=10, color=\"" C_LANE "\"];\n"
    "  edge [arrowsize=0.7, penwidth=1.3];\n",
    axis);
}

static void
write_title (Draw *d)
{
  const VizModel *m = d->m;
  GString *t = g_string_new (m->title ? m->title : "run");
  g_string_append_printf (t, ": space-time diagram, by %s",
                          d->opt->axis == VIZ_TIME_LOGICAL ? "Lamport time"
                                                           : "virtual time");
  GString *notes = g_string_new (NULL);
  if (d->opt->from_us != G_MININT64 || d->opt->to_us != G_MAXINT64) {
    g_autofree char *a = d->opt->from_us == G_MININT64 ? g_strdup ("the start")
                                                       : viz_format_us (d->opt->from_us);
    g_autofree char *b = d->opt->to_us == G_MAXINT64 ? g_strdup ("the end")
                                                     : viz_format_us (d->opt->to_us);
    g_string_append_printf (notes, "window: from %s to %s\n", a, b);
  }
  if (d->opt->nodes != NULL)
    g_string_append_printf (notes, "showing %u of %u processes\n", d->sel.n_lanes,
                            viz_model_n_processes (m));
  if (d->sel.n_cut > 0) {
    g_autofree char *c = viz_format_us (d->sel.cut_from_us);
    g_string_append_printf (notes,
                            "cut: showing the first %u of %u events; the %u from %s on "
                            "are not drawn (--max-events)\n",
                            d->sel.n_drawn, d->sel.n_in_window, d->sel.n_cut, c);
  }
  if (d->sel.n_drawn == 0)
    g_string_append (notes, "no events in this window\n");
  if (d->n_msgs_hidden > 0)
    g_string_append_printf (notes, "%u message%s to or from hidden processes not drawn\n",
                            d->n_msgs_hidden, d->n_msgs_hidden == 1 ? "" : "s");
  if (d->n_labels_hidden > 0)
    g_string_append_printf (notes,
                            "%u labels left out for lack of room (try --time logical, "
                            "a window, or fewer nodes)\n",
                            d->n_labels_hidden);
  double x = d->x_lo - 130;
  double y = y_top (d) + 70;
  if (notes->len > 0) {
    g_string_truncate (notes, notes->len - 1);
    guint lines = 1;
    for (const char *c = notes->str; *c; c++)
      lines += *c == '\n';
    viz_dot_text_left (d->out, "notes", x, y + lines * 6.0, notes->str, 9.5, "#8a3b00", FALSE);
    y += lines * 12.0 + 8;
  }
  viz_dot_text_left (d->out, "title", x, y + 10, t->str, 14, "#222222", TRUE);
  g_string_free (t, TRUE);
  g_string_free (notes, TRUE);
}

/* x of the edge where an arrow leaves the window. */
static double
left_edge (const Draw *d)
{
  return d->x_lo - EDGE_DX;
}

static double
right_edge (const Draw *d)
{
  return d->x_hi + EDGE_DX;
}

/* Where an event's x lies for spans: drawn, before the window, after it. */
static double
span_x (const Draw *d, guint i)
{
  if (i < d->sel.first)
    return left_edge (d);
  if (i >= d->sel.stop)
    return right_edge (d);
  return d->x[i];
}

/* First drawn event of lane process p with index in [from, to), or -1. */
static int
first_on_lane (const Draw *d, int p, guint from, guint to)
{
  for (guint k = from; k < to && k < d->sel.stop; k++)
    if (d->sel.drawn[k] && viz_model_event (d->m, k)->process == p)
      return (int) k;
  return -1;
}

/* Per-lane shading of partition event i (healed or replaced at j) on the
 * logical axis; returns the y of the highest lane shaded (-1: none) and sets
 * *xa to where that lane's shading starts. */
static double
logical_partition_lanes (Draw *d, guint i, guint j, double *xa)
{
  const VizModel *m = d->m;
  guint ne = viz_model_n_events (m);
  double top = -1;
  for (guint p = 0; p < viz_model_n_processes (m); p++) {
    if (d->sel.lane_of[p] < 0)
      continue;
    int a = first_on_lane (d, (int) p, i + 1, j);
    if (a < 0)
      continue;
    int b = j < ne ? first_on_lane (d, (int) p, j + 1, ne) : -1;
    double x0 = d->x[a] - LAMPORT_DX / 2;
    double x1 = b >= 0 ? d->x[b] - LAMPORT_DX / 2 : right_edge (d);
    if (b < 0 && j < ne && j < d->sel.stop) {
      /* healed, but nothing happens here afterwards: end after its last event */
      int last = a;
      for (int k = first_on_lane (d, (int) p, (guint) a + 1, j); k >= 0;
           k = first_on_lane (d, (int) p, (guint) k + 1, j))
        last = k;
      x1 = d->x[last] + LAMPORT_DX / 2;
    }
    double y = lane_y (d, d->sel.lane_of[p]);
    char id[48];
    g_snprintf (id, sizeof id, "part%u_%u", i, p);
    viz_dot_box (d->out, id, x0, x1, y - 14, y + 14, "#ffd40030", "#d9a400", TRUE);
    if (y > top) {
      top = y;
      *xa = x0;
    }
  }
  return top;
}

static void
write_partitions (Draw *d)
{
  const VizModel *m = d->m;
  double y0 = -LANE_GAP / 3;
  guint ne = viz_model_n_events (m);
  for (guint i = 0; i < ne && i < d->sel.stop; i++) {
    const VizEvent *e = viz_model_event (m, i);
    double y1 = y_top (d) + LANE_GAP / 3;
    if (e->kind != VIZ_EV_PARTITION)
      continue;
    guint j = i + 1;
    while (j < ne && viz_model_event (m, j)->kind != VIZ_EV_PARTITION
           && viz_model_event (m, j)->kind != VIZ_EV_HEAL)
      j++;
    double xa = span_x (d, i), xb = j < ne ? span_x (d, j) : right_edge (d);
    if (j < d->sel.first || xb <= xa)
      continue; /* over before the window starts */
    char id[32];
    if (d->opt->axis == VIZ_TIME_LOGICAL) {
      /* Lamport time has no instant "now" across lanes: shade each lane from
       * its first event after the partition to its first after the heal. */
      double top = logical_partition_lanes (d, i, j, &xa);
      if (top < 0)
        continue;
      y1 = top + 14;
    } else {
      g_snprintf (id, sizeof id, "part%u", i);
      viz_dot_box (d->out, id, xa, xb, y0, y1, "#ffd40030", "#d9a400", TRUE);
    }
    g_autofree char *groups = viz_text_shorten (e->label ? e->label : "", 60);
    g_autofree char *text = g_strdup_printf ("partition %s", groups);
    double w = viz_text_width (text, 9) + 6;
    g_snprintf (id, sizeof id, "part%u_t", i);
    viz_dot_text (d->out, id, xa + w / 2, y1 + 8, text, 9, "#8a6d00", TRUE, FALSE);
    viz_placer_occupy (d->placer, xa + w / 2, y1 + 8, w, 12);
    if (j < ne && viz_model_event (m, j)->kind == VIZ_EV_HEAL && j < d->sel.stop
        && d->opt->axis == VIZ_TIME_VIRTUAL) {
      g_snprintf (id, sizeof id, "part%u_h", i);
      viz_dot_text (d->out, id, xb, y0 - 8, "heal", 9, "#8a6d00", TRUE, FALSE);
      viz_placer_occupy (d->placer, xb, y0 - 8, 30, 12);
    }
    d->legend |= LG_PARTITION;
  }
}

static void
close_span (Draw *d, guint p, gboolean is_crash, int start, double xb)
{
  double xa = span_x (d, (guint) start);
  if (xb <= xa)
    return; /* over before the window starts */
  double y = lane_y (d, d->sel.lane_of[p]);
  char id[32];
  g_snprintf (id, sizeof id, "span%d", start);
  viz_dot_box (d->out, id, xa, xb, y - 8, y + 8, is_crash ? "#d6272838" : "#7f7f7f38",
            "none", FALSE);
  d->legend |= is_crash ? LG_CRASH : LG_PAUSE;
  if (xb - xa > 60) {
    g_snprintf (id, sizeof id, "span%d_t", start);
    viz_dot_text (d->out, id, (xa + xb) / 2, y - 15, is_crash ? "crashed" : "paused", 8,
               is_crash ? "#a01010" : "#505050", FALSE, FALSE);
    viz_placer_occupy (d->placer, (xa + xb) / 2, y - 15, 40, 10);
  }
}

/* Shaded spans on each lane: crashed (crash .. restart), paused
 * (pause .. resume, or a crash). */
static void
write_spans (Draw *d)
{
  const VizModel *m = d->m;
  for (guint p = 0; p < viz_model_n_processes (m); p++) {
    if (d->sel.lane_of[p] < 0)
      continue;
    int crashed = -1, paused = -1;
    for (guint i = 0; i < d->sel.stop; i++) {
      const VizEvent *e = viz_model_event (m, i);
      if (e->process != (int) p)
        continue;
      switch (e->kind) {
      case VIZ_EV_CRASH:
        if (paused >= 0)
          close_span (d, p, FALSE, paused, span_x (d, i));
        paused = -1;
        if (crashed < 0)
          crashed = (int) i;
        break;
      case VIZ_EV_RESTART:
        if (crashed >= 0)
          close_span (d, p, TRUE, crashed, span_x (d, i));
        crashed = -1;
        break;
      case VIZ_EV_PAUSE:
        if (paused < 0)
          paused = (int) i;
        break;
      case VIZ_EV_RESUME:
        if (paused >= 0)
          close_span (d, p, FALSE, paused, span_x (d, i));
        paused = -1;
        break;
      default:
        break;
      }
    }
    if (crashed >= 0)
      close_span (d, p, TRUE, crashed, right_edge (d));
    if (paused >= 0)
      close_span (d, p, FALSE, paused, right_edge (d));
  }
}

static const char *
lane_color (const Draw *d, int p)
{
  return viz_model_process (d->m, (guint) p)->kind == VIZ_PROC_CLIENT ? "#8c8c8c" : C_LANE;
}

static void
write_lanes (Draw *d)
{
  const VizModel *m = d->m;
  GString *o = d->out;
  double xa = d->x_lo - EDGE_DX - 10, xb = d->x_hi + EDGE_DX + 10;
  for (guint p = 0; p < viz_model_n_processes (m); p++) {
    int lane = d->sel.lane_of[p];
    if (lane < 0)
      continue;
    double y = lane_y (d, lane);
    const char *name = viz_model_process (m, p)->name;
    double w = viz_text_width (name, 12);
    char id[32];
    g_snprintf (id, sizeof id, "lane%u", p);
    viz_dot_text (d->out, id, xa - 8 - w / 2, y, name, 12, lane_color (d, (int) p), TRUE, FALSE);
    g_string_append_printf (o, "  lane%u_a [style=invis, width=0.01, height=0.01, ", p);
    viz_dot_pos (o, xa, y);
    g_string_append_printf (o, "];\n  lane%u_b [style=invis, width=0.01, height=0.01, ", p);
    viz_dot_pos (o, xb, y);
    g_string_append_printf (o, "];\n  lane%u_a -> lane%u_b [arrowhead=none, penwidth=2",
                            p, p);
    viz_dot_attr (o, "color", lane_color (d, (int) p));
    g_string_append (o, "];\n");
    viz_placer_occupy (d->placer, (xa + xb) / 2, y, xb - xa, 5);
  }
}

static double
axis_y (const Draw *d)
{
  return -LANE_GAP * 0.6;
}

/* 1, 2 or 5 times a power of ten, at least raw; times span up to the
 * whole int64 range, so the step saturates instead of overflowing. */
static int64_t
nice_step (double raw)
{
  int64_t step = 1;
  while ((double) step < raw) {
    if (step > G_MAXINT64 / 10)
      return G_MAXINT64;
    if ((double) (step * 2) >= raw)
      return step * 2;
    if ((double) (step * 5) >= raw)
      return step * 5;
    step *= 10;
  }
  return step;
}

static void
tick (Draw *d, guint *n, double x, const char *text)
{
  double y = axis_y (d);
  char id[32];
  g_snprintf (id, sizeof id, "tick%u", *n);
  g_string_append_printf (d->out, "  %s [shape=box, style=filled, color=\"#808080\", "
                          "width=0.01, height=0.08, ", id);
  viz_dot_pos (d->out, x, y);
  g_string_append (d->out, "];\n");
  g_snprintf (id, sizeof id, "tick%u_t", *n);
  viz_dot_text (d->out, id, x, y - 11, text, 8.5, "#606060", FALSE, FALSE);
  (*n)++;
}

/* A time on the axis: virtual time with a unit, or a Lamport value. */
static char *
axis_label (const Draw *d, int64_t t)
{
  if (d->opt->axis == VIZ_TIME_LOGICAL)
    return g_strdup_printf ("%" G_GINT64_FORMAT, t);
  return viz_format_us (t);
}

static void
write_axis (Draw *d)
{
  GString *o = d->out;
  double y = axis_y (d);
  double xa = d->x_lo - EDGE_DX - 10, xb = d->x_hi + EDGE_DX + 10;
  viz_dot_anchor (d->out, "axis_a", xa, y);
  viz_dot_anchor (d->out, "axis_b", xb + 20, y);
  g_string_append (o, "  axis_a -> axis_b [color=\"#808080\", penwidth=1];\n");
  const char *what = d->opt->axis == VIZ_TIME_LOGICAL ? "Lamport time" : "virtual time";
  viz_dot_text (d->out, "axis_t", xb + 20 - viz_text_width (what, 9) / 2, y - 24, what, 9,
             "#606060", FALSE, FALSE);
  guint n = 0;
  if (d->sel.n_drawn == 0)
    return;
  gboolean logical = d->opt->axis == VIZ_TIME_LOGICAL;
  int64_t step = logical ? 2 : nice_step (110.0 / d->scale);
  for (guint k = 0; k < d->segments->len; k++) {
    const Segment *s = &g_array_index (d->segments, Segment, k);
    g_autofree char *first = axis_label (d, s->t);
    tick (d, &n, s->x, first);
    /* The first multiple of step after s->t, then every step up to t_end;
     * every sum is checked, as times may reach INT64_MAX. */
    int64_t t;
    if (__builtin_mul_overflow (s->t / step + 1, step, &t))
      continue;
    for (; t <= s->t_end; ) {
      double x = s->x + ((double) t - (double) s->t) * d->scale;
      if (x - s->x >= 55) {
        g_autofree char *text = axis_label (d, t);
        tick (d, &n, x, text);
      }
      if (__builtin_add_overflow (t, step, &t))
        break;
    }
  }
  for (guint k = 0; k < d->breaks->len; k++) {
    const Break *b = &g_array_index (d->breaks, Break, k);
    char id[32];
    g_snprintf (id, sizeof id, "brk%u_a", k);
    viz_dot_anchor (d->out, id, b->x, y + 6);
    g_snprintf (id, sizeof id, "brk%u_b", k);
    viz_dot_anchor (d->out, id, b->x, y_top (d) + LANE_GAP / 3);
    g_string_append_printf (o, "  brk%u_a -> brk%u_b [arrowhead=none, style=dotted, "
                            "color=\"#b0b0b0\", penwidth=1];\n", k, k);
    g_snprintf (id, sizeof id, "brk%u", k);
    viz_dot_text (d->out, id, b->x, y, "\u2248", 13, "#606060", TRUE, TRUE);
    g_autofree char *dt = axis_label (d, b->dt);
    g_autofree char *text = g_strdup_printf ("+%s", dt);
    g_snprintf (id, sizeof id, "brk%u_t", k);
    viz_dot_text (d->out, id, b->x, y - 24, text, 8, "#909090", FALSE, FALSE);
  }
}

/* ---- events ---- */

static gboolean
is_client (const Draw *d, int p)
{
  return p >= 0 && viz_model_process (d->m, (guint) p)->kind == VIZ_PROC_CLIENT;
}

/* A drop event drawn where the arrow ends: at the receiver's lane. */
static gboolean
drop_is_at_receiver (const Draw *d, const VizEvent *e)
{
  return e->message < 0
         || viz_model_message (d->m, (guint) e->message)->to == e->process;
}

static void
write_event (Draw *d, guint i)
{
  const VizEvent *e = viz_model_event (d->m, i);
  GString *o = d->out;
  double x = d->x[i], y = lane_y (d, d->sel.lane_of[e->process]);
  const char *hl = e->is_highlighted ? C_HIGHLIGHT : NULL;
  if (e->is_highlighted)
    d->legend |= LG_HIGHLIGHT;
  g_string_append_printf (o, "  e%u [", i);
  switch (e->kind) {
  case VIZ_EV_DROP:
    if (!drop_is_at_receiver (d, e)) {
      g_string_append (o, "style=invis");
      break;
    }
    g_string_append (o, CROSS_ATTRS);
    viz_dot_attr (o, "fontcolor", hl ? hl : C_DROP);
    d->legend |= LG_DROP;
    break;
  case VIZ_EV_TIMEOUT:
    g_string_append (o, "shape=diamond, style=filled, width=0.15, height=0.15");
    viz_dot_attr (o, "color", hl ? hl : C_TIMEOUT);
    d->legend |= LG_TIMEOUT;
    break;
  case VIZ_EV_CRASH:
    g_string_append (o, "shape=square, style=filled, width=0.13, height=0.13");
    viz_dot_attr (o, "color", hl ? hl : C_DROP);
    d->legend |= LG_CRASH;
    break;
  case VIZ_EV_RESTART:
  case VIZ_EV_RESUME:
    g_string_append (o, "shape=triangle, style=filled, width=0.14, height=0.14");
    viz_dot_attr (o, "color", hl ? hl : e->kind == VIZ_EV_RESTART ? C_RESTART : C_PAUSE);
    break;
  case VIZ_EV_PAUSE:
    g_string_append (o, "shape=square, style=filled, width=0.12, height=0.12");
    viz_dot_attr (o, "color", hl ? hl : C_PAUSE);
    d->legend |= LG_PAUSE;
    break;
  case VIZ_EV_INVOKE:
    g_string_append (o, "shape=circle, style=filled, width=0.11, height=0.11");
    viz_dot_attr (o, "color", hl ? hl : C_CLIENT);
    break;
  case VIZ_EV_COMPLETE:
    g_string_append (o, "shape=circle, style=filled, fillcolor=white, width=0.11, "
                        "height=0.11, penwidth=1.5");
    viz_dot_attr (o, "color", hl ? hl : C_CLIENT);
    break;
  case VIZ_EV_NOTE:
    g_string_append (o, "width=0.06, height=0.06");
    viz_dot_attr (o, "color", hl ? hl : C_NOTE);
    break;
  default:
    if (hl) {
      g_string_append (o, "width=0.12, height=0.12");
      viz_dot_attr (o, "color", hl);
    }
    break;
  }
  if (e->kind != VIZ_EV_SEND && e->kind != VIZ_EV_RECV && e->kind != VIZ_EV_DROP)
    viz_placer_occupy (d->placer, x, y, 10, 10);
  if (o->str[o->len - 1] != '[')
    g_string_append (o, ", ");
  viz_dot_pos (o, x, y);
  g_string_append (o, "];\n");
}

/* Labels of events, in three rounds: role changes (always drawn), client
 * operations, then the rest where there is room. */
static void
write_event_labels (Draw *d, int round)
{
  const VizModel *m = d->m;
  for (guint i = d->sel.first; i < d->sel.stop; i++) {
    const VizEvent *e = viz_model_event (m, i);
    if (!d->sel.drawn[i] || e->process < 0)
      continue;
    double x = d->x[i], y = lane_y (d, d->sel.lane_of[e->process]);
    char id[32];
    if (round == 0 && e->role != NULL) {
      g_autofree char *text = viz_text_shorten (e->role, 28);
      g_snprintf (id, sizeof id, "e%u_r", i);
      place_near (d, id, x, y, text, 10, C_ROLE, TRUE, TRUE);
      d->legend |= LG_ROLE;
    }
    gboolean is_op = e->kind == VIZ_EV_INVOKE || e->kind == VIZ_EV_COMPLETE;
    if ((round == 1) != is_op || round == 0)
      continue;
    const char *label = e->label;
    const char *color = C_NOTE;
    switch (e->kind) {
    case VIZ_EV_INVOKE:
    case VIZ_EV_COMPLETE:
      color = C_CLIENT;
      break;
    case VIZ_EV_TIMEOUT:
      color = "#b35f00";
      label = label ? label : "timeout";
      break;
    case VIZ_EV_CRASH:
    case VIZ_EV_RESTART:
    case VIZ_EV_PAUSE:
    case VIZ_EV_RESUME:
      color = e->kind == VIZ_EV_RESTART ? C_RESTART : e->kind == VIZ_EV_CRASH ? "#a01010"
                                                                                : "#505050";
      label = label ? label : viz_event_kind_name (e->kind);
      break;
    case VIZ_EV_NOTE:
      break;
    default:
      label = NULL; /* messages carry their own labels */
      break;
    }
    if (label == NULL || *label == '\0')
      continue;
    g_autofree char *text = viz_text_shorten (label, 30);
    g_snprintf (id, sizeof id, "e%u_t", i);
    place_near (d, id, x, y, text, FONT_EV, e->is_highlighted ? C_HIGHLIGHT : color,
                e->is_highlighted, FALSE);
  }
}

/* ---- messages ---- */

static void
write_message (Draw *d, guint mi)
{
  const VizModel *m = d->m;
  const VizMessage *msg = viz_model_message (m, mi);
  GString *o = d->out;
  int end = msg->recv >= 0 ? msg->recv : msg->drop;
  gboolean send_drawn = d->sel.drawn[msg->send];
  gboolean end_drawn = end >= 0 && d->sel.drawn[end];
  int from_lane = d->sel.lane_of[msg->from], to_lane = d->sel.lane_of[msg->to];
  if (!send_drawn && !end_drawn)
    return;
  if (from_lane < 0 || to_lane < 0) {
    d->n_msgs_hidden++;
    return;
  }
  double y_from = lane_y (d, from_lane), y_to = lane_y (d, to_lane);
  char tail[32], head[32];
  double xt, yt = y_from, xh, yh = y_to;
  gboolean clipped = FALSE;
  if (send_drawn) {
    g_snprintf (tail, sizeof tail, "e%d", msg->send);
    xt = d->x[msg->send];
  } else {
    g_snprintf (tail, sizeof tail, "m%u_a", mi);
    xt = left_edge (d);
    viz_dot_anchor (d->out, tail, xt, yt);
    clipped = TRUE;
  }
  gboolean is_drop = msg->drop >= 0 && end == msg->drop;
  gboolean cross_here = FALSE;
  if (end_drawn && !(is_drop && !drop_is_at_receiver (d, viz_model_event (m, (guint) end)))) {
    g_snprintf (head, sizeof head, "e%d", end);
    xh = d->x[end];
  } else if (end_drawn) {
    /* lost at the sender: a short arrow towards the receiver, crossed out */
    double dx = d->opt->axis == VIZ_TIME_LOGICAL ? LAMPORT_DX : MSG_DX;
    xh = d->x[end] + 0.4 * dx;
    yh = y_from + 0.4 * (y_to - y_from);
    g_snprintf (head, sizeof head, "m%u_x", mi);
    cross_here = TRUE;
  } else {
    g_snprintf (head, sizeof head, "m%u_b", mi);
    xh = right_edge (d);
    viz_dot_anchor (d->out, head, xh, yh);
    clipped = TRUE;
  }
  gboolean client = is_client (d, msg->from) || is_client (d, msg->to);
  const char *color = msg->is_duplicate ? C_DUP
                      : is_drop ? C_DROP
                      : client ? C_CLIENT : C_MSG;
  d->legend |= msg->is_duplicate ? LG_DUP
               : is_drop ? LG_DROP
               : client ? LG_CLIENT : LG_MSG;
  if (clipped)
    d->legend |= LG_EDGE;
  if (msg->is_highlighted) {
    color = C_HIGHLIGHT;
    d->legend |= LG_HIGHLIGHT;
  }
  if (cross_here) {
    g_string_append_printf (o, "  %s [" CROSS_ATTRS, head);
    viz_dot_attr (o, "fontcolor", color);
    g_string_append (o, ", ");
    viz_dot_pos (o, xh, yh);
    g_string_append (o, "];\n");
  }
  g_string_append_printf (o, "  %s -> %s [color=\"%s\"", tail, head, color);
  if (msg->is_duplicate || clipped)
    g_string_append (o, ", style=dashed");
  if (is_drop)
    g_string_append (o, ", arrowhead=none, headclip=false");
  if (msg->is_highlighted)
    g_string_append (o, ", penwidth=2.4");
  g_string_append (o, "];\n");

  if (msg->label == NULL || *msg->label == '\0')
    return;
  g_autofree char *short_label = viz_text_shorten (msg->label, LABEL_MAX);
  g_autofree char *text = msg->is_duplicate ? g_strdup_printf ("dup %s", short_label)
                                            : g_steal_pointer (&short_label);
  double w = viz_text_width (text, FONT_MSG) + 4, h = FONT_MSG + 3;
  static const double at[] = { 0.5, 0.35, 0.65, 0.22, 0.78 };
  for (guint k = 0; k < G_N_ELEMENTS (at); k++) {
    double cx = xt + at[k] * (xh - xt), cy = yt + at[k] * (yh - yt);
    if (viz_placer_take (d->placer, cx, cy, w, h)) {
      char id[32];
      g_snprintf (id, sizeof id, "m%u_t", mi);
      viz_dot_text (d->out, id, cx, cy, text, FONT_MSG, color, msg->is_highlighted, TRUE);
      return;
    }
  }
  d->n_labels_hidden++;
}

/* ---- legend ---- */

typedef struct {
  guint flag;
  const char *text;
} LegendItem;

static void
legend_sample (Draw *d, guint flag, double x, double y)
{
  GString *o = d->out;
  char a[32], b[32];
  g_snprintf (a, sizeof a, "lg%u_a", flag);
  g_snprintf (b, sizeof b, "lg%u_b", flag);
  const char *edge = NULL;
  switch (flag) {
  case LG_MSG:
    edge = "color=\"" C_MSG "\"";
    break;
  case LG_CLIENT:
    edge = "color=\"" C_CLIENT "\"";
    break;
  case LG_DUP:
    edge = "color=\"" C_DUP "\", style=dashed";
    break;
  case LG_EDGE:
    edge = "color=\"" C_MSG "\", style=dashed";
    break;
  case LG_HIGHLIGHT:
    edge = "color=\"" C_HIGHLIGHT "\", penwidth=2.4";
    break;
  case LG_DROP:
    edge = "color=\"" C_DROP "\", arrowhead=none, headclip=false";
    break;
  default:
    break;
  }
  if (edge != NULL) {
    g_string_append_printf (o, "  %s [width=0.06, height=0.06, ", a);
    viz_dot_pos (o, x, y);
    if (flag == LG_DROP)
      g_string_append_printf (o, "];\n  %s [" CROSS_ATTRS ", fontcolor=\"" C_DROP "\", ", b);
    else
      g_string_append_printf (o, "];\n  %s [width=0.06, height=0.06, ", b);
    viz_dot_pos (o, x + 34, y);
    g_string_append_printf (o, "];\n  %s -> %s [%s];\n", a, b, edge);
    return;
  }
  switch (flag) {
  case LG_TIMEOUT:
    g_string_append_printf (o, "  %s [shape=diamond, style=filled, width=0.15, "
                            "height=0.15, color=\"" C_TIMEOUT "\", ", a);
    viz_dot_pos (o, x + 17, y);
    g_string_append (o, "];\n");
    break;
  case LG_CRASH:
    viz_dot_box (d->out, a, x, x + 34, y - 8, y + 8, "#d6272838", "none", FALSE);
    break;
  case LG_PAUSE:
    viz_dot_box (d->out, a, x, x + 34, y - 8, y + 8, "#7f7f7f38", "none", FALSE);
    break;
  case LG_PARTITION:
    viz_dot_box (d->out, a, x, x + 34, y - 8, y + 8, "#ffd40030", "#d9a400", TRUE);
    break;
  case LG_ROLE:
    viz_dot_text (d->out, a, x + 17, y, "leader", 10, C_ROLE, TRUE, FALSE);
    break;
  default:
    g_assert_not_reached ();
  }
}

static void
write_legend (Draw *d)
{
  static const LegendItem items[] = {
    { LG_MSG, "message" },
    { LG_CLIENT, "client request / reply" },
    { LG_DROP, "message lost" },
    { LG_DUP, "duplicate delivery" },
    { LG_EDGE, "continues outside the drawing" },
    { LG_TIMEOUT, "timeout" },
    { LG_CRASH, "crashed (until restart)" },
    { LG_PAUSE, "paused" },
    { LG_PARTITION, "partition (until heal)" },
    { LG_ROLE, "role change" },
    { LG_HIGHLIGHT, "highlighted" },
  };
  double x0 = d->x_lo - 130, x = x0;
  double x_max = MAX (d->x_hi + EDGE_DX, x0 + 620);
  double y = axis_y (d) - 50;
  viz_dot_text (d->out, "legend", x + 22, y, "legend:", 9, "#404040", TRUE, FALSE);
  x += 52;
  for (guint i = 0; i < G_N_ELEMENTS (items); i++) {
    if (!(d->legend & items[i].flag))
      continue;
    double w = 50 + viz_text_width (items[i].text, 9) + 22;
    if (x + w > x_max && x > x0 + 52) {
      x = x0 + 52;
      y -= 22;
    }
    legend_sample (d, items[i].flag, x, y);
    char id[32];
    g_snprintf (id, sizeof id, "lg%u_t", items[i].flag);
    double tw = viz_text_width (items[i].text, 9);
    viz_dot_text (d->out, id, x + 50 + tw / 2, y, items[i].text, 9, "#303030", FALSE, FALSE);
    x += w;
  }
}

char *
viz_spacetime_dot (const VizModel *m, const VizSpacetimeOptions *opt, GError **error)
{
  Draw d = { .m = m, .opt = opt };
  if (!viz_selection_init (&d.sel, m, opt, error))
    return NULL;
  d.x = g_new0 (double, viz_model_n_events (m) + 1);
  d.breaks = g_array_new (FALSE, FALSE, sizeof (Break));
  d.segments = g_array_new (FALSE, FALSE, sizeof (Segment));
  if (opt->axis == VIZ_TIME_LOGICAL)
    place_logical (&d);
  else
    place_virtual (&d);
  compute_extent (&d);
  d.placer = viz_placer_new ();
  d.out = g_string_sized_new (4096 + 300 * (gsize) d.sel.n_drawn);

  write_partitions (&d);
  write_spans (&d);
  write_lanes (&d);
  write_axis (&d);
  for (guint i = d.sel.first; i < d.sel.stop; i++)
    if (d.sel.drawn[i] && viz_model_event (m, i)->process >= 0)
      write_event (&d, i);
  write_event_labels (&d, 0);
  write_event_labels (&d, 1);
  for (guint i = 0; i < viz_model_n_messages (m); i++)
    write_message (&d, i);
  write_event_labels (&d, 2);
  write_legend (&d);

  GString *body = d.out;
  d.out = g_string_sized_new (body->len + 2048);
  write_header (&d);
  write_title (&d);
  g_string_append_len (d.out, body->str, (gssize) body->len);
  g_string_append (d.out, "}\n");
  g_string_free (body, TRUE);

  viz_placer_free (d.placer);
  g_array_unref (d.breaks);
  g_array_unref (d.segments);
  g_free (d.sel.lane_of);
  g_free (d.sel.drawn);
  g_free (d.x);
  return g_string_free (d.out, FALSE);
}

void
viz_spacetime_options_init (VizSpacetimeOptions *opt)
{
  *opt = (VizSpacetimeOptions) {
    .axis = VIZ_TIME_VIRTUAL,
    .from_us = G_MININT64,
    .to_us = G_MAXINT64,
    .max_events = VIZ_DEFAULT_MAX_EVENTS,
  };
}
