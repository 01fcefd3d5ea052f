/* test_hostile.c: inputs written to break dsim must give a clear error, a
 * bounded run, or the right answer; never a crash, a hang, unbounded memory
 * or a wrong verdict.  One test per class of hostile input (the files are
 * under tests/data/{traces,scenarios}/hostile/); the mutation fuzzers
 * (test_history_fuzz.c, test_scenario_fuzz.c, test_cli_fuzz.c) look for
 * their siblings.  No test reads a clock: a guard against a hang asserts
 * the limit that stopped the work (events, lines, states), and meson's
 * timeout is the backstop for a hang itself. */
#include <criterion/criterion.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sim/fuzz.h"
#include "sim/scenario.h"
#include "sim/trace_viz.h"
#include "sim/world.h"
#include "tests/support.h"
#include "viz/shiviz.h"
#include "viz/spacetime.h"

typedef struct {
  int rc;
  char *out, *err;
} Run;

static Run
dsim (const char *const *args)
{
  Run r = { 0 };
  r.rc = test_run_dsim (args, &r.out, &r.err);
  return r;
}

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* ---- traces ---------------------------------------------------------------*/

/* 200,000 '[' overflowed the JSON parser's stack; depth is bounded first. */
Test (hostile, trace_nesting_is_bounded)
{
  g_autofree char *path = test_source_path ("tests/data/traces/hostile/deep-nesting.jsonl");
  Run r = dsim ((const char *[]) { "trace", path, "-o", "/dev/null", NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect (strstr (r.err, "deep-nesting.jsonl:2: column 76: arrays and objects nested more "
                            "than 32 deep") != NULL, "%s", r.err);
  run_clear (&r);
  g_autoptr (GString) deep = g_string_new ("{\"kind\":\"meta\",\"nodes\":[\"n1\"]}\n");
  for (int k = 0; k < 200000; k++)
    g_string_append_c (deep, '[');
  GError *error = NULL;
  VizModel *m = sim_trace_viz_load_data ("deep.jsonl", deep->str, deep->len, &error);
  cr_expect_null (m);
  cr_expect (error != NULL && g_str_has_prefix (error->message, "deep.jsonl:2: column 33: "),
             "%s", error ? error->message : "");
  g_clear_error (&error);
}

/* 110,000 names on the meta line asked for 48 GB of vector clocks. */
Test (hostile, trace_lane_count_is_bounded)
{
  g_autoptr (GString) t = g_string_new ("{\"kind\":\"meta\",\"protocol\":\"pb\",\"nodes\":[");
  for (int k = 0; k <= SIM_TRACE_MAX_PROCESSES; k++)
    g_string_append_printf (t, "%s\"n%d\"", k > 0 ? "," : "", k + 1);
  g_string_append (t, "]}\n{\"time\":0,\"node\":\"n1\",\"kind\":\"start\"}\n");
  GError *error = NULL;
  VizModel *m = sim_trace_viz_load_data ("wide.jsonl", t->str, t->len, &error);
  cr_expect_null (m);
  cr_expect (error != NULL && strstr (error->message, "wide.jsonl:1: meta line: more than 4096 "
                                                      "nodes and clients") != NULL,
             "%s", error ? error->message : "");
  g_clear_error (&error);

  /* Within the lane limit, the ShiViz export refuses what its clocks would
   * not fit in, instead of aborting on the allocation. */
  g_autoptr (GString) w = g_string_new ("{\"kind\":\"meta\",\"protocol\":\"pb\",\"nodes\":[");
  for (int k = 0; k < 4000; k++)
    g_string_append_printf (w, "%s\"n%d\"", k > 0 ? "," : "", k + 1);
  g_string_append (w, "]}\n");
  for (int k = 0; k < 70000; k++)
    g_string_append_printf (w, "{\"time\":%d,\"node\":\"n%d\",\"kind\":\"note\"}\n", k,
                            k % 4000 + 1);
  g_autoptr (VizModel) big = sim_trace_viz_load_data ("big.jsonl", w->str, w->len, &error);
  cr_assert_not_null (big, "%s", error ? error->message : "");
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  char *log = viz_shiviz_log (big, &opt, &error);
  cr_expect_null (log);
  cr_expect (error != NULL && strstr (error->message, "needs more than 1 GiB of vector clocks"),
             "%s", error ? error->message : "");
  g_free (log);
  g_clear_error (&error);
}

/* Times 0 and INT64_MAX overflowed the axis arithmetic, which then looped. */
Test (hostile, trace_times_up_to_int64_max)
{
  g_autofree char *path = test_source_path ("tests/data/traces/hostile/int64-max-time.jsonl");
  static const char *const formats[] = { "svg", "dot", "shiviz" };
  for (guint k = 0; k < G_N_ELEMENTS (formats); k++)
    for (int logical = 0; logical < 2; logical++) {
      Run r = dsim ((const char *[]) { "trace", path, "-o", "-", "--format", formats[k],
                                       "--time", logical ? "logical" : "virtual", NULL });
      cr_expect_eq (r.rc, 0, "%s: %s", formats[k], r.err);
      cr_expect_lt (strlen (r.out), 1 << 20, "%s: a bounded output", formats[k]);
      run_clear (&r);
    }
}

Test (hostile, trace_must_be_a_regular_file)
{
  Run r = dsim ((const char *[]) { "trace", "/dev/zero", "-o", "/dev/null", NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect_str_eq (r.err, "dsim: cannot read /dev/zero: not a regular file (a FIFO, a device "
                           "or a directory); the trace must be a file\n");
  run_clear (&r);
}

/* ---- dsim run --------------------------------------------------------------*/

static const char flood_scn[] =
  "[scenario]\nname = flood\nduration = 24h\n"
  "[cluster]\nprotocol = pb\nnodes = 1\n"
  "[network]\nlatency = 1us\n"
  "[workload]\nclients = 128\nthink = 0s\n";

static char *
write_temp (const char *dir, const char *name, const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  cr_assert (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* DIR/NAME opened for writing a generated input line by line; its path
 * in *path. */
static FILE *
open_temp (const char *dir, const char *name, char **path)
{
  *path = g_build_filename (dir, name, NULL);
  FILE *f = fopen (*path, "w");
  cr_assert_not_null (f, "%s", *path);
  return f;
}

/* A run that grows without bound stops at its memory cap, unknown, exit 3. */
Test (hostile, run_memory_cap_ends_unknown)
{
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *scn = write_temp (tmp, "flood.scn", flood_scn);
  Run r = dsim ((const char *[]) { "run", scn, "--max-memory", "64M", NULL });
  cr_expect_eq (r.rc, 3, "%s%s", r.out, r.err);
  cr_expect (strstr (r.out, "limit        STOPPED: the memory limit (67108864 bytes) was "
                            "reached") != NULL, "%s", r.out);
  cr_expect (strstr (r.out, "not checked") != NULL, "%s", r.out);
  cr_expect (strstr (r.out, "outcome      unknown\n") != NULL, "%s", r.out);
  run_clear (&r);
  /* Counted, not measured: the same run stops at the same event. */
  Run again = dsim ((const char *[]) { "run", scn, "--max-memory", "64M", NULL });
  Run first = dsim ((const char *[]) { "run", scn, "--max-memory", "64M", NULL });
  cr_expect_str_eq (again.out, first.out);
  run_clear (&again);
  run_clear (&first);
  g_unlink (scn);
  g_rmdir (tmp);
}

/* The scenarios of the issue that ran for hours or years end through the
 * event limit, with the reason. */
Test (hostile, run_event_limit_ends_unknown)
{
  static const struct {
    const char *name, *text;
  } cases[] = {
    { "zero-latency.scn", "[cluster]\nprotocol = pb\nnodes = 3\n[network]\nlatency = 0\n"
                          "[workload]\nclients = 4\nthink = 0s\n" },
    { "tokens.scn", "[scenario]\nduration = 24h\n[cluster]\nprotocol = null\nnodes = 5\n"
                    "[null]\ntokens = 1000000\n" },
    { "duplicate.scn", "[scenario]\nduration = 24h\n[cluster]\nprotocol = pb\nnodes = 3\n"
                       "[network]\nduplicate = 1\n[workload]\nclients = 2\n" },
    { "bandwidth.scn", "[scenario]\nduration = 24h\n[cluster]\nprotocol = pb\nnodes = 16\n"
                       "[network]\nbandwidth = 1B/s\n[workload]\nclients = 8\n" },
  };
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++) {
    g_autofree char *scn = write_temp (tmp, cases[k].name, cases[k].text);
    Run r = dsim ((const char *[]) { "run", scn, "--max-events", "300000", "--max-memory",
                                     "256M", NULL });
    cr_expect_eq (r.rc, 3, "%s: %s%s", cases[k].name, r.out, r.err);
    cr_expect (strstr (r.out, "limit        STOPPED: the ") != NULL, "%s: %s", cases[k].name,
               r.out);
    run_clear (&r);
    g_unlink (scn);
  }
  g_rmdir (tmp);
}

/* Zero latency and no think time: virtual time stops; the no-progress
 * guard ends the run after a million events at one instant (it took ten
 * million, 38 s and 1.1 GB). */
Test (hostile, run_without_time_ends_quickly)
{
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *scn = write_temp (tmp, "zero.scn", "[cluster]\nprotocol = pb\nnodes = 3\n"
                                     "[network]\nlatency = 0\n[workload]\nclients = 4\n"
                                     "think = 0s\n");
  /* The run ends because the no-progress guard counts events within one
   * instant, not because of any clock: a hang would be caught by the test
   * runner's timeout, and the guard's own line proves which limit stopped
   * it. */
  Run r = dsim ((const char *[]) { "run", scn, NULL });
  cr_expect (strstr (r.out, "no-progress: 1000000 events at virtual time") != NULL, "%s",
             r.out);
  run_clear (&r);
  g_unlink (scn);
  g_rmdir (tmp);
}

Test (hostile, run_limits_are_checked_arguments)
{
  static const struct {
    const char *args[5];
    const char *err;
  } cases[] = {
    { { "run", "x.scn", "--max-events", "0", NULL },
      "dsim: run: --max-events: expected a positive number of events, got '0'\n" },
    { { "run", "x.scn", "--max-events", "-5", NULL },
      "dsim: run: --max-events: expected a positive number of events, got '-5'\n" },
    { { "run", "x.scn", "--max-memory", "-1", NULL },
      "dsim: run: --max-memory: expected a positive size such as 512M or 4G (at most "
      "16777215T), got '-1'\n" },
    { { "run", "x.scn", "--max-memory", "17179869185G", NULL },
      "dsim: run: --max-memory: expected a positive size such as 512M or 4G (at most "
      "16777215T), got '17179869185G'\n" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++) {
    Run r = dsim (cases[k].args);
    cr_expect_eq (r.rc, 2);
    cr_expect_str_eq (r.err, cases[k].err);
    run_clear (&r);
  }
}

/* Clock drift near -100%: the local-to-virtual conversion stepped one
 * microsecond at a time (16 s per 10 virtual seconds); now it searches. */
Test (hostile, drift_near_minus_100_percent_is_fast)
{
  static const char text[] =
    "[scenario]\nduration = 1h\n[cluster]\nprotocol = raft\nnodes = 3\n"
    "[workload]\nclients = 1\nthink = 100ms\n"
    "[faults]\nat 1s = skew n1 +0ms drift -999999ppm\nat 2s = skew n2 +5ms drift 1000000ppm\n";
  GError *error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("drift.scn", text, sizeof text - 1, &error);
  cr_assert_not_null (cfg, "%s", error ? error->message : "");
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  sim_world_run (w);
  cr_expect_null (sim_world_invariant_failure (w));
  cr_expect_eq (sim_world_stats (w)->now_us, 3600 * (int64_t) 1000000);
  /* n1's clock barely moves: it gains about a microsecond per second. */
  int64_t local = sim_world_node_local_time (w, 0);
  cr_expect (local < 1000000 + 10000, "n1 reads %" G_GINT64_FORMAT, local);
}

/* More than 127 groups wrapped an int8 and left endpoints connected. */
Test (hostile, partition_with_129_groups_cuts_everyone)
{
  g_autofree char *path = test_source_path ("tests/data/scenarios/hostile/partition-129-groups.scn");
  Run r = dsim ((const char *[]) { "run", path, NULL });
  cr_expect (strstr (r.out, "operations   invoked 256: ok 0, fail 0, info 256") != NULL,
             "no client can reach a node: %s", r.out);
  run_clear (&r);
}

Test (hostile, link_star_both_ways_is_one_pattern)
{
  g_autofree char *path = test_source_path ("tests/data/scenarios/hostile/link-star-both-ways.scn");
  GError *error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load (path, &error);
  cr_assert_not_null (cfg, "%s", error ? error->message : "");
  cr_expect_eq (cfg->link_overrides->len, 1);
}

/* 80,000 [faults] lines took 35 s to parse: quadratic lookups.  The case
 * has 400,000, which parse in about a second; quadratic lookups would take
 * hours and the test runner's timeout would end the test.  No clock here. */
Test (hostile, many_fault_lines_parse_in_linear_time)
{
  g_autoptr (GString) t = g_string_new ("[scenario]\nduration = 24h\n[cluster]\nprotocol = pb\n"
                                        "nodes = 3\n[faults]\n");
  for (int k = 400000; k > 0; k--)
    g_string_append_printf (t, "at %dus = crash n1\n", k);
  g_string_append (t, "at 1s = crash n9\n");
  GError *error = NULL;
  SimConfig *cfg = sim_scenario_load_data ("many.scn", t->str, t->len, &error);
  cr_expect_null (cfg);
  cr_expect (error != NULL && g_str_has_prefix (error->message, "many.scn:400007: [faults] at 1s: "
                                                "crash: expected a node (n1..n3), got 'n9'"),
             "%s", error ? error->message : "");
  g_clear_error (&error);
}

Test (hostile, scenario_must_be_a_regular_file)
{
  Run r = dsim ((const char *[]) { "run", "/dev/zero", NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect_str_eq (r.err, "dsim: /dev/zero: cannot read the scenario: not a regular file (a "
                           "FIFO, a device or a directory); the scenario must be a file\n");
  run_clear (&r);
}

/* ---- outputs ---------------------------------------------------------------*/

Test (hostile, outputs_that_fail_are_reported)
{
  g_autofree char *scn = test_source_path ("scenarios/pb/healthy.scn");
  Run r = dsim ((const char *[]) { "run", scn, "--trace", "/dev/full", "-q", NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect_str_eq (r.err, "dsim: run: --trace: /dev/full: cannot write: No space left on "
                           "device\n");
  run_clear (&r);

  /* An output that is a device is written in place, never replaced by a
   * regular file (which an atomic rename would do, given the rights). */
  g_autofree char *trace = test_source_path ("tests/data/traces/raft-small.jsonl");
  r = dsim ((const char *[]) { "trace", trace, "-o", "/dev/full", NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect_str_eq (r.err, "dsim: trace: cannot write /dev/full: No space left on device\n");
  cr_expect (g_file_test ("/dev/full", G_FILE_TEST_EXISTS)
             && !g_file_test ("/dev/full", G_FILE_TEST_IS_REGULAR), "/dev/full is a device");
  run_clear (&r);
  r = dsim ((const char *[]) { "trace", trace, "-o", "/dev/null", NULL });
  cr_expect_eq (r.rc, 0, "%s", r.err);
  cr_expect_not (g_file_test ("/dev/null", G_FILE_TEST_IS_REGULAR), "/dev/null is a device");
  run_clear (&r);

  /* Two scenarios with one name would share DIR/NAME/: refused. */
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *sub = g_build_filename (tmp, "b", NULL);
  g_mkdir (sub, 0700);
  g_autofree char *a = write_temp (tmp, "x.scn", "[cluster]\nprotocol = pb\n");
  g_autofree char *b = write_temp (sub, "x.scn", "[cluster]\nprotocol = pb\n");
  g_autofree char *out = g_build_filename (tmp, "out", NULL);
  r = dsim ((const char *[]) { "run", a, b, "--out", out, NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect (strstr (r.err, "would both be written to") != NULL, "%s", r.err);
  cr_expect_not (g_file_test (out, G_FILE_TEST_EXISTS), "nothing ran");
  run_clear (&r);

  /* check --diagram to a path that cannot be written: the verdict and the
   * summary are still printed, and the exit code says so. */
  g_autofree char *hist = test_source_path ("tests/data/histories/failed-cas.edn");
  r = dsim ((const char *[]) { "check", hist, "--diagram", "/nonexistent/dir/d.svg", NULL });
  if (strstr (r.err, "not available") == NULL) {
    cr_expect_eq (r.rc, 2, "%s", r.err);
    cr_expect (strstr (r.out, "linearizable violation") != NULL, "%s", r.out);
    cr_expect (strstr (r.out, "checked 1 history: 0 ok, 1 violation") != NULL, "%s", r.out);
  }
  run_clear (&r);
  g_unlink (a);
  g_unlink (b);
  g_rmdir (sub);
  g_rmdir (tmp);
}

/* --format json stays valid UTF-8 whatever the file is called, and bytes
 * that are not UTF-8 inside a history are refused with their place. */
Test (hostile, json_output_is_valid_utf8)
{
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *one = test_source_path ("tests/data/histories/one-op.jsonl");
  g_autofree char *text = NULL;
  gsize len = 0;
  cr_assert (g_file_get_contents (one, &text, &len, NULL));
  g_autofree char *odd = g_build_filename (tmp, "bad\xff.jsonl", NULL);
  cr_assert (g_file_set_contents (odd, text, (gssize) len, NULL));
  Run r = dsim ((const char *[]) { "check", "--format", "json", odd, NULL });
  cr_expect_eq (r.rc, 0, "%s", r.err);
  cr_expect (g_utf8_validate (r.out, -1, NULL), "%s", r.out);
  cr_expect (strstr (r.out, "\"verdict\":\"ok\"") != NULL, "%s", r.out);
  run_clear (&r);
  g_autofree char *kw = write_temp (tmp, "kw.edn",
                                    "{:process 0, :type :invoke, :f :write, :value :k\xff}\n");
  r = dsim ((const char *[]) { "check", "--format", "json", kw, NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect (g_utf8_validate (r.out, -1, NULL), "%s", r.out);
  cr_expect (strstr (r.err, "kw.edn:1:47: expected a symbol or keyword of UTF-8 text, found "
                            "bytes that are not UTF-8") != NULL, "%s", r.err);
  run_clear (&r);
  g_unlink (odd);
  g_unlink (kw);
  g_rmdir (tmp);
}

/* ---- collection models and the staleness measure ---------------------------*/

/* A read of a million-element set: the verdict is right and every line of
 * the report stays short (the whole set was printed, 6.9 MB on one line). */
Test (hostile, million_element_set_reports_in_short_lines)
{
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autoptr (GString) text = g_string_new ("{:process 0, :type :invoke, :f :read, :value nil}\n"
                                           "{:process 0, :type :ok, :f :read, :value #{");
  for (int i = 0; i < 1000000; i++)
    g_string_append_printf (text, "%s%d", i > 0 ? " " : "", i);
  g_string_append (text, "}}\n");
  g_autofree char *path = write_temp (tmp, "big-set.edn", text->str);
  Run r = dsim ((const char *[]) { "check", path, NULL });
  cr_expect_eq (r.rc, 1, "%s%s", r.out, r.err);
  cr_expect (strstr (r.out, "cannot be linearized: process 0 read -> #{0 1 2 3 4 5 6 7 8 9 10 "
                            "11 12 13 14 15 16 17 18 19 20 21 22 23 ... (1000000 elements)} "
                            "(lines 1-2)\n") != NULL, "%.2000s", r.out);
  cr_expect_lt (strlen (r.out), 2000, "%zu bytes of report", strlen (r.out));
  run_clear (&r);
  g_unlink (path);
  g_rmdir (tmp);
}

/* The other consistency models name the operation they cannot take. */
Test (hostile, queue_under_session_names_the_operation)
{
  g_autofree char *path = test_source_path ("tests/data/models/queue-reorder.edn");
  Run r = dsim ((const char *[]) { "check", "--model", "session", path, NULL });
  cr_expect_eq (r.rc, 2, "%s%s", r.out, r.err);
  cr_expect (strstr (r.err, "queue-reorder.edn:4: operation 'enqueue' of process 0: the "
                            "consistency models other than linearizability take reads and "
                            "writes only") != NULL, "%s", r.err);
  run_clear (&r);
}

/* The staleness measure on 60 s of a strict-quorum run (8,000+ operations)
 * listed every read x operation gap as a candidate Delta: minutes and 2 GB
 * before any search.  Now the Delta search bisects whole microseconds and
 * each step is decided by the zone test: the measure decides the history,
 * and a memory cap ends it unknown, exit 3, with the reason. */
Test (hostile, staleness_on_a_long_quorum_history_is_decided, .timeout = 300)
{
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *src = test_source_path ("scenarios/quorum/strict-quorum-inversion.scn");
  g_autofree char *body = NULL;
  cr_assert (g_file_get_contents (src, &body, NULL, NULL));
  g_autoptr (GRegex) re = g_regex_new ("^duration = .*$", G_REGEX_MULTILINE, 0, NULL);
  g_autofree char *long_body = g_regex_replace_literal (re, body, -1, 0, "duration = 60s", 0,
                                                        NULL);
  g_autofree char *scn = write_temp (tmp, "long.scn", long_body);
  g_autofree char *hist = g_build_filename (tmp, "history.jsonl", NULL);
  Run run = dsim ((const char *[]) { "run", scn, "--history", hist, "--quiet", NULL });
  cr_assert (run.rc == 0 || run.rc == 1, "%s%s", run.out, run.err);
  run_clear (&run);
  Run r = dsim ((const char *[]) { "check", "--model", "staleness", hist, NULL });
  cr_expect_eq (r.rc, 0, "%s%s", r.out, r.err);
  cr_expect (strstr (r.out, "staleness ok (register, 8341 operations)") != NULL, "%s", r.out);
  cr_expect (strstr (r.out, "smallest Delta 0.089187 s") != NULL, "%s", r.out);
  cr_expect (strstr (r.out, "2-atomic: yes") != NULL, "%s", r.out);
  run_clear (&r);
  /* The history takes about 0.7 MB loaded (its text, 1.3 MB, is read
   * through a window and not counted whole). */
  Run capped = dsim ((const char *[]) { "check", "--model", "staleness", "--max-memory", "400K",
                                        hist, NULL });
  cr_expect_eq (capped.rc, 3, "%s%s", capped.out, capped.err);
  cr_expect (strstr (capped.out, "reached the memory limit of 409600 bytes (--max-memory)")
             != NULL, "%s", capped.out);
  run_clear (&capped);
  g_unlink (hist);
  g_unlink (scn);
  g_rmdir (tmp);
}

/* A flag that takes no value refuses one instead of ignoring it
 * (`--no-por=0` meant the opposite of what it did). */
Test (hostile, valueless_flags_refuse_a_value)
{
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-commit-previous-term.scn");
  Run e = dsim ((const char *[]) { "explore", scn, "--no-por=0", NULL });
  cr_expect_eq (e.rc, 2, "%s%s", e.out, e.err);
  cr_expect (strstr (e.err, "explore: --no-por takes no value, got '--no-por=0'") != NULL, "%s",
             e.err);
  run_clear (&e);
  Run f = dsim ((const char *[]) { "explore", scn, "--from-replay=no", NULL });
  cr_expect_eq (f.rc, 2, "%s%s", f.out, f.err);
  cr_expect (strstr (f.err, "explore: --from-replay takes no value, got '--from-replay=no'")
             != NULL, "%s", f.err);
  run_clear (&f);
  Run r = dsim ((const char *[]) { "run", scn, "--quiet=0", NULL });
  cr_expect_eq (r.rc, 2, "%s%s", r.out, r.err);
  cr_expect (strstr (r.err, "run: --quiet takes no value, got '--quiet=0'") != NULL, "%s", r.err);
  run_clear (&r);
}

/* dsim explore and dsim fuzz read the scenario's text themselves (to write
 * counterexamples and repro files); they read a FIFO until a writer came,
 * for ever.  Both now read through the scenario loader's checks. */
Test (hostile, explore_and_fuzz_refuse_a_scenario_that_is_not_a_file)
{
  const char *commands[] = { "explore", "fuzz" };
  for (guint k = 0; k < G_N_ELEMENTS (commands); k++) {
    Run r = dsim ((const char *[]) { commands[k], "/dev/zero", NULL });
    cr_expect_eq (r.rc, 2, "%s: %s%s", commands[k], r.out, r.err);
    cr_expect (strstr (r.err, "/dev/zero: cannot read the scenario: not a regular file (a FIFO, "
                              "a device or a directory); the scenario must be a file")
                 != NULL, "%s: %s", commands[k], r.err);
    run_clear (&r);
  }
}

/* ---- fuzz campaigns: every run's scenario loads ------------------------------*/

/* Each fuzz run is a scenario text that must load: one that does not is a
 * bug in dsim, and the campaign aborts.  A [scenario] duration of 24h left
 * no room for the liveness phase (a run of 24h + 3s), and a [link] naming
 * c4 went into runs of fewer clients. */
static void
expect_every_draw_loads (const char *text, int64_t duration_us)
{
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "fuzz.scn", NULL);
  cr_assert (g_file_set_contents (path, text, -1, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (FuzzBase) b = fuzz_base_load (path, &error);
  cr_assert_not_null (b, "%s", error != NULL ? error->message : "");
  Pcg32 rng;
  pcg32_seed (&rng, 7, 1);
  for (int i = 0; i < 64; i++) {
    FuzzInput in;
    fuzz_input_init (&in);
    fuzz_input_swarm (b, &rng, &in);
    if (duration_us > 0)
      in.duration_us = duration_us;
    FuzzPlan plan;
    fuzz_plan_init (&plan);
    fuzz_plan_from_input (b, &in, &plan);
    g_autofree char *run = fuzz_plan_text (b, &plan, "any", NULL);
    g_autoptr (GError) load_error = NULL;
    g_autoptr (SimConfig) cfg = sim_scenario_load_data (path, run, strlen (run), &load_error);
    cr_expect_not_null (cfg, "draw %d: %s", i, load_error != NULL ? load_error->message : "");
    fuzz_plan_clear (&plan);
    fuzz_input_clear (&in);
    if (cfg == NULL)
      break;
  }
  g_unlink (path);
  g_rmdir (dir);
}

Test (hostile, fuzz_runs_of_a_day_long_scenario_load)
{
  g_autofree char *text = g_strdup ("[scenario]\nduration = 24h\n[cluster]\nprotocol = null\n");
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "day.scn", NULL);
  cr_assert (g_file_set_contents (path, text, -1, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (FuzzBase) b = fuzz_base_load (path, &error);
  cr_assert_not_null (b, "%s", error != NULL ? error->message : "");
  int64_t day_us = (int64_t) 24 * 3600 * G_USEC_PER_SEC;
  cr_expect_leq (b->duration_max_us + b->liveness_us, day_us);
  int64_t longest = b->duration_max_us;
  g_unlink (path);
  g_rmdir (dir);
  /* The longest safety phase the campaign draws, with its liveness phase. */
  expect_every_draw_loads (text, longest);
}

Test (hostile, fuzz_runs_keep_the_clients_a_link_names)
{
  expect_every_draw_loads ("[scenario]\nduration = 1s\n[cluster]\nprotocol = raft\nnodes = 3\n"
                           "[workload]\nclients = 4\n[link c4 -> n1]\ndrop = 0.5\n", 0);
}

/* A [replay] path in a fuzzed scenario: the runs ignored it, their
 * repro.scn replayed it (so did not reproduce), and a run of fewer nodes
 * did not load.  dsim fuzz refuses it, naming its line. */
Test (hostile, fuzz_refuses_a_scenario_with_a_replay_path)
{
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-commit-previous-term.scn");
  Run r = dsim ((const char *[]) { "fuzz", scn, "--runs", "1", "--out", "/nonexistent/x",
                                   NULL });
  cr_expect_eq (r.rc, 2, "%s%s", r.out, r.err);
  g_autofree char *want = g_strdup_printf ("dsim: %s:", scn);
  cr_expect (g_str_has_prefix (r.err, want), "%s", r.err);
  cr_expect (strstr (r.err, ": [replay] step 1: dsim fuzz draws its own runs; expected a "
                            "scenario without [replay]") != NULL, "%s", r.err);
  cr_expect_str_eq (r.out, "");
  run_clear (&r);
}

/* The paths of a fuzz output directory made for dsim fuzz --merge (the
 * files themselves are left to each test). */
typedef struct {
  char *dir, *runs, *cov, *fail, *report;
} MergeDir;

static MergeDir
merge_dir_new (void)
{
  MergeDir m;
  m.dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  m.runs = g_build_filename (m.dir, "runs.tsv", NULL);
  m.cov = g_build_filename (m.dir, "coverage.txt", NULL);
  m.fail = g_build_filename (m.dir, "fail-1", NULL);
  m.report = g_build_filename (m.fail, "report.txt", NULL);
  return m;
}

static void
merge_dir_free (MergeDir *m)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", m->dir);
  cr_expect_eq (system (cmd), 0);
  g_free (m->dir);
  g_free (m->runs);
  g_free (m->cov);
  g_free (m->fail);
  g_free (m->report);
}

/* dsim fuzz --merge read runs.tsv, coverage.txt and each fail-N/report.txt
 * with g_file_get_contents: a FIFO in place of one waited for a writer for
 * ever, /dev/zero read until memory ran out.  They go through the input
 * checks now. */
Test (hostile, fuzz_merge_refuses_files_that_are_not_files)
{
  MergeDir m = merge_dir_new ();
  const char *dir = m.dir, *runs = m.runs, *cov = m.cov, *fail = m.fail, *report = m.report;
  cr_assert (g_file_set_contents (runs, "run\tseed\tnodes\tclients\tfaults\tverdict\tevents\t"
                                        "ops\tfeatures\n", -1, NULL));
  cr_assert_eq (mkfifo (cov, 0600), 0);
  Run r = dsim ((const char *[]) { "fuzz", "--merge", dir, NULL });
  cr_expect_eq (r.rc, 2, "%s%s", r.out, r.err);
  g_autofree char *want = g_strdup_printf ("cannot read %s: not a regular file", cov);
  cr_expect (strstr (r.err, want) != NULL, "%s", r.err);
  run_clear (&r);
  g_unlink (cov);
  cr_assert (g_file_set_contents (cov, "", -1, NULL));
  cr_assert_eq (g_mkdir (fail, 0700), 0);
  cr_assert_eq (mkfifo (report, 0600), 0);
  r = dsim ((const char *[]) { "fuzz", "--merge", dir, NULL });
  cr_expect_eq (r.rc, 2, "%s%s", r.out, r.err);
  g_autofree char *want2 = g_strdup_printf ("cannot read %s: not a regular file", report);
  cr_expect (strstr (r.err, want2) != NULL, "%s", r.err);
  run_clear (&r);
  merge_dir_free (&m);
}

/* dsim check --diagram drew every marked operation: a linearizable prefix
 * of 20,000 writes before a stale read gave Graphviz 20,000 bars (a
 * million pending writes, a million lanes, ran for hours).  At most 120
 * are drawn, the culprit and the end of the prefix first. */
Test (hostile, check_diagram_of_a_long_prefix_is_bounded)
{
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "long-prefix.jsonl", NULL);
  g_autofree char *dot = g_build_filename (dir, "long-prefix.dot", NULL);
  g_autoptr (GString) h = g_string_new (NULL);
  int64_t t = 0;
  for (int i = 1; i <= 20000; i++) {
    for (int k = 0; k < 2; k++)
      g_string_append_printf (h, "{\"process\":%d,\"type\":\"%s\",\"f\":\"write\",\"key\":\"x\","
                              "\"value\":%d,\"time\":%" G_GINT64_FORMAT "}\n", i % 5,
                              k == 0 ? "invoke" : "ok", i, t++);
  }
  g_string_append_printf (h, "{\"process\":9,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\","
                          "\"value\":null,\"time\":%" G_GINT64_FORMAT "}\n", t++);
  g_string_append_printf (h, "{\"process\":9,\"type\":\"ok\",\"f\":\"read\",\"key\":\"x\","
                          "\"value\":3,\"time\":%" G_GINT64_FORMAT "}\n", t++);
  cr_assert (g_file_set_contents (path, h->str, (gssize) h->len, NULL));
  Run r = dsim ((const char *[]) { "check", path, "--diagram", dot, NULL });
  cr_expect_eq (r.rc, 1, "%s%s", r.out, r.err);
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (dot, &text, NULL, NULL));
  cr_expect (strstr (text, "(19881 other operations are not drawn.)") != NULL,
             "%.2000s", text);
  /* the culprit, and the last write of the prefix */
  cr_expect (strstr (text, "label=\"read x: 3\"") != NULL);
  cr_expect (strstr (text, "label=\"write x=20000\"") != NULL);
  run_clear (&r);
  g_unlink (dot);
  g_unlink (path);
  g_rmdir (dir);
}

/* dsim explore --threads 256 (breadth first or random walks) under a
 * memory ulimit: the threads' stacks did not fit, and the thread
 * that could not be created aborted dsim.  The work of a thread that
 * cannot start is done by the one that asked for it; the states found do
 * not depend on the threads. */
static Run
dsim_limited (guint memory_mb, const char *const *args)
{
  g_autoptr (GPtrArray) argv = test_limited_argv (memory_mb, 120);
  g_ptr_array_add (argv, g_strdup (g_getenv ("DSIM_EXE")));
  for (int i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  Run r = { 0 };
  int status = 0;
  g_autoptr (GError) error = NULL;
  cr_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                           &r.out, &r.err, &status, &error), "%s", error ? error->message : "");
  r.rc = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  return r;
}

Test (hostile, explore_threads_that_do_not_fit_do_not_abort)
{
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-correct.scn");
  Run one = dsim ((const char *[]) { "explore", scn, "--depth", "8", "--threads", "1", NULL });
  cr_assert_eq (one.rc, 0, "%s%s", one.out, one.err);
  const char *states = strstr (one.out, "states       ");
  cr_assert_not_null (states, "%s", one.out);
  g_autofree char *line = g_strndup (states, strcspn (states, "\n"));
  const char *strategies[] = { "bfs", "random-walk" };
  for (guint k = 0; k < G_N_ELEMENTS (strategies); k++) {
    Run r = dsim_limited (1500, (const char *[]) { "explore", scn, "--depth", "8", "--threads",
                                                   "256", "--strategy", strategies[k],
                                                   "--walks", "300", NULL });
    cr_expect (r.rc == 0 || r.rc == 3, "%s: exit %d: %s%s", strategies[k], r.rc, r.out, r.err);
    cr_expect (strstr (r.err, "Error creating thread") == NULL, "%s", r.err);
    if (k == 0)
      cr_expect (strstr (r.out, line) != NULL, "want '%s' in\n%s", line, r.out);
    run_clear (&r);
  }
  run_clear (&one);
}

/* dsim check under a ulimit -v: the loader reserved room for as many
 * operations as the text could hold (1.7 times its size), whatever
 * --max-memory said, and the default cap (4G) was above the limit: a
 * history of a million pending writes aborted dsim on an allocation under
 * 300 MB.  The reservation stays within the cap, and the default cap
 * within what the limit leaves free: the check ends, unknown at worst. */
Test (hostile, check_under_an_address_space_limit_does_not_abort)
{
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "pending.jsonl", NULL);
  g_autoptr (GString) h = g_string_new (NULL);
  for (int i = 0; i < 1000000; i++)
    g_string_append_printf (h, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\","
                            "\"value\":%d,\"time\":%d}\n", i, i, i);
  cr_assert (g_file_set_contents (path, h->str, (gssize) h->len, NULL));
  g_string_free (g_steal_pointer (&h), TRUE);
  Run r = dsim_limited (300, (const char *[]) { "check", path, NULL });
  cr_expect (r.rc == 0 || r.rc == 3, "exit %d: %s%s", r.rc, r.out, r.err);
  cr_expect (strstr (r.err, "failed to allocate") == NULL, "%s", r.err);
  run_clear (&r);
  g_unlink (path);
  g_rmdir (dir);
}

/* The ShiViz log grew in one string as long as the trace asked: a run of
 * 160 lanes and 671,813 events (a 500 MB trace) doubled it to 2 GiB and
 * aborted on the allocation under a 2 GB ulimit.  Past 256 MiB the log is
 * refused; here two lanes named by a megabyte each make every line 2 MB. */
Test (hostile, shiviz_log_length_is_bounded)
{
  g_autofree char *a = g_strnfill (1 << 20, 'a');
  g_autofree char *b = g_strnfill (1 << 20, 'b');
  g_autoptr (GString) t = g_string_new (NULL);
  g_string_append_printf (t, "{\"kind\":\"meta\",\"protocol\":\"pb\",\"nodes\":[\"%s\",\"%s\"],"
                          "\"clients\":[]}\n", a, b);
  g_string_append_printf (t, "{\"time\":0,\"node\":\"%s\",\"kind\":\"send\",\"msg\":1,"
                          "\"peer\":\"%s\"}\n", a, b);
  g_string_append_printf (t, "{\"time\":1,\"node\":\"%s\",\"kind\":\"recv\",\"msg\":1,"
                          "\"peer\":\"%s\"}\n", b, a);
  for (int k = 0; k < 200; k++)
    g_string_append_printf (t, "{\"time\":%d,\"node\":\"%s\",\"kind\":\"note\"}\n", k + 2, b);
  GError *error = NULL;
  g_autoptr (VizModel) m = sim_trace_viz_load_data ("names.jsonl", t->str, t->len, &error);
  cr_assert_not_null (m, "%s", error ? error->message : "");
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  char *log = viz_shiviz_log (m, &opt, &error);
  cr_expect_null (log);
  cr_expect (error != NULL && strstr (error->message, "the ShiViz log of 202 events on 2 lanes is "
                                                      "over 256 MiB by event 85;") != NULL,
             "%s", error ? error->message : "");
  g_free (log);
  g_clear_error (&error);
}

/* Messages quoted what they refused in full: a key, a section name or a
 * value of megabytes in a scenario, a number of a million digits in a
 * history, made a message of megabytes.  They quote its start and length. */
Test (hostile, messages_quote_a_long_token_by_its_start)
{
  g_autofree char *digits = g_strnfill (1000000, '9');
  g_autofree char *scn = g_strdup_printf ("[scenario]\n%s = 1\n[cluster]\nprotocol = raft\n",
                                          digits);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("long.scn", scn, strlen (scn), &error);
  cr_assert_null (cfg);
  cr_expect (g_str_has_prefix (error->message, "long.scn:2: [scenario] 9999"), "%.200s",
             error->message);
  cr_expect (strstr (error->message, "... (1000000 bytes): unknown key") != NULL, "%.200s",
             error->message);
  cr_expect_lt (strlen (error->message), 2000);
  g_clear_error (&error);
  g_autofree char *seed = g_strdup_printf ("[scenario]\nseed = %s\n[cluster]\nprotocol = raft\n",
                                           digits);
  g_autoptr (SimConfig) cfg2 = sim_scenario_load_data ("seed.scn", seed, strlen (seed), &error);
  cr_assert_null (cfg2);
  cr_expect (g_str_has_prefix (error->message, "seed.scn:2: [scenario] seed: expected an "
                                               "unsigned integer seed, got '9999"),
             "%.200s", error->message);
  cr_expect_lt (strlen (error->message), 2000);
  g_clear_error (&error);

  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "long-number.jsonl", NULL);
  g_autofree char *h = g_strdup_printf ("{\"process\":1,\"type\":\"invoke\",\"f\":\"write\","
                                        "\"key\":\"x\",\"value\":%s,\"time\":1}\n", digits);
  cr_assert (g_file_set_contents (path, h, -1, NULL));
  Run r = dsim ((const char *[]) { "check", path, NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect (strstr (r.err, ":1:60: expected a number that fits in 64 bits, found "
                            "'9999999999999999999999999999999999999999...' (1000000 bytes)\n")
               != NULL, "%.300s", r.err);
  cr_expect_lt (strlen (r.err), 2000);
  run_clear (&r);
  g_unlink (path);
  g_rmdir (dir);
}

/* dsim fuzz --time looked at the clock between batches of 16 runs only: a
 * scenario of long runs (a 24h Raft run of 32 nodes takes minutes) kept a
 * --time 5s campaign going for many minutes.  A thread past the limit
 * takes no more runs; here runs of 20 virtual minutes (0.8 s each) and
 * --time 1s stop after a few runs, not a batch of 16. */
Test (hostile, fuzz_time_limit_stops_within_a_batch)
{
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "long-runs.scn", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  cr_assert (g_file_set_contents (path, "[scenario]\nduration = 20m\n[cluster]\nprotocol = null\n"
                                        "nodes = 3\n[fuzz]\nduration = 20m\n", -1, NULL));
  Run r = dsim ((const char *[]) { "fuzz", path, "--time", "1s", "--jobs", "1", "--out", out,
                                   NULL });
  cr_expect_eq (r.rc, 0, "%s%s", r.out, r.err);
  const char *runs = strstr (r.out, "\nruns         ");
  cr_assert_not_null (runs, "%s", r.out);
  int n = atoi (runs + strlen ("\nruns         "));
  cr_expect (n >= 1 && n < 16, "%d runs: %s", n, r.out);
  run_clear (&r);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  cr_expect_eq (system (cmd), 0);
}

/* dsim fuzz --merge DIR DIR (or DIR and DIR/): the runs were counted once,
 * the failures listed once per name.  A directory is merged once. */
Test (hostile, fuzz_merge_of_one_directory_twice_lists_its_failure_once)
{
  MergeDir m = merge_dir_new ();
  const char *dir = m.dir, *runs = m.runs, *cov = m.cov, *fail = m.fail, *report = m.report;
  cr_assert (g_file_set_contents (runs, "run\tseed\tnodes\tclients\tfaults\tverdict\tevents\t"
                                        "ops\tfeatures\n0\t1\t3\t1\t-\tinvariant\t9\t1\t1\n",
                                  -1, NULL));
  cr_assert (g_file_set_contents (cov, "feature 0100000000000001\n", -1, NULL));
  cr_assert_eq (g_mkdir (fail, 0700), 0);
  cr_assert (g_file_set_contents (report, "broke        invariant election-safety\n", -1,
                                  NULL));
  g_autofree char *slash = g_strconcat (dir, "/", NULL);
  Run r = dsim ((const char *[]) { "fuzz", "--merge", dir, slash, NULL });
  cr_expect_eq (r.rc, 1, "%s%s", r.out, r.err);
  cr_expect (g_str_has_prefix (r.out, "merged       1 directory\nruns         1: pass 0, "
                                      "failed 1\n"), "%s", r.out);
  cr_expect (strstr (r.out, "failure 1 ") != NULL && strstr (r.out, "failure 2 ") == NULL,
             "%s", r.out);
  run_clear (&r);
  merge_dir_free (&m);
}

/* A diagram drew every event of the trace: the 671,813 events of a 500 MB
 * trace took Graphviz minutes and aborted on an allocation under a 2 GB
 * ulimit (--time logical).  It draws the first 100,000 unless --max-events
 * says otherwise, and says so on the diagram. */
Test (hostile, trace_diagram_draws_a_bounded_number_of_events)
{
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "many.jsonl", NULL);
  g_autoptr (GString) t = g_string_new ("{\"kind\":\"meta\",\"protocol\":\"pb\","
                                        "\"nodes\":[\"n1\",\"n2\"],\"clients\":[]}\n");
  for (int k = 0; k < 100050; k++)
    g_string_append_printf (t, "{\"time\":%d,\"node\":\"n%d\",\"kind\":\"note\"}\n", k,
                            k % 2 + 1);
  cr_assert (g_file_set_contents (path, t->str, (gssize) t->len, NULL));
  Run r = dsim ((const char *[]) { "trace", path, "-o", "-", "--format", "dot", NULL });
  cr_expect_eq (r.rc, 0, "%s", r.err);
  cr_expect (strstr (r.out, "cut: showing the first 100000 of 100050 events; the 50 from 100 ms "
                            "on are not drawn (--max-events)") != NULL, "%.500s", r.err);
  run_clear (&r);
  r = dsim ((const char *[]) { "trace", path, "-o", "-", "--format", "dot", "--max-events",
                               "200000", NULL });
  cr_expect_eq (r.rc, 0, "%s", r.err);
  cr_expect (strstr (r.out, "cut: showing") == NULL);
  run_clear (&r);
  g_unlink (path);
  g_rmdir (dir);
}

/* A long busy Raft run: 32 clients without think time for four virtual
 * minutes, 6 million events.  The invariant ghost's digest, computed after
 * every step that changed the ghost, walked every index applied so far and
 * every term's leader: quadratic in the run (two virtual minutes took 344
 * CPU seconds, four would take about 1,400, a day-long run months).  The
 * tables' share is now kept as a sum while they grow, and the run takes a
 * few seconds; the timeout below is the backstop (no clock here).  The
 * invariants hold. */
Test (hostile, a_long_busy_raft_run_checks_in_linear_time, .timeout = 300)
{
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *scn = write_temp (tmp, "busy.scn", "[scenario]\nduration = 240s\n"
                                     "[cluster]\nprotocol = raft\nnodes = 5\n"
                                     "[workload]\nclients = 32\nthink = 0s\n");
  Run r = dsim ((const char *[]) { "run", scn, NULL });
  cr_expect_eq (r.rc, 0, "%s%s", r.out, r.err);
  cr_expect (strstr (r.out, "virtual time 240.000000s") != NULL, "%s", r.out);
  cr_expect (strstr (r.out, "invariants   hold") != NULL, "%s", r.out);
  run_clear (&r);
  g_unlink (scn);
  g_rmdir (tmp);
}

/* The same kind of run, three nodes for one virtual minute on two keys
 * (161,883 operations), checked for sequential consistency at its end.
 * The search asked at every write it tried whether a read not yet placed
 * waited for the key's current value by walking every read of the key
 * (80,000 here): the 5,000,000 states the run's search may take cost
 * about 120 microseconds each, 600 CPU seconds on four keys, more on two.
 * It keeps a count of unplaced reads per key and value; the same states
 * take seconds, and the verdict is the bound's, as before. */
Test (hostile, a_busy_run_s_sequential_check_reaches_its_state_bound_in_seconds, .timeout = 300)
{
#if defined(__SANITIZE_ADDRESS__)
  cr_skip ("a bound on the search's cost per state: the sanitizers' slowdown says nothing of it "
           "(the search runs under them in the consistency tests)");
#endif
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *scn = write_temp (tmp, "busy.scn", "[scenario]\nduration = 60s\n"
                                     "[cluster]\nprotocol = raft\nnodes = 3\n"
                                     "[workload]\nclients = 32\nthink = 0s\nkeys = 2\n"
                                     "[check]\nmodels = sequential\n");
  Run r = dsim ((const char *[]) { "run", scn, NULL });
  cr_expect_eq (r.rc, 3, "%s%s", r.out, r.err);
  cr_expect (strstr (r.out, "operations   invoked 161883: ok 161851") != NULL, "%s", r.out);
  cr_expect (strstr (r.out, "sequential   undecided: the search stopped after 5000001 states\n")
               != NULL, "%s", r.out);
  run_clear (&r);
  g_unlink (scn);
  g_rmdir (tmp);
}

/* A history of n_ops completed writes by eight processes, in EDN or JSON
 * Lines (about 50 or 80 bytes an operation), written line by line. */
static void
write_writes (const char *path, guint n_ops, gboolean edn)
{
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f, "%s", path);
  for (guint i = 0; i < n_ops; i++)
    for (int done = 0; done < 2; done++) {
      if (edn)
        fprintf (f, "{:process %u, :type :%s, :f :write, :value %u}\n", i % 8,
                 done ? "ok" : "invoke", i);
      else
        fprintf (f, "{\"process\":%u,\"type\":\"%s\",\"f\":\"write\",\"key\":\"x\",\"value\":%u,"
                 "\"time\":%u}\n", i % 8, done ? "ok" : "invoke", i, 2 * i + done);
    }
  cr_assert_eq (fclose (f), 0);
}

/* dsim check of a 700 MB history under a 1 GB ulimit -v aborted on an
 * allocation: the file is mapped while it is read, and the default cap (a
 * quarter of the address space free when dsim starts) did not count the
 * mapping, so the operations' arrays outgrew what the mapping left; an
 * explicit --max-memory 4G was not bounded by the ulimit at all.  The cap
 * for loading is now at most a quarter of what the mapping leaves free,
 * and a file that leaves almost nothing is not read at all; both end
 * unknown, exit 3.  Here 60 MB under 90 MB and 70 MB (which aborted the
 * same way).
 * ASan reserves terabytes of address space: no ulimit -v there. */
Test (hostile, check_counts_the_mapped_history_under_a_ulimit, .timeout = 300)
{
#if defined(__SANITIZE_ADDRESS__)
  cr_skip ("ulimit -v does not apply under AddressSanitizer");
#endif
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  for (int edn = 0; edn < 2; edn++) {
    g_autofree char *path = g_build_filename (dir, edn ? "big.edn" : "big.jsonl", NULL);
    write_writes (path, edn ? 600000 : 380000, edn);
    for (int given = 0; given < 2; given++) { /* the default cap, and --max-memory 4G */
      Run r = dsim_limited (90, (const char *[]) { "check", path, given ? "--max-memory" : NULL,
                                                   "4G", NULL });
      cr_expect_eq (r.rc, 3, "%s: exit %d: %s%s", path, r.rc, r.out, r.err);
      cr_expect (strstr (r.out, "linearizable unknown (not loaded)\n") != NULL, "%s", r.out);
      cr_expect (strstr (r.out, ": reading the input reached the memory limit of ") != NULL,
                 "%s", r.out);
      run_clear (&r);
    }
    Run r = dsim_limited (70, (const char *[]) { "check", path, NULL });
    cr_expect_eq (r.rc, 3, "%s: exit %d: %s%s", path, r.rc, r.out, r.err);
    cr_expect (strstr (r.out, "bytes) leaves less than 16 MiB of the address space free under "
                              "the ulimit -v (") != NULL, "%s", r.out);
    run_clear (&r);
    g_unlink (path);
  }
  g_rmdir (dir);
}

/* dsim check --timeout covered the checkers, not the loading (about 20 s
 * for 700 MB): the loader stops at the time limit too, unknown, exit 3,
 * with the line it reached.  A timeout of a microsecond ends a load of
 * 100,000 operations. */
Test (hostile, check_timeout_covers_loading)
{
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  for (int edn = 0; edn < 2; edn++) {
    g_autofree char *path = g_build_filename (dir, edn ? "h.edn" : "h.jsonl", NULL);
    write_writes (path, 100000, edn);
    Run r = dsim ((const char *[]) { "check", path, "--timeout", "1us", NULL });
    cr_expect_eq (r.rc, 3, "%s: exit %d: %s%s", path, r.rc, r.out, r.err);
    cr_expect (strstr (r.out, "linearizable unknown (not loaded)\n") != NULL, "%s", r.out);
    cr_expect (strstr (r.out, ": reading the input reached the time limit (--timeout 1us)\n")
                 != NULL, "%s", r.out);
    run_clear (&r);
    r = dsim ((const char *[]) { "check", path, "--timeout", "1us", "--format", "json", NULL });
    cr_expect_eq (r.rc, 3, "%s", r.out);
    cr_expect (strstr (r.out, "\"verdict\":\"unknown\",\"explanation\":\"") != NULL
                 && strstr (r.out, ": reading the input reached the time limit\"}") != NULL,
               "%s", r.out);
    run_clear (&r);
    /* A limit that loading stays within: the verdict as before. */
    r = dsim ((const char *[]) { "check", path, "--timeout", "10m", NULL });
    cr_expect_eq (r.rc, 0, "%s%s", r.out, r.err);
    run_clear (&r);
    g_unlink (path);
  }
  g_rmdir (dir);
}

/* A flag's value was echoed whole in the usage error: a --timeout of 3,000
 * characters made a message of 3,000.  Values quoted in a usage message
 * are quoted by their start and length, as long tokens of scenarios and
 * histories are; short ones, and the rest of the message, as before. */
Test (hostile, usage_errors_quote_a_long_flag_value_by_its_start)
{
  g_autofree char *xs = g_strnfill (3000, 'x');
  g_autofree char *opt = g_strconcat ("--", xs, NULL);
  g_autofree char *history = test_source_path ("tests/data/histories/info-cannot-explain.edn");
  static const char *const quoted = "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (3000 bytes)";
  const struct {
    const char *args[6];
    const char *before, *after;
  } cases[] = {
    { { "check", history, "--timeout", xs, NULL }, "dsim: check: --timeout ",
      ": expected a positive duration such as 500ms or 10s (leave --timeout out for no time "
      "limit)\n" },
    { { "check", history, "--model", xs, NULL }, "dsim: check: unknown model ",
      " (expected linearizable, sequential, " },
    { { "fuzz", history, "--time", xs, NULL },
      "dsim: fuzz: --time: expected a duration such as 30s or 10m, got ", "\n" },
    { { "run", history, "--seed", xs, NULL },
      "dsim: run: --seed: expected an unsigned 64-bit integer, got ", "\n" },
    { { "trace", history, "-o", "/dev/null", "--time", xs }, "dsim: trace: --time: expected "
      "virtual or logical, got ", "\n" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++) {
    g_autoptr (GPtrArray) args = g_ptr_array_new ();
    for (guint i = 0; i < G_N_ELEMENTS (cases[k].args) && cases[k].args[i] != NULL; i++)
      g_ptr_array_add (args, (gpointer) cases[k].args[i]);
    g_ptr_array_add (args, NULL);
    Run r = dsim ((const char *const *) args->pdata);
    g_autofree char *want = g_strconcat (cases[k].before, quoted, cases[k].after, NULL);
    cr_expect_eq (r.rc, 2, "%s %s: %s", cases[k].args[0], cases[k].args[2], r.err);
    cr_expect (strstr (r.err, want) != NULL, "want '%s' in '%.400s'", want, r.err);
    cr_expect_lt (strlen (r.err), 400, "%.400s", r.err);
    run_clear (&r);
  }
  Run r = dsim ((const char *[]) { "check", history, opt, NULL });
  cr_expect_eq (r.rc, 2);
  cr_expect_str_eq (r.err, "dsim: check: unknown option '--xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                           "...' (3002 bytes) (see dsim check --help)\n");
  run_clear (&r);
  r = dsim ((const char *[]) { "check", history, "--jobs", "99999", NULL });
  cr_expect_str_eq (r.err, "dsim: check: --jobs '99999': expected a number from 1 to 1024\n");
  run_clear (&r);
  /* A valid value of 3,000 characters, in a note rather than an error. */
  g_autofree char *zeros = g_strnfill (2997, '0');
  g_autofree char *threads = g_strconcat (zeros, "256", NULL);
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-correct.scn");
  r = dsim_limited (300, (const char *[]) { "explore", scn, "--depth", "1", "--threads", threads,
                                            NULL });
  cr_expect_eq (r.rc, 0, "%s%s", r.out, r.err);
  cr_expect_lt (strlen (r.err), 400, "%.400s", r.err);
  run_clear (&r);
}

/* dsim fuzz --time bounded the campaign's runs, not the shrinking after
 * it (up to --shrink-runs runs per failure, minutes for long runs): a
 * --time 5s campaign could run on for many minutes.  The shrinker starts
 * no run past the campaign's time, keeps the smallest failing run found so
 * far and the report says it was cut short.  Run 0 of this campaign fails
 * (liveness); --time 1us leaves it no time to shrink.  Without --time the
 * same run shrinks within --shrink-runs and nothing is said, and so it
 * does with a --time the runs end well before (--runs 1 --time 10m):
 * shrinking has what is left of the time, plus a quarter of it. */
Test (hostile, fuzz_time_limit_bounds_shrinking)
{
  g_autofree char *scn = test_source_path ("tests/data/fuzz/impatient-clients-bug.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  static const char *const cut = "             (shrinking was cut short by the --time limit: the "
                                 "smallest run found so far)\n";
  for (int timed = 0; timed < 3; timed++) {
    static const char *const names[] = { "runs", "timed", "roomy" };
    g_autofree char *out = g_build_filename (dir, names[timed], NULL);
    Run r = dsim ((const char *[]) { "fuzz", scn, "--strategy", "random", "--seed", "3",
                                     "--jobs", "1", "--shrink-runs", "4", "--out", out,
                                     timed == 1 ? "--time" : "--runs", timed == 1 ? "1us" : "1",
                                     timed == 2 ? "--time" : NULL, "10m", NULL });
    cr_expect_eq (r.rc, 1, "%s%s", r.out, r.err);
    cr_expect (strstr (r.out, "runs         1: pass 0, failed 1 ") != NULL, "%s", r.out);
    run_clear (&r);
    g_autofree char *path = g_build_filename (out, "fail-1", "report.txt", NULL);
    g_autofree char *report = NULL;
    cr_assert (g_file_get_contents (path, &report, NULL, NULL), "%s", path);
    cr_expect (strstr (report, timed == 1 ? "; 0 shrink runs)\n" : "; 4 shrink runs)\n") != NULL,
               "%s", report);
    cr_expect ((strstr (report, cut) != NULL) == (timed == 1), "%s", report);
  }
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  cr_expect_eq (system (cmd), 0);
}

/* The sequential (and session) search went one C call deeper per write it
 * placed: 100,000 completed writes of one key overflowed the stack (a
 * segmentation fault).  It keeps its states on a stack of its own. */
Test (hostile, sequential_search_of_many_writes_does_not_recurse)
{
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "writes.jsonl", NULL);
  write_writes (path, 100000, FALSE);
  Run r = dsim ((const char *[]) { "check", path, "--model", "sequential,session", NULL });
  cr_expect_eq (r.rc, 0, "exit %d: %s%s", r.rc, r.out, r.err);
  cr_expect (strstr (r.out, "sequential ok (register, 100000 operations)\n") != NULL, "%s",
             r.out);
  run_clear (&r);
  g_unlink (path);
  g_rmdir (dir);
}

/* dsim trace read a trace of up to 1 GiB into memory and built its model
 * without a cap: a 20 MB trace of 500,000 events aborted on an allocation
 * under a 100 MB ulimit -v (a 214 MB one under 400 MB), and under 250 MB
 * while drawing it.  Under a ulimit -v the reading counts the text and
 * the model against half of what the limit leaves free, and stops with a
 * clear error (exit 2) at the line that reached it. */
Test (hostile, trace_reading_under_a_ulimit_stops_at_its_memory_cap)
{
#if defined(__SANITIZE_ADDRESS__)
  cr_skip ("ulimit -v does not apply under AddressSanitizer");
#endif
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = NULL;
  FILE *f = open_temp (dir, "long.jsonl", &path);
  fprintf (f, "{\"kind\":\"meta\",\"protocol\":\"pb\",\"nodes\":[\"n1\",\"n2\"],\"clients\":[]}\n");
  for (int k = 0; k < 500000; k++)
    fprintf (f, "{\"time\":%d,\"node\":\"n%d\",\"kind\":\"note\"}\n", k, k % 2 + 1);
  cr_assert_eq (fclose (f), 0);
  Run r = dsim_limited (100, (const char *[]) { "trace", path, "-o", "/dev/null", "--format",
                                                "dot", NULL });
  cr_expect_eq (r.rc, 2, "exit %d: %s%s", r.rc, r.out, r.err);
  cr_expect (strstr (r.err, "long.jsonl:") != NULL
               && strstr (r.err, ": reading the trace reached the memory limit of ") != NULL
               && strstr (r.err, " bytes (the memory limit under the ulimit -v: half of the "
                                 "address space it leaves free)\n") != NULL, "%s", r.err);
  run_clear (&r);
  /* Loaded under 250 MB, the drawing of 100,000 events (the default) did
   * not fit: under a ulimit -v the default is what fits, and the diagram
   * says how many were cut. */
  g_autofree char *dot = g_build_filename (dir, "long.dot", NULL);
  r = dsim_limited (250, (const char *[]) { "trace", path, "-o", dot, "--format", "dot", NULL });
  cr_expect_eq (r.rc, 0, "exit %d: %s%s", r.rc, r.out, r.err);
  g_autofree char *text = NULL;
  cr_expect (g_file_get_contents (dot, &text, NULL, NULL)
               && strstr (text, "cut: showing the first ") != NULL
               && strstr (text, " of 500000 events; the ") != NULL, "%.300s", r.err);
  run_clear (&r);
  g_unlink (dot);
  g_unlink (path);
  g_rmdir (dir);
}

/* dsim check --jobs 1024 under a 1 GB ulimit -v: the thread pool for
 * independent keys started 1,024 threads, whose stacks and allocation
 * arenas did not fit, and dsim aborted on an allocation.  It starts as
 * many as the limit leaves room for; the verdict does not depend on it. */
Test (hostile, check_threads_that_do_not_fit_do_not_abort)
{
#if defined(__SANITIZE_ADDRESS__)
  cr_skip ("ulimit -v does not apply under AddressSanitizer");
#endif
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *path = NULL;
  FILE *f = open_temp (dir, "keys.jsonl", &path);
  for (int i = 0; i < 40000; i++)
    for (int done = 0; done < 2; done++)
      fprintf (f, "{\"process\":%d,\"type\":\"%s\",\"f\":\"write\",\"key\":\"k%d\","
               "\"value\":%d}\n", i % 8, done ? "ok" : "invoke", i % 20, i);
  cr_assert_eq (fclose (f), 0);
  Run r = dsim_limited (1000, (const char *[]) { "check", path, "--jobs", "1024",
                                                 "--search-only", NULL });
  cr_expect_eq (r.rc, 0, "exit %d: %s%s", r.rc, r.out, r.err);
  cr_expect (strstr (r.out, "linearizable ok (register, 40000 operations, 20 keys)\n") != NULL,
             "%s", r.out);
  run_clear (&r);
  g_unlink (path);
  g_rmdir (dir);
}

/* dsim fuzz --jobs 16 under a 200 MB ulimit -v: a worker thread could not
 * be created and dsim aborted ("Error creating thread").  It starts as
 * many as the limit leaves room for (at least one); the runs do not
 * depend on the threads. */
Test (hostile, fuzz_threads_that_do_not_fit_do_not_abort)
{
#if defined(__SANITIZE_ADDRESS__)
  cr_skip ("ulimit -v does not apply under AddressSanitizer");
#endif
  g_autofree char *scn = test_source_path ("scenarios/raft/random-faults.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  Run r = dsim_limited (200, (const char *[]) { "fuzz", scn, "--runs", "20", "--jobs", "16",
                                                "--out", out, NULL });
  cr_expect_eq (r.rc, 0, "exit %d: %s%s", r.rc, r.out, r.err);
  cr_expect (strstr (r.out, "\nruns         20: pass 20, failed 0") != NULL, "%s", r.out);
  cr_expect (strstr (r.err, "Error creating thread") == NULL, "%s", r.err);
  run_clear (&r);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  cr_expect_eq (system (cmd), 0);
}

/* dsim run's --max-memory (4G by default) was taken whatever a ulimit -v
 * left: a run that grows without bound aborted on an allocation under
 * 200 MB.  It is at most a quarter of what the limit leaves free, as dsim
 * check's: the run stops, unknown, exit 3. */
Test (hostile, run_under_an_address_space_limit_stops_unknown)
{
#if defined(__SANITIZE_ADDRESS__)
  cr_skip ("ulimit -v does not apply under AddressSanitizer");
#endif
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *scn = write_temp (tmp, "flood.scn", flood_scn);
  for (int given = 0; given < 2; given++) {
    Run r = dsim_limited (200, (const char *[]) { "run", scn, given ? "--max-memory" : NULL,
                                                  "4G", NULL });
    cr_expect_eq (r.rc, 3, "exit %d: %s%s", r.rc, r.out, r.err);
    cr_expect (strstr (r.out, "limit        STOPPED: the memory limit (") != NULL, "%s",
               r.out);
    cr_expect (strstr (r.out, "outcome      unknown\n") != NULL, "%s", r.out);
    run_clear (&r);
  }
  g_unlink (scn);
  g_rmdir (tmp);
}

/* dsim run's checks after the run had no cap but the linearizable one's
 * fixed 1 GiB: under a ulimit -v, a busy run's sequential search (its
 * table of failed states, then its graph's edges) and causal-convergence's
 * edges aborted on an allocation.  The checks now take a quarter of what
 * the limit leaves free, the sequential search counts its stack and leaves
 * out the saturation that would not fit, and a history too large for what
 * is left is not checked: every model ends holds or undecided, exit 3. */
Test (hostile, run_checks_under_an_address_space_limit_do_not_abort, .timeout = 300)
{
#if defined(__SANITIZE_ADDRESS__)
  cr_skip ("ulimit -v does not apply under AddressSanitizer");
#endif
  g_autofree char *tmp = g_dir_make_tmp ("dsim-hostile-XXXXXX", NULL);
  g_autofree char *scn = write_temp (tmp, "busy.scn", "[scenario]\nduration = 30s\n"
                                     "[cluster]\nprotocol = raft\nnodes = 3\n"
                                     "[workload]\nclients = 32\nthink = 0s\nkeys = 2\n"
                                     "[check]\nmodels = linearizable sequential "
                                     "causal-convergence session\n");
  const guint limits[] = { 70, 90, 120 };
  const char *const models[] = { "\nlinearizable       ", "\nsequential         ",
                                 "\ncausal-convergence ", "\nsession            " };
  for (guint i = 0; i < G_N_ELEMENTS (limits); i++) {
    Run r = dsim_limited (limits[i], (const char *[]) { "run", scn, NULL });
    cr_expect_eq (r.rc, 3, "%u MB: exit %d: %s%s", limits[i], r.rc, r.out, r.err);
    cr_expect (strstr (r.err, "GLib-ERROR") == NULL, "%u MB: %s", limits[i], r.err);
    cr_expect (strstr (r.out, "operations   invoked 80663: ok 80631") != NULL, "%s", r.out);
    for (guint m = 0; m < G_N_ELEMENTS (models); m++) {
      const char *line = strstr (r.out, models[m]);
      cr_expect (line != NULL, "%u MB: %s", limits[i], r.out);
      if (line != NULL)
        line += strlen (models[m]);
      cr_expect (line != NULL && (g_str_has_prefix (line, "holds\n")
                                  || g_str_has_prefix (line, "undecided: ")),
                 "%u MB: %s", limits[i], r.out);
    }
    run_clear (&r);
  }
  g_unlink (scn);
  g_rmdir (tmp);
}

/* dsim fuzz --merge split each runs.tsv and coverage.txt into an array of
 * all its lines: a runs.tsv of 30 million empty lines (30 MB) took over a
 * gigabyte and aborted on an allocation under a 500 MB ulimit -v.  The
 * lines are read one at a time, and a row is split into ten columns at
 * most (a row of ten million tabs is refused as it was). */
Test (hostile, fuzz_merge_of_many_lines_is_read_a_line_at_a_time)
{
  MergeDir m = merge_dir_new ();
  const char *header = "run\tseed\tnodes\tclients\tfaults\tverdict\tevents\tops\tfeatures\n";
  g_autofree char *blank = g_strnfill (30000000, '\n');
  g_autofree char *runs = g_strconcat (header, blank, NULL);
  cr_assert (g_file_set_contents (m.runs, runs, -1, NULL));
  g_autofree char *cov = g_strconcat ("feature 0100000000000001\n", blank, NULL);
  cr_assert (g_file_set_contents (m.cov, cov, -1, NULL));
#if defined(__SANITIZE_ADDRESS__)
  Run r = dsim ((const char *[]) { "fuzz", "--merge", m.dir, NULL });
#else
  Run r = dsim_limited (500, (const char *[]) { "fuzz", "--merge", m.dir, NULL });
#endif
  cr_expect_eq (r.rc, 0, "exit %d: %s%s", r.rc, r.out, r.err);
  cr_expect (g_str_has_prefix (r.out, "merged       1 directory\nruns         0: pass 0, failed 0\n"
                                      "coverage     1 features: 1 marks, "), "%s", r.out);
  run_clear (&r);
  g_autofree char *tabs = g_strnfill (10000000, '\t');
  g_autofree char *wide = g_strconcat (header, "0", tabs, "\n", NULL);
  cr_assert (g_file_set_contents (m.runs, wide, -1, NULL));
  r = dsim ((const char *[]) { "fuzz", "--merge", m.dir, NULL });
  cr_expect_eq (r.rc, 2, "exit %d: %s%s", r.rc, r.out, r.err);
  cr_expect (strstr (r.err, "runs.tsv:2: expected 9 tab-separated columns starting with a run "
                            "number\n") != NULL, "%s", r.err);
  run_clear (&r);
  merge_dir_free (&m);
}
