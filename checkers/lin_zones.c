/* lin_zones.c: linearizability of a differentiated register history in
 * O(n log n), from the reads-from map (see lin_zones.h).
 *
 * Gibbons and Korach (1997), for a register whose every write is unique:
 * "the cluster of a write w is w together with all the reads that return
 * its value; in any linearization a cluster occupies one contiguous
 * stretch, starting with w.  Let f be the earliest completion and s the
 * latest invocation in the cluster.  If f < s the cluster must span
 * [f, s] (a forward zone); otherwise it may sit at any one point of
 * [s, f] (a backward zone).  The history is linearizable iff no read
 * completes before its write is invoked, no two forward zones intersect,
 * and no backward zone lies inside a forward zone."
 *
 * A successful cas [a b] reads a and writes b: it is the last operation of
 * a's cluster and the write of b's, so the two clusters are adjacent and
 * in that order.  Clusters joined by cas operations form a chain, which
 * occupies one contiguous stretch as a single cluster does: the zone
 * argument applies to chains, and inside a chain the order is fixed
 * (layers: the write of a value, its reads, the cas to the next value,
 * ...), which real time must not contradict.  The initial nil heads a
 * chain whose write completed at -infinity.
 *
 * Operations of unknown outcome (info, or never completed; ret = G_MAXINT64)
 * take part if someone saw their value (it is unique, so they happened) and
 * are left out otherwise (they may never have happened).  Porcupine's failed
 * cas, which saw "anything but a", joins no cluster: each is put where the
 * witness linearization holds another value, and the witness is replayed;
 * if that fails the test gives up and the search decides. */
#include "checkers/lin_zones.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  int32_t head;     /* local value id */
  int64_t f, s;     /* earliest completion, latest invocation */
  int32_t x, y;     /* the operations that give them (x = -1: initial nil) */
  int64_t max_ret;
  int64_t key;      /* placement in the witness order */
  int32_t tie;
} Chain;

typedef struct {
  const LinOp *ops;
  guint n;
  LinModel *model;
  guint k;             /* local values, 0 is nil */
  uint32_t *vals;      /* local id -> model value id, sorted */
  int32_t *writer;     /* local value -> the operation that writes it, -1 */
  int32_t *next_cas;   /* local value -> the cas that replaces it, -1 */
  uint32_t *read_start;/* local value -> its reads in read_ops (k + 1) */
  int32_t *read_ops;
  uint8_t *dropped;    /* per op: of unknown outcome and unseen */
  GArray *mismatches;  /* int32: Porcupine's failed cas operations */
  GArray *chains;      /* Chain */
} Zones;

static int
u32_cmp (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
  return (x > y) - (x < y);
}

