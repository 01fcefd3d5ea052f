/* lin_explain.c: the plain-words explanation of a linearizability
 * violation.
 *
 * The search's longest linearizable prefix ends in a configuration where
 * the culprit (the completed operation with the earliest completion not
 * yet linearized) cannot take effect: the model rejects it in the state the
 * prefix leaves.  The sentence says what the culprit saw, which operation
 * set the value it contradicts, and whether any other operation could have
 * changed that value in time. */
#include "checkers/lin_explain.h"

#include <string.h>

char *
lin_explain_seconds (int64_t us)
{
  char *s = g_strdup_printf ("%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT, us / 1000000,
                             us % 1000000);
  gsize len = strlen (s);
  gsize dot = len - 7;
  while (len > dot + 3 && s[len - 1] == '0')
    s[--len] = '\0';
  char *out = g_strconcat (s, " s", NULL);
  g_free (s);
  return out;
}

const ChkOp *
lin_explain_op (const LinExplainPart *p, int32_t li)
{
  return &g_array_index (p->ops, ChkOp, p->lops[li].op);
}

char *
lin_explain_when (const LinExplainPart *p, int64_t pos)
{
  ChkEvent ev_ev = chk_history_event (p->h, (guint) pos);
  const ChkEvent *ev = &ev_ev;
  if (ev->time_us >= 0) {
    g_autofree char *t = lin_explain_seconds (ev->time_us);
    return g_strconcat ("at ", t, NULL);
  }
  return g_strdup_printf ("at line %u", ev->line);
}

static char *
value_text (const LinExplainPart *p, uint32_t id)
{
  if (p->kind == CHK_KIND_KV)
    return g_strdup_printf ("\"%s\"", lin_model_text (p->model, id));
  int kind;
  int64_t i, j;
  lin_model_value (p->model, id, &kind, &i, &j);
  switch (kind) {
  case CHK_LIN_VALUE_INT: return g_strdup_printf ("%" G_GINT64_FORMAT, i);
  case CHK_LIN_VALUE_STR: return g_strdup_printf ("\"%s\"", chk_history_string (p->h, (int32_t) i));
  case CHK_LIN_VALUE_PAIR: return g_strdup_printf ("[%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "]", i, j);
  default: return g_strdup ("nil");
  }
}

static const char *
fn_name (const LinExplainPart *p, const ChkOp *op)
{
  ChkEvent ev_ev = chk_history_event (p->h, (guint) op->call);
  const ChkEvent *ev = &ev_ev;
  if (ev->f_name >= 0)
    return chk_history_string (p->h, ev->f_name);
  static const char *const names[] = { "read", "write", "cas", "append", "other" };
  return names[op->f];
}

/* "write 5 by process 1", "cas from 3 to 0 by process 2" */
static char *
op_phrase (const LinExplainPart *p, int32_t li, gboolean with_key)
{
  const LinOp *lo = &p->lops[li];
  const ChkOp *op = lin_explain_op (p, li);
  g_autofree char *a = value_text (p, lo->a);
  g_autofree char *b = value_text (p, lo->b);
  g_autofree char *key = NULL;
  if (with_key && op->key >= 0)
    key = g_strdup_printf (" of key %s", chk_history_string (p->h, op->key));
  const char *f = fn_name (p, op);
  switch ((LinOpKind) lo->kind) {
  case LIN_READ:
    return g_strdup_printf ("%s%s by process %" G_GINT64_FORMAT, f, key ? key : "", op->process);
  case LIN_WRITE: case LIN_APPEND:
    return g_strdup_printf ("%s %s%s by process %" G_GINT64_FORMAT, f, a, key ? key : "",
                            op->process);
  case LIN_CAS: case LIN_CAS_MISMATCH: case LIN_CAS_UNKNOWN:
    return g_strdup_printf ("%s%s from %s to %s by process %" G_GINT64_FORMAT, f, key ? key : "",
                            a, b, op->process);
  default: break; /* collections: lin_explain_coll */
  }
  g_assert_not_reached ();
}

