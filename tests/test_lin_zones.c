/* test_lin_zones.c: the zone test for differentiated registers
 * (checkers/lin_zones.c) against the search, on thousands of random small
 * histories, and its explanations. */
#include <criterion/criterion.h>

#include <glib.h>
#include <string.h>

#include "checkers/check.h"
#include "checkers/linearizable.h"
#include "tests/support.h"

typedef struct {
  ChkFn f;
  int a, b;           /* write a; cas a -> b; read returns a (-1: nil) */
  ChkOpStatus status;
  gboolean mismatch;  /* a failed cas that compared unequal (Porcupine) */
  gboolean completes; /* info: an info completion, else none */
  gboolean applied;   /* info: took effect at its point */
  double call, ret, at;
} ZOp;

typedef struct {
  double t;
  int op;
  gboolean is_call;
} ZEv;

static int
zev_cmp (gconstpointer a, gconstpointer b)
{
  const ZEv *x = a, *y = b;
  return (x->t > y->t) - (x->t < y->t);
}

static int
zop_at_cmp (gconstpointer a, gconstpointer b, gpointer data)
{
  const ZOp *ops = data;
  double x = ops[*(const int *) a].at, y = ops[*(const int *) b].at;
  return (x > y) - (x < y);
}

static void
z_value (ChkValue *v, int x)
{
  if (x < 0)
    *v = (ChkValue) { .kind = CHK_VAL_NIL, .s = -1 };
  else
    *v = (ChkValue) { .kind = CHK_VAL_INT, .i = x, .s = -1 };
}

static void
z_pair (ChkValue *v, int a, int b)
{
  *v = (ChkValue) { .kind = CHK_VAL_PAIR, .i = a < 0 ? 0 : a, .j = b,
                    .s = a < 0 ? CHK_PAIR_NIL_FIRST : -1 };
}

/* A random history of one register where every written value is new:
 * operations take effect at a random point of their interval (info ones
 * maybe not at all), then with some probability a read or a cas is made
 * to see a value it could not have seen. */
static int
z_generate (GRand *rng, ZOp *ops, gboolean porcupine_cas)
{
  int n = g_rand_int_range (rng, 1, 13);
  int order[16];
  for (int i = 0; i < n; i++) {
    ZOp *o = &ops[i];
    *o = (ZOp) { .status = CHK_OP_OK, .completes = TRUE, .applied = TRUE };
    o->call = g_rand_double_range (rng, 0, 100);
    o->ret = o->call + g_rand_double_range (rng, 0.5, 40);
    o->at = g_rand_double_range (rng, o->call, o->ret);
    int k = g_rand_int_range (rng, 0, 20);
    o->f = k < 8 ? CHK_F_READ : k < 14 ? CHK_F_WRITE : CHK_F_CAS;
    if (g_rand_int_range (rng, 0, 8) == 0) {
      o->status = CHK_OP_INFO;
      o->completes = g_rand_boolean (rng);
      o->applied = g_rand_boolean (rng);
    }
    order[i] = i;
  }
  g_qsort_with_data (order, n, sizeof (int), zop_at_cmp, ops);
  int state = -1, next_value = 1, written[16], n_written = 0;
  for (int k = 0; k < n; k++) {
    ZOp *o = &ops[order[k]];
    switch (o->f) {
    case CHK_F_READ:
      o->a = state;
      break;
    case CHK_F_WRITE:
      o->a = next_value++;
      if (o->applied)
        state = o->a;
      written[n_written++] = o->a;
      break;
    case CHK_F_CAS:
      o->b = next_value++;
      if (g_rand_int_range (rng, 0, 10) < 7 || n_written == 0)
        o->a = state;
      else
        o->a = g_rand_int_range (rng, 0, 4) == 0 ? -1 : written[g_rand_int_range (rng, 0, n_written)];
      if (o->status == CHK_OP_INFO) {
        if (o->applied && state == o->a)
          state = o->b;
      } else if (state == o->a) {
        state = o->b;
      } else {
        o->status = CHK_OP_FAIL;
        o->mismatch = porcupine_cas;
      }
      written[n_written++] = o->b;
      break;
    default:
      g_assert_not_reached ();
    }
  }
  /* Anomalies: a read returns another value; a cas claims success. */
  int anomalies = g_rand_int_range (rng, 0, 3);
  for (int t = 0; t < anomalies; t++) {
    ZOp *o = &ops[g_rand_int_range (rng, 0, n)];
    if (o->f == CHK_F_READ && o->status == CHK_OP_OK)
      o->a = n_written == 0 || g_rand_int_range (rng, 0, 5) == 0 ? -1
             : written[g_rand_int_range (rng, 0, n_written)];
    else if (o->f == CHK_F_CAS && o->status == CHK_OP_FAIL) {
      o->status = CHK_OP_OK;
      o->mismatch = FALSE;
    }
  }
  return n;
}

