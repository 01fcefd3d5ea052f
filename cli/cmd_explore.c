/* cmd_explore.c: `dsim explore SCENARIO`: the model checker (sim/explore.h).
 *
 * Prints the bounds, the verdict, the search statistics and, on a
 * violation, the path to it; writes the path as a scenario with a [replay]
 * section, with its trace, history and diagram. */
#include "cli/cli.h"
#include "sim/explore.h"
#include "sim/scenario.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char explore_help[] =
  "usage: dsim explore SCENARIO [--strategy bfs|dfs|random-walk] [--depth N]\n"
  "                    [--max-states N] [--drops N] [--duplicates N] [--crashes N]\n"
  "                    [--restarts N] [--timeouts N] [--ops N] [--walks N] [--seed N]\n"
  "                    [--fingerprint 64|128] [--no-deadlock] [--no-por] [--from-replay]\n"
  "                    [--threads N] [--shard I/N] [--max-memory SIZE] [--timeout D]\n"
  "                    [--out DIR] [--quiet]\n"
  "\n"
  "Explores every run of the scenario within bounds: at each state it tries\n"
  "every enabled choice (deliver any message in flight, drop or duplicate it,\n"
  "fire any armed timeout, crash or restart a node, start a client operation)\n"
  "and checks the protocol's invariants in every state, linearizability of\n"
  "the client history whenever an operation completes (if [check] models\n"
  "lists linearizable), and deadlocks (operations pending, nothing enabled).\n"
  "Messages arrive in any order and timeouts fire at any time: the network's\n"
  "latency, loss and duplication settings are replaced by the choices.\n"
  "The bounds come from the scenario's [explore] section (README, \"Model\n"
  "checking\"); these options override them.\n"
  "\n"
  "options:\n"
  "  --strategy S      bfs (default: shortest counterexample), dfs (iterative\n"
  "                    deepening) or random-walk (--walks random paths)\n"
  "  --bfs, --dfs      the same as --strategy bfs, --strategy dfs\n"
  "  --depth N         longest path, in choices after the nodes boot\n"
  "  --max-states N    stop (unknown) after N distinct states; 0: no bound\n"
  "  --drops N, --duplicates N, --crashes N, --restarts N\n"
  "                    how many of each one path may contain\n"
  "  --timeouts N      timeouts one path may fire, of nodes and of clients'\n"
  "                    operations and attempts (0: no bound)\n"
  "  --ops N           operations each client may start\n"
  "  --walks N         random-walk: how many walks (each up to --depth)\n"
  "  --seed N          random-walk: the seed of the walks (default: the scenario's)\n"
  "  --fingerprint B   64 (default) or 128 bits per visited state\n"
  "  --no-deadlock     do not report operations pending with nothing enabled\n"
  "  --no-por, --por   breadth first without (with, the default) partial-order\n"
  "                    reduction: sleep sets over deliveries to different nodes\n"
  "                    (the same states, fewer choices tried)\n"
  "  --from-replay     start every path at the end of the scenario's [replay]\n"
  "                    section (a directed search; the budgets count what follows)\n"
  "  --threads N       worker threads (bfs and random-walk); the states found\n"
  "                    and the counterexample do not depend on N\n"
  "  --shard I/N       explore only shard I of N (1 <= I <= N), for job arrays:\n"
  "                    the first level with at least N states is split\n"
  "  --max-memory SIZE stop (unknown) when the search holds more than SIZE\n"
  "                    (such as 512M, 4G); breadth first keeps the visited\n"
  "                    fingerprints in memory and the rest in temporary files\n"
  "                    under $TMPDIR (or /tmp)\n"
  "  --timeout D       stop (unknown) after D of wall time (such as 30s, 10m);\n"
  "                    the outcome then depends on the machine's speed\n"
  "  --out DIR         where a counterexample goes (default explore-out):\n"
  "                    DIR/path.scn, DIR/trace.jsonl, DIR/history.jsonl,\n"
  "                    DIR/diagram.svg\n"
  "  --quiet, -q       print only the outcome line\n"
  "  --help, -h        this text\n"
  "\n"
  "outcome and exit code:\n"
  "  pass       0  no violation within the bounds\n"
  "  violation  1  a path to a violation, written to DIR/path.scn: `dsim run\n"
  "                DIR/path.scn` replays it\n"
  "  bad input  2  bad arguments or a malformed scenario\n"
  "  unknown    3  a limit (states, memory) was reached first, or random walks\n"
  "                found nothing (they sample, they do not cover)\n"
  "Progress goes to stderr when it is a terminal.\n";

