/* two_atomic.c: decides whether a differentiated register history is
 * 2-atomic, key by key (k-atomicity is local, as linearizability is: the
 * proof of Herlihy and Wing's locality theorem uses only that each key's
 * order extends real time).
 *
 * Golab, Hurwitz and Li ("On the k-atomicity-verification problem", ICDCS
 * 2013) decide 2-atomicity by building the order of writes and placing the
 * reads around it.  This file does the same as a depth-first search over
 * the order of writes, made small by three facts:
 *
 * 1. Reads need no branching.  When a read's write is one of the two
 *    latest placed writes and every operation that precedes it in real time
 *    is placed, placing the read at once never hurts: take any valid
 *    completion and move the read to its front; real time still holds (all
 *    its predecessors are placed), its write is still one of the two
 *    latest, and no write moved, so no other read changes.  So after each
 *    write the search places every read it can, and branches only on which
 *    write comes next.
 * 2. A write may come next only when every operation that precedes it in
 *    real time is placed, and when every read of the second latest write is
 *    placed (after it, that write is three versions back).
 * 3. Whether the rest can be completed depends only on the set placed and
 *    the two latest writes: failed states are remembered and never
 *    searched again.  The set is keyed exactly: every operation before the
 *    first unplaced one (in order of completion) is placed, so the key is
 *    that position and the bits after it.
 *
 * Before searching, two certain witnesses are looked for: a read that
 * returned a value no write wrote, or whose write began after it ended;
 * and a read with two writes that both began after its write completed
 * and completed before it began (real time puts both between the write and
 * the read, whatever the order: two versions behind).  When only the
 * search says no, the read to blame is the one whose completion first
 * makes the history not 2-atomic, found by bisection over prefixes.
 *
 * The search is exact but exponential in the worst case (in the number of
 * writes that run at once); it gives up (unknown) after max_states states
 * of one search. */
#include "checkers/two_atomic.h"

#include <stdlib.h>
#include <string.h>

#define TA_DEFAULT_MAX_STATES 1000000u

typedef struct {
  int64_t op;      /* index in ops; -1 for the initial write of nil */
  int64_t call, ret; /* event positions; ret G_MAXINT64 if it never completed */
  int write;       /* read: local index of the write it returned */
  gboolean is_write;
} TaOp;

typedef struct {
  const ChkHistory *h;
  const GArray *ops;
  TaOp *op;          /* local ops; op[0] is the initial write */
  int n;
  int *by_ret;       /* local ids by completion */
  int *ret_pos;      /* local id -> position in by_ret */
  int *writes;       /* writes by invocation (not the initial one) */
  int n_writes;
  GArray **reads_of; /* local write id -> int local read ids by invocation */
  guint8 *is_placed;
  guint8 *bits;      /* by_ret position -> placed */
  int *log;          /* placed local ids, in order */
  int n_log;
  guint64 states, max_states;
  const volatile int *cancel;
} TaKey;

typedef struct {
  int a, b;          /* the two latest writes (a older; -1 none) */
  int f, hi;         /* first unplaced and last placed position in by_ret */
  int log_base;      /* log length before this frame's write */
  int cursor;        /* next candidate in writes[] */
  GBytes *key;
} TaFrame;

