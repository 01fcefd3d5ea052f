/* cmd_run.c: `dsim run SCENARIO`: one simulated run, its summary, the
 * checks of its history, and (with --out) its files.
 *
 * Everything printed on stdout depends only on the binary, the scenario and
 * the seed: no wall-clock time, no addresses.  Progress goes to stderr, and
 * only when stderr is a terminal. */
#include "cli/cli.h"
#include "cli/run_checks.h"
#include "sim/explore.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "viz/render.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char run_help[] =
  "usage: dsim run SCENARIO... [--seed N] [--out DIR] [--trace FILE] [--history FILE]\n"
  "                [--diagram svg|png|pdf|dot] [--quiet]\n"
  "\n"
  "Runs the scenario file SCENARIO (see README, \"Scenario files\") once: the\n"
  "protocol's nodes, the clients' workload, the network and the fault schedule,\n"
  "in virtual time.  Prints seed=N first, then a summary: virtual time, events,\n"
  "messages, client operations, the protocol's invariants, the coverage marks\n"
  "reached, the consistency checks of [check] models on the recorded history,\n"
  "and whether that is what the scenario's `expect` says.  The same binary,\n"
  "scenario and seed give the same output, history and trace, byte for byte.\n"
  "A scenario with a [replay] section (as `dsim explore` writes a path) applies\n"
  "those choices in order instead of picking them by time.\n"
  "\n"
  "options:\n"
  "  --seed N        run with seed N instead of the scenario's seed\n"
  "                  (an unsigned 64-bit integer)\n"
  "  --out DIR       write DIR/history.jsonl, DIR/trace.jsonl and DIR/summary.txt\n"
  "                  (DIR is created if needed)\n"
  "  --trace FILE    write the trace (JSON Lines) to FILE\n"
  "  --history FILE  write the history (JSON Lines) to FILE\n"
  "  --diagram F     draw the run's space-time diagram as F (svg, png, pdf or\n"
  "                  dot) next to the history: DIR/diagram.F with --out DIR;\n"
  "                  with --out and no --diagram, a violation still writes\n"
  "                  DIR/diagram.svg (see README, \"Diagrams\")\n"
  "  --max-events N  stop the run after N events (default 1000000000)\n"
  "  --max-memory S  stop the run when the world holds more than S (queue,\n"
  "                  messages in flight, history; counted, not measured),\n"
  "                  e.g. 512M, 4G (default 4G; at most a quarter of what a\n"
  "                  ulimit -v leaves free)\n"
  "                  A run stopped by a limit is `unknown` (exit 3), with the\n"
  "                  reason on its `limit` line; its history is not checked\n"
  "  --quiet, -q     print only the seed line and the outcome line\n"
  "  --help, -h      this text\n"
  "\n"
  "outcome and exit code:\n"
  "  pass       0  every invariant held and every model checked holds\n"
  "  violation  1  an invariant broke, or the history violates a model\n"
  "  bad input  2  bad arguments or a malformed scenario (the message names\n"
  "                the file, line and key); nothing is run\n"
  "  unknown    3  a check could not decide (or its checker is not built), or\n"
  "                a limit (--max-events, --max-memory) stopped the run\n"
  "The exit code reports what happened, whatever `expect` says; the summary's\n"
  "`expected` line says whether it matches.\n"
  "\n"
  "several scenarios (dsim run scenarios/raft/*.scn):\n"
  "  Every file is read first; if one is malformed nothing is run (exit 2).\n"
  "  Then each runs in turn with its summary, and a closing table lists each\n"
  "  scenario's outcome and whether it matches its `expect`.  --seed applies to\n"
  "  all; --out DIR writes each run into DIR/NAME/ (NAME: the file name without\n"
  "  .scn); --trace and --history take one run only.  The exit code is 1 if\n"
  "  any run found a violation, else 3 if any was undecided, else 0.\n";

typedef struct {
  GPtrArray *scenarios; /* const char *, borrowed from argv */
  gboolean has_seed;
  uint64_t seed;
  const char *out_dir;
  const char *trace_path;
  const char *history_path;
  const char *diagram;
  gboolean quiet;
  uint64_t max_events;
  uint64_t max_memory_bytes;
} RunArgs;

#define RUN_MAX_EVENTS_DEFAULT 1000000000u
#define RUN_MAX_MEMORY_DEFAULT ((uint64_t) 4 << 30)

