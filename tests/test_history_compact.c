/* test_history_compact.c: the history's compact storage (one ChkOp per
 * operation, a 4-byte reference per event, values coded in 8 bytes) gives
 * back every event exactly as appended; loading stays within its memory
 * budget per operation and within --max-memory; bad input is reported
 * where it is read, before the rest of the file. */
#include <criterion/criterion.h>

#include <glib.h>
#include <string.h>

#include "checkers/history.h"
#include "checkers/ops.h"
#include "tests/support.h"

static void
expect_same_event (const ChkEvent *a, const ChkEvent *b, guint i)
{
  cr_expect_eq (a->process, b->process, "event %u: process", i);
  cr_expect_eq (a->type, b->type, "event %u: type", i);
  cr_expect_eq (a->f, b->f, "event %u: f", i);
  cr_expect_eq (a->is_final, b->is_final, "event %u: final", i);
  cr_expect_eq (a->is_cas_mismatch, b->is_cas_mismatch, "event %u: mismatch", i);
  cr_expect_eq (a->f_name, b->f_name, "event %u: f_name", i);
  cr_expect_eq (a->key, b->key, "event %u: key", i);
  cr_expect_eq (a->line, b->line, "event %u: line", i);
  cr_expect_eq (a->column, b->column, "event %u: column", i);
  cr_expect_eq (a->time_us, b->time_us, "event %u: time", i);
  cr_expect_eq (a->value.kind, b->value.kind, "event %u: value kind", i);
  cr_expect_eq (a->value.s, b->value.s, "event %u: value s", i);
  cr_expect_eq (a->value.i, b->value.i, "event %u: value i", i);
  cr_expect_eq (a->value.j, b->value.j, "event %u: value j", i);
  cr_expect_eq (b->index, (int64_t) i, "event %u: index is the position", i);
}

/* A random value, often one that cannot be coded in place. */
static ChkValue
random_value (GRand *rng, ChkHistory *h)
{
  switch (g_rand_int_range (rng, 0, 9)) {
  case 0: return (ChkValue) { .kind = CHK_VAL_NONE, .s = -1 };
  case 1: return (ChkValue) { .kind = CHK_VAL_NIL, .s = g_rand_boolean (rng) ? -1 : 0 };
  case 2: return (ChkValue) { .kind = CHK_VAL_INT, .s = -1, .i = g_rand_int_range (rng, -5, 5) };
  case 3: /* beyond 60 bits: kept whole */
    return (ChkValue) { .kind = CHK_VAL_INT, .s = -1,
                        .i = g_rand_boolean (rng) ? G_MAXINT64 : G_MININT64 + 3 };
  case 4:
    return (ChkValue) { .kind = CHK_VAL_PAIR, .s = g_rand_int_range (rng, -1, 4),
                        .i = g_rand_int_range (rng, -3, 3), .j = g_rand_int_range (rng, -3, 3) };
  case 5: /* a pair of large integers: kept whole */
    return (ChkValue) { .kind = CHK_VAL_PAIR, .s = -1, .i = (int64_t) 1 << 40,
                        .j = -((int64_t) 1 << 35) };
  case 6:
    return (ChkValue) { .kind = CHK_VAL_STR, .s = chk_history_intern (h, "v") };
  case 7: /* an unusual field set (i on a string): kept whole */
    return (ChkValue) { .kind = CHK_VAL_STR, .s = chk_history_intern (h, "w"), .i = 7 };
  default:
    return (ChkValue) { .kind = CHK_VAL_INT, .s = 0, .i = -((int64_t) 1 << 59) };
  }
}

/* Random well-paired histories with every irregularity a loader or the
 * simulator may produce: keys on one event only, other function names on
 * the completion, final flags, info completions with values and times,
 * lines and columns out of step. */
