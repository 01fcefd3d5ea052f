/* test_history_load.c: the history loaders (dsim JSON Lines, Jepsen/Knossos
 * EDN, Porcupine's etcd and kv logs), operation pairing, and the error
 * messages for malformed input. */
#include <criterion/criterion.h>

#include <glib.h>
#include <string.h>

#include "checkers/history.h"
#include "checkers/ops.h"
#include "tests/support.h"

static ChkHistory *
load_data_file (const char *rel)
{
  g_autofree char *path = test_source_path (rel);
  g_autoptr (GError) error = NULL;
  ChkHistory *h = chk_history_load (path, CHK_FORMAT_AUTO, &error);
  cr_assert_not_null (h, "%s: %s", rel, error != NULL ? error->message : "");
  return h;
}

static GArray *
ops_of (const ChkHistory *h)
{
  g_autoptr (GError) error = NULL;
  GArray *ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops, "%s", error != NULL ? error->message : "");
  return ops;
}

static const ChkOp *
op_at (GArray *ops, guint k)
{
  return &g_array_index (ops, ChkOp, k);
}

Test (history_load, knossos_edn_vector)
{
  g_autoptr (ChkHistory) h = load_data_file ("tests/data/histories/knossos-cas.edn");
  cr_expect_eq (h->format, CHK_FORMAT_EDN);
  cr_assert_eq (chk_history_len (h), 8, "the nemesis event is skipped");
  ChkEvent first_ev = chk_history_event (h, 0);
  const ChkEvent *first = &first_ev;
  cr_expect_eq (first->time_us, 1000, "EDN times are nanoseconds");
  cr_expect_eq (first->line, 3);
  cr_expect_eq (first->column, 2);
  g_autoptr (GArray) ops = ops_of (h);
  cr_assert_eq (ops->len, 4);
  cr_expect_eq (op_at (ops, 0)->status, CHK_OP_OK);
  cr_expect_eq (op_at (ops, 1)->status, CHK_OP_FAIL);
  cr_expect_eq (op_at (ops, 1)->f, CHK_F_CAS);
  cr_expect_eq (chk_op_input (op_at (ops, 1)).kind, CHK_VAL_PAIR);
  cr_expect_eq (chk_op_input (op_at (ops, 1)).i, 2);
  cr_expect_eq (chk_op_input (op_at (ops, 1)).j, 3);
  cr_expect_not (op_at (ops, 1)->is_cas_mismatch, "in Knossos EDN a failed cas did not happen");
  cr_expect_eq (op_at (ops, 2)->status, CHK_OP_INFO);
  cr_expect_eq (op_at (ops, 2)->ret, G_MAXINT64);
  cr_expect_eq (op_at (ops, 2)->info_event, 5);
  cr_expect_eq (chk_op_output (op_at (ops, 3)).kind, CHK_VAL_INT);
  cr_expect_eq (chk_op_output (op_at (ops, 3)).i, 4);
  cr_expect_eq (op_at (ops, 3)->call, 6);
  cr_expect_eq (op_at (ops, 3)->ret, 7);
}

Test (history_load, independent_tuples)
{
  g_autoptr (ChkHistory) h = load_data_file ("tests/data/histories/independent.edn");
  g_autoptr (GArray) ops = ops_of (h);
  cr_assert_eq (ops->len, 5);
  cr_expect_str_eq (chk_history_string (h, op_at (ops, 0)->key), ":x");
  cr_expect_str_eq (chk_history_string (h, op_at (ops, 1)->key), ":y");
  cr_expect_eq (chk_op_input (op_at (ops, 2)).kind, CHK_VAL_PAIR, "cas [k [old new]]");
  cr_expect_eq (chk_op_input (op_at (ops, 2)).j, 5);
  cr_expect_eq (chk_op_output (op_at (ops, 4)).i, 5);
}

Test (history_load, jsonl_and_round_trip)
{
  g_autoptr (ChkHistory) h = load_data_file ("tests/data/histories/register.jsonl");
  cr_expect_eq (h->format, CHK_FORMAT_JSONL);
  cr_assert_eq (chk_history_len (h), 6);
  cr_expect_eq (chk_history_event (h, 0).time_us, 1000, "JSON Lines times are microseconds");
  g_autofree char *path = test_source_path ("tests/data/histories/register.jsonl");
  g_autofree char *original = NULL;
  cr_assert (g_file_get_contents (path, &original, NULL, NULL));
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream (&buf, &len);
  cr_assert (chk_history_write_jsonl (h, mem, NULL));
  fclose (mem);
  cr_expect_str_eq (buf, original, "the writer gives back the file byte for byte");
  g_autoptr (ChkHistory) again = chk_history_load_data ("mem", buf, len, CHK_FORMAT_AUTO, NULL);
  cr_assert_not_null (again);
  cr_expect_eq (chk_history_len (again), 6);
  free (buf);
}

