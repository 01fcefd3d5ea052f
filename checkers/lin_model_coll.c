/* lin_model_coll.c: Knossos's set, unordered-queue, fifo-queue and
 * multi-register (knossos.model), over interned sequences.
 *
 * Knossos:
 *   (defrecord Set [s]
 *     :add  (Set. (conj s (:value op)))
 *     :read (if (= s (:value op)) this (inconsistent "can't read ...")))
 *   (defrecord UnorderedQueue [pending]      ; a multiset
 *     :enqueue (UnorderedQueue. (conj pending (:value op)))
 *     :dequeue (if (contains? pending (:value op))
 *                (UnorderedQueue. (disj pending (:value op)))
 *                (inconsistent "can't dequeue ...")))
 *   (defrecord FIFOQueue [pending]           ; a PersistentQueue
 *     :enqueue (FIFOQueue. (conj pending (:value op)))
 *     :dequeue (cond (zero? (count pending)) (inconsistent "... from empty queue")
 *                    (= (:value op) (peek pending)) (FIFOQueue. (pop pending))
 *                    :else (inconsistent "can't dequeue ...")))
 *   (defrecord MultiRegister []
 *     (step [this op] (reduce (fn [state [f k v]]
 *       (case f :read  (if (or (nil? v) (= v (get state k))) state (reduced (inconsistent ...)))
 *               :write (assoc state k v))) this (:value op))))
 *
 * A set's or an unordered queue's state is a hash-consed trie
 * (lin_trie.h) of its elements (value ids) or of its elements' copies
 * (copy k of value v a slot of its own), so a step shares all but one
 * path with the state it came from; a set read carries the trie of its
 * set (a) beside the sorted sequence of it (b).  A fifo queue's state is
 * the id of a sequence of value ids, head first, and a multi-register's
 * of its values by register number (the registers a part names, in order
 * of first use; trailing nils cut).  Id 0 is every initial state (the
 * empty trie, the empty sequence), and equal states are equal ids, which
 * is what the search's memo hashes.
 *
 * Where dsim differs from Knossos (README, "Knossos models"):
 *   - A dequeue that returned nothing (ok, value nil) is what Knossos says:
 *     it cannot happen unless nil was enqueued; Jepsen records a dequeue
 *     from an empty queue as :fail, which never happened.
 *   - A dequeue of unknown outcome (info) may have removed an element, as
 *     info means everywhere in dsim: fifo, the head then (if any); an
 *     unordered queue, any element, which no later operation can tell from
 *     none, so it is left out.  Knossos applies it as a dequeue of nil,
 *     which never succeeds: an info dequeue never happened.
 *   - Registers of a multi-register start nil, as dsim's register does,
 *     and a txn read of nil in a completed txn reads nil; Knossos starts
 *     from a given map and takes a read of nil as unknown.  A txn of
 *     unknown outcome has unknown reads: only its writes count. */
#include "checkers/lin_model_coll.h"
#include "checkers/lin_trie.h"

#include <stdlib.h>
#include <string.h>

struct LinSeqs {
  GArray *arena;      /* uint32: each sequence is its length, then its items */
  GArray *offsets;    /* uint32 per id: where it starts in arena */
  uint32_t *table;    /* ids, UINT32_MAX empty; open addressing */
  guint mask;
  GArray *scratch;    /* uint32, for steps */
  GArray *reg_names;  /* multi-register: value id of each register's name */
  GHashTable *reg_of; /* name value id + 1 -> register + 1; lookups only */
  /* fifo lookahead, per value id (lin_coll_fifo_prepare): */
  GArray *fifo;       /* FifoValue */
  int64_t head_call_min; /* the earliest invocation of a dequeue of unknown outcome */
  LinTrie *trie;      /* set and unordered-queue states */
};

/* fifo: an element that no ok dequeue takes, in a part without dequeues
 * of unknown outcome, stays in the queue for good, and so does every
 * element behind it: the state keeps one FIFO_BLOCKED in its place and
 * nothing after it, so the orders of such elements are one state, not
 * one per order (exact: no dequeue can tell them apart). */
#define FIFO_BLOCKED UINT32_MAX

typedef struct {
  uint32_t enqueues;   /* how many enqueues of the value */
  int32_t deq;         /* the ok dequeue of it that completes first, or -1 */
  int64_t deq_ret;     /* its completion */
  int64_t deq_call_min; /* the earliest invocation of an ok dequeue of it */
} FifoValue;

/* Sequence `id`: its length, then its items. */
static inline const uint32_t *
seq_at (const LinSeqs *s, uint32_t id)
{
  return &g_array_index (s->arena, uint32_t, g_array_index (s->offsets, uint32_t, id));
}

static guint
seq_hash (const uint32_t *items, guint n)
{
  uint64_t h = 0x9e3779b97f4a7c15u ^ n;
  for (guint k = 0; k < n; k++)
    h = (h ^ items[k]) * 0xff51afd7ed558ccdu;
  return (guint) (h ^ (h >> 31));
}

