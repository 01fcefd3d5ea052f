/* test_staleness.c: `--model staleness` on small histories whose smallest
 * Delta and per-read staleness are worked out by hand, and on what it
 * refuses. */
#include <criterion/criterion.h>
#include <string.h>

#include "checkers/check.h"

/* One line per event: "P TYPE F VALUE TIME" (VALUE - for null). */
static ChkHistory *
history (const char *const *lines)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; lines[i] != NULL; i++) {
    char type[8], f[8], value[8];
    int p;
    long t;
    cr_assert_eq (sscanf (lines[i], "%d %7s %7s %7s %ld", &p, type, f, value, &t), 5);
    g_string_append_printf (s, "{\"process\":%d,\"type\":\"%s\",\"f\":\"%s\",\"key\":\"x\","
                            "\"value\":%s,\"time\":%ld}\n", p, type, f,
                            strcmp (value, "-") == 0 ? "null" : value, t);
  }
  g_autoptr (GError) error = NULL;
  ChkHistory *h = chk_history_load_data ("h.jsonl", s->str, s->len, CHK_FORMAT_AUTO, &error);
  cr_assert_not_null (h, "%s", error ? error->message : "");
  g_string_free (s, TRUE);
  return h;
}

static ChkReport *
staleness (const ChkHistory *h, GError **error)
{
  g_autoptr (GArray) ops = chk_history_ops (h, error);
  cr_assert_not_null (ops);
  const ChkChecker *c = chk_checker_find ("staleness");
  cr_assert_not_null (c);
  cr_assert (chk_checker_is_measure ("staleness"));
  for (const ChkChecker *m = chk_checkers (); m->name != NULL; m++)
    cr_assert_str_neq (m->name, "staleness", "a measure is not one of the --model all models");
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  return chk_checker_run (c, h, ops, &opt, error);
}

Test (staleness, a_linearizable_history_has_delta_zero)
{
  static const char *const l[] = {
    "0 invoke write 1 0", "0 ok write 1 10", "1 invoke read - 20", "1 ok read 1 30", NULL,
  };
  g_autoptr (ChkHistory) h = history (l);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_expect_eq (r->verdict, CHK_VERDICT_OK);
  cr_expect (g_str_has_prefix (r->explanation, "smallest Delta 0: linearizable; 0 of 1 reads"),
             "%s", r->explanation);
}

/* w2 ends at 30, the read of the older 1 begins at 50: moved 21us earlier
 * it overlaps w2 and may be ordered before it.  One version and 20us
 * behind. */
Test (staleness, a_stale_read_needs_the_gap_plus_one_microsecond)
{
  static const char *const l[] = {
    "0 invoke write 1 0", "0 ok write 1 10", "0 invoke write 2 20", "0 ok write 2 30",
    "1 invoke read - 50", "1 ok read 1 60", NULL,
  };
  g_autoptr (ChkHistory) h = history (l);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_expect_eq (r->verdict, CHK_VERDICT_OK);
  cr_expect (strstr (r->explanation, "smallest Delta 0.000021 s") != NULL, "%s", r->explanation);
  cr_expect (strstr (r->explanation, "1 of 1 reads behind a newer completed write; versions "
                                     "behind p50 1, p99 1, max 1; time behind p50 0.00002 s")
             != NULL, "%s", r->explanation);
}

/* The new-old inversion: r1 returns 2 and ends at 40, r2 begins at 50 and
 * returns 1 while w2 is still running: r2 must start before r1 ends,
 * 11us earlier.  No read is behind a completed write. */
Test (staleness, the_new_old_inversion)
{
  static const char *const l[] = {
    "0 invoke write 1 0", "0 ok write 1 10", "0 invoke write 2 20",
    "1 invoke read - 30", "1 ok read 2 40", "2 invoke read - 50", "2 ok read 1 60",
    "0 ok write 2 100", NULL,
  };
  g_autoptr (ChkHistory) h = history (l);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_expect (strstr (r->explanation, "smallest Delta 0.000011 s") != NULL, "%s", r->explanation);
  cr_expect (strstr (r->explanation, "0 of 2 reads behind") != NULL, "%s", r->explanation);
}