/* The file name without its folder and without .scn: the folder name of a
 * run under --out when several scenarios run. */
static char *
scenario_stem (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  if (g_str_has_suffix (base, ".scn"))
    base[strlen (base) - 4] = '\0';
  return g_strdup (base);
}

/* Returns -1 when the arguments are fine, else the exit code. */
static int
parse_args (int argc, char **argv, RunArgs *a)
{
  GPtrArray *scenarios = a->scenarios;
  memset (a, 0, sizeof *a);
  a->scenarios = scenarios;
  a->max_events = RUN_MAX_EVENTS_DEFAULT;
  a->max_memory_bytes = RUN_MAX_MEMORY_DEFAULT;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *eq = strchr (arg, '=');
    g_autofree char *name = eq != NULL && g_str_has_prefix (arg, "--")
                              ? g_strndup (arg, (gsize) (eq - arg)) : g_strdup (arg);
    const char **target = NULL;
    if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0) {
      fputs (run_help, stdout);
      return DSIM_EXIT_OK;
    } else if (strcmp (name, "--quiet") == 0 || strcmp (name, "-q") == 0) {
      if (strcmp (name, arg) != 0)
        return cli_usage_error ("run: %s takes no value, got '%s'", name, arg);
      a->quiet = TRUE;
      continue;
    } else if (strcmp (name, "--out") == 0) {
      target = &a->out_dir;
    } else if (strcmp (name, "--trace") == 0) {
      target = &a->trace_path;
    } else if (strcmp (name, "--history") == 0) {
      target = &a->history_path;
    } else if (strcmp (name, "--diagram") == 0) {
      target = &a->diagram;
    } else if (strcmp (name, "--seed") != 0 && strcmp (name, "--max-events") != 0
               && strcmp (name, "--max-memory") != 0) {
      if (arg[0] == '-' && arg[1] != '\0')
        return cli_usage_error ("run: unknown option '%s' (see dsim run --help)", arg);
      g_ptr_array_add (a->scenarios, (gpointer) arg);
      continue;
    }
    const char *value = eq != NULL && g_str_has_prefix (arg, "--") ? eq + 1 : NULL;
    if (value == NULL) {
      if (i + 1 >= argc)
        return cli_usage_error ("run: %s needs a value (see dsim run --help)", name);
      value = argv[++i];
    }
    if (target != NULL) {
      if (value[0] == '\0')
        return cli_usage_error ("run: %s needs a non-empty value", name);
      *target = value;
      continue;
    }
    if (strcmp (name, "--max-memory") == 0) {
      gsize bytes = 0;
      if (!cli_parse_size (value, &bytes) || bytes == 0)
        return cli_usage_error ("run: --max-memory: expected a positive size such as 512M "
                                "or 4G (at most 16777215T), got '%s'", value);
      a->max_memory_bytes = bytes;
      continue;
    }
    if (strcmp (name, "--max-events") == 0) {
      guint64 n = 0;
      if (!g_ascii_isdigit (value[0])
          || !g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT64, &n, NULL))
        return cli_usage_error ("run: --max-events: expected a positive number of events, "
                                "got '%s'", value);
      a->max_events = n;
      continue;
    }
    char *end = NULL;
    errno = 0;
    guint64 seed = g_ascii_strtoull (value, &end, 10);
    if (!g_ascii_isdigit (value[0]) || *end != '\0' || errno != 0)
      return cli_usage_error ("run: --seed: expected an unsigned 64-bit integer, got '%s'",
                              value);
    a->has_seed = TRUE;
    a->seed = seed;
  }
  if (a->scenarios->len == 0)
    return cli_usage_error ("run: expected a scenario file (usage: dsim run SCENARIO... "
                            "[options]; see dsim run --help)");
  if (a->scenarios->len > 1 && a->out_dir != NULL) {
    /* Each run goes to DIR/NAME/: two files named alike must not share it. */
    for (guint i = 0; i < a->scenarios->len; i++)
      for (guint j = 0; j < i; j++) {
        g_autofree char *si = scenario_stem (a->scenarios->pdata[i]);
        g_autofree char *sj = scenario_stem (a->scenarios->pdata[j]);
        if (strcmp (si, sj) == 0)
          return cli_usage_error ("run: --out: %s and %s would both be written to %s/%s/; "
                                  "rename one, or run them with separate --out folders",
                                  (const char *) a->scenarios->pdata[j],
                                  (const char *) a->scenarios->pdata[i], a->out_dir, si);
      }
  }
  if (a->scenarios->len > 1 && (a->trace_path != NULL || a->history_path != NULL))
    return cli_usage_error ("run: --trace and --history take one scenario; with %u scenarios "
                            "use --out DIR (each run is written to DIR/NAME/)",
                            a->scenarios->len);
  if (a->diagram != NULL && !viz_format_is_known (a->diagram))
    return cli_usage_error ("run: --diagram: expected svg, png, pdf or dot, got '%s'",
                            a->diagram);
  if (a->diagram != NULL && a->out_dir == NULL)
    return cli_usage_error ("run: --diagram needs --out DIR (the diagram is written there, "
                            "next to the history and the trace)");
  return -1;
}

