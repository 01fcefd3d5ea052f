/* lin_zones.h: the polynomial linearizability test for differentiated
 * register and cas-register histories (every value written at most once),
 * where the reads-from map is known (Gibbons and Korach, "Testing shared
 * memories", SIAM J. Comput. 1997, the cluster and zone argument).
 *
 * It decides in O(n log n) or says it cannot (the history is not
 * differentiated, or a failed cas could not be placed), and the caller
 * falls back to the search.  An ok comes with a linearization that has been
 * replayed against the model and real time; a violation with a real-time
 * proof (lin_explain_zones turns it into a sentence). */
#pragma once

#include "checkers/lin_search.h"

typedef enum {
  LIN_ZONES_UNWRITTEN, /* culprit saw a value no operation could write */
  LIN_ZONES_STALE,     /* culprit saw a value that `other` (a later value of
                        * the same chain of cas operations, or the cas that
                        * overwrote it) had replaced before it began */
  LIN_ZONES_EARLY,     /* culprit completed before `other`, the only write
                        * of the value it saw (or of one before it in its
                        * chain of cas operations), began */
  LIN_ZONES_ORDER,     /* two chains each seen before the other: x_a of the
                        * culprit's chain completed before y_b began, x_b
                        * completed before the culprit began */
} LinZonesProof;

typedef struct {
  LinZonesProof proof;
  int32_t culprit;     /* index into ops */
  int32_t other;       /* STALE, EARLY */
  int32_t x_a, x_b, y_b; /* ORDER; x_a = -1: the initial nil */
} LinZonesWitness;

typedef struct {
  /* In: one part with one key slot, as for the search. */
  const LinOp *ops;
  guint n_ops;
  LinModel *model;
  gsize memory_limit;  /* 0: none; the test is not tried when its arrays,
                        * bounded before any is made, would pass it */
  /* Out (when lin_zones_run returns TRUE): result OK or VIOLATION; order,
   * culprit and state as in LinSearch (the violation's order is a
   * linearizable prefix of the operations completed before the culprit
   * began, possibly empty). */
  LinResult result;
  GArray *order;       /* uint32 indices into ops */
  int32_t culprit;
  uint32_t state;
  LinZonesWitness witness;
} LinZones;

/* TRUE if decided (fills the out fields; order is allocated here); FALSE
 * if the test does not apply or cannot decide. */
gboolean lin_zones_run (LinZones *z);
