/* test_fuzz.c: `dsim fuzz` end to end, through the real binary: bad
 * arguments and bad [fuzz] sections exit 2 with file and line, a campaign
 * does not depend on the number of threads, correct Raft passes, a seeded
 * bug is found and its repro.scn replays byte for byte under `dsim run`,
 * the shrunk scenario fails the same way, liveness failures are reported
 * as such, and shards merge into the runs of one campaign. */
#include <criterion/criterion.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

typedef struct {
  int rc;
  char *out, *err;
} FuzzRun;

static FuzzRun
dsim (const char *const *args)
{
  FuzzRun r = { 0 };
  r.rc = test_run_dsim (args, &r.out, &r.err);
  return r;
}

static void
run_clear (FuzzRun *r)
{
  g_free (r->out);
  g_free (r->err);
}

static char *
read_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;
  cr_assert (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  return text;
}

/* scenarios/raft/random-faults.scn with `bug = NAME` added, in dir. */
static char *
bug_scenario (const char *dir, const char *bug)
{
  g_autofree char *base = test_source_path ("scenarios/raft/random-faults.scn");
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (base, &text, NULL, NULL));
  g_autofree char *line = g_strdup_printf ("[raft]\nbug = %s", bug);
  g_auto (GStrv) parts = g_strsplit (text, "[raft]", 2);
  cr_assert_not_null (parts[1]);
  g_autofree char *with_bug = g_strconcat (parts[0], line, parts[1], NULL);
  g_autofree char *name = g_strdup_printf ("raft-%s.scn", bug);
  char *path = g_build_filename (dir, name, NULL);
  cr_assert (g_file_set_contents (path, with_bug, -1, NULL));
  return path;
}

static void
remove_tree (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);
  cr_assert_eq (system (cmd), 0);
}

/* ---- Bad input ------------------------------------------------------------*/

Test (fuzz, help_names_every_option)
{
  FuzzRun r = dsim ((const char *[]) { "fuzz", "--help", NULL });
  cr_expect_eq (r.rc, 0);
  for (const char *const *o = (const char *const[]) { "--runs", "--time", "--jobs", "--seed",
                                                     "--out", "--strategy", "--shard",
                                                     "--merge", "--max-failures", "--stop-on",
                                                     NULL };
       *o != NULL; o++)
    cr_expect (strstr (r.out, *o) != NULL, "help lacks %s", *o);
  run_clear (&r);
}

static void
expect_usage (const char *const *args, const char *fragment)
{
  FuzzRun r = dsim (args);
  cr_expect_eq (r.rc, 2, "exit %d for %s", r.rc, fragment);
  cr_expect (strstr (r.err, fragment) != NULL, "'%s' lacks '%s'", r.err, fragment);
  run_clear (&r);
}

Test (fuzz, bad_arguments_exit_2)
{
  g_autofree char *scn = test_source_path ("scenarios/raft/random-faults.scn");
  expect_usage ((const char *[]) { "fuzz", NULL }, "expected a scenario file");
  expect_usage ((const char *[]) { "fuzz", scn, "--shard", "3/2", NULL }, "--shard: expected I/N");
  expect_usage ((const char *[]) { "fuzz", scn, "--strategy", "smart", NULL },
                "--strategy: expected heavy, feedback, adaptive or random");
  expect_usage ((const char *[]) { "fuzz", scn, "--runs", "0", NULL }, "--runs: expected");
  expect_usage ((const char *[]) { "fuzz", scn, "--time", "soon", NULL }, "--time: expected");
  expect_usage ((const char *[]) { "fuzz", scn, "--bogus", NULL }, "unknown option '--bogus'");
  expect_usage ((const char *[]) { "fuzz", scn, "--stop-on", "liveness", NULL },
                "--stop-on: expected any or safety, got 'liveness'");
  expect_usage ((const char *[]) { "fuzz", "--merge", "/nonexistent-dir", NULL },
                "not an output directory of dsim fuzz");
}

