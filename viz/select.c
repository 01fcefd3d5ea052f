/* select.c: lanes and events shown by a drawing. */
#include "viz/select.h"

#include <string.h>

static gboolean
select_lanes (VizSelection *s, const VizModel *m, const char *const *nodes, GError **error)
{
  guint np = viz_model_n_processes (m);
  s->lane_of = g_new (int, np + 1);
  for (guint p = 0; p < np; p++)
    s->lane_of[p] = nodes == NULL ? (int) p : -1;
  if (nodes != NULL) {
    for (const char *const *n = nodes; *n; n++) {
      int p = viz_model_find_process (m, *n);
      if (p < 0) {
        g_autoptr (GString) known = g_string_new (NULL);
        for (guint i = 0; i < np; i++)
          g_string_append_printf (known, "%s%s", i ? " " : "", viz_model_process (m, i)->name);
        g_set_error (error, VIZ_ERROR, VIZ_ERROR_INPUT,
                     "no process called '%s' in this run (it has: %s)", *n, known->str);
        return FALSE;
      }
      s->lane_of[p] = 0;
    }
    int lane = 0; /* the model's order, whatever order the names came in */
    for (guint p = 0; p < np; p++)
      if (s->lane_of[p] >= 0)
        s->lane_of[p] = lane++;
  }
  for (guint p = 0; p < np; p++)
    if (s->lane_of[p] >= 0)
      s->n_lanes++;
  return TRUE;
}

gboolean
viz_selection_init (VizSelection *s, const VizModel *m, const VizSpacetimeOptions *opt,
                    GError **error)
{
  memset (s, 0, sizeof *s);
  if (!select_lanes (s, m, opt->nodes, error)) {
    viz_selection_clear (s);
    return FALSE;
  }
  guint ne = viz_model_n_events (m);
  s->drawn = g_new0 (gboolean, ne + 1);
  guint i = 0;
  while (i < ne && viz_model_event (m, i)->time_us < opt->from_us)
    i++;
  s->first = i;
  s->stop = ne;
  for (; i < ne; i++) {
    const VizEvent *e = viz_model_event (m, i);
    if (e->time_us > opt->to_us) {
      if (s->n_cut == 0)
        s->stop = i;
      break;
    }
    if (e->process >= 0 && s->lane_of[e->process] < 0)
      continue;
    s->n_in_window++;
    if (opt->max_events > 0 && s->n_drawn == opt->max_events) {
      if (s->n_cut == 0) {
        s->stop = i;
        s->cut_from_us = e->time_us;
      }
      s->n_cut++;
      continue;
    }
    s->drawn[i] = TRUE;
    s->n_drawn++;
  }
  return TRUE;
}

void
viz_selection_clear (VizSelection *s)
{
  g_free (s->lane_of);
  g_free (s->drawn);
  memset (s, 0, sizeof *s);
}
