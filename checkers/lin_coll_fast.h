/* lin_coll_fast.h: polynomial linearizability tests for Knossos's
 * collection models, where they are exact (one part, one key slot):
 *
 *   unordered-queue: always (a matching of dequeues to enqueues per
 *     value, O(n log n));
 *   fifo-queue: when every value is enqueued at most once
 *     ("differentiated"), by the bad patterns of Henzinger, Sezgin and
 *     Vafeiadis (CONCUR 2013) and Emmi and Enea (POPL 2018), O(n log n);
 *   set: always, by the chain of the reads' sets, O(n log n + the size
 *     of the reads).
 *
 * Each test decides or says it cannot, and the caller falls back to the
 * search.  An ok comes with a linearization that has been replayed
 * against the model and real time; a violation with a proof from real
 * time of at most four operations (LinFastWitness). */
#pragma once

#include "checkers/lin_search.h"

typedef enum {
  LIN_FAST_UNPUT,     /* culprit (a dequeue or a read) returned elem, which no
                       * operation enqueued or added */
  LIN_FAST_TWICE,     /* culprit dequeued elem, enqueued once, which `other`
                       * dequeued too */
  LIN_FAST_EARLY,     /* culprit returned elem, but `other`, the only enqueue
                       * of it or the first of its n_put adds, began after
                       * the culprit completed */
  LIN_FAST_FEW,       /* unordered queue: by the culprit's completion n_taken
                       * dequeues of elem had completed (the culprit last)
                       * and only n_put enqueues of elem had begun */
  LIN_FAST_FIFO_ORDER, /* `other`, the enqueue of elem2, completed before
                       * `third`, the enqueue of elem, began; the culprit,
                       * the dequeue of elem, completed before `fourth`, the
                       * dequeue of elem2, began, or (fourth = -1) elem2 was
                       * never dequeued and no dequeue of unknown outcome
                       * began before the culprit completed */
  LIN_FAST_SET_CHAIN, /* the culprit and `other` (reads) returned sets
                       * neither of which holds the other: elem is in the
                       * culprit's only, elem2 in other's only */
  LIN_FAST_SET_READ_ORDER, /* `other`, a read that returned elem, completed
                       * before the culprit, a read without elem, began */
  LIN_FAST_SET_LATE_ADD, /* `other`, the add of elem, completed before the
                       * culprit, a read without elem, began */
  LIN_FAST_SET_ADD_ORDER, /* the culprit read returned elem2 without elem;
                       * `other`, an add of elem, completed before `third`,
                       * the first of the n_put adds of elem2, began */
} LinFastProof;

typedef struct {
  LinFastProof proof;
  int32_t culprit, other, third, fourth; /* indices into ops, -1: none */
  uint32_t elem, elem2;                  /* value ids */
  guint n_taken, n_put;                  /* LIN_FAST_FEW */
} LinFastWitness;

typedef struct {
  /* In: one part with one key slot of a collection model. */
  const LinOp *ops;
  guint n_ops;
  LinModel *model;
  /* Out (when lin_coll_fast_run returns TRUE): result OK or VIOLATION;
   * order a linearization (ok) or a linearizable prefix of the operations
   * that completed before the culprit began, possibly empty (violation),
   * state the model state after it, culprit the witness's. */
  LinResult result;
  GArray *order;       /* uint32 indices into ops */
  int32_t culprit;
  uint32_t state;
  LinFastWitness witness;
  /* Private: */
  uint32_t base;       /* the smallest value id the part names */
} LinCollFast;

/* TRUE if decided (fills the out fields; order is allocated here); FALSE
 * if the test does not apply (another model, a fifo value enqueued more
 * than once) or cannot decide (fifo dequeues of unknown outcome that
 * might take what a violation needs). */
gboolean lin_coll_fast_run (LinCollFast *f);
