/* test_consistency_cli.c: linearizable => sequential on random concurrent
 * histories, and the consistency models through the dsim command (dsim
 * models, dsim check --model all, --quiescent-after, bad input). */
#include <criterion/criterion.h>

#include <glib/gstdio.h>
#include <string.h>

#include "checkers/check.h"
#include "tests/cons_build.h"
#include "tests/support.h"

typedef struct { guint64 s; } Rng;

static guint32
rng_below (Rng *r, guint32 n)
{
  r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (guint32) (r->s >> 33) % n;
}

/* Up to n operations by 3 processes on one or two keys, invoked and
 * completed in a random interleaving, so operations overlap in real time.
 * Writes have their own values; reads return nil or some write's value. */
static ChkHistory *
random_concurrent (Rng *r, int n)
{
  ChkHistory *h = chk_history_new ();
  int open_op[3] = { -1, -1, -1 };
  int f[16], key[16], val[16], proc_of[16];
  int next_val[2] = { 1, 1 }, started = 0, done = 0;
  for (int i = 0; i < n; i++) {
    key[i] = (int) rng_below (r, 2);
    f[i] = rng_below (r, 100) < 45;
    val[i] = f[i] ? next_val[key[i]]++ : 0;
  }
  for (int i = 0; i < n; i++)
    if (!f[i])
      val[i] = (int) rng_below (r, (guint32) next_val[key[i]]);
  while (done < n) {
    int p = (int) rng_below (r, 3);
    ChkEvent ev = { .process = p, .f_name = -1, .index = -1, .time_us = -1 };
    ev.line = chk_history_len (h) + 1;
    if (open_op[p] < 0) {
      if (started >= n)
        continue;
      int i = started++;
      open_op[p] = i;
      proc_of[i] = p;
      ev.type = CHK_INVOKE;
      ev.f = f[i] ? CHK_F_WRITE : CHK_F_READ;
      ev.key = chk_history_intern (h, key[i] ? "y" : "x");
      ev.value = f[i] ? (ChkValue) { .kind = CHK_VAL_INT, .i = val[i] }
                      : (ChkValue) { .kind = CHK_VAL_NIL };
    } else {
      int i = open_op[p];
      open_op[p] = -1;
      done++;
      ev.type = CHK_OK;
      ev.f = f[i] ? CHK_F_WRITE : CHK_F_READ;
      ev.key = chk_history_intern (h, key[i] ? "y" : "x");
      ev.value = val[i] ? (ChkValue) { .kind = CHK_VAL_INT, .i = val[i] }
                        : (ChkValue) { .kind = CHK_VAL_NIL };
      (void) proc_of;
    }
    chk_history_append (h, &ev);
  }
  return h;
}

/* A linearization is a sequential witness (real time only adds demands). */
Test (consistency_cli, linearizable_implies_sequential, .timeout = 120)
{
  Rng rng = { 4242 };
  const ChkChecker *lin = chk_checker_find ("linearizable");
  const ChkChecker *seq = chk_checker_find ("sequential");
  cr_assert (lin != NULL && seq != NULL);
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  int both = 0, only_seq = 0;
  for (int k = 0; k < 2000; k++) {
    g_autoptr (ChkHistory) h = random_concurrent (&rng, 2 + (int) rng_below (&rng, 9));
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) ops = chk_history_ops (h, &error);
    cr_assert_not_null (ops, "%s", error ? error->message : "?");
    g_autoptr (ChkReport) l = chk_checker_run (lin, h, ops, &opt, &error);
    cr_assert_not_null (l, "%s", error ? error->message : "?");
    g_autoptr (ChkReport) s = chk_checker_run (seq, h, ops, &opt, &error);
    cr_assert_not_null (s, "%s", error ? error->message : "?");
    if (l->verdict == CHK_VERDICT_OK) {
      cr_expect_eq (s->verdict, CHK_VERDICT_OK, "linearizable but not sequential (history %d)", k);
      both++;
    } else if (s->verdict == CHK_VERDICT_OK) {
      only_seq++;
    }
  }
  cr_expect_gt (both, 100);
  cr_expect_gt (only_seq, 10, "sequential but not linearizable never seen");
}

static char *
catalog (const char *name)
{
  g_autofree char *rel = g_build_filename ("tests/data/consistency", name, NULL);
  return test_source_path (rel);
}

