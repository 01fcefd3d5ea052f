/* lin_explain_coll.c: the plain-words explanation of a linearizability
 * violation of a set, a queue or a multi-register, in the model's terms:
 * the element a read lacks or has too many, the element a dequeue cannot
 * take, the register a txn read that no order explains.
 *
 * As for registers (lin_explain.c), a proof from real time alone is given
 * when there is one (an add completed before the read began; an element
 * never enqueued; a write completed before the txn began with no later
 * write of what it read); else the sentence tells the state the longest
 * linearizable prefix leaves. */
#include "checkers/lin_explain.h"
#include "checkers/lin_model_coll.h"

#include <string.h>

static const char *
fn_name (const LinExplainPart *p, int32_t li)
{
  ChkEvent ev_ev = chk_history_event (p->h, (guint) lin_explain_op (p, li)->call);
  const ChkEvent *ev = &ev_ev;
  return ev->f_name >= 0 ? chk_history_string (p->h, ev->f_name) : "read";
}

static char *
value (const LinExplainPart *p, uint32_t v)
{
  return lin_coll_value_text (p->model, p->h, v);
}

/* "add 3 by process 1", "dequeue by process 2", "txn by process 4" */
static char *
phrase (const LinExplainPart *p, int32_t li)
{
  const LinOp *lo = &p->lops[li];
  const ChkOp *op = lin_explain_op (p, li);
  if (lo->kind == LIN_SET_ADD || lo->kind == LIN_ENQUEUE) {
    g_autofree char *v = value (p, lo->a);
    return g_strdup_printf ("%s %s by process %" G_GINT64_FORMAT, fn_name (p, li), v, op->process);
  }
  return g_strdup_printf ("%s by process %" G_GINT64_FORMAT, fn_name (p, li), op->process);
}

static gboolean
seq_has (const LinModel *m, uint32_t seq, uint32_t v)
{
  guint n;
  const uint32_t *items = lin_seqs_get (m, seq, &n);
  for (guint k = 0; k < n; k++)
    if (items[k] == v)
      return TRUE;
  return FALSE;
}

/* TRUE if operation li acts on the culprit's key (a history checked with
 * --no-split has several). */
static inline gboolean
in_slot (const LinExplainPart *p, guint li)
{
  return p->lops[li].slot == p->lops[p->culprit].slot;
}

/* The last value a txn writes to register r; FALSE if it writes none. */
static gboolean
txn_last_write (const LinModel *m, const LinOp *lo, uint32_t r, uint32_t *v)
{
  if (lo->kind != LIN_TXN)
    return FALSE;
  guint n;
  const uint32_t *t = lin_seqs_get (m, lo->a, &n);
  gboolean found = FALSE;
  for (guint k = 0; k + 2 < n; k += 3)
    if (t[k] == LIN_TXN_WRITE && t[k + 1] == r) {
      *v = t[k + 2];
      found = TRUE;
    }
  return found;
}

/* The number of operations of kind `kind` with operand v, other than the
 * culprit. */
static guint
count_ops (const LinExplainPart *p, LinOpKind kind, uint32_t v, gboolean completed_only)
{
  guint n = 0;
  for (guint li = 0; li < p->n_lops; li++)
    n += (int32_t) li != p->culprit && in_slot (p, li) && p->lops[li].kind == kind
         && p->lops[li].a == v
         && (!completed_only || p->lops[li].ret != G_MAXINT64);
  return n;
}

static char *
explain_set_read (const LinExplainPart *p, const char *saw, const char *state)
{
  const LinOp *c = &p->lops[p->culprit];
  LinModel *m = p->model;
  guint n;
  const uint32_t *got = lin_seqs_get (m, c->b, &n);
  for (guint k = 0; k < n; k++)
    if (count_ops (p, LIN_SET_ADD, got[k], FALSE) == 0) {
      g_autofree char *e = value (p, got[k]);
      return g_strdup_printf ("%s, but no operation ever added %s", saw, e);
    }
  /* An add completed before the read began: the read must hold its element. */
  for (guint li = 0; li < p->n_lops; li++) {
    const LinOp *a = &p->lops[li];
    if (a->kind != LIN_SET_ADD || !in_slot (p, li) || a->ret == G_MAXINT64 || a->ret >= c->call
        || seq_has (m, c->b, a->a))
      continue;
    g_autofree char *w = phrase (p, (int32_t) li);
    g_autofree char *at = lin_explain_when (p, a->ret);
    g_autofree char *e = value (p, a->a);
    return g_strdup_printf ("%s, without %s, but %s completed %s, before the read began, and an "
                            "element once added stays in the set", saw, e, w, at);
  }
  guint later = 0;
  for (guint li = 0; li < p->n_lops; li++)
    later += in_slot (p, li) && p->lops[li].kind == LIN_SET_ADD && p->lops[li].call < c->ret;
  return g_strdup_printf ("%s, but after the longest linearizable prefix (%u operation%s) the "
                          "set was %s, and no order of the %u adds invoked before the read "
                          "completed gives what it returned", saw, p->order->len,
                          p->order->len == 1 ? "" : "s", state, later);
}

