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
  g_autoptr (GPtrArray) rows = test_porcupine_verdicts ("porcupine corpus verdicts");
  if (rows == NULL)
    return;
  for (guint k = 0; k < rows->len; k++) {
    const TestVerdictRow *row = g_ptr_array_index (rows, k);
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkHistory) h = chk_history_load (row->path, CHK_FORMAT_AUTO, &error);
    cr_assert_not_null (h, "%s", error ? error->message : "");
    cr_assert (strcmp (row->expected, "ok") == 0 || strcmp (row->expected, "illegal") == 0,
               "%s", row->expected);
    ChkVerdict expect = strcmp (row->expected, "ok") == 0 ? CHK_VERDICT_OK
                                                          : CHK_VERDICT_VIOLATION;
    g_autoptr (ChkReport) r = check_history (h, CHK_KIND_AUTO, FALSE, 1);
    cr_expect_eq (r->verdict, expect, "%s: %s, reference %s", row->file,
                  chk_verdict_name (r->verdict), row->expected);
    if (r->verdict == CHK_VERDICT_VIOLATION) {
      cr_expect_geq (r->culprit, 0, "%s names a culprit", row->file);
      cr_expect_not_null (r->explanation, "%s explains", row->file);
    }
    /* The same history written as dsim JSON Lines and read back gets the
     * same verdict (Porcupine's failed cas survives as "mismatch"). */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream (&buf, &len);
    cr_assert (chk_history_write_jsonl (h, mem, NULL));
    fclose (mem);
    g_autoptr (ChkHistory) again = chk_history_load_data ("again.jsonl", buf, len,
                                                          CHK_FORMAT_JSONL, &error);
    free (buf);
    cr_assert_not_null (again, "%s: %s", row->file, error ? error->message : "");
    g_autoptr (ChkReport) r2 = check_history (again, CHK_KIND_AUTO, FALSE, 1);
    cr_expect_eq (r2->verdict, r->verdict, "%s after a JSON Lines round trip", row->file);
    if (g_str_has_prefix (row->file, "kv/")) {
      g_autoptr (ChkReport) threaded = check_history (h, CHK_KIND_AUTO, FALSE, 2);
      cr_expect_eq (threaded->verdict, expect, "%s on 2 threads", row->file);
      cr_expect_eq (threaded->culprit, r->culprit, "%s: same culprit on 2 threads", row->file);
      if (r->explanation != NULL && threaded->explanation != NULL)
        cr_expect_str_eq (threaded->explanation, r->explanation);
    }
  }
  cr_expect_eq (rows->len, 109);
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

/* The search's sentence (the zone test, which decides this history by
 * default, words it differently: see zones_explanation_verbatim). */
Test (linearizable, explanation_verbatim)
{
  g_autofree char *path = test_source_path ("tests/data/histories/info-cannot-explain.edn");
  g_autoptr (ChkHistory) h = chk_history_load (path, CHK_FORMAT_AUTO, NULL);
  cr_assert_not_null (h);
  g_autoptr (GArray) ops = chk_history_ops (h, NULL);
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.search_only = TRUE;
  g_autoptr (ChkReport) r = chk_linearizable_check (h, ops, &opt, NULL);
  cr_assert_not_null (r);
  cr_assert_eq (r->verdict, CHK_VERDICT_VIOLATION);
  cr_expect_str_eq (r->method, "search");
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
    "%s:6:2: operation 'cas' of process 1 is not one of the register kind (expected read or "
    "write)", path);
  cr_expect_str_eq (error->message, expect);
}

/* Property: on thousands of random small histories (up to 8 operations, 3
 * processes, one or two keys, reads, writes, cas with ok/fail/info/open
 * completions, Porcupine's failed cas), the checker agrees with an
 * exhaustive search over every order, written here independently; its
 * linearization (ok) or prefix (violation) replays. */

typedef struct {
  ChkFn f;
  int key;
  int a, b;           /* write a; cas a -> b; read returns a (-1: nil) */
  ChkOpStatus status;
  gboolean mismatch;  /* a failed cas that compared unequal */
  int call, ret;      /* event positions; ret = G_MAXINT for info/open */
} BfOp;