typedef struct {
  const char *scenario;
  const char *out_dir;
  gboolean quiet;
  SimExploreOptions opt;
} ExploreArgs;

static gboolean
parse_uint (const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
  return g_ascii_string_to_unsigned (text, 10, min, max, out, NULL);
}

/* "512M", "4G", "100000K", "123" (bytes). */
static gboolean
parse_size (const char *text, uint64_t *out)
{
  char *end = NULL;
  errno = 0;
  if (!g_ascii_isdigit (text[0]))
    return FALSE;
  guint64 v = g_ascii_strtoull (text, &end, 10);
  if (errno != 0)
    return FALSE;
  int shift = 0;
  if (g_ascii_strcasecmp (end, "K") == 0 || g_ascii_strcasecmp (end, "KB") == 0)
    shift = 10;
  else if (g_ascii_strcasecmp (end, "M") == 0 || g_ascii_strcasecmp (end, "MB") == 0)
    shift = 20;
  else if (g_ascii_strcasecmp (end, "G") == 0 || g_ascii_strcasecmp (end, "GB") == 0)
    shift = 30;
  else if (*end != '\0')
    return FALSE;
  if (v == 0 || v > (G_MAXUINT64 >> shift))
    return FALSE;
  *out = v << shift;
  return TRUE;
}

static int
set_budget (const char *flag, const char *value, int *out)
{
  uint64_t v;
  if (!parse_uint (value, 0, 1000, &v))
    return cli_usage_error ("explore: %s: expected an integer from 0 to 1000, got '%s'", flag,
                            value);
  *out = (int) v;
  return -1;
}

