/* test_loaders.c: a cas with a nil side (create-if-absent) in every format,
 * and bad input in a large file reported where it is, without reading the
 * rest. */
#include <criterion/criterion.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "checkers/check.h"
#include "checkers/history.h"
#include "checkers/linearizable.h"
#include "checkers/ops.h"
#include "tests/support.h"

static ChkHistory *
load_text (const char *text)
{
  g_autoptr (GError) error = NULL;
  ChkHistory *h = chk_history_load_data ("t", text, strlen (text), CHK_FORMAT_AUTO, &error);
  cr_assert_not_null (h, "%s", error ? error->message : "");
  return h;
}

static ChkVerdict
verdict_of (const char *text, char **explanation)
{
  g_autoptr (ChkHistory) h = load_text (text);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops, "%s", error ? error->message : "");
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  g_autoptr (ChkReport) r = chk_linearizable_check (h, ops, &opt, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_expect_eq (r->kind, CHK_KIND_CAS_REGISTER);
  if (explanation != NULL)
    *explanation = g_strdup (r->explanation != NULL ? r->explanation : "");
  return r->verdict;
}

/* The same history (cas [nil 3] on a fresh register, then a read of 3) in
 * each format. */
static const char *const create_ok[] = {
  "{:process 0 :type :invoke :f :cas :value [nil 3]}\n"
  "{:process 0 :type :ok :f :cas :value [nil 3]}\n"
  "{:process 1 :type :invoke :f :read :value nil}\n"
  "{:process 1 :type :ok :f :read :value 3}\n",
  "{\"process\":0,\"type\":\"invoke\",\"f\":\"cas\",\"value\":[null,3]}\n"
  "{\"process\":0,\"type\":\"ok\",\"f\":\"cas\",\"value\":[null,3]}\n"
  "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
  "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":3}\n",
  "INFO  jepsen.util - 0\t:invoke\t:cas\t[nil 3]\n"
  "INFO  jepsen.util - 0\t:ok\t:cas\t[nil 3]\n"
  "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
  "INFO  jepsen.util - 1\t:ok\t:read\t3\n",
};

Test (loaders, nil_cas_loads_in_every_format)
{
  for (guint k = 0; k < G_N_ELEMENTS (create_ok); k++) {
    g_autoptr (ChkHistory) h = load_text (create_ok[k]);
    ChkEvent ev_ev = chk_history_event (h, 0);
    const ChkEvent *ev = &ev_ev;
    cr_assert_eq (ev->value.kind, CHK_VAL_PAIR, "format %u", k);
    cr_expect (chk_pair_is_nil (&ev->value, CHK_PAIR_NIL_FIRST), "format %u", k);
    cr_expect_not (chk_pair_is_nil (&ev->value, CHK_PAIR_NIL_SECOND), "format %u", k);
    cr_expect_eq (ev->value.j, 3);
    ChkValue expect = chk_pair_side (&ev->value, CHK_PAIR_NIL_FIRST);
    cr_expect_eq (expect.kind, CHK_VAL_NIL);
    g_autofree char *text = chk_value_describe (h, &ev->value);
    cr_expect_str_eq (text, "[nil 3]");
    /* JSON Lines written back say null, and read back the same. */
    g_autoptr (GString) json = g_string_new (NULL);
    chk_event_to_json (h, ev, json);
    cr_expect (strstr (json->str, "\"value\":[null,3]") != NULL, "%s", json->str);
    cr_expect_eq (verdict_of (create_ok[k], NULL), CHK_VERDICT_OK, "format %u", k);
  }
}