static ChkHistory *
z_history (const ZOp *ops, int n)
{
  ChkHistory *h = chk_history_new ();
  h->source = g_strdup ("random");
  ZEv evs[32];
  int ne = 0;
  for (int i = 0; i < n; i++) {
    evs[ne++] = (ZEv) { ops[i].call, i, TRUE };
    if (ops[i].completes)
      evs[ne++] = (ZEv) { ops[i].ret, i, FALSE };
  }
  qsort (evs, ne, sizeof *evs, zev_cmp);
  for (int k = 0; k < ne; k++) {
    const ZOp *o = &ops[evs[k].op];
    ChkEvent ev = { .process = evs[k].op, .f = o->f, .f_name = -1, .key = -1, .time_us = -1,
                    .index = -1, .line = (uint32_t) k + 1 };
    if (evs[k].is_call)
      ev.type = CHK_INVOKE;
    else
      ev.type = o->status == CHK_OP_OK ? CHK_OK : o->status == CHK_OP_FAIL ? CHK_FAIL : CHK_INFO;
    ev.is_cas_mismatch = !evs[k].is_call && o->mismatch;
    if (o->f == CHK_F_CAS)
      z_pair (&ev.value, o->a, o->b);
    else if (o->f == CHK_F_WRITE || (!evs[k].is_call && o->status == CHK_OP_OK))
      z_value (&ev.value, o->a);
    else
      z_value (&ev.value, -1);
    chk_history_append (h, &ev);
  }
  return h;
}

static ChkReport *
z_check (const ChkHistory *h, const GArray *ops, gboolean search_only)
{
  g_autoptr (GError) error = NULL;
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.kind = CHK_KIND_CAS_REGISTER;
  opt.search_only = search_only;
  ChkReport *r = chk_linearizable_check (h, ops, &opt, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  return r;
}

/* Replays an order independently of the checker: each step allowed by the
 * register, and no operation placed after one invoked after it completed. */
static gboolean
z_replay (const GArray *order, const GArray *chk_ops, const ZOp *ops)
{
  int state = -1;
  for (guint k = 0; k < order->len; k++) {
    const ChkOp *co = &g_array_index (chk_ops, ChkOp, g_array_index (order, int64_t, k));
    const ZOp *o = &ops[co->process];
    for (guint j = 0; j < k; j++) {
      const ChkOp *before = &g_array_index (chk_ops, ChkOp, g_array_index (order, int64_t, j));
      if (co->status != CHK_OP_INFO && co->ret < before->call)
        return FALSE;
    }
    switch (o->f) {
    case CHK_F_READ:
      if (state != o->a)
        return FALSE;
      break;
    case CHK_F_WRITE:
      state = o->a;
      break;
    case CHK_F_CAS:
      if (o->mismatch) {
        if (state == o->a)
          return FALSE;
      } else if (o->status == CHK_OP_INFO) {
        if (state == o->a)
          state = o->b;
      } else {
        if (state != o->a)
          return FALSE;
        state = o->b;
      }
      break;
    default:
      return FALSE;
    }
  }
  return TRUE;
}

/* Property: on 20,000 random differentiated histories (reads, writes, cas
 * of new values; ok, failed, info and never-completed operations; with and
 * without Porcupine's failed cas), the verdict with the zone test equals
 * the search's, the zone test decides most of them, and its linearizations
 * and prefixes replay. */
Test (lin_zones, random_differentiated_match_search, .timeout = 120)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (20261129);
  int by_zones = 0, zones_ok = 0, zones_bad = 0, total = 20000;
  for (int round = 0; round < total; round++) {
    ZOp ops[16];
    int n = z_generate (rng, ops, g_rand_boolean (rng));
    g_autoptr (ChkHistory) h = z_history (ops, n);
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) chk_ops = chk_history_ops (h, &error);
    cr_assert_not_null (chk_ops, "round %d: %s", round, error ? error->message : "");
    g_autoptr (ChkReport) fast = z_check (h, chk_ops, FALSE);
    g_autoptr (ChkReport) slow = z_check (h, chk_ops, TRUE);
    cr_assert_str_eq (slow->method, "search");
    cr_assert_neq (slow->verdict, CHK_VERDICT_UNKNOWN);
    cr_assert_eq (fast->verdict, slow->verdict, "round %d: zones say %s, the search %s", round,
                  chk_verdict_name (fast->verdict), chk_verdict_name (slow->verdict));
    if (strcmp (fast->method, "zones") != 0)
      continue;
    by_zones++;
    cr_assert (z_replay (fast->order, chk_ops, ops), "round %d: the order does not replay",
               round);
    if (fast->verdict == CHK_VERDICT_OK) {
      zones_ok++;
    } else {
      zones_bad++;
      cr_assert_geq (fast->culprit, 0);
      cr_assert_not_null (fast->explanation);
    }
  }
  cr_log_info ("zones decided %d of %d: %d ok, %d violations", by_zones, total, zones_ok,
               zones_bad);
  cr_expect_gt (by_zones, total * 8 / 10, "the zone test decides most: %d of %d", by_zones,
                total);
  cr_expect_gt (zones_ok, total / 4, "ok verdicts by zones: %d", zones_ok);
  cr_expect_gt (zones_bad, total / 10, "violations by zones: %d", zones_bad);
}