static gboolean
sets_value (const LinOp *lo, uint32_t v)
{
  return (lo->kind == LIN_WRITE && lo->a == v)
         || ((lo->kind == LIN_CAS || lo->kind == LIN_CAS_UNKNOWN) && lo->b == v);
}

static gboolean
sets_other_value (const LinOp *lo, uint32_t v)
{
  return (lo->kind == LIN_WRITE && lo->a != v)
         || ((lo->kind == LIN_CAS || lo->kind == LIN_CAS_UNKNOWN) && lo->b != v);
}

/* A real-time proof, independent of the search: a definite write x of a
 * value the culprit contradicts, completed before the culprit began, with
 * no operation that could set the value back invoked before the culprit
 * completed and completing after x began.  The most recent such x, or -1. */
static int32_t
stale_witness (const LinExplainPart *p, const LinOp *c)
{
  gboolean mismatch = c->kind == LIN_CAS_MISMATCH;
  int32_t best = -1;
  for (guint xi = 0; xi < p->n_lops; xi++) {
    const LinOp *x = &p->lops[xi];
    if ((int32_t) xi == p->culprit || x->slot != c->slot || x->ret == G_MAXINT64
        || x->ret >= c->call || (x->kind != LIN_WRITE && x->kind != LIN_CAS))
      continue;
    uint32_t xv = x->kind == LIN_WRITE ? x->a : x->b;
    if (mismatch ? xv != c->a : xv == c->a)
      continue;
    if (best >= 0 && p->lops[best].ret > x->ret)
      continue;
    gboolean restorable = FALSE;
    for (guint yi = 0; yi < p->n_lops && !restorable; yi++) {
      const LinOp *y = &p->lops[yi];
      if (yi == xi || (int32_t) yi == p->culprit || y->slot != c->slot || y->call >= c->ret
          || y->ret <= x->call)
        continue;
      restorable = mismatch ? sets_other_value (y, c->a) : sets_value (y, c->a);
    }
    if (!restorable)
      best = (int32_t) xi;
  }
  return best;
}

/* kv: the same kind of proof.  A put or append x that completed before the
 * get began, with no put that could come between them, must show in what
 * the get returned: as its start (put) or somewhere in it (append).  The
 * most recent such x that does not, or -1. */
static int32_t
kv_stale_witness (const LinExplainPart *p, const LinOp *c)
{
  const char *got = lin_model_text (p->model, c->a);
  int32_t best = -1;
  for (guint xi = 0; xi < p->n_lops; xi++) {
    const LinOp *x = &p->lops[xi];
    if ((int32_t) xi == p->culprit || x->slot != c->slot || x->ret == G_MAXINT64
        || x->ret >= c->call || (x->kind != LIN_WRITE && x->kind != LIN_APPEND))
      continue;
    const char *val = lin_model_text (p->model, x->a);
    if (x->kind == LIN_WRITE ? g_str_has_prefix (got, val) : strstr (got, val) != NULL)
      continue;
    if (best >= 0 && p->lops[best].ret > x->ret)
      continue;
    gboolean reset = FALSE;
    for (guint yi = 0; yi < p->n_lops && !reset; yi++) {
      const LinOp *y = &p->lops[yi];
      reset = yi != xi && y->slot == c->slot && y->kind == LIN_WRITE && y->call < c->ret
              && y->ret > x->call;
    }
    if (!reset)
      best = (int32_t) xi;
  }
  return best;
}

/* Is every write of value `newer` invoked after some write of `older` had
 * completed (older 0: the initial nil)?  FALSE if nothing wrote `newer`. */
static gboolean
is_written_after (const LinExplainPart *p, uint32_t slot, uint32_t newer, uint32_t older)
{
  gboolean written = FALSE;
  for (guint wv = 0; wv < p->n_lops; wv++) {
    if (p->lops[wv].slot != slot || !sets_value (&p->lops[wv], newer))
      continue;
    written = TRUE;
    gboolean after = older == 0;
    for (guint wu = 0; wu < p->n_lops && !after; wu++)
      after = p->lops[wu].slot == slot && sets_value (&p->lops[wu], older)
              && p->lops[wu].ret < p->lops[wv].call;
    if (!after)
      return FALSE;
  }
  return written;
}

