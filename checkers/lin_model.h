/* lin_model.h: one independent part of a history, compiled for the
 * linearizability search: flat operations over small integer states, and
 * the sequential models (register, cas-register, kv) that step them. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
  LIN_READ,          /* state must be a */
  LIN_WRITE,         /* state := a */
  LIN_CAS,           /* state must be a; state := b */
  LIN_CAS_MISMATCH,  /* state must differ from a (Porcupine's failed cas) */
  LIN_CAS_UNKNOWN,   /* if state == a then state := b (info cas) */
  LIN_APPEND,        /* kv: state := state ++ text a */
  /* Collections (lin_model_coll.h): states are sequence ids. */
  LIN_SET_ADD,       /* state := state + {value a} */
  LIN_SET_READ,      /* state must be the set a (a state id; b: the same set as a
                      * sequence id, sorted) */
  LIN_ENQUEUE,       /* state := state + value a */
  LIN_DEQUEUE,       /* value a must be pending (fifo: at the head); removed */
  LIN_DEQUEUE_HEAD,  /* fifo, outcome and value unknown: the head, if any, is removed */
  LIN_TXN,           /* micro-operations a (a sequence id) in order over registers */
} LinOpKind;

typedef struct {
  uint8_t kind;       /* LinOpKind */
  uint32_t slot;      /* key slot within the part (no_split: several keys) */
  uint32_t a, b;      /* value ids (registers) or text ids (kv) */
  int64_t call, ret;  /* event positions; ret = G_MAXINT64: need not happen */
  int64_t op;         /* index in the history's ops */
  int32_t prev_equiv; /* an identical open operation invoked earlier, or -1 */
} LinOp;

/* Value kinds for lin_model_value_id (as ChkValueKind, nil and none alike). */
enum { CHK_LIN_VALUE_NIL = 0, CHK_LIN_VALUE_INT = 2, CHK_LIN_VALUE_STR = 3, CHK_LIN_VALUE_PAIR = 4 };

typedef struct LinModel LinModel;

/* Registers: states are value ids, 0 is nil.  kv: text ids, 0 is "".
 * With n_slots > 1, a state is the id of a vector of per-slot states
 * (0: every slot initial). */
LinModel *lin_model_new (gboolean is_kv, guint n_slots);
void lin_model_free (LinModel *m);
uint32_t lin_model_value_id (LinModel *m, int kind, int64_t i, int64_t j);
void lin_model_value (const LinModel *m, uint32_t id, int *kind, int64_t *i, int64_t *j);
uint32_t lin_model_text_id (LinModel *m, const char *text);
const char *lin_model_text (const LinModel *m, uint32_t id);
/* kv: TRUE if text `prefix` is a prefix of text `whole`. */
gboolean lin_model_text_is_prefix (const LinModel *m, uint32_t prefix, uint32_t whole);
/* FALSE only if `prefix` is certainly not a prefix of `whole`: compares
 * hashes of prefixes (kept per `whole`, made on first use) in constant
 * time.  A collision answers TRUE, which costs pruning, never a verdict. */
gboolean lin_model_text_may_be_prefix (LinModel *m, uint32_t prefix, uint32_t whole);
/* kv: a text's length, its hash, and the hashes of its prefixes by
 * length (made on first use and kept): `prefix` may be a prefix of
 * `whole` iff its length l is at most whole's and
 * prefix_hashes (whole)[l] == text_hash (prefix). */
gsize lin_model_text_len (const LinModel *m, uint32_t id);
uint64_t lin_model_text_hash (LinModel *m, uint32_t id);
const uint64_t *lin_model_text_prefix_hashes (LinModel *m, uint32_t id);
/* Registers: the number of distinct values (ids are below it). */
guint lin_model_n_values (const LinModel *m);
uint32_t lin_model_append (LinModel *m, uint32_t state, uint32_t text);
/* Interns a vector of n_slots states; TRUE if it is new. */
gboolean lin_model_vector_id (LinModel *m, const uint32_t *v, uint32_t *id);
uint32_t lin_model_slot_state (const LinModel *m, uint32_t state, uint32_t slot);
gboolean lin_model_step_vector (LinModel *m, uint32_t state, const LinOp *op, uint32_t *next);
gboolean lin_model_is_kv (const LinModel *m);
guint lin_model_n_slots (const LinModel *m);
gsize lin_model_memory (const LinModel *m);
/* The bytes the model's tables may take (0: no limit).  An allocation that
 * would pass it is refused, or made only where the step cannot do without
 * it, and the model is then full: the search stops as out of memory. */
void lin_model_set_memory_limit (LinModel *m, gsize limit);
gboolean lin_model_is_full (const LinModel *m);

/* The collection model of m (a LinCollKind, 0: none), and the model's
 * table of sequences that its states and some operands are ids in
 * (lin_model_coll.h). */
int lin_model_coll (const LinModel *m);
void lin_model_set_coll (LinModel *m, int coll);
struct LinSeqs *lin_model_seqs (const LinModel *m);
/* Counts `more` bytes of the model's tables against its limit: FALSE (and
 * the model is full) if they pass it; they are counted either way. */
gboolean lin_model_account (LinModel *m, gsize more);
/* TRUE if `more` bytes fit under the limit; else marks the model full.
 * Counts nothing. */
gboolean lin_model_may_grow (LinModel *m, gsize more);
/* A collection operation's step (lin_model_coll.c). */
gboolean lin_coll_step (LinModel *m, uint32_t s, const LinOp *op, uint32_t *next);

/* One step of one key's state: FALSE if op cannot happen in state s. */
static inline gboolean
lin_model_step_slot (LinModel *m, uint32_t s, const LinOp *op, uint32_t *next)
{
  switch ((LinOpKind) op->kind) {
  case LIN_READ: *next = s; return s == op->a;
  case LIN_WRITE: *next = op->a; return TRUE;
  case LIN_CAS: *next = op->b; return s == op->a;
  case LIN_CAS_MISMATCH: *next = s; return s != op->a;
  case LIN_CAS_UNKNOWN: *next = s == op->a ? op->b : s; return TRUE;
  case LIN_APPEND: *next = lin_model_append (m, s, op->a); return TRUE;
  case LIN_SET_READ: *next = s; return s == op->a;
  case LIN_SET_ADD: case LIN_ENQUEUE: case LIN_DEQUEUE: case LIN_DEQUEUE_HEAD: case LIN_TXN:
    return lin_coll_step (m, s, op, next);
  }
  return FALSE;
}