/* One step of the register model; state per key, -1 is nil. */
static gboolean
bf_step (const BfOp *op, int *state)
{
  int *s = &state[op->key];
  switch (op->f) {
  case CHK_F_READ: return op->status != CHK_OP_OK || *s == op->a;
  case CHK_F_WRITE: *s = op->a; return TRUE;
  case CHK_F_CAS:
    if (op->mismatch)
      return *s != op->a;
    if (op->status == CHK_OP_INFO) {
      if (*s == op->a)
        *s = op->b;
      return TRUE;
    }
    if (*s != op->a)
      return FALSE;
    *s = op->b;
    return TRUE;
  default: return FALSE;
  }
}

static gboolean
bf_search (const BfOp *ops, int n, guint placed, const int *state)
{
  gboolean done = TRUE;
  for (int i = 0; i < n; i++)
    if (!(placed & (1u << i)) && ops[i].status != CHK_OP_INFO)
      done = FALSE;
  if (done)
    return TRUE; /* every remaining operation may never have happened */
  for (int c = 0; c < n; c++) {
    if (placed & (1u << c))
      continue;
    gboolean eligible = TRUE;
    for (int r = 0; r < n && eligible; r++)
      if (r != c && !(placed & (1u << r)) && ops[r].ret < ops[c].call)
        eligible = FALSE;
    if (!eligible)
      continue;
    int next[2] = { state[0], state[1] };
    if (bf_step (&ops[c], next) && bf_search (ops, n, placed | (1u << c), next))
      return TRUE;
  }
  return FALSE;
}

static void
bf_value (ChkValue *v, int x)
{
  if (x < 0)
    *v = (ChkValue) { .kind = CHK_VAL_NIL, .s = -1 };
  else
    *v = (ChkValue) { .kind = CHK_VAL_INT, .i = x, .s = -1 };
}

/* Replays a report's order with the model: each op accepted, and no op
 * placed after one of its key that completed before it was invoked (the
 * order is per key, keys one after the other). */
static void
replay_order (const GArray *order, const BfOp *ops, const int *op_of_chk)
{
  int state[2] = { -1, -1 };
  for (guint k = 0; k < order->len; k++) {
    int i = op_of_chk[g_array_index (order, int64_t, k)];
    cr_assert (bf_step (&ops[i], state), "order step %u rejected", k);
    for (guint j = k + 1; j < order->len; j++) {
      int later = op_of_chk[g_array_index (order, int64_t, j)];
      cr_assert (ops[later].key != ops[i].key || !(ops[later].ret < ops[i].call),
                 "order breaks real time");
    }
  }
}

