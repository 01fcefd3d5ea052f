/* test_lin_colls.c: Knossos's set, unordered-queue, fifo-queue and
 * multi-register models: random histories against a brute-force search
 * over every order of the operations applying the model, Knossos's edge
 * cases, detection and --kind, explanations, and malformed input. */
#include <criterion/criterion.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "checkers/check.h"
#include "checkers/linearizable.h"
#include "tests/support.h"

static ChkReport *
check_text_search_only (const char *text, ChkKind kind, gboolean search_only, GError **error)
{
  g_autoptr (ChkHistory) h = chk_history_load_data ("t", text, strlen (text), CHK_FORMAT_AUTO,
                                                    error);
  if (h == NULL)
    return NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, error);
  if (ops == NULL)
    return NULL;
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.kind = kind;
  opt.search_only = search_only;
  return chk_linearizable_check (h, ops, &opt, error);
}

static ChkReport *
check_text (const char *text, ChkKind kind, GError **error)
{
  return check_text_search_only (text, kind, FALSE, error);
}

/* The verdict, asserting the kind checked. */
static ChkVerdict
verdict (const char *text, ChkKind kind, ChkKind expect_kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = check_text (text, kind, &error);
  cr_assert_not_null (r, "%s\n%s", error ? error->message : "", text);
  cr_assert_eq (r->kind, expect_kind, "checked as %s", chk_kind_name (r->kind));
  return r->verdict;
}

/* The explanation of a violation (asserted). */
static char *
explanation (const char *text, ChkKind kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = check_text (text, kind, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_assert_eq (r->verdict, CHK_VERDICT_VIOLATION, "%s", text);
  cr_assert_not_null (r->explanation);
  return g_strdup (r->explanation);
}

/* The message of the bad-input error (asserted). */
static char *
bad_input (const char *text, ChkKind kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) r = check_text (text, kind, &error);
  cr_assert_null (r, "%s", text);
  cr_assert_not_null (error);
  return g_strdup (error->message);
}

#define EV(p, t, f, v) "{:process " #p ", :type :" #t ", :f :" #f ", :value " v "}\n"

/* ---- Knossos's edge cases ---- */

Test (lin_colls, set_edge_cases)
{
  ChkKind S = CHK_KIND_SET;
  /* the empty set read before any add; a read of #{} after an add */
  cr_expect_eq (verdict (EV (0, invoke, read, "nil") EV (0, ok, read, "#{}"), 0, S),
                CHK_VERDICT_OK);
  cr_expect_eq (verdict (EV (0, invoke, add, "1") EV (0, ok, add, "1")
                         EV (1, invoke, read, "nil") EV (1, ok, read, "#{}"), 0, S),
                CHK_VERDICT_VIOLATION);
  /* adding twice is one element */
  cr_expect_eq (verdict (EV (0, invoke, add, "1") EV (0, ok, add, "1") EV (0, invoke, add, "1")
                         EV (0, ok, add, "1") EV (1, invoke, read, "nil") EV (1, ok, read, "#{1}"),
                         0, S), CHK_VERDICT_OK);
  /* a failed add never happened; a timed-out one may have */
  cr_expect_eq (verdict (EV (0, invoke, add, "1") EV (0, fail, add, "1")
                         EV (1, invoke, read, "nil") EV (1, ok, read, "#{1}"), 0, S),
                CHK_VERDICT_VIOLATION);
  cr_expect_eq (verdict (EV (0, invoke, add, "1") EV (0, info, add, "1")
                         EV (1, invoke, read, "nil") EV (1, ok, read, "#{1}")
                         EV (1, invoke, read, "nil") EV (1, ok, read, "#{1}"), 0, S),
                CHK_VERDICT_OK);
  /* once seen, an element stays */
  cr_expect_eq (verdict (EV (0, invoke, add, "1") EV (0, info, add, "1")
                         EV (1, invoke, read, "nil") EV (1, ok, read, "#{1}")
                         EV (1, invoke, read, "nil") EV (1, ok, read, "#{}"), 0, S),
                CHK_VERDICT_VIOLATION);
  /* strings and keywords are elements too, kept apart */
  cr_expect_eq (verdict (EV (0, invoke, add, "\"a\"") EV (0, ok, add, "\"a\"")
                         EV (1, invoke, read, "nil") EV (1, ok, read, "#{:a}"), 0, S),
                CHK_VERDICT_VIOLATION);
}