static FILE *
open_output (const char *path, GError **error)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: cannot write: %s",
                 path, g_strerror (errno));
  return f;
}

static void
append_seconds (GString *out, int64_t us)
{
  g_string_append_printf (out, "%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT "s", us / 1000000,
                          us % 1000000);
}

/* Steps the world to the end; shows progress on a terminal. */
static void
run_world (SimWorld *w, const SimConfig *cfg)
{
  gboolean show = isatty (STDERR_FILENO);
  uint64_t n = 0;
  while (sim_world_step (w)) {
    if (show && (++n & 0xffff) == 0) {
      g_autoptr (GString) line = g_string_new ("\rdsim run: virtual time ");
      append_seconds (line, sim_world_stats (w)->now_us);
      g_string_append (line, " of ");
      append_seconds (line, cfg->duration_us);
      g_string_append_printf (line, ", %" G_GUINT64_FORMAT " events ", sim_world_stats (w)->events);
      fputs (line->str, stderr);
      fflush (stderr);
    }
  }
  if (show && n >= 0x10000)
    fputs ("\r\033[K", stderr);
  sim_world_finish (w);
}

static void
append_summary (GString *s, const SimWorld *w, const SimConfig *cfg)
{
  const SimStats *st = sim_world_stats (w);
  g_string_append_printf (s, "scenario     %s (%s)\n", cfg->name, cfg->path);
  if (cfg->description[0] != '\0')
    g_string_append_printf (s, "             %s\n", cfg->description);
  g_string_append_printf (s, "cluster      %s, %d nodes, %d clients\n", cfg->proto->name,
                          cfg->n_nodes, cfg->workload.n_clients);
  g_string_append (s, "virtual time ");
  append_seconds (s, st->now_us);
  g_string_append_printf (s, ", %" G_GUINT64_FORMAT " events\n", st->events);
  g_string_append_printf (s, "messages     sent %" G_GUINT64_FORMAT ", delivered %"
                          G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT ", duplicated %"
                          G_GUINT64_FORMAT, st->msgs_sent, st->msgs_delivered,
                          st->msgs_dropped, st->msgs_duplicated);
  if (st->msgs_corrupted > 0)
    g_string_append_printf (s, ", corrupted %" G_GUINT64_FORMAT, st->msgs_corrupted);
  g_string_append_c (s, '\n');
  g_string_append_printf (s, "operations   invoked %" G_GUINT64_FORMAT ": ok %" G_GUINT64_FORMAT
                          ", fail %" G_GUINT64_FORMAT ", info %" G_GUINT64_FORMAT
                          " (retries %" G_GUINT64_FORMAT ")\n", st->ops_invoked, st->ops_ok,
                          st->ops_fail, st->ops_info, st->retries);
  g_string_append_printf (s, "faults       %u scheduled; crashes %" G_GUINT64_FORMAT
                          ", restarts %" G_GUINT64_FORMAT, cfg->faults->len, st->crashes,
                          st->restarts);
  /* Storage faults, when there were any: crashes that lost writes not yet
   * durable (of which torn), and durable images corrupted. */
  if (st->unsynced_crashes > 0 || st->corruptions > 0)
    g_string_append_printf (s, "\n             disk: %" G_GUINT64_FORMAT " crash%s lost unsynced "
                            "writes (%" G_GUINT64_FORMAT " torn), %" G_GUINT64_FORMAT
                            " image%s corrupted", st->unsynced_crashes,
                            st->unsynced_crashes == 1 ? "" : "es", st->torn_writes,
                            st->corruptions, st->corruptions == 1 ? "" : "s");
  g_string_append_c (s, '\n');
  g_string_append (s, "coverage    ");
  guint n_marks = sim_world_n_marks (w);
  if (n_marks == 0)
    g_string_append (s, " (no marks reached)");
  gsize line_start = s->len - strlen ("coverage    ");
  for (guint i = 0; i < n_marks; i++) {
    uint64_t count = 0;
    const char *mark = sim_world_mark (w, i, &count);
    g_autofree char *item = g_strdup_printf (" %s x%" G_GUINT64_FORMAT "%s", mark, count,
                                             i + 1 < n_marks ? "," : "");
    if (s->len - line_start + strlen (item) > 78 && i > 0) {
      g_string_append (s, "\n            ");
      line_start = s->len - strlen ("            ");
    }
    g_string_append (s, item);
  }
  g_string_append_c (s, '\n');
}

