/* render.c: DOT text to SVG, PNG or PDF with libgvc and the nop2 layout. */
#include "viz/render.h"

#include <gvc.h>
#include <math.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "viz/spacetime.h"

#define PNG_MAX_PIXELS 40e6 /* about 160 MB of image memory */

/* Graphviz reports through one process-wide hook; render calls collect its
 * messages here so they never reach stderr unasked. */
static GString *gv_messages;

static int
collect_message (char *msg)
{
  if (gv_messages != NULL && gv_messages->len < 4096)
    g_string_append (gv_messages, msg);
  return 0;
}

gboolean
viz_format_is_known (const char *format)
{
  return g_strcmp0 (format, "svg") == 0 || g_strcmp0 (format, "png") == 0
         || g_strcmp0 (format, "pdf") == 0 || g_strcmp0 (format, "dot") == 0;
}

static char *
messages_text (void)
{
  g_autofree char *m = g_strdup (gv_messages->str);
  g_strstrip (m);
  for (char *c = m; *c; c++)
    if (*c == '\n')
      *c = ' ';
  return *m ? g_strdup_printf (" (Graphviz says: %s)", m) : g_strdup ("");
}

/* Shrinks a PNG that would be too large: lays out, reads the bounding box,
 * and if needed sets size= and lays out again. */
static gboolean
fit_png (GVC_t *gvc, Agraph_t *g, guint max_px, gboolean *scaled)
{
  const char *bb = agget (g, "bb");
  double x0, y0, x1, y1;
  if (bb == NULL)
    return TRUE;
  g_autofree char *nums = g_strdup (bb); /* "x0,y0,x1,y1" or "x0 y0 x1 y1" */
  g_strdelimit (nums, ",", ' ');
  if (sscanf (nums, "%lf %lf %lf %lf", &x0, &y0, &x1, &y1) != 4)
    return TRUE;
  double w_px = (x1 - x0 + 60) * 96.0 / 72.0, h_px = (y1 - y0 + 60) * 96.0 / 72.0;
  double s = MIN (1.0, (double) max_px / MAX (w_px, h_px));
  s = MIN (s, sqrt (PNG_MAX_PIXELS / (w_px * h_px)));
  if (s >= 1.0)
    return TRUE;
  char size[64], wbuf[G_ASCII_DTOSTR_BUF_SIZE], hbuf[G_ASCII_DTOSTR_BUF_SIZE];
  g_snprintf (size, sizeof size, "%s,%s",
              g_ascii_formatd (wbuf, sizeof wbuf, "%.2f", (x1 - x0) / 72.0 * s),
              g_ascii_formatd (hbuf, sizeof hbuf, "%.2f", (y1 - y0) / 72.0 * s));
  gvFreeLayout (gvc, g);
  agsafeset (g, "size", size, "");
  if (scaled != NULL)
    *scaled = TRUE;
  return gvLayout (gvc, g, "nop2") == 0;
}

gboolean
viz_render_data (const char *dot, const char *format, guint max_png_px,
                 gboolean *scaled, char **data, gsize *len, GError **error)
{
  if (scaled != NULL)
    *scaled = FALSE;
  if (!viz_format_is_known (format)) {
    g_set_error (error, VIZ_ERROR, VIZ_ERROR_INPUT,
                 "unknown diagram format '%s' (expected svg, png, pdf or dot)", format);
    return FALSE;
  }
  if (strcmp (format, "dot") == 0) {
    *len = strlen (dot);
    *data = g_strndup (dot, *len);
    return TRUE;
  }
  gboolean ok = FALSE;
  gv_messages = g_string_new (NULL);
  agusererrf old_hook = agseterrf (collect_message);
  agerrlevel_t old_level = agseterr (AGWARN);
  GVC_t *gvc = gvContext ();
  Agraph_t *g = agmemread (dot);
  if (g == NULL) {
    g_autofree char *why = messages_text ();
    g_set_error (error, VIZ_ERROR, VIZ_ERROR_RENDER,
                 "Graphviz could not read the diagram's DOT text%s", why);
    goto out;
  }
  if (gvLayout (gvc, g, "nop2") != 0) {
    g_autofree char *why = messages_text ();
    g_set_error (error, VIZ_ERROR, VIZ_ERROR_RENDER,
                 "Graphviz has no nop2 layout here: its plugins are not installed or "
                 "not registered (install libgvc6, then run 'dot -c' as root)%s", why);
    agclose (g);
    goto out;
  }
  if (strcmp (format, "png") == 0 && !fit_png (gvc, g, max_png_px ? max_png_px : 16000, scaled)) {
    g_set_error (error, VIZ_ERROR, VIZ_ERROR_RENDER, "Graphviz could not lay out the PNG");
    agclose (g);
    goto out;
  }
  char *result = NULL;
  unsigned int n = 0;
  if (gvRenderData (gvc, g, format, &result, &n) != 0 || result == NULL) {
    g_autofree char *why = messages_text ();
    g_set_error (error, VIZ_ERROR, VIZ_ERROR_RENDER,
                 "Graphviz cannot write %s here: its renderer plugin is missing or not "
                 "registered (install libgvc6 with its cairo/pango plugin, then run "
                 "'dot -c' as root)%s", format, why);
  } else {
    *data = g_memdup2 (result, n);
    *len = n;
    ok = TRUE;
  }
  if (result != NULL)
    gvFreeRenderData (result);
  gvFreeLayout (gvc, g);
  agclose (g);
out:
  gvFreeContext (gvc);
  agseterr (old_level);
  agseterrf (old_hook);
  g_string_free (gv_messages, TRUE);
  gv_messages = NULL;
  return ok;
}

gboolean
viz_render_file (const char *dot, const char *format, const char *file,
                 guint max_png_px, gboolean *scaled, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!viz_render_data (dot, format, max_png_px, scaled, &data, &len, error))
    return FALSE;
  return viz_write_file (file, data, len, error);
}

gboolean
viz_write_file (const char *target, const char *data, gsize len, GError **error)
{
  struct stat st;
  if (stat (target, &st) == 0 && !S_ISREG (st.st_mode)) {
    FILE *f = fopen (target, "w");
    gboolean ok = f != NULL && fwrite (data, 1, len, f) == len;
    int e = errno;
    if (f != NULL && fclose (f) != 0 && ok) {
      ok = FALSE;
      e = errno;
    }
    if (!ok)
      g_set_error (error, VIZ_ERROR, VIZ_ERROR_IO, "cannot write %s: %s", target, g_strerror (e));
    return ok;
  }
  GError *e = NULL;
  if (!g_file_set_contents (target, data, (gssize) len, &e)) {
    g_set_error (error, VIZ_ERROR, VIZ_ERROR_IO, "cannot write %s: %s", target, e->message);
    g_error_free (e);
    return FALSE;
  }
  return TRUE;
}
