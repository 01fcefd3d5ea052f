/* lin_coll_fast.c: polynomial tests for the collection models (see
 * lin_coll_fast.h).
 *
 * Semantics as for the search (linearizable.h): an ok operation took
 * effect once inside its interval [call, ret]; a failed one is not here;
 * one of unknown outcome (ret = G_MAXINT64) may take effect at any point
 * after its call, or never.  Positions are distinct event indices, so two
 * of them are never equal.
 *
 * The common argument ("points").  Suppose the model forces some
 * precedences between operations (a DAG: u before v in every
 * linearization).  Operations can be placed at points p(v) in their
 * intervals respecting the DAG iff for every v, every DAG ancestor u has
 * call(u) < ret(v).  Necessary: call(u) <= p(u) < p(v) <= ret(v).
 * Sufficient: p(v) = max{call(u) : u = v or u an ancestor of v} plus
 * depth(v) * epsilon is at least call(v), at most ret(v) (positions are
 * integers) and increases along every edge; ordering by p also keeps real
 * time (ret(u) < call(v) gives p(u) <= ret(u) < call(v) <= p(v)).  So
 * where the model's constraints are exactly a DAG, linearizability is
 * that condition, and the order by (max ancestor call, a topological
 * rank) is a linearization.  Every ok below is still replayed against
 * the model and real time before it is returned (belt and braces: a
 * failed replay gives up, and the search decides).
 *
 * unordered-queue (a multiset; dequeues of unknown outcome are not here,
 * lin_coll_is_live).  The k-th dequeue of v to complete needs k enqueues
 * of v invoked before it completes (each dequeue takes a copy an enqueue
 * put there before it).  That is also enough: match the k-th dequeue of v
 * (by completion) with the k-th enqueue of v (by invocation), place every
 * enqueue at its call and every dequeue at its completion; a matched
 * enqueue of unknown outcome takes effect at its call, an unmatched one
 * never.  So the test is exact for every unordered-queue history.
 *
 * fifo-queue, every value enqueued at most once.  Henzinger, Sezgin and
 * Vafeiadis, "Aspect-oriented linearizability proofs" (CONCUR 2013),
 * Theorem for queues, generalised by Emmi and Enea, "Sound, complete, and
 * tractable linearizability monitoring for concurrent collections" (POPL
 * 2018): a complete differentiated queue history is linearizable iff it
 * has none of
 *   VFresh: a dequeue of v that precedes (in real time) every enqueue of
 *           v, or of a v never enqueued;
 *   VRepet: two dequeues of the same v;
 *   VOrd:   enq(a) precedes enq(b), deq(b) happens, and deq(a) does not
 *           happen or deq(b) precedes deq(a);
 *   VWit:   a dequeue that returned "empty" while some value was
 *           certainly in the queue.
 * Jepsen records a dequeue that found the queue empty as :fail (it never
 * happened) and an ok dequeue of nil takes a nil that was enqueued, so
 * VWit never arises.  Completing a history: an enqueue of unknown outcome
 * whose value some dequeue returned must have happened, and completing it
 * at +infinity adds no precedence (the patterns only grow with
 * precedences); one whose value nobody dequeued is dropped, which removes
 * only patterns it was in (as `a` of VOrd it needs a completion; as `b` a
 * dequeue of its value).  A dequeue of unknown outcome takes the head if
 * any: it may be the missing deq(a) of a VOrd, never a deq(b).  So: the
 * patterns with "deq(a) does not happen" read as "no ok dequeue of a and
 * no dequeue of unknown outcome invoked before deq(b) completed" are
 * violations (sound); with the dequeues of unknown outcome dropped (one
 * allowed completion) and no pattern, the history is linearizable; in
 * between, the search decides.  The patterns are found with one sweep:
 * enqueues by completion, values b by the invocation of their enqueue,
 * the latest "leaving time" of an `a` enqueued before b kept.  The
 * linearization: a queue order pi of the values such that for j before i,
 * call(enq j) < min(ret(enq i), ret(deq i)) and call(deq j) < ret(deq i)
 * (the points condition for the chains enq(pi), deq(pi) and enq(v) ->
 * deq(v)), never-dequeued values last, found by Kahn's algorithm; then
 * points. */
#include "checkers/lin_coll_fast.h"
#include "checkers/lin_model_coll.h"

#include <stdlib.h>
#include <string.h>

#define NONE G_MAXINT64

typedef struct {
  int64_t p;     /* the max call of the op's ancestors and itself */
  int64_t rank;  /* a topological rank */
  uint32_t op;
} Placed;

static int
placed_cmp (const void *a, const void *b)
{
  const Placed *x = a, *y = b;
  if (x->p != y->p)
    return x->p < y->p ? -1 : 1;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  return (x->op > y->op) - (x->op < y->op);
}

/* TRUE if `order` keeps real time and holds every completed operation
 * once. */