Test (consistency_cli, models_lists_every_model)
{
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "models", NULL };
  cr_assert_eq (test_run_dsim (args, &out, &err), 0);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  /* The lines name exactly the models dsim check accepts, in its order,
   * then the measure staleness: the two lists are the same. */
  guint n = 0;
  for (const ChkChecker *c = chk_checkers (); c->name != NULL; c++, n++) {
    cr_assert_not_null (lines[n], "dsim models stops before %s", c->name);
    g_autofree char *want = g_strconcat (c->name, " ", NULL);
    cr_expect (g_str_has_prefix (lines[n], want), "line %u: want %s, got %s", n, c->name, lines[n]);
  }
  cr_expect_eq (n, CHK_MODEL__COUNT + 1, "linearizable and the models of consistency.h");
  cr_expect (g_str_has_prefix (lines[n], "staleness "), "%s", lines[n]);
  cr_expect (chk_checker_find ("staleness") != NULL && chk_checker_is_measure ("staleness"));
  cr_expect_eq (g_strv_length (lines), n + 2); /* staleness and the last empty one */
  for (guint i = 0; i + 1 < g_strv_length (lines); i++) {
    g_autofree char *name = g_strndup (lines[i], strcspn (lines[i], " "));
    cr_expect_not_null (chk_checker_find (name), "dsim models lists %s, dsim check refuses it", name);
  }
  cr_expect (g_str_has_prefix (lines[0], "linearizable (LIN)"), "%s", lines[0]);
  cr_expect (strstr (out, "Forbids: answer before question") != NULL);
  g_autofree char *out2 = NULL, *err2 = NULL;
  const char *bad[] = { "models", "--format", "yaml", NULL };
  cr_expect_eq (test_run_dsim (bad, &out2, &err2), 2);
  cr_expect (strstr (err2, "--format takes text or json") != NULL, "%s", err2);
}

/* --map gives every model its neighbours, systems and separating example;
 * --diagram draws the hierarchy; a bad file name is a usage error. */
Test (consistency_cli, models_map_and_diagram)
{
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "models", "--map", NULL };
  cr_assert_eq (test_run_dsim (args, &out, &err), 0, "%s", err);
  for (const ChkChecker *c = chk_checkers (); c->name != NULL; c++) {
    g_autofree char *head = g_strdup_printf ("\n%s\n  definition  ", c->name);
    cr_expect (strstr (out, head) != NULL || g_str_has_prefix (out, head + 1), "no block for %s", c->name);
  }
  cr_expect (strstr (out, "sequential\n  definition  one order of all operations") != NULL, "%s", out);
  cr_expect (strstr (out, "  implies     sequential\n") != NULL, "%s", out);
  cr_expect (strstr (out, "(not on the map yet)") == NULL, "every checker is on the map:\n%s", out);
  cr_expect (strstr (out, "ZooKeeper reads") != NULL);
  cr_expect (strstr (out, "  separated   iriw.edn") != NULL, "%s", out);
  g_autofree char *dir = g_dir_make_tmp ("dsim-models-XXXXXX", NULL);
  g_autofree char *svg = g_build_filename (dir, "models.svg", NULL);
  g_autofree char *out2 = NULL, *err2 = NULL;
  const char *draw[] = { "models", "--diagram", svg, NULL };
  cr_assert_eq (test_run_dsim (draw, &out2, &err2), 0, "%s", err2);
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (svg, &text, NULL, NULL));
  cr_expect (strstr (text, "<svg") != NULL);
  cr_expect (strstr (text, "causal&#45;memory") != NULL && strstr (text, "writes&#45;follow&#45;reads") != NULL);
  g_unlink (svg);
  g_rmdir (dir);
  g_autofree char *out3 = NULL, *err3 = NULL;
  const char *bad[] = { "models", "--diagram", "models.gif", NULL };
  cr_expect_eq (test_run_dsim (bad, &out3, &err3), 2);
  cr_expect (strstr (err3, "expected a name ending in .svg") != NULL, "%s", err3);
}

Test (consistency_cli, check_all_table)
{
  g_autofree char *file = catalog ("answer-before-question.edn");
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "check", file, "--model", "all", NULL };
  cr_assert_eq (test_run_dsim (args, &out, &err), 1, "%s%s", out, err);
  cr_expect (strstr (out, "  causal               violation  WriteCOInitRead\n") != NULL, "%s", out);
  cr_expect (strstr (out, "  pram                 ok\n") != NULL, "%s", out);
  cr_expect (strstr (out, "  eventual             unknown    no final reads") != NULL, "%s", out);
  /* The three causal models share one witness block. */
  cr_expect (strstr (out, "  causal, causal-convergence, causal-memory: WriteCOInitRead: process 3 "
                          "read q=nil after reading a=1, which process 2 wrote after reading q=1, "
                          "which process 1 wrote") != NULL, "%s", out);
}

