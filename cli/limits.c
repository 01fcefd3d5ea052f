/* limits.c: the sizes and counts the subcommands take as limits. */
#include "cli/cli.h"

#include <errno.h>
#include <string.h>

gboolean
cli_parse_size (const char *text, gsize *out)
{
  if (text == NULL || !g_ascii_isdigit (text[0]))
    return FALSE; /* no sign, no blank: "-1" must not become 2^64-1 */
  char *end = NULL;
  errno = 0;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  if (end == text || errno == ERANGE)
    return FALSE;
  guint64 unit = 1;
  if (*end == 'K' || *end == 'k')
    unit = (guint64) 1 << 10;
  else if (*end == 'M' || *end == 'm')
    unit = (guint64) 1 << 20;
  else if (*end == 'G' || *end == 'g')
    unit = (guint64) 1 << 30;
  else if (*end == 'T' || *end == 't')
    unit = (guint64) 1 << 40;
  else if (*end != '\0' && strcmp (end, "B") != 0)
    return FALSE;
  if (unit > 1 && end[1] != '\0' && strcmp (end + 1, "B") != 0 && strcmp (end + 1, "iB") != 0)
    return FALSE;
  if (n > G_MAXSIZE / unit)
    return FALSE; /* 17179869185G does not wrap to 1G */
  *out = (gsize) (n * unit);
  return TRUE;
}
