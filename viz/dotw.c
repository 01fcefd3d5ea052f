/* dotw.c: DOT text helpers and the label placer. */
#include "viz/dotw.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static void
quote_with (GString *out, const char *s, const char *newline)
{
  g_string_append_c (out, '"');
  for (const char *c = s ? s : ""; *c; c++) {
    switch (*c) {
    case '"':
      g_string_append (out, "\\\"");
      break;
    case '\\':
      g_string_append (out, "\\\\");
      break;
    case '\n':
      g_string_append (out, newline);
      break;
    case '\r':
    case '\t':
      g_string_append_c (out, ' ');
      break;
    default:
      g_string_append_c (out, *c);
    }
  }
  if (newline[1] == 'l')
    g_string_append (out, newline);
  g_string_append_c (out, '"');
}

void
viz_dot_quote (GString *out, const char *s)
{
  quote_with (out, s, "\\n");
}

void
viz_dot_quote_left (GString *out, const char *s)
{
  quote_with (out, s, "\\l");
}

void
viz_dot_num (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (fabs (v) < 0.05)
    v = 0;
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.1f", v));
}

void
viz_dot_pos (GString *out, double x, double y)
{
  g_string_append (out, "pos=\"");
  viz_dot_num (out, x);
  g_string_append_c (out, ',');
  viz_dot_num (out, y);
  g_string_append (out, "!\"");
}

void
viz_dot_size (GString *out, double w_pt, double h_pt)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append (out, "width=");
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.3f", w_pt / 72.0));
  g_string_append (out, ", height=");
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.3f", h_pt / 72.0));
}

double
viz_text_width (const char *s, double fontsize)
{
  /* Helvetica: lower case and digits about 0.55 em, capitals about 0.67. */
  double em = 0;
  for (const char *c = s; *c; c = g_utf8_next_char (c)) {
    gunichar u = g_utf8_get_char (c);
    if (u == ' ' || u == 'i' || u == 'l' || u == 'j' || u == '.' || u == ','
        || u == ':' || u == '|' || u == '!' || u == '\'' || u == '(' || u == ')'
        || u == '[' || u == ']' || u == 't' || u == 'f' || u == 'r')
      em += 0.33;
    else if (g_unichar_isupper (u) || u == 'm' || u == 'w' || u == 'M' || u == 'W')
      em += 0.75;
    else
      em += 0.58;
  }
  return em * fontsize;
}

char *
viz_text_shorten (const char *s, guint max_chars)
{
  const char *c = s ? s : "";
  if (!g_utf8_validate (c, -1, NULL))
    c = "(invalid UTF-8)";
  glong n = g_utf8_strlen (c, -1);
  glong keep = n > (glong) max_chars ? (glong) max_chars - 1 : n;
  GString *out = g_string_new (NULL);
  for (glong k = 0; k < keep; k++, c = g_utf8_next_char (c)) {
    gunichar u = g_utf8_get_char (c);
    if (u < 0x20 || u == 0x7f)
      g_string_append_c (out, ' ');
    else
      g_string_append_unichar (out, u);
  }
  if (keep < n)
    g_string_append (out, "\u2026");
  return g_string_free (out, FALSE);
}

char *
viz_format_us (int64_t us)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  int64_t a = us < 0 ? -us : us;
  const char *unit = "\u00b5s";
  double v = (double) us;
  if (a >= 1000000) {
    v = us / 1e6;
    unit = "s";
  } else if (a >= 1000) {
    v = us / 1e3;
    unit = "ms";
  }
  g_ascii_formatd (buf, sizeof buf, "%.3f", v);
  /* trim trailing zeros: 1.500 -> 1.5, 2.000 -> 2 */
  char *dot = strchr (buf, '.');
  if (dot != NULL) {
    char *end = buf + strlen (buf) - 1;
    while (end > dot && *end == '0')
      *end-- = '\0';
    if (end == dot)
      *end = '\0';
  }
  return g_strdup_printf ("%s %s", buf, unit);
}

/* ---- nodes ---- */

void
viz_dot_attr (GString *out, const char *name, const char *value)
{
  g_string_append_printf (out, ", %s=", name);
  viz_dot_quote (out, value);
}

static void
font_attrs (GString *o, double fontsize, const char *color, gboolean bold)
{
  g_string_append (o, ", fontsize=");
  viz_dot_num (o, fontsize);
  viz_dot_attr (o, "fontcolor", color);
  if (bold)
    g_string_append (o, ", fontname=\"Helvetica-Bold\"");
}

/* A text node centred at (x, y). */
void
viz_dot_text (GString *o, const char *id, double x, double y, const char *text,
           double fontsize, const char *color, gboolean bold, gboolean bg)
{
  g_string_append_printf (o, "  %s [shape=plaintext, margin=0.01, label=", id);
  viz_dot_quote (o, text);
  font_attrs (o, fontsize, color, bold);
  if (bg)
    g_string_append (o, ", style=filled, fillcolor=\"" VIZ_LABEL_BG "\", color=none");
  g_string_append (o, ", ");
  viz_dot_pos (o, x, y);
  g_string_append (o, "];\n");
}