/* The new-old inversion: a read returns a value older than one an earlier
 * read returned, the earlier read having ended before the later began
 * ("older": written before every write of the newer value was invoked, or
 * the initial nil).  Quorum systems whose reads do not write back show it.
 * The culprit may be either read; returns the other one (an index into
 * lops) and sets *is_culprit_later, or -1. */
static int32_t
inversion_witness (const LinExplainPart *p, const LinOp *c, gboolean *is_culprit_later)
{
  if (c->kind != LIN_READ || p->kind == CHK_KIND_KV)
    return -1;
  for (guint li = 0; li < p->n_lops; li++) {
    const LinOp *o = &p->lops[li];
    if (o->kind != LIN_READ || o->slot != c->slot || o->a == c->a)
      continue;
    if (o->ret < c->call && o->a != 0 && is_written_after (p, c->slot, o->a, c->a)) {
      *is_culprit_later = TRUE;
      return (int32_t) li;
    }
    if (c->ret < o->call && c->a != 0 && is_written_after (p, c->slot, c->a, o->a)) {
      *is_culprit_later = FALSE;
      return (int32_t) li;
    }
  }
  return -1;
}

static void lin_explain_sentence (const LinExplainPart *p, ChkReport *r);

void
lin_explain (const LinExplainPart *p, ChkReport *r)
{
  if (lin_model_coll (p->model) != 0) {
    lin_explain_coll (p, r);
    return;
  }
  lin_explain_sentence (p, r);
  const LinOp *c = &p->lops[p->culprit];
  gboolean is_later = FALSE;
  int32_t x = inversion_witness (p, c, &is_later);
  if (x < 0 || r->explanation == NULL)
    return;
  g_autofree char *other = op_phrase (p, x, FALSE);
  g_autofree char *plain = g_steal_pointer (&r->explanation);
  g_autofree char *xv = value_text (p, p->lops[x].a);
  g_autofree char *cv = value_text (p, c->a);
  if (is_later) {
    g_autofree char *at = lin_explain_when (p, p->lops[x].ret);
    r->explanation = g_strdup_printf ("%s; a new-old inversion: %s returned the newer %s and "
                                      "completed %s, before this read of the older %s began",
                                      plain, other, xv, at, cv);
  } else {
    g_autofree char *at = lin_explain_when (p, c->ret);
    r->explanation = g_strdup_printf ("%s; a new-old inversion: this read of the newer %s "
                                      "completed %s, and %s, which began after that, returned "
                                      "the older %s", plain, cv, at, other, xv);
  }
}