static gboolean
order_keeps_real_time (const LinOp *ops, guint n, const GArray *order)
{
  g_autofree uint8_t *seen = g_new0 (uint8_t, MAX (n, 1));
  int64_t min_ret = NONE;
  for (guint k = order->len; k-- > 0;) {
    uint32_t i = g_array_index (order, uint32_t, k);
    if (i >= n || seen[i] || ops[i].call > min_ret)
      return FALSE;
    seen[i] = 1;
    min_ret = MIN (min_ret, ops[i].ret);
  }
  for (guint i = 0; i < n; i++)
    if (!seen[i] && ops[i].ret != NONE)
      return FALSE;
  return TRUE;
}

/* Sorts `pl` into f->order. */
static void
order_from_points (LinCollFast *f, Placed *pl, guint n)
{
  qsort (pl, n, sizeof (Placed), placed_cmp);
  f->order = g_array_sized_new (FALSE, FALSE, sizeof (uint32_t), n);
  for (guint k = 0; k < n; k++)
    g_array_append_val (f->order, pl[k].op);
}

static gboolean
decide_violation (LinCollFast *f, const LinFastWitness *w)
{
  f->result = LIN_RESULT_VIOLATION;
  f->witness = *w;
  f->culprit = w->culprit;
  f->state = 0;
  f->order = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  return TRUE;
}

/* Per value: the operations on it, in a compressed table (start[v] ..
 * start[v + 1] in items). */
typedef struct {
  guint *start;
  uint32_t *items;
} ByValue;

static void
by_value_build (ByValue *b, const LinOp *ops, guint n, uint32_t base, guint nv, int kind)
{
  b->start = g_new0 (guint, nv + 1);
  for (guint i = 0; i < n; i++)
    if (ops[i].kind == kind)
      b->start[ops[i].a - base + 1]++;
  for (guint v = 0; v < nv; v++)
    b->start[v + 1] += b->start[v];
  b->items = g_new (uint32_t, MAX (b->start[nv], 1));
  g_autofree guint *at = g_memdup2 (b->start, sizeof (guint) * (nv + 1));
  for (guint i = 0; i < n; i++)
    if (ops[i].kind == kind)
      b->items[at[ops[i].a - base]++] = i;
}

static void
by_value_clear (ByValue *b)
{
  g_free (b->start);
  g_free (b->items);
}

/* The operations on value v: *n of them. */
static inline const uint32_t *
by_value_get (const ByValue *b, uint32_t v, guint *n)
{
  *n = b->start[v + 1] - b->start[v];
  return b->items + b->start[v];
}

static gint
by_ret (gconstpointer a, gconstpointer b, gpointer data)
{
  const LinOp *ops = data;
  int64_t x = ops[*(const uint32_t *) a].ret, y = ops[*(const uint32_t *) b].ret;
  return (x > y) - (x < y);
}

static gint
by_call (gconstpointer a, gconstpointer b, gpointer data)
{
  const LinOp *ops = data;
  int64_t x = ops[*(const uint32_t *) a].call, y = ops[*(const uint32_t *) b].call;
  return (x > y) - (x < y);
}

/* Indices ordered by key[index], then index. */
static gint
by_key (gconstpointer a, gconstpointer b, gpointer data)
{
  const int64_t *key = data;
  uint32_t i = *(const uint32_t *) a, j = *(const uint32_t *) b;
  if (key[i] != key[j])
    return key[i] < key[j] ? -1 : 1;
  return (i > j) - (i < j);
}

static void
sort_by_key (uint32_t *items, guint n, const int64_t *key)
{
  g_qsort_with_data (items, (gint) n, sizeof (uint32_t), by_key, (gpointer) key);
}

/* Decided ok, with f->order the linearization found. */
static gboolean
decided_ok (LinCollFast *f)
{
  f->result = LIN_RESULT_OK;
  f->culprit = -1;
  f->state = 0;
  return TRUE;
}

/* ----- unordered queue ----- */