static int32_t
local_of (const Zones *z, uint32_t id)
{
  guint lo = 0, hi = z->k;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (z->vals[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  g_assert (lo < z->k && z->vals[lo] == id);
  return (int32_t) lo;
}

static gboolean
is_writer_kind (uint8_t kind)
{
  return kind == LIN_WRITE || kind == LIN_CAS || kind == LIN_CAS_UNKNOWN;
}

/* The value an operation writes, or -1. */
static int32_t
written_value (const Zones *z, int32_t o)
{
  const LinOp *op = &z->ops[o];
  if (op->kind == LIN_WRITE)
    return local_of (z, op->a);
  if (op->kind == LIN_CAS || op->kind == LIN_CAS_UNKNOWN)
    return local_of (z, op->b);
  return -1;
}

/* Local values, writers, cas successors and reads.  FALSE if the history
 * is not differentiated (a value written twice, or nil written). */
static gboolean
zones_index (Zones *z)
{
  const LinOp *ops = z->ops;
  guint n = z->n;
  g_autofree uint32_t *ids = g_new (uint32_t, 2 * (gsize) n + 1);
  gsize m = 0;
  ids[m++] = 0;
  for (guint i = 0; i < n; i++) {
    if (ops[i].kind == LIN_APPEND || ops[i].slot != 0)
      return FALSE;
    ids[m++] = ops[i].a;
    if (ops[i].kind == LIN_CAS || ops[i].kind == LIN_CAS_UNKNOWN)
      ids[m++] = ops[i].b;
  }
  qsort (ids, m, sizeof *ids, u32_cmp);
  gsize k = 0;
  for (gsize i = 0; i < m; i++)
    if (k == 0 || ids[i] != ids[k - 1])
      ids[k++] = ids[i];
  g_assert (ids[0] == 0);
  z->k = (guint) k;
  z->vals = g_steal_pointer (&ids);
  z->writer = g_new (int32_t, k);
  z->next_cas = g_new (int32_t, k);
  memset (z->writer, 0xff, k * sizeof (int32_t));
  memset (z->next_cas, 0xff, k * sizeof (int32_t));
  z->read_start = g_new0 (uint32_t, k + 1);
  z->dropped = g_new0 (uint8_t, n);
  z->mismatches = g_array_new (FALSE, FALSE, sizeof (int32_t));

  /* Seen: read, or expected by a cas that may have succeeded. */
  g_autofree uint8_t *seen = g_new0 (uint8_t, k);
  for (guint i = 0; i < n; i++)
    if (ops[i].kind == LIN_READ || ops[i].kind == LIN_CAS || ops[i].kind == LIN_CAS_UNKNOWN)
      seen[local_of (z, ops[i].a)] = 1;
  guint n_reads = 0;
  for (guint i = 0; i < n; i++) {
    const LinOp *op = &ops[i];
    switch ((LinOpKind) op->kind) {
    case LIN_READ:
      z->read_start[local_of (z, op->a) + 1]++;
      n_reads++;
      break;
    case LIN_WRITE:
    case LIN_CAS:
    case LIN_CAS_UNKNOWN: {
      int32_t v = written_value (z, (int32_t) i);
      if (op->ret == G_MAXINT64 && !seen[v]) {
        z->dropped[i] = 1; /* it may never have happened, and nobody saw it */
        continue;
      }
      if (v == 0 || z->writer[v] >= 0)
        return FALSE; /* nil, or a value written twice: not differentiated */
      z->writer[v] = (int32_t) i;
      if (op->kind != LIN_WRITE) {
        int32_t a = local_of (z, op->a);
        if (z->next_cas[a] >= 0)
          return FALSE; /* two cas from one value: the search explains it */
        z->next_cas[a] = (int32_t) i;
      }
      break;
    }
    case LIN_CAS_MISMATCH: {
      int32_t o = (int32_t) i;
      g_array_append_val (z->mismatches, o);
      break;
    }
    default: /* append, and the collection models' operations: not a register */
      return FALSE;
    }
  }
  for (guint v = 0; v < k; v++)
    z->read_start[v + 1] += z->read_start[v];
  z->read_ops = g_new (int32_t, MAX (n_reads, 1));
  g_autofree uint32_t *fill = g_memdup2 (z->read_start, k * sizeof (uint32_t));
  for (guint i = 0; i < n; i++)
    if (ops[i].kind == LIN_READ)
      z->read_ops[fill[local_of (z, ops[i].a)]++] = (int32_t) i; /* in invocation order */
  return TRUE;
}

static void
zones_clear (Zones *z)
{
  g_free (z->vals);
  g_free (z->writer);
  g_free (z->next_cas);
  g_free (z->read_start);
  g_free (z->read_ops);
  g_free (z->dropped);
  if (z->mismatches != NULL)
    g_array_unref (z->mismatches);
  if (z->chains != NULL)
    g_array_unref (z->chains);
}

/* The value after v in its chain, or -1. */
static int32_t
chain_next (const Zones *z, int32_t v)
{
  return z->next_cas[v] >= 0 ? local_of (z, z->ops[z->next_cas[v]].b) : -1;
}

/* A value seen (read, or expected by a cas that must have happened) that
 * nothing writes: the culprit with the earliest completion.  Sets
 * *undecided if only an operation of unknown outcome expects it. */
static int32_t
zones_unwritten (const Zones *z, gboolean *undecided)
{
  int32_t best = -1;
  for (guint i = 0; i < z->n; i++) {
    const LinOp *op = &z->ops[i];
    gboolean expects = op->kind == LIN_READ
                       || ((op->kind == LIN_CAS || op->kind == LIN_CAS_UNKNOWN) && !z->dropped[i]);
    if (!expects)
      continue;
    int32_t a = local_of (z, op->a);
    if (a == 0 || z->writer[a] >= 0)
      continue;
    if (op->ret == G_MAXINT64) {
      *undecided = TRUE;
      continue;
    }
    if (best < 0 || op->ret < z->ops[best].ret)
      best = (int32_t) i;
  }
  return best;
}

/* Builds the chains and checks that real time allows each one's fixed
 * order.  FALSE with *w filled on a violation; *undecided if a written
 * value belongs to no chain (a cycle of cas operations). */
static gboolean
zones_chains (Zones *z, LinZonesWitness *w, gboolean *undecided)
{
  const LinOp *ops = z->ops;
  g_autofree uint8_t *in_chain = g_new0 (uint8_t, z->k);
  /* One chain per value no cas leads to, at most: the array is made that
   * long at once (zones_memory_bound counts one Chain per value). */
  guint n_heads = z->k;
  for (guint v = 0; v < z->k; v++) {
    int32_t next = chain_next (z, (int32_t) v);
    if (next >= 0 && !in_chain[next]) {
      in_chain[next] = 1;
      n_heads--;
    }
  }
  memset (in_chain, 0, z->k);
  z->chains = g_array_sized_new (FALSE, FALSE, sizeof (Chain), MAX (n_heads, 1));
  for (guint h = 0; h < z->k; h++) {
    if (h != 0 && (z->writer[h] < 0 || ops[z->writer[h]].kind != LIN_WRITE))
      continue;
    Chain c = { .head = (int32_t) h, .f = h == 0 ? G_MININT64 : G_MAXINT64, .s = G_MININT64,
                .x = -1, .y = -1, .max_ret = G_MININT64 };
    guint members = 0;
    /* The latest invocation in the layers before the current one. */
    int64_t before = G_MININT64;
    int32_t before_op = -1;
    for (int32_t v = (int32_t) h; v >= 0; v = chain_next (z, v)) {
      in_chain[v] = 1;
      for (int layer = 0; layer < 2; layer++) {
        const int32_t *list;
        guint len;
        int32_t wr = z->writer[v];
        if (layer == 0) {
          list = &wr;
          len = wr >= 0 ? 1 : 0;
        } else {
          list = z->read_ops + z->read_start[v];
          len = z->read_start[v + 1] - z->read_start[v];
        }
        int64_t layer_max = G_MININT64;
        int32_t layer_max_op = -1;
        for (guint j = 0; j < len; j++) {
          int32_t o = list[j];
          const LinOp *op = &ops[o];
          members++;
          if (before_op >= 0 && op->ret < before) {
            /* o belongs after before_op but completed before it began. */
            if (ops[before_op].kind == LIN_READ)
              *w = (LinZonesWitness) { LIN_ZONES_STALE, before_op, o, -1, -1, -1 };
            else
              *w = (LinZonesWitness) { LIN_ZONES_EARLY, o, before_op, -1, -1, -1 };
            return FALSE;
          }
          if (op->ret < c.f) {
            c.f = op->ret;
            c.x = o;
          }
          if (op->call > c.s) {
            c.s = op->call;
            c.y = o;
          }
          c.max_ret = MAX (c.max_ret, op->ret);
          if (op->call > layer_max) {
            layer_max = op->call;
            layer_max_op = o;
          }
        }
        if (layer_max > before) {
          before = layer_max;
          before_op = layer_max_op;
        }
      }
    }
    if (members > 0)
      g_array_append_val (z->chains, c);
  }
  for (guint v = 0; v < z->k; v++)
    if (z->writer[v] >= 0 && !in_chain[v]) {
      *undecided = TRUE; /* a cycle of cas operations */
      return FALSE;
    }
  return TRUE;
}

static int
chain_f_cmp (const void *a, const void *b)
{
  const Chain *x = *(const Chain *const *) a, *y = *(const Chain *const *) b;
  return (x->f > y->f) - (x->f < y->f);
}

static int
chain_key_cmp (const void *a, const void *b)
{
  const Chain *x = *(const Chain *const *) a, *y = *(const Chain *const *) b;
  if (x->key != y->key)
    return (x->key > y->key) - (x->key < y->key);
  if (x->tie != y->tie)
    return x->tie - y->tie;
  return (x->head > y->head) - (x->head < y->head);
}

/* The last of the nf forward zones fwd (sorted) that starts before t, or
 * NULL. */
static Chain *
zone_before (Chain *const *fwd, guint nf, int64_t t)
{
  guint lo = 0, hi = nf;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (fwd[mid]->f < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo > 0 ? fwd[lo - 1] : NULL;
}

/* The forward zones of `list` sorted by start; the first pair of chains
 * each seen before the other (two forward zones that meet, or a backward
 * zone inside a forward one) in *w, else placement keys for the witness
 * and `list` sorted by them.  A backward chain sits at one point of its
 * zone outside every forward zone: the earliest, or with `late` the
 * latest (as when each operation takes effect when it completes). */
static gboolean
zones_place (Chain **list, guint n, gboolean late, LinZonesWitness *w)
{
  g_autofree Chain **fwd = g_new (Chain *, MAX (n, 1));
  guint nf = 0;
  for (guint i = 0; i < n; i++)
    if (list[i]->f < list[i]->s)
      fwd[nf++] = list[i];
  qsort (fwd, nf, sizeof *fwd, chain_f_cmp);
  Chain *a = NULL, *b = NULL;
  for (guint i = 0; i + 1 < nf && a == NULL; i++)
    if (fwd[i + 1]->f < fwd[i]->s) {
      a = fwd[i];
      b = fwd[i + 1];
    }
  for (guint i = 0; i < n && a == NULL; i++) {
    Chain *c = list[i];
    if (c->f < c->s) {
      c->key = c->f;
      c->tie = 0;
      continue;
    }
    /* The last forward zone starting before c's latest invocation. */
    Chain *zc = zone_before (fwd, nf, c->s);
    c->key = c->s;
    c->tie = 1;
    if (zc != NULL && zc->s > c->s) {
      if (zc->s > c->f) { /* c's whole zone lies inside zc's */
        a = zc;
        b = c;
      } else {
        c->key = zc->s; /* just after that zone */
      }
    }
  }
  if (a != NULL) {
    *w = (LinZonesWitness) { LIN_ZONES_ORDER, a->y, -1, a->x, b->x, b->y };
    return FALSE;
  }
  for (guint i = 0; i < n && late; i++) {
    Chain *c = list[i];
    if (c->f < c->s)
      continue;
    Chain *zc = zone_before (fwd, nf, c->f);
    c->tie = -1;
    c->key = zc != NULL && zc->s > c->f ? zc->f : c->f; /* just before that zone */
  }
  qsort (list, n, sizeof *list, chain_key_cmp);
  return TRUE;
}

/* Appends the operations of the chains in `list` (placed) in order. */
static void
zones_emit (const Zones *z, Chain *const *list, guint n, GArray *order)
{
  for (guint i = 0; i < n; i++)
    for (int32_t v = list[i]->head; v >= 0; v = chain_next (z, v)) {
      if (z->writer[v] >= 0) {
        uint32_t o = (uint32_t) z->writer[v];
        g_array_append_val (order, o);
      }
      for (uint32_t j = z->read_start[v]; j < z->read_start[v + 1]; j++) {
        uint32_t o = (uint32_t) z->read_ops[j];
        g_array_append_val (order, o);
      }
    }
}

/* Replays `order`: real time (no operation placed after one invoked after
 * it completed) and the model.  The state after it in *state. */
static gboolean
zones_verify (const Zones *z, const GArray *order, uint32_t *state)
{
  int64_t latest_call = G_MININT64;
  uint32_t s = 0;
  for (guint k = 0; k < order->len; k++) {
    const LinOp *op = &z->ops[g_array_index (order, uint32_t, k)];
    if (op->ret < latest_call)
      return FALSE;
    latest_call = MAX (latest_call, op->call);
    uint32_t next;
    if (!lin_model_step_slot (z->model, s, op, &next))
      return FALSE;
    s = next;
  }
  *state = s;
  return TRUE;
}

typedef struct {
  guint gap;
  int32_t op;
} Placed;

static int
placed_cmp (gconstpointer a, gconstpointer b, gpointer data)
{
  const Placed *x = a, *y = b;
  const LinOp *ops = data;
  if (x->gap != y->gap)
    return (x->gap > y->gap) - (x->gap < y->gap);
  int64_t rx = ops[x->op].ret, ry = ops[y->op].ret;
  if (rx != ry)
    return (rx > ry) - (rx < ry);
  return (x->op > y->op) - (x->op < y->op);
}

/* Puts each failed cas (which saw anything but its a) at the first place
 * real time allows where the witness holds another value.  FALSE if one
 * has none. */
static gboolean
zones_place_mismatches (const Zones *z, GArray *order)
{
  guint nm = z->mismatches->len;
  if (nm == 0)
    return TRUE;
  guint m = order->len;
  const LinOp *ops = z->ops;
  g_autofree int64_t *pm = g_new (int64_t, m + 1); /* latest call before gap g */
  g_autofree int64_t *sm = g_new (int64_t, m + 1); /* earliest ret after gap g */
  g_autofree uint32_t *nw = g_new (uint32_t, m + 1); /* first write at or after g */
  g_autofree uint32_t *pos_of_value = g_new (uint32_t, z->k);
  memset (pos_of_value, 0xff, z->k * sizeof (uint32_t));
  pm[0] = G_MININT64;
  for (guint g = 0; g < m; g++) {
    const LinOp *op = &ops[g_array_index (order, uint32_t, g)];
    pm[g + 1] = MAX (pm[g], op->call);
    if (is_writer_kind (op->kind))
      pos_of_value[written_value (z, (int32_t) g_array_index (order, uint32_t, g))] = g;
  }
  sm[m] = G_MAXINT64;
  nw[m] = m;
  for (guint g = m; g-- > 0;) {
    const LinOp *op = &ops[g_array_index (order, uint32_t, g)];
    sm[g] = MIN (sm[g + 1], op->ret);
    nw[g] = is_writer_kind (op->kind) ? g : nw[g + 1];
  }
  g_autofree Placed *placed = g_new (Placed, nm);
  /* In invocation order: a failed cas goes no earlier than those that
   * completed before it was invoked (a min-heap by completion of those
   * placed, and the latest gap among those popped). */
  g_autofree Placed *heap = g_new (Placed, nm);
  guint heap_len = 0, floor_gap = 0;
  for (guint i = 0; i < nm; i++) {
    int32_t u = g_array_index (z->mismatches, int32_t, i);
    const LinOp *op = &ops[u];
    while (heap_len > 0 && ops[heap[0].op].ret < op->call) {
      floor_gap = MAX (floor_gap, heap[0].gap);
      heap[0] = heap[--heap_len];
      for (guint h = 0;;) { /* sift down */
        guint l = 2 * h + 1, r = l + 1, s = h;
        if (l < heap_len && ops[heap[l].op].ret < ops[heap[s].op].ret)
          s = l;
        if (r < heap_len && ops[heap[r].op].ret < ops[heap[s].op].ret)
          s = r;
        if (s == h)
          break;
        Placed t = heap[h];
        heap[h] = heap[s];
        heap[s] = t;
        h = s;
      }
    }
    guint lo = 0, hi = m + 1; /* first gap with sm > call */
    while (lo < hi) {
      guint mid = lo + (hi - lo) / 2;
      if (sm[mid] > op->call)
        hi = mid;
      else
        lo = mid + 1;
    }
    guint g_lo = MAX (lo, floor_gap);
    lo = 0;
    hi = m + 1; /* first gap with pm >= ret: g_hi is the one before */
    while (lo < hi) {
      guint mid = lo + (hi - lo) / 2;
      if (pm[mid] >= op->ret)
        hi = mid;
      else
        lo = mid + 1;
    }
    if (lo == 0 || g_lo > lo - 1)
      return FALSE;
    guint g_hi = lo - 1;
    /* Gaps where the witness holds a: [a_lo, a_hi]. */
    int32_t a = local_of (z, op->a);
    guint a_lo, a_hi;
    if (a == 0) {
      a_lo = 0;
      a_hi = nw[0];
    } else if (pos_of_value[a] != UINT32_MAX) {
      a_lo = pos_of_value[a] + 1;
      a_hi = nw[a_lo];
    } else {
      a_lo = 1;
      a_hi = 0; /* never held */
    }
    guint g;
    if (a_lo > a_hi || g_lo < a_lo || g_lo > a_hi)
      g = g_lo;
    else if (a_hi + 1 <= g_hi)
      g = a_hi + 1;
    else
      return FALSE;
    placed[i] = (Placed) { g, u };
    heap[heap_len] = placed[i];
    for (guint h = heap_len++; h > 0;) { /* sift up */
      guint parent = (h - 1) / 2;
      if (ops[heap[parent].op].ret <= ops[heap[h].op].ret)
        break;
      Placed t = heap[h];
      heap[h] = heap[parent];
      heap[parent] = t;
      h = parent;
    }
  }
  g_qsort_with_data (placed, (gint) nm, sizeof *placed, placed_cmp, (gpointer) ops);
  g_autoptr (GArray) merged = g_array_sized_new (FALSE, FALSE, sizeof (uint32_t), m + nm);
  guint p = 0;
  for (guint g = 0; g <= m; g++) {
    for (; p < nm && placed[p].gap == g; p++) {
      uint32_t o = (uint32_t) placed[p].op;
      g_array_append_val (merged, o);
    }
    if (g < m)
      g_array_append_val (merged, g_array_index (order, uint32_t, g));
  }
  g_array_set_size (order, 0);
  g_array_append_vals (order, merged->data, merged->len);
  return TRUE;
}

/* A linearizable prefix for a violation: the chains all of whose
 * operations completed before the culprit began, placed and replayed;
 * empty if they do not replay. */
static void
zones_prefix (LinZones *out, Zones *z)
{
  int64_t before = z->ops[out->culprit].call;
  g_autofree Chain **list = g_new (Chain *, MAX (z->chains->len, 1));
  guint n = 0;
  for (guint i = 0; i < z->chains->len; i++) {
    Chain *c = &g_array_index (z->chains, Chain, i);
    if (c->max_ret < before)
      list[n++] = c;
  }
  LinZonesWitness ignored;
  out->state = 0;
  if (n == 0 || !zones_place (list, n, TRUE, &ignored))
    return;
  zones_emit (z, list, n, out->order);
  if (!zones_verify (z, out->order, &out->state)) {
    g_array_set_size (out->order, 0);
    out->state = 0;
  }
}

/* The ORDER proof names y_b, an operation of x_b's chain invoked after x_a
 * completed: the first such one, or x_b itself if it is one, reads best
 * ("x_b began after x_a completed and completed before the culprit
 * began"). */
static void
zones_refine_order (const Zones *z, LinZonesWitness *w)
{
  if (w->x_a < 0)
    return;
  int64_t after = z->ops[w->x_a].ret;
  const LinOp *xb = &z->ops[w->x_b];
  if (xb->call > after) {
    w->y_b = w->x_b;
    return;
  }
  /* The head of x_b's chain: back along the cas operations. */
  int32_t v = xb->kind == LIN_READ ? local_of (z, xb->a) : written_value (z, w->x_b);
  while (v != 0 && z->writer[v] >= 0 && z->ops[z->writer[v]].kind != LIN_WRITE)
    v = local_of (z, z->ops[z->writer[v]].a);
  for (; v >= 0; v = chain_next (z, v)) {
    int32_t wr = z->writer[v];
    if (wr >= 0 && z->ops[wr].call > after && z->ops[wr].call < z->ops[w->y_b].call)
      w->y_b = wr;
    for (uint32_t j = z->read_start[v]; j < z->read_start[v + 1]; j++) {
      int32_t o = z->read_ops[j];
      if (z->ops[o].call > after && z->ops[o].call < z->ops[w->y_b].call)
        w->y_b = o;
    }
  }
}

/* An upper bound on the bytes the test allocates for n operations and k
 * local values (k <= 2n + 1: one per write, two per cas, and nil): per
 * value its id, writer, cas successor, read range, marks, position and at
 * most one chain; per operation the dropped marks, the reads, the chains'
 * list and the witness's gap tables, heap and order.  Before the values are
 * counted, k is taken at its most. */
static gsize
zones_memory_bound (guint n, gsize k)
{
  gsize per_value = 4 + 4 + 4 + 4 + 1 + 1 + 4 + 8 + sizeof (Chain);
  gsize per_op = 1 + 4 + 8 + 3 * 8 + 2 * sizeof (Placed) + 8 + 4;
  return k * per_value + (gsize) n * (per_op + sizeof (LinOp));
}

gboolean
lin_zones_run (LinZones *out)
{
  Zones z = { .ops = out->ops, .n = out->n_ops, .model = out->model };
  out->order = NULL;
  out->culprit = -1;
  out->state = 0;
  gboolean decided = FALSE;
  /* Past the cap the test is not tried: the search applies the cap and
   * says so.  The values' index first (k at its most), then the rest with
   * k known. */
  gsize model_bytes = lin_model_memory (out->model);
  if (out->memory_limit > 0
      && (gsize) out->n_ops * (sizeof (LinOp) + 1) + (2 * (gsize) out->n_ops + 1) * 4 * 4
           + model_bytes > out->memory_limit)
    return FALSE;
  if (lin_model_is_kv (out->model) || lin_model_n_slots (out->model) != 1 || !zones_index (&z)
      || (out->memory_limit > 0
          && zones_memory_bound (z.n, z.k) + model_bytes > out->memory_limit)) {
    zones_clear (&z);
    return FALSE;
  }
  gboolean undecided = FALSE;
  LinZonesWitness w = { .culprit = -1 };
  int32_t unwritten = zones_unwritten (&z, &undecided);
  gboolean violation = FALSE;
  if (unwritten >= 0) {
    w = (LinZonesWitness) { LIN_ZONES_UNWRITTEN, unwritten, -1, -1, -1, -1 };
    violation = TRUE;
  } else if (!undecided) {
    violation = !zones_chains (&z, &w, &undecided) && !undecided;
  }
  if (violation) {
    out->result = LIN_RESULT_VIOLATION;
    out->witness = w;
    out->culprit = w.culprit;
    out->order = g_array_new (FALSE, FALSE, sizeof (uint32_t));
    if (z.chains != NULL)
      zones_prefix (out, &z);
    decided = TRUE;
  } else if (!undecided) {
    guint n = z.chains->len;
    g_autofree Chain **list = g_new (Chain *, MAX (n, 1));
    for (guint i = 0; i < n; i++)
      list[i] = &g_array_index (z.chains, Chain, i);
    if (!zones_place (list, n, TRUE, &w)) {
      zones_refine_order (&z, &w);
      out->result = LIN_RESULT_VIOLATION;
      out->witness = w;
      out->culprit = w.culprit;
      out->order = g_array_new (FALSE, FALSE, sizeof (uint32_t));
      zones_prefix (out, &z);
      /* The culprit completed and saw a value (a read or cas), else the
       * search finds a better one to name. */
      decided = z.ops[w.culprit].ret != G_MAXINT64
                && (z.ops[w.culprit].kind == LIN_READ || z.ops[w.culprit].kind == LIN_CAS
                    || z.ops[w.culprit].kind == LIN_CAS_UNKNOWN);
    } else {
      /* The latest points first, then the earliest: where a failed cas
       * finds no other value with one, it may with the other. */
      out->order = g_array_sized_new (FALSE, FALSE, sizeof (uint32_t), z.n);
      for (int pass = 0; pass < 2 && !decided; pass++) {
        if (pass == 1) {
          if (z.mismatches->len == 0)
            break;
          g_array_set_size (out->order, 0);
          zones_place (list, n, FALSE, &w);
        }
        zones_emit (&z, list, n, out->order);
        decided = zones_place_mismatches (&z, out->order)
                  && zones_verify (&z, out->order, &out->state);
      }
      out->result = LIN_RESULT_OK;
    }
  }
  if (!decided && out->order != NULL) {
    g_array_unref (out->order);
    out->order = NULL;
  }
  zones_clear (&z);
  return decided;
}