Test (fuzz, bad_fuzz_section_exits_2_with_file_and_line)
{
  static const char *const files[] = {
    "fuzz-min-above-max.scn", "fuzz-unknown-kind.scn", "fuzz-unknown-knob.scn",
    "fuzz-bad-knob-value.scn", "fuzz-knob-pair-reversed.scn", "fuzz-knob-pair-lists.scn",
    "fuzz-nodes-too-few-for-byzantine.scn", "fuzz-duration-past-a-day.scn",
    "fuzz-liveness-a-day.scn", "fuzz-nodes-below-link.scn", "fuzz-clients-below-link.scn", NULL,
  };
  for (int i = 0; files[i] != NULL; i++) {
    g_autofree char *rel = g_strdup_printf ("tests/data/scenarios/bad/%s", files[i]);
    g_autofree char *path = test_source_path (rel);
    g_autofree char *text = NULL;
    cr_assert (g_file_get_contents (path, &text, NULL, NULL));
    g_auto (GStrv) first = g_strsplit (text + strlen ("# error: "), "\n", 2);
    g_autofree char *want = g_strdup_printf ("dsim: %s:%s\n", path, first[0]);
    FuzzRun r = dsim ((const char *[]) { "fuzz", path, "--runs", "1", "--out", "/nonexistent/x",
                                         NULL });
    cr_expect_eq (r.rc, 2, "%s: exit %d", files[i], r.rc);
    cr_expect_str_eq (r.err, want, "%s", files[i]);
    cr_expect_str_eq (r.out, "", "%s", files[i]);
    run_clear (&r);
  }
}

/* ---- Campaigns --------------------------------------------------------------*/

Test (fuzz, scenario_without_fuzz_section_still_fuzzes)
{
  g_autofree char *scn = test_source_path ("scenarios/raft/leader-crash.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-fuzz-XXXXXX", NULL);
  FuzzRun r = dsim ((const char *[]) { "fuzz", scn, "--runs", "12", "--out", dir, "--jobs", "2",
                                       NULL });
  cr_expect_eq (r.rc, 0, "%s%s", r.out, r.err);
  cr_expect (strstr (r.out, "derived from the scenario") != NULL, "%s", r.out);
  cr_expect (strstr (r.out, "runs         12: pass 12, failed 0") != NULL, "%s", r.out);
  g_autofree char *tsv = read_file (dir, "runs.tsv");
  g_auto (GStrv) rows = g_strsplit (tsv, "\n", -1);
  cr_expect_eq (g_strv_length (rows), 12 + 2); /* header, 12 runs, "" after the last */
  run_clear (&r);
  remove_tree (dir);
}

Test (fuzz, correct_raft_passes_both_phases)
{
  g_autofree char *scn = test_source_path ("scenarios/raft/random-faults.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-fuzz-XXXXXX", NULL);
  FuzzRun r = dsim ((const char *[]) { "fuzz", scn, "--runs", "64", "--out", dir, "--jobs", "2",
                                       NULL });
  cr_expect_eq (r.rc, 0, "%s", r.out);
  cr_expect (strstr (r.out, "runs         64: pass 64, failed 0 (invariant 0, model 0, "
                            "liveness 0)") != NULL, "%s", r.out);
  cr_expect (strstr (r.out, "failures     none") != NULL);
  /* Coverage is reached and kept. */
  cr_expect (strstr (r.out, "corpus ") != NULL);
  g_autofree char *cov = read_file (dir, "coverage.txt");
  cr_expect (strstr (cov, "\nmark ") != NULL && strstr (cov, "\nfeature 02") != NULL
             && strstr (cov, "\nfeature 03") != NULL, "%s", cov);
  run_clear (&r);
  remove_tree (dir);
}

/* Feedback mode with a corpus: the same runs, verdicts and coverage with 1
 * thread and with 3. */
