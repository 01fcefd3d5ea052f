/* check.h: every model a history can be checked against, behind one table
 * of checkers, and the report every checker returns.
 *
 * A checker is a function from a loaded history (and its operations, from
 * chk_history_ops) to a ChkReport.  `dsim check --model NAME` looks it up
 * with chk_checker_find; adding one is a line in the table in check.c.
 * Reports refer to operations by their index in the ops array.  ChkVerdict
 * and chk_verdict_name come from consistency.h. */
#pragma once

#include "checkers/consistency.h"
#include "checkers/history.h"
#include "checkers/ops.h"

/* The data type the history's operations act on. */
typedef enum {
  CHK_KIND_AUTO,         /* detect from the operations and the format */
  CHK_KIND_REGISTER,     /* read, write; initial value nil */
  CHK_KIND_CAS_REGISTER, /* read, write, cas [expected new]; initial value nil */
  CHK_KIND_KV,           /* get, put, append of strings per key; initial value "" */
  CHK_KIND_MUTEX,        /* acquire, release (Knossos's mutex); initially free */
  CHK_KIND_SET,          /* add x, read of the whole set; initially empty */
  CHK_KIND_UNORDERED_QUEUE, /* enqueue x, dequeue -> x, in any order; initially empty */
  CHK_KIND_FIFO_QUEUE,   /* enqueue x, dequeue -> x, first in first out */
  CHK_KIND_MULTI_REGISTER, /* txn [[:read :x 1] [:write :y 2]]; registers start nil */
} ChkKind;

/* "auto", "register", "cas-register", "kv", "mutex", "set", "unordered-queue",
 * "fifo-queue", "multi-register" */
const char *chk_kind_name (ChkKind k);
gboolean chk_kind_from_name (const char *name, ChkKind *kind);
/* The kind of a history: kv if it comes from a Porcupine kv log or has an
 * append, get or put; mutex if it has an acquire or release; set if it has
 * an add or a read that returned a collection (#{1 2}); unordered-queue if it has an enqueue or dequeue (Jepsen's queue
 * checker uses that model; --kind fifo-queue asks for the order too);
 * multi-register if it has a txn; cas-register if it has a cas; register
 * otherwise.
 * With `forced` set, checks that the operations fit that kind instead and
 * says which operation does not (CHK_ERROR_INPUT). */
gboolean chk_kind_detect (const ChkHistory *h, const GArray *ops, ChkKind forced,
                          ChkKind *kind, GError **error);

typedef struct {
  ChkKind kind;              /* CHK_KIND_AUTO: detect */
  gboolean no_split;         /* check all keys together instead of per key */
  int jobs;                  /* worker threads for independent parts; <= 1: none */
  gsize memory_limit_bytes;  /* search memory cap; 0: none.  Reaching it: unknown */
  /* Set to non-zero (from another thread or a signal handler) to stop the
   * search; the verdict is then unknown.  NULL: never.  The linearizability
   * checker reads no clock: the caller owns the timeout. */
  const volatile int *cancel;
  /* The same timeout for the checkers of consistency.h, which poll the
   * monotonic clock: the time after which they give up; 0: never. */
  gint64 deadline_us;
  /* Search states bound for the checkers of consistency.h; 0: none. */
  guint64 max_states;
  /* eventual: reads invoked at or after this history time (microseconds)
   * are final reads, besides those marked final; -1: only the marked ones. */
  int64_t quiescent_after_us;
  /* linearizable: always search, never the zone test of lin_zones.h. */
  gboolean search_only;
} ChkCheckOptions;

void chk_check_options_init (ChkCheckOptions *o);