static char *
explain_dequeue (const LinExplainPart *p, const char *saw, const char *state)
{
  const LinOp *c = &p->lops[p->culprit];
  LinModel *m = p->model;
  g_autofree char *e = value (p, c->a);
  guint enq = count_ops (p, LIN_ENQUEUE, c->a, FALSE);
  if (c->a == 0 && enq == 0)
    return g_strdup_printf ("%s nothing (nil), but a dequeue takes an element and no operation "
                            "ever enqueued nil (Jepsen records a dequeue from an empty queue as "
                            ":fail, which never happened)", saw);
  if (enq == 0)
    return g_strdup_printf ("%s %s, but no operation ever enqueued %s", saw, e, e);
  guint deq = count_ops (p, LIN_DEQUEUE, c->a, TRUE) + 1;
  if (deq > enq)
    return g_strdup_printf ("%s %s, but %s was enqueued %u time%s and dequeued %u times", saw, e,
                            e, enq, enq == 1 ? "" : "s", deq);
  if (lin_model_coll (m) == LIN_COLL_FIFO_QUEUE) {
    /* A proof from real time: an element enqueued before every enqueue of
     * this one began must leave first, and nothing that could take it
     * began before this dequeue completed. */
    for (guint hi = 0; hi < p->n_lops; hi++) {
      const LinOp *h = &p->lops[hi];
      if (h->kind != LIN_ENQUEUE || !in_slot (p, hi) || h->a == c->a || h->ret == G_MAXINT64)
        continue;
      gboolean ahead = TRUE;
      for (guint ei = 0; ei < p->n_lops && ahead; ei++) {
        const LinOp *o = &p->lops[ei];
        if (!in_slot (p, ei))
          continue;
        if (o->kind == LIN_ENQUEUE && o->a == c->a)
          ahead = o->call > h->ret;
        else if ((int32_t) ei != p->culprit
                 && ((o->kind == LIN_DEQUEUE && o->a == h->a) || o->kind == LIN_DEQUEUE_HEAD))
          ahead = o->call > c->ret;
      }
      if (!ahead)
        continue;
      g_autofree char *w = phrase (p, (int32_t) hi);
      g_autofree char *at = lin_explain_when (p, h->ret);
      g_autofree char *hv = value (p, h->a);
      return g_strdup_printf ("%s %s, but %s completed %s, before any enqueue of %s began, so %s "
                              "had to leave the queue first, and no dequeue that could take it "
                              "began before this one completed", saw, e, w, at, e, hv);
    }
  }
  return g_strdup_printf ("%s %s, but after the longest linearizable prefix (%u operation%s) the "
                          "queue was %s, and no order of the operations concurrent with it has %s "
                          "pending then", saw, e, p->order->len, p->order->len == 1 ? "" : "s",
                          state, e);
}

/* A txn read of register r that found `want` when the state held another
 * value. */