Test (fuzz, results_do_not_depend_on_jobs)
{
  g_autofree char *tmp = g_dir_make_tmp ("dsim-fuzz-XXXXXX", NULL);
  g_autofree char *scn = bug_scenario (tmp, "stale-leader-read");
  g_autofree char *d1 = g_build_filename (tmp, "j1", NULL);
  g_autofree char *d3 = g_build_filename (tmp, "j3", NULL);
  FuzzRun a = dsim ((const char *[]) { "fuzz", scn, "--runs", "80", "--jobs", "1", "--out", d1,
                                       "--shrink-runs", "20", NULL });
  FuzzRun b = dsim ((const char *[]) { "fuzz", scn, "--runs", "80", "--jobs", "3", "--out", d3,
                                       "--shrink-runs", "20", NULL });
  cr_expect_eq (a.rc, b.rc);
  g_autofree char *t1 = read_file (d1, "runs.tsv");
  g_autofree char *t3 = read_file (d3, "runs.tsv");
  cr_expect_str_eq (t1, t3);
  g_autofree char *c1 = read_file (d1, "coverage.txt");
  g_autofree char *c3 = read_file (d3, "coverage.txt");
  cr_expect_str_eq (c1, c3);
  /* The summaries differ in the job count and the directory only. */
  g_auto (GStrv) l1 = g_strsplit (a.out, "\n", -1);
  g_auto (GStrv) l3 = g_strsplit (b.out, "\n", -1);
  cr_assert_eq (g_strv_length (l1), g_strv_length (l3));
  for (guint i = 0; l1[i] != NULL; i++)
    if (!g_str_has_prefix (l1[i], "strategy") && strstr (l1[i], tmp) == NULL)
      cr_expect_str_eq (l1[i], l3[i]);
  run_clear (&a);
  run_clear (&b);
  remove_tree (tmp);
}

static gboolean
same_bytes (const char *a_path, const char *b_path)
{
  g_autofree char *a = NULL, *b = NULL;
  gsize la = 0, lb = 0;
  return g_file_get_contents (a_path, &a, &la, NULL) && g_file_get_contents (b_path, &b, &lb, NULL)
         && la == lb && memcmp (a, b, la) == 0;
}

/* A seeded invariant bug: found, reported, replayed byte for byte by `dsim
 * run`, and shrunk to a scenario that breaks the same invariant. */
Test (fuzz, failure_replays_byte_for_byte_and_shrinks)
{
  g_autofree char *tmp = g_dir_make_tmp ("dsim-fuzz-XXXXXX", NULL);
  g_autofree char *scn = bug_scenario (tmp, "vote-without-log-check");
  g_autofree char *out = g_build_filename (tmp, "out", NULL);
  FuzzRun r = dsim ((const char *[]) { "fuzz", scn, "--runs", "400", "--max-failures", "1",
                                       "--out", out, "--jobs", "2", NULL });
  cr_assert_eq (r.rc, 1, "%s%s", r.out, r.err);
  g_autofree char *fail = g_build_filename (out, "fail-1", NULL);
  g_autofree char *report = read_file (fail, "report.txt");
  cr_expect (strstr (report, "broke        invariant ") != NULL, "%s", report);
  cr_expect (strstr (report, "world seed ") != NULL && strstr (report, "config       nodes ")
             != NULL && strstr (report, "explanation  ") != NULL, "%s", report);
  /* What broke, as the invariant names it. */
  const char *broke = strstr (report, "broke        invariant ") + strlen ("broke        invariant ");
  g_autofree char *what = g_strndup (broke, strcspn (broke, " "));

  /* The replay: the same history, byte for byte, and the same verdict. */
  g_autofree char *repro = g_build_filename (fail, "repro.scn", NULL);
  g_autofree char *hist = g_build_filename (tmp, "replayed.jsonl", NULL);
  FuzzRun p = dsim ((const char *[]) { "run", repro, "--history", hist, NULL });
  cr_expect_eq (p.rc, 1, "%s", p.out);
  g_autofree char *want = g_strdup_printf ("BROKEN: %s", what);
  cr_expect (strstr (p.out, want) != NULL, "%s", p.out);
  cr_expect (strstr (p.out, ": as expected") != NULL, "%s", p.out);
  g_autofree char *fuzz_hist = g_build_filename (fail, "history.jsonl", NULL);
  cr_expect (same_bytes (hist, fuzz_hist), "replayed history differs from the fuzzer's");
  /* Twice the same bytes. */
  FuzzRun p2 = dsim ((const char *[]) { "run", repro, NULL });
  FuzzRun p3 = dsim ((const char *[]) { "run", repro, NULL });
  cr_expect_str_eq (p2.out, p3.out);

  /* The shrunk scenario breaks the same invariant, with no more faults. */
  g_autofree char *shrunk = g_build_filename (fail, "shrunk.scn", NULL);
  FuzzRun s = dsim ((const char *[]) { "run", shrunk, NULL });
  cr_expect_eq (s.rc, 1, "%s", s.out);
  cr_expect (strstr (s.out, want) != NULL, "%s", s.out);
  cr_expect (strstr (s.out, ": as expected") != NULL, "%s", s.out);
  const char *sizes = strstr (report, "(faults ");
  cr_assert_not_null (sizes, "%s", report);
  guint before = 0, after = 0;
  cr_assert_eq (sscanf (sizes, "(faults %u -> %u", &before, &after), 2);
  cr_expect_leq (after, before);
  run_clear (&r);
  run_clear (&p);
  run_clear (&p2);
  run_clear (&p3);
  run_clear (&s);
  remove_tree (tmp);
}

