/* eventual.c: eventual consistency as convergence: once the history has
 * gone quiet, every final read of a key returns the same value, and that
 * value was written by some write of the key (or is the initial value nil
 * when no write of the key certainly happened).
 *
 * Final reads are the ok reads marked final in the history, and those
 * invoked at or after --quiescent-after.  With none there is nothing to
 * decide: the verdict is unknown. */
#include "checkers/cons_internal.h"

static gboolean
value_equal (const ChkValue *a, const ChkValue *b)
{
  gboolean an = a->kind == CHK_VAL_NONE || a->kind == CHK_VAL_NIL;
  gboolean bn = b->kind == CHK_VAL_NONE || b->kind == CHK_VAL_NIL;
  if (an || bn)
    return an && bn;
  if (a->kind != b->kind)
    return FALSE;
  switch (a->kind) {
  case CHK_VAL_INT: return a->i == b->i;
  case CHK_VAL_STR: return a->s == b->s;
  case CHK_VAL_PAIR:
    return a->i == b->i && a->j == b->j
           && chk_pair_is_nil (a, CHK_PAIR_NIL_FIRST) == chk_pair_is_nil (b, CHK_PAIR_NIL_FIRST)
           && chk_pair_is_nil (a, CHK_PAIR_NIL_SECOND) == chk_pair_is_nil (b, CHK_PAIR_NIL_SECOND);
  default: return TRUE;
  }
}

/* The value a write-like operation leaves in its key. */
static gboolean
written_value (const ChkOp *o, ChkValue *out)
{
  if (o->status == CHK_OP_FAIL)
    return FALSE;
  if (o->f == CHK_F_WRITE) {
    *out = chk_op_input (o);
    return TRUE;
  }
  if (o->f == CHK_F_CAS && chk_op_input (o).kind == CHK_VAL_PAIR) {
    *out = chk_pair_side ((ChkValue[]) { chk_op_input (o) }, CHK_PAIR_NIL_SECOND);
    return TRUE;
  }
  return FALSE;
}

static gboolean
is_final (const ChkOp *o, const ChkConsOptions *opt)
{
  if (o->f != CHK_F_READ || o->status != CHK_OP_OK)
    return FALSE;
  return o->is_final || (opt->quiescent_after_us >= 0 && o->call_time_us >= opt->quiescent_after_us);
}

void
cons_check_eventual (const ChkHistory *h, const GArray *ops, const ChkConsOptions *opt,
                     ChkConsResult *res, GError **error)
{
  /* Keys in order of their first final read. */
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (int32_t));
  g_autoptr (GArray) first = g_array_new (FALSE, FALSE, sizeof (guint));
  guint n_final = 0;
  for (guint i = 0; i < ops->len; i++) {
    const ChkOp *o = &g_array_index (ops, ChkOp, i);
    if (!is_final (o, opt))
      continue;
    n_final++;
    gboolean seen = FALSE;
    for (guint j = 0; j < keys->len && !seen; j++)
      seen = g_array_index (keys, int32_t, j) == o->key;
    if (!seen) {
      g_array_append_val (keys, o->key);
      g_array_append_val (first, i);
    }
  }
  if (n_final == 0) {
    res->verdict = CHK_VERDICT_UNKNOWN;
    res->note = g_strdup ("no final reads: mark them (\"final\": true in JSON Lines, "
                          ":final? true in EDN) or give --quiescent-after");
    return;
  }
  for (guint j = 0; j < keys->len && res->violations->len < opt->max_violations; j++) {
    int32_t key = g_array_index (keys, int32_t, j);
    guint a = g_array_index (first, guint, j);
    const ChkOp *oa = &g_array_index (ops, ChkOp, a);
    /* Do all final reads of the key agree? */
    gboolean diverged = FALSE;
    for (guint i = a + 1; i < ops->len && !diverged; i++) {
      const ChkOp *o = &g_array_index (ops, ChkOp, i);
      ChkValue out = chk_op_output (o), agreed = chk_op_output (oa);
      if (o->key != key || !is_final (o, opt) || value_equal (&out, &agreed))
        continue;
      diverged = TRUE;
      ChkConsViolation *v = cons_violation_new ("Divergence");
      g_array_append_val (v->witness, a);
      g_array_append_val (v->witness, i);
      g_autofree char *da = chk_cons_op_describe (h, ops, a);
      g_autofree char *db = chk_cons_op_describe (h, ops, i);
      v->explanation = g_strdup_printf ("final reads disagree: %s but %s, after the history "
                                        "went quiet: the replicas never converged", da, db);
      g_ptr_array_add (res->violations, v);
    }
    if (diverged)
      continue;
    /* Was the agreed value written? */
    ChkValue agreed = chk_op_output (oa);
    gboolean is_nil = agreed.kind == CHK_VAL_NONE || agreed.kind == CHK_VAL_NIL;
    int written = -1, certain = -1;
    for (guint i = 0; i < ops->len; i++) {
      const ChkOp *o = &g_array_index (ops, ChkOp, i);
      ChkValue w;
      if (o->key != key || !written_value (o, &w))
        continue;
      if (written < 0 && value_equal (&w, &agreed))
        written = (int) i;
      if (certain < 0 && o->status == CHK_OP_OK)
        certain = (int) i;
    }
    if (written >= 0 || (is_nil && certain < 0))
      continue;
    ChkConsViolation *v = cons_violation_new (is_nil ? "FinalInitRead" : "FinalThinAir");
    g_array_append_val (v->witness, a);
    g_autofree char *da = chk_cons_op_describe (h, ops, a);
    if (is_nil) {
      guint c = (guint) certain;
      g_array_append_val (v->witness, c);
      g_autofree char *dc = chk_cons_op_describe (h, ops, c);
      v->explanation = g_strdup_printf ("%s in a final read, although %s and the write "
                                        "succeeded: the write was lost", da, dc);
    } else {
      v->explanation = g_strdup_printf ("%s in a final read, but no operation wrote that "
                                        "value", da);
    }
    g_ptr_array_add (res->violations, v);
  }
  (void) error;
  res->verdict = res->violations->len > 0 ? CHK_VERDICT_VIOLATION : CHK_VERDICT_OK;
}