Test (linearizable, random_histories_match_brute_force, .timeout = 120)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (20261125);
  int agree_ok = 0, agree_bad = 0;
  for (int round = 0; round < 6000; round++) {
    int n = g_rand_int_range (rng, 1, 9);
    gboolean two_keys = g_rand_int_range (rng, 0, 4) == 0;
    gboolean porcupine_cas = g_rand_boolean (rng);
    BfOp ops[8];
    /* Each process runs its ops one after the other; events interleave. */
    int next_op[3] = { 0 }, count[3] = { 0 };
    int by_proc[3][8];
    for (int i = 0; i < n; i++) {
      int p = g_rand_int_range (rng, 0, 3);
      by_proc[p][count[p]++] = i;
      BfOp *o = &ops[i];
      *o = (BfOp) { .key = two_keys ? g_rand_int_range (rng, 0, 2) : 0, .ret = G_MAXINT };
      int kind = g_rand_int_range (rng, 0, 10);
      o->f = kind < 4 ? CHK_F_READ : kind < 8 ? CHK_F_WRITE : CHK_F_CAS;
      o->a = g_rand_int_range (rng, -1, 3);
      o->b = g_rand_int_range (rng, 0, 3);
      if (o->f != CHK_F_READ && o->a < 0)
        o->a = 0;
      int st = g_rand_int_range (rng, 0, 10);
      o->status = st < 7 ? CHK_OP_OK : st < 8 ? CHK_OP_FAIL : CHK_OP_INFO;
      o->mismatch = o->f == CHK_F_CAS && o->status == CHK_OP_FAIL && porcupine_cas;
    }
    g_autoptr (ChkHistory) h = chk_history_new ();
    h->source = g_strdup ("random");
    int open[3] = { -1, -1, -1 }, pos = 0;
    gboolean completes[8];
    for (int i = 0; i < n; i++)
      completes[i] = ops[i].status != CHK_OP_INFO || g_rand_boolean (rng);
    for (;;) {
      /* pick a process that can act: complete its open op, or invoke its next */
      int choices[6], nc = 0;
      for (int p = 0; p < 3; p++) {
        if (open[p] >= 0 && completes[open[p]])
          choices[nc++] = p;
        else if (open[p] < 0 && next_op[p] < count[p])
          choices[nc++] = p;
        else if (open[p] >= 0 && !completes[open[p]] && next_op[p] < count[p])
          choices[nc++] = p; /* a crashed client: its next op comes from a new process */
      }
      if (nc == 0)
        break;
      int p = choices[g_rand_int_range (rng, 0, nc)];
      ChkEvent ev = { .f_name = -1, .time_us = -1, .index = -1, .line = (uint32_t) pos + 1 };
      if (open[p] >= 0 && completes[open[p]]) {
        BfOp *o = &ops[open[p]];
        ev.process = open[p]; /* one id per op: a crashed client's next op is a new process */
        ev.type = o->status == CHK_OP_OK ? CHK_OK : o->status == CHK_OP_FAIL ? CHK_FAIL : CHK_INFO;
        ev.f = o->f;
        ev.is_cas_mismatch = o->mismatch;
        if (o->f == CHK_F_READ)
          bf_value (&ev.value, o->a);
        else if (o->f == CHK_F_WRITE)
          bf_value (&ev.value, o->a);
        else
          ev.value = (ChkValue) { .kind = CHK_VAL_PAIR, .i = o->a, .j = o->b, .s = -1 };
        ev.key = chk_history_intern (h, o->key ? "y" : "x");
        if (o->status != CHK_OP_INFO)
          o->ret = pos;
        open[p] = -1;
      } else {
        if (open[p] >= 0) /* never completes: the process is gone */
          open[p] = -1;
        int i = by_proc[p][next_op[p]++];
        BfOp *o = &ops[i];
        ev.process = i;
        ev.type = CHK_INVOKE;
        ev.f = o->f;
        if (o->f == CHK_F_READ)
          bf_value (&ev.value, -1);
        else if (o->f == CHK_F_WRITE)
          bf_value (&ev.value, o->a);
        else
          ev.value = (ChkValue) { .kind = CHK_VAL_PAIR, .i = o->a, .j = o->b, .s = -1 };
        ev.key = chk_history_intern (h, o->key ? "y" : "x");
        o->call = pos;
        open[p] = i;
      }
      chk_history_append (h, &ev);
      pos++;
    }
    /* Failed ops never happened (unless a Porcupine cas mismatch). */
    BfOp live[8];
    int n_live = 0;
    for (int i = 0; i < n; i++)
      if (ops[i].status != CHK_OP_FAIL || ops[i].mismatch)
        live[n_live++] = ops[i];
    int state[2] = { -1, -1 };
    gboolean expect_ok = bf_search (live, n_live, 0, state);

    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) chk_ops = chk_history_ops (h, &error);
    cr_assert_not_null (chk_ops, "round %d: %s", round, error ? error->message : "");
    cr_assert_eq (chk_ops->len, (guint) n);
    int op_of_chk[8];
    for (guint k = 0; k < chk_ops->len; k++) {
      const ChkOp *co = &g_array_index (chk_ops, ChkOp, k);
      for (int i = 0; i < n; i++)
        if (ops[i].call == co->call)
          op_of_chk[k] = i;
    }
    ChkCheckOptions opt;
    chk_check_options_init (&opt);
    opt.kind = CHK_KIND_CAS_REGISTER;
    g_autoptr (ChkReport) r = chk_linearizable_check (h, chk_ops, &opt, &error);
    cr_assert_not_null (r, "round %d: %s", round, error ? error->message : "");
    cr_assert_eq (r->verdict, expect_ok ? CHK_VERDICT_OK : CHK_VERDICT_VIOLATION,
                  "round %d: checker says %s, exhaustive search says %s", round,
                  chk_verdict_name (r->verdict), expect_ok ? "ok" : "violation");
    if (two_keys) {
      opt.no_split = TRUE;
      g_autoptr (ChkReport) whole = chk_linearizable_check (h, chk_ops, &opt, &error);
      cr_assert_not_null (whole);
      cr_assert_eq (whole->verdict, r->verdict, "round %d: --no-split says %s", round,
                    chk_verdict_name (whole->verdict));
      opt.no_split = FALSE;
    }
    if (expect_ok) {
      agree_ok++;
      replay_order (r->order, ops, op_of_chk);
    } else {
      agree_bad++;
      cr_assert_geq (r->culprit, 0);
      cr_assert_not_null (r->explanation);
      replay_order (r->order, ops, op_of_chk);
    }
  }
  cr_expect_gt (agree_ok, 1000, "both verdicts are exercised: %d ok", agree_ok);
  cr_expect_gt (agree_bad, 1000, "both verdicts are exercised: %d violations", agree_bad);
}