Test (fuzz, liveness_failure_is_reported_as_such)
{
  g_autofree char *scn = test_source_path ("tests/data/fuzz/no-leader.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-fuzz-XXXXXX", NULL);
  FuzzRun r = dsim ((const char *[]) { "fuzz", scn, "--runs", "4", "--out", dir, "--jobs", "1",
                                       "--shrink-runs", "30", NULL });
  cr_expect_eq (r.rc, 1);
  cr_expect (strstr (r.out, "failed 4 (invariant 0, model 0, liveness 4)") != NULL, "%s", r.out);
  g_autofree char *fail = g_build_filename (dir, "fail-1", NULL);
  g_autofree char *report = read_file (fail, "report.txt");
  cr_expect (strstr (report, "broke        liveness (4 runs") != NULL, "%s", report);
  cr_expect (strstr (report, "got no answer") != NULL || strstr (report, "no operation succeeded")
             != NULL, "%s", report);
  /* The replay runs the same schedule: safety holds there. */
  g_autofree char *repro = g_build_filename (fail, "repro.scn", NULL);
  FuzzRun p = dsim ((const char *[]) { "run", repro, "-q", NULL });
  cr_expect_eq (p.rc, 0, "%s", p.out);
  run_clear (&p);
  run_clear (&r);
  remove_tree (dir);
}

/* --stop-on safety: liveness failures are reported but do not end the
 * campaign; it stops at the first broken invariant, the same run on 1 and
 * on 2 threads.  --max-failures 1 alone stops at the first failure of any
 * kind. */
