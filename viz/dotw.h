/* dotw.h: helpers shared by viz's DOT writers (internal to viz/).
 *
 * Every number goes through viz_dot_num so the text is the same on every
 * machine and locale: one decimal, no "-0.0". */
#pragma once

#include <glib.h>

/* Appends s as a quoted DOT string ("..."), escaping quotes, backslashes and
 * newlines (a newline becomes a centred line break). */
void viz_dot_quote (GString *out, const char *s);
/* Appends s as a quoted DOT string of left-justified lines ("...\l"). */
void viz_dot_quote_left (GString *out, const char *s);
/* Appends v with one decimal. */
void viz_dot_num (GString *out, double v);
/* Appends pos="x,y!" (points, pinned). */
void viz_dot_pos (GString *out, double x, double y);
/* Appends width=W, height=H (given in points, written in inches). */
void viz_dot_size (GString *out, double w_pt, double h_pt);

/* Appends ", name=\"value\"" (value quoted). */
void viz_dot_attr (GString *out, const char *name, const char *value);

#define VIZ_LABEL_BG "#ffffffd8" /* behind labels that sit on lines */

/* Node statements, each one line, positions pinned (points):
 * a text centred at (x, y), on a white background if bg; */
void viz_dot_text (GString *out, const char *id, double x, double y, const char *text,
                   double fontsize, const char *color, gboolean bold, gboolean bg);
/* left-justified lines starting near x, centred on y; */
void viz_dot_text_left (GString *out, const char *id, double x, double y, const char *text,
                        double fontsize, const char *color, gboolean bold);
/* a shaded rectangle [x0, x1] x [y0, y1] (pen "none": no outline); */
void viz_dot_box (GString *out, const char *id, double x0, double x1, double y0, double y1,
                  const char *fill, const char *pen, gboolean dashed);
/* an invisible point, for an edge to end at. */
void viz_dot_anchor (GString *out, const char *id, double x, double y);

/* Estimated width in points of s in Helvetica at fontsize points. */
double viz_text_width (const char *s, double fontsize);
/* s cut to at most max_chars characters (an ellipsis marks the cut), with
 * control characters replaced by spaces. */
char *viz_text_shorten (const char *s, guint max_chars);
/* Formats a duration given in microseconds with a unit ("250 µs", "1.5 ms",
 * "2 s"). */
char *viz_format_us (int64_t us);

/* A set of occupied rectangles, to place labels where they do not cover
 * each other.  Rectangles are bucketed on a grid, so a lookup costs the same
 * for ten labels and for ten thousand. */
typedef struct VizPlacer VizPlacer;
VizPlacer *viz_placer_new (void);
void viz_placer_free (VizPlacer *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VizPlacer, viz_placer_free)
/* Marks the rectangle centred at (cx, cy) of size w x h as occupied. */
void viz_placer_occupy (VizPlacer *p, double cx, double cy, double w, double h);
/* TRUE if the rectangle overlaps nothing occupied; then occupies it. */
gboolean viz_placer_take (VizPlacer *p, double cx, double cy, double w, double h);