/* The same property for kv: puts, appends and gets of short strings. */
typedef struct {
  ChkFn f;           /* READ get, WRITE put, APPEND */
  char val[8];       /* put/append value; get result */
  ChkOpStatus status;
  int call, ret;
} KvOp;

static gboolean
kv_search (const KvOp *ops, int n, guint placed, const char *state)
{
  gboolean done = TRUE;
  for (int i = 0; i < n; i++)
    if (!(placed & (1u << i)) && ops[i].status == CHK_OP_OK)
      done = FALSE;
  if (done)
    return TRUE;
  for (int c = 0; c < n; c++) {
    if (placed & (1u << c))
      continue;
    gboolean eligible = TRUE;
    for (int r = 0; r < n && eligible; r++)
      if (r != c && !(placed & (1u << r)) && ops[r].ret < ops[c].call)
        eligible = FALSE;
    if (!eligible)
      continue;
    char next[64];
    if (ops[c].f == CHK_F_READ) {
      if (strcmp (state, ops[c].val) != 0)
        continue;
      g_strlcpy (next, state, sizeof next);
    } else if (ops[c].f == CHK_F_WRITE) {
      g_strlcpy (next, ops[c].val, sizeof next);
    } else {
      g_snprintf (next, sizeof next, "%s%s", state, ops[c].val);
    }
    if (kv_search (ops, n, placed | (1u << c), next))
      return TRUE;
  }
  return FALSE;
}