Test (lin_colls, queue_edge_cases)
{
  ChkKind U = CHK_KIND_UNORDERED_QUEUE, F = CHK_KIND_FIFO_QUEUE;
  /* dequeue from an empty queue: Knossos has no empty dequeue; Jepsen
   * records it as :fail, which never happened, and an ok dequeue of nil
   * cannot happen */
  const char *empty_fail = EV (0, invoke, dequeue, "nil") EV (0, fail, dequeue, "nil");
  const char *empty_ok = EV (0, invoke, dequeue, "nil") EV (0, ok, dequeue, "nil");
  cr_expect_eq (verdict (empty_fail, 0, U), CHK_VERDICT_OK);
  cr_expect_eq (verdict (empty_fail, F, F), CHK_VERDICT_OK);
  cr_expect_eq (verdict (empty_ok, 0, U), CHK_VERDICT_VIOLATION);
  cr_expect_eq (verdict (empty_ok, F, F), CHK_VERDICT_VIOLATION);
  g_autofree char *why = explanation (empty_ok, F);
  cr_expect (strstr (why, "returned nothing (nil)") != NULL, "%s", why);
  cr_expect (strstr (why, ":fail") != NULL, "%s", why);
  /* duplicate enqueued values: a multiset, each dequeued once */
  const char *two = EV (0, invoke, enqueue, "5") EV (0, ok, enqueue, "5")
                    EV (0, invoke, enqueue, "5") EV (0, ok, enqueue, "5");
  g_autofree char *twice = g_strconcat (two, EV (1, invoke, dequeue, "nil")
                                        EV (1, ok, dequeue, "5") EV (1, invoke, dequeue, "nil")
                                        EV (1, ok, dequeue, "5"), NULL);
  g_autofree char *thrice = g_strconcat (twice, EV (1, invoke, dequeue, "nil")
                                         EV (1, ok, dequeue, "5"), NULL);
  cr_expect_eq (verdict (twice, 0, U), CHK_VERDICT_OK);
  cr_expect_eq (verdict (twice, F, F), CHK_VERDICT_OK);
  cr_expect_eq (verdict (thrice, 0, U), CHK_VERDICT_VIOLATION);
  cr_expect_eq (verdict (thrice, F, F), CHK_VERDICT_VIOLATION);
  g_autofree char *why3 = explanation (thrice, U);
  cr_expect (strstr (why3, "by then 3 dequeues of 5 had completed and only 2 enqueues of 5 had "
                          "begun") != NULL, "%s", why3);
  /* order: unordered accepts what fifo refuses */
  const char *swapped = EV (0, invoke, enqueue, "1") EV (0, ok, enqueue, "1")
                        EV (0, invoke, enqueue, "2") EV (0, ok, enqueue, "2")
                        EV (1, invoke, dequeue, "nil") EV (1, ok, dequeue, "2");
  cr_expect_eq (verdict (swapped, 0, U), CHK_VERDICT_OK);
  cr_expect_eq (verdict (swapped, F, F), CHK_VERDICT_VIOLATION);
  g_autofree char *whyf = explanation (swapped, F);
  cr_expect (strstr (whyf, "enqueue 1 by process 0 completed at line 2, before enqueue 2 by "
                           "process 0 began, so 1 was ahead of 2 in the queue, and nothing took 1 "
                           "before this one completed") != NULL, "%s", whyf);
  /* a dequeue of unknown outcome may have taken the head (fifo) */
  const char *info_deq = EV (0, invoke, enqueue, "1") EV (0, ok, enqueue, "1")
                         EV (0, invoke, enqueue, "2") EV (0, ok, enqueue, "2")
                         EV (2, invoke, dequeue, "nil") EV (2, info, dequeue, "nil")
                         EV (1, invoke, dequeue, "nil") EV (1, ok, dequeue, "2");
  cr_expect_eq (verdict (info_deq, F, F), CHK_VERDICT_OK);
  /* ... but only once */
  g_autofree char *info_twice = g_strconcat (info_deq, EV (1, invoke, dequeue, "nil")
                                             EV (1, ok, dequeue, "1"), NULL);
  cr_expect_eq (verdict (info_twice, F, F), CHK_VERDICT_VIOLATION);
  cr_expect_eq (verdict (info_twice, 0, U), CHK_VERDICT_OK);
  /* never enqueued */
  g_autofree char *why0 = explanation (EV (0, invoke, dequeue, "nil") EV (0, ok, dequeue, "7"), U);
  cr_expect (strstr (why0, "no operation ever enqueued 7") != NULL, "%s", why0);
}

Test (lin_colls, multi_register_edge_cases)
{
  ChkKind M = CHK_KIND_MULTI_REGISTER;
  /* reads of nil registers: every register starts nil */
  cr_expect_eq (verdict (EV (0, invoke, txn, "[[:read :x nil] [:read :y nil]]")
                         EV (0, ok, txn, "[[:read :x nil] [:read :y nil]]"), 0, M), CHK_VERDICT_OK);
  /* a read of nil after a completed write of that register */
  const char *stale_nil = EV (0, invoke, txn, "[[:write :x 1]]") EV (0, ok, txn, "[[:write :x 1]]")
                          EV (1, invoke, txn, "[[:read :x nil] [:read :y nil]]")
                          EV (1, ok, txn, "[[:read :x nil] [:read :y nil]]");
  cr_expect_eq (verdict (stale_nil, 0, M), CHK_VERDICT_VIOLATION);
  g_autofree char *why = explanation (stale_nil, M);
  cr_expect (strstr (why, "read :x = nil, but txn by process 0 wrote :x = 1 and completed at "
                          "line 2, before this txn began") != NULL, "%s", why);
  /* a txn reads its own writes */
  cr_expect_eq (verdict (EV (0, invoke, txn, "[[:write :x 1] [:read :x nil]]")
                         EV (0, ok, txn, "[[:write :x 1] [:read :x 1]]"), 0, M), CHK_VERDICT_OK);
  /* atomic: no reader sees half a txn */
  const char *torn = EV (0, invoke, txn, "[[:write :x 1] [:write :y 1]]")
                     EV (1, invoke, txn, "[[:read :x nil] [:read :y nil]]")
                     EV (1, ok, txn, "[[:read :x 1] [:read :y nil]]")
                     EV (0, ok, txn, "[[:write :x 1] [:write :y 1]]");
  cr_expect_eq (verdict (torn, 0, M), CHK_VERDICT_VIOLATION);
  g_autofree char *why_torn = explanation (torn, M);
  cr_expect (strstr (why_torn, "read :y = nil and :x = 1, but only txn by process 0 wrote :x = 1, "
                               "and it also wrote :y = 1: the txn saw half of it") != NULL,
             "%s", why_torn);
  /* a txn of unknown outcome: its reads are unknown, its writes may happen */
  cr_expect_eq (verdict (EV (0, invoke, txn, "[[:read :x nil] [:write :y 2]]")
                         EV (0, info, txn, "[[:read :x nil] [:write :y 2]]")
                         EV (1, invoke, txn, "[[:read :y nil]]") EV (1, ok, txn, "[[:read :y 2]]"),
                         0, M), CHK_VERDICT_OK);
  /* Elle's short names :r and :w, and a value never written */
  g_autofree char *why2 = explanation (EV (0, invoke, txn, "[[:r :x nil]]")
                                       EV (0, ok, txn, "[[:r :x 3]]"), M);
  cr_expect (strstr (why2, "no operation ever wrote 3 to :x") != NULL, "%s", why2);
}

