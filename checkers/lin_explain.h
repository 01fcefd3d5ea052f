/* lin_explain.h: turns a failed linearizability search into the report's
 * culprit, prefix, concurrent operations and one plain sentence. */
#pragma once

#include "checkers/check.h"
#include "checkers/lin_model.h"
#include "checkers/lin_zones.h"
#include "checkers/lin_coll_fast.h"

typedef struct {
  const ChkHistory *h;
  const GArray *ops;      /* ChkOp of the whole history */
  const LinOp *lops;      /* the failed part */
  guint n_lops;
  LinModel *model;
  ChkKind kind;
  int32_t key;            /* the part's key, -1 if none (or no_split) */
  const GArray *order;    /* uint32 indices into lops: longest prefix */
  int32_t culprit;        /* index into lops */
  uint32_t state;         /* model state after order */
} LinExplainPart;

/* Fills r->key, culprit, order, concurrent, state_before and explanation. */
void lin_explain (const LinExplainPart *p, ChkReport *r);

/* The same for the collection models (lin_model_coll.h), in their terms. */
void lin_explain_coll (const LinExplainPart *p, ChkReport *r);
/* The same for a violation a polynomial collection test proved
 * (lin_coll_fast.h): order is its linearizable prefix, state the state
 * after it. */
void lin_explain_coll_fast (const LinExplainPart *p, const LinFastWitness *w, ChkReport *r);
/* The same for a violation the zone test proved (lin_zones.h): order is
 * its linearizable prefix, state the value after it. */
void lin_explain_zones (const LinExplainPart *p, const LinZonesWitness *w, ChkReport *r);

/* The history operation behind the part's compiled operation li. */
const ChkOp *lin_explain_op (const LinExplainPart *p, int32_t li);
/* "at 1.20 s", or "at line 12" when the history has no times, for the
 * event at history position pos (newly allocated). */
char *lin_explain_when (const LinExplainPart *p, int64_t pos);

/* "1.20 s" from microseconds: at least two decimals, more if needed. */
char *lin_explain_seconds (int64_t us);