/* Flags on top of the scenario's [explore]; -1 when fine, else the exit code. */
static int
apply_flags (int argc, char **argv, ExploreArgs *a)
{
  SimExploreConfig *b = &a->opt.bounds;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (arg[0] != '-' || arg[1] == '\0')
      continue;
    const char *eq = strchr (arg, '=');
    g_autofree char *name = eq != NULL ? g_strndup (arg, (gsize) (eq - arg)) : g_strdup (arg);
    if (strcmp (name, "--quiet") == 0 || strcmp (name, "-q") == 0 || strcmp (name, "--bfs") == 0
        || strcmp (name, "--dfs") == 0 || strcmp (name, "--no-deadlock") == 0
        || strcmp (name, "--por") == 0 || strcmp (name, "--no-por") == 0
        || strcmp (name, "--from-replay") == 0) {
      if (eq != NULL)
        return cli_usage_error ("explore: %s takes no value, got '%s'", name, arg);
      if (strcmp (name, "--bfs") == 0)
        b->strategy = SIM_EXPLORE_BFS;
      else if (strcmp (name, "--dfs") == 0)
        b->strategy = SIM_EXPLORE_DFS;
      else if (strcmp (name, "--no-deadlock") == 0)
        b->deadlock = FALSE;
      else if (strcmp (name, "--por") == 0 || strcmp (name, "--no-por") == 0)
        b->por = strcmp (name, "--por") == 0;
      else if (strcmp (name, "--from-replay") == 0)
        b->from_replay = TRUE;
      else
        a->quiet = TRUE;
      continue;
    }
    const char *value = eq != NULL ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (value == NULL)
      return cli_usage_error ("explore: %s needs a value", name);
    uint64_t v;
    int rc = -1;
    if (strcmp (name, "--strategy") == 0) {
      if (strcmp (value, "bfs") == 0)
        b->strategy = SIM_EXPLORE_BFS;
      else if (strcmp (value, "dfs") == 0)
        b->strategy = SIM_EXPLORE_DFS;
      else if (strcmp (value, "random-walk") == 0)
        b->strategy = SIM_EXPLORE_RANDOM_WALK;
      else
        return cli_usage_error ("explore: --strategy: expected bfs, dfs or random-walk, got '%s'",
                                value);
    } else if (strcmp (name, "--depth") == 0) {
      if (!parse_uint (value, 1, 10000, &v))
        return cli_usage_error ("explore: --depth: expected an integer from 1 to 10000, got '%s'",
                                value);
      b->depth = (int) v;
    } else if (strcmp (name, "--max-states") == 0) {
      if (!parse_uint (value, 0, (uint64_t) 1 << 32, &v))
        return cli_usage_error ("explore: --max-states: expected an integer from 0 to 2^32, "
                                "got '%s'", value);
      b->max_states = (int64_t) v;
    } else if (strcmp (name, "--drops") == 0) {
      rc = set_budget (name, value, &b->drops);
    } else if (strcmp (name, "--duplicates") == 0) {
      rc = set_budget (name, value, &b->duplicates);
    } else if (strcmp (name, "--crashes") == 0) {
      rc = set_budget (name, value, &b->crashes);
    } else if (strcmp (name, "--restarts") == 0) {
      rc = set_budget (name, value, &b->restarts);
    } else if (strcmp (name, "--timeouts") == 0) {
      rc = set_budget (name, value, &b->timeouts);
    } else if (strcmp (name, "--ops") == 0) {
      rc = set_budget (name, value, &b->ops);
    } else if (strcmp (name, "--walks") == 0) {
      if (!parse_uint (value, 1, G_MAXINT64, &v))
        return cli_usage_error ("explore: --walks: expected a positive integer, got '%s'", value);
      b->walks = (int64_t) v;
    } else if (strcmp (name, "--seed") == 0) {
      if (!parse_uint (value, 0, G_MAXUINT64, &a->opt.seed))
        return cli_usage_error ("explore: --seed: expected an unsigned 64-bit integer, got '%s'",
                                value);
    } else if (strcmp (name, "--fingerprint") == 0) {
      if (strcmp (value, "64") != 0 && strcmp (value, "128") != 0)
        return cli_usage_error ("explore: --fingerprint: expected 64 or 128, got '%s'", value);
      b->fingerprint_bits = atoi (value);
    } else if (strcmp (name, "--threads") == 0) {
      if (!parse_uint (value, 1, 256, &v))
        return cli_usage_error ("explore: --threads: expected an integer from 1 to 256, got '%s'",
                                value);
      a->opt.threads = cli_threads_that_fit ((int) v);
      if (a->opt.threads < (int) v)
        fprintf (stderr, "dsim: explore: --threads %d: the address-space limit (ulimit -v) "
                 "leaves room for %d; running %d\n", (int) v, a->opt.threads, a->opt.threads);
    } else if (strcmp (name, "--shard") == 0) {
      g_auto (GStrv) parts = g_strsplit (value, "/", 2);
      uint64_t si, sn;
      if (g_strv_length (parts) != 2 || !parse_uint (parts[1], 1, 1u << 20, &sn)
          || !parse_uint (parts[0], 1, sn, &si))
        return cli_usage_error ("explore: --shard: expected I/N with 1 <= I <= N, got '%s'",
                                value);
      a->opt.shard_index = (int) si - 1;
      a->opt.shard_count = (int) sn;
    } else if (strcmp (name, "--max-memory") == 0) {
      if (!parse_size (value, &a->opt.max_memory_bytes))
        return cli_usage_error ("explore: --max-memory: expected a size such as 512M or 4G, "
                                "got '%s'", value);
    } else if (strcmp (name, "--timeout") == 0) {
      if (!proto_parse_duration_us (value, &a->opt.timeout_us) || a->opt.timeout_us <= 0)
        return cli_usage_error ("explore: --timeout: expected a positive duration such as 30s "
                                "or 10m, got '%s'", value);
    } else if (strcmp (name, "--out") == 0) {
      a->out_dir = value;
    } else {
      return cli_usage_error ("explore: unknown option '%s' (dsim explore --help)", name);
    }
    if (rc >= 0)
      return rc;
  }
  return -1;
}

/* The scenario argument: the one word that is not an option or its value. */
static int
find_scenario (int argc, char **argv, ExploreArgs *a)
{
  static const char *const no_value[] = { "--quiet", "-q", "--bfs", "--dfs", "--no-deadlock",
                                          "--por", "--no-por", "--from-replay", NULL };
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
      fputs (explore_help, stdout);
      return DSIM_EXIT_OK;
    }
    if (arg[0] == '-' && arg[1] != '\0') {
      if (strchr (arg, '=') == NULL && !g_strv_contains (no_value, arg))
        i++;
      continue;
    }
    if (a->scenario != NULL)
      return cli_usage_error ("explore: one scenario at a time (got '%s' and '%s')",
                              a->scenario, arg);
    a->scenario = arg;
  }
  if (a->scenario == NULL)
    return cli_usage_error ("explore: expected a scenario file (dsim explore --help)");
  return -1;
}