static int
int64_cmp (gconstpointer a, gconstpointer b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

static int
by_call_cmp (const void *x, const void *y, void *data)
{
  const TaOp *op = data;
  const TaOp *a = &op[*(const int *) x], *b = &op[*(const int *) y];
  if (a->call != b->call)
    return a->call < b->call ? -1 : 1;
  return (*(const int *) x > *(const int *) y) - (*(const int *) x < *(const int *) y);
}

static int
by_ret_cmp (const void *x, const void *y, void *data)
{
  const TaOp *op = data;
  const TaOp *a = &op[*(const int *) x], *b = &op[*(const int *) y];
  if (a->ret != b->ret)
    return a->ret < b->ret ? -1 : 1;
  return by_call_cmp (x, y, data);
}

/* The completion position of the first unplaced operation: an operation
 * invoked before it has every real-time predecessor placed. */
static int64_t
ta_min_unplaced_ret (const TaKey *k, int f)
{
  return f < k->n ? k->op[k->by_ret[f]].ret : G_MAXINT64;
}

static void
ta_place (TaKey *k, int id, int *f, int *hi)
{
  g_assert (!k->is_placed[id]);
  k->is_placed[id] = 1;
  int p = k->ret_pos[id];
  k->bits[p] = 1;
  *hi = MAX (*hi, p);
  while (*f < k->n && k->bits[*f])
    (*f)++;
  k->log[k->n_log++] = id;
}

static void
ta_undo (TaKey *k, int log_base)
{
  while (k->n_log > log_base) {
    int id = k->log[--k->n_log];
    k->is_placed[id] = 0;
    k->bits[k->ret_pos[id]] = 0;
  }
}

/* Places every read of a and b that may be placed (fact 1). */
static void
ta_close (TaKey *k, int a, int b, int *f, int *hi)
{
  gboolean changed = TRUE;
  while (changed) {
    changed = FALSE;
    for (int side = 0; side < 2; side++) {
      int w = side == 0 ? a : b;
      if (w < 0)
        continue;
      GArray *rs = k->reads_of[w];
      for (guint i = 0; i < rs->len; i++) {
        int r = g_array_index (rs, int, i);
        if (!k->is_placed[r] && k->op[r].call < ta_min_unplaced_ret (k, *f)) {
          ta_place (k, r, f, hi);
          changed = TRUE;
        }
      }
    }
  }
}

static GBytes *
ta_state_key (const TaKey *k, int a, int b, int f, int hi)
{
  int n_bits = hi > f ? hi - f : 0;
  GByteArray *key = g_byte_array_sized_new (12 + (guint) (n_bits + 7) / 8);
  int32_t head[3] = { a, b, f };
  g_byte_array_append (key, (const guint8 *) head, sizeof head);
  guint8 byte = 0;
  for (int i = 0; i < n_bits; i++) {
    byte |= (guint8) (k->bits[f + 1 + i] << (i % 8));
    if (i % 8 == 7 || i == n_bits - 1) {
      g_byte_array_append (key, &byte, 1);
      byte = 0;
    }
  }
  return g_byte_array_free_to_bytes (key);
}

/* The search: ok, violation, or unknown when max_states is reached. */
static ChkVerdict
ta_search (TaKey *k)
{
  g_autoptr (GHashTable) failed = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                         (GDestroyNotify) g_bytes_unref, NULL);
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (TaFrame));
  int f = 0, hi = -1;
  ta_place (k, 0, &f, &hi);
  ta_close (k, -1, 0, &f, &hi);
  TaFrame root = { -1, 0, f, hi, 0, 0, NULL };
  g_array_append_val (stack, root);
  gboolean fresh = TRUE;
  ChkVerdict verdict = CHK_VERDICT_VIOLATION;
  while (stack->len > 0) {
    TaFrame *fr = &g_array_index (stack, TaFrame, stack->len - 1);
    gboolean dead = FALSE;
    if (fresh) {
      fresh = FALSE;
      if (k->n_log == k->n) {
        verdict = CHK_VERDICT_OK;
        break;
      }
      if (++k->states > k->max_states
          || (k->cancel != NULL && k->states % 1024 == 0 && *k->cancel)) {
        verdict = CHK_VERDICT_UNKNOWN;
        break;
      }
      fr->key = ta_state_key (k, fr->a, fr->b, fr->f, fr->hi);
      if (g_hash_table_contains (failed, fr->key))
        dead = TRUE;
      /* Fact 2: the second latest write's reads must all be placed. */
      if (fr->a >= 0) {
        GArray *rs = k->reads_of[fr->a];
        for (guint i = 0; i < rs->len && !dead; i++)
          dead = !k->is_placed[g_array_index (rs, int, i)];
      }
    }
    int next = -1;
    int64_t limit = ta_min_unplaced_ret (k, fr->f);
    while (!dead && next < 0 && fr->cursor < k->n_writes) {
      int x = k->writes[fr->cursor++];
      if (k->op[x].call >= limit)
        fr->cursor = k->n_writes; /* invoked too late, and so are the rest */
      else if (!k->is_placed[x])
        next = x;
    }
    if (next < 0) {
      /* Every way on from here fails: remember it, go back. */
      if (fr->key != NULL && !g_hash_table_contains (failed, fr->key))
        g_hash_table_add (failed, g_bytes_ref (fr->key));
      g_clear_pointer (&fr->key, g_bytes_unref);
      ta_undo (k, fr->log_base);
      g_array_set_size (stack, stack->len - 1);
      continue;
    }
    TaFrame child = { fr->b, next, fr->f, fr->hi, k->n_log, 0, NULL };
    ta_place (k, next, &child.f, &child.hi);
    ta_close (k, child.a, child.b, &child.f, &child.hi);
    g_array_append_val (stack, child);
    fresh = TRUE;
  }
  for (guint i = 0; i < stack->len; i++)
    g_clear_pointer (&g_array_index (stack, TaFrame, i).key, g_bytes_unref);
  return verdict;
}