Test (staleness, a_value_never_written_has_no_delta)
{
  static const char *const l[] = {
    "0 invoke write 1 0", "0 ok write 1 10", "1 invoke read - 20", "1 ok read 7 30", NULL,
  };
  g_autoptr (ChkHistory) h = history (l);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_expect_eq (r->verdict, CHK_VERDICT_VIOLATION);
  cr_expect (g_str_has_prefix (r->explanation, "not Delta-atomic for any Delta"), "%s",
             r->explanation);
}

Test (staleness, refuses_what_it_cannot_measure)
{
  static const char *const twice[] = {
    "0 invoke write 1 0", "0 ok write 1 10", "1 invoke write 1 20", "1 ok write 1 30", NULL,
  };
  g_autoptr (ChkHistory) h = history (twice);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_expect_null (r);
  cr_assert_not_null (error);
  cr_expect_str_eq (error->message, "h.jsonl:3: the staleness measure needs every value written "
                                    "once per key (a differentiated history)");
  static const char untimed[] =
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n";
  g_autoptr (ChkHistory) u = chk_history_load_data ("u.jsonl", untimed, sizeof untimed - 1,
                                                    CHK_FORMAT_AUTO, NULL);
  cr_assert_not_null (u);
  g_clear_error (&error);
  g_autoptr (ChkReport) r2 = staleness (u, &error);
  cr_expect_null (r2);
  cr_expect (error != NULL && strstr (error->message, "needs the time of every event") != NULL);
}

/* An empty history (or one of comments only) has nothing behind: Delta 0,
 * and no sort of an empty array on the way (UBSan). */
Test (staleness, an_empty_history_measures_zero)
{
  static const char *const l[] = { NULL };
  g_autoptr (ChkHistory) h = history (l);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_expect_eq (r->verdict, CHK_VERDICT_OK);
  cr_expect (g_str_has_prefix (r->explanation, "smallest Delta 0: linearizable; 0 of 0 reads"),
             "%s", r->explanation);
}

/* A read of many siblings is refused with the first few of them named, not
 * a line as long as the set. */
Test (staleness, a_long_sibling_set_is_named_in_short)
{
  GString *s = g_string_new ("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\","
                             "\"time\":1}\n{\"process\":0,\"type\":\"ok\",\"f\":\"read\","
                             "\"key\":\"x\",\"value\":{\"siblings\":[");
  for (int i = 1; i <= 16; i++)
    g_string_append_printf (s, "%s%d", i > 1 ? "," : "", i);
  g_string_append (s, "]},\"time\":2}\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load_data ("sib.jsonl", s->str, s->len,
                                                    CHK_FORMAT_AUTO, &error);
  g_string_free (s, TRUE);
  cr_assert_not_null (h, "%s", error ? error->message : "");
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_null (r);
  cr_assert_not_null (error);
  cr_expect (strstr (error->message, "siblings {1 2 3 4 5 6 7 8 ... (16 values)}") != NULL,
             "%s", error->message);
}

/* 2-atomicity: a linearizable history is 1-atomic and so 2-atomic. */
Test (staleness, a_linearizable_history_is_2_atomic)
{
  static const char *const l[] = {
    "0 invoke write 1 0", "0 ok write 1 10", "0 invoke write 2 20", "0 ok write 2 30",
    "1 invoke read - 40", "1 ok read 2 50", NULL,
  };
  g_autoptr (ChkHistory) h = history (l);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_assert_not_null (r->staleness);
  cr_expect_eq (r->staleness->delta_us, 0);
  cr_expect_eq (r->staleness->two_atomic, CHK_VERDICT_OK);
  cr_expect_eq (r->staleness->witness_read, -1);
  cr_expect (g_str_has_suffix (r->explanation, "; 2-atomic: yes"), "%s", r->explanation);
}

/* One version behind: not linearizable, but 2-atomic. */
Test (staleness, one_version_behind_is_2_atomic)
{
  static const char *const l[] = {
    "0 invoke write 1 0", "0 ok write 1 10", "0 invoke write 2 20", "0 ok write 2 30",
    "1 invoke read - 50", "1 ok read 1 60", NULL,
  };
  g_autoptr (ChkHistory) h = history (l);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_expect_eq (r->staleness->delta_us, 21);
  cr_expect_eq (r->staleness->two_atomic, CHK_VERDICT_OK);
  cr_expect (g_str_has_suffix (r->explanation, "; 2-atomic: yes"), "%s", r->explanation);
}