static void
lin_explain_sentence (const LinExplainPart *p, ChkReport *r)
{
  g_assert (p->culprit >= 0 && (guint) p->culprit < p->n_lops);
  const LinOp *c = &p->lops[p->culprit];
  const ChkOp *cop = lin_explain_op (p, p->culprit);
  r->key = cop->key;
  r->culprit = c->op;

  /* The prefix, and the last operation in it that set the culprit's key. */
  g_autofree gboolean *in_prefix = g_new0 (gboolean, p->n_lops);
  int32_t setter = -1;
  uint32_t slot_state = 0;
  LinModel *m = p->model;
  uint32_t st = 0;
  for (guint k = 0; k < p->order->len; k++) {
    uint32_t li = g_array_index (p->order, uint32_t, k);
    in_prefix[li] = TRUE;
    g_array_append_val (r->order, p->lops[li].op);
    const LinOp *lo = &p->lops[li];
    uint32_t before = lin_model_slot_state (m, st, c->slot), next;
    gboolean ok = lin_model_n_slots (m) == 1 ? lin_model_step_slot (m, st, lo, &next)
                                             : lin_model_step_vector (m, st, lo, &next);
    g_assert (ok);
    st = next;
    if (lo->slot == c->slot
        && (lo->kind == LIN_WRITE || lo->kind == LIN_CAS || lo->kind == LIN_APPEND
            || (lo->kind == LIN_CAS_UNKNOWN && before == lo->a)))
      setter = (int32_t) li;
  }
  g_assert (st == p->state);
  slot_state = lin_model_slot_state (m, st, c->slot);
  r->state_before = value_text (p, slot_state);

  for (guint li = 0; li < p->n_lops; li++) {
    const LinOp *lo = &p->lops[li];
    if ((int32_t) li != p->culprit && lo->call < c->ret && lo->ret > c->call)
      g_array_append_val (r->concurrent, lo->op);
  }

  /* What the culprit saw. */
  g_autofree char *what = op_phrase (p, p->culprit, TRUE);
  g_autofree char *at = lin_explain_when (p, c->ret);
  g_autofree char *need = value_text (p, c->a);
  g_autofree char *saw = NULL;
  switch ((LinOpKind) c->kind) {
  case LIN_READ: saw = g_strdup_printf ("%s %s returned %s", what, at, need); break;
  case LIN_CAS: saw = g_strdup_printf ("%s %s succeeded", what, at); break;
  case LIN_CAS_MISMATCH:
    saw = g_strdup_printf ("%s %s failed, so the value was not %s", what, at, need);
    break;
  default: {
    /* Accepted by the model, but nothing can follow it. */
    r->explanation = g_strdup_printf (
      "%s %s cannot be placed: after the longest linearizable prefix (%u operations, value "
      "%s), no order of the %u operations concurrent with it is consistent",
      what, at, p->order->len, r->state_before, r->concurrent->len);
    return;
  }
  }

  if (p->kind == CHK_KIND_KV && c->kind == LIN_READ) {
    int32_t x = kv_stale_witness (p, c);
    if (x >= 0) {
      const LinOp *xo = &p->lops[x];
      g_autofree char *w = op_phrase (p, x, FALSE);
      g_autofree char *wat = lin_explain_when (p, xo->ret);
      g_autofree char *val = value_text (p, xo->a);
      r->explanation = g_strdup_printf (
        "%s, but %s completed %s, before the %s began, and no put could replace the value in "
        "between, so the value had to %s %s", saw, w, wat, fn_name (p, cop),
        xo->kind == LIN_WRITE ? "start with" : "contain", val);
      return;
    }
  }
  if (p->kind != CHK_KIND_KV) {
    gboolean written = c->a == 0 && c->kind != LIN_CAS_MISMATCH; /* the initial nil */
    for (guint li = 0; li < p->n_lops && !written; li++)
      written = (int32_t) li != p->culprit && p->lops[li].slot == c->slot
                && (c->kind == LIN_CAS_MISMATCH ? sets_other_value (&p->lops[li], c->a)
                                                 : sets_value (&p->lops[li], c->a));
    if (!written) {
      r->explanation = g_strdup_printf ("%s, but no operation ever wrote %s", saw,
                                        c->kind == LIN_CAS_MISMATCH ? "another value" : need);
      return;
    }
    int32_t x = stale_witness (p, c);
    if (x >= 0) {
      g_autofree char *w = op_phrase (p, x, FALSE);
      g_autofree char *wat = lin_explain_when (p, p->lops[x].ret);
      r->explanation = g_strdup_printf ("%s, but %s completed %s and no later write of %s exists",
                                        saw, w, wat,
                                        c->kind == LIN_CAS_MISMATCH ? "another value" : need);
      return;
    }
  }

  /* No proof from real time alone: tell what the longest linearizable
   * order leaves, and who set it there. */
  g_autofree char *held = NULL;
  if (setter < 0) {
    held = g_strdup_printf ("the value was still the initial %s", r->state_before);
  } else {
    g_autofree char *w = op_phrase (p, setter, FALSE);
    const LinOp *wo = &p->lops[setter];
    if (wo->ret != G_MAXINT64 && wo->ret < c->call) {
      g_autofree char *wat = lin_explain_when (p, wo->ret);
      held = g_strdup_printf ("%s completed %s", w, wat);
    } else if (wo->ret != G_MAXINT64) {
      g_autofree char *wat = lin_explain_when (p, wo->ret);
      held = g_strdup_printf ("the longest linearizable order puts %s (completed %s) last before it",
                              w, wat);
    } else {
      g_autofree char *wat = lin_explain_when (p, wo->call);
      held = g_strdup_printf ("the longest linearizable order puts %s (invoked %s, outcome "
                              "unknown) last before it", w, wat);
    }
    g_autofree char *plain = g_steal_pointer (&held);
    held = g_strdup_printf ("%s, leaving %s,", plain, r->state_before);
  }

  /* Could anything else have changed it in time? */
  guint later = 0;
  for (guint li = 0; li < p->n_lops; li++) {
    const LinOp *lo = &p->lops[li];
    if (in_prefix[li] || (int32_t) li == p->culprit || lo->slot != c->slot || lo->call >= c->ret)
      continue;
    if (p->kind == CHK_KIND_KV ? lo->kind == LIN_WRITE || lo->kind == LIN_APPEND
        : c->kind == LIN_CAS_MISMATCH ? sets_other_value (lo, c->a) : sets_value (lo, c->a))
      later++;
  }
  g_autofree char *tail = NULL;
  if (p->kind == CHK_KIND_KV)
    tail = later == 0 ? g_strdup_printf ("no later put or append exists")
                      : g_strdup_printf ("no order of the %u later puts and appends gives %s",
                                         later, need);
  else if (c->kind == LIN_CAS_MISMATCH)
    tail = later == 0 ? g_strdup ("no later write of another value exists")
                      : g_strdup ("no later write of another value can take effect without "
                                  "breaking another operation");
  else
    tail = later == 0 ? g_strdup_printf ("no later write of %s exists", need)
                      : g_strdup_printf ("no later write of %s can take effect without breaking "
                                         "another operation", need);
  r->explanation = g_strdup_printf ("%s, but %s and %s", saw, held, tail);
}

