/* lin_model_coll.h: Knossos's collection models for the linearizability
 * search: set, unordered-queue, fifo-queue and multi-register, with
 * Jepsen's encodings of their operations. */
#pragma once

#include "checkers/check.h"
#include "checkers/lin_model.h"

typedef enum {
  LIN_COLL_NONE,
  LIN_COLL_SET,             /* add x; read -> #{...} */
  LIN_COLL_UNORDERED_QUEUE, /* enqueue x; dequeue -> x (a multiset) */
  LIN_COLL_FIFO_QUEUE,      /* enqueue x; dequeue -> x (the head) */
  LIN_COLL_MULTI_REGISTER,  /* txn [[:read :x 1] [:write :y 2]] */
} LinCollKind;

/* The collection model of a kind (LIN_COLL_NONE for the register kinds),
 * and back. */
LinCollKind lin_coll_kind_of (ChkKind kind);
ChkKind lin_coll_chk_kind (LinCollKind c);
/* The model a function name implies (add: set; enqueue, dequeue:
 * unordered-queue; txn: multi-register), or LIN_COLL_NONE. */
LinCollKind lin_coll_detect (const char *name);
/* TRUE if model c has the operation (f, name). */
gboolean lin_coll_allows (LinCollKind c, ChkFn f, const char *name);
/* "add or read", ... for messages. */
const char *lin_coll_ops_text (LinCollKind c);

/* Checks that every operation's value fits model c: an element (nil, an
 * integer, a string or a pair) for add, enqueue and dequeue, a set for a
 * completed read, a list of micro-operations [f k v] (f read, r, write or
 * w; k a keyword, string or integer) for a txn.  Else CHK_ERROR_INPUT
 * naming file, line and column. */
gboolean lin_coll_validate (const ChkHistory *h, const GArray *ops, LinCollKind c,
                            GError **error);
/* FALSE for an operation the search need not see (beyond the rules for
 * every kind): an unordered-queue dequeue of unknown outcome (removing an
 * element never lets another operation succeed), a txn of unknown outcome
 * that writes nothing. */
gboolean lin_coll_is_live (const ChkHistory *h, const ChkOp *op, LinCollKind c);
/* Compiles a valid, live operation into lo->kind and lo->a. */
void lin_coll_compile (LinModel *m, const ChkHistory *h, const ChkOp *op, LinOp *lo);

/* fifo-queue lookahead (exact pruning).  An ok dequeue D of a value v
 * enqueued once takes the element the enqueue put at the tail, so every
 * element ahead of it must be dequeued first, by a dequeue invoked before
 * D completed: an ok dequeue of that element's value, or one of unknown
 * outcome.  lin_coll_fifo_prepare reads the part's operations once;
 * lin_coll_fifo_dead, after enqueue `op` led to `state`, returns the index
 * (into ops) of a dequeue that can no longer succeed, or -1. */
void lin_coll_fifo_prepare (LinModel *m, const LinOp *ops, guint n);
int32_t lin_coll_fifo_dead (const LinModel *m, uint32_t state, const LinOp *op);

/* A completed operation that no state accepts (a dequeue of a value never
 * enqueued, the last of more ok dequeues of a value than it had enqueues,
 * a set read with an element never added, a txn read of a value
 * never written to that register): the index in ops of the one that
 * completes first, or -1.  Such a history is not linearizable, and the
 * search, which would try every order of what precedes it, is not needed. */
int32_t lin_coll_impossible (LinModel *m, const LinOp *ops, guint n);

/* The table of sequences behind collection states: id 0 is the empty
 * sequence, the initial state of every collection model. */
typedef struct LinSeqs LinSeqs;
LinSeqs *lin_seqs_new (void);
void lin_seqs_free (LinSeqs *s);
gsize lin_seqs_memory (const LinSeqs *s);
/* Interns items[0, n) (counted against the model's memory limit). */
uint32_t lin_seqs_intern (LinModel *m, const uint32_t *items, guint n);
const uint32_t *lin_seqs_get (const LinModel *m, uint32_t id, guint *n);

/* The state of a set, unordered queue or fifo queue holding values[0, n)
 * (fifo: head first; the others in any order, a set's without repeats). */
uint32_t lin_coll_state_of (LinModel *m, const uint32_t *values, guint n);

/* States and values in Knossos's notation: #{1 2}, [1 2] (a fifo queue,
 * head first), {:x 1 :y nil}; an element 5, "a", :k, nil. */
char *lin_coll_state_text (const LinModel *m, const ChkHistory *h, uint32_t state);
char *lin_coll_value_text (const LinModel *m, const ChkHistory *h, uint32_t value);
/* multi-register: the name (a value id) of register r, and how many. */
uint32_t lin_coll_register_name (const LinModel *m, uint32_t r);
guint lin_coll_n_registers (const LinModel *m);
/* A txn's micro-operations are triples (LIN_TXN_READ or LIN_TXN_WRITE,
 * register, value id) in sequence a. */
enum { LIN_TXN_READ = 0, LIN_TXN_WRITE = 1 };