Test (consistency_cli, check_json_witness_and_quiescence)
{
  g_autofree char *file = catalog ("iriw.edn");
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "check", file, "--model", "eventual", "--quiescent-after", "9ms",
                         "--format", "json", NULL };
  cr_assert_eq (test_run_dsim (args, &out, &err), 1, "%s%s", out, err);
  cr_expect (strstr (out, "\"explanation\":\"FinalInitRead: process 4 read x=nil in a final "
                          "read") != NULL, "%s", out);
  cr_expect (strstr (out, "\"process\":4,\"line\":14,\"key\":\":x\",\"value\":\"nil\","
                          "\"time\":11000") != NULL, "%s", out);
  g_autofree char *out2 = NULL, *err2 = NULL;
  const char *bad[] = { "check", file, "--model", "eventual", "--quiescent-after", "soon", NULL };
  cr_expect_eq (test_run_dsim (bad, &out2, &err2), 2);
  cr_expect (strstr (err2, "--quiescent-after 'soon'") != NULL, "%s", err2);
}

Test (consistency_cli, check_refuses_non_differentiated)
{
  g_autofree char *dir = g_dir_make_tmp ("dsim-cons-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "dup.jsonl", NULL);
  const char *text =
    "{\"process\":1,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\",\"value\":1}\n"
    "{\"process\":1,\"type\":\"ok\",\"f\":\"write\",\"key\":\"x\",\"value\":1}\n"
    "{\"process\":2,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\",\"value\":1}\n"
    "{\"process\":2,\"type\":\"ok\",\"f\":\"write\",\"key\":\"x\",\"value\":1}\n";
  cr_assert (g_file_set_contents (file, text, -1, NULL));
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "check", file, "--model", "causal", NULL };
  cr_expect_eq (test_run_dsim (args, &out, &err), 2);
  cr_expect (strstr (err, "dup.jsonl:3: x=1 was already written at line 1") != NULL, "%s", err);
  g_autofree char *out2 = NULL, *err2 = NULL;
  const char *seq[] = { "check", file, "--model", "sequential", NULL };
  cr_expect_eq (test_run_dsim (seq, &out2, &err2), 0, "%s%s", out2, err2);
  g_unlink (file);
  g_rmdir (dir);
}

/* --max-memory bounds the session guarantees: past the cap, unknown (exit
 * 3) with the reason; with room, the verdict.  Process 0 reads every write
 * of the others, then writes k0 and reads an older k0: the worklist finds
 * no view, and the saturation needs the reachability of 4,004 operations
 * (about 2.5 MiB), more than a cap that loading the history fits in. */
Test (consistency_cli, session_guarantees_honour_max_memory)
{
  GString *text = g_string_new (NULL);
  int last_k0 = 0;
  for (int i = 0; i < 2000; i++) {
    int p = 1 + i % 4, k = i % 7, v = i + 1;
    if (k == 0)
      last_k0 = v;
    g_string_append_printf (text, "{:process %d, :type :invoke, :f :write, :value [k%d %d]}\n"
                                  "{:process %d, :type :ok, :f :write, :value [k%d %d]}\n"
                                  "{:process 0, :type :invoke, :f :read, :value [k%d nil]}\n"
                                  "{:process 0, :type :ok, :f :read, :value [k%d %d]}\n",
                            p, k, v, p, k, v, k, k, v);
  }
  g_string_append_printf (text, "{:process 0, :type :invoke, :f :write, :value [k0 0]}\n"
                                "{:process 0, :type :ok, :f :write, :value [k0 0]}\n"
                                "{:process 0, :type :invoke, :f :read, :value [k0 nil]}\n"
                                "{:process 0, :type :ok, :f :read, :value [k0 %d]}\n", last_k0);
  g_autofree char *dir = g_dir_make_tmp ("dsim-cap-XXXXXX", NULL);
  cr_assert_not_null (dir);
  g_autofree char *file = g_build_filename (dir, "h.edn", NULL);
  cr_assert (g_file_set_contents (file, text->str, (gssize) text->len, NULL));
  g_string_free (text, TRUE);
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "check", file, "--model", "read-your-writes", "--max-memory", "1200K",
                         NULL };
  cr_expect_eq (test_run_dsim (args, &out, &err), 3, "%s%s", out, err);
  cr_expect (strstr (out, "read-your-writes unknown") != NULL
               && strstr (out, "process 0's view (4004 operations, 4004 chains) needs about 2597 KiB "
                               "with its reachability: more than the memory limit of 1200 KiB")
                    != NULL, "%s", out);
  g_autofree char *out2 = NULL, *err2 = NULL;
  const char *roomy[] = { "check", file, "--model", "read-your-writes", "--max-memory", "64M",
                          NULL };
  cr_expect_eq (test_run_dsim (roomy, &out2, &err2), 1, "%s%s", out2, err2);
  cr_expect (strstr (out2, "read-your-writes violation") != NULL, "%s", out2);
  g_unlink (file);
  g_rmdir (dir);
}
