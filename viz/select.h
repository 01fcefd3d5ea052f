/* select.h: which lanes and events a drawing shows (internal to viz/).
 *
 * Applies VizSpacetimeOptions to a model: the processes named by `nodes`
 * (in model order), the events whose time lies in [from_us, to_us], on a
 * shown process or global, at most max_events of them (the first ones). */
#pragma once

#include "viz/spacetime.h"

typedef struct {
  int *lane_of;         /* process -> lane from 0, -1 if hidden */
  guint n_lanes;
  gboolean *drawn;      /* event -> shown */
  guint first, stop;    /* shown events lie in [first, stop); events before
                           first are before the window, from stop on after */
  guint n_drawn;        /* events shown */
  guint n_in_window;    /* events in the window on shown lanes, cut or not */
  guint n_cut;          /* of those, left out by max_events */
  int64_t cut_from_us;  /* time of the first one left out */
} VizSelection;

/* FALSE with an error if `nodes` names an unknown process. */
gboolean viz_selection_init (VizSelection *s, const VizModel *m,
                             const VizSpacetimeOptions *opt, GError **error);
void viz_selection_clear (VizSelection *s);
