/* shiviz.h: a run as a ShiViz log, to explore it in that viewer.
 *
 * The file follows ShiViz's upload format: the first line is the regular
 * expression that parses one event, the second the delimiter between
 * executions, then the log: one delimiter line naming the run, and one line
 * per event:
 *   n1 {"n1":3,"n2":1} 1200 recv AppendEntries(term=2) from n2
 *   host, vector clock (JSON, zero entries left out), virtual time in
 *   microseconds, what happened.
 * The clocks are computed over the events written (each event ticks its own
 * host by one, a receive first merges its send's clock), so every host's
 * first event has its own entry at 1 and each next one adds exactly 1, as
 * ShiViz requires.  Partitions and heals, which belong to no host, are left
 * out.  The options select lanes, window and event cap as for a diagram. */
#pragma once

#include "viz/spacetime.h"

/* The regular expression of the first line (ShiViz's named groups). */
#define VIZ_SHIVIZ_REGEX "(?<host>\\S+) (?<clock>\\{[^}]*\\}) (?<time>\\d+) (?<event>.*)"
/* The delimiter of the second line. */
#define VIZ_SHIVIZ_DELIMITER "=== (?<trace>.*) ==="

/* The longest log written: a longer one is VIZ_ERROR_INPUT. */
#define VIZ_SHIVIZ_MAX_TEXT ((gsize) 256 << 20)

char *viz_shiviz_log (const VizModel *m, const VizSpacetimeOptions *opt, GError **error);
