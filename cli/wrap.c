/* wrap.c: word wrapping for the text the subcommands print. */
#include "cli/cli.h"

#include <string.h>

/* Appends text word-wrapped at 78 columns; its own line breaks are kept and
 * every continuation line is indented by `indent` spaces. */
void
cli_append_wrapped (GString *out, const char *text, int indent)
{
  const char *nl = strrchr (out->str, '\n');
  gsize line_start = nl != NULL ? (gsize) (nl - out->str) + 1 : 0;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int l = 0; lines[l] != NULL; l++) {
    if (l > 0) {
      g_string_append_c (out, '\n');
      line_start = out->len;
      g_string_append_printf (out, "%*s", indent, "");
    }
    g_auto (GStrv) words = g_strsplit (lines[l], " ", -1);
    gboolean first = TRUE;
    for (int i = 0; words[i] != NULL; i++) {
      if (words[i][0] == '\0')
        continue;
      if (!first && out->len - line_start + 1 + strlen (words[i]) > 78) {
        g_string_append_c (out, '\n');
        line_start = out->len;
        g_string_append_printf (out, "%*s", indent, "");
      } else if (!first) {
        g_string_append_c (out, ' ');
      }
      g_string_append (out, words[i]);
      first = FALSE;
    }
  }
}