static char *
explain_txn_read (const LinExplainPart *p, const char *saw, uint32_t r, uint32_t want,
                  const char *state)
{
  const LinOp *c = &p->lops[p->culprit];
  LinModel *m = p->model;
  g_autofree char *reg = value (p, lin_coll_register_name (m, r));
  g_autofree char *wv = value (p, want);
  g_autofree char *head = g_strdup_printf ("%s %s = %s", saw, reg, wv);
  gboolean written = want == 0;
  for (guint li = 0; li < p->n_lops && !written; li++) {
    uint32_t v;
    written = (int32_t) li != p->culprit && in_slot (p, li)
              && txn_last_write (m, &p->lops[li], r, &v) && v == want;
  }
  if (!written)
    return g_strdup_printf ("%s, but no operation ever wrote %s to %s", head, wv, reg);
  /* A write of another value completed before the txn began, with no write
   * of `want` that could come after it in time. */
  int32_t best = -1;
  for (guint xi = 0; xi < p->n_lops; xi++) {
    const LinOp *x = &p->lops[xi];
    uint32_t xv;
    if ((int32_t) xi == p->culprit || !in_slot (p, xi) || x->ret == G_MAXINT64 || x->ret >= c->call
        || !txn_last_write (m, x, r, &xv) || xv == want)
      continue;
    if (best >= 0 && p->lops[best].ret > x->ret)
      continue;
    gboolean restorable = FALSE;
    for (guint yi = 0; yi < p->n_lops && !restorable; yi++) {
      const LinOp *y = &p->lops[yi];
      uint32_t yv;
      restorable = yi != xi && (int32_t) yi != p->culprit && in_slot (p, yi) && y->call < c->ret
                   && y->ret > x->call
                   && txn_last_write (m, y, r, &yv) && yv == want;
    }
    if (!restorable)
      best = (int32_t) xi;
  }
  /* Half a txn: the culprit read another register's value that only one
   * txn wrote, and that txn also replaced what it read here. */
  guint nt;
  const uint32_t *t = lin_seqs_get (m, c->a, &nt);
  for (guint k = 0; k + 2 < nt; k += 3) {
    uint32_t r2 = t[k + 1], v2 = t[k + 2];
    if (t[k] != LIN_TXN_READ || r2 == r || v2 == 0)
      continue;
    int32_t only = -1;
    guint writers = 0;
    for (guint wi = 0; wi < p->n_lops; wi++) {
      uint32_t w2;
      if ((int32_t) wi != p->culprit && in_slot (p, wi)
          && txn_last_write (m, &p->lops[wi], r2, &w2) && w2 == v2) {
        only = (int32_t) wi;
        writers++;
      }
    }
    uint32_t replaced;
    if (writers != 1 || !txn_last_write (m, &p->lops[only], r, &replaced) || replaced == want)
      continue;
    gboolean older = TRUE; /* every write of `want` to r is older than that txn */
    for (guint yi = 0; yi < p->n_lops && older; yi++) {
      uint32_t yv;
      older = (int32_t) yi == p->culprit || !in_slot (p, yi)
              || !txn_last_write (m, &p->lops[yi], r, &yv)
              || yv != want || p->lops[yi].ret < p->lops[only].call;
    }
    if (!older)
      continue;
    g_autofree char *w = phrase (p, only);
    g_autofree char *reg2 = value (p, lin_coll_register_name (m, r2));
    g_autofree char *val2 = value (p, v2);
    g_autofree char *rep = value (p, replaced);
    return g_strdup_printf ("%s and %s = %s, but only %s wrote %s = %s, and it also wrote %s = %s: "
                            "the txn saw half of it", head, reg2, val2, w, reg2, val2, reg, rep);
  }
  if (best >= 0) {
    uint32_t xv = 0;
    txn_last_write (m, &p->lops[best], r, &xv);
    g_autofree char *w = phrase (p, best);
    g_autofree char *at = lin_explain_when (p, p->lops[best].ret);
    g_autofree char *xs = value (p, xv);
    return g_strdup_printf ("%s, but %s wrote %s = %s and completed %s, before this txn began, "
                            "and no later write of %s to %s exists", head, w, reg, xs, at, wv,
                            reg);
  }
  return g_strdup_printf ("%s, but after the longest linearizable prefix (%u operation%s) the "
                          "registers were %s, and no order of the txns concurrent with it gives "
                          "%s = %s", head, p->order->len, p->order->len == 1 ? "" : "s", state,
                          reg, wv);
}