Test (history_load, empty_is_empty_history)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load_data ("e", "  \n\n", 4, CHK_FORMAT_AUTO, &error);
  cr_assert_not_null (h);
  cr_expect_eq (chk_history_len (h), 0);
}

Test (history_load, porcupine_etcd_semantics)
{
  static const char log[] =
    "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\n"
    "INFO  jepsen.core - some other logger line\n"
    "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
    "INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]\n"
    "INFO  jepsen.util - 1   :fail   :read   :timed-out\n"
    "INFO  jepsen.util - 2\t:invoke\t:write\t4\n"
    "INFO  jepsen.util - 2\t:info\t:write\t:timed-out\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load_data ("etcd.log", log, strlen (log),
                                                    CHK_FORMAT_AUTO, &error);
  cr_assert_not_null (h, "%s", error ? error->message : "");
  cr_expect_eq (h->format, CHK_FORMAT_PORCUPINE_ETCD);
  g_autoptr (GArray) ops = ops_of (h);
  cr_assert_eq (ops->len, 3);
  cr_expect_eq (op_at (ops, 0)->status, CHK_OP_FAIL);
  cr_expect (op_at (ops, 0)->is_cas_mismatch, "a failed cas compared and found another value");
  cr_expect_eq (op_at (ops, 1)->status, CHK_OP_INFO, "a timed-out read has an unknown result");
  cr_expect_eq (op_at (ops, 2)->status, CHK_OP_INFO);
  cr_expect_eq (chk_op_input (op_at (ops, 2)).i, 4);
}

/* Every file of Porcupine's corpus loads, with as many operations as the
 * reference counts. */
Test (history_load, porcupine_corpus)
{
  g_autoptr (GPtrArray) rows = test_porcupine_verdicts ("porcupine corpus");
  if (rows == NULL)
    return;
  for (guint k = 0; k < rows->len; k++) {
    const TestVerdictRow *row = g_ptr_array_index (rows, k);
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkHistory) h = chk_history_load (row->path, CHK_FORMAT_AUTO, &error);
    cr_assert_not_null (h, "%s", error ? error->message : "");
    cr_expect_eq (h->format, g_str_has_prefix (row->file, "kv/") ? CHK_FORMAT_PORCUPINE_KV
                  : chk_history_len (h) == 0 ? CHK_FORMAT_JSONL : CHK_FORMAT_PORCUPINE_ETCD,
                  "%s", row->file);
    g_autoptr (GArray) ops = chk_history_ops (h, &error);
    cr_assert_not_null (ops, "%s", error ? error->message : "");
    cr_expect_eq (ops->len, row->ops, "%s: %u ops, reference %u", row->file, ops->len,
                  row->ops);
  }
  cr_expect_eq (rows->len, 109);
}

typedef struct {
  const char *name;
  ChkFormat format;
  const char *text;
  const char *message;
} BadInput;