Test (fuzz, stop_on_safety_runs_past_liveness_failures)
{
  g_autofree char *scn = test_source_path ("tests/data/fuzz/impatient-clients-bug.scn");
  g_autofree char *tmp = g_dir_make_tmp ("dsim-fuzz-XXXXXX", NULL);
  char *tsv[2] = { NULL, NULL };
  for (int jobs = 1; jobs <= 2; jobs++) {
    g_autofree char *name = g_strdup_printf ("safety-j%d", jobs);
    g_autofree char *dir = g_build_filename (tmp, name, NULL);
    g_autofree char *jobs_text = g_strdup_printf ("%d", jobs);
    FuzzRun r = dsim ((const char *[]) { "fuzz", scn, "--runs", "300", "--strategy", "random",
                                         "--seed", "3", "--stop-on", "safety", "--shrink-runs",
                                         "0", "--jobs", jobs_text, "--out", dir, NULL });
    cr_expect_eq (r.rc, 1, "%s%s", r.out, r.err);
    guint64 runs = 0, pass = 0, failed = 0, inv = 0, model = 0, live = 0, first = 0;
    const char *line = strstr (r.out, "\nruns ");
    cr_assert_not_null (line, "%s", r.out);
    cr_assert_eq (sscanf (line, "\nruns %" G_GUINT64_FORMAT ": pass %" G_GUINT64_FORMAT ", failed %"
                          G_GUINT64_FORMAT " (invariant %" G_GUINT64_FORMAT ", model %"
                          G_GUINT64_FORMAT ", liveness %" G_GUINT64_FORMAT, &runs, &pass,
                          &failed, &inv, &model, &live), 6, "%s", r.out);
    const char *fs = strstr (r.out, "\nfirst safety after ");
    cr_assert_not_null (fs, "%s", r.out);
    cr_assert_eq (sscanf (fs, "\nfirst safety after %" G_GUINT64_FORMAT, &first), 1);
    /* Stopped at the first safety failure, after liveness failures. */
    cr_expect_eq (inv + model, 1, "%s", r.out);
    cr_expect_eq (first, runs, "%s", r.out);
    cr_expect_gt (live, 0, "%s", r.out);
    cr_expect (strstr (r.out, "first fail   after 1 runs") != NULL, "%s", r.out);
    tsv[jobs - 1] = read_file (dir, "runs.tsv");
    g_auto (GStrv) rows = g_strsplit (tsv[jobs - 1], "\n", -1);
    guint n = g_strv_length (rows);
    cr_assert_eq (n, runs + 2); /* header, rows, "" */
    for (guint i = 1; i < n - 1; i++) {
      g_auto (GStrv) cols = g_strsplit (rows[i], "\t", -1);
      if (i < n - 2)
        cr_expect (strcmp (cols[5], "pass") == 0 || strcmp (cols[5], "liveness") == 0,
                   "row %u: %s", i, rows[i]);
      else
        cr_expect_str_eq (cols[5], "leader-completeness");
    }
    run_clear (&r);
  }
  cr_expect_str_eq (tsv[0], tsv[1]);
  g_free (tsv[0]);
  g_free (tsv[1]);
  g_autofree char *any = g_build_filename (tmp, "any", NULL);
  FuzzRun r = dsim ((const char *[]) { "fuzz", scn, "--runs", "300", "--strategy", "random",
                                       "--seed", "3", "--max-failures", "1", "--shrink-runs",
                                       "0", "--jobs", "2", "--out", any, NULL });
  cr_expect_eq (r.rc, 1);
  cr_expect (strstr (r.out, "runs         1: pass 0, failed 1 (invariant 0, model 0, liveness 1)")
             != NULL, "%s", r.out);
  cr_expect (strstr (r.out, "first safety") == NULL, "%s", r.out);
  run_clear (&r);
  remove_tree (tmp);
}