static char *
ta_describe (const TaKey *k, int id)
{
  if (id < 0 || k->op[id].op < 0)
    return g_strdup ("the initial nil");
  return chk_op_describe (k->h, &g_array_index (k->ops, ChkOp, k->op[id].op));
}

static int64_t
ta_op_index (const TaKey *k, int id)
{
  return id < 0 ? -1 : k->op[id].op;
}

/* The certain witnesses, before any search: of the reads that have one,
 * the one that completed first.  TRUE if one is found. */
static gboolean
ta_certain_witness (const TaKey *k, const char *key_name, ChkTwoAtomic *out)
{
  int best = -1, best_skipped[2] = { -1, -1 };
  gboolean best_is_early = FALSE;
  for (int r = 1; r < k->n; r++) {
    const TaOp *rd = &k->op[r];
    if (rd->is_write || (best >= 0 && k->op[best].ret <= rd->ret))
      continue;
    const TaOp *w = &k->op[rd->write];
    if (rd->ret < w->call) {
      best = r, best_is_early = TRUE;
      continue;
    }
    int found = 0, skipped[2] = { -1, -1 };
    for (int i = 0; i < k->n_writes && found < 2; i++) {
      const TaOp *x = &k->op[k->writes[i]];
      if (x != w && w->ret < x->call && x->ret < rd->call)
        skipped[found++] = k->writes[i];
    }
    if (found == 2)
      best = r, best_is_early = FALSE, best_skipped[0] = skipped[0], best_skipped[1] = skipped[1];
  }
  if (best < 0)
    return FALSE;
  g_autofree char *rtext = ta_describe (k, best);
  g_autofree char *wtext = ta_describe (k, k->op[best].write);
  out->read = k->op[best].op;
  out->write = ta_op_index (k, k->op[best].write);
  if (best_is_early) {
    out->explanation = g_strdup_printf ("key %s: %s completed before %s, whose value it "
                                        "returned, began", key_name, rtext, wtext);
    return TRUE;
  }
  out->skipped[0] = ta_op_index (k, best_skipped[0]);
  out->skipped[1] = ta_op_index (k, best_skipped[1]);
  g_autofree char *x0 = ta_describe (k, best_skipped[0]);
  g_autofree char *x1 = ta_describe (k, best_skipped[1]);
  out->explanation = g_strdup_printf ("key %s: %s returned the value of %s, but %s and %s "
                                      "both began after that completed and completed before "
                                      "the read began: two versions behind in any order",
                                      key_name, rtext, wtext, x0, x1);
  return TRUE;
}

static void
ta_clear (TaKey *k)
{
  if (k->reads_of != NULL)
    for (int w = 0; w <= k->n_writes; w++)
      g_array_unref (k->reads_of[w]);
  g_free (k->reads_of);
  g_free (k->writes);
  g_free (k->op);
  g_free (k->by_ret);
  g_free (k->ret_pos);
  g_free (k->is_placed);
  g_free (k->bits);
  g_free (k->log);
  memset (k, 0, sizeof *k);
}