LinSeqs *
lin_seqs_new (void)
{
  LinSeqs *s = g_new0 (LinSeqs, 1);
  s->arena = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  s->offsets = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  s->mask = 255;
  s->table = g_new (uint32_t, s->mask + 1);
  memset (s->table, 0xff, sizeof (uint32_t) * (s->mask + 1));
  s->scratch = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  s->reg_names = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  s->reg_of = g_hash_table_new (NULL, NULL);
  s->trie = lin_trie_new ();
  /* id 0: the empty sequence */
  uint32_t zero = 0, at = 0;
  g_array_append_val (s->arena, zero);
  g_array_append_val (s->offsets, at);
  s->table[seq_hash (NULL, 0) & s->mask] = 0;
  return s;
}

void
lin_seqs_free (LinSeqs *s)
{
  if (s == NULL)
    return;
  g_array_unref (s->arena);
  g_array_unref (s->offsets);
  g_free (s->table);
  g_array_unref (s->scratch);
  g_array_unref (s->reg_names);
  g_hash_table_unref (s->reg_of);
  if (s->fifo != NULL)
    g_array_unref (s->fifo);
  lin_trie_free (s->trie);
  g_free (s);
}

gsize
lin_seqs_memory (const LinSeqs *s)
{
  return (s->mask + 1) * sizeof (uint32_t) + 256 + lin_trie_memory (s->trie);
}

const uint32_t *
lin_seqs_get (const LinModel *m, uint32_t id, guint *n)
{
  const LinSeqs *s = lin_model_seqs (m);
  g_assert (id < s->offsets->len);
  const uint32_t *at = seq_at (s, id);
  *n = at[0];
  return at + 1;
}

static void
seqs_table_grow (LinSeqs *s)
{
  guint size = (s->mask + 1) * 2;
  g_free (s->table);
  s->table = g_new (uint32_t, size);
  memset (s->table, 0xff, sizeof (uint32_t) * size);
  s->mask = size - 1;
  for (uint32_t id = 0; id < s->offsets->len; id++) {
    const uint32_t *at = seq_at (s, id);
    guint h = seq_hash (at + 1, at[0]) & s->mask;
    while (s->table[h] != UINT32_MAX)
      h = (h + 1) & s->mask;
    s->table[h] = id;
  }
}

uint32_t
lin_seqs_intern (LinModel *m, const uint32_t *items, guint n)
{
  LinSeqs *s = lin_model_seqs (m);
  guint h = seq_hash (items, n) & s->mask;
  for (;;) {
    uint32_t cand = s->table[h];
    if (cand == UINT32_MAX)
      break;
    const uint32_t *at = seq_at (s, cand);
    if (at[0] == n && (n == 0 || memcmp (at + 1, items, n * sizeof (uint32_t)) == 0))
      return cand;
    h = (h + 1) & s->mask;
  }
  uint32_t id = s->offsets->len;
  uint32_t at = s->arena->len, len = n;
  /* Counted before it is made; a full model stops the search at its next
   * step, and this sequence is still stored so that the step completes. */
  lin_model_account (m, (n + 2) * sizeof (uint32_t) + sizeof (uint32_t) * 2);
  g_array_append_val (s->arena, len);
  g_array_append_vals (s->arena, items, n);
  g_array_append_val (s->offsets, at);
  s->table[h] = id;
  /* Half full: grow, if the limit allows (else the table, still half
   * empty, serves until the search stops at its next step). */
  if (s->offsets->len * 2 > s->mask && !lin_model_is_full (m)
      && lin_model_may_grow (m, sizeof (uint32_t) * (s->mask + 1))) {
    lin_model_account (m, sizeof (uint32_t) * (s->mask + 1));
    seqs_table_grow (s);
  }
  g_assert (s->offsets->len <= s->mask);
  return id;
}

static gboolean
fifo_never_leaves (const LinSeqs *s, uint32_t v)
{
  if (s->fifo == NULL || s->head_call_min != G_MAXINT64)
    return FALSE;
  const FifoValue *fv = (const FifoValue *) s->fifo->data;
  return v < s->fifo->len && fv[v].deq_call_min == G_MAXINT64;
}

static uint32_t *
scratch (LinSeqs *s, guint n)
{
  if (s->scratch->len < MAX (n, 1))
    g_array_set_size (s->scratch, MAX (n, 1));
  return (uint32_t *) s->scratch->data;
}

