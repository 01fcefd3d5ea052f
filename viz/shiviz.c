/* shiviz.c: the ShiViz log of a run. */
#include "viz/shiviz.h"

#include "viz/dotw.h"
#include "viz/select.h"

/* A host name ShiViz's \S+ group reads back: no white space. */
static char *
host_name (const char *name)
{
  char *h = g_strdup (name);
  for (char *c = h; *c; c++)
    if (g_ascii_isspace (*c) || *c == '"' || *c == '\\')
      *c = '_';
  return h;
}

static void
event_text (const VizModel *m, const VizEvent *e, GString *out)
{
  const VizMessage *msg = e->message >= 0 ? viz_model_message (m, (guint) e->message) : NULL;
  g_string_append (out, viz_event_kind_name (e->kind));
  if (e->label != NULL) {
    g_autofree char *l = viz_text_shorten (e->label, 200);
    g_string_append_printf (out, " %s", l);
  }
  if (msg != NULL && e->kind == VIZ_EV_SEND)
    g_string_append_printf (out, " to %s", viz_model_process (m, (guint) msg->to)->name);
  else if (msg != NULL && e->kind == VIZ_EV_RECV)
    g_string_append_printf (out, " from %s%s", viz_model_process (m, (guint) msg->from)->name,
                            msg->is_duplicate ? " (duplicate)" : "");
  else if (msg != NULL && e->kind == VIZ_EV_DROP)
    g_string_append_printf (out, " (%s -> %s)", viz_model_process (m, (guint) msg->from)->name,
                            viz_model_process (m, (guint) msg->to)->name);
  if (e->role != NULL) {
    g_autofree char *r = viz_text_shorten (e->role, 80);
    g_string_append_printf (out, " [%s]", r);
  }
}

char *
viz_shiviz_log (const VizModel *m, const VizSpacetimeOptions *opt, GError **error)
{
  VizSelection sel;
  if (!viz_selection_init (&sel, m, opt, error))
    return NULL;
  guint np = viz_model_n_processes (m), ne = viz_model_n_events (m);
  for (guint i = 0; i < ne; i++)
    if (sel.drawn[i] && viz_model_event (m, i)->process < 0)
      sel.drawn[i] = FALSE;
  /* One clock of np entries per event, and one per process: refuse what
   * would not fit in 1 GiB rather than abort on the allocation. */
  if (np > 0 && ((gsize) ne + np) > ((gsize) 1 << 28) / np) {
    viz_selection_clear (&sel);
    g_set_error (error, VIZ_ERROR, VIZ_ERROR_INPUT,
                 "the ShiViz log of %u events on %u lanes needs more than 1 GiB of vector "
                 "clocks; draw a window (--from/--to, --max-events) or fewer lanes (--nodes)",
                 ne, np);
    return NULL;
  }
  g_autofree uint32_t *vc = viz_model_vector_clocks (m, sel.drawn);
  g_auto (GStrv) hosts = g_new0 (char *, np + 1);
  for (guint p = 0; p < np; p++)
    hosts[p] = host_name (viz_model_process (m, p)->name);

  GString *out = g_string_sized_new (4096 + 96 * (gsize) sel.n_drawn);
  g_string_append (out, VIZ_SHIVIZ_REGEX "\n" VIZ_SHIVIZ_DELIMITER "\n");
  g_autofree char *title = viz_text_shorten (m->title ? m->title : "run", 120);
  g_string_append_printf (out, "=== %s ===\n", title);
  for (guint i = sel.first; i < sel.stop; i++) {
    if (!sel.drawn[i])
      continue;
    const VizEvent *e = viz_model_event (m, i);
    g_string_append_printf (out, "%s {", hosts[e->process]);
    gboolean first = TRUE;
    for (guint p = 0; p < np; p++) {
      uint32_t c = vc[(gsize) i * np + p];
      if (c == 0)
        continue;
      g_string_append_printf (out, "%s\"%s\":%u", first ? "" : ",", hosts[p], c);
      first = FALSE;
    }
    g_string_append_printf (out, "} %" G_GINT64_FORMAT " ", e->time_us);
    event_text (m, e, out);
    g_string_append_c (out, '\n');
    /* A browser viewer's log: past VIZ_SHIVIZ_MAX_TEXT (a string that
     * doubles as it grows held 2 GiB for a 1 GiB log) it is refused. */
    if (out->len > VIZ_SHIVIZ_MAX_TEXT) {
      viz_selection_clear (&sel);
      g_string_free (out, TRUE);
      g_set_error (error, VIZ_ERROR, VIZ_ERROR_INPUT,
                   "the ShiViz log of %u events on %u lanes is over %u MiB by event %u; draw "
                   "a window (--from/--to, --max-events) or fewer lanes (--nodes)", ne, np,
                   (unsigned) (VIZ_SHIVIZ_MAX_TEXT >> 20), i + 1);
      return NULL;
    }
  }
  viz_selection_clear (&sel);
  return g_string_free (out, FALSE);
}
