/* test_run.c: `dsim run` end to end, through the real binary: bad scenario
 * files and bad arguments exit 2 with their message, runs are byte-for-byte
 * deterministic, --out writes its files, and every scenario under
 * scenarios/ ends the way its `expect` says. */
#include <criterion/criterion.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <pty.h>
#include <string.h>
#include <unistd.h>

#include "sim/scenario.h"
#include "checkers/check.h"
#include "tests/support.h"

typedef struct {
  int rc;
  char *out, *err;
} RunResult;

static RunResult
run (const char *const *args)
{
  RunResult r = { 0 };
  r.rc = test_run_dsim (args, &r.out, &r.err);
  return r;
}

static void
run_clear (RunResult *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* ---- Bad input ---------------------------------------------------------*/

Test (run, every_bad_scenario_exits_2_with_its_message)
{
  g_autofree char *dir_path = test_source_path ("tests/data/scenarios/bad");
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  cr_assert_not_null (dir);
  const char *name;
  int n = 0;
  const ProtoVTable *const *reg = proto_registry ();
  g_autoptr (GString) names = g_string_new (NULL);
  for (int i = 0; reg[i] != NULL; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", reg[i]->name);
  while ((name = g_dir_read_name (dir)) != NULL) {
    if (!g_str_has_suffix (name, ".scn"))
      continue;
    g_autofree char *path = g_build_filename (dir_path, name, NULL);
    g_autofree char *text = NULL;
    cr_assert (g_file_get_contents (path, &text, NULL, NULL));
    cr_assert (g_str_has_prefix (text, "# error: "), "%s", name);
    g_auto (GStrv) lines = g_strsplit (text + strlen ("# error: "), "\n", 2);
    g_auto (GStrv) parts = g_strsplit (lines[0], "PROTOCOLS", -1);
    g_autofree char *msg = g_strjoinv (names->str, parts);
    g_autofree char *want = g_strdup_printf ("dsim: %s:%s\n", path, msg);
    RunResult r = run ((const char *[]) { "run", path, NULL });
    cr_expect_eq (r.rc, 2, "%s: exit %d", name, r.rc);
    cr_expect_str_eq (r.err, want, "%s", name);
    cr_expect_str_eq (r.out, "", "%s: nothing on stdout", name);
    run_clear (&r);
    n++;
  }
  cr_expect_geq (n, 15);
}

static void
expect_usage_error (const char *const *args, const char *fragment)
{
  RunResult r = run (args);
  cr_expect_eq (r.rc, 2, "%s %s: exit %d", args[0], args[1] ? args[1] : "", r.rc);
  cr_expect (g_str_has_prefix (r.err, "dsim: "), "%s", r.err);
  cr_expect (strstr (r.err, fragment) != NULL, "'%s' lacks '%s'", r.err, fragment);
  run_clear (&r);
}

Test (run, bad_arguments_exit_2_with_a_message)
{
  g_autofree char *scn = test_source_path ("scenarios/default.scn");
  expect_usage_error ((const char *[]) { "run", NULL }, "run: expected a scenario file");
  expect_usage_error ((const char *[]) { "run", scn, "--seed", "x1", NULL },
                      "run: --seed: expected an unsigned 64-bit integer, got 'x1'");
  expect_usage_error ((const char *[]) { "run", scn, "--seed=-3", NULL },
                      "expected an unsigned 64-bit integer, got '-3'");
  expect_usage_error ((const char *[]) { "run", scn, "--seed", NULL },
                      "run: --seed needs a value");
  expect_usage_error ((const char *[]) { "run", scn, "--sed", "3", NULL },
                      "run: unknown option '--sed'");
  expect_usage_error ((const char *[]) { "run", scn, scn, "--trace", "t.jsonl", NULL },
                      "run: --trace and --history take one scenario; with 2 scenarios use --out");
  expect_usage_error ((const char *[]) { "run", "no/such.scn", NULL },
                      "no/such.scn: cannot read the scenario");
  expect_usage_error ((const char *[]) { "run", scn, "--trace", "/no/such/dir/t.jsonl", NULL },
                      "/no/such/dir/t.jsonl: cannot write");
  expect_usage_error ((const char *[]) { "frobnicate", NULL }, "unknown command 'frobnicate'");
}

/* Several scenarios: every file is read before any runs, each runs with its
 * summary, a closing table says what each did, and the exit code is the
 * worst outcome. */
Test (run, several_scenarios_run_in_turn_with_a_table, .timeout = 120)
{
  g_autofree char *healthy = test_source_path ("scenarios/pb/healthy.scn");
  g_autofree char *isolated = test_source_path ("scenarios/pb/primary-isolated.scn");
  RunResult r = run ((const char *[]) { "run", healthy, isolated, "--quiet", NULL });
  cr_expect_eq (r.rc, 1, "one run is a violation: exit 1, got %d\n%s%s", r.rc, r.out, r.err);
  g_autofree char *head = g_strdup_printf ("== %s\nseed=3\noutcome      pass\n\n== %s\n", healthy,
                                           isolated);
  cr_expect (g_str_has_prefix (r.out, head), "got:\n%s", r.out);
  cr_expect (strstr (r.out, "2 scenarios: 1 pass, 1 violation, 0 unknown; 2 as expected, "
                            "0 UNEXPECTED\n") != NULL, "got:\n%s", r.out);
  g_autofree char *row = g_strdup_printf ("  %s  violation  as expected\n", isolated);
  cr_expect (strstr (r.out, row) != NULL, "no row '%s' in:\n%s", row, r.out);
  run_clear (&r);

  r = run ((const char *[]) { "run", healthy, healthy, "--quiet", NULL });
  cr_expect_eq (r.rc, 0, "two passing runs: exit 0, got %d", r.rc);
  run_clear (&r);

  /* A malformed file anywhere in the list: nothing runs. */
  g_autofree char *bad = test_source_path ("tests/data/scenarios/bad/bad-knob.scn");
  r = run ((const char *[]) { "run", healthy, bad, NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect_str_eq (r.out, "", "nothing may run before every file is read");
  cr_expect (strstr (r.err, "bad-knob.scn:") != NULL, "%s", r.err);
  run_clear (&r);
}

Test (run, help_texts_exist)
{
  RunResult r = run ((const char *[]) { "run", "--help", NULL });
  cr_expect_eq (r.rc, 0);
  cr_expect (g_str_has_prefix (r.out, "usage: dsim run SCENARIO"), "%s", r.out);
  for (const char *const *opt = (const char *[]) { "--seed N", "--out DIR", "--trace FILE",
                                                   "--history FILE", "--quiet", NULL };
       *opt != NULL; opt++)
    cr_expect (strstr (r.out, *opt) != NULL, "run --help lacks %s", *opt);
  run_clear (&r);
  r = run ((const char *[]) { "--help", NULL });
  cr_expect_eq (r.rc, 0);
  cr_expect (strstr (r.out, "  run ") != NULL, "dsim --help lists run");
  run_clear (&r);
  r = run ((const char *[]) { "list", "--help", NULL });
  cr_expect_eq (r.rc, 0);
  cr_expect (g_str_has_prefix (r.out, "usage: dsim list"));
  run_clear (&r);
}

/* ---- Determinism and files ----------------------------------------------*/

static char *
read_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;
  cr_assert (g_file_get_contents (path, &text, NULL, NULL), "%s missing", path);
  return text;
}

static void
remove_dir (const char *dir)
{
  for (const char *const *f = (const char *[]) { "history.jsonl", "trace.jsonl", "summary.txt",
                                                 "diagram.svg", NULL }; *f != NULL; f++) {
    g_autofree char *path = g_build_filename (dir, *f, NULL);
    g_unlink (path);
  }
  g_rmdir (dir);
}

/* Runs scenario `rel` with --trace and --history into dir, prefixed `tag`. */
static RunResult
run_to_files (const char *rel, const char *seed, const char *dir, const char *tag,
              char **history, char **trace)
{
  g_autofree char *scn = test_source_path (rel);
  g_autofree char *hname = g_strdup_printf ("%s-history.jsonl", tag);
  g_autofree char *tname = g_strdup_printf ("%s-trace.jsonl", tag);
  g_autofree char *hpath = g_build_filename (dir, hname, NULL);
  g_autofree char *tpath = g_build_filename (dir, tname, NULL);
  RunResult r = run ((const char *[]) { "run", scn, "--seed", seed, "--history", hpath,
                                        "--trace", tpath, NULL });
  *history = read_file (dir, hname);
  *trace = read_file (dir, tname);
  g_unlink (hpath);
  g_unlink (tpath);
  return r;
}

/* Without --out, so that no diagram is drawn: Graphviz is slow under ASan
 * and the diagram is not what this test is about. */
Test (run, same_seed_same_bytes_other_seed_differs)
{
  g_autofree char *tmp = g_dir_make_tmp ("dsim-run-XXXXXX", NULL);
  g_autofree char *h1 = NULL, *h2 = NULL, *h3 = NULL, *t1 = NULL, *t2 = NULL, *t3 = NULL;
  RunResult r1 = run_to_files ("scenarios/default.scn", "1", tmp, "a", &h1, &t1);
  RunResult r2 = run_to_files ("scenarios/default.scn", "1", tmp, "b", &h2, &t2);
  RunResult r3 = run_to_files ("scenarios/default.scn", "2", tmp, "c", &h3, &t3);
  cr_assert (g_str_has_prefix (r1.out, "seed=1\n"), "the seed is printed first: %s", r1.out);
  cr_assert (g_str_has_prefix (r3.out, "seed=2\n"));
  cr_expect_str_eq (r1.err, "", "no progress when stderr is not a terminal");
  cr_expect_eq (r1.rc, r2.rc);
  cr_expect_str_eq (r1.out, r2.out);
  cr_expect (strcmp (r1.out, r3.out) != 0, "seed 2 prints the same summary as seed 1");
  cr_expect_gt (strlen (h1), 1000);
  cr_expect_gt (strlen (t1), 10000);
  cr_expect (strcmp (h1, h2) == 0, "history differs between two runs of seed 1");
  cr_expect (strcmp (t1, t2) == 0, "trace differs between two runs of seed 1");
  cr_expect (strcmp (h1, h3) != 0, "seed 2 gives the same history as seed 1");
  cr_expect (strcmp (t1, t3) != 0, "seed 2 gives the same trace as seed 1");
  cr_expect (g_str_has_prefix (h1, "{\"process\":"), "%.80s", h1);
  cr_expect (g_str_has_prefix (t1, "{\"kind\":\"meta\""), "%.80s", t1);
  run_clear (&r1);
  run_clear (&r2);
  run_clear (&r3);
  g_rmdir (tmp);
}

/* A run that holds: --out writes history, trace and summary (no diagram). */
Test (run, out_dir_holds_history_trace_and_summary)
{
  g_autofree char *scn = test_source_path ("scenarios/pb/healthy.scn");
  g_autofree char *tmp = g_dir_make_tmp ("dsim-run-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "new", "dir", NULL);
  RunResult r = run ((const char *[]) { "run", scn, "--out", dir, NULL });
  cr_expect_eq (r.rc, 0, "%s%s", r.out, r.err);
  g_autofree char *h = read_file (dir, "history.jsonl");
  g_autofree char *t = read_file (dir, "trace.jsonl");
  g_autofree char *s = read_file (dir, "summary.txt");
  cr_expect_str_eq (s, r.out, "summary.txt is what stdout said");
  cr_expect (g_str_has_prefix (h, "{\"process\":"), "%.80s", h);
  cr_expect (g_str_has_prefix (t, "{\"kind\":\"meta\""), "%.80s", t);
  run_clear (&r);
  remove_dir (dir);
  g_autofree char *parent = g_build_filename (tmp, "new", NULL);
  g_rmdir (parent);
  g_rmdir (tmp);
}

Test (run, trace_and_history_options_and_quiet)
{
  g_autofree char *scn = test_source_path ("scenarios/pb/healthy.scn");
  g_autofree char *tmp = g_dir_make_tmp ("dsim-run-XXXXXX", NULL);
  g_autofree char *tpath = g_build_filename (tmp, "t.jsonl", NULL);
  g_autofree char *hpath = g_build_filename (tmp, "h.jsonl", NULL);
  RunResult r = run ((const char *[]) { "run", scn, "--quiet", "--trace", tpath,
                                        "--history", hpath, NULL });
  g_auto (GStrv) lines = g_strsplit (r.out, "\n", -1);
  cr_expect_eq (g_strv_length (lines), 3, "quiet: seed and outcome only: %s", r.out);
  cr_expect_str_eq (lines[0], "seed=3");
  cr_expect (g_str_has_prefix (lines[1], "outcome "), "%s", lines[1]);
  cr_expect (g_file_test (tpath, G_FILE_TEST_IS_REGULAR));
  cr_expect (g_file_test (hpath, G_FILE_TEST_IS_REGULAR));
  run_clear (&r);
  g_unlink (tpath);
  g_unlink (hpath);
  g_rmdir (tmp);
}

/* ---- The scenario catalog -------------------------------------------------*/

/* The word after `label` at the start of a summary line ("invariants   hold"). */
static char *
summary_word (const char *out, const char *label)
{
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], label) && lines[i][strlen (label)] == ' ') {
      const char *p = lines[i] + strlen (label);
      while (*p == ' ')
        p++;
      const char *end = p;
      while (*end != '\0' && *end != ' ' && *end != ':')
        end++;
      return g_strndup (p, (gsize) (end - p));
    }
  return NULL;
}

Test (run, every_scenario_ends_as_it_expects, .timeout = 120)
{
  g_autoptr (GPtrArray) paths = test_scenario_files ("scenarios");
  cr_assert_geq (paths->len, 4, "scenarios/default.scn and scenarios/pb/*.scn");
  for (guint i = 0; i < paths->len; i++) {
    const char *path = paths->pdata[i];
    g_autoptr (GError) error = NULL;
    g_autoptr (SimConfig) cfg = sim_scenario_load (path, &error);
    cr_assert_not_null (cfg, "%s", error->message);
    RunResult r = run ((const char *[]) { "run", path, NULL });
    g_autofree char *inv = summary_word (r.out, "invariants");
    g_autofree char *outcome = summary_word (r.out, "outcome");
    cr_assert_not_null (inv, "%s: no invariants line in\n%s%s", path, r.out, r.err);
    cr_assert_not_null (outcome, "%s: no outcome line", path);
    int want_rc = strcmp (outcome, "pass") == 0 ? 0 : strcmp (outcome, "violation") == 0 ? 1 : 3;
    cr_expect_eq (r.rc, want_rc, "%s: outcome %s but exit %d", path, outcome, r.rc);
    gboolean expects_invariant = cfg->expect == SIM_EXPECT_VIOLATION && cfg->expect_what != NULL
                                 && g_str_has_prefix (cfg->expect_what, "invariant");
    if (expects_invariant)
      cr_expect_str_eq (inv, "BROKEN", "%s expects a broken invariant", path);
    else
      cr_expect_str_eq (inv, "hold", "%s: an invariant broke:\n%s", path, r.out);
    for (int m = 0; cfg->check_models[m] != NULL; m++) {
      const char *model = cfg->check_models[m];
      g_autofree char *verdict = summary_word (r.out, model);
      cr_assert_not_null (verdict, "%s: no line for model %s", path, model);
      gboolean wants_violation = cfg->expect == SIM_EXPECT_VIOLATION
                                 && g_strcmp0 (cfg->expect_what, model) == 0;
      if (strcmp (verdict, "undecided") == 0) {
        fprintf (stderr, "SKIPPED: %s: model %s was not decided (is its checker built?)\n",
                 path, model);
        continue;
      }
      if (wants_violation)
        cr_expect_str_eq (verdict, "VIOLATED", "%s expects %s violated", path, model);
      else if (cfg->expect == SIM_EXPECT_PASS && !chk_checker_is_measure (model))
        cr_expect_str_eq (verdict, "holds", "%s expects %s to hold", path, model);
    }
    if (cfg->expect == SIM_EXPECT_PASS)
      cr_expect (strcmp (outcome, "violation") != 0, "%s expects pass", path);
    run_clear (&r);
  }
}

Test (run, scenarios_reach_their_marks)
{
  static const struct { const char *scenario; const char *marks[4]; } cases[] = {
    { "scenarios/default.scn", { "pb-promoted", "pb-stepped-down", "pb-snapshot-installed" } },
    { "scenarios/pb/failover-loses-acked-writes.scn", { "pb-promoted", "pb-snapshot-installed",
                                                        "pb-gap" } },
    { "scenarios/pb/healthy.scn", { "pb-duplicate-suppressed", "pb-resend", "pb-redirect" } },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *path = test_source_path (cases[i].scenario);
    RunResult r = run ((const char *[]) { "run", path, NULL });
    for (int k = 0; cases[i].marks[k] != NULL; k++) {
      g_autofree char *needle = g_strdup_printf (" %s x", cases[i].marks[k]);
      cr_expect (strstr (r.out, needle) != NULL, "%s never reached %s", cases[i].scenario,
                 cases[i].marks[k]);
    }
    run_clear (&r);
  }
}

/* ---- dsim list ------------------------------------------------------------*/

Test (run, list_pb_matches_its_golden_file)
{
  g_autofree char *golden_path = test_source_path ("tests/golden/list-pb.txt");
  g_autofree char *golden = NULL;
  cr_assert (g_file_get_contents (golden_path, &golden, NULL, NULL));
  RunResult r = run ((const char *[]) { "list", "pb", NULL });
  cr_expect_eq (r.rc, 0);
  cr_expect_str_eq (r.out, golden);
  run_clear (&r);
}

Test (run, list_names_every_protocol_and_rejects_unknown_ones)
{
  RunResult r = run ((const char *[]) { "list", NULL });
  cr_expect_eq (r.rc, 0);
  const ProtoVTable *const *reg = proto_registry ();
  for (int i = 0; reg[i] != NULL; i++) {
    g_autofree char *head = g_strdup_printf ("%s: ", reg[i]->name);
    g_autofree char *section = g_strdup_printf ("  [%s]\n", reg[i]->name);
    cr_expect (strstr (r.out, head) != NULL, "dsim list lacks %s", reg[i]->name);
    cr_expect (strstr (r.out, section) != NULL, "dsim list lacks [%s]", reg[i]->name);
    for (const ProtoKnob *k = reg[i]->knobs; k != NULL && k->name != NULL; k++) {
      g_autofree char *assign = g_strdup_printf ("    %s = %s ", k->name, k->fallback);
      cr_expect (strstr (r.out, assign) != NULL, "dsim list lacks '%s'", assign);
    }
  }
  run_clear (&r);
  expect_usage_error ((const char *[]) { "list", "pbb", NULL },
                      "list: unknown protocol 'pbb'; expected one of: null, pb");
  expect_usage_error ((const char *[]) { "list", "--verbose", NULL },
                      "list: unknown option '--verbose'");
}

/* ---- Progress on a terminal ------------------------------------------------*/

static void
stderr_to_tty (gpointer slave_fd)
{
  dup2 (GPOINTER_TO_INT (slave_fd), STDERR_FILENO);
}

Test (run, progress_goes_to_stderr_only_on_a_terminal)
{
  int master = -1, slave = -1;
  if (openpty (&master, &slave, NULL, NULL, NULL) != 0) {
    /* A container or chroot without /dev/pts: nothing to test here. */
    fprintf (stderr, "SKIPPED: run::progress_goes_to_stderr_only_on_a_terminal: "
             "no pseudo-terminal (openpty: %s)\n", g_strerror (errno));
    cr_skip_test ("no pseudo-terminal");
  }
  g_autofree char *tmp = g_dir_make_tmp ("dsim-run-XXXXXX", NULL);
  g_autofree char *scn = g_build_filename (tmp, "long.scn", NULL);
  static const char text[] = "[scenario]\nduration = 10s\n[cluster]\nprotocol = null\n"
                             "[null]\ntokens = 50\n";
  cr_assert (g_file_set_contents (scn, text, -1, NULL));
  const char *exe = g_getenv ("DSIM_EXE");
  const char *argv[] = { exe, "run", scn, NULL };
  g_autofree char *out = NULL;
  int status = 0;
  GError *error = NULL;
  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                           stderr_to_tty, GINT_TO_POINTER (slave), &out, NULL, &status, &error),
             "%s", error ? error->message : "");
  close (slave);
  char buf[65536];
  ssize_t n = read (master, buf, sizeof buf - 1);
  close (master);
  cr_assert_gt (n, 0, "nothing on the terminal");
  buf[n] = '\0';
  cr_expect (strstr (buf, "dsim run: virtual time ") != NULL, "no progress line: %s", buf);
  cr_expect (strstr (out, "dsim run:") == NULL, "progress leaked into stdout");
  cr_expect (g_str_has_prefix (out, "seed=1\n"));
  g_unlink (scn);
  g_rmdir (tmp);
}