/* Each proof of the polynomial tests, in words, and the method. */
Test (lin_colls, pattern_explanations)
{
  ChkKind S = CHK_KIND_SET, F = CHK_KIND_FIFO_QUEUE;
  const struct { const char *text; ChkKind kind; const char *want; } cases[] = {
    /* two reads, neither set inside the other */
    { EV (0, invoke, add, "1") EV (1, invoke, add, "2") EV (2, invoke, read, "nil")
      EV (2, ok, read, "#{1}") EV (3, invoke, read, "nil") EV (3, ok, read, "#{2}")
      EV (0, ok, add, "1") EV (1, ok, add, "2"), S,
      "read by process 3 at line 6 returned #{2}, with 2 and without 1, but read by process 2 at "
      "line 4 returned #{1}, with 1 and without 2: the set only grows, so one of the two must "
      "hold the other" },
    /* a read of a smaller set after a read of a larger one */
    { EV (0, invoke, add, "1") EV (2, invoke, read, "nil") EV (2, ok, read, "#{1}")
      EV (3, invoke, read, "nil") EV (3, ok, read, "#{}") EV (0, ok, add, "1"), S,
      "read by process 3 at line 5 returned #{}, without 1, but read by process 2, which returned "
      "1, completed at line 3, before this read began" },
    /* add 1 completed before add 2 began, a read saw 2 without 1 */
    { EV (2, invoke, read, "nil") EV (0, invoke, add, "1") EV (0, ok, add, "1")
      EV (1, invoke, add, "2") EV (1, ok, add, "2") EV (2, ok, read, "#{2}"), S,
      "read by process 2 at line 6 returned #{2}, with 2 and without 1, but add 1 by process 0 "
      "completed at line 3, before add 2 by process 1, the only add of 2, began, so 1 was in the "
      "set before 2" },
    /* a read of an element whose adds all began after it */
    { EV (2, invoke, read, "nil") EV (2, ok, read, "#{1}") EV (0, invoke, add, "1")
      EV (0, ok, add, "1") EV (1, invoke, add, "1") EV (1, ok, add, "1"), S,
      "read by process 2 at line 2 returned #{1}, but add 1 by process 0, the first of the 2 adds "
      "of 1, began at line 3, after the read completed" },
    /* fifo: a value dequeued twice, and one dequeued before its enqueue */
    { EV (0, invoke, enqueue, "5") EV (0, ok, enqueue, "5") EV (1, invoke, dequeue, "nil")
      EV (1, ok, dequeue, "5") EV (2, invoke, dequeue, "nil") EV (2, ok, dequeue, "5"), F,
      "dequeue by process 2 at line 6 returned 5, but 5 was enqueued once, and dequeue by process "
      "1 took it too (completed at line 4)" },
    { EV (1, invoke, dequeue, "nil") EV (1, ok, dequeue, "5") EV (0, invoke, enqueue, "5")
      EV (0, ok, enqueue, "5"), F,
      "dequeue by process 1 at line 2 returned 5, but enqueue 5 by process 0, the only enqueue of "
      "5, began at line 3, after the dequeue completed" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkReport) r = check_text (cases[i].text, cases[i].kind, &error);
    cr_assert_not_null (r, "case %u: %s", i, error ? error->message : "");
    cr_expect_eq (r->verdict, CHK_VERDICT_VIOLATION, "case %u", i);
    cr_expect_str_eq (r->method, "patterns", "case %u", i);
    cr_expect (r->explanation != NULL && strstr (r->explanation, cases[i].want) != NULL,
               "case %u: %s", i, r->explanation ? r->explanation : "");
  }
}

/* A set read in JSON Lines is an array: [1,2] (a cas pair's shape) too. */
Test (lin_colls, jsonl_encodings)
{
  const char *set = "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1}\n"
                    "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":1}\n"
                    "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":2}\n"
                    "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":2}\n"
                    "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n"
                    "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":[2,1]}\n";
  cr_expect_eq (verdict (set, 0, CHK_KIND_SET), CHK_VERDICT_OK);
  g_autofree char *set3 = g_strconcat (set, "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n"
                                       "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":[1]}\n",
                                       NULL);
  cr_expect_eq (verdict (set3, 0, CHK_KIND_SET), CHK_VERDICT_VIOLATION);
  const char *txn = "{\"process\":0,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"write\",\"x\",1]]}\n"
                    "{\"process\":0,\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"write\",\"x\",1]]}\n"
                    "{\"process\":1,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"read\",\"x\",null]]}\n"
                    "{\"process\":1,\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"read\",\"x\",1]]}\n";
  cr_expect_eq (verdict (txn, 0, CHK_KIND_MULTI_REGISTER), CHK_VERDICT_OK);
  const char *q = "{\"process\":0,\"type\":\"invoke\",\"f\":\"enqueue\",\"value\":\"a\"}\n"
                  "{\"process\":0,\"type\":\"ok\",\"f\":\"enqueue\",\"value\":\"a\"}\n"
                  "{\"process\":1,\"type\":\"invoke\",\"f\":\"dequeue\"}\n"
                  "{\"process\":1,\"type\":\"ok\",\"f\":\"dequeue\",\"value\":\"a\"}\n";
  cr_expect_eq (verdict (q, 0, CHK_KIND_UNORDERED_QUEUE), CHK_VERDICT_OK);
  cr_expect_eq (verdict (q, CHK_KIND_FIFO_QUEUE, CHK_KIND_FIFO_QUEUE), CHK_VERDICT_OK);
}

