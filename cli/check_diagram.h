/* check_diagram.h: `dsim check --diagram FILE`: draws one checked history
 * as a timeline (one lane per process, one bar per operation from
 * invocation to completion), marking report->culprit, numbering the
 * operations of report->order (the linearization, or the longest
 * linearizable prefix) in order, and shading report->concurrent.  The
 * format follows FILE's extension (.svg, .png, .dot). */
#pragma once

#include "checkers/check.h"

/* FALSE until the drawing is built in: `--diagram` is then refused. */
gboolean cli_check_diagram_available (void);

gboolean cli_check_diagram_write (const char *path, const ChkHistory *h, const GArray *ops,
                                  const ChkReport *report, GError **error);
