/* test_lin_models.c: the Knossos models beside register, cas-register and
 * kv (mutex): the example histories in tests/data/models/, Knossos's edge
 * cases, --kind and detection, and random histories against a brute-force
 * search over every order of the operations. */
#include <criterion/criterion.h>

#include <glib.h>
#include <string.h>

#include "checkers/check.h"
#include "checkers/linearizable.h"
#include "tests/support.h"

static ChkReport *
check_text_kind (const char *text, ChkKind kind, GError **error)
{
  g_autoptr (ChkHistory) h = chk_history_load_data ("t", text, strlen (text), CHK_FORMAT_AUTO,
                                                    error);
  cr_assert_not_null (h, "%s", *error ? (*error)->message : "");
  g_autoptr (GArray) ops = chk_history_ops (h, error);
  cr_assert_not_null (ops, "%s", *error ? (*error)->message : "");
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.kind = kind;
  return chk_linearizable_check (h, ops, &opt, error);
}

static ChkVerdict
verdict_of_text (const char *text, ChkKind kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = check_text_kind (text, kind, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_assert_eq (r->kind, CHK_KIND_MUTEX);
  return r->verdict;
}

Test (lin_models, mutex_examples)
{
  const struct { const char *file; ChkVerdict v; } cases[] = {
    { "tests/data/models/mutex-ok.edn", CHK_VERDICT_OK },
    { "tests/data/models/mutex-double-acquire.edn", CHK_VERDICT_VIOLATION },
    { "tests/data/models/mutex-release-free.edn", CHK_VERDICT_VIOLATION },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *path = test_source_path (cases[i].file);
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkHistory) h = chk_history_load (path, CHK_FORMAT_AUTO, &error);
    cr_assert_not_null (h, "%s", error ? error->message : "");
    g_autoptr (GArray) ops = chk_history_ops (h, &error);
    cr_assert_not_null (ops);
    ChkCheckOptions opt;
    chk_check_options_init (&opt);
    g_autoptr (ChkReport) r = chk_linearizable_check (h, ops, &opt, &error);
    cr_assert_not_null (r, "%s", error ? error->message : "");
    cr_expect_eq (r->kind, CHK_KIND_MUTEX, "%s: detected %s", cases[i].file,
                  chk_kind_name (r->kind));
    cr_expect_eq (r->verdict, cases[i].v, "%s", cases[i].file);
  }
}

#define INV(p, f) "{:process " #p ", :type :invoke, :f :" #f ", :value nil}\n"
#define OK(p, f) "{:process " #p ", :type :ok, :f :" #f ", :value nil}\n"
#define INFO(p, f) "{:process " #p ", :type :info, :f :" #f ", :value nil}\n"
#define FAIL(p, f) "{:process " #p ", :type :fail, :f :" #f ", :value nil}\n"

/* Knossos's edge cases: release of a free mutex, acquire of a held one;
 * a failed acquire never happened; a timed-out release may have. */
Test (lin_models, mutex_edge_cases)
{
  cr_expect_eq (verdict_of_text (INV (0, release) OK (0, release), CHK_KIND_AUTO),
                CHK_VERDICT_VIOLATION);
  cr_expect_eq (verdict_of_text (INV (0, acquire) OK (0, acquire) INV (0, acquire) OK (0, acquire),
                                 CHK_KIND_AUTO),
                CHK_VERDICT_VIOLATION);
  cr_expect_eq (verdict_of_text (INV (0, acquire) OK (0, acquire) INV (1, acquire) FAIL (1, acquire),
                                 CHK_KIND_AUTO),
                CHK_VERDICT_OK);
  cr_expect_eq (verdict_of_text (INV (0, acquire) OK (0, acquire) INV (0, release) INFO (0, release)
                                 INV (1, acquire) OK (1, acquire), CHK_KIND_AUTO),
                CHK_VERDICT_OK);
  cr_expect_eq (verdict_of_text (INV (0, acquire) OK (0, acquire) INV (1, acquire) INV (0, release)
                                 OK (0, release) OK (1, acquire), CHK_KIND_MUTEX),
                CHK_VERDICT_OK);
  /* Two acquires, one release between them that ends after both. */
  cr_expect_eq (verdict_of_text (INV (0, acquire) OK (0, acquire) INV (2, release) INV (1, acquire)
                                 OK (1, acquire) INV (1, acquire) OK (1, acquire) OK (2, release),
                                 CHK_KIND_AUTO),
                CHK_VERDICT_VIOLATION);
}

/* --kind mutex refuses register operations, and a register kind refuses
 * acquire, as bad input naming the line. */
Test (lin_models, mutex_kind_mismatch_is_bad_input)
{
  g_autoptr (GError) e1 = NULL;
  g_autoptr (ChkReport) r1 = check_text_kind ("{:process 0, :type :invoke, :f :write, :value 1}\n"
                                              "{:process 0, :type :ok, :f :write, :value 1}\n",
                                              CHK_KIND_MUTEX, &e1);
  cr_expect_null (r1);
  cr_assert_not_null (e1);
  cr_expect (strstr (e1->message, "t:1:") != NULL, "%s", e1->message);
  cr_expect (strstr (e1->message, "acquire or release") != NULL, "%s", e1->message);
  g_autoptr (GError) e2 = NULL;
  g_autoptr (ChkReport) r2 = check_text_kind (INV (0, acquire) OK (0, acquire), CHK_KIND_REGISTER,
                                              &e2);
  cr_expect_null (r2);
  cr_assert_not_null (e2);
  cr_expect (strstr (e2->message, "not one of the register kind") != NULL, "%s", e2->message);
  ChkKind k;
  cr_expect (chk_kind_from_name ("mutex", &k) && k == CHK_KIND_MUTEX);
  cr_expect_str_eq (chk_kind_name (CHK_KIND_MUTEX), "mutex");
}