/* Indents every line of text after the first by `pad` spaces. */
static void
append_indented (GString *s, const char *text, const char *pad)
{
  for (const char *c = text; *c != '\0'; c++) {
    g_string_append_c (s, *c);
    if (*c == '\n' && c[1] != '\0')
      g_string_append (s, pad);
  }
  if (s->len > 0 && s->str[s->len - 1] != '\n')
    g_string_append_c (s, '\n');
}

static const char *
outcome_name (RunOutcome o)
{
  switch (o) {
  case RUN_PASS: return "pass";
  case RUN_VIOLATION: return "violation";
  case RUN_UNKNOWN: return "unknown";
  }
  return "?";
}

/* The `expected` line: does what happened match the scenario's expect? */
static const char *
append_expectation (GString *s, const SimConfig *cfg, RunOutcome outcome,
                    const RunChecks *checks, gboolean invariant_broke)
{
  g_autoptr (GString) want = g_string_new (NULL);
  sim_scenario_format_expect (cfg, want);
  const char *verdict;
  if (cfg->expect == SIM_EXPECT_ANY)
    verdict = "nothing to compare";
  else if (cfg->expect == SIM_EXPECT_PASS)
    verdict = outcome == RUN_PASS ? "as expected"
              : outcome == RUN_UNKNOWN ? "undecided" : "UNEXPECTED";
  else if (cfg->expect_what == NULL)
    verdict = outcome == RUN_VIOLATION ? "as expected"
              : outcome == RUN_UNKNOWN ? "undecided" : "UNEXPECTED";
  else if (g_str_has_prefix (cfg->expect_what, "invariant")) {
    const char *name = cfg->expect_what[9] == ':' ? cfg->expect_what + 10 : NULL;
    const char *why = invariant_broke ? run_invariant_failure (checks) : NULL;
    verdict = why != NULL && (name == NULL || g_str_has_prefix (why, name))
                ? "as expected" : "UNEXPECTED";
  } else {
    RunModelVerdict v = run_checks_verdict (checks, cfg->expect_what);
    verdict = v == RUN_MODEL_VIOLATED ? "as expected"
              : v == RUN_MODEL_UNDECIDED ? "undecided" : "UNEXPECTED";
  }
  g_string_append_printf (s, "expected     %s: %s\n", want->str, verdict);
  return verdict;
}

/* One scenario: runs it, prints its summary, writes its files.  Returns its
 * exit code; *outcome and *expected say what happened and whether it
 * matches the scenario's expect. */
