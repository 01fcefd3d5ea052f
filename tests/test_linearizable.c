/* test_linearizable.c: the linearizability checker against Porcupine's
 * reference verdicts, hand-written edge cases, and its explanations. */
#include <criterion/criterion.h>

#include <glib.h>
#include <string.h>

#include "checkers/check.h"
#include "checkers/linearizable.h"
#include "tests/support.h"

static ChkReport *
check_history (const ChkHistory *h, ChkKind kind, gboolean no_split, int jobs)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops, "%s", error ? error->message : "");
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.kind = kind;
  opt.no_split = no_split;
  opt.jobs = jobs;
  ChkReport *r = chk_linearizable_check (h, ops, &opt, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  return r;
}

static ChkReport *
check_text (const char *text, ChkKind kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load_data ("t", text, strlen (text), CHK_FORMAT_AUTO,
                                                    &error);
  cr_assert_not_null (h, "%s", error ? error->message : "");
  return check_history (h, kind, FALSE, 1);
}

static ChkReport *
check_file (const char *rel, ChkKind kind)
{
  g_autofree char *path = test_source_path (rel);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load (path, CHK_FORMAT_AUTO, &error);
  cr_assert_not_null (h, "%s", error ? error->message : "");
  return check_history (h, kind, FALSE, 1);
}

/* Every history of Porcupine's corpus gets the reference verdict, whether
 * keys are checked one after the other, on two threads, or all together. */
Test (linearizable, porcupine_corpus_verdicts, .timeout = 120)
{
  g_autofree char *tsv_path = test_shared_path ("corpus/porcupine/VERDICTS.tsv",
                                                "porcupine corpus verdicts");
  if (tsv_path == NULL)
    return;
  g_autofree char *tsv = NULL;
  cr_assert (g_file_get_contents (tsv_path, &tsv, NULL, NULL));
  g_autofree char *root = g_path_get_dirname (tsv_path);
  g_auto (GStrv) lines = g_strsplit (tsv, "\n", 0);
  int files = 0;
  for (int k = 1; lines[k] != NULL; k++) {
    g_auto (GStrv) f = g_strsplit (lines[k], "\t", 0);
    if (g_strv_length (f) < 3)
      continue;
    g_autofree char *path = g_build_filename (root, f[0], NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkHistory) h = chk_history_load (path, CHK_FORMAT_AUTO, &error);
    cr_assert_not_null (h, "%s", error ? error->message : "");
    ChkVerdict expect = strcmp (f[1], "ok") == 0 ? CHK_VERDICT_OK : CHK_VERDICT_VIOLATION;
    cr_assert (strcmp (f[1], "ok") == 0 || strcmp (f[1], "illegal") == 0, "%s", f[1]);
    g_autoptr (ChkReport) r = check_history (h, CHK_KIND_AUTO, FALSE, 1);
    cr_expect_eq (r->verdict, expect, "%s: %s, reference %s", f[0],
                  chk_verdict_name (r->verdict), f[1]);
    if (r->verdict == CHK_VERDICT_VIOLATION) {
      cr_expect_geq (r->culprit, 0, "%s names a culprit", f[0]);
      cr_expect_not_null (r->explanation, "%s explains", f[0]);
    }
    if (g_str_has_prefix (f[0], "kv/")) {
      g_autoptr (ChkReport) threaded = check_history (h, CHK_KIND_AUTO, FALSE, 2);
      cr_expect_eq (threaded->verdict, expect, "%s on 2 threads", f[0]);
      cr_expect_eq (threaded->culprit, r->culprit, "%s: same culprit on 2 threads", f[0]);
      if (r->explanation != NULL && threaded->explanation != NULL)
        cr_expect_str_eq (threaded->explanation, r->explanation);
    }
    files++;
  }
  cr_expect_eq (files, 109);
}

typedef struct {
  const char *file;
  ChkVerdict verdict;
} EdgeCase;

static const EdgeCase edge_cases[] = {
  { "empty.jsonl", CHK_VERDICT_OK },
  { "one-op.jsonl", CHK_VERDICT_OK },
  { "all-concurrent.jsonl", CHK_VERDICT_OK },
  { "all-concurrent-bad.jsonl", CHK_VERDICT_VIOLATION },
  { "info-must-take-effect.edn", CHK_VERDICT_OK },
  { "info-must-not-take-effect.edn", CHK_VERDICT_OK },
  { "info-cannot-explain.edn", CHK_VERDICT_VIOLATION },
  { "failed-cas.edn", CHK_VERDICT_VIOLATION },
  { "crashed-client.jsonl", CHK_VERDICT_OK },
  { "knossos-cas.edn", CHK_VERDICT_OK },
  { "independent.edn", CHK_VERDICT_OK },
  { "register.jsonl", CHK_VERDICT_OK },
};

Test (linearizable, edge_cases)
{
  for (guint k = 0; k < G_N_ELEMENTS (edge_cases); k++) {
    g_autofree char *rel = g_build_filename ("tests/data/histories", edge_cases[k].file, NULL);
    g_autoptr (ChkReport) r = check_file (rel, CHK_KIND_AUTO);
    cr_expect_eq (r->verdict, edge_cases[k].verdict, "%s: %s", edge_cases[k].file,
                  chk_verdict_name (r->verdict));
  }
}

/* A crashed client's write may take effect long after its invocation; a
 * read before its invocation cannot see it. */
Test (linearizable, open_invocation_only_after_its_call)
{
  static const char text[] =
    "{\"process\":2,\"type\":\"invoke\",\"f\":\"read\"}\n"
    "{\"process\":2,\"type\":\"ok\",\"f\":\"read\",\"value\":5}\n"
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":5}\n";
  g_autoptr (ChkReport) r = check_text (text, CHK_KIND_AUTO);
  cr_expect_eq (r->verdict, CHK_VERDICT_VIOLATION);
}

Test (linearizable, explanation_verbatim)
{
  g_autoptr (ChkReport) r = check_file ("tests/data/histories/info-cannot-explain.edn",
                                        CHK_KIND_AUTO);
  cr_assert_eq (r->verdict, CHK_VERDICT_VIOLATION);
  cr_expect_str_eq (r->explanation,
                    "read by process 2 at 1.20 s returned 2, but write 1 by process 0 completed "
                    "at 1.10 s and no later write of 2 exists");
  cr_expect_eq (r->culprit, 1, "the read is op 1");
  cr_assert_eq (r->order->len, 1);
  cr_expect_eq (g_array_index (r->order, int64_t, 0), 0, "the prefix is the write of 1");
  cr_expect_str_eq (r->state_before, "1");
  cr_expect_eq (r->concurrent->len, 0);
}

Test (linearizable, kind_mismatch_is_bad_input)
{
  g_autofree char *path = test_source_path ("tests/data/histories/knossos-cas.edn");
  g_autoptr (ChkHistory) h = chk_history_load (path, CHK_FORMAT_AUTO, NULL);
  cr_assert_not_null (h);
  g_autoptr (GArray) ops = chk_history_ops (h, NULL);
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.kind = CHK_KIND_REGISTER;
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = chk_linearizable_check (h, ops, &opt, &error);
  cr_expect_null (r);
  cr_assert_not_null (error);
  g_autofree char *expect = g_strdup_printf (
    "%s:6: operation 'cas' of process 1 is not one of the register kind (expected read or "
    "write)", path);
  cr_expect_str_eq (error->message, expect);
}