/* ---- Output ---------------------------------------------------------------*/

typedef struct {
  gint64 start_us;
  double shown_at;  /* seconds since start_us of the last line shown */
  gboolean shown;
} Progress;

static double
seconds_since (gint64 start_us)
{
  /* dsim-allow-nondeterminism: states per second for the user, never a decision */
  return (double) (g_get_monotonic_time () - start_us) / 1e6;
}

/* One line, rewritten in place at most ten times a second.  Breadth
 * first: the levels done and how far the next one is, since its new
 * states are counted only at its end. */
static void
show_progress (const SimExploreStats *st, void *data)
{
  Progress *p = data;
  double s = seconds_since (p->start_us);
  if (p->shown && s - p->shown_at < 0.1)
    return;
  g_autoptr (GString) line = g_string_new (NULL);
  g_string_printf (line, "dsim explore: depth %d, %" G_GUINT64_FORMAT " distinct", st->depth,
                   st->distinct);
  if (st->level_states > 0)
    g_string_append_printf (line, "; expanding depth %d: %" G_GUINT64_FORMAT " of %"
                            G_GUINT64_FORMAT " states", st->depth, st->level_done,
                            st->level_states);
  g_string_append_printf (line, "; %" G_GUINT64_FORMAT " generated, %.0f/s", st->generated,
                          s > 0 ? (double) st->generated / s : 0.0);
  fprintf (stderr, "\r%s   ", line->str);
  fflush (stderr);
  p->shown = TRUE;
  p->shown_at = s;
}

/* The time limit's clock: a deadline, read from the searching threads. */
typedef struct {
  gint64 deadline_us;
} Deadline;

static gboolean
deadline_passed (void *data)
{
  const Deadline *d = data;
  /* dsim-allow-nondeterminism: --timeout is a wall-clock limit the user asked for */
  return g_get_monotonic_time () >= d->deadline_us;
}

static const char *const strategy_names[] = { "bfs", "dfs", "random-walk" };

static void
append_bounds (GString *s, const SimExploreOptions *o)
{
  const SimExploreConfig *b = &o->bounds;
  g_string_append_printf (s, "bounds       %s, depth %d, ", strategy_names[b->strategy], b->depth);
  if (b->strategy == SIM_EXPLORE_RANDOM_WALK)
    g_string_append_printf (s, "%" G_GINT64_FORMAT " walks (seed %" G_GUINT64_FORMAT "), ",
                            b->walks, o->seed);
  g_string_append_printf (s, "ops %d per client,\n             drops %d, duplicates %d, "
                          "crashes %d, restarts %d, timeouts %d", b->ops, b->drops, b->duplicates,
                          b->crashes, b->restarts, b->timeouts);
  if (b->max_states > 0)
    g_string_append_printf (s, ", states %" G_GINT64_FORMAT, b->max_states);
  g_string_append_c (s, '\n');
  if (o->threads > 1 || o->shard_count > 1)
    g_string_append_printf (s, "parallel     %d threads, shard %d/%d\n", o->threads,
                            o->shard_index + 1, o->shard_count);
}

static void
append_stats (GString *s, const SimExploreStats *st, const SimExploreOptions *o, double secs)
{
  if (o->bounds.strategy == SIM_EXPLORE_RANDOM_WALK)
    g_string_append_printf (s, "states       %" G_GUINT64_FORMAT " distinct, %" G_GUINT64_FORMAT
                            " generated, longest walk %d\n", st->distinct, st->generated,
                            st->depth_reached);
  else
    g_string_append_printf (s, "states       %" G_GUINT64_FORMAT " distinct, %" G_GUINT64_FORMAT
                            " generated, depth %d%s\n", st->distinct, st->generated, st->depth,
                            st->is_complete ? " (every state explored)" : "");
  if (o->bounds.strategy == SIM_EXPLORE_BFS)
    g_string_append_printf (s, "reduction    %s, %" G_GUINT64_FORMAT " choices not tried\n",
                            st->is_reduced ? "sleep sets" : "none", st->slept);
  g_string_append_printf (s, "speed        %.2fs, %.0f distinct states/s, %.0f generated/s\n",
                          secs, secs > 0 ? (double) st->distinct / secs : 0.0,
                          secs > 0 ? (double) st->generated / secs : 0.0);
  g_string_append_printf (s, "memory       %.1f MB, %.0f bytes per distinct state",
                          (double) st->memory_bytes / 1048576.0,
                          st->distinct > 0 ? (double) st->memory_bytes / (double) st->distinct
                                           : 0.0);
  if (st->disk_bytes > 0)
    g_string_append_printf (s, "; %.1f MB through temporary files",
                            (double) st->disk_bytes / 1048576.0);
  g_string_append_c (s, '\n');
  g_string_append_printf (s, "fingerprints %d bits; probability a state was missed: %.2g\n",
                          o->bounds.fingerprint_bits, st->missed_probability);
}

