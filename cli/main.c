/* main.c: the dsim command: finds the subcommand and runs it. */
#include "checkers/edn.h"
#include "cli/cli.h"

#include <locale.h>
#include <stdint.h>
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

/* Appends one conversion `spec` of a printf format (without '%s' quotes),
 * taking its arguments (and those of a '*' width or precision) from ap. */
#define APPEND_ARG(out, spec, stars, n_stars, ap, type)                                     \
  do {                                                                                      \
    type arg_ = va_arg (ap, type);                                                          \
    if (n_stars == 0)                                                                       \
      g_string_append_printf (out, spec, arg_);                                             \
    else if (n_stars == 1)                                                                  \
      g_string_append_printf (out, spec, stars[0], arg_);                                   \
    else                                                                                    \
      g_string_append_printf (out, spec, stars[0], stars[1], arg_);                         \
  } while (0)

/* The message of fmt and ap, with every value quoted in it as '%s' (what
 * the command line gave: a flag's value, an option, a name) by its start
 * and length when it is long (chk_quote_token), as the scenario and
 * history messages quote a long token: a value of megabytes makes no
 * message of megabytes. */
static char *
format_quoting_values (const char *fmt, va_list ap)
{
  GString *out = g_string_new (NULL);
  const char *p = fmt;
  while (*p != '\0') {
    if (*p != '%') {
      g_string_append_c (out, *p++);
      continue;
    }
    if (p[1] == '%') {
      g_string_append_c (out, '%');
      p += 2;
      continue;
    }
    if (p[1] == 's' && p > fmt && p[-1] == '\'' && p[2] == '\'') {
      const char *value = va_arg (ap, const char *);
      g_autofree char *quoted = chk_quote_token (value != NULL ? value : "(null)");
      g_string_truncate (out, out->len - 1); /* the quotes are chk_quote_token's */
      g_string_append (out, quoted);
      p += 3;
      continue;
    }
    const char *start = p++;
    int stars[2], n_stars = 0;
    while (*p != '\0' && strchr ("-+ #0'", *p) != NULL)
      p++;
    for (int part = 0; part < 2; part++) { /* the width, then the precision */
      if (part == 1 && *p != '.')
        break;
      if (part == 1)
        p++;
      if (*p == '*') {
        stars[n_stars++] = va_arg (ap, int);
        p++;
      }
      while (g_ascii_isdigit (*p))
        p++;
    }
    int longs = 0;
    gboolean is_size = FALSE, is_max = FALSE, is_ptrdiff = FALSE, is_long_double = FALSE;
    for (;; p++) {
      if (*p == 'l')
        longs++;
      else if (*p == 'z')
        is_size = TRUE;
      else if (*p == 'j')
        is_max = TRUE;
      else if (*p == 't')
        is_ptrdiff = TRUE;
      else if (*p == 'L')
        is_long_double = TRUE;
      else if (*p != 'h')
        break;
    }
    char conversion = *p++;
    g_autofree char *spec = g_strndup (start, (gsize) (p - start));
    switch (conversion) {
    case 'd': case 'i':
      if (is_size || is_ptrdiff)
        APPEND_ARG (out, spec, stars, n_stars, ap, gssize);
      else if (is_max)
        APPEND_ARG (out, spec, stars, n_stars, ap, intmax_t);
      else if (longs >= 2)
        APPEND_ARG (out, spec, stars, n_stars, ap, long long);
      else if (longs == 1)
        APPEND_ARG (out, spec, stars, n_stars, ap, long);
      else
        APPEND_ARG (out, spec, stars, n_stars, ap, int);
      break;
    case 'o': case 'u': case 'x': case 'X':
      if (is_size || is_ptrdiff)
        APPEND_ARG (out, spec, stars, n_stars, ap, gsize);
      else if (is_max)
        APPEND_ARG (out, spec, stars, n_stars, ap, uintmax_t);
      else if (longs >= 2)
        APPEND_ARG (out, spec, stars, n_stars, ap, unsigned long long);
      else if (longs == 1)
        APPEND_ARG (out, spec, stars, n_stars, ap, unsigned long);
      else
        APPEND_ARG (out, spec, stars, n_stars, ap, unsigned int);
      break;
    case 'c':
      APPEND_ARG (out, spec, stars, n_stars, ap, int);
      break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
      if (is_long_double)
        APPEND_ARG (out, spec, stars, n_stars, ap, long double);
      else
        APPEND_ARG (out, spec, stars, n_stars, ap, double);
      break;
    case 's':
      APPEND_ARG (out, spec, stars, n_stars, ap, const char *);
      break;
    case 'p':
      APPEND_ARG (out, spec, stars, n_stars, ap, void *);
      break;
    default: /* the formats are dsim's own, checked by the compiler */
      g_assert_not_reached ();
    }
  }
  return g_string_free (out, FALSE);
}

int
cli_usage_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = format_quoting_values (fmt, ap);
  va_end (ap);
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
