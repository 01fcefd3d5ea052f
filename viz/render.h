/* render.h: DOT text with pinned positions to SVG, PNG or PDF, through
 * Graphviz's libgvc and its nop2 layout (positions are taken as given, edges
 * are drawn straight).
 *
 * Graphviz's own warnings are kept off stderr: they are collected and, if
 * rendering fails, returned in the error. */
#pragma once

#include <glib.h>

/* TRUE if format is one viz writes: "svg", "png", "pdf" or "dot". */
gboolean viz_format_is_known (const char *format);

/* Renders dot (DOT text) as format ("svg", "png", "pdf"; "dot" writes the
 * text as it is) into file.  PNGs larger than max_png_px on a side
 * (0: 16000) are scaled down to fit, and *scaled (if not NULL) says so. */
/* Writes len bytes to path.  A regular file (or a new one) is replaced
 * atomically; anything else that exists (a device such as /dev/null or
 * /dev/full, a FIFO) is opened and written in place, never replaced by a
 * regular file.  A short write is an error (VIZ_ERROR_IO, "cannot write
 * PATH: why"). */
gboolean viz_write_file (const char *path, const char *data, gsize len, GError **error);

gboolean viz_render_file (const char *dot, const char *format, const char *file,
                          guint max_png_px, gboolean *scaled, GError **error);

/* The same into memory: *data (g_free) and *len. */
gboolean viz_render_data (const char *dot, const char *format, guint max_png_px,
                          gboolean *scaled, char **data, gsize *len, GError **error);