static int
run_one (const RunArgs *args, const SimConfig *cfg, const char *out_dir, RunOutcome *outcome_out,
         const char **expected_out)
{
  RunArgs a = *args;
  a.out_dir = out_dir;
  g_autoptr (GError) error = NULL;
  uint64_t seed = a.has_seed ? a.seed : cfg->seed;
  *outcome_out = RUN_UNKNOWN;
  *expected_out = "undecided";

  g_autofree char *trace_path = g_strdup (a.trace_path);
  g_autofree char *history_path = g_strdup (a.history_path);
  g_autofree char *summary_path = NULL;
  if (a.out_dir != NULL) {
    if (g_mkdir_with_parents (a.out_dir, 0777) != 0)
      return cli_usage_error ("run: --out: cannot create directory %s: %s", a.out_dir,
                              g_strerror (errno));
    if (trace_path == NULL)
      trace_path = g_build_filename (a.out_dir, "trace.jsonl", NULL);
    if (history_path == NULL)
      history_path = g_build_filename (a.out_dir, "history.jsonl", NULL);
    summary_path = g_build_filename (a.out_dir, "summary.txt", NULL);
  }

  g_autoptr (GString) out = g_string_new (NULL);
  g_string_append_printf (out, "seed=%" G_GUINT64_FORMAT "\n", seed);
  fputs (out->str, stdout);
  fflush (stdout);

  FILE *trace = NULL;
  if (trace_path != NULL && (trace = open_output (trace_path, &error)) == NULL)
    return cli_usage_error ("run: --trace: %s", error->message);
  /* A [replay] section pins the choices (README, "Model checking"): they
   * are applied in order in the explore model of the scenario. */
  g_autoptr (SimConfig) pinned = NULL;
  if (cfg->replay->len > 0) {
    pinned = sim_config_copy (cfg);
    sim_explore_config_prepare (pinned);
  }
  g_autoptr (SimWorld) w = sim_world_new (pinned != NULL ? pinned : cfg, seed);
  sim_world_set_limits (w, a.max_events, a.max_memory_bytes);
  if (trace != NULL)
    sim_world_set_trace_output (w, trace);
  gboolean replayed = TRUE;
  if (pinned == NULL)
    run_world (w, cfg);
  else if (sim_world_replay (w, &error))
    sim_world_finish (w);
  else
    replayed = FALSE;
  if (trace != NULL) {
    gboolean bad = ferror (trace) != 0;
    int e = errno;
    if (fclose (trace) != 0 && !bad) {
      bad = TRUE;
      e = errno;
    }
    if (bad && replayed)
      return cli_usage_error ("run: --trace: %s: cannot write: %s", trace_path,
                              g_strerror (e));
  }
  if (!replayed)
    return cli_usage_error ("run: %s", error->message);

  if (history_path != NULL) {
    FILE *hf = open_output (history_path, &error);
    if (hf == NULL)
      return cli_usage_error ("run: --history: %s", error->message);
    gboolean ok = chk_history_write_jsonl (sim_world_history (w), hf, &error);
    if (fclose (hf) != 0 && ok)
      return cli_usage_error ("run: %s: cannot write: %s", history_path, g_strerror (errno));
    if (!ok)
      return cli_usage_error ("run: %s: %s", history_path, error->message);
  }

  g_autoptr (GString) body = g_string_new (NULL);
  append_summary (body, w, cfg);
  const char *failure = sim_world_invariant_failure (w);
  g_string_append (body, "invariants   ");
  if (failure == NULL)
    g_string_append (body, "hold\n");
  else {
    g_string_append (body, "BROKEN: ");
    append_indented (body, failure, "               ");
  }
  /* A run a limit stopped has no verdict: its history is a prefix cut
   * where the limit fell, and may be too large to check. */
  const char *limit = sim_world_limit_reason (w);
  if (limit != NULL) {
    g_string_append (body, "limit        STOPPED: ");
    g_autofree char *text = g_strdup_printf ("%s; the history was not checked", limit);
    cli_append_wrapped (body, text, 13);
    g_string_append_c (body, '\n');
  }
  g_autoptr (RunChecks) checks = run_checks_new (sim_world_history (w),
                                                 limit != NULL ? NULL
                                                 : (const char *const *) cfg->check_models,
                                                 failure);
  run_checks_append (checks, body);
  RunOutcome outcome = run_checks_outcome (checks);
  if (limit != NULL && outcome == RUN_PASS)
    outcome = RUN_UNKNOWN;
  *outcome_out = outcome;
  *expected_out = append_expectation (body, cfg, outcome, checks, failure != NULL);
  g_autoptr (GString) tail = g_string_new (NULL);
  g_string_append_printf (tail, "outcome      %s\n", outcome_name (outcome));
  gboolean output_failed = FALSE;

  /* The diagram: asked for, or on a violation whenever there is an --out. */
  if (a.out_dir != NULL && (a.diagram != NULL || outcome == RUN_VIOLATION)) {
    const char *format = a.diagram != NULL ? a.diagram : "svg";
    g_autofree char *name = g_strdup_printf ("diagram.%s", format);
    g_autofree char *diagram_path = g_build_filename (a.out_dir, name, NULL);
    if (cli_trace_diagram_write (trace_path, format, diagram_path, &error)) {
      g_string_append_printf (body, "diagram      %s\n", diagram_path);
    } else {
      /* The summary is still printed; the exit code says a file is missing. */
      fprintf (stderr, "dsim: run: %s\n", error->message);
      g_string_append_printf (body, "diagram      not written: %s\n", error->message);
      g_clear_error (&error);
      output_failed = TRUE;
    }
  }

  if (!a.quiet)
    fputs (body->str, stdout);
  fputs (tail->str, stdout);
  fflush (stdout);
  if (summary_path != NULL) {
    g_autoptr (GString) all = g_string_new (out->str);
    g_string_append (all, body->str);
    g_string_append (all, tail->str);
    if (!viz_write_file (summary_path, all->str, all->len, &error))
      return cli_usage_error ("run: %s", error->message);
  }
  if (output_failed)
    return DSIM_EXIT_USAGE;
  switch (outcome) {
  case RUN_PASS: return DSIM_EXIT_OK;
  case RUN_VIOLATION: return DSIM_EXIT_VIOLATION;
  case RUN_UNKNOWN: return DSIM_EXIT_UNKNOWN;
  }
  return DSIM_EXIT_UNKNOWN;
}

