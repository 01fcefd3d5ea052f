/* run_checks.h: the checks at the end of a run: the protocol's invariants
 * (already run by the world after every step) and the consistency models of
 * the scenario's [check] section, run on the recorded history.  Used by
 * `dsim run`; the outcome decides its exit code. */
#pragma once

#include "checkers/history.h"

typedef enum {
  RUN_PASS,      /* every invariant held, every model holds */
  RUN_VIOLATION, /* an invariant broke or a model is violated */
  RUN_UNKNOWN,   /* nothing violated, but some model was not decided */
} RunOutcome;

typedef enum {
  RUN_MODEL_HOLDS,
  RUN_MODEL_VIOLATED,
  RUN_MODEL_UNDECIDED, /* a limit was reached, or no checker for it is built */
} RunModelVerdict;

typedef struct RunChecks RunChecks;

/* Checks history against each of `models` (NULL-terminated).
 * invariant_failure: the world's report, or NULL if every invariant held. */
RunChecks *run_checks_new (const ChkHistory *history, const char *const *models,
                           const char *invariant_failure);
void run_checks_free (RunChecks *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RunChecks, run_checks_free)

/* One line per model ("linearizable VIOLATED: ..."), explanations indented. */
void run_checks_append (const RunChecks *c, GString *out);
RunOutcome run_checks_outcome (const RunChecks *c);
/* The verdict on one model; RUN_MODEL_UNDECIDED if it was not checked. */
RunModelVerdict run_checks_verdict (const RunChecks *c, const char *model);
const char *run_invariant_failure (const RunChecks *c);