Test (linearizable, random_kv_histories_match_brute_force, .timeout = 120)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (777);
  static const char *const appends[] = { "a", "b", "c" };
  static const char *const puts[] = { "p", "q" };
  static const char *const gets[] = { "", "a", "b", "ab", "ba", "p", "pa", "pb", "qa", "abc", "pab" };
  int agree_ok = 0, agree_bad = 0;
  for (int round = 0; round < 4000; round++) {
    int n = g_rand_int_range (rng, 1, 9);
    KvOp ops[8];
    int by_proc[3][8], count[3] = { 0 }, next_op[3] = { 0 }, open[3] = { -1, -1, -1 };
    gboolean completes[8];
    for (int i = 0; i < n; i++) {
      int p = g_rand_int_range (rng, 0, 3);
      by_proc[p][count[p]++] = i;
      KvOp *o = &ops[i];
      *o = (KvOp) { .ret = G_MAXINT };
      int kind = g_rand_int_range (rng, 0, 10);
      o->f = kind < 4 ? CHK_F_READ : kind < 8 ? CHK_F_APPEND : CHK_F_WRITE;
      const char *v = o->f == CHK_F_READ ? gets[g_rand_int_range (rng, 0, G_N_ELEMENTS (gets))]
                      : o->f == CHK_F_APPEND ? appends[g_rand_int_range (rng, 0, 3)]
                                             : puts[g_rand_int_range (rng, 0, 2)];
      g_strlcpy (o->val, v, sizeof o->val);
      o->status = g_rand_int_range (rng, 0, 10) < 8 ? CHK_OP_OK : CHK_OP_INFO;
      completes[i] = o->status == CHK_OP_OK || g_rand_boolean (rng);
    }
    g_autoptr (ChkHistory) h = chk_history_new ();
    int pos = 0;
    for (;;) {
      int choices[3], nc = 0;
      for (int p = 0; p < 3; p++)
        if ((open[p] >= 0 && completes[open[p]]) || next_op[p] < count[p])
          choices[nc++] = p;
      if (nc == 0)
        break;
      int p = choices[g_rand_int_range (rng, 0, nc)];
      ChkEvent ev = { .f_name = -1, .time_us = -1, .index = -1, .line = (uint32_t) pos + 1,
                      .key = chk_history_intern (h, "k") };
      int i;
      if (open[p] >= 0 && completes[open[p]]) {
        i = open[p];
        ev.type = ops[i].status == CHK_OP_OK ? CHK_OK : CHK_INFO;
        if (ops[i].status == CHK_OP_OK)
          ops[i].ret = pos;
        open[p] = -1;
      } else {
        i = by_proc[p][next_op[p]++];
        ev.type = CHK_INVOKE;
        ops[i].call = pos;
        open[p] = i;
      }
      ev.process = i;
      ev.f = ops[i].f;
      if (ops[i].f != CHK_F_READ || ev.type != CHK_INVOKE)
        ev.value = (ChkValue) { .kind = CHK_VAL_STR, .s = chk_history_intern (h, ops[i].val) };
      else
        ev.value = (ChkValue) { .kind = CHK_VAL_NIL, .s = -1 };
      chk_history_append (h, &ev);
      pos++;
    }
    /* A get with an unknown result constrains nothing. */
    KvOp live[8];
    int n_live = 0;
    for (int i = 0; i < n; i++)
      if (ops[i].f != CHK_F_READ || ops[i].status == CHK_OP_OK)
        live[n_live++] = ops[i];
    gboolean expect_ok = kv_search (live, n_live, 0, "");
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) chk_ops = chk_history_ops (h, &error);
    cr_assert_not_null (chk_ops, "round %d: %s", round, error ? error->message : "");
    ChkCheckOptions opt;
    chk_check_options_init (&opt);
    opt.kind = CHK_KIND_KV;
    g_autoptr (ChkReport) r = chk_linearizable_check (h, chk_ops, &opt, &error);
    cr_assert_not_null (r);
    cr_assert_eq (r->verdict, expect_ok ? CHK_VERDICT_OK : CHK_VERDICT_VIOLATION,
                  "round %d: checker says %s, exhaustive search says %s", round,
                  chk_verdict_name (r->verdict), expect_ok ? "ok" : "violation");
    if (expect_ok)
      agree_ok++;
    else
      agree_bad++;
  }
  cr_expect_gt (agree_ok, 400, "%d ok", agree_ok);
  cr_expect_gt (agree_bad, 400, "%d violations", agree_bad);
}

/* A register run with `clients` clients: an idle client starts an
 * operation at rate `start` against rate 1 for a pending one to take
 * effect, then to complete; writes and cas time out (info) with
 * probability 1/100.  Linearizable by construction. */