/* The local ops of one key (ops indices in `members`), as the history
 * stood at event position `cut`: operations invoked after it left out,
 * reads not complete by then left out, writes not complete by then
 * pending.  A write that may never have happened (info, or pending at the
 * cut) is kept only if a read returned its value.  FALSE, with out filled,
 * if a value is written twice or a read returned one never written. */
static gboolean
ta_build (TaKey *k, const GArray *members, const char *key_name, int64_t cut,
          ChkTwoAtomic *out)
{
  const GArray *ops = k->ops;
  g_autoptr (GHashTable) by_value = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                           NULL);
  g_autoptr (GHashTable) read_values = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                              g_free, NULL);
  for (guint i = 0; i < members->len; i++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, g_array_index (members, int64_t, i));
    ChkValue out_v = chk_op_output (op);
    if (op->f == CHK_F_READ && op->status == CHK_OP_OK && out_v.kind == CHK_VAL_INT
        && op->ret <= cut)
      g_hash_table_add (read_values, g_memdup2 (&out_v.i, sizeof out_v.i));
  }
  /* Writes first, then the reads (in invocation order, as members are). */
  k->op = g_new0 (TaOp, members->len + 1);
  k->op[0] = (TaOp) { -1, -2, -1, -1, TRUE };
  k->n = 1;
  for (guint i = 0; i < members->len; i++) {
    int64_t idx = g_array_index (members, int64_t, i);
    const ChkOp *op = &g_array_index (ops, ChkOp, idx);
    if (op->f != CHK_F_WRITE || op->status == CHK_OP_FAIL || op->call > cut)
      continue;
    gboolean is_sure = op->status == CHK_OP_OK && op->ret <= cut;
    int64_t written = chk_op_input (op).i;
    if (!is_sure && !g_hash_table_contains (read_values, &written))
      continue;
    if (g_hash_table_contains (by_value, &written)) {
      out->verdict = CHK_VERDICT_UNKNOWN;
      out->explanation = g_strdup_printf ("key %s: a value is written twice, and 2-atomicity "
                                          "is decided for differentiated histories only",
                                          key_name);
      return FALSE;
    }
    g_hash_table_insert (by_value, g_memdup2 (&written, sizeof written), GINT_TO_POINTER (k->n));
    k->op[k->n++] = (TaOp) { idx, op->call, is_sure ? op->ret : G_MAXINT64, -1, TRUE };
  }
  k->n_writes = k->n - 1;
  for (guint i = 0; i < members->len; i++) {
    int64_t idx = g_array_index (members, int64_t, i);
    const ChkOp *op = &g_array_index (ops, ChkOp, idx);
    if (op->f != CHK_F_READ || op->status != CHK_OP_OK || op->ret > cut)
      continue;
    int w = 0;
    ChkValue read_v = chk_op_output (op);
    if (read_v.kind == CHK_VAL_INT) {
      gpointer v;
      if (!g_hash_table_lookup_extended (by_value, &read_v.i, NULL, &v)) {
        g_autofree char *rtext = chk_op_describe (k->h, op);
        out->verdict = CHK_VERDICT_VIOLATION;
        out->read = idx;
        out->explanation = g_strdup_printf ("key %s: %s returned a value that no write wrote",
                                            key_name, rtext);
        return FALSE;
      }
      w = GPOINTER_TO_INT (v);
    }
    k->op[k->n++] = (TaOp) { idx, op->call, op->ret, w, FALSE };
  }
  k->writes = g_new (int, MAX (k->n_writes, 1));
  for (int i = 0; i < k->n_writes; i++)
    k->writes[i] = i + 1;
  g_qsort_with_data (k->writes, k->n_writes, sizeof (int), by_call_cmp, k->op);
  k->reads_of = g_new0 (GArray *, k->n_writes + 1);
  for (int w = 0; w <= k->n_writes; w++)
    k->reads_of[w] = g_array_new (FALSE, FALSE, sizeof (int));
  for (int r = k->n_writes + 1; r < k->n; r++)
    g_array_append_val (k->reads_of[k->op[r].write], r);
  return TRUE;
}