Test (history_compact, every_event_comes_back_exactly)
{
  for (guint seed = 1; seed <= 200; seed++) {
    g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
    g_autoptr (ChkHistory) h = chk_history_new ();
    g_autoptr (GArray) sent = g_array_new (FALSE, FALSE, sizeof (ChkEvent));
    int32_t keys[2] = { chk_history_intern (h, "x"), chk_history_intern (h, "y") };
    int32_t names[2] = { chk_history_intern (h, "get"), chk_history_intern (h, "read") };
    gboolean open[4] = { FALSE };
    ChkEvent inv[4];
    int64_t time = g_rand_boolean (rng) ? 0 : -1;
    uint32_t line = 1;
    for (guint k = 0; k < 60; k++) {
      int p = g_rand_int_range (rng, 0, 4);
      ChkEvent ev = { .process = p == 3 ? 1000000 + p : p, .f_name = -1, .key = -1,
                      .index = -1 };
      line += (uint32_t) g_rand_int_range (rng, 0, 3);
      ev.line = g_rand_int_range (rng, 0, 10) == 0 ? 0 : line;
      ev.column = (uint32_t) g_rand_int_range (rng, 0, 3);
      if (time >= 0 && g_rand_boolean (rng))
        time += g_rand_int_range (rng, 0, 3);
      ev.time_us = time >= 0 && g_rand_int_range (rng, 0, 5) > 0 ? time : -1;
      if (!open[p]) {
        ev.type = CHK_INVOKE;
        ev.f = (uint8_t) g_rand_int_range (rng, CHK_F_READ, CHK_F_OTHER + 1);
        ev.f_name = ev.f == CHK_F_READ ? names[g_rand_int_range (rng, 0, 2)]
                    : ev.f == CHK_F_OTHER ? names[0] : -1;
        ev.key = g_rand_boolean (rng) ? keys[g_rand_int_range (rng, 0, 2)] : -1;
        ev.value = random_value (rng, h);
        ev.is_final = g_rand_int_range (rng, 0, 4) == 0;
        inv[p] = ev;
        open[p] = TRUE;
      } else {
        ev.type = (uint8_t) g_rand_int_range (rng, CHK_OK, CHK_INFO + 1);
        ev.f = inv[p].f;
        ev.f_name = ev.f == CHK_F_READ ? names[g_rand_int_range (rng, 0, 2)] : inv[p].f_name;
        ev.key = g_rand_boolean (rng) ? inv[p].key : -1;
        if (ev.key < 0 && inv[p].key < 0 && g_rand_boolean (rng))
          ev.key = keys[1];
        ev.value = g_rand_boolean (rng) ? inv[p].value : random_value (rng, h);
        ev.is_final = g_rand_int_range (rng, 0, 4) == 0;
        ev.is_cas_mismatch = ev.type == CHK_FAIL && g_rand_boolean (rng);
        open[p] = FALSE;
      }
      chk_history_append (h, &ev);
      g_array_append_val (sent, ev);
    }
    cr_assert_eq (chk_history_len (h), sent->len);
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) ops = chk_history_ops (h, &error);
    cr_assert_not_null (ops, "seed %u: %s", seed, error != NULL ? error->message : "");
    for (guint i = 0; i < sent->len; i++) {
      ChkEvent back = chk_history_event (h, i);
      expect_same_event (&g_array_index (sent, ChkEvent, i), &back, i);
    }
    /* A copy gives back the same events, its values its own. */
    g_autoptr (ChkHistory) c = chk_history_copy (h);
    chk_history_free (g_steal_pointer (&h));
    for (guint i = 0; i < sent->len; i++) {
      ChkEvent back = chk_history_event (c, i);
      expect_same_event (&g_array_index (sent, ChkEvent, i), &back, i);
    }
  }
}

/* Values coded in place decode to themselves. */
Test (history_compact, values_round_trip)
{
  g_autoptr (ChkHistory) h = chk_history_new ();
  const int64_t ints[] = { 0, 1, -1, ((int64_t) 1 << 59) - 1, -((int64_t) 1 << 59),
                           (int64_t) 1 << 60, -((int64_t) 1 << 60) - 1, G_MAXINT64, G_MININT64 };
  for (guint k = 0; k < G_N_ELEMENTS (ints); k++) {
    for (int s = -1; s <= 3; s++) {
      ChkValue vals[] = {
        { .kind = CHK_VAL_INT, .s = s, .i = ints[k] },
        { .kind = CHK_VAL_PAIR, .s = s, .i = ints[k], .j = 5 },
        { .kind = CHK_VAL_PAIR, .s = s, .i = -4, .j = ints[k] },
        { .kind = CHK_VAL_STR, .s = s, .i = ints[k] },
        { .kind = CHK_VAL_NIL, .s = s, .j = ints[k] },
        { .kind = CHK_VAL_LIST, .s = s == -1 ? G_MAXINT32 : s },
      };
      for (guint v = 0; v < G_N_ELEMENTS (vals); v++) {
        ChkValue back = chk_value_from_ref (chk_history_value_ref (h, &vals[v]));
        cr_expect (back.kind == vals[v].kind && back.s == vals[v].s && back.i == vals[v].i
                   && back.j == vals[v].j, "value %u of %" G_GINT64_FORMAT " s %d", v, ints[k],
                   s);
      }
    }
  }
}