/* The first position in sorted items[0, n) whose item is >= v. */
static guint
lower_bound (const uint32_t *items, guint n, uint32_t v)
{
  guint lo = 0, hi = n;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (items[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static gboolean
txn_step (LinModel *m, uint32_t state, uint32_t txn, uint32_t *next)
{
  LinSeqs *s = lin_model_seqs (m);
  guint n, nt;
  const uint32_t *items = lin_seqs_get (m, state, &n);
  const uint32_t *micro = lin_seqs_get (m, txn, &nt);
  guint width = s->reg_names->len > n ? s->reg_names->len : n;
  uint32_t *regs = scratch (s, width);
  memcpy (regs, items, n * sizeof (uint32_t));
  memset (regs + n, 0, (width - n) * sizeof (uint32_t));
  gboolean changed = FALSE;
  for (guint k = 0; k + 2 < nt; k += 3) {
    uint32_t r = micro[k + 1], v = micro[k + 2];
    g_assert (r < width);
    if (micro[k] == LIN_TXN_READ) {
      if (regs[r] != v)
        return FALSE;
    } else {
      changed |= regs[r] != v;
      regs[r] = v;
    }
  }
  if (!changed) {
    *next = state;
    return TRUE;
  }
  while (width > 0 && regs[width - 1] == 0)
    width--;
  *next = lin_seqs_intern (m, regs, width);
  return TRUE;
}

/* Unordered queue: the copies of v in state (copy k is in iff copies 1
 * to k are). */
static uint32_t
copies_in (LinModel *m, LinTrie *t, uint32_t state, uint32_t v)
{
  uint32_t k = 0;
  for (;;) {
    uint32_t slot = lin_trie_copy_slot (m, t, v, k + 1, FALSE);
    if (slot == UINT32_MAX || !lin_trie_has (t, state, slot))
      return k;
    k++;
  }
}

/* Sets and unordered queues: states are tries (lin_trie.h), one step a
 * path of new nodes, not a copy of the elements. */
static gboolean
trie_step (LinModel *m, LinCollKind c, uint32_t state, const LinOp *op, uint32_t *next)
{
  LinTrie *t = lin_model_seqs (m)->trie;
  uint32_t v = op->a;
  if (c == LIN_COLL_SET) {
    g_assert (op->kind == LIN_SET_ADD);
    *next = lin_trie_insert (m, t, state, v);
    return TRUE;
  }
  uint32_t k = copies_in (m, t, state, v);
  if (op->kind == LIN_ENQUEUE) {
    *next = lin_trie_insert (m, t, state, lin_trie_copy_slot (m, t, v, k + 1, TRUE));
    return TRUE;
  }
  g_assert (op->kind == LIN_DEQUEUE);
  if (k == 0)
    return FALSE; /* not pending */
  *next = lin_trie_remove (m, t, state, lin_trie_copy_slot (m, t, v, k, FALSE));
  return TRUE;
}

gboolean
lin_coll_step (LinModel *m, uint32_t state, const LinOp *op, uint32_t *next)
{
  LinSeqs *s = lin_model_seqs (m);
  LinCollKind c = (LinCollKind) lin_model_coll (m);
  if (op->kind == LIN_TXN)
    return txn_step (m, state, op->a, next);
  if (c == LIN_COLL_SET || c == LIN_COLL_UNORDERED_QUEUE)
    return trie_step (m, c, state, op, next);
  guint n;
  const uint32_t *items = lin_seqs_get (m, state, &n);
  uint32_t *out = scratch (s, n + 1);
  uint32_t v = op->a;
  switch ((LinOpKind) op->kind) {
  case LIN_SET_ADD: case LIN_ENQUEUE: {
    if (c == LIN_COLL_FIFO_QUEUE) {
      if (n > 0 && items[n - 1] == FIFO_BLOCKED) {
        *next = state; /* behind an element that never leaves */
        return TRUE;
      }
      memcpy (out, items, n * sizeof (uint32_t));
      out[n] = fifo_never_leaves (s, v) ? FIFO_BLOCKED : v;
    } else {
      guint at = lower_bound (items, n, v);
      if (c == LIN_COLL_SET && at < n && items[at] == v) {
        *next = state; /* already in the set */
        return TRUE;
      }
      memcpy (out, items, at * sizeof (uint32_t));
      out[at] = v;
      memcpy (out + at + 1, items + at, (n - at) * sizeof (uint32_t));
    }
    *next = lin_seqs_intern (m, out, n + 1);
    return TRUE;
  }
  case LIN_DEQUEUE: {
    guint at = c == LIN_COLL_FIFO_QUEUE ? 0 : lower_bound (items, n, v);
    if (at >= n || items[at] != v)
      return FALSE; /* not pending (fifo: not at the head, or empty) */
    memcpy (out, items, at * sizeof (uint32_t));
    memcpy (out + at, items + at + 1, (n - at - 1) * sizeof (uint32_t));
    *next = lin_seqs_intern (m, out, n - 1);
    return TRUE;
  }
  case LIN_DEQUEUE_HEAD:
    if (n == 0) {
      *next = state;
      return TRUE;
    }
    memcpy (out, items + 1, (n - 1) * sizeof (uint32_t)); /* interning may move items */
    *next = lin_seqs_intern (m, out, n - 1);
    return TRUE;
  default:
    break;
  }
  g_assert_not_reached ();
}

void
lin_coll_fifo_prepare (LinModel *m, const LinOp *ops, guint n)
{
  LinSeqs *s = lin_model_seqs (m);
  guint nv = lin_model_n_values (m);
  if (s->fifo == NULL)
    s->fifo = g_array_new (FALSE, FALSE, sizeof (FifoValue));
  lin_model_account (m, nv * sizeof (FifoValue));
  g_array_set_size (s->fifo, nv);
  FifoValue *fv = (FifoValue *) s->fifo->data;
  for (guint v = 0; v < nv; v++)
    fv[v] = (FifoValue) { .deq = -1, .deq_ret = G_MAXINT64, .deq_call_min = G_MAXINT64 };
  s->head_call_min = G_MAXINT64;
  for (guint i = 0; i < n; i++) {
    const LinOp *o = &ops[i];
    if (o->kind == LIN_ENQUEUE)
      fv[o->a].enqueues++;
    else if (o->kind == LIN_DEQUEUE_HEAD)
      s->head_call_min = MIN (s->head_call_min, o->call);
    else if (o->kind == LIN_DEQUEUE) {
      FifoValue *f = &fv[o->a];
      f->deq_call_min = MIN (f->deq_call_min, o->call);
      if (o->ret < f->deq_ret) {
        f->deq_ret = o->ret;
        f->deq = (int32_t) i;
      }
    }
  }
}

int32_t
lin_coll_fifo_dead (const LinModel *m, uint32_t state, const LinOp *op)
{
  const LinSeqs *s = lin_model_seqs (m);
  if (op->kind != LIN_ENQUEUE || s->fifo == NULL || op->a >= s->fifo->len)
    return -1;
  const FifoValue *fv = (const FifoValue *) s->fifo->data;
  const FifoValue *v = &fv[op->a];
  if (v->enqueues != 1 || v->deq < 0 || s->head_call_min < v->deq_ret)
    return -1;
  guint n;
  const uint32_t *items = lin_seqs_get (m, state, &n);
  g_assert (n > 0);
  if (items[n - 1] != op->a)
    return v->deq; /* behind an element that never leaves */
  for (guint k = 0; k + 1 < n; k++)
    if (items[k] == FIFO_BLOCKED || fv[items[k]].deq_call_min >= v->deq_ret)
      return v->deq;
  return -1;
}

int32_t
lin_coll_impossible (LinModel *m, const LinOp *ops, guint n)
{
  /* What operations put there, and how often: (register + 1) << 32 |
   * value for txn writes, value for adds and enqueues (a count). */
  g_autoptr (GHashTable) put = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  /* ok dequeues per value: how many, and the one that completes last. */
  g_autoptr (GHashTable) taken = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr (GArray) last_taker = g_array_new (FALSE, FALSE, sizeof (int32_t));
  for (guint i = 0; i < n; i++) {
    const LinOp *o = &ops[i];
    if (o->kind == LIN_SET_ADD || o->kind == LIN_ENQUEUE) {
      int64_t key = o->a;
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (put, &key));
      g_hash_table_insert (put, g_memdup2 (&key, sizeof key), GUINT_TO_POINTER (count + 1));
    } else if (o->kind == LIN_DEQUEUE) {
      int64_t key = o->a;
      guint slot = GPOINTER_TO_UINT (g_hash_table_lookup (taken, &key));
      if (slot == 0) {
        int32_t none = -1;
        g_array_append_val (last_taker, none);
        g_array_append_val (last_taker, none); /* [count, op] */
        slot = last_taker->len / 2;
        g_hash_table_insert (taken, g_memdup2 (&key, sizeof key), GUINT_TO_POINTER (slot));
      }
      int32_t *entry = &g_array_index (last_taker, int32_t, 2 * (slot - 1));
      entry[0] = entry[0] < 0 ? 1 : entry[0] + 1;
      if (entry[1] < 0 || ops[entry[1]].ret < o->ret)
        entry[1] = (int32_t) i;
    } else if (o->kind == LIN_TXN) {
      guint nt;
      const uint32_t *t = lin_seqs_get (m, o->a, &nt);
      for (guint k = 0; k + 2 < nt; k += 3)
        if (t[k] == LIN_TXN_WRITE) {
          int64_t key = (int64_t) ((uint64_t) (t[k + 1] + 1) << 32 | t[k + 2]);
          g_hash_table_insert (put, g_memdup2 (&key, sizeof key), GUINT_TO_POINTER (1));
        }
    }
  }
  int32_t best = -1;
  for (guint i = 0; i < n; i++) {
    const LinOp *o = &ops[i];
    if (o->ret == G_MAXINT64 || (best >= 0 && ops[best].ret < o->ret))
      continue;
    gboolean fits = TRUE;
    if (o->kind == LIN_DEQUEUE) {
      /* each ok dequeue takes a copy some enqueue put there: the last of
       * more dequeues of a value than enqueues of it cannot */
      int64_t key = o->a;
      guint enq = GPOINTER_TO_UINT (g_hash_table_lookup (put, &key));
      guint slot = GPOINTER_TO_UINT (g_hash_table_lookup (taken, &key));
      const int32_t *entry = &g_array_index (last_taker, int32_t, 2 * (slot - 1));
      fits = enq > 0 && ((guint) entry[0] <= enq || entry[1] != (int32_t) i);
    } else if (o->kind == LIN_SET_READ || o->kind == LIN_TXN) {
      guint ne;
      const uint32_t *e = lin_seqs_get (m, o->kind == LIN_SET_READ ? o->b : o->a, &ne);
      if (o->kind == LIN_SET_READ) {
        for (guint k = 0; k < ne && fits; k++) {
          int64_t key = e[k];
          fits = g_hash_table_contains (put, &key);
        }
      } else {
        for (guint k = 0; k + 2 < ne && fits; k += 3) {
          int64_t key = (int64_t) ((uint64_t) (e[k + 1] + 1) << 32 | e[k + 2]);
          fits = e[k] == LIN_TXN_WRITE || e[k + 2] == 0 || g_hash_table_contains (put, &key);
        }
      }
    }
    if (!fits)
      best = (int32_t) i;
  }
  return best;
}

/* ----- kinds and operations ----- */

LinCollKind
lin_coll_kind_of (ChkKind kind)
{
  switch (kind) {
  case CHK_KIND_SET: return LIN_COLL_SET;
  case CHK_KIND_UNORDERED_QUEUE: return LIN_COLL_UNORDERED_QUEUE;
  case CHK_KIND_FIFO_QUEUE: return LIN_COLL_FIFO_QUEUE;
  case CHK_KIND_MULTI_REGISTER: return LIN_COLL_MULTI_REGISTER;
  default: return LIN_COLL_NONE;
  }
}

ChkKind
lin_coll_chk_kind (LinCollKind c)
{
  switch (c) {
  case LIN_COLL_SET: return CHK_KIND_SET;
  case LIN_COLL_UNORDERED_QUEUE: return CHK_KIND_UNORDERED_QUEUE;
  case LIN_COLL_FIFO_QUEUE: return CHK_KIND_FIFO_QUEUE;
  case LIN_COLL_MULTI_REGISTER: return CHK_KIND_MULTI_REGISTER;
  case LIN_COLL_NONE: break;
  }
  g_assert_not_reached ();
}

LinCollKind
lin_coll_detect (const char *name)
{
  if (strcmp (name, "add") == 0)
    return LIN_COLL_SET;
  if (strcmp (name, "enqueue") == 0 || strcmp (name, "dequeue") == 0)
    return LIN_COLL_UNORDERED_QUEUE;
  if (strcmp (name, "txn") == 0)
    return LIN_COLL_MULTI_REGISTER;
  return LIN_COLL_NONE;
}

gboolean
lin_coll_allows (LinCollKind c, ChkFn f, const char *name)
{
  switch (c) {
  case LIN_COLL_SET:
    return f == CHK_F_READ ? strcmp (name, "read") == 0 : strcmp (name, "add") == 0;
  case LIN_COLL_UNORDERED_QUEUE: case LIN_COLL_FIFO_QUEUE:
    return f == CHK_F_OTHER && (strcmp (name, "enqueue") == 0 || strcmp (name, "dequeue") == 0);
  case LIN_COLL_MULTI_REGISTER: return f == CHK_F_OTHER && strcmp (name, "txn") == 0;
  case LIN_COLL_NONE: break;
  }
  return FALSE;
}

const char *
lin_coll_ops_text (LinCollKind c)
{
  switch (c) {
  case LIN_COLL_SET: return "add or read";
  case LIN_COLL_UNORDERED_QUEUE: case LIN_COLL_FIFO_QUEUE: return "enqueue or dequeue";
  case LIN_COLL_MULTI_REGISTER: return "txn";
  case LIN_COLL_NONE: break;
  }
  return "";
}

static const char *
op_name (const ChkHistory *h, const ChkOp *op)
{
  ChkEvent ev_ev = chk_history_event (h, (guint) op->call);
  const ChkEvent *ev = &ev_ev;
  return ev->f_name >= 0 ? chk_history_string (h, ev->f_name) : "";
}

static gboolean
is_element (const ChkValue *v)
{
  return v->kind == CHK_VAL_NIL || v->kind == CHK_VAL_INT || v->kind == CHK_VAL_STR
         || v->kind == CHK_VAL_PAIR;
}

/* The text of a micro-operation's function without a keyword's ':'. */
static const char *
micro_fn (const ChkHistory *h, const ChkValue *v)
{
  if (v->kind != CHK_VAL_STR)
    return NULL;
  const char *t = chk_history_string (h, v->s);
  return chk_history_string_tag (h, v->s) == 'k' && t[0] == ':' ? t + 1 : t;
}

static int
micro_kind (const ChkHistory *h, const ChkValue *v)
{
  const char *f = micro_fn (h, v);
  if (f == NULL)
    return -1;
  if (strcmp (f, "read") == 0 || strcmp (f, "r") == 0)
    return LIN_TXN_READ;
  if (strcmp (f, "write") == 0 || strcmp (f, "w") == 0)
    return LIN_TXN_WRITE;
  return -1;
}

/* The value a txn is compiled from: the completion's (reads filled in)
 * when it completed with one, else the invocation's. */
static ChkValue
txn_value (const ChkOp *op, gboolean *reads_known)
{
  gboolean ok_out = op->status == CHK_OP_OK && chk_op_output (op).kind == CHK_VAL_LIST;
  *reads_known = ok_out;
  return ok_out ? chk_op_output (op) : chk_op_input (op);
}

static gboolean
input_error (const ChkHistory *h, const ChkOp *op, gboolean at_completion, const char *what,
             const ChkValue *found, GError **error)
{
  ChkEvent ev_ev = chk_history_event (h, (guint) (at_completion ? op->ret : op->call));
  const ChkEvent *ev = &ev_ev;
  g_autofree char *text = chk_value_describe (h, found);
  g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
               "%s:%u:%u: expected %s for the %s of process %" G_GINT64_FORMAT ", found %s",
               h->source != NULL ? h->source : "<history>", ev->line, MAX (ev->column, 1), what,
               op_name (h, op), op->process,
               found->kind == CHK_VAL_NONE ? "no value" : text);
  return FALSE;
}

static gboolean
validate_txn (const ChkHistory *h, const ChkOp *op, GError **error)
{
  gboolean reads_known;
  ChkValue txn = txn_value (op, &reads_known);
  const ChkValue *v = &txn;
  gboolean at_completion = reads_known;
  const char *expected = "a txn: a list of micro-operations [f k v] ([[:read :x 1] "
                         "[:write :y 2]] in EDN, [[\"read\",\"x\",1]] in JSON Lines)";
  if (v->kind != CHK_VAL_LIST)
    return input_error (h, op, at_completion, expected, v, error);
  guint n;
  const ChkValue *micro = chk_history_list (h, v->s, &n, NULL);
  for (guint k = 0; k < n; k++) {
    const ChkValue *mo = &micro[k];
    guint n3 = 0;
    const ChkValue *parts = mo->kind == CHK_VAL_LIST ? chk_history_list (h, mo->s, &n3, NULL)
                                                     : NULL;
    if (parts == NULL || n3 != 3)
      return input_error (h, op, at_completion,
                          "a micro-operation [f k v] of three items in the txn", mo, error);
    if (micro_kind (h, &parts[0]) < 0)
      return input_error (h, op, at_completion,
                          "a micro-operation function read, r, write or w in the txn",
                          &parts[0], error);
    if (parts[1].kind != CHK_VAL_STR && parts[1].kind != CHK_VAL_INT)
      return input_error (h, op, at_completion,
                          "a register name (a keyword, string or integer) in the txn", &parts[1],
                          error);
    if (!is_element (&parts[2]))
      return input_error (h, op, at_completion,
                          "a register value (nil, an integer, a string or a pair) in the txn",
                          &parts[2], error);
  }
  return TRUE;
}

gboolean
lin_coll_validate (const ChkHistory *h, const GArray *ops, LinCollKind c, GError **error)
{
  for (guint i = 0; i < ops->len; i++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, i);
    if (op->status == CHK_OP_FAIL)
      continue; /* never happened: its value does not matter */
    const char *name = op_name (h, op);
    if (c == LIN_COLL_MULTI_REGISTER) {
      if (!validate_txn (h, op, error))
        return FALSE;
    } else if (op->f == CHK_F_READ) {
      if (op->status != CHK_OP_OK || chk_op_output (op).kind == CHK_VAL_NONE)
        continue; /* unknown result: dropped */
      gboolean ok = chk_op_output (op).kind == CHK_VAL_PAIR;
      if (chk_op_output (op).kind == CHK_VAL_LIST) {
        guint n;
        const ChkValue *items = chk_history_list (h, chk_op_output (op).s, &n, NULL);
        ok = TRUE;
        for (guint k = 0; k < n && ok; k++)
          ok = is_element (&items[k]);
      }
      if (!ok)
        return input_error (h, op, TRUE,
                            "the set the read returned, of nil, integers, strings or pairs "
                            "(#{1 2} in EDN, [1,2] in JSON Lines)",
                            (ChkValue[]) { chk_op_output (op) }, error);
    } else if (strcmp (name, "dequeue") == 0) {
      ChkValue out = chk_op_output (op);
      if (op->status == CHK_OP_OK && out.kind != CHK_VAL_NONE && !is_element (&out))
        return input_error (h, op, TRUE,
                            "the element dequeued (nil, an integer, a string or a pair)",
                            &out, error);
    } else if (!is_element ((ChkValue[]) { chk_op_input (op) })) {
      return input_error (h, op, FALSE,
                          strcmp (name, "add") == 0
                            ? "the element added (nil, an integer, a string or a pair)"
                            : "the element enqueued (nil, an integer, a string or a pair)",
                          (ChkValue[]) { chk_op_input (op) }, error);
    }
  }
  return TRUE;
}