static ChkVerdict
ta_run (TaKey *k)
{
  k->by_ret = g_new (int, k->n);
  k->ret_pos = g_new (int, k->n);
  for (int i = 0; i < k->n; i++)
    k->by_ret[i] = i;
  g_qsort_with_data (k->by_ret, k->n, sizeof (int), by_ret_cmp, k->op);
  for (int i = 0; i < k->n; i++)
    k->ret_pos[k->by_ret[i]] = i;
  k->is_placed = g_new0 (guint8, k->n);
  k->bits = g_new0 (guint8, k->n);
  k->log = g_new (int, k->n);
  return ta_search (k);
}

/* Does op x come before op y in every order that keeps real time and has
 * reads after their writes?  Through real time, or through a read of x
 * that completed before y began. */
static gboolean
ta_forced_before (const TaKey *k, int x, int y)
{
  if (k->op[x].ret < k->op[y].call)
    return TRUE;
  if (!k->op[x].is_write)
    return FALSE;
  GArray *rs = k->reads_of[x];
  for (guint i = 0; i < rs->len; i++)
    if (k->op[g_array_index (rs, int, i)].ret < k->op[y].call)
      return TRUE;
  return FALSE;
}

/* Not 2-atomic, and no certain witness: the read whose completion first
 * makes a prefix of the history not 2-atomic (2-atomicity is closed under
 * prefixes: a valid order of the whole, less what the prefix leaves out,
 * is a valid order of the prefix), found by bisection over the reads'
 * completions; and the writes it must follow that need not precede the
 * write it returned. */
static void
ta_explain (TaKey *full, const GArray *members, const char *key_name, ChkTwoAtomic *out)
{
  g_autoptr (GArray) cuts = g_array_new (FALSE, FALSE, sizeof (int64_t));
  for (int r = full->n_writes + 1; r < full->n; r++)
    g_array_append_val (cuts, full->op[r].ret);
  g_array_sort (cuts, int64_cmp);
  guint lo = 0, hi = cuts->len - 1; /* hi fails: the whole history does */
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    TaKey k = { .h = full->h, .ops = full->ops, .max_states = full->max_states,
                .cancel = full->cancel };
    ChkTwoAtomic scratch = { 0 };
    ChkVerdict v = CHK_VERDICT_UNKNOWN;
    if (ta_build (&k, members, key_name, g_array_index (cuts, int64_t, mid), &scratch))
      v = ta_run (&k);
    out->states += k.states;
    g_free (scratch.explanation);
    ta_clear (&k);
    if (v == CHK_VERDICT_OK)
      lo = mid + 1;
    else if (v == CHK_VERDICT_VIOLATION)
      hi = mid;
    else
      break; /* the bisection gave up: name the last read found to fail */
  }
  int64_t cut = g_array_index (cuts, int64_t, hi);
  int r = -1;
  for (int i = full->n_writes + 1; i < full->n && r < 0; i++)
    if (full->op[i].ret == cut)
      r = i;
  g_assert (r >= 0);
  int w = full->op[r].write;
  out->read = full->op[r].op;
  out->write = ta_op_index (full, w);
  /* The writes it must follow that need not come before its own. */
  int must[2] = { -1, -1 }, n_must = 0;
  for (int i = 0; i < full->n_writes; i++) {
    int x = full->writes[i];
    if (x != w && ta_forced_before (full, x, r) && !ta_forced_before (full, x, w)) {
      if (n_must < 2)
        must[n_must] = x;
      n_must++;
    }
  }
  g_autofree char *rtext = ta_describe (full, r);
  g_autofree char *wtext = ta_describe (full, w);
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "key %s: the reads that completed before %s fit a 2-atomic "
                          "order, but it does not: it returned the value of %s", key_name,
                          rtext, wtext);
  if (n_must >= 2) {
    out->skipped[0] = ta_op_index (full, must[0]);
    out->skipped[1] = ta_op_index (full, must[1]);
    g_autofree char *x0 = ta_describe (full, must[0]);
    g_autofree char *x1 = ta_describe (full, must[1]);
    g_string_append_printf (s, " and must follow %s and %s%s (in real time, or through "
                            "reads of them that completed before it began), and no order of "
                            "the operations before it puts all but one of them before that "
                            "write", x0, x1, n_must > 2 ? " and more" : "");
  } else {
    g_string_append (s, ", and no order of the operations before it keeps that write among "
                     "the two latest when it is placed");
  }
  out->explanation = g_string_free (s, FALSE);
}