/* n register or cas operations by 50 processes in Porcupine's etcd log,
 * each taking effect at its completion; every value written once. */
static GString *
make_log (const char *kind, guint n)
{
  GString *s = g_string_new (NULL);
  gboolean is_cas = strcmp (kind, "cas") == 0;
  int64_t next = 1, cur = 0;
  for (guint k = 0; k < n; k++) {
    guint p = k % 50;
    if (k % 2 == 1) {
      g_string_append_printf (s, "INFO  jepsen.util - %u\t:invoke\t:read\tnil\n"
                              "INFO  jepsen.util - %u\t:ok\t:read\t%" G_GINT64_FORMAT "\n",
                              p, p, cur);
    } else if (is_cas && k % 4 == 0) {
      int64_t v = next++;
      g_string_append_printf (s, "INFO  jepsen.util - %u\t:invoke\t:cas\t[%" G_GINT64_FORMAT
                              " %" G_GINT64_FORMAT "]\nINFO  jepsen.util - %u\t:ok\t:cas\t[%"
                              G_GINT64_FORMAT " %" G_GINT64_FORMAT "]\n", p, cur, v, p, cur, v);
      cur = v;
    } else {
      int64_t v = next++;
      g_string_append_printf (s, "INFO  jepsen.util - %u\t:invoke\t:write\t%" G_GINT64_FORMAT
                              "\nINFO  jepsen.util - %u\t:ok\t:write\t%" G_GINT64_FORMAT "\n",
                              p, v, p, v);
      cur = v;
    }
  }
  return s;
}

/* kv in Porcupine's kv log: put and get with string values. */
static GString *
make_kv_log (guint n)
{
  GString *s = g_string_new (NULL);
  guint next = 1, cur[8] = { 0 };
  for (guint k = 0; k < n; k++) {
    guint p = k % 50, key = (k / 50) % 8;
    if (k % 2 == 0) {
      cur[key] = next++;
      for (int t = 0; t < 2; t++)
        g_string_append_printf (s, "{:process %u, :type :%s, :f :put, :key \"k%u\", "
                                ":value \"v%u\"}\n", p, t == 0 ? "invoke" : "ok", key, cur[key]);
    } else {
      g_string_append_printf (s, "{:process %u, :type :invoke, :f :get, :key \"k%u\", "
                              ":value nil}\n", p, key);
      g_string_append_printf (s, "{:process %u, :type :ok, :f :get, :key \"k%u\", "
                              ":value \"v%u\"}\n", p, key, cur[key]);
    }
  }
  return s;
}

/* The budget: at most 100 bytes per operation for register, cas and kv
 * histories, counted from the history's arrays (events, operations,
 * values, strings). */
Test (history_compact, loading_takes_at_most_100_bytes_per_operation)
{
  const char *kinds[] = { "register", "cas", "kv" };
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
    guint n = 100000;
    g_autoptr (GString) text = strcmp (kinds[k], "kv") == 0 ? make_kv_log (n)
                                                             : make_log (kinds[k], n);
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkHistory) h = chk_history_load_data ("big", text->str, text->len,
                                                      CHK_FORMAT_AUTO, &error);
    cr_assert_not_null (h, "%s: %s", kinds[k], error != NULL ? error->message : "");
    g_autoptr (GArray) ops = chk_history_ops (h, &error);
    cr_assert_not_null (ops, "%s: %s", kinds[k], error != NULL ? error->message : "");
    cr_assert_eq (ops->len, n, "%s", kinds[k]);
    double per_op = (double) chk_history_memory_bytes (h) / n;
    cr_log_info ("%s: %.1f bytes per operation", kinds[k], per_op);
    cr_expect_leq (per_op, 100.0, "%s: %.1f bytes per operation", kinds[k], per_op);
    cr_expect_eq (h->fat_events->len, 0u, "%s: every event given back by its operation",
                  kinds[k]);
  }
}