static gboolean
unordered_run (LinCollFast *f, guint nv)
{
  const LinOp *ops = f->ops;
  guint n = f->n_ops;
  for (guint i = 0; i < n; i++)
    if (ops[i].kind != LIN_ENQUEUE && (ops[i].kind != LIN_DEQUEUE || ops[i].ret == NONE))
      return FALSE;
  ByValue enq, deq;
  uint32_t base = f->base;
  by_value_build (&enq, ops, n, base, nv, LIN_ENQUEUE);
  by_value_build (&deq, ops, n, base, nv, LIN_DEQUEUE);
  g_autofree uint8_t *used = g_new0 (uint8_t, MAX (n, 1));
  LinFastWitness w = { .culprit = -1, .other = -1, .third = -1, .fourth = -1 };
  for (uint32_t v = 0; v < nv; v++) {
    guint ne, nd;
    uint32_t *e = (uint32_t *) by_value_get (&enq, v, &ne);
    uint32_t *d = (uint32_t *) by_value_get (&deq, v, &nd);
    if (nd == 0)
      continue;
    g_qsort_with_data (e, (gint) ne, sizeof (uint32_t), by_call, (gpointer) ops);
    g_qsort_with_data (d, (gint) nd, sizeof (uint32_t), by_ret, (gpointer) ops);
    for (guint k = 0; k < nd; k++) {
      if (k < ne && ops[e[k]].call < ops[d[k]].ret) {
        used[e[k]] = 1;
        continue;
      }
      /* dequeues d[0..k] completed by ret(d[k]); fewer enqueues began */
      if (w.culprit >= 0 && ops[w.culprit].ret < ops[d[k]].ret)
        break;
      guint put = 0;
      while (put < ne && ops[e[put]].call < ops[d[k]].ret)
        put++;
      w = (LinFastWitness) { .proof = ne == 0 ? LIN_FAST_UNPUT
                                      : ne == 1 && put == 0 ? LIN_FAST_EARLY : LIN_FAST_FEW,
                             .culprit = (int32_t) d[k], .other = ne == 1 ? (int32_t) e[0] : -1,
                             .third = -1, .fourth = -1, .elem = v + base, .n_taken = k + 1,
                             .n_put = put };
      break;
    }
  }
  by_value_clear (&enq);
  by_value_clear (&deq);
  if (w.culprit >= 0)
    return decide_violation (f, &w);
  /* Enqueues at their call (those of unknown outcome only if matched),
   * dequeues at their completion; replayed. */
  g_autofree Placed *pl = g_new (Placed, MAX (n, 1));
  guint np = 0;
  for (guint i = 0; i < n; i++) {
    if (ops[i].kind == LIN_ENQUEUE && ops[i].ret == NONE && !used[i])
      continue;
    pl[np++] = (Placed) { ops[i].kind == LIN_ENQUEUE ? ops[i].call : ops[i].ret, 0, i };
  }
  order_from_points (f, pl, np);
  g_autofree guint *count = g_new0 (guint, MAX (nv, 1));
  gboolean ok = order_keeps_real_time (ops, n, f->order);
  for (guint k = 0; k < f->order->len && ok; k++) {
    const LinOp *o = &ops[g_array_index (f->order, uint32_t, k)];
    if (o->kind == LIN_ENQUEUE)
      count[o->a - base]++;
    else
      ok = count[o->a - base]-- > 0;
  }
  if (!ok) {
    g_clear_pointer (&f->order, g_array_unref);
    return FALSE;
  }
  return decided_ok (f);
}

/* ----- fifo queue ----- */

typedef struct {
  int32_t enq, deq;  /* the value's enqueue and ok dequeue, -1 */
} FifoVal;

/* The first VOrd pattern, b by the invocation of its enqueue, where a
 * value never dequeued leaves the queue at `missing_leaves` (the earliest
 * invocation of a dequeue of unknown outcome, or NONE).  FALSE if none. */
static gboolean
fifo_find_order (const LinOp *ops, const FifoVal *val, uint32_t base, const uint32_t *by_enq_ret,
                 guint na, const uint32_t *by_enq_call, guint nb, int64_t missing_leaves,
                 LinFastWitness *w)
{
  int64_t latest = G_MININT64;
  uint32_t latest_v = 0;
  guint ia = 0;
  for (guint ib = 0; ib < nb; ib++) {
    uint32_t b = by_enq_call[ib];
    const LinOp *eb = &ops[val[b].enq];
    while (ia < na && ops[val[by_enq_ret[ia]].enq].ret < eb->call) {
      uint32_t a = by_enq_ret[ia++];
      int64_t leaves = val[a].deq >= 0 ? ops[val[a].deq].call : missing_leaves;
      if (leaves > latest) {
        latest = leaves;
        latest_v = a;
      }
    }
    if (val[b].deq < 0 || ia == 0 || latest < ops[val[b].deq].ret)
      continue;
    *w = (LinFastWitness) { .proof = LIN_FAST_FIFO_ORDER, .culprit = val[b].deq,
                            .other = val[latest_v].enq, .third = val[b].enq,
                            .fourth = val[latest_v].deq, .elem = b + base,
                            .elem2 = latest_v + base };
    return TRUE;
  }
  return FALSE;
}

/* A binary min-heap of values keyed by key[]. */
typedef struct {
  uint32_t *items;
  guint n;
  const int64_t *key;
} Heap;