Test (lin_colls, kinds_and_detection)
{
  const char *names[] = { "set", "unordered-queue", "fifo-queue", "multi-register" };
  const ChkKind kinds[] = { CHK_KIND_SET, CHK_KIND_UNORDERED_QUEUE, CHK_KIND_FIFO_QUEUE,
                            CHK_KIND_MULTI_REGISTER };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    ChkKind k;
    cr_expect (chk_kind_from_name (names[i], &k) && k == kinds[i], "%s", names[i]);
    cr_expect_str_eq (chk_kind_name (kinds[i]), names[i]);
  }
  /* a queue op under --kind set, a set op under a queue kind: bad input */
  g_autofree char *m1 = bad_input (EV (0, invoke, enqueue, "1") EV (0, ok, enqueue, "1"),
                                   CHK_KIND_SET);
  cr_expect (strstr (m1, "t:1:1: operation 'enqueue' of process 0 is not one of the set kind "
                         "(expected add or read)") != NULL, "%s", m1);
  g_autofree char *m2 = bad_input (EV (0, invoke, add, "1") EV (0, ok, add, "1")
                                   EV (0, invoke, dequeue, "nil") EV (0, ok, dequeue, "1"), 0);
  cr_expect (strstr (m2, "t:3:1: operation 'dequeue' of process 0 is not one of the set kind")
             != NULL, "%s", m2);
  /* a read of a set is detected as the set model; --kind register refuses it */
  cr_expect_eq (verdict (EV (0, invoke, read, "nil") EV (0, ok, read, "#{}"), 0, CHK_KIND_SET),
                CHK_VERDICT_OK);
  g_autofree char *m3 = bad_input (EV (0, invoke, read, "nil") EV (0, ok, read, "#{1 2}"),
                                   CHK_KIND_REGISTER);
  cr_expect (strstr (m3, "t:2:1:") != NULL && strstr (m3, "collection") != NULL, "%s", m3);
}

/* Malformed values of each new encoding: exit-2 errors naming
 * file:line:column and what was expected. */
Test (lin_colls, malformed_values)
{
  const struct { const char *text; ChkKind kind; const char *want; } cases[] = {
    { EV (0, invoke, read, "nil") "\n" EV (0, ok, read, "5"), CHK_KIND_SET,
      "t:3:1: expected the set the read returned, of nil, integers, strings or pairs "
      "(#{1 2} in EDN, [1,2] in JSON Lines) for the read of process 0, found 5" },
    { EV (0, invoke, read, "nil") EV (0, ok, read, "nil"), CHK_KIND_SET,
      "t:2:1: expected the set the read returned" },
    { EV (0, invoke, read, "nil") EV (0, ok, read, "#{[[1]]}"), CHK_KIND_SET,
      "t:2:1: expected the set the read returned" },
    { EV (0, invoke, add, "#{1}") EV (0, ok, add, "#{1}"), CHK_KIND_SET,
      "t:1:1: expected the element added (nil, an integer, a string or a pair) for the add of "
      "process 0, found #{1}" },
    { EV (0, invoke, enqueue, "[1 2 3]") EV (0, ok, enqueue, "[1 2 3]"), CHK_KIND_FIFO_QUEUE,
      "t:1:1: expected the element enqueued" },
    { EV (0, invoke, dequeue, "nil") EV (0, ok, dequeue, "[1 2 3]"), CHK_KIND_UNORDERED_QUEUE,
      "t:2:1: expected the element dequeued (nil, an integer, a string or a pair) for the "
      "dequeue of process 0, found [1 2 3]" },
    { EV (0, invoke, txn, "5") EV (0, ok, txn, "5"), CHK_KIND_MULTI_REGISTER,
      "t:1:1: expected a txn: a list of micro-operations [f k v]" },
    { EV (0, invoke, txn, "[[:read :x nil]]") EV (0, ok, txn, "[[:read :x]]"),
      CHK_KIND_MULTI_REGISTER,
      "t:2:1: expected a micro-operation [f k v] of three items in the txn for the txn of "
      "process 0, found [:read :x]" },
    { EV (0, invoke, txn, "[[:cas :x 1]]") EV (0, ok, txn, "[[:cas :x 1]]"),
      CHK_KIND_MULTI_REGISTER,
      "t:2:1: expected a micro-operation function read, r, write or w in the txn" },
    { EV (0, invoke, txn, "[[:write [1] 1]]") EV (0, ok, txn, "[[:write [1] 1]]"),
      CHK_KIND_MULTI_REGISTER, "t:2:1: expected a register name (a keyword, string or integer)" },
    { EV (0, invoke, txn, "[[:write :x #{1}]]") EV (0, ok, txn, "[[:write :x #{1}]]"),
      CHK_KIND_MULTI_REGISTER, "t:2:1: expected a register value (nil, an integer, a string or "
      "a pair) in the txn for the txn of process 0, found #{1}" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *msg = bad_input (cases[i].text, cases[i].kind);
    cr_expect (strstr (msg, cases[i].want) != NULL, "case %u: %s", i, msg);
  }
  /* The loader refuses a map inside a collection, and JSON Lines says where. */
  g_autoptr (GError) error = NULL;
  const char *j = "{\"process\":0,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[{\"a\":1}]}\n";
  g_autoptr (ChkHistory) h = chk_history_load_data ("j.jsonl", j, strlen (j), CHK_FORMAT_AUTO,
                                                    &error);
  cr_expect_null (h);
  cr_assert_not_null (error);
  cr_expect (strstr (error->message, "j.jsonl:1:49: expected an item: nil, an integer, a string, a "
                                     "keyword or a vector, found a map") != NULL,
             "%s", error->message);
}

/* ---- brute force: every order of the operations that keeps real time ---- */

enum { F_ADD, F_READ, F_ENQ, F_DEQ, F_TXN };
#define MAX_OPS 9
#define MAX_DUP_OPS 7 /* with repeats */
#define N_VALS 10 /* elements 1..9; 0 is nil */
#define N_DUP_VALS 4 /* with repeats: elements 1..3 */

typedef struct {
  int f;
  int v;              /* add, enqueue: the element; dequeue: what it returned (0: nil) */
  int set;            /* read: the bits of the set it returned */
  int n_micro;
  int micro[2][3];    /* txn: (0 read, 1 write), register 0..1, value 0..2 (0: nil) */
  ChkType status;
  gboolean is_pending; /* info: no completion event at all */
  int call, ret;      /* event positions; ret = G_MAXINT: need not happen */
} BOp;

typedef struct {
  int cnt[N_VALS];    /* set: 0/1; unordered queue: how many */
  int fifo[MAX_OPS], n;
  int reg[2];
} BState;

/* Applies op to *s; FALSE if it cannot happen.  A dequeue of unknown
 * outcome tries each element in turn (choice, from 0) and none. */
static gboolean
b_step (ChkKind kind, const BOp *o, BState *s, int choice)
{
  switch (o->f) {
  case F_ADD: s->cnt[o->v] = 1; return TRUE;
  case F_READ:
    for (int v = 0; v < N_VALS; v++)
      if (s->cnt[v] != ((o->set >> v) & 1))
        return FALSE;
    return TRUE;
  case F_ENQ:
    if (kind == CHK_KIND_FIFO_QUEUE)
      s->fifo[s->n++] = o->v;
    else
      s->cnt[o->v]++;
    return TRUE;
  case F_DEQ: {
    int v = o->v;
    if (o->status == CHK_INFO) { /* any element, or (choice past them) none */
      if (kind == CHK_KIND_FIFO_QUEUE) { /* choice 0: none; 1: the head */
        if (choice == 0 || s->n == 0)
          return choice == 0;
        if (choice > 1)
          return FALSE;
        v = s->fifo[0];
      } else {
        int k = 0;
        for (v = 0; v < N_VALS; v++)
          if (s->cnt[v] > 0 && k++ == choice)
            break;
        if (v == N_VALS)
          return k == choice; /* the last choice: nothing removed */
      }
    }
    if (kind == CHK_KIND_FIFO_QUEUE) {
      if (s->n == 0 || s->fifo[0] != v)
        return FALSE;
      memmove (s->fifo, s->fifo + 1, (size_t) (s->n - 1) * sizeof (int));
      s->n--;
      return TRUE;
    }
    if (s->cnt[v] == 0)
      return FALSE;
    s->cnt[v]--;
    return TRUE;
  }
  case F_TXN:
    for (int k = 0; k < o->n_micro; k++) {
      const int *m = o->micro[k];
      if (m[0] == 1)
        s->reg[m[1]] = m[2];
      else if (o->status == CHK_OK && s->reg[m[1]] != m[2])
        return FALSE; /* reads of a txn of unknown outcome are unknown */
    }
    return TRUE;
  }
  return FALSE;
}

static gboolean
b_search (ChkKind kind, const BOp *ops, int n, guint placed, BState s)
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
    if (!eligible)
      continue;
    for (int choice = 0; choice <= MAX_OPS; choice++) {
      BState t = s;
      if (!b_step (kind, &ops[c], &t, choice)) {
        if (ops[c].f == F_DEQ && ops[c].status == CHK_INFO)
          continue;
        break;
      }
      if (b_search (kind, ops, n, placed | (1u << c), t))
        return TRUE;
      if (ops[c].f != F_DEQ || ops[c].status != CHK_INFO)
        break;
    }
  }
  return FALSE;
}