/* ---- brute force: every order of the operations that keeps real time ---- */

typedef struct {
  gboolean acquire;
  ChkType status;     /* CHK_OK, CHK_FAIL or CHK_INFO */
  int call, ret;      /* event positions; ret = G_MAXINT if it may be pending */
} MxOp;

static gboolean
mx_search (const MxOp *ops, int n, guint placed, gboolean held)
{
  gboolean done = TRUE;
  for (int i = 0; i < n; i++)
    if (!(placed & (1u << i)) && ops[i].status == CHK_OK)
      done = FALSE;
  if (done)
    return TRUE;
  for (int c = 0; c < n; c++) {
    if ((placed & (1u << c)) || ops[c].status == CHK_FAIL)
      continue;
    gboolean eligible = TRUE;
    for (int r = 0; r < n && eligible; r++)
      if (r != c && !(placed & (1u << r)) && ops[r].status == CHK_OK && ops[r].ret < ops[c].call)
        eligible = FALSE;
    if (!eligible || ops[c].acquire == held)
      continue;
    if (mx_search (ops, n, placed | (1u << c), !held))
      return TRUE;
  }
  return FALSE;
}

Test (lin_models, mutex_random_histories_match_brute_force, .timeout = 120)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (20261129);
  int agree_ok = 0, agree_bad = 0;
  for (int round = 0; round < 4000; round++) {
    int n = g_rand_int_range (rng, 1, 9);
    MxOp ops[8];
    int count[3] = { 0 }, by_proc[3][8], next[3] = { 0 }, open[3] = { -1, -1, -1 };
    for (int i = 0; i < n; i++) {
      int p = g_rand_int_range (rng, 0, 3);
      by_proc[p][count[p]++] = i;
      int st = g_rand_int_range (rng, 0, 10);
      ops[i] = (MxOp) { g_rand_boolean (rng), st < 7 ? CHK_OK : st < 8 ? CHK_FAIL : CHK_INFO,
                        -1, G_MAXINT };
    }
    GString *text = g_string_new (NULL);
    int pos = 0;
    for (;;) {
      int choices[3], nc = 0;
      for (int p = 0; p < 3; p++)
        if (open[p] >= 0 || next[p] < count[p])
          choices[nc++] = p;
      if (nc == 0)
        break;
      int p = choices[g_rand_int_range (rng, 0, nc)];
      const char *f;
      if (open[p] >= 0) {
        MxOp *o = &ops[open[p]];
        f = o->acquire ? "acquire" : "release";
        /* A timed-out operation ends its process (as in Jepsen). */
        const char *type = o->status == CHK_OK ? "ok" : o->status == CHK_FAIL ? "fail" : "info";
        g_string_append_printf (text, "{:process %d, :type :%s, :f :%s, :value nil}\n", p, type, f);
        if (o->status != CHK_INFO)
          o->ret = pos;
        pos++;
        open[p] = -1;
        if (o->status == CHK_INFO)
          next[p] = count[p];
        continue;
      }
      int i = by_proc[p][next[p]++];
      f = ops[i].acquire ? "acquire" : "release";
      g_string_append_printf (text, "{:process %d, :type :invoke, :f :%s, :value nil}\n", p, f);
      ops[i].call = pos++;
      open[p] = i;
    }
    /* Operations never invoked (after an info) are not in the history. */
    MxOp kept[8];
    int m = 0;
    for (int i = 0; i < n; i++)
      if (ops[i].call >= 0)
        kept[m++] = ops[i];
    gboolean want = mx_search (kept, m, 0, FALSE);
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkHistory) h = chk_history_load_data ("random", text->str, text->len,
                                                      CHK_FORMAT_AUTO, &error);
    cr_assert_not_null (h, "%s\n%s", error ? error->message : "", text->str);
    g_autoptr (GArray) hops = chk_history_ops (h, &error);
    cr_assert_not_null (hops, "%s", error ? error->message : "");
    ChkCheckOptions opt;
    chk_check_options_init (&opt);
    opt.kind = CHK_KIND_MUTEX;
    g_autoptr (ChkReport) r = chk_linearizable_check (h, hops, &opt, &error);
    cr_assert_not_null (r, "%s", error ? error->message : "");
    cr_assert_eq (r->verdict, want ? CHK_VERDICT_OK : CHK_VERDICT_VIOLATION,
                  "round %d: brute force says %s:\n%s", round, want ? "ok" : "violation",
                  text->str);
    if (want)
      agree_ok++;
    else
      agree_bad++;
    g_string_free (text, TRUE);
  }
  /* Both verdicts are common, so the agreement means something. */
  cr_expect_gt (agree_ok, 500);
  cr_expect_gt (agree_bad, 500);
}