/* One key: ops indices in `members`.  FALSE when it is not 2-atomic or the
 * search gave up (out filled). */
static gboolean
ta_check_key (const ChkHistory *h, const GArray *ops, const GArray *members, int32_t key,
              guint64 max_states, const volatile int *cancel, ChkTwoAtomic *out)
{
  TaKey k = { .h = h, .ops = ops, .max_states = max_states, .cancel = cancel };
  const char *key_name = key >= 0 ? chk_history_string (h, key) : "(single register)";
  gboolean ok = ta_build (&k, members, key_name, G_MAXINT64, out);
  if (ok && ta_certain_witness (&k, key_name, out)) {
    out->verdict = CHK_VERDICT_VIOLATION;
    ok = FALSE;
  } else if (ok) {
    ChkVerdict v = ta_run (&k);
    out->states += k.states;
    if (v == CHK_VERDICT_UNKNOWN) {
      out->verdict = CHK_VERDICT_UNKNOWN;
      if (k.states > k.max_states)
        out->explanation = g_strdup_printf ("key %s: the 2-atomicity search gave up after %"
                                            G_GUINT64_FORMAT " states", key_name, k.max_states);
      else
        out->explanation = g_strdup_printf ("key %s: the 2-atomicity search was stopped (time "
                                            "limit)", key_name);
      ok = FALSE;
    } else if (v == CHK_VERDICT_VIOLATION) {
      out->verdict = CHK_VERDICT_VIOLATION;
      ta_explain (&k, members, key_name, out);
      ok = FALSE;
    }
  }
  ta_clear (&k);
  return ok;
}

static int
key_then_index_cmp (const void *x, const void *y, void *data)
{
  const GArray *ops = data;
  int64_t i = *(const int64_t *) x, j = *(const int64_t *) y;
  int32_t a = g_array_index (ops, ChkOp, i).key, b = g_array_index (ops, ChkOp, j).key;
  if (a != b)
    return a < b ? -1 : 1;
  return (i > j) - (i < j);
}

void
chk_two_atomic_check (const ChkHistory *h, const GArray *ops, guint64 max_states,
                      const volatile int *cancel, ChkTwoAtomic *out)
{
  memset (out, 0, sizeof *out);
  out->verdict = CHK_VERDICT_OK;
  out->read = out->write = out->skipped[0] = out->skipped[1] = -1;
  /* Keys in the order of their interned ids; ops of each in invocation order. */
  g_autoptr (GArray) sorted = g_array_sized_new (FALSE, FALSE, sizeof (int64_t), ops->len);
  for (guint i = 0; i < ops->len; i++) {
    int64_t idx = i;
    g_array_append_val (sorted, idx);
  }
  g_qsort_with_data (sorted->data, (gint) sorted->len, sizeof (int64_t), key_then_index_cmp,
                     (gpointer) ops);
  g_autoptr (GArray) members = g_array_new (FALSE, FALSE, sizeof (int64_t));
  for (guint i = 0; i < sorted->len;) {
    int32_t key = g_array_index (ops, ChkOp, g_array_index (sorted, int64_t, i)).key;
    g_array_set_size (members, 0);
    for (; i < sorted->len
           && g_array_index (ops, ChkOp, g_array_index (sorted, int64_t, i)).key == key; i++)
      g_array_append_val (members, g_array_index (sorted, int64_t, i));
    if (!ta_check_key (h, ops, members, key,
                       max_states > 0 ? max_states : TA_DEFAULT_MAX_STATES, cancel, out))
      return;
  }
}