void
lin_explain_coll (const LinExplainPart *p, ChkReport *r)
{
  g_assert (p->culprit >= 0 && (guint) p->culprit < p->n_lops);
  LinModel *m = p->model;
  const LinOp *c = &p->lops[p->culprit];
  const ChkOp *cop = lin_explain_op (p, p->culprit);
  r->key = cop->key;
  r->culprit = c->op;
  uint32_t st = 0;
  for (guint k = 0; k < p->order->len; k++) {
    uint32_t li = g_array_index (p->order, uint32_t, k);
    g_array_append_val (r->order, p->lops[li].op);
    uint32_t next;
    gboolean ok = lin_model_n_slots (m) == 1 ? lin_model_step_slot (m, st, &p->lops[li], &next)
                                             : lin_model_step_vector (m, st, &p->lops[li], &next);
    g_assert (ok);
    st = next;
  }
  g_assert (st == p->state);
  uint32_t slot_state = lin_model_slot_state (m, st, c->slot);
  r->state_before = lin_coll_state_text (m, p->h, slot_state);
  for (guint li = 0; li < p->n_lops; li++) {
    const LinOp *lo = &p->lops[li];
    if ((int32_t) li != p->culprit && lo->call < c->ret && lo->ret > c->call)
      g_array_append_val (r->concurrent, lo->op);
  }

  g_autofree char *what = phrase (p, p->culprit);
  g_autofree char *at = lin_explain_when (p, c->ret);
  uint32_t next;
  if (lin_model_step_slot (m, slot_state, c, &next)) {
    /* Accepted by the model, but nothing can follow it. */
    r->explanation = g_strdup_printf (
      "%s %s cannot be placed: after the longest linearizable prefix (%u operation%s, %s), no "
      "order of the %u operations concurrent with it is consistent", what, at,
      p->order->len, p->order->len == 1 ? "" : "s",
      r->state_before, r->concurrent->len);
    return;
  }
  switch ((LinOpKind) c->kind) {
  case LIN_SET_READ: {
    g_autofree char *got = lin_coll_state_text (m, p->h, c->a);
    g_autofree char *saw = g_strdup_printf ("%s %s returned %s", what, at, got);
    r->explanation = explain_set_read (p, saw, r->state_before);
    return;
  }
  case LIN_DEQUEUE: {
    g_autofree char *saw = g_strdup_printf ("%s %s returned", what, at);
    r->explanation = explain_dequeue (p, saw, r->state_before);
    return;
  }
  case LIN_TXN: {
    /* The first read that fails, after the txn's own earlier writes. */
    guint n, nt;
    const uint32_t *items = lin_seqs_get (m, slot_state, &n);
    const uint32_t *t = lin_seqs_get (m, c->a, &nt);
    guint width = MAX (n, lin_coll_n_registers (m));
    g_autofree uint32_t *regs = g_new0 (uint32_t, MAX (width, 1));
    memcpy (regs, items, n * sizeof (uint32_t));
    for (guint k = 0; k + 2 < nt; k += 3) {
      if (t[k] == LIN_TXN_WRITE) {
        regs[t[k + 1]] = t[k + 2];
        continue;
      }
      if (regs[t[k + 1]] == t[k + 2])
        continue;
      g_autofree char *saw = g_strdup_printf ("%s %s read", what, at);
      r->explanation = explain_txn_read (p, saw, t[k + 1], t[k + 2], r->state_before);
      return;
    }
    break;
  }
  default:
    break;
  }
  g_assert_not_reached ();
}

/* What operation li returned, as text: a set, or a dequeued element. */
static char *
returned (const LinExplainPart *p, int32_t li)
{
  const LinOp *lo = &p->lops[li];
  return lo->kind == LIN_SET_READ ? lin_coll_state_text (p->model, p->h, lo->a)
                                  : value (p, lo->a);
}