static void
append_value (GString *out, int v)
{
  if (v == 0)
    g_string_append (out, "nil");
  else
    g_string_append_printf (out, "%d", v);
}

/* The value of op o in an event of type `type`. */
static void
append_op_value (GString *out, const BOp *o, ChkType type)
{
  gboolean done = type == CHK_OK;
  switch (o->f) {
  case F_ADD: case F_ENQ: append_value (out, o->v); break;
  case F_READ:
    if (!done) {
      g_string_append (out, "nil");
      break;
    }
    g_string_append (out, "#{");
    for (int v = 0; v < N_VALS; v++)
      if ((o->set >> v) & 1) {
        append_value (out, v);
        g_string_append_c (out, ' ');
      }
    g_string_append_c (out, '}');
    break;
  case F_DEQ: append_value (out, done ? o->v : 0); break;
  case F_TXN:
    g_string_append_c (out, '[');
    for (int k = 0; k < o->n_micro; k++) {
      const int *m = o->micro[k];
      g_string_append_printf (out, "[:%s :%c ", m[0] ? "write" : "read", m[1] ? 'y' : 'x');
      append_value (out, m[0] || done ? m[2] : 0);
      g_string_append_c (out, ']');
    }
    g_string_append_c (out, ']');
    break;
  }
}

static const char *const fnames[] = { "add", "read", "enqueue", "dequeue", "txn" };

/* A random operation of the kind's model; with `unique` >= 1, adds and
 * enqueues put the element `unique` (each value once) and half the
 * operations of unknown outcome never complete. */
static BOp
random_op (GRand *rng, ChkKind kind, int unique)
{
  BOp o = { 0 };
  int st = g_rand_int_range (rng, 0, 10);
  o.status = st < 7 ? CHK_OK : st < 8 ? CHK_FAIL : CHK_INFO;
  o.ret = G_MAXINT;
  o.call = -1;
  switch (kind) {
  case CHK_KIND_SET:
    o.f = g_rand_boolean (rng) ? F_ADD : F_READ;
    o.v = unique > 0 ? unique : g_rand_int_range (rng, 1, N_DUP_VALS);
    break;
  case CHK_KIND_MULTI_REGISTER:
    o.f = F_TXN;
    o.n_micro = g_rand_int_range (rng, 1, 3);
    for (int k = 0; k < o.n_micro; k++) {
      o.micro[k][0] = g_rand_int_range (rng, 0, 2);
      o.micro[k][1] = g_rand_int_range (rng, 0, 2);
      o.micro[k][2] = g_rand_int_range (rng, 1, 3);
    }
    break;
  default:
    o.f = g_rand_boolean (rng) ? F_ENQ : F_DEQ;
    o.v = unique > 0 ? unique : g_rand_int_range (rng, 1, N_DUP_VALS);
    break;
  }
  if (unique > 0 && o.status == CHK_INFO)
    o.is_pending = g_rand_boolean (rng);
  return o;
}

