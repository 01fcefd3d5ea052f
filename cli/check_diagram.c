/* check_diagram.c: the `dsim check --diagram FILE` seam: a timeline of the
 * history with the report's culprit, linearization order and concurrent
 * operations.  The drawing belongs to viz/; until it is wired in here,
 * cli_check_diagram_available says no and `--diagram` is refused. */
#include "cli/check_diagram.h"

gboolean
cli_check_diagram_available (void)
{
  return FALSE;
}

gboolean
cli_check_diagram_write (const char *path, const ChkHistory *h, const GArray *ops,
                         const ChkReport *report, GError **error)
{
  g_set_error (error, CHK_ERROR, CHK_ERROR_IO,
               "cannot draw %s: history diagrams are not available in this build", path);
  return FALSE;
}
