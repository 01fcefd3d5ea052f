/* spacetime.h: the space-time (Lamport) diagram of a run, as DOT text.
 *
 * One horizontal lane per process (nodes, then clients), time running left
 * to right, one arrow per message from its send to its receive.  dsim
 * computes every coordinate itself and pins it (pos="x,y!"), so Graphviz only
 * draws: render with the nop2 layout (viz/render.h, or `neato -n2`).
 *
 * What is drawn:
 *   - messages: blue between nodes, green to and from clients, labelled with
 *     the message text where there is room; a dropped message ends in a red
 *     cross; a duplicated delivery is a dashed purple arrow marked "dup";
 *     an arrow that leaves the drawn window ends (or starts) dashed at its
 *     edge;
 *   - timeouts (orange diamonds), crashes (red squares, then a red shaded
 *     span until the restart, a green triangle), pauses (grey span),
 *     partitions (a yellow band across all lanes, from the partition to the
 *     heal, labelled with the groups), role changes (bold blue text), client
 *     invocations and completions (labelled), protocol notes (grey text);
 *   - a time axis, a title, notes saying what was left out, and a legend of
 *     the marks that appear.
 *
 * Virtual time keeps proportions, except that idle stretches longer than a
 * few message delays are cut short and marked on the axis ("≈ +1.2 s").
 * Logical time places each event at its Lamport time.
 *
 * The text depends only on the model and the options: the same run gives
 * the same bytes. */
#pragma once

#include "viz/model.h"

typedef enum {
  VIZ_TIME_VIRTUAL, /* by virtual time */
  VIZ_TIME_LOGICAL, /* by Lamport time */
} VizTimeAxis;

typedef struct {
  VizTimeAxis axis;
  int64_t from_us;          /* first time drawn (G_MININT64: the start) */
  int64_t to_us;            /* last time drawn, inclusive (G_MAXINT64: the end) */
  const char *const *nodes; /* names of the processes to draw, NULL-terminated
                               (NULL: all) */
  guint max_events;         /* draw at most this many events (0: all) */
} VizSpacetimeOptions;

/* The events a diagram draws by default: Graphviz took minutes and more
 * than 2 GB for the 671,813 events of a 500 MB trace, and aborted. */
#define VIZ_DEFAULT_MAX_EVENTS 100000

/* Every event up to VIZ_DEFAULT_MAX_EVENTS, by virtual time. */
void viz_spacetime_options_init (VizSpacetimeOptions *opt);

/* The diagram of m (whose clocks viz_model_compute_clocks has set) as DOT
 * text.  An option naming a process m does not have: NULL and an error. */
char *viz_spacetime_dot (const VizModel *m, const VizSpacetimeOptions *opt,
                         GError **error);

#define VIZ_ERROR (viz_error_quark ())
GQuark viz_error_quark (void);
typedef enum {
  VIZ_ERROR_INPUT,  /* bad option or input */
  VIZ_ERROR_RENDER, /* Graphviz could not render */
  VIZ_ERROR_IO,
} VizError;