static ChkHistory *
simulated_register_history (guint32 seed, int n_ops, int clients, double start, int nil_reads)
{
  typedef struct { int f, a, b, out, proc; gboolean done, ok; } SimOp;
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  ChkHistory *h = chk_history_new ();
  h->source = g_strdup ("simulated");
  int32_t key = chk_history_intern (h, "x");
  g_autofree SimOp *pending = g_new0 (SimOp, clients);
  int n_pending = 0, n_idle = clients, next_proc = clients, started = 0, state = -1;
  guint line = 1;
  for (int k = 0; k < 2 * nil_reads; k++) { /* first, reads of nil one after the other */
    ChkEvent ev = { .f_name = -1, .time_us = -1, .index = -1, .line = line++, .key = key,
                    .process = 900000 + k / 2, .f = CHK_F_READ,
                    .type = k % 2 == 0 ? CHK_INVOKE : CHK_OK };
    bf_value (&ev.value, -1);
    chk_history_append (h, &ev);
  }
  while (started < n_ops || n_pending > 0) {
    double w_start = started < n_ops ? start * n_idle : 0;
    double x = g_rand_double (rng) * (w_start + n_pending);
    ChkEvent ev = { .f_name = -1, .time_us = -1, .index = -1, .line = line++, .key = key };
    SimOp *o;
    if (x < w_start) {
      o = &pending[n_pending++];
      n_idle--;
      int kind = g_rand_int_range (rng, 0, 10);
      *o = (SimOp) { .f = kind < 4 ? CHK_F_READ : kind < 7 ? CHK_F_WRITE : CHK_F_CAS,
                     .a = g_rand_int_range (rng, 0, 5), .b = g_rand_int_range (rng, 0, 5),
                     .proc = next_proc++ };
      started++;
      ev.type = CHK_INVOKE;
    } else {
      int k = MIN ((int) (x - w_start), n_pending - 1);
      o = &pending[k];
      if (!o->done) {
        o->done = TRUE;
        o->ok = o->f != CHK_F_CAS || state == o->a;
        if (o->f == CHK_F_READ)
          o->out = state;
        else if (o->ok)
          state = o->f == CHK_F_WRITE ? o->a : o->b;
        line--;
        continue;
      }
      gboolean timeout = o->f != CHK_F_READ && g_rand_int_range (rng, 0, 100) == 0;
      ev.type = timeout ? CHK_INFO : o->ok ? CHK_OK : CHK_FAIL;
    }
    ev.process = o->proc;
    ev.f = o->f;
    ev.is_cas_mismatch = ev.type == CHK_FAIL;
    if (o->f == CHK_F_CAS)
      ev.value = (ChkValue) { .kind = CHK_VAL_PAIR, .i = o->a, .j = o->b, .s = -1 };
    else if (o->f == CHK_F_WRITE)
      bf_value (&ev.value, o->a);
    else
      bf_value (&ev.value, ev.type == CHK_INVOKE ? -1 : o->out);
    chk_history_append (h, &ev);
    if (ev.type != CHK_INVOKE) {
      *o = pending[--n_pending];
      n_idle++;
    }
  }
  return h;
}

/* The memo keeps the concurrent window, not the prefix: on lightly
 * concurrent histories the search's memory grows linearly with length
 * (it grew with the square when every state held the whole linearized
 * set). */
Test (linearizable, long_light_histories_take_linear_memory, .timeout = 60)
{
  gsize bytes[2];
  guint64 states[2];
  const int sizes[2] = { 25000, 100000 };
  for (int k = 0; k < 2; k++) {
    g_autoptr (ChkHistory) h = simulated_register_history (17, sizes[k], 10, 0.05, 0);
    g_autoptr (ChkReport) r = check_history (h, CHK_KIND_AUTO, FALSE, 1);
    cr_assert_eq (r->verdict, CHK_VERDICT_OK, "%d ops: %s", sizes[k], chk_verdict_name (r->verdict));
    bytes[k] = r->memory_bytes;
    states[k] = r->states_explored;
  }
  cr_expect_lt (states[1], 5 * states[0], "states %" G_GUINT64_FORMAT " then %" G_GUINT64_FORMAT,
                states[0], states[1]);
  cr_expect_lt (bytes[1], 5 * bytes[0], "memory %zu then %zu bytes for 4 times the operations",
                bytes[0], bytes[1]);
}