typedef struct {
  ChkVerdict verdict;
  const char *model;     /* "linearizable", ... (static) */
  ChkKind kind;          /* the kind checked */
  guint n_ops;           /* operations that took part (fail ops excluded) */
  guint n_parts;         /* independent parts checked (keys, unless no_split) */
  /* Violation: one plain sentence that says why.  Unknown: what limit was
   * reached.  Ok: NULL. */
  char *explanation;
  /* Violation only (else -1 / empty): */
  int32_t key;           /* interned key of the failing part; -1 if unkeyed */
  int64_t culprit;       /* the operation that cannot be placed */
  GArray *order;         /* int64 op indices.  Violation: the longest
                          * linearizable prefix of the failing part, in
                          * linearization order.  Ok: a linearization of
                          * every part, parts in key order (empty for
                          * models that do not produce an order). */
  const char *order_label; /* what order is, for printing: "longest linearizable
                            * prefix", "operations involved" (static) */
  GArray *concurrent;    /* int64 op indices concurrent with the culprit */
  char *state_before;    /* the part's value after `order`, e.g. "5", "nil",
                          * "\"x 1 y\""; NULL if the model has none */
  guint64 states_explored; /* search configurations visited (statistics) */
  guint64 memory_bytes;  /* peak search memory (statistics) */
  struct ChkStaleness *staleness; /* the staleness measure's numbers; else NULL */
  /* linearizable: what decided, "zones" (lin_zones.h), "patterns"
   * (lin_coll_fast.h), "search", or "zones+search" / "patterns+search"
   * (keys decided by each); NULL for other models. */
  const char *method;
} ChkReport;

/* The numbers of the staleness measure, for --format json.  Op indices. */
typedef struct ChkStaleness {
  int64_t delta_us;        /* the smallest Delta; -1 if no Delta explains it */
  ChkVerdict two_atomic;   /* ok: 2-atomic; violation: not; unknown: gave up */
  char *two_atomic_why;    /* not 2-atomic or unknown: why, in words */
  int64_t witness_read;    /* not 2-atomic: the read, else -1 */
  int64_t witness_write;   /* the write it returned; -1: nil or none */
  int64_t witness_skipped[2]; /* writes it skipped (-1: none named) */
  guint reads, reads_behind;
  int64_t versions_behind[3]; /* p50, p99, max */
  int64_t time_behind_us[3];  /* p50, p99, max */
} ChkStaleness;

ChkReport *chk_report_new (const char *model);
void chk_report_free (ChkReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChkReport, chk_report_free)

/* A checker: checks `ops` (from chk_history_ops (h)) against the model
 * `variant` selects (checkers that serve several models).  Bad input that
 * only the model can see (an operation the kind does not have): NULL and a
 * CHK_ERROR_INPUT. */
typedef ChkReport *(*ChkCheckFunc) (const ChkHistory *h, const GArray *ops, int variant,
                                    const ChkCheckOptions *opt, GError **error);

typedef struct {
  const char *name;     /* as given to --model */
  const char *summary;  /* one line for --help */
  ChkCheckFunc check;
  int variant;
} ChkChecker;

/* The checkers, ending with a {NULL} entry: linearizable first, then the
 * models of consistency.h in their order.  (Measures such as staleness are
 * found by chk_checker_find but are not in this list, nor in --model all.) */
const ChkChecker *chk_checkers (void);
const ChkChecker *chk_checker_find (const char *name);
/* TRUE for a measure (staleness): a report whose explanation holds numbers
 * even when the verdict is ok. */
gboolean chk_checker_is_measure (const char *name);
/* Staleness of a register history (staleness.c): the smallest Delta for
 * which it is Delta-atomic (Golab, Li, Shah 2011), and per-read versions
 * and time behind (p50, p99, max).  Verdict ok with the numbers in the
 * explanation; violation if no Delta explains it. */
ChkReport *chk_staleness_check (const ChkHistory *h, const GArray *ops,
                                const ChkCheckOptions *opt, GError **error);

/* Runs c on ops. */
ChkReport *chk_checker_run (const ChkChecker *c, const ChkHistory *h, const GArray *ops,
                            const ChkCheckOptions *opt, GError **error);