void
lin_explain_coll_fast (const LinExplainPart *p, const LinFastWitness *w, ChkReport *r)
{
  g_assert (p->culprit >= 0 && (guint) p->culprit < p->n_lops && w->culprit == p->culprit);
  LinModel *m = p->model;
  const LinOp *c = &p->lops[p->culprit];
  r->key = lin_explain_op (p, p->culprit)->key;
  r->culprit = c->op;
  r->order_label = "a linearizable prefix";
  for (guint k = 0; k < p->order->len; k++)
    g_array_append_val (r->order, p->lops[g_array_index (p->order, uint32_t, k)].op);
  r->state_before = lin_coll_state_text (m, p->h, lin_model_slot_state (m, p->state, c->slot));
  for (guint li = 0; li < p->n_lops; li++) {
    const LinOp *lo = &p->lops[li];
    if ((int32_t) li != p->culprit && lo->call < c->ret && lo->ret > c->call)
      g_array_append_val (r->concurrent, lo->op);
  }
  gboolean is_read = c->kind == LIN_SET_READ;
  g_autofree char *what = phrase (p, p->culprit);
  g_autofree char *at = lin_explain_when (p, c->ret);
  g_autofree char *got = returned (p, p->culprit);
  g_autofree char *saw = g_strdup_printf ("%s %s returned %s", what, at, got);
  g_autofree char *x = value (p, w->elem);
  g_autofree char *y = value (p, w->elem2);
  g_autofree char *other = w->other >= 0 ? phrase (p, w->other) : NULL;
  g_autofree char *other_ret = w->other >= 0 && p->lops[w->other].ret != G_MAXINT64
                                 ? lin_explain_when (p, p->lops[w->other].ret) : NULL;
  g_autofree char *other_call = w->other >= 0 ? lin_explain_when (p, p->lops[w->other].call)
                                              : NULL;
  g_autofree char *third = w->third >= 0 ? phrase (p, w->third) : NULL;
  switch (w->proof) {
  case LIN_FAST_UNPUT:
    if (!is_read && w->elem == 0)
      r->explanation = g_strdup_printf (
        "%s %s returned nothing (nil), but a dequeue takes an element and no operation ever "
        "enqueued nil (Jepsen records a dequeue from an empty queue as :fail, which never "
        "happened)", what, at);
    else
      r->explanation = g_strdup_printf ("%s, but no operation ever %s %s", saw,
                                        is_read ? "added" : "enqueued", x);
    return;
  case LIN_FAST_TWICE:
    r->explanation = g_strdup_printf ("%s, but %s was enqueued once, and %s took it too "
                                      "(completed %s)", saw, x, other, other_ret);
    return;
  case LIN_FAST_EARLY:
    if (is_read && w->n_put > 1)
      r->explanation = g_strdup_printf ("%s, but %s, the first of the %u adds of %s, began %s, "
                                        "after the read completed", saw, other, w->n_put, x,
                                        other_call);
    else
      r->explanation = g_strdup_printf ("%s, but %s, the only %s of %s, began %s, after the %s "
                                        "completed", saw, other, is_read ? "add" : "enqueue", x,
                                        other_call, is_read ? "read" : "dequeue");
    return;
  case LIN_FAST_FEW:
    r->explanation = g_strdup_printf ("%s, but by then %u dequeue%s of %s had completed and only "
                                      "%u enqueue%s of %s had begun", saw, w->n_taken,
                                      w->n_taken == 1 ? "" : "s", x, w->n_put,
                                      w->n_put == 1 ? "" : "s", x);
    return;
  case LIN_FAST_FIFO_ORDER: {
    g_autofree char *head = g_strdup_printf (
      "%s, but %s completed %s, before %s began, so %s was ahead of %s in the queue", saw,
      other, other_ret, third, y, x);
    if (w->fourth >= 0) {
      g_autofree char *fourth = phrase (p, w->fourth);
      g_autofree char *when = lin_explain_when (p, p->lops[w->fourth].call);
      r->explanation = g_strdup_printf ("%s, and %s, which took %s, began %s, after this one "
                                        "completed", head, fourth, y, when);
    } else {
      r->explanation = g_strdup_printf ("%s, and nothing took %s before this one completed (no "
                                        "ok dequeue returned it, and no dequeue of unknown "
                                        "outcome began before)", head, y);
    }
    return;
  }
  case LIN_FAST_SET_CHAIN: {
    g_autofree char *other_got = returned (p, w->other);
    r->explanation = g_strdup_printf ("%s, with %s and without %s, but %s %s returned %s, with "
                                      "%s and without %s: the set only grows, so one of the two "
                                      "must hold the other", saw, x, y, other, other_ret,
                                      other_got, y, x);
    return;
  }
  case LIN_FAST_SET_READ_ORDER:
    r->explanation = g_strdup_printf ("%s, without %s, but %s, which returned %s, completed %s, "
                                      "before this read began, and an element once added stays "
                                      "in the set", saw, x, other, x, other_ret);
    return;
  case LIN_FAST_SET_LATE_ADD:
    r->explanation = g_strdup_printf ("%s, without %s, but %s completed %s, before the read "
                                      "began, and an element once added stays in the set", saw, x,
                                      other, other_ret);
    return;
  case LIN_FAST_SET_ADD_ORDER: {
    g_autofree char *which = w->n_put > 1 ? g_strdup_printf ("the first of the %u adds", w->n_put)
                                          : g_strdup ("the only add");
    r->explanation = g_strdup_printf ("%s, with %s and without %s, but %s completed %s, before "
                                      "%s, %s of %s, began, so %s was in the set before %s", saw,
                                      y, x, other, other_ret, third, which, y, x, y);
    return;
  }
  }
  g_assert_not_reached ();
}