/* --max-memory holds for every allocation the search makes: the memo and
 * its key arena, the model's tables and the per-operation arrays are
 * checked before they grow, so the peak never passes the cap, and the
 * verdict is unknown with the reason. */
Test (linearizable, memory_cap_holds_before_each_allocation)
{
  g_autoptr (ChkHistory) h = simulated_register_history (5, 3000, 200, 1.0, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops);
  const gsize limits[] = { 1024, 300 * 1024, 2 * 1024 * 1024, 8 * 1024 * 1024 };
  for (guint k = 0; k < G_N_ELEMENTS (limits); k++) {
    ChkCheckOptions opt;
    chk_check_options_init (&opt);
    opt.memory_limit_bytes = limits[k];
    g_autoptr (ChkReport) r = chk_linearizable_check (h, ops, &opt, &error);
    cr_assert_not_null (r);
    cr_expect_eq (r->verdict, CHK_VERDICT_UNKNOWN, "limit %zu: %s", limits[k],
                  chk_verdict_name (r->verdict));
    cr_expect_str_eq (r->explanation, "the search reached its memory limit before a verdict");
    cr_expect_leq (r->memory_bytes, limits[k], "limit %zu, peak %zu", limits[k], r->memory_bytes);
  }
}

/* An open write nobody read is left out, but not when a failed cas needs
 * the value to have changed: here only the timed-out write of 2 explains
 * why the cas expecting 1 failed. */
Test (linearizable, unobserved_open_write_kept_for_a_failed_cas)
{
  g_autoptr (ChkReport) r = check_text (
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n"
    "{\"process\":1,\"type\":\"invoke\",\"f\":\"write\",\"value\":2}\n"
    "{\"process\":1,\"type\":\"info\",\"f\":\"write\",\"value\":2}\n"
    "{\"process\":2,\"type\":\"invoke\",\"f\":\"cas\",\"value\":[1,3]}\n"
    "{\"process\":2,\"type\":\"fail\",\"f\":\"cas\",\"value\":[1,3],\"mismatch\":true}\n",
    CHK_KIND_AUTO);
  cr_expect_eq (r->verdict, CHK_VERDICT_OK, "%s", chk_verdict_name (r->verdict));
}

/* A read far ahead that nothing can explain any more (nil, after writes
 * that cannot be undone) ends the search as soon as the value leaves nil,
 * past the first levels (12 reads of nil come first):
 * the counts of writers and readers per value see it in constant time,
 * where a bounded scan of the list would explore the whole prefix first. */
Test (linearizable, far_dead_read_found_early)
{
  g_autoptr (ChkHistory) h = simulated_register_history (23, 3000, 10, 0.05, 12);
  int32_t key = chk_history_intern (h, "x");
  for (int k = 0; k < 2; k++) {
    ChkEvent ev = { .f_name = -1, .time_us = -1, .index = -1, .line = chk_history_len (h) + 1,
                    .key = key, .process = 999999, .f = CHK_F_READ,
                    .type = k == 0 ? CHK_INVOKE : CHK_OK };
    bf_value (&ev.value, -1);
    chk_history_append (h, &ev);
  }
  g_autoptr (ChkReport) r = check_history (h, CHK_KIND_AUTO, FALSE, 1);
  cr_expect_eq (r->verdict, CHK_VERDICT_VIOLATION, "%s", chk_verdict_name (r->verdict));
  cr_expect_lt (r->states_explored, 200, "%" G_GUINT64_FORMAT " states", r->states_explored);
}

/* A kv run on one key with `clients` clients (as
 * simulated_register_history): gets, appends of distinct texts, and one
 * put in ten, each taking effect at one instant between invocation and
 * completion.  Linearizable by construction; `far_get`, if not NULL, is
 * one more get after the run that returned it. */