/* Left-justified lines starting at x, centred on y. */
void
viz_dot_text_left (GString *o, const char *id, double x, double y, const char *text,
            double fontsize, const char *color, gboolean bold)
{
  double w = 0;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    w = MAX (w, viz_text_width (*l, fontsize));
  w += 8;
  g_string_append_printf (o, "  %s [shape=plaintext, margin=0.02, label=", id);
  viz_dot_quote_left (o, text);
  font_attrs (o, fontsize, color, bold);
  g_string_append (o, ", ");
  viz_dot_pos (o, x + w / 2, y);
  g_string_append (o, "];\n");
}

/* A shaded rectangle from x0 to x1 and y0 to y1. */
void
viz_dot_box (GString *o, const char *id, double x0, double x1, double y0, double y1,
          const char *fill, const char *pen, gboolean dashed)
{
  g_string_append_printf (o, "  %s [shape=box, fixedsize=true, style=\"filled%s\"",
                          id, dashed ? ",dashed" : "");
  viz_dot_attr (o, "fillcolor", fill);
  viz_dot_attr (o, "color", pen);
  g_string_append (o, ", ");
  viz_dot_size (o, x1 - x0, y1 - y0);
  g_string_append (o, ", ");
  viz_dot_pos (o, (x0 + x1) / 2, (y0 + y1) / 2);
  g_string_append (o, "];\n");
}

/* An invisible anchor for an edge's end. */
void
viz_dot_anchor (GString *o, const char *id, double x, double y)
{
  g_string_append_printf (o, "  %s [style=invis, width=0.01, height=0.01, ", id);
  viz_dot_pos (o, x, y);
  g_string_append (o, "];\n");
}

/* ---- placer ---- */

#define CELL 64.0

typedef struct {
  double x0, y0, x1, y1;
} Rect;

struct VizPlacer {
  GArray *rects;       /* Rect */
  GHashTable *cells;   /* cell key -> GArray of guint rect ids; lookups only */
};

/* g_int64_hash folds the two halves together (x ^ y), which collides on
 * every diagonal of the grid; mix the bits first (MurmurHash3's finalizer). */
static guint
cell_hash (gconstpointer p)
{
  uint64_t x = *(const uint64_t *) p;
  x ^= x >> 33;
  x *= UINT64_C (0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= UINT64_C (0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return (guint) x;
}

static void
cell_free (gpointer p)
{
  g_array_unref (p);
}

VizPlacer *
viz_placer_new (void)
{
  VizPlacer *p = g_new0 (VizPlacer, 1);
  p->rects = g_array_new (FALSE, FALSE, sizeof (Rect));
  p->cells = g_hash_table_new_full (cell_hash, g_int64_equal, g_free, cell_free);
  return p;
}

void
viz_placer_free (VizPlacer *p)
{
  if (p == NULL)
    return;
  g_array_unref (p->rects);
  g_hash_table_unref (p->cells);
  g_free (p);
}

static gint64
cell_key (int64_t cx, int64_t cy)
{
  return (gint64) (((uint64_t) (uint32_t) cx << 32) | (uint32_t) cy);
}

static void
rect_cells (const Rect *r, int64_t *cx0, int64_t *cy0, int64_t *cx1, int64_t *cy1)
{
  *cx0 = (int64_t) floor (r->x0 / CELL);
  *cy0 = (int64_t) floor (r->y0 / CELL);
  *cx1 = (int64_t) floor (r->x1 / CELL);
  *cy1 = (int64_t) floor (r->y1 / CELL);
}

void
viz_placer_occupy (VizPlacer *p, double cx, double cy, double w, double h)
{
  Rect r = { cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2 };
  guint id = p->rects->len;
  g_array_append_val (p->rects, r);
  int64_t x0, y0, x1, y1;
  rect_cells (&r, &x0, &y0, &x1, &y1);
  for (int64_t x = x0; x <= x1; x++)
    for (int64_t y = y0; y <= y1; y++) {
      gint64 key = cell_key (x, y);
      GArray *ids = g_hash_table_lookup (p->cells, &key);
      if (ids == NULL) {
        ids = g_array_new (FALSE, FALSE, sizeof (guint));
        g_hash_table_insert (p->cells, g_memdup2 (&key, sizeof key), ids);
      }
      g_array_append_val (ids, id);
    }
}

gboolean
viz_placer_take (VizPlacer *p, double cx, double cy, double w, double h)
{
  Rect r = { cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2 };
  int64_t x0, y0, x1, y1;
  rect_cells (&r, &x0, &y0, &x1, &y1);
  for (int64_t x = x0; x <= x1; x++)
    for (int64_t y = y0; y <= y1; y++) {
      gint64 key = cell_key (x, y);
      GArray *ids = g_hash_table_lookup (p->cells, &key);
      if (ids == NULL)
        continue;
      for (guint i = 0; i < ids->len; i++) {
        const Rect *o = &g_array_index (p->rects, Rect, g_array_index (ids, guint, i));
        if (r.x0 < o->x1 && o->x0 < r.x1 && r.y0 < o->y1 && o->y0 < r.y1)
          return FALSE;
      }
    }
  viz_placer_occupy (p, cx, cy, w, h);
  return TRUE;
}