static gboolean
txn_writes (const ChkHistory *h, const ChkValue *v)
{
  guint n;
  const ChkValue *micro = chk_history_list (h, v->s, &n, NULL);
  for (guint k = 0; k < n; k++) {
    guint n3;
    const ChkValue *parts = chk_history_list (h, micro[k].s, &n3, NULL);
    if (micro_kind (h, &parts[0]) == LIN_TXN_WRITE)
      return TRUE;
  }
  return FALSE;
}

gboolean
lin_coll_is_live (const ChkHistory *h, const ChkOp *op, LinCollKind c)
{
  if (op->status != CHK_OP_INFO)
    return TRUE;
  if (c == LIN_COLL_UNORDERED_QUEUE && strcmp (op_name (h, op), "dequeue") == 0)
    return FALSE;
  if (c == LIN_COLL_MULTI_REGISTER) {
    gboolean reads_known;
    ChkValue txn = txn_value (op, &reads_known);
    return txn_writes (h, &txn);
  }
  return TRUE;
}

static uint32_t
element_id (LinModel *m, const ChkValue *v)
{
  switch (v->kind) {
  case CHK_VAL_NIL: case CHK_VAL_NONE: return 0;
  case CHK_VAL_INT: return lin_model_value_id (m, CHK_LIN_VALUE_INT, v->i, 0);
  case CHK_VAL_STR: return lin_model_value_id (m, CHK_LIN_VALUE_STR, v->s, 0);
  case CHK_VAL_PAIR: return lin_model_value_id (m, CHK_LIN_VALUE_PAIR, v->i, v->j);
  default: break;
  }
  g_assert_not_reached ();
}