static ChkHistory *
simulated_kv_history (guint32 seed, int n_ops, int clients, double start, const char *far_get)
{
  typedef struct { int f, proc; char *arg, *out; gboolean done; } SimOp;
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  ChkHistory *h = chk_history_new ();
  h->source = g_strdup ("simulated");
  int32_t key = chk_history_intern (h, "k");
  g_autofree SimOp *pending = g_new0 (SimOp, clients);
  int n_pending = 0, n_idle = clients, next_proc = 0, started = 0;
  g_autoptr (GString) value = g_string_new ("");
  guint line = 1;
  while (started < n_ops || n_pending > 0) {
    double w_start = started < n_ops ? start * n_idle : 0;
    double x = g_rand_double (rng) * (w_start + n_pending);
    ChkEvent ev = { .f_name = -1, .time_us = -1, .index = -1, .line = line++, .key = key };
    SimOp *o;
    if (x < w_start) {
      o = &pending[n_pending++];
      n_idle--;
      int kind = g_rand_int_range (rng, 0, 10);
      *o = (SimOp) { .f = kind < 5 ? CHK_F_READ : kind < 9 ? CHK_F_APPEND : CHK_F_WRITE,
                     .proc = next_proc++ };
      o->arg = g_strdup_printf ("%c%d;", o->f == CHK_F_WRITE ? 'p' : 'a', started);
      started++;
      ev.type = CHK_INVOKE;
    } else {
      int k = MIN ((int) (x - w_start), n_pending - 1);
      o = &pending[k];
      if (!o->done) {
        o->done = TRUE;
        if (o->f == CHK_F_READ)
          o->out = g_strdup (value->str);
        else if (o->f == CHK_F_WRITE)
          g_string_assign (value, o->arg);
        else
          g_string_append (value, o->arg);
        line--;
        continue;
      }
      ev.type = CHK_OK;
    }
    ev.process = o->proc;
    ev.f = o->f;
    const char *v = o->f != CHK_F_READ ? o->arg : ev.type == CHK_OK ? o->out : NULL;
    ev.value = v != NULL ? (ChkValue) { .kind = CHK_VAL_STR, .s = chk_history_intern (h, v) }
                         : (ChkValue) { .kind = CHK_VAL_NIL, .s = -1 };
    chk_history_append (h, &ev);
    if (ev.type != CHK_INVOKE) {
      g_free (o->arg);
      g_free (o->out);
      *o = pending[--n_pending];
      n_idle++;
    }
  }
  for (int k = 0; far_get != NULL && k < 2; k++) {
    ChkEvent ev = { .f_name = -1, .time_us = -1, .index = -1, .line = line++, .key = key,
                    .process = 999999, .f = CHK_F_READ, .type = k == 0 ? CHK_INVOKE : CHK_OK };
    ev.value = k == 0 ? (ChkValue) { .kind = CHK_VAL_NIL, .s = -1 }
                      : (ChkValue) { .kind = CHK_VAL_STR, .s = chk_history_intern (h, far_get) };
    chk_history_append (h, &ev);
  }
  return h;
}

/* kv on one key: the search decides a long run with 10 clients, and a get
 * far ahead that nothing can explain (no put begins its result, and the
 * value stops beginning it at the first append) ends the search within a
 * few states, past hundreds of puts: the lookahead follows every put to
 * come and every get, at a cost per state that does not grow with the
 * history. */
Test (linearizable, kv_far_dead_get_found_early)
{
  g_autoptr (ChkHistory) ok = simulated_kv_history (5, 4000, 10, 0.1, NULL);
  g_autoptr (ChkReport) r = check_history (ok, CHK_KIND_KV, FALSE, 1);
  cr_expect_eq (r->verdict, CHK_VERDICT_OK, "%s", chk_verdict_name (r->verdict));
  g_autoptr (ChkHistory) bad = simulated_kv_history (5, 4000, 10, 0.1, "zz");
  g_autoptr (ChkReport) r2 = check_history (bad, CHK_KIND_KV, FALSE, 1);
  cr_expect_eq (r2->verdict, CHK_VERDICT_VIOLATION, "%s", chk_verdict_name (r2->verdict));
  cr_expect_lt (r2->states_explored, 200, "%" G_GUINT64_FORMAT " states", r2->states_explored);
}
