/* check.c: verdicts, kinds, reports and the table of models. */
#include "checkers/check.h"
#include "checkers/linearizable.h"
#include "checkers/lin_model_coll.h"
#include "checkers/lin_model_mutex.h"

#include <string.h>

static ChkReport *
check_linearizable (const ChkHistory *h, const GArray *ops, int variant,
                    const ChkCheckOptions *opt, GError **error)
{
  return chk_linearizable_check (h, ops, opt, error);
}

/* The models of consistency.h, as reports: the first violation's sentence,
 * its witness operations as the order. */
static ChkReport *
check_consistency (const ChkHistory *h, const GArray *ops, int variant,
                   const ChkCheckOptions *opt, GError **error)
{
  ChkConsOptions copt;
  chk_cons_options_init (&copt);
  copt.deadline_us = opt->deadline_us;
  copt.max_states = opt->max_states;
  copt.memory_limit_bytes = opt->memory_limit_bytes;
  copt.quiescent_after_us = opt->quiescent_after_us;
  copt.max_violations = 1;
  g_autoptr (ChkConsResult) res = chk_consistency_check (h, ops, (ChkModel) variant, &copt,
                                                         error);
  if (res == NULL)
    return NULL;
  ChkReport *r = chk_report_new (chk_model_name ((ChkModel) variant));
  r->verdict = res->verdict;
  r->kind = CHK_KIND_REGISTER;
  r->n_ops = ops->len;
  r->n_parts = 1;
  r->states_explored = res->states;
  if (res->violations->len > 0) {
    const ChkConsViolation *v = g_ptr_array_index (res->violations, 0);
    r->explanation = g_strdup_printf ("%s: %s", v->pattern, v->explanation);
    r->order_label = "operations involved";
    for (guint k = 0; k < v->witness->len; k++) {
      int64_t idx = g_array_index (v->witness, guint, k);
      g_array_append_val (r->order, idx);
    }
  } else if (res->note != NULL) {
    r->explanation = g_strdup (res->note);
  }
  return r;
}

static ChkReport *
check_staleness (const ChkHistory *h, const GArray *ops, int variant,
                 const ChkCheckOptions *opt, GError **error)
{
  return chk_staleness_check (h, ops, opt, error);
}

/* Measures: found by name, not part of --model all. */
static const ChkChecker measures[] = {
  { "staleness", "how stale reads are: the smallest Delta for Delta-atomicity, 2-atomicity, and "
    "per-read versions and time behind", check_staleness, 0 },
  { NULL },
};

gboolean
chk_checker_is_measure (const char *name)
{
  for (const ChkChecker *c = measures; c->name != NULL; c++)
    if (strcmp (c->name, name) == 0)
      return TRUE;
  return FALSE;
}

static ChkChecker checkers[CHK_MODEL__COUNT + 2];

static gpointer
checkers_build (gpointer unused)
{
  checkers[0] = (ChkChecker) {
    "linearizable",
    "every operation takes effect at one instant between its invocation and its completion",
    check_linearizable, 0,
  };
  for (int m = 0; m < CHK_MODEL__COUNT; m++)
    checkers[m + 1] = (ChkChecker) { chk_model_name ((ChkModel) m),
                                     chk_model_definition ((ChkModel) m), check_consistency, m };
  return NULL;
}

const ChkChecker *
chk_checkers (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, checkers_build, NULL);
  return checkers;
}

const ChkChecker *
chk_checker_find (const char *name)
{
  for (const ChkChecker *c = chk_checkers (); c->name != NULL; c++)
    if (strcmp (c->name, name) == 0)
      return c;
  for (const ChkChecker *c = measures; c->name != NULL; c++)
    if (strcmp (c->name, name) == 0)
      return c;
  return NULL;
}

ChkReport *
chk_checker_run (const ChkChecker *c, const ChkHistory *h, const GArray *ops,
                 const ChkCheckOptions *opt, GError **error)
{
  return c->check (h, ops, c->variant, opt, error);
}

static const char *const kind_names[] = {
  [CHK_KIND_AUTO] = "auto",
  [CHK_KIND_REGISTER] = "register",
  [CHK_KIND_CAS_REGISTER] = "cas-register",
  [CHK_KIND_KV] = "kv",
  [CHK_KIND_MUTEX] = "mutex",
  [CHK_KIND_SET] = "set",
  [CHK_KIND_UNORDERED_QUEUE] = "unordered-queue",
  [CHK_KIND_FIFO_QUEUE] = "fifo-queue",
  [CHK_KIND_MULTI_REGISTER] = "multi-register",
};

const char *
chk_kind_name (ChkKind k)
{
  g_assert ((guint) k < G_N_ELEMENTS (kind_names));
  return kind_names[k];
}

gboolean
chk_kind_from_name (const char *name, ChkKind *kind)
{
  for (guint k = 0; k < G_N_ELEMENTS (kind_names); k++)
    if (strcmp (name, kind_names[k]) == 0) {
      *kind = (ChkKind) k;
      return TRUE;
    }
  return FALSE;
}