static void
heap_push (Heap *h, uint32_t v)
{
  guint i = h->n++;
  h->items[i] = v;
  while (i > 0 && h->key[h->items[(i - 1) / 2]] > h->key[h->items[i]]) {
    uint32_t t = h->items[i];
    h->items[i] = h->items[(i - 1) / 2];
    h->items[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
}

static uint32_t
heap_pop (Heap *h)
{
  uint32_t top = h->items[0];
  h->items[0] = h->items[--h->n];
  guint i = 0;
  for (;;) {
    guint l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && h->key[h->items[l]] < h->key[h->items[m]])
      m = l;
    if (r < h->n && h->key[h->items[r]] < h->key[h->items[m]])
      m = r;
    if (m == i)
      break;
    uint32_t t = h->items[i];
    h->items[i] = h->items[m];
    h->items[m] = t;
    i = m;
  }
  return top;
}

/* The linearization of a pattern-free fifo history without dequeues of
 * unknown outcome: the values vs[0, nw) (every value enqueued by an ok
 * enqueue or dequeued), ordered by Kahn's algorithm (see the top), then
 * points.  FALSE if stuck or a point falls outside its interval. */
static gboolean
fifo_linearize (LinCollFast *f, const FifoVal *val, const uint32_t *vs, guint nw)
{
  const LinOp *ops = f->ops;
  /* Per position in vs: s, e, t, fin as in the argument above. */
  g_autofree int64_t *s = g_new (int64_t, MAX (nw, 1) * 4);
  int64_t *e = s + nw, *t = e + nw, *fin = t + nw;
  for (guint k = 0; k < nw; k++) {
    const FifoVal *x = &val[vs[k]];
    s[k] = ops[x->enq].call;
    if (x->deq >= 0) {
      e[k] = MIN (ops[x->enq].ret, ops[x->deq].ret);
      t[k] = ops[x->deq].call;
      fin[k] = ops[x->deq].ret;
    } else { /* after every dequeued value */
      e[k] = ops[x->enq].ret;
      t[k] = NONE - 1;
      fin[k] = NONE;
    }
  }
  g_autofree uint32_t *by_s = g_new (uint32_t, MAX (nw, 1) * 4);
  uint32_t *by_e = by_s + nw, *by_f = by_e + nw, *heap_items = by_f + nw;
  for (guint k = 0; k < nw; k++)
    by_s[k] = by_e[k] = by_f[k] = k;
  sort_by_key (by_s, nw, s);
  sort_by_key (by_e, nw, e);
  sort_by_key (by_f, nw, fin);
  g_autofree uint8_t *done = g_new0 (uint8_t, MAX (nw, 1));
  g_autofree uint32_t *pi = g_new (uint32_t, MAX (nw, 1));
  Heap heap = { heap_items, 0, t };
  guint ps = 0, pe = 0, pf = 0;
  for (guint placed = 0; placed < nw; placed++) {
    while (done[by_e[pe]])
      pe++;
    while (done[by_f[pf]])
      pf++;
    int64_t min_e = e[by_e[pe]], min_f = fin[by_f[pf]];
    while (ps < nw && s[by_s[ps]] < min_e)
      heap_push (&heap, by_s[ps++]);
    if (heap.n == 0 || t[heap.items[0]] >= min_f)
      return FALSE;
    uint32_t k = heap_pop (&heap);
    done[k] = 1;
    pi[placed] = k;
  }
  /* Points: enq(pi_i) after the enqueues before it; deq(pi_i) after
   * those and the dequeues before it. */
  g_autofree Placed *pl = g_new (Placed, MAX (2 * nw, 1));
  guint np = 0;
  int64_t max_ce = G_MININT64, max_cd = G_MININT64;
  for (guint i = 0; i < nw; i++) {
    const FifoVal *x = &val[vs[pi[i]]];
    max_ce = MAX (max_ce, ops[x->enq].call);
    if (max_ce > ops[x->enq].ret)
      return FALSE;
    pl[np++] = (Placed) { max_ce, 2 * (int64_t) i, (uint32_t) x->enq };
    if (x->deq < 0)
      continue;
    max_cd = MAX (max_cd, ops[x->deq].call);
    int64_t p = MAX (max_ce, max_cd);
    if (p > ops[x->deq].ret)
      return FALSE;
    pl[np++] = (Placed) { p, 2 * (int64_t) i + 1, (uint32_t) x->deq };
  }
  order_from_points (f, pl, np);
  /* Replay: a queue of values, head first. */
  g_autofree uint32_t *q = g_new (uint32_t, MAX (nw, 1));
  guint head = 0, tail = 0;
  gboolean ok = order_keeps_real_time (ops, f->n_ops, f->order);
  for (guint k = 0; k < f->order->len && ok; k++) {
    const LinOp *o = &ops[g_array_index (f->order, uint32_t, k)];
    if (o->kind == LIN_ENQUEUE)
      q[tail++] = o->a;
    else
      ok = o->kind == LIN_DEQUEUE && head < tail && q[head++] == o->a;
  }
  if (!ok)
    g_clear_pointer (&f->order, g_array_unref);
  return ok;
}

static gboolean
fifo_run (LinCollFast *f, guint nv)
{
  const LinOp *ops = f->ops;
  guint n = f->n_ops;
  uint32_t base = f->base;
  g_autofree FifoVal *val = g_new (FifoVal, MAX (nv, 1));
  for (guint v = 0; v < nv; v++)
    val[v] = (FifoVal) { -1, -1 };
  int64_t head_call = NONE; /* the earliest dequeue of unknown outcome */
  for (guint i = 0; i < n; i++) {
    const LinOp *o = &ops[i];
    if (o->kind == LIN_ENQUEUE) {
      if (val[o->a - base].enq >= 0)
        return FALSE; /* not differentiated */
      val[o->a - base].enq = (int32_t) i;
    } else if (o->kind == LIN_DEQUEUE_HEAD) {
      head_call = MIN (head_call, o->call);
    } else if (o->kind != LIN_DEQUEUE || o->ret == NONE) {
      return FALSE;
    }
  }
  /* VFresh and VRepet; the culprit that completes first. */
  LinFastWitness w = { .culprit = -1, .other = -1, .third = -1, .fourth = -1 };
  for (guint i = 0; i < n; i++) {
    const LinOp *o = &ops[i];
    if (o->kind != LIN_DEQUEUE)
      continue;
    FifoVal *x = &val[o->a - base];
    LinFastWitness c = { .culprit = (int32_t) i, .other = -1, .third = -1, .fourth = -1,
                         .elem = o->a };
    if (x->enq < 0) {
      c.proof = LIN_FAST_UNPUT;
    } else if (o->ret < ops[x->enq].call) {
      c.proof = LIN_FAST_EARLY;
      c.other = x->enq;
    } else if (x->deq >= 0) {
      c.proof = LIN_FAST_TWICE;
      int32_t first = ops[x->deq].ret < o->ret ? x->deq : (int32_t) i;
      c.culprit = first == (int32_t) i ? x->deq : (int32_t) i;
      c.other = first;
    } else {
      x->deq = (int32_t) i;
      continue;
    }
    if (w.culprit < 0 || ops[c.culprit].ret < ops[w.culprit].ret)
      w = c;
  }
  if (w.culprit >= 0)
    return decide_violation (f, &w);
  /* VOrd: a among the completed enqueues by completion, b among the
   * dequeued values by the invocation of their enqueue. */
  g_autofree uint32_t *by_ret_v = g_new (uint32_t, MAX (nv, 1));
  g_autofree uint32_t *by_call_v = g_new (uint32_t, MAX (nv, 1));
  g_autofree int64_t *key_ret = g_new (int64_t, MAX (nv, 1));
  g_autofree int64_t *key_call = g_new (int64_t, MAX (nv, 1));
  guint na = 0, nb = 0;
  for (uint32_t v = 0; v < nv; v++) {
    if (val[v].enq < 0)
      continue;
    key_ret[v] = ops[val[v].enq].ret;
    key_call[v] = ops[val[v].enq].call;
    if (key_ret[v] != NONE)
      by_ret_v[na++] = v;
    if (val[v].deq >= 0)
      by_call_v[nb++] = v;
  }
  sort_by_key (by_ret_v, na, key_ret);
  sort_by_key (by_call_v, nb, key_call);
  if (fifo_find_order (ops, val, base, by_ret_v, na, by_call_v, nb, head_call, &w))
    return decide_violation (f, &w);
  if (head_call != NONE
      && fifo_find_order (ops, val, base, by_ret_v, na, by_call_v, nb, NONE, &w))
    return FALSE; /* a dequeue of unknown outcome might have taken a */
  /* Linearizable with the dequeues of unknown outcome left out. */
  g_autofree uint32_t *vs = g_new (uint32_t, MAX (nv, 1));
  guint nw = 0;
  for (uint32_t v = 0; v < nv; v++)
    if (val[v].enq >= 0 && (val[v].deq >= 0 || ops[val[v].enq].ret != NONE))
      vs[nw++] = v;
  if (!fifo_linearize (f, val, vs, nw))
    return FALSE;
  return decided_ok (f);
}

/* ----- set ----- */

/* TRUE if sorted a[0, na) is a subset of sorted b[0, nb); else *only_a is
 * an element of a not in b. */
static gboolean
sorted_subset (const uint32_t *a, guint na, const uint32_t *b, guint nb, uint32_t *only_a)
{
  guint j = 0;
  for (guint i = 0; i < na; i++) {
    while (j < nb && b[j] < a[i])
      j++;
    if (j == nb || b[j] != a[i]) {
      *only_a = a[i];
      return FALSE;
    }
  }
  return TRUE;
}

/* Reads ordered by the size of their set, then the set's id, then index:
 * equal sets are neighbours. */
typedef struct {
  const LinOp *ops;
  const LinModel *m;
} SetSort;

static gint
by_set_size (gconstpointer a, gconstpointer b, gpointer data)
{
  const SetSort *ss = data;
  uint32_t i = *(const uint32_t *) a, j = *(const uint32_t *) b;
  const LinOp *x = &ss->ops[i], *y = &ss->ops[j];
  guint nx, ny;
  lin_seqs_get (ss->m, x->b, &nx);
  lin_seqs_get (ss->m, y->b, &ny);
  if (nx != ny)
    return nx < ny ? -1 : 1;
  if (x->b != y->b)
    return x->b < y->b ? -1 : 1;
  return (i > j) - (i < j);
}

/* Keeps candidate c in *w if it completes first. */
static void
keep_first (const LinOp *ops, LinFastWitness *w, const LinFastWitness *c)
{
  if (c->culprit >= 0 && (w->culprit < 0 || ops[c->culprit].ret < ops[w->culprit].ret))
    *w = *c;
}

/* The set model.  The reads' sets, by
 * size, must form a chain S_0 < S_1 < ... < S_{K-1} (the set only grows);
 * a read returning S_k is "at level k"; the add of a value in S_k but not
 * S_{k-1} is at level k, one of a value no read returned at level K (one
 * of unknown outcome there is dropped: it may never have happened).
 * Exactly the linearizations put every add of level k after the reads of
 * levels below k, some add of each value of level k before the reads of
 * levels k and above (a later add of a present value changes nothing),
 * reads of a lower level before those of a higher one.  Which add of a
 * value goes first: the one invoked first, as good as any (every add of
 * the value has the same ancestors, and its call is the smallest that
 * the reads above must wait for); the others of unknown outcome are
 * dropped.  That is a DAG.  The ancestors of a read at level k are the
 * reads below k and the first adds of levels up to k; of an add at level
 * k, the reads below k and the first adds below k.  So with RC_k the
 * latest call of a read below level k and AC_k of a first add at level k
 * or below, the points condition (top) is: a read r at level k has
 * max(RC_k, AC_k) < ret(r), an add at level k max(RC_k, AC_{k-1}) < ret.
 * Each failure is a proof of at most three operations. */
static gboolean
set_run (LinCollFast *f, guint nv)
{
  const LinOp *ops = f->ops;
  const LinModel *m = f->model;
  guint n = f->n_ops;
  uint32_t base = f->base;
  g_autofree int32_t *add = g_new (int32_t, MAX (nv, 1)); /* the first add to begin */
  g_autofree guint *n_adds = g_new0 (guint, MAX (nv, 1));
  for (guint v = 0; v < nv; v++)
    add[v] = -1;
  g_autofree uint32_t *reads = g_new (uint32_t, MAX (n, 1));
  guint nr = 0;
  for (guint i = 0; i < n; i++) {
    const LinOp *o = &ops[i];
    if (o->kind == LIN_SET_ADD) {
      uint32_t v = o->a - base;
      n_adds[v]++;
      if (add[v] < 0 || o->call < ops[add[v]].call)
        add[v] = (int32_t) i;
    } else if (o->kind == LIN_SET_READ && o->ret != NONE) {
      reads[nr++] = i;
    } else {
      return FALSE;
    }
  }
  SetSort ss = { ops, m };
  g_qsort_with_data (reads, (gint) nr, sizeof (uint32_t), by_set_size, &ss);
  /* Levels: the distinct sets, a chain. */
  g_autofree guint *op_level = g_new0 (guint, MAX (n, 1));
  g_autofree uint32_t *level_read = g_new (uint32_t, MAX (nr, 1)); /* a read of each level */
  guint K = 0;
  LinFastWitness w = { .culprit = -1, .other = -1, .third = -1, .fourth = -1 };
  for (guint k = 0; k < nr; k++) {
    const LinOp *r = &ops[reads[k]];
    if (k > 0 && r->b == ops[reads[k - 1]].b) {
      op_level[reads[k]] = K - 1;
      continue;
    }
    if (K > 0) {
      guint ns, np;
      const uint32_t *set = lin_seqs_get (m, r->b, &ns);
      uint32_t p = level_read[K - 1];
      const uint32_t *prev = lin_seqs_get (m, ops[p].b, &np);
      uint32_t x, y;
      if (!sorted_subset (prev, np, set, ns, &x)) {
        gboolean ok = sorted_subset (set, ns, prev, np, &y);
        g_assert (!ok); /* |prev| <= |set| and prev is not inside set */
        gboolean later = ops[p].ret > r->ret;
        w = (LinFastWitness) { .proof = LIN_FAST_SET_CHAIN,
                               .culprit = later ? (int32_t) p : (int32_t) reads[k],
                               .other = later ? (int32_t) reads[k] : (int32_t) p,
                               .third = -1, .fourth = -1, .elem = later ? x : y,
                               .elem2 = later ? y : x };
        return decide_violation (f, &w);
      }
    }
    level_read[K] = reads[k];
    op_level[reads[k]] = K++;
  }
  g_autofree guint *level = g_new (guint, MAX (nv, 1)); /* per value; K: read by none */
  for (guint v = 0; v < nv; v++)
    level[v] = K;
  for (guint lv = K; lv-- > 0;) {
    guint ns;
    const uint32_t *set = lin_seqs_get (m, ops[level_read[lv]].b, &ns);
    for (guint j = 0; j < ns; j++) {
      level[set[j] - base] = lv;
      LinFastWitness c = { .proof = LIN_FAST_UNPUT, .culprit = (int32_t) level_read[lv],
                           .other = -1, .third = -1, .fourth = -1, .elem = set[j] };
      if (add[set[j] - base] < 0)
        keep_first (ops, &w, &c);
    }
  }
  if (w.culprit >= 0)
    return decide_violation (f, &w);
  for (guint i = 0; i < n; i++)
    if (ops[i].kind == LIN_SET_ADD)
      op_level[i] = level[ops[i].a - base];
  /* The latest call of a read and of a first add at each level (K: adds
   * read by nobody), with the operation; an add of unknown outcome that
   * nobody read, or that is not the first of its value's, is left out. */
  g_autofree int64_t *rc = g_new (int64_t, 2 * (K + 1));
  int64_t *ac = rc + K + 1;
  g_autofree int32_t *rc_op = g_new (int32_t, 2 * (K + 1));
  int32_t *ac_op = rc_op + K + 1;
  for (guint lv = 0; lv <= K; lv++) {
    rc[lv] = ac[lv] = G_MININT64;
    rc_op[lv] = ac_op[lv] = -1;
  }
  g_autofree uint8_t *left_out = g_new0 (uint8_t, MAX (n, 1));
  for (guint i = 0; i < n; i++) {
    guint lv = op_level[i];
    gboolean is_read = ops[i].kind == LIN_SET_READ;
    gboolean is_first = !is_read && add[ops[i].a - base] == (int32_t) i;
    left_out[i] = !is_read && ops[i].ret == NONE && (lv == K || !is_first);
    int64_t *c = is_read ? &rc[lv] : &ac[lv];
    if (!left_out[i] && (is_read || is_first) && ops[i].call > *c) {
      *c = ops[i].call;
      (is_read ? rc_op : ac_op)[lv] = (int32_t) i;
    }
  }
  /* Prefix maxima: rc[lv] the reads below lv, ac[lv] the adds up to lv. */
  int64_t below = G_MININT64, upto = G_MININT64;
  int32_t below_op = -1, upto_op = -1;
  for (guint lv = 0; lv <= K; lv++) {
    int64_t here = rc[lv];
    int32_t here_op = rc_op[lv];
    rc[lv] = below;
    rc_op[lv] = below_op;
    if (here > below) {
      below = here;
      below_op = here_op;
    }
    if (ac[lv] > upto) {
      upto = ac[lv];
      upto_op = ac_op[lv];
    }
    ac[lv] = upto;
    ac_op[lv] = upto_op;
  }
  /* The points condition; the culprit that completes first. */
  for (guint i = 0; i < n; i++) {
    const LinOp *o = &ops[i];
    guint lv = op_level[i];
    if (left_out[i])
      continue;
    LinFastWitness c = { .culprit = -1, .other = -1, .third = -1, .fourth = -1 };
    if (o->kind == LIN_SET_READ && rc[lv] > o->ret) {
      /* u, a read of a smaller set, began after o completed: an element
       * of o's set above u's level is one u lacks */
      uint32_t u = (uint32_t) rc_op[lv];
      guint ns, j = 0;
      const uint32_t *set = lin_seqs_get (m, o->b, &ns);
      while (level[set[j] - base] <= op_level[u])
        j++;
      c = (LinFastWitness) { .proof = LIN_FAST_SET_READ_ORDER, .culprit = (int32_t) u,
                             .other = (int32_t) i, .third = -1, .fourth = -1, .elem = set[j] };
    } else if (o->kind == LIN_SET_READ && ac[lv] > o->ret) {
      c = (LinFastWitness) { .proof = LIN_FAST_EARLY, .culprit = (int32_t) i,
                             .other = ac_op[lv], .third = -1, .fourth = -1,
                             .elem = ops[ac_op[lv]].a,
                             .n_put = n_adds[ops[ac_op[lv]].a - base] };
    } else if (o->kind == LIN_SET_ADD && rc[lv] > o->ret) {
      c = (LinFastWitness) { .proof = LIN_FAST_SET_LATE_ADD, .culprit = rc_op[lv],
                             .other = (int32_t) i, .third = -1, .fourth = -1, .elem = o->a };
    } else if (o->kind == LIN_SET_ADD && lv > 0 && ac[lv - 1] > o->ret) {
      int32_t y = ac_op[lv - 1];
      c = (LinFastWitness) { .proof = LIN_FAST_SET_ADD_ORDER,
                             .culprit = (int32_t) level_read[op_level[y]], .other = (int32_t) i,
                             .third = y, .fourth = -1, .elem = o->a, .elem2 = ops[y].a,
                             .n_put = n_adds[ops[y].a - base] };
    }
    keep_first (ops, &w, &c);
  }
  if (w.culprit >= 0)
    return decide_violation (f, &w);
  /* Points, then a replay over a bitmap of the values present. */
  g_autofree Placed *pl = g_new (Placed, MAX (n, 1));
  guint np = 0;
  for (guint i = 0; i < n; i++) {
    guint lv = op_level[i];
    if (left_out[i])
      continue;
    gboolean is_read = ops[i].kind == LIN_SET_READ;
    int64_t p = MAX (ops[i].call, rc[lv]);
    if (is_read)
      p = MAX (p, ac[lv]);
    else if (lv > 0)
      p = MAX (p, ac[lv - 1]);
    pl[np++] = (Placed) { p, 2 * (int64_t) lv + is_read, i };
  }
  order_from_points (f, pl, np);
  g_autofree uint8_t *present = g_new0 (uint8_t, MAX (nv, 1));
  guint count = 0;
  gboolean ok = order_keeps_real_time (ops, n, f->order);
  for (guint k = 0; k < f->order->len && ok; k++) {
    const LinOp *o = &ops[g_array_index (f->order, uint32_t, k)];
    if (o->kind == LIN_SET_ADD) {
      count += !present[o->a - base];
      present[o->a - base] = 1;
      continue;
    }
    guint ns;
    const uint32_t *set = lin_seqs_get (m, o->b, &ns);
    ok = ns == count;
    for (guint j = 0; j < ns && ok; j++)
      ok = present[set[j] - base];
  }
  if (!ok) {
    g_clear_pointer (&f->order, g_array_unref);
    return FALSE;
  }
  return decided_ok (f);
}

/* The values the part names lie in [base, base + nv): arrays per value
 * are that long, not as long as the model's table, which parts checked
 * one after the other share. */
static guint
value_range (LinCollFast *f)
{
  uint32_t lo = UINT32_MAX, hi = 0;
  for (guint i = 0; i < f->n_ops; i++) {
    const LinOp *o = &f->ops[i];
    if (o->kind == LIN_SET_READ) {
      guint ns;
      const uint32_t *set = lin_seqs_get (f->model, o->b, &ns);
      if (ns > 0) {
        lo = MIN (lo, set[0]);
        hi = MAX (hi, set[ns - 1]);
      }
    } else if (o->kind == LIN_SET_ADD || o->kind == LIN_ENQUEUE || o->kind == LIN_DEQUEUE) {
      lo = MIN (lo, o->a);
      hi = MAX (hi, o->a);
    }
  }
  f->base = lo > hi ? 0 : lo;
  return lo > hi ? 1 : hi - lo + 1;
}

static gboolean
run (LinCollFast *f)
{
  guint nv = value_range (f);
  f->order = NULL;
  switch ((LinCollKind) lin_model_coll (f->model)) {
  case LIN_COLL_UNORDERED_QUEUE: return unordered_run (f, nv);
  case LIN_COLL_FIFO_QUEUE: return fifo_run (f, nv);
  case LIN_COLL_SET: return set_run (f, nv);
  default: return FALSE;
  }
}

/* The model state after `order` (a valid linearization of ops), made
 * once at the end rather than step by step. */
static uint32_t
state_after (LinModel *m, const LinOp *ops, const GArray *order)
{
  LinCollKind c = (LinCollKind) lin_model_coll (m);
  guint nv = lin_model_n_values (m);
  g_autofree guint *count = g_new0 (guint, MAX (nv, 1));
  g_autofree uint32_t *q = g_new (uint32_t, MAX (order->len, 1));
  guint head = 0, tail = 0;
  for (guint k = 0; k < order->len; k++) {
    const LinOp *o = &ops[g_array_index (order, uint32_t, k)];
    if (c == LIN_COLL_FIFO_QUEUE) {
      if (o->kind == LIN_ENQUEUE)
        q[tail++] = o->a;
      else if (head < tail)
        head++;
    } else if (o->kind == LIN_SET_ADD) {
      count[o->a] = 1;
    } else if (o->kind == LIN_ENQUEUE) {
      count[o->a]++;
    } else if (o->kind == LIN_DEQUEUE) {
      g_assert (count[o->a] > 0);
      count[o->a]--;
    }
  }
  if (c != LIN_COLL_FIFO_QUEUE)
    for (uint32_t v = 0; v < nv; v++)
      for (guint k = 0; k < count[v]; k++)
        q[tail++] = v;
  return lin_coll_state_of (m, q + head, tail - head);
}

/* A violation's prefix: the operations that completed before the culprit
 * began precede it in every linearization; if the test finds them
 * linearizable, their order and the state after it, else none. */
static void
violation_prefix (LinCollFast *f)
{
  const LinOp *c = &f->ops[f->culprit];
  g_autoptr (GArray) sub = g_array_new (FALSE, FALSE, sizeof (LinOp));
  g_autoptr (GArray) index = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  for (uint32_t i = 0; i < f->n_ops; i++)
    if (f->ops[i].ret < c->call) {
      g_array_append_val (sub, f->ops[i]);
      g_array_append_val (index, i);
    }
  if (sub->len == 0)
    return;
  LinCollFast g = { .ops = (const LinOp *) sub->data, .n_ops = sub->len, .model = f->model };
  if (!run (&g) || g.result != LIN_RESULT_OK) {
    if (g.order != NULL)
      g_array_unref (g.order);
    return;
  }
  f->state = state_after (f->model, (const LinOp *) sub->data, g.order);
  g_array_set_size (f->order, 0);
  for (guint k = 0; k < g.order->len; k++)
    g_array_append_val (f->order, g_array_index (index, uint32_t, g_array_index (g.order, uint32_t, k)));
  g_array_unref (g.order);
}

gboolean
lin_coll_fast_run (LinCollFast *f)
{
  if (!run (f))
    return FALSE;
  if (f->result == LIN_RESULT_VIOLATION)
    violation_prefix (f);
  return TRUE;
}