/* Fills what completed operations returned from a real execution: each
 * operation takes effect at a random point between its invocation and its
 * completion (one of unknown outcome, maybe never).  A dequeue that finds
 * the queue empty fails.  Then, half the time, one result is changed. */
static int
b_size (const BState *s)
{
  int total = 0;
  for (int v = 1; v < N_VALS; v++)
    total += s->cnt[v];
  return total;
}

static void
fill_results (GRand *rng, ChkKind kind, BOp *ops, int n, int end, gboolean unique)
{
  double point[MAX_OPS];
  int order[MAX_OPS];
  for (int i = 0; i < n; i++) {
    int hi = ops[i].status == CHK_INFO ? end + 1 : ops[i].ret;
    point[i] = ops[i].call + g_rand_double_range (rng, 0.01, 0.99) * (hi - ops[i].call);
    if (ops[i].status == CHK_INFO && g_rand_boolean (rng))
      point[i] = -1; /* never took effect */
    order[i] = i;
  }
  for (int a = 1; a < n; a++)
    for (int b = a; b > 0 && point[order[b]] < point[order[b - 1]]; b--) {
      int t = order[b];
      order[b] = order[b - 1];
      order[b - 1] = t;
    }
  BState s = { 0 };
  for (int k = 0; k < n; k++) {
    BOp *o = &ops[order[k]];
    if (point[order[k]] < 0 || o->status == CHK_FAIL)
      continue;
    switch (o->f) {
    case F_READ:
      o->set = 0;
      for (int v = 0; v < N_VALS; v++)
        o->set |= (s.cnt[v] > 0) << v;
      break;
    case F_DEQ:
      if (kind == CHK_KIND_FIFO_QUEUE ? s.n == 0 : b_size (&s) == 0) {
        if (o->status == CHK_OK)
          o->status = CHK_FAIL;
        continue;
      }
      if (kind == CHK_KIND_FIFO_QUEUE) {
        o->v = s.fifo[0];
      } else {
        int pick = g_rand_int_range (rng, 0, b_size (&s));
        for (o->v = 1; pick >= s.cnt[o->v]; o->v++)
          pick -= s.cnt[o->v];
      }
      break;
    case F_TXN: {
      int reg[2] = { s.reg[0], s.reg[1] };
      for (int m = 0; m < o->n_micro; m++) {
        if (o->micro[m][0] == 1)
          reg[o->micro[m][1]] = o->micro[m][2];
        else
          o->micro[m][2] = reg[o->micro[m][1]];
      }
      break;
    }
    default:
      break;
    }
    gboolean stepped = b_step (kind, o, &s, 0);
    g_assert (stepped);
  }
  int with_result[MAX_OPS], nr = 0;
  for (int i = 0; i < n; i++)
    if (ops[i].status == CHK_OK && ops[i].f != F_ADD && ops[i].f != F_ENQ)
      with_result[nr++] = i;
  if (nr > 0 && g_rand_boolean (rng)) {
    BOp *o = &ops[with_result[g_rand_int_range (rng, 0, nr)]];
    int vals = unique ? N_VALS : N_DUP_VALS;
    if (o->f == F_READ)
      o->set = g_rand_int_range (rng, 0, 1 << vals) & ~(g_rand_boolean (rng) ? 1 : 0);
    else if (o->f == F_DEQ)
      o->v = g_rand_int_range (rng, 0, vals);
    else if (o->f == F_TXN)
      o->micro[0][2] = g_rand_int_range (rng, 0, 3);
  }
}

/* What decided a history, counted per verdict. */
typedef struct {
  int patterns_ok, patterns_bad, search;
} Methods;

/* Random histories of up to MAX_OPS operations from 3 processes against
 * the brute force.  With `unique`, every element is added or enqueued at
 * most once, some operations of unknown outcome never complete, and
 * `methods` counts what decided. */