static int
u32_cmp (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
  return (x > y) - (x < y);
}

static uint32_t
register_of (LinModel *m, uint32_t name)
{
  LinSeqs *s = lin_model_seqs (m);
  gpointer found = g_hash_table_lookup (s->reg_of, GUINT_TO_POINTER (name + 1));
  if (found != NULL)
    return GPOINTER_TO_UINT (found) - 1;
  uint32_t r = s->reg_names->len;
  g_array_append_val (s->reg_names, name);
  g_hash_table_insert (s->reg_of, GUINT_TO_POINTER (name + 1), GUINT_TO_POINTER (r + 1));
  lin_model_account (m, 48);
  return r;
}

void
lin_coll_compile (LinModel *m, const ChkHistory *h, const ChkOp *op, LinOp *lo)
{
  LinCollKind c = (LinCollKind) lin_model_coll (m);
  const char *name = op_name (h, op);
  lo->b = 0;
  if (c == LIN_COLL_MULTI_REGISTER) {
    gboolean reads_known;
    ChkValue txn = txn_value (op, &reads_known);
    const ChkValue *v = &txn;
    guint n;
    const ChkValue *micro = chk_history_list (h, v->s, &n, NULL);
    g_autoptr (GArray) t = g_array_new (FALSE, FALSE, sizeof (uint32_t));
    for (guint k = 0; k < n; k++) {
      guint n3;
      const ChkValue *parts = chk_history_list (h, micro[k].s, &n3, NULL);
      uint32_t f = (uint32_t) micro_kind (h, &parts[0]);
      if (f == LIN_TXN_READ && !reads_known)
        continue; /* what it read is unknown */
      uint32_t triple[3] = { f, register_of (m, element_id (m, &parts[1])),
                             element_id (m, &parts[2]) };
      g_array_append_vals (t, triple, 3);
    }
    lo->kind = LIN_TXN;
    lo->a = lin_seqs_intern (m, (const uint32_t *) t->data, t->len);
    return;
  }
  if (op->f == CHK_F_READ) { /* a set read: the set, sorted and distinct */
    g_autoptr (GArray) e = g_array_new (FALSE, FALSE, sizeof (uint32_t));
    if (chk_op_output (op).kind == CHK_VAL_PAIR) {
      ChkValue a = chk_pair_side ((ChkValue[]) { chk_op_output (op) }, CHK_PAIR_NIL_FIRST);
      ChkValue b = chk_pair_side ((ChkValue[]) { chk_op_output (op) }, CHK_PAIR_NIL_SECOND);
      uint32_t ids[2] = { element_id (m, &a), element_id (m, &b) };
      g_array_append_vals (e, ids, 2);
    } else {
      guint n;
      const ChkValue *items = chk_history_list (h, chk_op_output (op).s, &n, NULL);
      for (guint k = 0; k < n; k++) {
        uint32_t id = element_id (m, &items[k]);
        g_array_append_val (e, id);
      }
    }
    uint32_t *d = (uint32_t *) e->data;
    if (e->len > 1)
      qsort (d, e->len, sizeof (uint32_t), u32_cmp);
    guint u = 0;
    for (guint k = 0; k < e->len; k++)
      if (u == 0 || d[u - 1] != d[k])
        d[u++] = d[k];
    lo->kind = LIN_SET_READ;
    lo->b = lin_seqs_intern (m, d, u);
    lo->a = lin_trie_build (m, lin_model_seqs (m)->trie, d, u);
    return;
  }
  if (strcmp (name, "add") == 0 || strcmp (name, "enqueue") == 0) {
    lo->kind = strcmp (name, "add") == 0 ? LIN_SET_ADD : LIN_ENQUEUE;
    lo->a = element_id (m, (ChkValue[]) { chk_op_input (op) });
    return;
  }
  g_assert (strcmp (name, "dequeue") == 0);
  if (op->status == CHK_OP_INFO) {
    g_assert (c == LIN_COLL_FIFO_QUEUE); /* lin_coll_is_live */
    lo->kind = LIN_DEQUEUE_HEAD;
    lo->a = 0;
    return;
  }
  lo->kind = LIN_DEQUEUE;
  lo->a = element_id (m, (ChkValue[]) { chk_op_output (op) });
}