Test (loaders, nil_cas_is_compared_with_the_current_value)
{
  /* After a write of 1 the register is no longer nil: cas [nil 3] cannot
   * succeed (Knossos: the cas compares nil with the current value). */
  g_autofree char *why = NULL;
  cr_expect_eq (verdict_of ("{:process 0 :type :invoke :f :write :value 1}\n"
                            "{:process 0 :type :ok :f :write :value 1}\n"
                            "{:process 0 :type :invoke :f :cas :value [nil 3]}\n"
                            "{:process 0 :type :ok :f :cas :value [nil 3]}\n", &why),
                CHK_VERDICT_VIOLATION);
  cr_expect (strstr (why, "cas from nil to 3") != NULL, "%s", why);
  /* Two creates racing: only one can succeed; the other must fail. */
  cr_expect_eq (verdict_of ("{:process 0 :type :invoke :f :cas :value [nil 3]}\n"
                            "{:process 1 :type :invoke :f :cas :value [nil 4]}\n"
                            "{:process 0 :type :ok :f :cas :value [nil 3]}\n"
                            "{:process 1 :type :ok :f :cas :value [nil 4]}\n", NULL),
                CHK_VERDICT_VIOLATION);
  /* A failed create in a Porcupine log compared and found a value: fine
   * after a write, a violation on a register still nil. */
  cr_expect_eq (verdict_of ("INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
                            "INFO  jepsen.util - 0\t:ok\t:write\t1\n"
                            "INFO  jepsen.util - 1\t:invoke\t:cas\t[nil 3]\n"
                            "INFO  jepsen.util - 1\t:fail\t:cas\t[nil 3]\n", NULL),
                CHK_VERDICT_OK);
  cr_expect_eq (verdict_of ("INFO  jepsen.util - 1\t:invoke\t:cas\t[nil 3]\n"
                            "INFO  jepsen.util - 1\t:fail\t:cas\t[nil 3]\n"
                            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
                            "INFO  jepsen.util - 0\t:ok\t:read\tnil\n", NULL),
                CHK_VERDICT_VIOLATION);
  /* cas [2 nil] empties the register: a later read of nil is fine, and
   * differs from a cas [2 0]. */
  cr_expect_eq (verdict_of ("{:process 0 :type :invoke :f :write :value 2}\n"
                            "{:process 0 :type :ok :f :write :value 2}\n"
                            "{:process 0 :type :invoke :f :cas :value [2 nil]}\n"
                            "{:process 0 :type :ok :f :cas :value [2 nil]}\n"
                            "{:process 1 :type :invoke :f :read :value nil}\n"
                            "{:process 1 :type :ok :f :read :value nil}\n", NULL),
                CHK_VERDICT_OK);
  cr_expect_eq (verdict_of ("{:process 0 :type :invoke :f :write :value 2}\n"
                            "{:process 0 :type :ok :f :write :value 2}\n"
                            "{:process 0 :type :invoke :f :cas :value [2 0]}\n"
                            "{:process 0 :type :ok :f :cas :value [2 0]}\n"
                            "{:process 1 :type :invoke :f :read :value nil}\n"
                            "{:process 1 :type :ok :f :read :value nil}\n", NULL),
                CHK_VERDICT_VIOLATION);
}

/* A cas whose sides are not integers or nil is still refused. */
Test (loaders, cas_of_a_string_is_still_bad_input)
{
  const char *text = "{:process 0 :type :invoke :f :cas :value [1 \"x\"]}\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load_data ("t", text, strlen (text), CHK_FORMAT_AUTO,
                                                    &error);
  cr_assert_null (h);
  cr_expect (strstr (error->message, "t:1:42: expected a value") != NULL, "%s", error->message);
}

/* Writes a file of `lines` good cas operations with a bad third line, in
 * the syntax of `format` (0 EDN, 1 JSON Lines, 2 Porcupine etcd log). */
static char *
write_bad_third_line (int format, guint lines)
{
  g_autofree char *tmpl = g_strdup_printf ("dsim-bad3-XXXXXX.%s",
                                           format == 0 ? "edn" : format == 1 ? "jsonl" : "log");
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp (tmpl, &path, &error);
  cr_assert (fd >= 0, "%s", error ? error->message : "");
  FILE *f = fdopen (fd, "w");
  cr_assert_not_null (f);
  for (guint k = 0; k < lines; k++) {
    const char *v = k == 2 ? "\"x\"" : "4";
    const char *type = k % 2 == 0 ? "invoke" : "ok";
    if (format == 0)
      fprintf (f, "{:process %u :type :%s :f :cas :value [%u %s]}\n", k % 50, type, k, v);
    else if (format == 1)
      fprintf (f, "{\"process\":%u,\"type\":\"%s\",\"f\":\"cas\",\"value\":[%u,%s]}\n",
               k % 50, type, k, v);
    else
      fprintf (f, "INFO  jepsen.util - %u\t:%s\t:cas\t[%u %s]\n", k % 50, type, k, v);
  }
  cr_assert_eq (fclose (f), 0);
  return path;
}

Test (loaders, bad_third_line_of_a_large_file, .timeout = 120)
{
  static const char *const expected[] = { ":3:", ":3:", ":3:" };
  for (int format = 0; format < 3; format++) {
    /* About 25 MB: line 3 is bad, the rest is good. */
    g_autofree char *path = write_bad_third_line (format, 500000);
    const char *args[] = { "check", path, NULL };
    g_autofree char *out = NULL, *err = NULL;
    int status = test_run_dsim (args, &out, &err);
    g_unlink (path);
    cr_expect_eq (status, 2, "format %d: exit %d\n%s%s", format, status, out, err);
    g_autofree char *where = g_strconcat (path, expected[format], NULL);
    cr_expect (strstr (err, where) != NULL, "format %d: %s", format, err);
    cr_expect (strstr (err, "expected a value: nil, an integer, a string, or a pair [a b] of "
                            "integers or nil, found a vector of 2") != NULL,
               "format %d: %s", format, err);
  }
}