static void
random_histories_match (ChkKind kind, guint64 seed, int rounds, gboolean unique,
                        Methods *methods)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed ((guint32) seed);
  int agree_ok = 0, agree_bad = 0;
  for (int round = 0; round < rounds; round++) {
    int n = g_rand_int_range (rng, 2, (unique ? MAX_OPS : MAX_DUP_OPS) + 1);
    BOp ops[MAX_OPS];
    int count[3] = { 0 }, by_proc[3][MAX_OPS], next[3] = { 0 }, open[3] = { -1, -1, -1 };
    for (int i = 0; i < n; i++) {
      int p = g_rand_int_range (rng, 0, 3);
      by_proc[p][count[p]++] = i;
      ops[i] = random_op (rng, kind, unique ? i + 1 : 0);
    }
    /* Positions first (an operation of unknown outcome ends its process,
     * as in Jepsen), then the results, then the text. */
    typedef struct { int op, p; gboolean invoke; } Ev;
    Ev evs[2 * MAX_OPS];
    int n_ev = 0;
    for (;;) {
      int choices[3], nc = 0;
      for (int p = 0; p < 3; p++)
        if (open[p] >= 0 || next[p] < count[p])
          choices[nc++] = p;
      if (nc == 0)
        break;
      int p = choices[g_rand_int_range (rng, 0, nc)];
      if (open[p] >= 0) {
        BOp *o = &ops[open[p]];
        if (o->status != CHK_INFO)
          o->ret = n_ev;
        evs[n_ev++] = (Ev) { open[p], p, FALSE };
        open[p] = -1;
        if (o->status == CHK_INFO)
          next[p] = count[p];
        continue;
      }
      int i = by_proc[p][next[p]++];
      ops[i].call = n_ev;
      evs[n_ev++] = (Ev) { i, p, TRUE };
      open[p] = i;
    }
    /* Operations never invoked (after an info) are not in the history. */
    BOp kept[MAX_OPS];
    int map[MAX_OPS], m = 0;
    for (int i = 0; i < n; i++) {
      map[i] = -1;
      if (ops[i].call >= 0) {
        map[i] = m;
        kept[m++] = ops[i];
      }
    }
    fill_results (rng, kind, kept, m, n_ev, unique);
    GString *text = g_string_new (NULL);
    for (int e = 0; e < n_ev; e++) {
      const BOp *o = &kept[map[evs[e].op]];
      ChkType type = evs[e].invoke ? CHK_INVOKE : o->status;
      if (!evs[e].invoke && o->is_pending)
        continue;
      g_string_append_printf (text, "{:process %d, :type :%s, :f :%s, :value ", evs[e].p,
                              chk_type_name (type), fnames[o->f]);
      append_op_value (text, o, type);
      g_string_append (text, "}\n");
    }
    BState s0 = { 0 };
    gboolean want = b_search (kind, kept, m, 0, s0);
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkReport) r = check_text (text->str, kind, &error);
    cr_assert_not_null (r, "%s\n%s", error ? error->message : "", text->str);
    cr_assert_eq (r->verdict, want ? CHK_VERDICT_OK : CHK_VERDICT_VIOLATION,
                  "%s round %d: dsim says %s, brute force %s\n%s", chk_kind_name (kind), round,
                  chk_verdict_name (r->verdict), want ? "ok" : "violation", text->str);
    if (!want)
      cr_assert (r->explanation != NULL && r->culprit >= 0, "%s", text->str);
    cr_assert_not_null (r->method);
    gboolean fast = strcmp (r->method, "patterns") == 0;
    cr_assert (fast || strcmp (r->method, "search") == 0, "%s", r->method);
    if (methods != NULL) {
      methods->patterns_ok += fast && want;
      methods->patterns_bad += fast && !want;
      methods->search += !fast;
    }
    /* Where the polynomial test is exact, it decides: every unordered
     * queue and set; a fifo queue of unique elements unless a dequeue of
     * unknown outcome might matter. */
    gboolean has_info_deq = FALSE;
    for (int i = 0; i < m; i++)
      has_info_deq |= kept[i].f == F_DEQ && kept[i].status == CHK_INFO;
    if (kind == CHK_KIND_UNORDERED_QUEUE || kind == CHK_KIND_SET
        || (unique && kind == CHK_KIND_FIFO_QUEUE && !has_info_deq))
      cr_assert (fast, "%s round %d decided by %s\n%s", chk_kind_name (kind), round, r->method,
                 text->str);
    if (kind == CHK_KIND_MULTI_REGISTER)
      cr_assert (!fast);
    /* The search alone agrees too (its set and queue states are tries). */
    g_autoptr (ChkReport) rs = check_text_search_only (text->str, kind, TRUE, &error);
    cr_assert_not_null (rs, "%s", error ? error->message : "");
    cr_assert_eq (rs->verdict, r->verdict, "%s round %d: --search-only says %s\n%s",
                  chk_kind_name (kind), round, chk_verdict_name (rs->verdict), text->str);
    cr_assert_str_eq (rs->method, "search");
    agree_ok += want;
    agree_bad += !want;
    g_string_free (text, TRUE);
  }
  /* Both verdicts are exercised, not only one. */
  cr_expect (agree_ok > rounds / 10 && agree_bad > rounds / 10, "%s: %d ok, %d violation",
             chk_kind_name (kind), agree_ok, agree_bad);
}

Test (lin_colls, set_random_histories_match_brute_force, .timeout = 120)
{
  random_histories_match (CHK_KIND_SET, 18001, 5000, FALSE, NULL);
}

Test (lin_colls, unordered_queue_random_histories_match_brute_force, .timeout = 120)
{
  random_histories_match (CHK_KIND_UNORDERED_QUEUE, 18002, 5000, FALSE, NULL);
}

Test (lin_colls, fifo_queue_random_histories_match_brute_force, .timeout = 120)
{
  random_histories_match (CHK_KIND_FIFO_QUEUE, 18003, 5000, FALSE, NULL);
}

Test (lin_colls, multi_register_random_histories_match_brute_force, .timeout = 120)
{
  random_histories_match (CHK_KIND_MULTI_REGISTER, 18004, 5000, FALSE, NULL);
}

/* The polynomial tests against the brute force on histories of unique
 * elements, anomalies and operations of unknown outcome (info, or never
 * completed) included; both verdicts are reached by them. */
static void
unique_histories_match (ChkKind kind, guint64 seed)
{
  Methods methods = { 0 };
  random_histories_match (kind, seed, 5000, TRUE, &methods);
  cr_expect (methods.patterns_ok > 500 && methods.patterns_bad > 500,
             "%s: patterns %d ok, %d violation; search %d", chk_kind_name (kind),
             methods.patterns_ok, methods.patterns_bad, methods.search);
}

Test (lin_colls, set_unique_histories_patterns_match_brute_force, .timeout = 120)
{
  unique_histories_match (CHK_KIND_SET, 18011);
}

Test (lin_colls, unordered_queue_unique_histories_patterns_match_brute_force, .timeout = 120)
{
  unique_histories_match (CHK_KIND_UNORDERED_QUEUE, 18012);
}

Test (lin_colls, fifo_queue_unique_histories_patterns_match_brute_force, .timeout = 120)
{
  unique_histories_match (CHK_KIND_FIFO_QUEUE, 18013);
}

/* k pairs of concurrent enqueues, then their dequeues pair by pair with the
 * last two pairs swapped: every order of every pair is a distinct queue
 * until the end, and none is linearizable. */
static char *
fifo_pairs (int k)
{
  GString *t = g_string_new (NULL);
  for (int i = 0; i < k; i++)
    g_string_append_printf (t, EV (0, invoke, enqueue, "%d") EV (1, invoke, enqueue, "%d")
                            EV (0, ok, enqueue, "%d") EV (1, ok, enqueue, "%d"),
                            2 * i + 1, 2 * i + 2, 2 * i + 1, 2 * i + 2);
  for (int j = 0; j < k; j++) {
    int i = j < k - 2 ? j : j == k - 2 ? k - 1 : k - 2;
    g_string_append_printf (t, EV (0, invoke, dequeue, "nil") EV (1, invoke, dequeue, "nil")
                            EV (0, ok, dequeue, "%d") EV (1, ok, dequeue, "%d"),
                            2 * i + 1, 2 * i + 2);
  }
  return g_string_free (t, FALSE);
}

