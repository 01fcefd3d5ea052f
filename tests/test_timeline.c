/* test_timeline.c: history timelines: golden DOT for a small linearizability
 * violation and a small causal violation, and what each mark draws. */
#include <criterion/criterion.h>

#include <glib/gstdio.h>
#include <string.h>

#include "tests/support.h"
#include "viz/render.h"
#include "viz/timeline.h"

static void
expect_golden (const char *text, const char *rel)
{
  g_autofree char *why = NULL;
  cr_expect (test_golden_check (text, rel, &why), "%s", why);
}

/* A stale read: x=1 then x=2 both complete, then a read returns 1. */
static VizTimeline *
stale_read (void)
{
  VizTimeline *t = viz_timeline_new ("stale-read.jsonl, key x");
  for (int p = 0; p < 4; p++) {
    g_autofree char *name = g_strdup_printf ("process %d", p);
    viz_timeline_add_lane (t, name);
  }
  int w1 = viz_timeline_add_op (t, 0, "write x=1", 0, 10, VIZ_OP_OK);
  int w2 = viz_timeline_add_op (t, 1, "write x=2", 20, 30, VIZ_OP_OK);
  int r0 = viz_timeline_add_op (t, 0, "read x: 2", 35, 60, VIZ_OP_OK);
  int r2 = viz_timeline_add_op (t, 2, "read x: 1", 40, 50, VIZ_OP_OK);
  int w3 = viz_timeline_add_op (t, 3, "write x=3", 45, VIZ_OP_OPEN, VIZ_OP_INFO);
  viz_timeline_add_op (t, 1, "write x=4", 55, 70, VIZ_OP_FAIL);
  viz_timeline_op (t, w1)->mark = VIZ_MARK_PREFIX;
  viz_timeline_op (t, w1)->order = 1;
  viz_timeline_op (t, w2)->mark = VIZ_MARK_PREFIX;
  viz_timeline_op (t, w2)->order = 2;
  viz_timeline_op (t, r0)->mark = VIZ_MARK_CONCURRENT;
  viz_timeline_op (t, w3)->mark = VIZ_MARK_CONCURRENT;
  viz_timeline_op (t, r2)->mark = VIZ_MARK_CULPRIT;
  viz_timeline_set_caption (t, "process 2 read x=1 at 40..50, but x=2 was written (20..30) "
                               "after x=1 was written (0..10) and before the read began, and "
                               "no write of 1 can come after it.");
  return t;
}

Test (timeline, golden_linearizability_violation)
{
  g_autoptr (VizTimeline) t = stale_read ();
  g_autofree char *dot = viz_timeline_dot (t);
  expect_golden (dot, "tests/golden/timeline-stale-read.dot");
  /* the culprit is red, the prefix numbered, info open-ended, fail dashed */
  cr_expect (strstr (dot, "op3 [fixedsize=true, style=\"filled\", fillcolor=\"#e0201b\"") != NULL);
  cr_expect (strstr (dot, "label=\"1\"") != NULL && strstr (dot, "label=\"2\"") != NULL);
  cr_expect (strstr (dot, "op4 [fixedsize=true, style=\"filled,dashed\", fillcolor=\"#ececec:white\"") != NULL);
  cr_expect (strstr (dot, "write x=4 (fail)") != NULL);
  cr_expect (strstr (dot, "label=\"process 2 read x=1 at 40..50") != NULL, "caption");
  g_autofree char *again = viz_timeline_dot (t);
  cr_expect_str_eq (dot, again);
}

Test (timeline, linearization_points_lie_in_their_bars_in_order)
{
  g_autoptr (VizTimeline) t = stale_read ();
  g_autofree char *dot = viz_timeline_dot (t);
  /* op0 spans columns 0..1, op1 columns 2..3 (58 points apart) */
  const char *lp0 = strstr (dot, "lp0 [");
  const char *lp1 = strstr (dot, "lp1 [");
  cr_assert (lp0 && lp1);
  double x0 = g_ascii_strtod (strstr (lp0, "pos=\"") + 5, NULL);
  double x1 = g_ascii_strtod (strstr (lp1, "pos=\"") + 5, NULL);
  cr_expect (x0 >= -6 && x0 <= 58 + 6, "x0 %f", x0);
  cr_expect (x1 >= 116 - 6 && x1 <= 174 + 6, "x1 %f", x1);
  cr_expect_lt (x0, x1);
}

/* Causal: process 1 reads y=1, whose write followed x=1 in process 0's
 * session, then reads x: nil. */
