/* run_checks.c: invariants and consistency models at the end of a run. */
#include "cli/run_checks.h"
#include "cli/cli.h"
#include "checkers/check.h"
#include "checkers/consistency.h"

#include <string.h>

/* A bound on search states instead of a wall-clock deadline, so that the
 * same run always gets the same verdict. */
#define RUN_MAX_STATES 5000000

typedef struct {
  char *model;
  RunModelVerdict verdict;
  char *text; /* explanation, or why it was not decided */
} RunModelResult;

struct RunChecks {
  char *invariant_failure;
  GArray *results; /* RunModelResult, in [check] order */
};

static void
check_consistency (const ChkHistory *history, const GArray *ops, ChkModel m, gsize cap,
                   RunModelResult *r)
{
  ChkConsOptions opt;
  chk_cons_options_init (&opt);
  opt.max_states = RUN_MAX_STATES;
  opt.memory_limit_bytes = cap;
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkConsResult) res = chk_consistency_check (history, ops, m, &opt, &error);
  if (res == NULL) {
    r->verdict = RUN_MODEL_UNDECIDED;
    r->text = g_strdup_printf ("cannot check this history: %s", error->message);
    return;
  }
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint i = 0; i < res->violations->len; i++) {
    const ChkConsViolation *v = res->violations->pdata[i];
    g_string_append_printf (text, "%s%s: %s", i > 0 ? "\n" : "", v->pattern, v->explanation);
  }
  if (res->note != NULL)
    g_string_append_printf (text, "%s%s", text->len > 0 ? "\n" : "", res->note);
  r->verdict = res->verdict == CHK_VERDICT_OK ? RUN_MODEL_HOLDS
               : res->verdict == CHK_VERDICT_VIOLATION ? RUN_MODEL_VIOLATED
               : RUN_MODEL_UNDECIDED;
  r->text = text->len > 0 ? g_strdup (text->str) : NULL;
}

/* Other checkers of the check.h table (linearizable), bounded by memory
 * rather than by time, so that the verdict is the same on every machine. */
static void
check_report (const ChkHistory *history, const GArray *ops, const ChkChecker *c, gsize cap,
              RunModelResult *r)
{
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.memory_limit_bytes = cap;
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkReport) rep = chk_checker_run (c, history, ops, &opt, &error);
  if (rep == NULL) {
    r->verdict = RUN_MODEL_UNDECIDED;
    r->text = g_strdup_printf ("cannot check this history: %s", error->message);
    return;
  }
  r->verdict = rep->verdict == CHK_VERDICT_OK ? RUN_MODEL_HOLDS
               : rep->verdict == CHK_VERDICT_VIOLATION ? RUN_MODEL_VIOLATED
               : RUN_MODEL_UNDECIDED;
  r->text = g_strdup (rep->explanation);
}

static void
check_one (const ChkHistory *history, const GArray *ops, const char *ops_error,
           const char *model, gsize cap, RunModelResult *r)
{
  ChkModel m;
  const ChkChecker *c = NULL;
  if (ops == NULL) {
    r->verdict = RUN_MODEL_UNDECIDED;
    r->text = g_strdup_printf ("cannot check the recorded history: %s", ops_error);
  } else if (chk_model_from_name (model, &m)) {
    check_consistency (history, ops, m, cap, r);
  } else if ((c = chk_checker_find (model)) != NULL) {
    check_report (history, ops, c, cap, r);
  } else {
    /* No checker for this model is linked into dsim: say so, loudly, and
     * leave the verdict open rather than guess. */
    r->verdict = RUN_MODEL_UNDECIDED;
    r->text = g_strdup_printf ("not checked: this dsim has no %s checker yet", model);
  }
}

/* What a history's checks may take outside their counted caps (graphs,
 * vector clocks of one entry per process, edge lists), at least
 * CLI_ROOM_CHECKS_MIN: under a ulimit -v that leaves less after the run,
 * the history is not checked (undecided, with the sizes) rather than a
 * check aborting on an allocation. */
static guint64
checks_room (const GArray *ops)
{
  if (ops == NULL)
    return 0;
  int64_t procs = 1;
  for (guint i = 0; i < ops->len; i++)
    procs = MAX (procs, g_array_index (ops, ChkOp, i).process + 1);
  procs = MIN (procs, (int64_t) ops->len + 1);
  guint64 need = (guint64) ops->len * ((guint64) procs * 8 + 512);
  return MAX (need, CLI_ROOM_CHECKS_MIN);
}