uint32_t
lin_coll_state_of (LinModel *m, const uint32_t *values, guint n)
{
  LinCollKind c = (LinCollKind) lin_model_coll (m);
  if (c == LIN_COLL_FIFO_QUEUE)
    return lin_seqs_intern (m, values, n);
  g_assert (c == LIN_COLL_SET || c == LIN_COLL_UNORDERED_QUEUE);
  LinTrie *t = lin_model_seqs (m)->trie;
  g_autofree uint32_t *v = g_memdup2 (values, MAX (n, 1) * sizeof (uint32_t));
  qsort (v, n, sizeof (uint32_t), u32_cmp);
  if (c == LIN_COLL_UNORDERED_QUEUE) { /* copy k of each value, then by slot */
    g_autofree uint32_t *slots = g_new (uint32_t, MAX (n, 1));
    for (guint k = 0, copy = 0; k < n; k++) {
      copy = k > 0 && v[k - 1] == v[k] ? copy + 1 : 1;
      slots[k] = lin_trie_copy_slot (m, t, v[k], copy, TRUE);
    }
    qsort (slots, n, sizeof (uint32_t), u32_cmp);
    return lin_trie_build (m, t, slots, n);
  }
  return lin_trie_build (m, t, v, n);
}

/* ----- text ----- */