int
cmd_run_main (int argc, char **argv)
{
  RunArgs a = { 0 };
  g_autoptr (GPtrArray) scenarios = g_ptr_array_new ();
  a.scenarios = scenarios;
  int rc = parse_args (argc, argv, &a);
  if (rc >= 0)
    return rc;
  /* Under a ulimit -v, no more than a quarter of what it leaves free,
   * --max-memory 4G or not: the limit is reached as unknown before an
   * allocation fails. */
  a.max_memory_bytes = MIN (a.max_memory_bytes, cli_default_memory_cap (a.max_memory_bytes));

  /* Read every scenario before running any: a typo in the last file must
   * not be found after minutes of runs. */
  g_autoptr (GPtrArray) configs = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_config_free);
  for (guint i = 0; i < scenarios->len; i++) {
    g_autoptr (GError) error = NULL;
    SimConfig *cfg = sim_scenario_load (scenarios->pdata[i], &error);
    if (cfg == NULL)
      return cli_usage_error ("%s", error->message);
    g_ptr_array_add (configs, cfg);
  }
  if (configs->len == 1) {
    RunOutcome outcome;
    const char *expected;
    return run_one (&a, configs->pdata[0], a.out_dir, &outcome, &expected);
  }

  /* Several scenarios: each in turn, then a table. */
  g_autoptr (GString) table = g_string_new (NULL);
  guint n_violation = 0, n_unknown = 0, n_matched = 0, n_unexpected = 0;
  int width = 0;
  for (guint i = 0; i < scenarios->len; i++)
    width = MAX (width, (int) strlen (scenarios->pdata[i]));
  for (guint i = 0; i < configs->len; i++) {
    const char *path = scenarios->pdata[i];
    g_autofree char *stem = scenario_stem (path);
    g_autofree char *dir = a.out_dir != NULL ? g_build_filename (a.out_dir, stem, NULL) : NULL;
    printf ("%s== %s\n", i > 0 ? "\n" : "", path);
    fflush (stdout);
    RunOutcome outcome;
    const char *expected;
    rc = run_one (&a, configs->pdata[i], dir, &outcome, &expected);
    if (rc == DSIM_EXIT_USAGE)
      return rc;
    n_violation += outcome == RUN_VIOLATION;
    n_unknown += outcome == RUN_UNKNOWN;
    n_matched += strcmp (expected, "as expected") == 0;
    n_unexpected += strcmp (expected, "UNEXPECTED") == 0;
    g_string_append_printf (table, "  %-*s  %-9s  %s\n", width, path, outcome_name (outcome),
                            expected);
  }
  printf ("\n%u scenarios: %u pass, %u violation, %u unknown; %u as expected, %u UNEXPECTED\n"
          "%s", configs->len, configs->len - n_violation - n_unknown, n_violation, n_unknown,
          n_matched, n_unexpected, table->str);
  fflush (stdout);
  return n_violation > 0 ? DSIM_EXIT_VIOLATION : n_unknown > 0 ? DSIM_EXIT_UNKNOWN : DSIM_EXIT_OK;
}