static const BadInput bad_inputs[] = {
  { "unclosed.edn", CHK_FORMAT_AUTO,
    "[{:process 0, :type :invoke, :f :read, :value nil}\n",
    "unclosed.edn:2:1: expected ']' to close the sequence opened at 1:1, found end of input" },
  { "notype.edn", CHK_FORMAT_AUTO,
    "{:process 0, :f :read, :value nil}\n",
    "notype.edn:1:1: expected the field :type in this operation map" },
  { "badtype.edn", CHK_FORMAT_AUTO,
    "{:process 0, :type :invoke, :f :read}\n{:process 0, :type :done, :f :read}\n",
    "badtype.edn:2:20: expected a type: invoke, ok, fail or info, found the keyword :done" },
  { "badvalue.edn", CHK_FORMAT_AUTO,
    "{:process 0, :type :invoke, :f :write, :value {:a 1}}\n",
    "badvalue.edn:1:47: expected a value: nil, an integer, a string, or a pair [a b] of "
    "integers or nil, found a map" },
  { "string.edn", CHK_FORMAT_AUTO,
    "{:process 0, :type :invoke, :f :write, :value \"abc}\n",
    "string.edn:1:47: expected a closing '\"' for the string starting here, found end of input" },
  { "comma.jsonl", CHK_FORMAT_AUTO,
    "{\"process\":0,\"type\":\"invoke\" \"f\":\"read\"}\n",
    "comma.jsonl:1:30: expected ',' or '}', found '\"'" },
  { "word.jsonl", CHK_FORMAT_AUTO,
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":nil}\n",
    "word.jsonl:1:49: expected a JSON value (object, array, string, number, true, false or "
    "null), found 'nil'" },
  { "process.jsonl", CHK_FORMAT_AUTO,
    "{\"process\":\"a\",\"type\":\"invoke\",\"f\":\"read\"}\n",
    "process.jsonl:1:12: expected a process number, found the string \"a\"" },
  { "garbage.txt", CHK_FORMAT_AUTO, "\n\nhello world\n",
    "garbage.txt:3:1: expected a history (JSON Lines objects, EDN operation maps, or Porcupine "
    "'INFO  jepsen.util' log lines), found 'hello world'" },
  { "control.txt", CHK_FORMAT_AUTO, "\x01\x02 not printable\n",
    "control.txt:1:1: expected a history (JSON Lines objects, EDN operation maps, or Porcupine "
    "'INFO  jepsen.util' log lines), found byte 0x01" },
  { "etcd.log", CHK_FORMAT_AUTO,
    "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - x\t:ok\t:read\tnil\n",
    "etcd.log:2:21: expected a process number, found 'x'" },
  { "etcd2.log", CHK_FORMAT_AUTO,
    "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:done\t:read\tnil\n",
    "etcd2.log:2:23: expected a type :invoke, :ok, :fail or :info, found ':done'" },
  { "etcd3.log", CHK_FORMAT_AUTO,
    "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2\n",
    "etcd3.log:1:40: expected ']' to close the sequence opened at 1:36, found end of input" },
  { "etcd4.log", CHK_FORMAT_AUTO,
    "INFO  jepsen.util - 0\t:invoke\t:write\t1 2\n",
    "etcd4.log:1:40: expected the end of the line after the value, found '2'" },
  { "forced.edn", CHK_FORMAT_JSONL,
    "{:process 0, :type :invoke, :f :read}\n",
    "forced.edn:1:2: expected a string key, found ':'" },
};

Test (history_load, malformed_messages)
{
  for (guint k = 0; k < G_N_ELEMENTS (bad_inputs); k++) {
    const BadInput *b = &bad_inputs[k];
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkHistory) h = chk_history_load_data (b->name, b->text, strlen (b->text),
                                                      b->format, &error);
    cr_expect_null (h, "%s loads", b->name);
    if (error == NULL)
      continue;
    cr_expect (g_error_matches (error, CHK_ERROR, CHK_ERROR_PARSE), "%s", b->name);
    cr_expect_str_eq (error->message, b->message);
  }
}

typedef struct {
  const char *text;
  const char *message;
} BadPairing;

static const BadPairing bad_pairings[] = {
  { "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n",
    "p.jsonl:1:1: process 0 completes read (ok) but has no open invocation (expected an invoke "
    "before it)" },
  { "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":2}\n",
    "p.jsonl:2:1: process 0 invokes write while its read invoked at line 1 has not completed "
    "(expected a completion first: one operation at a time per process)" },
  { "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":2}\n",
    "p.jsonl:2:1: process 0 completes write but its open invocation at line 1 is read "
    "(expected the same function)" },
};

Test (history_load, pairing_errors)
{
  for (guint k = 0; k < G_N_ELEMENTS (bad_pairings); k++) {
    g_autoptr (GError) error = NULL;
    const char *text = bad_pairings[k].text;
    g_autoptr (ChkHistory) h = chk_history_load_data ("p.jsonl", text, strlen (text),
                                                      CHK_FORMAT_AUTO, &error);
    cr_assert_not_null (h, "%s", error ? error->message : "");
    g_autoptr (GArray) ops = chk_history_ops (h, &error);
    cr_expect_null (ops);
    cr_assert_not_null (error);
    cr_expect (g_error_matches (error, CHK_ERROR, CHK_ERROR_INPUT));
    cr_expect_str_eq (error->message, bad_pairings[k].message);
  }
}