/* Three shards of a random campaign, merged, are the campaign's runs. */
Test (fuzz, shards_merge_into_the_whole_campaign)
{
  g_autofree char *scn = test_source_path ("scenarios/raft/random-faults.scn");
  g_autofree char *tmp = g_dir_make_tmp ("dsim-fuzz-XXXXXX", NULL);
  g_autofree char *whole = g_build_filename (tmp, "whole", NULL);
  FuzzRun r = dsim ((const char *[]) { "fuzz", scn, "--runs", "30", "--strategy", "random",
                                       "--seed", "7", "--out", whole, NULL });
  cr_expect_eq (r.rc, 0);
  run_clear (&r);
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (args, g_strdup ("fuzz"));
  g_ptr_array_add (args, g_strdup ("--merge"));
  for (int i = 1; i <= 3; i++) {
    g_autofree char *shard = g_strdup_printf ("%d/3", i);
    g_autofree char *name = g_strdup_printf ("shard%d", i);
    char *dir = g_build_filename (tmp, name, NULL);
    FuzzRun s = dsim ((const char *[]) { "fuzz", scn, "--runs", "30", "--strategy", "random",
                                         "--seed", "7", "--shard", shard, "--out", dir, NULL });
    cr_expect_eq (s.rc, 0);
    cr_expect (strstr (s.out, "runs         10:") != NULL, "%s", s.out);
    run_clear (&s);
    g_ptr_array_add (args, dir);
  }
  g_autofree char *merged = g_build_filename (tmp, "merged", NULL);
  g_ptr_array_add (args, g_strdup ("--out"));
  g_ptr_array_add (args, g_strdup (merged));
  g_ptr_array_add (args, NULL);
  FuzzRun m = dsim ((const char *const *) args->pdata);
  cr_expect_eq (m.rc, 0, "%s%s", m.out, m.err);
  cr_expect (strstr (m.out, "runs         30: pass 30, failed 0") != NULL, "%s", m.out);
  g_autofree char *a = read_file (whole, "runs.tsv");
  g_autofree char *b = read_file (merged, "runs.tsv");
  cr_expect_str_eq (a, b);
  g_autofree char *ca = read_file (whole, "coverage.txt");
  g_autofree char *cb = read_file (merged, "coverage.txt");
  cr_expect_str_eq (ca, cb);
  run_clear (&m);
  remove_tree (tmp);
}

/* ---- Progress ------------------------------------------------------------------*/

static void
stderr_to_tty (gpointer slave_fd)
{
  dup2 (GPOINTER_TO_INT (slave_fd), STDERR_FILENO);
}

Test (fuzz, progress_line_only_on_a_terminal)
{
  g_autofree char *scn = test_source_path ("scenarios/raft/random-faults.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-fuzz-XXXXXX", NULL);
  /* Not a terminal: stderr stays empty. */
  FuzzRun quiet = dsim ((const char *[]) { "fuzz", scn, "--runs", "16", "--out", dir, NULL });
  cr_expect_eq (quiet.rc, 0);
  cr_expect_str_eq (quiet.err, "");
  run_clear (&quiet);
  int master = -1, slave = -1;
  if (openpty (&master, &slave, NULL, NULL, NULL) != 0) {
    fprintf (stderr, "SKIPPED: fuzz::progress_line_only_on_a_terminal: no pseudo-terminal "
             "(openpty: %s)\n", g_strerror (errno));
    remove_tree (dir);
    cr_skip_test ("no pseudo-terminal");
  }
  const char *argv[] = { g_getenv ("DSIM_EXE"), "fuzz", scn, "--runs", "32", "--out", dir, NULL };
  g_autofree char *out = NULL;
  int status = 0;
  GError *error = NULL;
  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, stderr_to_tty,
                           GINT_TO_POINTER (slave), &out, NULL, &status, &error),
             "%s", error ? error->message : "");
  close (slave);
  char buf[65536];
  ssize_t n = read (master, buf, sizeof buf - 1);
  close (master);
  cr_assert_gt (n, 0, "nothing on the terminal");
  buf[n] = '\0';
  cr_expect (strstr (buf, "dsim fuzz: 16 runs (") != NULL, "no progress line: %s", buf);
  cr_expect (strstr (buf, " failed, ") != NULL && strstr (buf, " features") != NULL, "%s", buf);
  cr_expect (strstr (out, "dsim fuzz:") == NULL, "progress leaked into stdout");
  remove_tree (dir);
}

/* Count of runs.tsv lines (after the header) with at least `faults` faults. */
static guint
runs_with_faults (const char *tsv, guint faults)
{
  g_auto (GStrv) lines = g_strsplit (tsv, "\n", -1);
  guint n = 0;
  for (guint i = 1; lines[i] != NULL; i++) {
    g_auto (GStrv) cols = g_strsplit (lines[i], "\t", -1);
    if (g_strv_length (cols) > 4 && (guint) atoi (cols[4]) >= faults)
      n++;
  }
  return n;
}

