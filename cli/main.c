/* main.c: the dsim command: finds the subcommand and runs it. */
#include "checkers/edn.h"
#include "cli/cli.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const DsimCommand commands[] = {
  { "run", "SCENARIO [options]", "simulate a scenario file, check its history", cmd_run_main },
  { "fuzz", "SCENARIO [options]", "many runs with random faults; shrink each failure",
    cmd_fuzz_main },
  { "explore", "SCENARIO [options]", "model-check a scenario: every run within bounds",
    cmd_explore_main },
  { "check", "HISTORY... [options]", "check histories against consistency models", cmd_check_main },
  { "models", "", "consistency models, one line each, with an example", cmd_models_main },
  { "trace", "TRACE -o FILE [options]", "space-time diagram or ShiViz log of a trace",
    cmd_trace_main },
  { "list", "[PROTOCOL]", "protocols, their knobs and seeded bugs", cmd_list_main },
};

/* The message with every long run between two quotes (what the command
 * line gave: a flag's value, an option, a name) quoted by its start and
 * length (chk_quote_token), as the scenario and history messages quote a
 * long token, and the whole cut at 4 KB should a value full of quotes
 * still make it long: a value of megabytes makes no message of megabytes. */
static char *
shorten_quoted (const char *msg)
{
  GString *out = g_string_new (NULL);
  const char *p = msg;
  for (const char *open; (open = strchr (p, '\'')) != NULL;) {
    const char *close = strchr (open + 1, '\'');
    if (close == NULL)
      break;
    g_string_append_len (out, p, open - p);
    g_autofree char *run = g_strndup (open + 1, (gsize) (close - open - 1));
    g_autofree char *quoted = chk_quote_token (run);
    g_string_append (out, quoted);
    p = close + 1;
  }
  g_string_append (out, p);
  if (out->len > 4096) {
    gsize len = out->len;
    g_string_truncate (out, 4000);
    g_string_append_printf (out, "... (%" G_GSIZE_FORMAT " bytes)", len);
  }
  return g_string_free (out, FALSE);
}

int
cli_usage_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *full = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autofree char *msg = shorten_quoted (full);
  fprintf (stderr, "dsim: %s\n", msg);
  return DSIM_EXIT_USAGE;
}

static void
print_help (FILE *out)
{
  fprintf (out,
           "usage: dsim COMMAND [ARGS...]\n"
           "\n"
           "dsim is a deterministic distributed-systems simulator, fuzzer, model\n"
           "checker and consistency checker.  Same binary, scenario and seed: the\n"
           "same run, byte for byte.\n"
           "\n"
           "commands:\n");
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %-28s %s\n", commands[i].name, commands[i].args,
             commands[i].summary);
  fprintf (out,
           "\n"
           "Run 'dsim COMMAND --help' for the options of one command.\n"
           "\n"
           "exit codes: 0 ok, 1 violation found, 2 bad input or usage,\n"
           "            3 unknown (a limit was reached before a verdict)\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "C");
  if (argc < 2) {
    print_help (stderr);
    return DSIM_EXIT_USAGE;
  }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0) {
    print_help (stdout);
    return DSIM_EXIT_OK;
  }
  if (strcmp (argv[1], "--version") == 0) {
    printf ("dsim %s\n", DSIM_VERSION);
    return DSIM_EXIT_OK;
  }
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].main (argc - 1, argv + 1);
  cli_usage_error ("unknown command '%s'", argv[1]);
  print_help (stderr);
  return DSIM_EXIT_USAGE;
}