/* Two versions behind: writes 2 and 3 both completed after write 1 and
 * before the read of 1 began.  Not 2-atomic; the witness is the read, the
 * write it returned and the two it skipped. */
Test (staleness, two_versions_behind_is_not_2_atomic)
{
  static const char *const l[] = {
    "0 invoke write 1 0", "0 ok write 1 10", "0 invoke write 2 20", "0 ok write 2 30",
    "0 invoke write 3 40", "0 ok write 3 50", "1 invoke read - 60", "1 ok read 1 70", NULL,
  };
  g_autoptr (ChkHistory) h = history (l);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  const ChkStaleness *st = r->staleness;
  cr_expect_eq (r->verdict, CHK_VERDICT_OK, "a measure: the numbers are the result");
  cr_expect_eq (st->two_atomic, CHK_VERDICT_VIOLATION);
  cr_assert_geq (st->witness_read, 0);
  cr_expect_eq (g_array_index (ops, ChkOp, st->witness_read).f, CHK_F_READ);
  cr_expect_eq (chk_op_input (&g_array_index (ops, ChkOp, st->witness_write)).i, 1);
  cr_expect_eq (chk_op_input (&g_array_index (ops, ChkOp, st->witness_skipped[0])).i, 2);
  cr_expect_eq (chk_op_input (&g_array_index (ops, ChkOp, st->witness_skipped[1])).i, 3);
  cr_expect (strstr (r->explanation, "; 2-atomic: no: key x: process 1 read x -> 1 (lines 7-8) "
                                     "returned the value of process 0 write x 1 (lines 1-2), "
                                     "but process 0 write x 2 (lines 3-4) and process 0 write x "
                                     "3 (lines 5-6) both began after that completed and "
                                     "completed before the read began") != NULL,
             "%s", r->explanation);
  cr_expect_eq (st->versions_behind[2], 2);
}

/* Not 2-atomic with no read certainly two versions behind: the search
 * finds it.  The read of 2 began before write 1 and write 2, yet ended
 * before the read of nil began, and write 1 had completed by then too; so
 * writes 1 and 2 both come before the read of nil in every order that
 * keeps real time, though write 2 was still running when it began. */
Test (staleness, the_search_finds_what_no_single_read_shows)
{
  static const char *const l[] = {
    "0 invoke read - 2", "1 invoke write 1 5", "1 ok write 1 7", "1 invoke write 2 11",
    "0 ok read 2 13", "0 invoke read - 18", "0 ok read - 20", "1 ok write 2 26", NULL,
  };
  g_autoptr (ChkHistory) h = history (l);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  g_autoptr (ChkReport) r = staleness (h, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  const ChkStaleness *st = r->staleness;
  cr_expect_eq (st->two_atomic, CHK_VERDICT_VIOLATION, "%s", r->explanation);
  cr_expect_eq (st->versions_behind[2], 1, "no read is certainly two behind on its own");
  cr_expect (strstr (r->explanation, "2-atomic: no: key x: the reads that completed before "
                                     "process 0 read x -> nil (lines 6-7) fit a 2-atomic order, "
                                     "but it does not: it returned the value of the initial nil "
                                     "and must follow process 1 write x 1 (lines 2-3) and process "
                                     "1 write x 2 (lines 4-8) (in real time, or through reads of "
                                     "them that completed before it began)") != NULL,
             "%s", r->explanation);
  cr_assert_geq (st->witness_read, 0);
  cr_expect_eq (chk_op_output (&g_array_index (ops, ChkOp, st->witness_read)).kind, CHK_VAL_NIL);
  cr_expect_eq (st->witness_write, -1, "it read the initial nil");
  cr_expect_eq (chk_op_input (&g_array_index (ops, ChkOp, st->witness_skipped[0])).i, 1);
  cr_expect_eq (chk_op_input (&g_array_index (ops, ChkOp, st->witness_skipped[1])).i, 2);
}