static const char *
op_fn_name (const ChkHistory *h, const ChkOp *op)
{
  ChkEvent ev_ev = chk_history_event (h, (guint) op->call);
  const ChkEvent *ev = &ev_ev;
  if (ev->f_name >= 0)
    return chk_history_string (h, ev->f_name);
  static const char *const names[] = { "read", "write", "cas", "append", "other" };
  return names[op->f];
}

static gboolean
kind_allows (ChkKind kind, ChkFn f, const char *name)
{
  if (kind == CHK_KIND_MUTEX)
    return f == CHK_F_OTHER && lin_mutex_is_op (name);
  if (lin_coll_kind_of (kind) != LIN_COLL_NONE)
    return lin_coll_allows (lin_coll_kind_of (kind), f, name);
  switch (f) {
  case CHK_F_READ: case CHK_F_WRITE: return TRUE;
  case CHK_F_CAS: return kind == CHK_KIND_CAS_REGISTER;
  case CHK_F_APPEND: return kind == CHK_KIND_KV;
  case CHK_F_OTHER: return FALSE;
  }
  return FALSE;
}

gboolean
chk_kind_detect (const ChkHistory *h, const GArray *ops, ChkKind forced, ChkKind *kind,
                 GError **error)
{
  ChkKind k = forced;
  if (k == CHK_KIND_AUTO) {
    gboolean kv = FALSE, cas = FALSE, mutex = FALSE;
    LinCollKind coll = LIN_COLL_NONE;
    gboolean set_read = FALSE; /* a read that returned a collection */
    for (guint i = 0; i < ops->len; i++) {
      const ChkOp *op = &g_array_index (ops, ChkOp, i);
      const char *name = op_fn_name (h, op);
      kv = kv || op->f == CHK_F_APPEND || strcmp (name, "get") == 0 || strcmp (name, "put") == 0;
      cas = cas || op->f == CHK_F_CAS;
      mutex = mutex || (op->f == CHK_F_OTHER && lin_mutex_is_op (name));
      if (coll == LIN_COLL_NONE && op->f == CHK_F_OTHER)
        coll = lin_coll_detect (name);
      set_read = set_read || (op->f == CHK_F_READ && chk_op_output (op).kind == CHK_VAL_LIST);
    }
    /* A keyed EDN file of one map per line reads as a Porcupine kv log:
     * operations of another kind decide before the format does. */
    k = kv ? CHK_KIND_KV : mutex ? CHK_KIND_MUTEX
        : coll != LIN_COLL_NONE ? lin_coll_chk_kind (coll) : set_read ? CHK_KIND_SET
        : h->format == CHK_FORMAT_PORCUPINE_KV ? CHK_KIND_KV
        : cas ? CHK_KIND_CAS_REGISTER : CHK_KIND_REGISTER;
  }
  for (guint i = 0; i < ops->len; i++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, i);
    if (kind_allows (k, op->f, op_fn_name (h, op)))
      continue;
    ChkEvent ev_ev = chk_history_event (h, (guint) op->call);
    const ChkEvent *ev = &ev_ev;
    g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                 "%s:%u:%u: operation '%s' of process %" G_GINT64_FORMAT " is not one of the %s "
                 "kind (expected %s)", h->source != NULL ? h->source : "<history>", ev->line,
                 MAX (ev->column, 1),
                 op_fn_name (h, op), op->process, chk_kind_name (k),
                 k == CHK_KIND_REGISTER       ? "read or write"
                 : k == CHK_KIND_CAS_REGISTER ? "read, write or cas"
                 : k == CHK_KIND_MUTEX        ? "acquire or release"
                 : lin_coll_kind_of (k) != LIN_COLL_NONE
                   ? lin_coll_ops_text (lin_coll_kind_of (k))
                   : "get, put or append");
    return FALSE;
  }
  *kind = k;
  return TRUE;
}

void
chk_check_options_init (ChkCheckOptions *o)
{
  *o = (ChkCheckOptions) { .kind = CHK_KIND_AUTO, .jobs = 1, .quiescent_after_us = -1 };
}

ChkReport *
chk_report_new (const char *model)
{
  ChkReport *r = g_new0 (ChkReport, 1);
  r->model = model;
  r->key = -1;
  r->culprit = -1;
  r->order_label = "longest linearizable prefix";
  r->order = g_array_new (FALSE, FALSE, sizeof (int64_t));
  r->concurrent = g_array_new (FALSE, FALSE, sizeof (int64_t));
  return r;
}

void
chk_report_free (ChkReport *r)
{
  if (r == NULL)
    return;
  g_free (r->explanation);
  g_free (r->state_before);
  g_array_unref (r->order);
  g_array_unref (r->concurrent);
  if (r->staleness != NULL)
    g_free (r->staleness->two_atomic_why);
  g_free (r->staleness);
  g_free (r);
}