/* The value an operation of a zone proof stands for: what a read returned,
 * what a write or cas wrote. */
static uint32_t
zone_value (const LinOp *lo)
{
  return lo->kind == LIN_CAS || lo->kind == LIN_CAS_UNKNOWN ? lo->b : lo->a;
}

/* "write 5 by process 1", "read of 5 by process 3" */
static char *
zone_phrase (const LinExplainPart *p, int32_t li)
{
  const LinOp *lo = &p->lops[li];
  if (lo->kind != LIN_READ)
    return op_phrase (p, li, FALSE);
  const ChkOp *op = lin_explain_op (p, li);
  g_autofree char *v = value_text (p, lo->a);
  return g_strdup_printf ("%s of %s by process %" G_GINT64_FORMAT, fn_name (p, op), v,
                          op->process);
}

/* A read of a newer value that completed before the culprit, a read of an
 * older one, began: a new-old inversion, said as lin_explain says it. */
static void
zones_inversion (const LinExplainPart *p, int32_t earlier, ChkReport *r)
{
  const LinOp *c = &p->lops[p->culprit];
  const LinOp *x = &p->lops[earlier];
  if (c->kind != LIN_READ || x->kind != LIN_READ || x->a == c->a || x->ret >= c->call)
    return;
  g_autofree char *other = op_phrase (p, earlier, FALSE);
  g_autofree char *plain = g_steal_pointer (&r->explanation);
  g_autofree char *xv = value_text (p, x->a);
  g_autofree char *cv = value_text (p, c->a);
  g_autofree char *at = lin_explain_when (p, x->ret);
  r->explanation = g_strdup_printf ("%s; a new-old inversion: %s returned the newer %s and "
                                    "completed %s, before this read of the older %s began",
                                    plain, other, xv, at, cv);
}

