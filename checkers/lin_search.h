/* lin_search.h: the memoised Wing & Gong search over one compiled part
 * (lin_model.h). */
#pragma once

#include "checkers/lin_model.h"

typedef enum {
  LIN_RESULT_OK,
  LIN_RESULT_VIOLATION,
  LIN_RESULT_CANCELLED,
  LIN_RESULT_MEMORY,
} LinResult;

typedef struct {
  /* In: */
  const LinOp *ops;    /* in invocation order */
  guint n_ops;
  LinModel *model;
  guint n_slots;
  const volatile int *cancel;      /* global cancel (timeout), may be NULL */
  const volatile int *part_cancel; /* this part only (a lower key failed), may be NULL */
  gsize memory_limit;              /* 0: none */
  /* Out: */
  LinResult result;
  GArray *order;       /* uint32 indices into ops: the linearization (ok) or
                        * the longest linearizable prefix (violation) */
  int32_t culprit;     /* violation: index into ops of the operation that
                        * cannot be linearized after `order` */
  uint32_t state;      /* the model state after `order` */
  guint64 explored;    /* configurations memoised */
  gsize memory_peak;   /* bytes */
} LinSearch;

/* Runs the search; fills the out fields (order is allocated here). */
void lin_search_run (LinSearch *s);
