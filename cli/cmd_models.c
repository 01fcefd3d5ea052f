/* cmd_models.c: `dsim models`: the consistency models dsim check decides,
 * one line each, with a definition and a history it forbids. */
#include "checkers/consistency.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static void
print_help (void)
{
  printf ("usage: dsim models [--format text|json]\n"
          "\n"
          "Lists the consistency models that `dsim check --model NAME` decides: one\n"
          "line each, with its name, short name, definition and a small history it\n"
          "forbids (process pN, x=nil is the initial value).  The catalog of such\n"
          "histories is in tests/data/consistency/, with the verdict of each under\n"
          "every model in EXPECTED.tsv.\n"
          "\n"
          "How they relate (each implication is tested on random histories):\n"
          "  linearizable => sequential => causal-memory => causal\n"
          "  sequential => causal-convergence => causal\n"
          "  causal-memory <=> session (all four session guarantees at once)\n"
          "  causal-memory => pram <=> read-your-writes + monotonic-reads +\n"
          "                           monotonic-writes (at once, in one view)\n"
          "  eventual is about final reads only and implies none of the others.\n"
          "\n"
          "options:\n"
          "  --format text|json  output format (default text)\n");
}

int
cmd_models_main (int argc, char **argv)
{
  gboolean json = FALSE;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      print_help ();
      return DSIM_EXIT_OK;
    }
    if (strcmp (argv[i], "--format") == 0 && i + 1 < argc) {
      const char *f = argv[++i];
      if (strcmp (f, "json") == 0)
        json = TRUE;
      else if (strcmp (f, "text") != 0)
        return cli_usage_error ("models: --format takes text or json, not '%s'", f);
      continue;
    }
    return cli_usage_error ("models: unexpected argument '%s' (see dsim models --help)", argv[i]);
  }
  g_autoptr (GString) out = g_string_new (NULL);
  for (int m = 0; m < CHK_MODEL__COUNT; m++) {
    if (json) {
      g_string_append (out, "{\"model\":");
      chk_json_string (out, chk_model_name ((ChkModel) m));
      g_string_append (out, ",\"short\":");
      chk_json_string (out, chk_model_short_name ((ChkModel) m));
      g_string_append (out, ",\"definition\":");
      chk_json_string (out, chk_model_definition ((ChkModel) m));
      g_string_append (out, ",\"forbids\":");
      chk_json_string (out, chk_model_example ((ChkModel) m));
      g_string_append_printf (out, ",\"needs_differentiated\":%s}\n",
                              chk_model_needs_differentiated ((ChkModel) m) ? "true" : "false");
    } else {
      const char *lname = chk_model_name ((ChkModel) m), *sname = chk_model_short_name ((ChkModel) m);
      g_autofree char *name = strcmp (lname, sname) == 0 ? g_strdup (lname)
                                                         : g_strdup_printf ("%s (%s)", lname, sname);
      g_string_append_printf (out, "%-28s %s. Forbids: %s.\n", name,
                              chk_model_definition ((ChkModel) m),
                              chk_model_example ((ChkModel) m));
    }
  }
  fputs (out->str, stdout);
  return DSIM_EXIT_OK;
}