Test (timeline, golden_causal_violation)
{
  g_autoptr (VizTimeline) t = viz_timeline_new ("causal.jsonl");
  viz_timeline_add_lane (t, "process 0");
  viz_timeline_add_lane (t, "process 1");
  int wx = viz_timeline_add_op (t, 0, "write x=1", 0, 10, VIZ_OP_OK);
  int wy = viz_timeline_add_op (t, 0, "write y=1", 20, 30, VIZ_OP_OK);
  int ry = viz_timeline_add_op (t, 1, "read y: 1", 40, 50, VIZ_OP_OK);
  int rx = viz_timeline_add_op (t, 1, "read x: nil", 60, 70, VIZ_OP_OK);
  for (int i = wx; i <= rx; i++)
    viz_timeline_op (t, (guint) i)->mark = VIZ_MARK_WITNESS;
  viz_timeline_add_edge (t, wx, wy, VIZ_REL_SESSION, NULL);
  viz_timeline_add_edge (t, wy, ry, VIZ_REL_READS_FROM, NULL);
  viz_timeline_add_edge (t, ry, rx, VIZ_REL_SESSION, NULL);
  viz_timeline_set_caption (t, "WriteCORead: process 1 read x=nil although write x=1 comes "
                               "before it in causal order (so, rf, so).");
  g_autofree char *dot = viz_timeline_dot (t);
  expect_golden (dot, "tests/golden/timeline-causal.dot");
  cr_expect (strstr (dot, "label=\"rf\"") != NULL);
  cr_expect (strstr (dot, "label=\"so\"") != NULL);
  cr_expect (strstr (dot, "label=\"reads from\"") != NULL, "legend");
  cr_expect (strstr (dot, "label=\"session order\"") != NULL, "legend");
}

Test (timeline, renders)
{
  g_autoptr (VizTimeline) t = stale_read ();
  g_autofree char *dot = viz_timeline_dot (t);
  g_autoptr (GError) error = NULL;
  g_autofree char *png = NULL;
  gsize len = 0;
  cr_assert (viz_render_data (dot, "png", 0, NULL, &png, &len, &error), "%s",
             error ? error->message : "");
  cr_expect (len > 1000 && memcmp (png, "\x89PNG\r\n\x1a\n", 8) == 0);
}

/* dsim check --diagram: the checker's report, converted, drawn. */
Test (timeline, check_diagram_end_to_end)
{
  g_autofree char *stale = test_source_path ("tests/data/consistency/stale-read.edn");
  g_autofree char *loop = test_source_path ("tests/data/consistency/causal-loop.edn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-timeline-XXXXXX", NULL);
  g_autofree char *dot1 = g_build_filename (dir, "stale-read.dot", NULL);
  g_autofree char *dot2 = g_build_filename (dir, "causal-loop.dot", NULL);
  g_autofree char *svg = g_build_filename (dir, "causal-loop.svg", NULL);
  char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *const[]) { "check", stale, "--model", "linearizable",
                                                  "--diagram", dot1, NULL }, &out, &err);
  cr_expect_eq (rc, 1, "%s", err);
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (dot1, &text, NULL, NULL), "no %s after: %s%s", dot1, out, err);
  g_free (out);
  g_free (err);
  expect_golden (text, "tests/golden/check-stale-read.dot");
  rc = test_run_dsim ((const char *const[]) { "check", loop, "--model", "causal", "--diagram",
                                              dot2, NULL }, &out, &err);
  cr_expect_eq (rc, 1, "%s", err);
  g_free (out);
  g_free (err);
  g_autofree char *text2 = NULL;
  cr_assert (g_file_get_contents (dot2, &text2, NULL, NULL));
  expect_golden (text2, "tests/golden/check-causal-loop.dot");
  rc = test_run_dsim ((const char *const[]) { "check", loop, "--model", "causal", "--diagram",
                                              svg, NULL }, &out, &err);
  cr_expect_eq (rc, 1);
  g_free (out);
  g_free (err);
  cr_expect (g_file_test (svg, G_FILE_TEST_EXISTS));
  rc = test_run_dsim ((const char *const[]) { "check", loop, "--diagram", "x.gif", NULL },
                      &out, &err);
  cr_expect_eq (rc, 2);
  cr_expect (strstr (err, "must end in .svg, .png, .pdf or .dot") != NULL, "%s", err);
  g_free (out);
  g_free (err);
  g_unlink (dot1);
  g_unlink (dot2);
  g_unlink (svg);
  g_rmdir (dir);
}
