/* consistency.c: the model table and the entry point. */
#include "checkers/cons_internal.h"

#include <string.h>

typedef struct {
  const char *name, *short_name, *definition, *example;
} ModelInfo;

static const ModelInfo models[CHK_MODEL__COUNT] = {
  [CHK_MODEL_SEQUENTIAL] = {
    "sequential", "SC",
    "one order of all operations, keeping each process's order, in which every read "
    "returns the latest write of its key; real time is ignored",
    "IRIW: p1 writes x=1, p2 writes y=1, p3 reads x=1 then y=nil, p4 reads y=1 then "
    "x=nil (the readers disagree on which write came first)" },
  [CHK_MODEL_CAUSAL] = {
    "causal", "CC",
    "every read returns a write that is the latest of its key in the read's causal "
    "past (all that its process did or read before it, transitively)",
    "answer before question: p1 writes q=1; p2 reads q=1, writes a=1; p3 reads a=1, "
    "then q=nil" },
  [CHK_MODEL_CAUSAL_CONVERGENCE] = {
    "causal-convergence", "CCv",
    "causal, and one order of all writes that every read agrees with, so replicas "
    "converge",
    "p1 writes x=1 then reads x=2; p2 writes x=2 then reads x=1 (each saw the other's "
    "write as the later one)" },
  [CHK_MODEL_CAUSAL_MEMORY] = {
    "causal-memory", "CM",
    "every process sees all writes in one order of its own that respects causality "
    "(Ahamad et al.)",
    "p1 writes x=1,y=1,z=1; p2 writes y=2,x=2,t=2; p3 reads z=1, y=2, t=2, x=1 (no "
    "single order explains p3's reads)" },
  [CHK_MODEL_PRAM] = {
    "pram", "PRAM",
    "every process sees each process's writes in the order they were issued, and its "
    "own operations in its own order (pipelined RAM)",
    "p1 writes x=1 then y=1; p2 reads y=1, then x=nil" },
  [CHK_MODEL_READ_YOUR_WRITES] = {
    "read-your-writes", "RYW",
    "a process's reads see its own earlier writes",
    "p1 writes x=1, then reads x=nil" },
  [CHK_MODEL_MONOTONIC_READS] = {
    "monotonic-reads", "MR",
    "once a process has seen a write, its later reads see it too: its reads never go "
    "back in time",
    "p1 writes x=1; p2 reads x=1, then x=nil" },
  [CHK_MODEL_MONOTONIC_WRITES] = {
    "monotonic-writes", "MW",
    "every process sees each process's writes in the order they were issued",
    "(together with monotonic-reads) p1 writes x=1 then x=2; p2 reads x=2, then x=1; "
    "alone it forbids only reading one's own future writes" },
  [CHK_MODEL_WRITES_FOLLOW_READS] = {
    "writes-follow-reads", "WFR",
    "a write is seen after the writes its process had read before issuing it",
    "p1 reads x=1 then writes y=1; p2 reads y=1 then writes x=1 (each write follows "
    "a read of the other)" },
  [CHK_MODEL_SESSION] = {
    "session", "session",
    "read-your-writes, monotonic-reads, monotonic-writes and writes-follow-reads "
    "together; the same as causal-memory",
    "answer before question: p1 writes q=1; p2 reads q=1, writes a=1; p3 reads a=1, "
    "then q=nil" },
  [CHK_MODEL_EVENTUAL] = {
    "eventual", "EC",
    "once the history goes quiet, the final reads of each key agree on a value that "
    "was written",
    "final reads: p1 reads x=1 and p2 reads x=2, after all writes ended" },
};

void
chk_cons_options_init (ChkConsOptions *opt)
{
  *opt = (ChkConsOptions) { .deadline_us = 0, .max_states = 0, .quiescent_after_us = -1,
                            .max_violations = 3, .memory_limit_bytes = 0 };
}

static const ModelInfo *
model_info (ChkModel m)
{
  g_assert (m < CHK_MODEL__COUNT);
  return &models[m];
}

const char *chk_model_name (ChkModel m) { return model_info (m)->name; }
const char *chk_model_short_name (ChkModel m) { return model_info (m)->short_name; }
const char *chk_model_definition (ChkModel m) { return model_info (m)->definition; }
const char *chk_model_example (ChkModel m) { return model_info (m)->example; }

gboolean
chk_model_from_name (const char *name, ChkModel *out)
{
  for (int m = 0; m < CHK_MODEL__COUNT; m++)
    if (g_ascii_strcasecmp (name, models[m].name) == 0
        || g_ascii_strcasecmp (name, models[m].short_name) == 0) {
      *out = (ChkModel) m;
      return TRUE;
    }
  return FALSE;
}

gboolean
chk_model_needs_differentiated (ChkModel m)
{
  return m != CHK_MODEL_SEQUENTIAL && m != CHK_MODEL_EVENTUAL;
}

const char *
chk_verdict_name (ChkVerdict v)
{
  switch (v) {
  case CHK_VERDICT_OK: return "ok";
  case CHK_VERDICT_VIOLATION: return "violation";
  case CHK_VERDICT_UNKNOWN: return "unknown";
  }
  g_assert_not_reached ();
}

ChkConsResult *
cons_result_new (ChkModel m)
{
  ChkConsResult *r = g_new0 (ChkConsResult, 1);
  r->model = m;
  r->verdict = CHK_VERDICT_OK;
  r->violations = g_ptr_array_new_with_free_func ((GDestroyNotify) cons_violation_free);
  return r;
}

void
chk_cons_result_free (ChkConsResult *r)
{
  if (r == NULL)
    return;
  g_ptr_array_unref (r->violations);
  g_free (r->note);
  g_free (r);
}

ChkConsResult *
chk_consistency_check (const ChkHistory *h, const GArray *ops, ChkModel model,
                       const ChkConsOptions *opt_in, GError **error)
{
  g_return_val_if_fail (model < CHK_MODEL__COUNT, NULL);
  if (!chk_history_refuse_siblings (h, chk_model_name (model), error)
      || !chk_history_refuse_lists (h, chk_model_name (model), error))
    return NULL;
  ChkConsOptions opt;
  if (opt_in != NULL)
    opt = *opt_in;
  else
    chk_cons_options_init (&opt);
  if (opt.max_violations == 0)
    opt.max_violations = 1;
  g_autoptr (ChkConsResult) res = cons_result_new (model);
  if (model == CHK_MODEL_EVENTUAL) {
    cons_check_eventual (h, ops, &opt, res, error);
    return g_steal_pointer (&res);
  }
  g_autoptr (ConsHist) ch = cons_hist_new (h, ops, chk_model_needs_differentiated (model), error);
  if (ch == NULL)
    return NULL;
  switch (model) {
  case CHK_MODEL_SEQUENTIAL:
    cons_check_sequential (ch, &opt, res);
    break;
  case CHK_MODEL_CAUSAL:
  case CHK_MODEL_CAUSAL_CONVERGENCE:
  case CHK_MODEL_CAUSAL_MEMORY:
    cons_check_causal (ch, model, &opt, res);
    break;
  default:
    cons_check_view (ch, model, &opt, res);
    break;
  }
  return g_steal_pointer (&res);
}