/* One EDN vector of 20,000 operations: read one map at a time, so the cap
 * stops it part way, at the line it reached, not at the first byte. */
Test (history_compact, a_vector_of_operations_is_read_within_the_cap)
{
  g_autoptr (GString) text = g_string_new ("[");
  for (guint k = 0; k < 20000; k++)
    g_string_append_printf (text, "{:process %u :type :%s :f :write :value %u}\n", k / 2 % 7,
                            k % 2 == 0 ? "invoke" : "ok", k / 2);
  g_string_append (text, "]\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) all = chk_history_load_data ("v.edn", text->str, text->len,
                                                      CHK_FORMAT_EDN, &error);
  cr_assert_not_null (all, "%s", error != NULL ? error->message : "");
  cr_expect_eq (chk_history_len (all), 20000u);
  /* The text (0.9 MB, not mapped: counted whole) and half the operations. */
  gsize cap = text->len + 10000 / 2 * 80;
  ChkHistory *h = chk_history_load_data_limited ("v.edn", text->str, text->len,
                                                 CHK_FORMAT_EDN, cap, &error);
  cr_expect_null (h);
  cr_assert (g_error_matches (error, CHK_ERROR, CHK_ERROR_LIMIT), "%s",
             error != NULL ? error->message : "");
  unsigned line = 0;
  cr_assert_eq (sscanf (error->message, "v.edn:%u:", &line), 1, "%s", error->message);
  cr_expect (line > 2000 && line < 18000, "stopped at line %u: %s", line, error->message);
  cr_expect (strstr (error->message, "reading the input reached the memory limit") != NULL,
             "%s", error->message);
}

/* Porcupine's etcd logs count the operations kept against the cap too. */
Test (history_compact, an_etcd_log_is_read_within_the_cap)
{
  g_autoptr (GString) text = make_log ("register", 20000);
  g_autoptr (GError) error = NULL;
  ChkHistory *h = chk_history_load_data_limited ("e.log", text->str, text->len,
                                                 CHK_FORMAT_PORCUPINE_ETCD, 500000, &error);
  cr_expect_null (h);
  cr_assert (g_error_matches (error, CHK_ERROR, CHK_ERROR_LIMIT), "%s",
             error != NULL ? error->message : "");
  cr_expect (strstr (error->message, "reading the input reached the memory limit of 500000 "
                     "bytes") != NULL, "%s", error->message);
}

/* Bad input on line 3 is reported from line 3: in a vector whose end is
 * missing (a parser that read the whole vector first would report that),
 * and in a file of one map per line whose later lines are not EDN. */
Test (history_compact, bad_input_is_reported_where_it_is_read)
{
  const char *good = "{:process 0 :type :invoke :f :read :value nil}\n"
                     "{:process 0 :type :ok :f :read :value nil}\n";
  const char *bad = "{:process 1 :type :invoke :f :cas :value [1 \"x\"]}\n";
  g_autoptr (GString) vec = g_string_new ("[");
  g_string_append (vec, good);
  g_string_append (vec, bad);
  for (guint k = 0; k < 50000; k++)
    g_string_append (vec, good);
  g_autoptr (GError) error = NULL;
  ChkHistory *h = chk_history_load_data ("bad.edn", vec->str, vec->len, CHK_FORMAT_EDN, &error);
  cr_expect_null (h);
  cr_assert_not_null (error);
  cr_expect (g_str_has_prefix (error->message, "bad.edn:3:"), "%s", error->message);
  g_clear_error (&error);

  g_autoptr (GString) lines = g_string_new (good);
  g_string_append (lines, bad);
  for (guint k = 0; k < 1000; k++)
    g_string_append (lines, "{:process 0 :type :invoke :f :read :value nil");
  h = chk_history_load_data ("bad2.edn", lines->str, lines->len, CHK_FORMAT_EDN, &error);
  cr_expect_null (h);
  cr_assert_not_null (error);
  cr_expect (g_str_has_prefix (error->message, "bad2.edn:3:"), "%s", error->message);
}