/* The search's memory cap holds for collection states: reaching it is
 * unknown, not an abort, and the peak stays under it.  Unique elements:
 * the polynomial test decides at once, the search (--search-only) not. */
Test (lin_colls, fifo_memory_cap_is_unknown)
{
  g_autofree char *small = fifo_pairs (10);
  cr_expect_eq (verdict (small, CHK_KIND_FIFO_QUEUE, CHK_KIND_FIFO_QUEUE), CHK_VERDICT_VIOLATION);
  g_autofree char *big = fifo_pairs (24);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load_data ("t", big, strlen (big), CHK_FORMAT_AUTO,
                                                    &error);
  cr_assert_not_null (h);
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops);
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.kind = CHK_KIND_FIFO_QUEUE;
  opt.memory_limit_bytes = 8u << 20;
  g_autoptr (ChkReport) fast = chk_linearizable_check (h, ops, &opt, &error);
  cr_assert_not_null (fast, "%s", error ? error->message : "");
  cr_expect_eq (fast->verdict, CHK_VERDICT_VIOLATION);
  cr_expect_str_eq (fast->method, "patterns");
  cr_expect (strstr (fast->explanation, "returned 47, but enqueue 46 by process 1 completed at "
                                        "line 92, before enqueue 47 by process 0 began")
             != NULL, "%s", fast->explanation);
  opt.search_only = TRUE;
  g_autoptr (ChkReport) r = chk_linearizable_check (h, ops, &opt, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_expect_eq (r->verdict, CHK_VERDICT_UNKNOWN, "%s", chk_verdict_name (r->verdict));
  cr_expect (r->explanation != NULL && strstr (r->explanation, "memory limit") != NULL, "%s",
             r->explanation ? r->explanation : "");
  cr_expect (r->memory_bytes <= opt.memory_limit_bytes, "%" G_GUINT64_FORMAT, r->memory_bytes);
}

/* From the command line: bad input of each new encoding exits 2 with
 * FILE:LINE:COLUMN, a violation exits 1, --kind fifo-queue overrides the
 * detected unordered-queue, and --format json names the kind. */
Test (lin_colls, command_line)
{
  g_autofree char *dir = g_dir_make_tmp ("dsim-colls-XXXXXX", NULL);
  cr_assert_not_null (dir);
  const struct { const char *name, *kind, *text, *want; } bad[] = {
    { "set.edn", "set", EV (0, invoke, read, "nil") EV (0, ok, read, "7"),
      "set.edn:2:1: expected the set" },
    { "q.jsonl", "auto", "{\"process\":0,\"type\":\"invoke\",\"f\":\"enqueue\",\"value\":[1,2,3]}\n",
      "q.jsonl:1:1: expected the element enqueued" },
    { "txn.edn", "auto", EV (0, invoke, txn, "[[:read :x]]"),
      "txn.edn:1:1: expected a micro-operation" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *path = g_build_filename (dir, bad[i].name, NULL);
    cr_assert (g_file_set_contents (path, bad[i].text, -1, NULL));
    const char *args[] = { "check", path, "--kind", bad[i].kind, NULL };
    g_autofree char *out = NULL, *err = NULL;
    int status = test_run_dsim (args, &out, &err);
    cr_expect_eq (status, 2, "%s: exit %d\n%s%s", bad[i].name, status, out, err);
    cr_expect (strstr (err, bad[i].want) != NULL, "%s: %s", bad[i].name, err);
    g_unlink (path);
  }
  g_autofree char *q = test_source_path ("tests/data/models/queue-reorder.edn");
  const char *auto_args[] = { "check", q, "--format", "json", NULL };
  g_autofree char *out1 = NULL, *err1 = NULL;
  cr_expect_eq (test_run_dsim (auto_args, &out1, &err1), 0, "%s%s", out1, err1);
  cr_expect (strstr (out1, "\"kind\":\"unordered-queue\"") != NULL, "%s", out1);
  const char *fifo_args[] = { "check", q, "--kind", "fifo-queue", "--format", "json", NULL };
  g_autofree char *out2 = NULL, *err2 = NULL;
  cr_expect_eq (test_run_dsim (fifo_args, &out2, &err2), 1, "%s%s", out2, err2);
  cr_expect (strstr (out2, "\"kind\":\"fifo-queue\"") != NULL, "%s", out2);
  cr_expect (strstr (out2, "\"verdict\":\"violation\"") != NULL, "%s", out2);
  cr_expect (strstr (out2, "\"method\":\"patterns\"") != NULL, "%s", out2);
  cr_expect (strstr (out2, "\"value_after_prefix\":\"[1 2]\"") != NULL, "%s", out2);
  g_rmdir (dir);
}

/* Jepsen `independent` set histories: [key value] tuples, split per key. */
Test (lin_colls, independent_tuples)
{
  g_autofree char *path = test_source_path ("tests/data/models/set-independent.edn");
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load (path, CHK_FORMAT_AUTO, &error);
  cr_assert_not_null (h, "%s", error ? error->message : "");
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops);
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  g_autoptr (ChkReport) r = chk_linearizable_check (h, ops, &opt, &error);
  cr_assert_not_null (r, "%s", error ? error->message : "");
  cr_expect_eq (r->kind, CHK_KIND_SET);
  cr_expect_eq (r->n_parts, 2);
  cr_expect_eq (r->verdict, CHK_VERDICT_VIOLATION);
  cr_expect_str_eq (chk_history_string (h, r->key), "2");
  cr_expect (strstr (r->explanation, "without 20, but add 20 by process 1") != NULL, "%s",
             r->explanation);
}