char *
lin_coll_value_text (const LinModel *m, const ChkHistory *h, uint32_t value)
{
  int kind;
  int64_t i, j;
  lin_model_value (m, value, &kind, &i, &j);
  switch (kind) {
  case CHK_LIN_VALUE_INT: return g_strdup_printf ("%" G_GINT64_FORMAT, i);
  case CHK_LIN_VALUE_STR:
    if (chk_history_string_tag (h, (int32_t) i) != 0)
      return g_strdup (chk_history_string (h, (int32_t) i));
    return g_strdup_printf ("\"%s\"", chk_history_string (h, (int32_t) i));
  case CHK_LIN_VALUE_PAIR:
    return g_strdup_printf ("[%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "]", i, j);
  default: return g_strdup ("nil");
  }
}

uint32_t
lin_coll_register_name (const LinModel *m, uint32_t r)
{
  const LinSeqs *s = lin_model_seqs (m);
  g_assert (r < s->reg_names->len);
  return g_array_index (s->reg_names, uint32_t, r);
}

guint
lin_coll_n_registers (const LinModel *m)
{
  return lin_model_seqs (m)->reg_names->len;
}

/* Elements shown of a long set or queue. */
#define LIN_COLL_TEXT_ITEMS 24

static gint
value_order (gconstpointer a, gconstpointer b, gpointer data)
{
  const LinModel *m = data;
  int ka, kb;
  int64_t ia, ja, ib, jb;
  lin_model_value (m, *(const uint32_t *) a, &ka, &ia, &ja);
  lin_model_value (m, *(const uint32_t *) b, &kb, &ib, &jb);
  if (ka != kb)
    return ka < kb ? -1 : 1;
  if (ia != ib)
    return ia < ib ? -1 : 1;
  return (ja > jb) - (ja < jb);
}