RunChecks *
run_checks_new (const ChkHistory *history, const char *const *models,
                const char *invariant_failure)
{
  RunChecks *c = g_new0 (RunChecks, 1);
  c->invariant_failure = g_strdup (invariant_failure);
  c->results = g_array_new (FALSE, TRUE, sizeof (RunModelResult));
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = NULL;
  if (models != NULL && models[0] != NULL)
    ops = chk_history_ops (history, &error);
  /* Each model's search gets 1 GiB, or less under a ulimit -v (a quarter
   * of what it leaves free, as `dsim check` takes), so that a large
   * history ends undecided with the reason instead of aborting on an
   * allocation.  Only a ulimit lowers it: without one every machine gives
   * the same verdict. */
  gsize cap = cli_default_memory_cap ((gsize) 1 << 30);
  guint64 room = cli_address_space_free (), need = checks_room (ops);
  if (ops != NULL && room < need) {
    g_set_error (&error, g_quark_from_static_string ("dsim-run-checks"), 0,
                 "only %" G_GUINT64_FORMAT " MB of address space is left under ulimit -v "
                 "after the run, and checking its %u operations may need %" G_GUINT64_FORMAT
                 " MB", room >> 20, ops->len, need >> 20);
    g_clear_pointer (&ops, g_array_unref);
  }
  for (int i = 0; models != NULL && models[i] != NULL; i++) {
    RunModelResult r = { .model = g_strdup (models[i]) };
    check_one (history, ops, error != NULL ? error->message : NULL, models[i], cap, &r);
    g_array_append_val (c->results, r);
  }
  return c;
}

void
run_checks_free (RunChecks *c)
{
  if (c == NULL)
    return;
  for (guint i = 0; i < c->results->len; i++) {
    RunModelResult *r = &g_array_index (c->results, RunModelResult, i);
    g_free (r->model);
    g_free (r->text);
  }
  g_array_unref (c->results);
  g_free (c->invariant_failure);
  g_free (c);
}

void
run_checks_append (const RunChecks *c, GString *out)
{
  if (c->results->len == 0)
    g_string_append (out, "models       none listed in [check]\n");
  int width = 12;
  for (guint i = 0; i < c->results->len; i++)
    width = MAX (width, (int) strlen (g_array_index (c->results, RunModelResult, i).model));
  for (guint i = 0; i < c->results->len; i++) {
    const RunModelResult *r = &g_array_index (c->results, RunModelResult, i);
    const char *word = r->verdict == RUN_MODEL_HOLDS
                       ? (chk_checker_is_measure (r->model) ? "measured" : "holds")
                       : r->verdict == RUN_MODEL_VIOLATED ? "VIOLATED" : "undecided";
    g_string_append_printf (out, "%-*s %s", width, r->model, word);
    if (r->text != NULL) {
      g_string_append (out, ": ");
      cli_append_wrapped (out, r->text, width + 1);
    }
    if (out->str[out->len - 1] != '\n')
      g_string_append_c (out, '\n');
  }
}

RunOutcome
run_checks_outcome (const RunChecks *c)
{
  gboolean undecided = FALSE;
  if (c->invariant_failure != NULL)
    return RUN_VIOLATION;
  for (guint i = 0; i < c->results->len; i++) {
    const RunModelResult *r = &g_array_index (c->results, RunModelResult, i);
    if (r->verdict == RUN_MODEL_VIOLATED)
      return RUN_VIOLATION;
    undecided |= r->verdict == RUN_MODEL_UNDECIDED;
  }
  return undecided ? RUN_UNKNOWN : RUN_PASS;
}

RunModelVerdict
run_checks_verdict (const RunChecks *c, const char *model)
{
  for (guint i = 0; i < c->results->len; i++) {
    const RunModelResult *r = &g_array_index (c->results, RunModelResult, i);
    if (strcmp (r->model, model) == 0)
      return r->verdict;
  }
  return RUN_MODEL_UNDECIDED;
}

const char *
run_invariant_failure (const RunChecks *c)
{
  return c->invariant_failure;
}