static gboolean
write_text (const char *path, const char *text, GError **error)
{
  return g_file_set_contents (path, text, -1, error);
}

/* The scenario's text with its [replay] section (if any) left out, and
 * the path appended as a new one. */
static char *
path_scenario (const char *text, const SimConfig *cfg, const SimExploreResult *r)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean skipping = FALSE;
  for (char **l = lines; *l != NULL; l++) {
    g_autofree char *t = g_strstrip (g_strdup (*l));
    if (t[0] == '[')
      skipping = g_str_has_prefix (t, "[replay]");
    if (!skipping && !(l[1] == NULL && (*l)[0] == '\0'))
      g_string_append_printf (out, "%s\n", *l);
  }
  g_string_append_printf (out, "\n# dsim explore: %s\n# `dsim run` applies these choices in order "
                          "(README, \"Model checking\").\n[replay]\n",
                          r->what);
  for (guint i = 0; i < r->path->len; i++) {
    g_string_append_printf (out, "step %u = ", i + 1);
    sim_pinned_format (cfg, &g_array_index (r->path, SimPinnedChoice, i), out);
    g_string_append_c (out, '\n');
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Writes DIR/path.scn, then replays it for its trace, history and diagram. */
static gboolean
write_counterexample (const char *dir, const char *text, const SimConfig *cfg,
                      const SimExploreResult *r, GString *s, GError **error)
{
  if (g_mkdir_with_parents (dir, 0777) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "--out: cannot create directory %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  g_autofree char *scn = g_build_filename (dir, "path.scn", NULL);
  g_autofree char *body = path_scenario (text, cfg, r);
  if (!write_text (scn, body, error))
    return FALSE;
  g_autoptr (SimConfig) again = sim_scenario_load (scn, error);
  if (again == NULL)
    return FALSE;
  sim_explore_config_prepare (again);
  g_autofree char *trace_path = g_build_filename (dir, "trace.jsonl", NULL);
  g_autofree char *history_path = g_build_filename (dir, "history.jsonl", NULL);
  g_autofree char *diagram_path = g_build_filename (dir, "diagram.svg", NULL);
  FILE *trace = fopen (trace_path, "w");
  if (trace == NULL) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", trace_path,
                 g_strerror (errno));
    return FALSE;
  }
  g_autoptr (SimWorld) w = sim_world_new (again, again->seed);
  sim_world_set_trace_output (w, trace);
  gboolean ok = sim_world_replay (w, error);
  sim_world_finish (w);
  fclose (trace);
  if (!ok)
    return FALSE;
  FILE *hf = fopen (history_path, "w");
  if (hf == NULL || !chk_history_write_jsonl (sim_world_history (w), hf, error)) {
    if (hf != NULL)
      fclose (hf);
    else
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s",
                   history_path, g_strerror (errno));
    return FALSE;
  }
  fclose (hf);
  if (!cli_trace_diagram_write (trace_path, "svg", diagram_path, error))
    return FALSE;
  g_string_append_printf (s, "replay       dsim run %s\n", scn);
  g_string_append_printf (s, "files        %s, %s, %s\n", trace_path, history_path, diagram_path);
  return TRUE;
}

int
cmd_explore_main (int argc, char **argv)
{
  ExploreArgs a = { 0 };
  int rc = find_scenario (argc, argv, &a);
  if (rc >= 0)
    return rc;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!sim_scenario_read (a.scenario, &text, &len, &error))
    return cli_usage_error ("explore: %s", error->message);
  g_autoptr (SimConfig) cfg = sim_scenario_load_data (a.scenario, text, len, &error);
  if (cfg == NULL)
    return cli_usage_error ("%s", error->message);
  sim_explore_options_init (&a.opt, cfg);
  rc = apply_flags (argc, argv, &a);
  if (rc >= 0)
    return rc;
  if (a.out_dir == NULL)
    a.out_dir = "explore-out";
  if (a.opt.bounds.from_replay && cfg->replay->len == 0)
    return cli_usage_error ("explore: --from-replay: %s has no [replay] section to start from",
                            a.scenario);
  if (a.opt.bounds.from_replay) {
    /* The prefix must replay before the search starts from its end. */
    g_autoptr (SimConfig) pre = sim_config_copy (cfg);
    sim_explore_config_prepare (pre);
    g_autoptr (SimWorld) w = sim_world_new (pre, pre->seed);
    if (!sim_world_replay (w, &error))
      return cli_usage_error ("%s", error->message);
  }