char *
lin_coll_state_text (const LinModel *m, const ChkHistory *h, uint32_t state)
{
  LinCollKind c = (LinCollKind) lin_model_coll (m);
  guint n;
  const uint32_t *items;
  g_autoptr (GArray) elems = NULL;
  if (c == LIN_COLL_SET || c == LIN_COLL_UNORDERED_QUEUE) {
    const LinTrie *t = lin_model_seqs (m)->trie;
    elems = g_array_new (FALSE, FALSE, sizeof (uint32_t));
    lin_trie_items (t, state, elems);
    if (c == LIN_COLL_UNORDERED_QUEUE)
      for (guint k = 0; k < elems->len; k++)
        g_array_index (elems, uint32_t, k) = lin_trie_slot_value (t, g_array_index (elems, uint32_t, k));
    items = (const uint32_t *) elems->data;
    n = elems->len;
  } else {
    items = lin_seqs_get (m, state, &n);
  }
  GString *out = g_string_new (NULL);
  if (c == LIN_COLL_MULTI_REGISTER) {
    /* every register the part names, in order of first use */
    g_string_append_c (out, '{');
    for (guint r = 0; r < lin_coll_n_registers (m); r++) {
      g_autofree char *name = lin_coll_value_text (m, h, lin_coll_register_name (m, r));
      g_autofree char *val = lin_coll_value_text (m, h, r < n ? items[r] : 0);
      g_string_append_printf (out, "%s%s %s", r > 0 ? " " : "", name, val);
    }
    g_string_append_c (out, '}');
    return g_string_free (out, FALSE);
  }
  g_string_append (out, c == LIN_COLL_FIFO_QUEUE ? "[" : "#{");
  /* Sets and multisets in value order (ids are in order of first use). */
  g_autofree uint32_t *sorted = g_memdup2 (items, n * sizeof (uint32_t));
  if (c != LIN_COLL_FIFO_QUEUE && n > 1)
    g_qsort_with_data (sorted, n, sizeof (uint32_t), value_order, (gpointer) m);
  for (guint k = 0; k < n; k++) {
    if (k == LIN_COLL_TEXT_ITEMS && n > LIN_COLL_TEXT_ITEMS + 1) {
      g_string_append_printf (out, " ... (%u elements)", n);
      break;
    }
    g_autofree char *v = sorted[k] == FIFO_BLOCKED
                           ? g_strdup ("... (elements no dequeue takes)")
                           : lin_coll_value_text (m, h, sorted[k]);
    g_string_append_printf (out, "%s%s", k > 0 ? " " : "", v);
  }
  g_string_append (out, c == LIN_COLL_FIFO_QUEUE ? "]" : "}");
  return g_string_free (out, FALSE);
}