void
lin_explain_zones (const LinExplainPart *p, const LinZonesWitness *w, ChkReport *r)
{
  g_assert (p->culprit >= 0 && (guint) p->culprit < p->n_lops && w->culprit == p->culprit);
  const LinOp *c = &p->lops[p->culprit];
  const ChkOp *cop = lin_explain_op (p, p->culprit);
  r->key = cop->key;
  r->culprit = c->op;
  r->order_label = "a linearizable prefix";
  for (guint k = 0; k < p->order->len; k++)
    g_array_append_val (r->order, p->lops[g_array_index (p->order, uint32_t, k)].op);
  r->state_before = value_text (p, p->state);
  for (guint li = 0; li < p->n_lops; li++) {
    const LinOp *lo = &p->lops[li];
    if ((int32_t) li != p->culprit && lo->call < c->ret && lo->ret > c->call)
      g_array_append_val (r->concurrent, lo->op);
  }

  g_autofree char *what = op_phrase (p, p->culprit, TRUE);
  g_autofree char *at = lin_explain_when (p, c->ret);
  g_autofree char *need = value_text (p, c->a);
  g_autofree char *saw = c->kind == LIN_READ
                           ? g_strdup_printf ("%s %s returned %s", what, at, need)
                           : g_strdup_printf ("%s %s succeeded", what, at);
  const char *fn = fn_name (p, cop);
  switch (w->proof) {
  case LIN_ZONES_UNWRITTEN:
    r->explanation = g_strdup_printf ("%s, but no operation ever wrote %s", saw, need);
    return;
  case LIN_ZONES_STALE: {
    const LinOp *x = &p->lops[w->other];
    g_autofree char *xp = zone_phrase (p, w->other);
    g_autofree char *xat = lin_explain_when (p, x->ret);
    if (x->kind != LIN_READ && x->a == c->a) /* the cas that replaced it */
      r->explanation = g_strdup_printf ("%s, but %s completed %s and no later write of %s exists",
                                        saw, xp, xat, need);
    else {
      g_autofree char *xv = value_text (p, zone_value (x));
      r->explanation = g_strdup_printf (
        "%s, but %s completed %s, before the %s began; cas operations wrote %s after %s, and no "
        "later write of %s exists", saw, xp, xat, fn, xv, need, need);
    }
    zones_inversion (p, w->other, r);
    return;
  }
  case LIN_ZONES_EARLY: {
    const LinOp *y = &p->lops[w->other];
    g_autofree char *yp = zone_phrase (p, w->other);
    g_autofree char *yat = lin_explain_when (p, y->call);
    g_autofree char *yv = value_text (p, zone_value (y));
    if (zone_value (y) == c->a)
      r->explanation = g_strdup_printf ("%s, but %s, the only write of %s, began %s, after the "
                                        "%s completed", saw, yp, yv, yat, fn);
    else
      r->explanation = g_strdup_printf (
        "%s, but %s, the only write of %s, began %s, after the %s completed, and cas "
        "operations wrote %s only after %s", saw, yp, yv, yat, fn, need, yv);
    return;
  }
  case LIN_ZONES_ORDER: {
    const LinOp *xb = &p->lops[w->x_b];
    g_autofree char *xbp = zone_phrase (p, w->x_b);
    g_autofree char *xbat = lin_explain_when (p, xb->ret);
    if (w->x_a < 0) {
      r->explanation = g_strdup_printf ("%s, but %s completed %s and no later write of %s exists",
                                        saw, xbp, xbat, need);
      zones_inversion (p, w->x_b, r);
      return;
    }
    const LinOp *xa = &p->lops[w->x_a];
    const LinOp *yb = &p->lops[w->y_b];
    g_autofree char *xap = zone_phrase (p, w->x_a);
    g_autofree char *xaat = lin_explain_when (p, xa->ret);
    g_autofree char *ybat = lin_explain_when (p, yb->call);
    g_autofree char *av = value_text (p, zone_value (xa));
    g_autofree char *bv = value_text (p, zone_value (xb));
    if (w->x_b == w->y_b)
      r->explanation = g_strdup_printf (
        "%s, but %s began %s, after %s completed %s, and completed %s, before the %s began, so "
        "%s was written after %s, and no later write of %s exists", saw, xbp, ybat, xap, xaat,
        xbat, fn, bv, av, need);
    else {
      g_autofree char *ybp = zone_phrase (p, w->y_b);
      r->explanation = g_strdup_printf (
        "%s, but %s completed %s, before the %s began, and %s began %s, after %s completed %s, "
        "so %s was written after %s, and no later write of %s exists", saw, xbp, xbat, fn, ybp,
        ybat, xap, xaat, bv, av, need);
    }
    zones_inversion (p, w->x_b, r);
    return;
  }
  }
  g_assert_not_reached ();
}