#ifdef M_MMAP_THRESHOLD
  /* Worlds of a few hundred kilobytes are cloned and freed for every state:
   * keep them on the heap instead of a fresh mapping each time. */
  mallopt (M_MMAP_THRESHOLD, 64 << 20);
  mallopt (M_TRIM_THRESHOLD, 256 << 20);
#endif

  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "scenario     %s (%s)\n", cfg->name, cfg->path);
  g_string_append_printf (s, "cluster      %s, %d nodes, %d clients\n", cfg->proto->name,
                          cfg->n_nodes, cfg->workload.n_clients);
  append_bounds (s, &a.opt);
  if (a.opt.bounds.from_replay)
    g_string_append_printf (s, "prefix       the %u choices of [replay], then every path within "
                            "the bounds\n", cfg->replay->len);
  gboolean lin = cfg->workload.n_clients > 0
                 && g_strv_contains ((const char *const *) cfg->check_models, "linearizable");
  g_string_append_printf (s, "checks       invariants%s%s\n", lin ? ", linearizable" : "",
                          a.opt.bounds.deadlock ? ", deadlock" : "");
  if (!a.quiet) {
    fputs (s->str, stdout);
    fflush (stdout);
  }
  g_string_truncate (s, 0);

  /* dsim-allow-nondeterminism: elapsed time for the speed line only */
  Progress progress = { .start_us = g_get_monotonic_time () };
  if (isatty (STDERR_FILENO)) {
    a.opt.progress = show_progress;
    a.opt.progress_data = &progress;
  }
  Deadline deadline = { .deadline_us = progress.start_us + a.opt.timeout_us };
  if (a.opt.timeout_us > 0) {
    a.opt.expired = deadline_passed;
    a.opt.expired_data = &deadline;
  }
  g_autoptr (SimExploreResult) r = sim_explore_run (cfg, &a.opt);
  double secs = seconds_since (progress.start_us);
  if (progress.shown)
    fputs ("\r\033[K", stderr);

  append_stats (s, &r->stats, &a.opt, secs);
  const char *outcome = "pass";
  int exit_code = DSIM_EXIT_OK;
  if (r->verdict == SIM_EXPLORE_VIOLATION) {
    outcome = "violation";
    exit_code = DSIM_EXIT_VIOLATION;
    g_string_append (s, "violation    ");
    cli_append_wrapped (s, r->what, 13);
    g_string_append_printf (s, "\npath         %u choices%s\n", r->path->len,
                            a.opt.bounds.strategy == SIM_EXPLORE_BFS
                              ? " (the shortest: breadth first)"
                              : a.opt.bounds.strategy == SIM_EXPLORE_DFS
                                  ? " (the shortest: iterative deepening)" : "");
    for (guint i = 0; i < r->path->len; i++) {
      g_string_append_printf (s, "  %3u  ", i + 1);
      sim_pinned_format (cfg, &g_array_index (r->path, SimPinnedChoice, i), s);
      g_string_append_c (s, '\n');
    }
    g_autoptr (GError) werr = NULL;
    if (!write_counterexample (a.out_dir, text, cfg, r, s, &werr)) {
      fputs (s->str, stdout);
      return cli_usage_error ("explore: %s", werr->message);
    }
  } else if (r->verdict == SIM_EXPLORE_UNKNOWN) {
    outcome = "unknown";
    exit_code = DSIM_EXIT_UNKNOWN;
    g_string_append (s, "why          ");
    cli_append_wrapped (s, r->what, 13);
    g_string_append_c (s, '\n');
  } else {
    g_string_append_printf (s, "result       no violation %s\n",
                            r->stats.is_complete ? "in any reachable state"
                                                 : "within the depth bound");
  }
  if (!a.quiet)
    fputs (s->str, stdout);
  printf ("outcome      %s\n", outcome);
  fflush (stdout);
  return exit_code;
}
