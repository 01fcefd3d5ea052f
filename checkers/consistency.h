/* consistency.h: consistency models weaker than linearizability, decided on
 * a history of reads and writes of registers (one key, or many keys).
 *
 * Models (dsim models prints one line each, with an example):
 *   sequential            one total order of all operations that respects
 *                         each process's order (Lamport 1979); real time is
 *                         ignored.  NP-complete: exact search with
 *                         memoisation, `unknown` when the deadline passes.
 *   causal (CC), causal-convergence (CCv), causal-memory (CM)
 *                         after Bouajjani, Enea, Guerraoui and Hamza, "On
 *                         Verifying Causal Consistency" (POPL 2017): decided
 *                         in polynomial time on differentiated histories by
 *                         looking for the paper's bad patterns.
 *   pram, read-your-writes, monotonic-reads, monotonic-writes,
 *   writes-follow-reads, session (the four together)
 *                         per-process views (below), after Lipton and
 *                         Sandberg (PRAM) and Terry et al., "Session
 *                         Guarantees for Weakly Consistent Replicated Data"
 *                         (PDIS 1994).
 *   eventual              the final reads of each key agree, on a value that
 *                         was written (or the initial value if no write of
 *                         the key certainly happened).
 *
 * Definitions.  po is each process's program order; a read r reads from
 * the write of the same key and value, src(r) (unique on a differentiated
 * history), or from the initial value nil; co = (po U rf)+ is the causal
 * order.  A *view* of process p is a total order of all writes and of p's
 * reads in which each read of p returns the last preceding write of its key
 * (nil if none), and no read of p comes after a later write of p (a process
 * never observes its own future).  Then:
 *   CC:   every read r has a total order of its causal past, extending co,
 *         in which r returns the last preceding write of its key.
 *   CCv:  one total order of all writes, extending co, in which every read
 *         returns the last write of its key in its causal past.
 *   CM:   every process has a view extending co (Ahamad et al.'s causal
 *         memory).
 *   PRAM: every process has a view extending po.
 *   read-your-writes:    ... a view in which p's writes precede p's later
 *                        reads;
 *   monotonic-reads:     ... in which p's reads keep their program order;
 *   monotonic-writes:    all views order each process's writes by po;
 *   writes-follow-reads: all views put src(r) before every write that the
 *                        reader of r issued after r;
 *   session: the four together.
 * With these definitions: session <=> CM, and read-your-writes +
 * monotonic-reads + monotonic-writes <=> PRAM (both are tested).
 *
 * Operations that failed are dropped.  An info (or never completed) read
 * carries no information and is dropped.  An info write whose value some
 * read returns is taken to have happened, at its place in its process's
 * order; an info write whose value nobody read is dropped (dropping it is
 * exact: a witness order for the history with it stays one without it).
 * Every model but sequential and eventual needs a differentiated history
 * (no two writes of a key with the same value, and no write of nil);
 * others are refused with an error, never answered wrongly.  Only read and
 * write are supported (cas and append are refused). */
#pragma once

#include "checkers/ops.h"

typedef enum {
  CHK_MODEL_SEQUENTIAL,
  CHK_MODEL_CAUSAL,
  CHK_MODEL_CAUSAL_CONVERGENCE,
  CHK_MODEL_CAUSAL_MEMORY,
  CHK_MODEL_PRAM,
  CHK_MODEL_READ_YOUR_WRITES,
  CHK_MODEL_MONOTONIC_READS,
  CHK_MODEL_MONOTONIC_WRITES,
  CHK_MODEL_WRITES_FOLLOW_READS,
  CHK_MODEL_SESSION,
  CHK_MODEL_EVENTUAL,
  CHK_MODEL__COUNT,
} ChkModel;

typedef enum {
  CHK_VERDICT_OK,
  CHK_VERDICT_VIOLATION,
  CHK_VERDICT_UNKNOWN,
} ChkVerdict;

/* One violation: the bad pattern that fired, the operations that make it
 * (indices into the ops array given to the check, in the order the
 * sentence tells them) and one plain sentence. */
typedef struct {
  char *pattern;        /* "WriteCORead", "CyclicHB", ... */
  GArray *witness;      /* guint op indices */
  char *explanation;
} ChkConsViolation;

typedef struct {
  ChkModel model;
  ChkVerdict verdict;
  GPtrArray *violations; /* ChkConsViolation*, empty unless a violation */
  char *note;            /* why unknown, or a remark; NULL if none */
  guint64 states;        /* search states explored (sequential and the
                            single session guarantees), else 0 */
} ChkConsResult;

typedef struct {
  /* Monotonic-clock time (microseconds) after which a search gives up
   * with unknown; 0: never. */
  gint64 deadline_us;
  /* Upper bound on explored search states; 0: none. */
  guint64 max_states;
  /* eventual: reads invoked at or after this time are final reads (as well
   * as those marked final); -1: only the marked ones. */
  int64_t quiescent_after_us;
  /* Most violations reported per check (at least 1). */
  guint max_violations;
  /* Memory a view check may use for its graphs and search (bytes); 0: no
   * cap.  Reaching it gives unknown with the reason. */
  gsize memory_limit_bytes;
} ChkConsOptions;

/* The defaults: no deadline, no state bound, no quiescence time, 3
 * violations. */
void chk_cons_options_init (ChkConsOptions *opt);

const char *chk_model_name (ChkModel m);       /* "causal-memory" */
const char *chk_model_short_name (ChkModel m); /* "CM", "RYW", ... */
/* The model of that name (long or short, case-insensitive); FALSE if none. */
gboolean chk_model_from_name (const char *name, ChkModel *out);
/* One-line definition and a one-line example that it forbids. */
const char *chk_model_definition (ChkModel m);
const char *chk_model_example (ChkModel m);
/* TRUE for the models that refuse non-differentiated histories. */
gboolean chk_model_needs_differentiated (ChkModel m);
const char *chk_verdict_name (ChkVerdict v); /* "ok", "violation", "unknown" */

/* Decides `model` on ops (from chk_history_ops on h).  A history the model
 * cannot be decided on (not differentiated, cas or append operations) is
 * NULL and an error naming the line and saying why. */
ChkConsResult *chk_consistency_check (const ChkHistory *h, const GArray *ops,
                                      ChkModel model, const ChkConsOptions *opt,
                                      GError **error);
void chk_cons_result_free (ChkConsResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChkConsResult, chk_cons_result_free)

/* "process 2 wrote x=3" / "read x=nil": op i for messages. */
char *chk_cons_op_describe (const ChkHistory *h, const GArray *ops, guint i);
/* The value of op i as text ("3", "nil", "\"a\"", "[1 2]"). */
char *chk_cons_op_value (const ChkHistory *h, const GArray *ops, guint i);