/* 160 runs of Raft's random-faults scenario with `strategy` on 1 thread and
 * on 2, and with random on 2: the strategy's two runs.tsv must be the same
 * and its summary must name it.  Returns its runs.tsv, random's and its
 * 1-thread output (g_free each). */
static void
strategy_against_random (const char *strategy, char **runs, char **random_runs, char **out)
{
  g_autofree char *scn = test_source_path ("scenarios/raft/random-faults.scn");
  g_autofree char *tmp = g_dir_make_tmp ("dsim-fuzz-XXXXXX", NULL);
  g_autofree char *d1 = g_build_filename (tmp, "s1", NULL);
  g_autofree char *d2 = g_build_filename (tmp, "s2", NULL);
  g_autofree char *dr = g_build_filename (tmp, "r", NULL);
  FuzzRun a = dsim ((const char *[]) { "fuzz", scn, "--runs", "160", "--jobs", "1", "--strategy",
                                       strategy, "--out", d1, NULL });
  FuzzRun b = dsim ((const char *[]) { "fuzz", scn, "--runs", "160", "--jobs", "2", "--strategy",
                                       strategy, "--out", d2, NULL });
  FuzzRun r = dsim ((const char *[]) { "fuzz", scn, "--runs", "160", "--jobs", "2", "--strategy",
                                       "random", "--out", dr, NULL });
  cr_expect_eq (a.rc, 0, "%s", a.out);
  g_autofree char *line = g_strdup_printf ("strategy     %s, shard 1/1, 1 job", strategy);
  cr_expect (strstr (a.out, line) != NULL, "%s", a.out);
  *runs = read_file (d1, "runs.tsv");
  g_autofree char *t2 = read_file (d2, "runs.tsv");
  *random_runs = read_file (dr, "runs.tsv");
  cr_expect_str_eq (*runs, t2);
  *out = g_strdup (a.out);
  run_clear (&a);
  run_clear (&b);
  run_clear (&r);
  remove_tree (tmp);
}

/* --strategy adaptive: the same runs on 1 thread and on 2, and the swarm
 * model leans toward the configurations whose runs reached rare coverage,
 * in Raft the fault-heavy ones (1,500 runs of stale-leader-read: 787 runs
 * with 20 faults or more, random 312). */
Test (fuzz, adaptive_swarm_is_deterministic_and_leans_to_rare_coverage, .timeout = 120)
{
  g_autofree char *t1 = NULL, *tr = NULL, *out = NULL;
  strategy_against_random ("adaptive", &t1, &tr, &out);
  guint heavy = runs_with_faults (t1, 20), heavy_random = runs_with_faults (tr, 20);
  cr_expect (heavy > heavy_random * 3 / 2, "runs with 20 faults or more: adaptive %u, random %u",
             heavy, heavy_random);
}

/* --strategy heavy: the same runs on 1 thread and on 2, and far more
 * fault-heavy runs than random's (its fresh runs are the most
 * fault-heavy of four swarm draws or the densest in faults of eight, its
 * mutants come from them). */
Test (fuzz, heavy_swarm_is_deterministic_and_fault_heavy, .timeout = 120)
{
  g_autofree char *t1 = NULL, *tr = NULL, *out = NULL;
  strategy_against_random ("heavy", &t1, &tr, &out);
  guint heavy = runs_with_faults (t1, 20), heavy_random = runs_with_faults (tr, 20);
  cr_expect (heavy > heavy_random * 2, "runs with 20 faults or more: heavy %u, random %u", heavy,
             heavy_random);
  /* Half the runs after the first batch are mutants of the corpus. */
  const char *corpus = strstr (out, "(mutants ");
  guint mutants = 0, mutant_runs = 0;
  cr_assert (corpus != NULL && sscanf (corpus, "(mutants %u of %u", &mutants, &mutant_runs) == 2,
             "%s", out);
  cr_expect (mutant_runs > 144 * 3 / 10 && mutant_runs < 144 * 7 / 10, "mutants: %u of 160 runs",
             mutant_runs);
}
