/* lin_search.c: Wing & Gong's linearizability search with Lowe's
 * memoisation (G. Lowe, "Testing for linearizability", 2017), as Porcupine
 * implements it, over flat arrays.
 *
 * The history is a doubly linked list of call and return entries in real
 * time order.  The search walks it from the head: a call entry before the
 * first return entry is an operation that may take effect now; if the model
 * accepts it and the configuration (set of linearized operations, state) is
 * new, the operation is lifted out of the list and the walk restarts.
 * Reaching a return entry means that operation had to take effect by now
 * and could not: backtrack.  Operations that need not happen (info, open)
 * have no return entry; the search succeeds when every completed operation
 * is linearized.
 *
 * Configurations are remembered in an open-addressing table keyed by a
 * Zobrist hash of the set (one random word per operation, xor-ed in and
 * out) mixed with the state; the set itself is kept to compare exactly.
 *
 * Symmetry: identical operations that need not happen (same function and
 * values, e.g. many timed-out writes of 3) are interchangeable once both
 * are invoked, so only the earliest unlinearized one is tried. */
#include "checkers/lin_search.h"
#include "checkers/lin_model_coll.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  uint64_t hash;
  uint32_t state;
  uint32_t key;   /* offset of the key in the arena, in words; UINT32_MAX: empty */
} CacheSlot;

/* A key (see window_key): word 0 is one past the highest linearized
 * operation (l1, 0 if none); word 1 says how the rest follows: bit 31
 * set: (word 1 & 0x7fffffff) words of the set's bits from 64-bit word
 * (word 2) on; clear: the sorted list of that many open operations below
 * l1. */
#define KEY_BITS UINT32_C (0x80000000)

static inline gsize
key_words (const uint32_t *key)
{
  return (key[1] & KEY_BITS) != 0 ? 3 + (key[1] & ~KEY_BITS) : 2 + key[1];
}

typedef struct {
  CacheSlot *slots;
  gsize mask, count;
  uint32_t *arena; /* keys, one after the other */
  gsize arena_len, arena_cap; /* in words */
  gsize limit;     /* bytes for the cache and the model; 0: none */
  LinModel *model;
} Cache;


static gsize
cache_memory (const Cache *c)
{
  return (c->mask + 1) * sizeof (CacheSlot) + c->arena_cap * sizeof (uint32_t);
}

/* The model may take what the cache leaves of the limit. */
static void
cache_share_limit (Cache *c)
{
  if (c->limit > 0)
    lin_model_set_memory_limit (c->model, c->limit > cache_memory (c) ? c->limit - cache_memory (c) : 1);
}

static gsize
cache_initial_mask (guint n_ops)
{
  gsize mask = 63;
  while (mask < 4 * (gsize) n_ops && mask < 4095)
    mask = mask * 2 + 1;
  return mask;
}

/* The bytes cache_init allocates. */
static gsize
cache_initial_memory (guint n_ops)
{
  return (cache_initial_mask (n_ops) + 1) * (sizeof (CacheSlot) + 4 * sizeof (uint32_t));
}

static void
cache_init (Cache *c, guint n_ops, gsize limit, LinModel *model)
{
  c->mask = cache_initial_mask (n_ops);
  c->slots = g_new (CacheSlot, c->mask + 1);
  for (gsize k = 0; k <= c->mask; k++)
    c->slots[k].key = UINT32_MAX;
  c->count = 0;
  c->arena_cap = 4 * (c->mask + 1);
  c->arena_len = 0;
  c->arena = g_new (uint32_t, c->arena_cap);
  c->limit = limit;
  c->model = model;
  cache_share_limit (c);
}

static void
cache_clear (Cache *c)
{
  g_free (c->slots);
  g_free (c->arena);
}

/* TRUE if the cache may grow by `more` bytes within the limit. */
static gboolean
cache_may_grow (const Cache *c, gsize more)
{
  return c->limit == 0 || cache_memory (c) + more + lin_model_memory (c->model) <= c->limit;
}

static void
cache_grow (Cache *c)
{
  gsize size = (c->mask + 1) * 2;
  CacheSlot *old = c->slots;
  gsize old_size = c->mask + 1;
  c->slots = g_new (CacheSlot, size);
  for (gsize k = 0; k < size; k++)
    c->slots[k].key = UINT32_MAX;
  c->mask = size - 1;
  for (gsize k = 0; k < old_size; k++) {
    if (old[k].key == UINT32_MAX)
      continue;
    gsize h = old[k].hash & c->mask;
    while (c->slots[h].key != UINT32_MAX)
      h = (h + 1) & c->mask;
    c->slots[h] = old[k];
  }
  g_free (old);
}

typedef enum { CACHE_NEW, CACHE_SEEN, CACHE_FULL } CacheAdd;

/* Adds (key, state) unless present.  The memory limit is checked before
 * every allocation: CACHE_FULL if one would pass it. */
static CacheAdd
cache_add (Cache *c, uint64_t hash, const uint32_t *key, uint32_t state)
{
  gsize h = hash & c->mask;
  gsize words = key_words (key);
  for (;;) {
    CacheSlot *s = &c->slots[h];
    if (s->key == UINT32_MAX)
      break;
    if (s->hash == hash && s->state == state
        && c->arena[s->key] == key[0] && c->arena[s->key + 1] == key[1]
        && memcmp (c->arena + s->key + 2, key + 2, (words - 2) * sizeof (uint32_t)) == 0)
      return CACHE_SEEN;
    h = (h + 1) & c->mask;
  }
  if (c->arena_len + words > c->arena_cap) {
    gsize cap = c->arena_cap;
    while (c->arena_len + words > cap)
      cap *= 2;
    if (cap > UINT32_MAX || !cache_may_grow (c, (cap - c->arena_cap) * sizeof (uint32_t)))
      return CACHE_FULL;
    c->arena = g_renew (uint32_t, c->arena, cap);
    c->arena_cap = cap;
    cache_share_limit (c);
  }
  if ((c->count + 1) * 2 > c->mask) {
    if (!cache_may_grow (c, (c->mask + 1) * 2 * sizeof (CacheSlot)))
      return CACHE_FULL;
    cache_grow (c);
    cache_share_limit (c);
    h = hash & c->mask;
    while (c->slots[h].key != UINT32_MAX)
      h = (h + 1) & c->mask;
  }
  memcpy (c->arena + c->arena_len, key, words * sizeof (uint32_t));
  c->slots[h] = (CacheSlot) { .hash = hash, .state = state, .key = (uint32_t) c->arena_len };
  c->arena_len += words;
  c->count++;
  return CACHE_NEW;
}

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static inline uint64_t
state_mix (uint32_t state)
{
  uint64_t z = (uint64_t) state * 0xd6e8feb86659fd93u;
  return z ^ (z >> 32);
}

typedef struct {
  int64_t pos;
  int32_t entry;
} Stamp;

static int
stamp_cmp (const void *a, const void *b)
{
  const Stamp *x = a, *y = b;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Lookahead (pruning that keeps the verdict): every completed operation
 * still in the list must be linearized later, so a configuration where one
 * of them can no longer succeed is dead now, not only when the walk
 * reaches its return.
 *
 * kv: the value only grows by appends until a put replaces it, so what a
 * later get returned must extend the value now, or the value of a put
 * still to come that was invoked before the get completed.  This is what
 * keeps the orders of many concurrent appends from being enumerated.
 * The scan stops at the 8th put still to come: further gets are mostly
 * explained by one of them, and checking each against every put made a
 * state cost the whole key's history.  Prefixes are compared by hash
 * (lin_model_text_may_be_prefix), in constant time. */
#define LIN_KV_PUTS_TRACKED 8
/* The register lookahead reads the list only up to this many return
 * entries, or until every value may still be written (then nothing
 * further can fail): what lies further is checked when the walk comes
 * near, so a state costs the concurrent window, not the rest of the
 * history.  The kv lookahead stops at LIN_KV_PUTS_TRACKED puts. */
#define LIN_LOOKAHEAD_RETURNS 4
/* Near the root the whole list is read: a read that no write can explain
 * anywhere ahead (a value never written, nil after every write) then ends
 * the search at once.  This costs the first levels, not every state. */
#define LIN_LOOKAHEAD_FULL_DEPTH 4

/* kv, per operation: the length and hash of its text (a put's value, a
 * get's result), and for a get the hashes of the result's prefixes by
 * length, fetched from the model on first use: "text t may be a prefix of
 * what this get returned" is then two loads and a comparison. */
typedef struct {
  const uint64_t *prefixes; /* NULL until used */
  uint64_t hash;
  uint32_t len;
} KvText;

static inline gboolean
kv_may_extend (LinModel *m, KvText *g, uint32_t text, uint32_t len, uint64_t hash)
{
  if (len > g->len)
    return FALSE;
  if (G_UNLIKELY (g->prefixes == NULL))
    g->prefixes = lin_model_text_prefix_hashes (m, text);
  return g->prefixes[len] == hash;
}

static KvText *
kv_texts_new (LinModel *m, const LinOp *ops, guint n)
{
  KvText *texts = g_new (KvText, n > 0 ? n : 1);
  for (guint i = 0; i < n; i++)
    texts[i] = (KvText) {
      .prefixes = NULL,
      .hash = lin_model_text_hash (m, ops[i].a),
      .len = (uint32_t) lin_model_text_len (m, ops[i].a),
    };
  return texts;
}

static int32_t
kv_lookahead (const LinSearch *s, KvText *texts, uint32_t state, const int32_t *next,
              int32_t head, int32_t tail, uint32_t skip)
{
  uint32_t puts[LIN_KV_PUTS_TRACKED], put_slots[LIN_KV_PUTS_TRACKED];
  guint n_puts = 0;
  const gboolean one_slot = s->n_slots == 1;
  uint32_t len = 0;
  uint64_t hash = 0;
  if (one_slot) {
    len = (uint32_t) lin_model_text_len (s->model, state);
    hash = lin_model_text_hash (s->model, state);
  }
  for (int32_t e = next[head]; e != tail; e = next[e]) {
    uint32_t i = (uint32_t) (e - 1) / 2;
    if (i == skip)
      continue;
    const LinOp *op = &s->ops[i];
    if (e & 1) {
      if (op->kind != LIN_WRITE)
        continue;
      if (n_puts == LIN_KV_PUTS_TRACKED)
        return -1; /* too many bases to follow: nothing more is certain */
      put_slots[n_puts] = op->slot;
      puts[n_puts++] = i;
      continue;
    }
    if (op->kind != LIN_READ)
      continue;
    if (!one_slot) {
      uint32_t t = lin_model_slot_state (s->model, state, op->slot);
      len = (uint32_t) lin_model_text_len (s->model, t);
      hash = lin_model_text_hash (s->model, t);
    }
    KvText *g = &texts[i];
    if (kv_may_extend (s->model, g, op->a, len, hash))
      continue;
    gboolean based = FALSE;
    for (guint k = 0; k < n_puts && !based; k++)
      based = put_slots[k] == op->slot
              && kv_may_extend (s->model, g, op->a, texts[puts[k]].len, texts[puts[k]].hash);
    if (!based)
      return (int32_t) i;
  }
  return -1;
}

/* kv, one key (the default split), kept up to date as operations are
 * lifted and put back instead of read from the list at every state.
 *
 * A get is based if a put still to come, invoked before the get
 * completed, has a value that begins the get's result: that put may take
 * effect first.  A get that is not based can only be explained by the
 * current value followed by appends, so the value must begin its result
 * now.  The check over every unbased get still to come is the same as
 * the scan's, with no limit on the puts followed, and costs two prefix
 * tests: the texts that begin with a given text are consecutive in
 * lexicographic order, so the value begins every unbased result iff it
 * begins the least and the greatest of them.  The distinct results are
 * ranked in that order once; a multiset of the ranks of the unbased gets
 * (a count per rank under a tree of 64-bit words) gives the least and
 * greatest in a few word operations.  Each put lists the gets it bases
 * (a binary search among the ranked results, then the gets of those
 * ranks that completed after its invocation); lifting it counts them
 * down, and a get whose count reaches zero joins the multiset. */
#define KV_RANK_LEVELS 6

typedef struct {
  uint32_t *rank;       /* per operation: its result's rank (gets) */
  uint32_t *bases;      /* per get: puts still to come that base it */
  uint32_t *edge_start; /* per operation, n + 1: its slice of edges (puts) */
  uint32_t *edges;      /* the gets each put bases */
  uint32_t *rank_text;  /* per rank: the text id */
  const uint64_t **rank_prefixes; /* per rank: prefix hashes, on first use */
  uint32_t *rank_count; /* per rank: unbased gets to come */
  uint64_t *level[KV_RANK_LEVELS]; /* level[0] bit r: rank_count[r] != 0 */
  guint n_levels;
  gsize bytes;
} KvIncr;

static void
kv_rank_add (KvIncr *k, uint32_t r)
{
  if (k->rank_count[r]++ != 0)
    return;
  for (guint l = 0; l < k->n_levels; l++) {
    uint64_t *w = &k->level[l][r / 64];
    gboolean was_empty = *w == 0;
    *w |= UINT64_C (1) << (r % 64);
    if (!was_empty)
      return;
    r /= 64;
  }
}

static void
kv_rank_remove (KvIncr *k, uint32_t r)
{
  if (--k->rank_count[r] != 0)
    return;
  for (guint l = 0; l < k->n_levels; l++) {
    uint64_t *w = &k->level[l][r / 64];
    *w &= ~(UINT64_C (1) << (r % 64));
    if (*w != 0)
      return;
    r /= 64;
  }
}

/* The least (or greatest) rank present; the multiset is not empty. */
static inline uint32_t
kv_rank_end (const KvIncr *k, gboolean greatest)
{
  uint32_t r = 0;
  for (guint l = k->n_levels; l-- > 0;) {
    uint64_t w = k->level[l][r];
    r = r * 64 + (uint32_t) (greatest ? 63 - __builtin_clzll (w) : __builtin_ctzll (w));
  }
  return r;
}

static int
kv_text_cmp (const LinModel *m, uint32_t a, uint32_t b)
{
  gsize la = lin_model_text_len (m, a), lb = lin_model_text_len (m, b);
  int c = memcmp (lin_model_text (m, a), lin_model_text (m, b), MIN (la, lb));
  return c != 0 ? c : (la > lb) - (la < lb);
}

typedef struct {
  const LinModel *m;
  const uint32_t *texts;
} KvSortCtx;

static gint
kv_text_sort (gconstpointer a, gconstpointer b, gpointer data)
{
  const KvSortCtx *c = data;
  return kv_text_cmp (c->m, c->texts[*(const uint32_t *) a], c->texts[*(const uint32_t *) b]);
}

/* Sorts v by its high 32 bits (least significant byte first, stable). */
static void
radix_sort_high (uint64_t *v, uint64_t *tmp, guint n)
{
  uint64_t all = 0;
  for (guint i = 0; i < n; i++)
    all |= v[i];
  for (guint shift = 32; shift < 64; shift += 8) {
    if (((all >> shift) & 0xff) == 0)
      continue;
    guint count[257] = { 0 };
    for (guint i = 0; i < n; i++)
      count[((v[i] >> shift) & 0xff) + 1]++;
    for (guint b = 0; b < 256; b++)
      count[b + 1] += count[b];
    for (guint i = 0; i < n; i++)
      tmp[count[(v[i] >> shift) & 0xff]++] = v[i];
    memcpy (v, tmp, n * sizeof (uint64_t));
  }
}

/* What kv_incr_init may allocate at most, at once. */
#define KV_INCR_MAX_BYTES(n) (100 * (gsize) (n) + 40000)

/* Builds the tables; FALSE (nothing kept) if the puts would base more
 * gets than a few per operation, where the scan is used instead. */
static gboolean
kv_incr_init (KvIncr *k, LinModel *m, const LinOp *ops, guint n)
{
  memset (k, 0, sizeof *k);
  guint n_gets = 0;
  for (guint i = 0; i < n; i++)
    n_gets += ops[i].kind == LIN_READ;
  /* the gets by result id, then the distinct results in text order */
  uint64_t *pairs = g_new (uint64_t, 2 * (gsize) n_gets + 1);
  guint ng = 0;
  for (guint i = 0; i < n; i++)
    if (ops[i].kind == LIN_READ)
      pairs[ng++] = (uint64_t) ops[i].a << 32 | i;
  radix_sort_high (pairs, pairs + n_gets, n_gets);
  uint32_t *texts = g_new (uint32_t, n_gets + 1);
  uint32_t *which = g_new (uint32_t, n_gets + 1); /* per get in pairs: its distinct result */
  guint d = 0;
  for (guint j = 0; j < n_gets; j++) {
    uint32_t id = (uint32_t) (pairs[j] >> 32);
    if (d == 0 || texts[d - 1] != id)
      texts[d++] = id;
    which[j] = d - 1;
  }
  uint32_t *order = g_new (uint32_t, d + 1); /* distinct results, in text order */
  for (guint r = 0; r < d; r++)
    order[r] = r;
  KvSortCtx ctx = { m, texts };
  g_qsort_with_data (order, (gint) d, sizeof (uint32_t), kv_text_sort, &ctx);
  uint32_t *id_rank = g_new (uint32_t, d + 1);
  for (guint r = 0; r < d; r++)
    id_rank[order[r]] = r;
  k->rank = g_new (uint32_t, n + 1);
  uint32_t *rank_start = g_new0 (uint32_t, d + 2);
  for (guint j = 0; j < n_gets; j++) {
    uint32_t i = (uint32_t) pairs[j];
    k->rank[i] = id_rank[which[j]];
    rank_start[k->rank[i] + 2]++;
  }
  for (guint r = 0; r < d; r++)
    order[r] = texts[order[r]];
  g_free (texts);
  texts = order;
  k->rank_text = texts;
  for (guint r = 0; r < d; r++)
    rank_start[r + 2] += rank_start[r + 1];
  uint32_t *rank_gets = g_new (uint32_t, n_gets + 1);
  for (guint i = 0; i < n; i++)
    if (ops[i].kind == LIN_READ)
      rank_gets[rank_start[k->rank[i] + 1]++] = i;
  /* now rank_start[r] .. rank_start[r + 1] are rank r's gets */
  g_free (id_rank);
  g_free (which);
  g_free (pairs);

  /* the gets each put bases */
  const gsize max_edges = 8 * (gsize) n + 4096;
  k->edge_start = g_new (uint32_t, n + 1);
  gsize cap = 64, n_edges = 0;
  k->edges = g_new (uint32_t, cap);
  k->bases = g_new0 (uint32_t, n + 1);
  gboolean ok = TRUE;
  for (guint i = 0; i < n && ok; i++) {
    k->edge_start[i] = (uint32_t) n_edges;
    if (ops[i].kind != LIN_WRITE)
      continue;
    const char *p = lin_model_text (m, ops[i].a);
    gsize pl = lin_model_text_len (m, ops[i].a);
    /* the first rank whose text is not below p, then the first that p
     * does not begin */
    guint lo = 0, hi = d;
    while (lo < hi) {
      guint mid = (lo + hi) / 2;
      if (kv_text_cmp (m, texts[mid], ops[i].a) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    guint first = lo;
    hi = d;
    while (lo < hi) {
      guint mid = (lo + hi) / 2;
      if (lin_model_text_len (m, texts[mid]) >= pl
          && memcmp (lin_model_text (m, texts[mid]), p, pl) == 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (guint r = first; r < lo && ok; r++)
      for (uint32_t j = rank_start[r]; j < rank_start[r + 1]; j++) {
        uint32_t g = rank_gets[j];
        if (ops[g].ret <= ops[i].call)
          continue;
        if (n_edges == max_edges) {
          ok = FALSE;
          break;
        }
        if (n_edges == cap) {
          cap = MIN (cap * 2, max_edges);
          k->edges = g_renew (uint32_t, k->edges, cap);
        }
        k->edges[n_edges++] = g;
        k->bases[g]++;
      }
  }
  k->edge_start[n] = (uint32_t) n_edges;
  g_free (rank_gets);
  g_free (rank_start);
  if (!ok) {
    g_free (k->rank);
    g_free (k->bases);
    g_free (k->edge_start);
    g_free (k->edges);
    g_free (k->rank_text);
    memset (k, 0, sizeof *k);
    return FALSE;
  }
  k->rank_prefixes = g_new0 (const uint64_t *, d + 1);
  k->rank_count = g_new0 (uint32_t, d + 1);
  guint words = d;
  k->n_levels = 0;
  do {
    words = (words + 63) / 64;
    k->level[k->n_levels++] = g_new0 (uint64_t, words > 0 ? words : 1);
  } while (words > 1);
  g_assert (k->n_levels <= KV_RANK_LEVELS);
  for (guint i = 0; i < n; i++)
    if (ops[i].kind == LIN_READ && k->bases[i] == 0)
      kv_rank_add (k, k->rank[i]);
  k->bytes = (3 * (gsize) n + 3 * (gsize) d + 8) * sizeof (uint32_t) + cap * sizeof (uint32_t)
             + (d + 1) * sizeof (uint64_t *) + (d / 64 + 8) * sizeof (uint64_t);
  return TRUE;
}

static void
kv_incr_clear (KvIncr *k)
{
  g_free (k->rank);
  g_free (k->bases);
  g_free (k->edge_start);
  g_free (k->edges);
  g_free (k->rank_text);
  g_free (k->rank_prefixes);
  g_free (k->rank_count);
  for (guint l = 0; l < k->n_levels; l++)
    g_free (k->level[l]);
}

static inline gboolean
is_set (const uint64_t *set, uint32_t i)
{
  return (set[i >> 6] & (UINT64_C (1) << (i & 63))) != 0;
}

/* Operation i is lifted (lift) or put back (!lift); `set` does not count
 * it either way. */
static inline void
kv_incr_move (KvIncr *k, const LinOp *ops, const uint64_t *set, uint32_t i, gboolean lift)
{
  if (ops[i].kind == LIN_READ) {
    if (k->bases[i] == 0) {
      if (lift)
        kv_rank_remove (k, k->rank[i]);
      else
        kv_rank_add (k, k->rank[i]);
    }
    return;
  }
  if (ops[i].kind != LIN_WRITE)
    return;
  for (uint32_t j = k->edge_start[i]; j < k->edge_start[i + 1]; j++) {
    uint32_t g = k->edges[j];
    if (lift) {
      if (--k->bases[g] == 0 && !is_set (set, g))
        kv_rank_add (k, k->rank[g]);
    } else if (k->bases[g]++ == 0 && !is_set (set, g)) {
      kv_rank_remove (k, k->rank[g]);
    }
  }
}

static inline gboolean
kv_rank_extends (KvIncr *k, LinModel *m, uint32_t r, gsize len, uint64_t hash)
{
  uint32_t t = k->rank_text[r];
  if (len > lin_model_text_len (m, t))
    return FALSE;
  if (G_UNLIKELY (k->rank_prefixes[r] == NULL))
    k->rank_prefixes[r] = lin_model_text_prefix_hashes (m, t);
  return k->rank_prefixes[r][len] == hash;
}

/* TRUE if the value `state` begins every unbased result to come. */
static inline gboolean
kv_incr_alive (KvIncr *k, LinModel *m, uint32_t state)
{
  if (k->level[k->n_levels - 1][0] == 0)
    return TRUE;
  gsize len = lin_model_text_len (m, state);
  if (len == 0)
    return TRUE;
  uint64_t hash = lin_model_text_hash (m, state);
  return kv_rank_extends (k, m, kv_rank_end (k, FALSE), len, hash)
         && kv_rank_extends (k, m, kv_rank_end (k, TRUE), len, hash);
}

/* Registers (up to 64 values, one key): a later read of u, or a cas that
 * expects u, needs the value to be u now or an unlinearized write of u
 * invoked before its completion; a failed cas that expected u needs the
 * value to differ from u now or a write of another value in time. */
/* Registers, over the whole list: how many unlinearized operations may
 * still write each value, and how many completed ones still need it (a
 * read of it, a cas expecting it).  A value needed that nothing left can
 * write, and that the state does not hold, can never be read again: the
 * configuration is dead however far ahead the reader is.  Kept up to date
 * as operations are lifted and put back, so the test is a few bit
 * operations, where the scan of the list would cost the whole history. */
typedef struct {
  uint32_t writers[64], needers[64];
  uint64_t writable, needed; /* the values whose count is not zero */
} RegCounts;

static inline void
reg_count (uint32_t *count, uint64_t *bits, uint32_t v, int delta)
{
  count[v] = (uint32_t) ((int32_t) count[v] + delta);
  if (count[v] != 0)
    *bits |= UINT64_C (1) << v;
  else
    *bits &= ~(UINT64_C (1) << v);
}

static inline void
reg_counts_add (RegCounts *c, const LinOp *op, int delta)
{
  switch ((LinOpKind) op->kind) {
  case LIN_READ: reg_count (c->needers, &c->needed, op->a, delta); break;
  case LIN_WRITE: reg_count (c->writers, &c->writable, op->a, delta); break;
  case LIN_CAS:
    reg_count (c->needers, &c->needed, op->a, delta);
    reg_count (c->writers, &c->writable, op->b, delta);
    break;
  case LIN_CAS_UNKNOWN: reg_count (c->writers, &c->writable, op->b, delta); break;
  case LIN_CAS_MISMATCH: case LIN_APPEND: break;
  default: break; /* collections: no register lookahead */
  }
}

static int32_t
register_lookahead (const LinSearch *s, const RegCounts *counts, uint32_t state,
                    const int32_t *next, int32_t head, int32_t tail, uint32_t skip, guint depth)
{
  uint64_t writable = 0;
  guint budget = depth < LIN_LOOKAHEAD_FULL_DEPTH ? G_MAXUINT : LIN_LOOKAHEAD_RETURNS;
  if (budget != G_MAXUINT) {
    /* the counts, with `skip` lifted */
    RegCounts c;
    c.writable = counts->writable;
    c.needed = counts->needed;
    const LinOp *sk = &s->ops[skip];
    uint32_t w = sk->kind == LIN_WRITE ? sk->a : sk->b;
    if ((sk->kind == LIN_WRITE || sk->kind == LIN_CAS || sk->kind == LIN_CAS_UNKNOWN)
        && counts->writers[w] == 1)
      c.writable &= ~(UINT64_C (1) << w);
    if ((sk->kind == LIN_READ || sk->kind == LIN_CAS) && counts->needers[sk->a] == 1)
      c.needed &= ~(UINT64_C (1) << sk->a);
    if ((c.needed & ~c.writable & ~(UINT64_C (1) << state)) != 0)
      return (int32_t) skip; /* dead; the full scan names the reader */
  }
  guint n_values = lin_model_n_values (s->model);
  const uint64_t every = n_values >= 64 ? ~UINT64_C (0) : (UINT64_C (1) << n_values) - 1;
  for (int32_t e = next[head]; e != tail; e = next[e]) {
    uint32_t i = (uint32_t) (e - 1) / 2;
    if (i == skip)
      continue;
    const LinOp *op = &s->ops[i];
    if (e & 1) {
      if (op->kind == LIN_WRITE)
        writable |= UINT64_C (1) << op->a;
      else if (op->kind == LIN_CAS || op->kind == LIN_CAS_UNKNOWN)
        writable |= UINT64_C (1) << op->b;
      continue;
    }
    if (budget-- == 0 || writable == every)
      break;
    uint64_t need = UINT64_C (1) << op->a;
    switch ((LinOpKind) op->kind) {
    case LIN_READ: case LIN_CAS:
      if (state != op->a && (writable & need) == 0)
        return (int32_t) i;
      break;
    case LIN_CAS_MISMATCH:
      if (state == op->a && (writable & ~need) == 0)
        return (int32_t) i;
      break;
    default:
      break;
    }
  }
  return -1;
}

typedef enum { LOOK_NONE, LOOK_KV, LOOK_REGISTER, LOOK_FIFO } Lookahead;

/* The operation that can no longer succeed, or -1. */
static inline int32_t
lookahead (const LinSearch *s, Lookahead look, uint32_t state, const int32_t *next,
           int32_t head, int32_t tail, uint32_t skip, guint depth, const RegCounts *counts,
           KvText *texts)
{
  switch (look) {
  case LOOK_KV: return kv_lookahead (s, texts, state, next, head, tail, skip);
  case LOOK_REGISTER:
    return register_lookahead (s, counts, state, next, head, tail, skip, depth);
  case LOOK_FIFO: return lin_coll_fifo_dead (s->model, state, &s->ops[skip]);
  case LOOK_NONE: break;
  }
  return -1;
}

static inline void
lift (int32_t *next, int32_t *prev, const LinOp *ops, uint32_t i)
{
  int32_t c = (int32_t) (1 + 2 * i), r = c + 1;
  next[prev[c]] = next[c];
  prev[next[c]] = prev[c];
  if (ops[i].ret != G_MAXINT64) {
    next[prev[r]] = next[r];
    prev[next[r]] = prev[r];
  }
}

/* Several keys in one part (no_split): the key of the first return entry
 * at or after e.  Operations of other keys commute with it, so only its
 * key's operations need to be tried before it (see lin_search_run). */
static inline uint32_t
return_slot (const LinOp *ops, const int32_t *next, int32_t e, int32_t tail)
{
  while (e != tail && (e & 1))
    e = next[e];
  return e == tail ? 0 : ops[(e - 2) / 2].slot;
}

static inline gboolean
model_step (LinSearch *s, uint32_t state, const LinOp *op, uint32_t *next)
{
  if (s->n_slots == 1)
    return lin_model_step_slot (s->model, state, op, next);
  return lin_model_step_vector (s->model, state, op, next);
}

/* The key of the set of linearized operations, with operation `skip`
 * (about to be lifted) counted in and `l1` one past the highest of them.
 *
 * Only the concurrent window is kept: every operation below the lowest
 * open one (lo) is linearized and none at or above l1 is, so the set is
 * told by lo, l1 and what lies between (P-compositionality, Horn and
 * Kroening, FORTE 2015: the linearized past is summed up by the state).
 * A narrow window is the slice of the set's bit words that holds it.  A
 * wide one (an operation of unknown outcome left open long ago) is the
 * list of open operations below l1, which are exactly the call entries at
 * the front of the list: a return entry before the call of a linearized
 * operation would have stopped the walk that lifted it, and an entry
 * leaves the list only when its operation is linearized, which
 * backtracking undoes last in first out.  Either way a key costs the
 * window, not the prefix behind it, and is a function of the set alone. */
#define KEY_SLICE_WORDS_MAX 8

static void
window_key (uint32_t *key, uint32_t *scratch, const uint64_t *set, const int32_t *next,
            int32_t head, int32_t tail, uint32_t l1, uint32_t skip)
{
  key[0] = l1;
  int32_t e = next[head];
  if (e != tail && (e & 1) != 0 && (uint32_t) (e - 1) / 2 == skip)
    e = next[e];
  /* The first entry is a call: a return would stand after its own call. */
  uint32_t lo = e != tail && (e & 1) != 0 ? (uint32_t) (e - 1) / 2 : l1;
  if (lo >= l1) {
    key[1] = 0;
    return;
  }
  uint32_t w0 = lo / 64, w1 = (l1 - 1) / 64;
  if (w1 - w0 < KEY_SLICE_WORDS_MAX) {
    uint32_t nw = w1 - w0 + 1;
    key[1] = KEY_BITS | (2 * nw);
    key[2] = w0;
    memcpy (key + 3, set + w0, nw * sizeof (uint64_t));
    if (skip / 64 >= w0) {
      uint64_t *words = (uint64_t *) (key + 3);
      uint64_t w;
      memcpy (&w, &words[skip / 64 - w0], sizeof w);
      w |= UINT64_C (1) << (skip % 64);
      memcpy (&words[skip / 64 - w0], &w, sizeof w);
    }
    return;
  }
  uint32_t u = 0;
  for (; e != tail && (e & 1) != 0; e = next[e]) {
    uint32_t idx = (uint32_t) (e - 1) / 2;
    if (idx >= l1)
      break;
    if (idx != skip)
      scratch[u++] = idx;
  }
  key[1] = u;
  memcpy (key + 2, scratch, u * sizeof (uint32_t));
}

void
lin_search_run (LinSearch *s)
{
  const guint n = s->n_ops;
  const LinOp *ops = s->ops;
  s->order = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  s->culprit = -1;
  s->state = 0;
  s->explored = 0;
  s->memory_peak = 0;

  /* Entries: 0 head, 1 + 2i call of op i, 2 + 2i its return, 2n + 1 tail. */
  const int32_t head = 0, tail = (int32_t) (2 * n + 1);
  /* One block for the per-operation arrays. */
  const guint words = (n + 63) / 64 > 0 ? (n + 63) / 64 : 1;
  gsize block_bytes = (words + (gsize) n + 1) * sizeof (uint64_t)
                      + (2 * (gsize) n + 2) * 2 * sizeof (int32_t)
                      + ((gsize) n + 1) * 3 * sizeof (uint32_t)
                      + (2 * (gsize) n + 4) * sizeof (uint32_t);
  /* The memory cap covers the operations, these arrays, the memo and the
   * model's tables: each allocation is checked before it is made. */
  const gsize fixed_bytes = block_bytes + (gsize) n * sizeof (LinOp)
                            + (lin_model_is_kv (s->model) ? (gsize) n * sizeof (KvText) : 0);
  if (s->memory_limit > 0
      && fixed_bytes + cache_initial_memory (n) + lin_model_memory (s->model) > s->memory_limit) {
    s->result = LIN_RESULT_MEMORY; /* nothing allocated past the model's tables */
    s->memory_peak = lin_model_memory (s->model);
    return;
  }
  uint64_t *block = g_malloc (block_bytes);
  uint64_t *set = block;
  uint64_t *zobrist = set + words;
  int32_t *next = (int32_t *) (zobrist + n + 1);
  int32_t *prev = next + 2 * n + 2;
  uint32_t *stack_op = (uint32_t *) (prev + 2 * n + 2);
  uint32_t *stack_state = stack_op + n + 1;
  uint32_t *stack_l1 = stack_state + n + 1;
  uint32_t *key = stack_l1 + n + 1;
  uint32_t *key_scratch = key + n + 3;
  memset (set, 0, words * sizeof (uint64_t));
  guint completed = 0;
  int64_t lo = n > 0 ? ops[0].call : 0, hi = lo;
  for (guint i = 0; i < n; i++) {
    g_assert (i == 0 || ops[i].call > ops[i - 1].call); /* invocation order */
    hi = MAX (hi, ops[i].call);
    if (ops[i].ret != G_MAXINT64) {
      hi = MAX (hi, ops[i].ret);
      completed++;
    }
  }
  int32_t last = head;
  if (n > 0 && (guint64) (hi - lo) <= 16 * (guint64) n + 4096) {
    /* Positions are distinct event indices: place the entries in a
     * bucket per position, then read them in order. */
    gsize range = (gsize) (hi - lo) + 1;
    int32_t *at = g_new (int32_t, range);
    memset (at, 0xff, range * sizeof (int32_t));
    for (guint i = 0; i < n; i++) {
      at[ops[i].call - lo] = (int32_t) (1 + 2 * i);
      if (ops[i].ret != G_MAXINT64)
        at[ops[i].ret - lo] = (int32_t) (2 + 2 * i);
    }
    for (gsize k = 0; k < range; k++)
      if (at[k] >= 0) {
        next[last] = at[k];
        prev[at[k]] = last;
        last = at[k];
      }
    g_free (at);
  } else if (n > 0) {
    Stamp *stamps = g_new (Stamp, 2 * n);
    guint n_stamps = 0;
    for (guint i = 0; i < n; i++) {
      stamps[n_stamps++] = (Stamp) { ops[i].call, (int32_t) (1 + 2 * i) };
      if (ops[i].ret != G_MAXINT64)
        stamps[n_stamps++] = (Stamp) { ops[i].ret, (int32_t) (2 + 2 * i) };
    }
    qsort (stamps, n_stamps, sizeof (Stamp), stamp_cmp);
    for (guint k = 0; k < n_stamps; k++) {
      next[last] = stamps[k].entry;
      prev[stamps[k].entry] = last;
      last = stamps[k].entry;
    }
    g_free (stamps);
  }
  next[last] = tail;
  prev[tail] = last;

  uint64_t seed = 0x5eed;
  for (guint i = 0; i < n; i++)
    zobrist[i] = splitmix64 (&seed);
  Cache cache;

  Lookahead look = LOOK_NONE;
  if (lin_model_is_kv (s->model))
    look = LOOK_KV;
  else if (s->n_slots == 1 && lin_model_coll (s->model) == LIN_COLL_FIFO_QUEUE) {
    look = LOOK_FIFO;
    lin_coll_fifo_prepare (s->model, ops, n);
  } else if (s->n_slots == 1 && lin_model_n_values (s->model) <= 64 && lin_model_coll (s->model) == 0)
    look = LOOK_REGISTER;
  RegCounts counts = { 0 };
  if (look == LOOK_REGISTER)
    for (guint i = 0; i < n; i++)
      reg_counts_add (&counts, &ops[i], +1);
  KvIncr kv;
  /* Under a memory cap, the tables are built only if their largest size
   * fits beside the rest (else the scan serves). */
  gboolean kv_incr = look == LOOK_KV && s->n_slots == 1
                     && (s->memory_limit == 0
                         || fixed_bytes + KV_INCR_MAX_BYTES (n) + cache_initial_memory (n)
                                + lin_model_memory (s->model) <= s->memory_limit)
                     && kv_incr_init (&kv, s->model, ops, n);
  /* the scan's texts: several keys, or naming a culprit */
  KvText *kv_texts = look == LOOK_KV && !kv_incr ? kv_texts_new (s->model, ops, n) : NULL;

  /* The kv tables count against the memory cap as the fixed arrays do. */
  gsize kv_bytes = kv_incr ? kv.bytes : 0;
  if (s->memory_limit > 0
      && fixed_bytes + kv_bytes + cache_initial_memory (n) + lin_model_memory (s->model) > s->memory_limit) {
    s->result = LIN_RESULT_MEMORY;
    s->memory_peak = fixed_bytes + kv_bytes + lin_model_memory (s->model);
    if (kv_incr)
      kv_incr_clear (&kv);
    g_free (kv_texts);
    g_free (block);
    return;
  }
  cache_init (&cache, n, s->memory_limit > 0 ? s->memory_limit - fixed_bytes - kv_bytes : 0, s->model);

  uint32_t state = 0, l1 = 0;
  uint64_t zhash = 0;
  guint depth = 0, remaining = completed;
  gint64 best = -1;
  guint low = 0; /* stack_op[0, low) has not changed since best was kept */
  int32_t e = next[head];
  /* With several keys, only operations of the key of the first pending
   * return are tried.  Complete: in any linearization from here, moving
   * the other keys' operations that precede that return to just after it
   * keeps every key's order (so the model accepts it) and real time (each
   * of them returns no earlier than it, and was invoked after nothing that
   * stays in front). */
  const gboolean by_slot = s->n_slots > 1;
  uint32_t rslot = by_slot ? return_slot (ops, next, e, tail) : 0;
  guint64 steps = 0;
  LinResult result = LIN_RESULT_OK;

  while (remaining > 0) {
    if (G_UNLIKELY ((++steps & 0x3fff) == 0)
        && ((s->cancel != NULL && *s->cancel) || (s->part_cancel != NULL && *s->part_cancel))) {
      result = LIN_RESULT_CANCELLED;
      break;
    }
    if (e == tail || (e & 1) == 0) {
      /* A completed operation that could not be linearized in time. */
      if ((gint64) depth > best) {
        /* Only what changed since the last copy is copied: the longest
         * prefix costs the work done, not the depth per backtrack. */
        best = depth;
        g_array_set_size (s->order, depth);
        if (depth > low)
          memcpy ((uint32_t *) s->order->data + low, stack_op + low,
                  (depth - low) * sizeof (uint32_t));
        low = depth;
        s->culprit = e == tail ? -1 : (e - 2) / 2;
        s->state = state;
      }
      if (depth == 0) {
        result = LIN_RESULT_VIOLATION;
        break;
      }
      depth--;
      low = MIN (low, depth);
      uint32_t i = stack_op[depth];
      state = stack_state[depth];
      l1 = stack_l1[depth];
      set[i >> 6] &= ~(UINT64_C (1) << (i & 63));
      zhash ^= zobrist[i];
      /* unlift: reinsert the return entry, then the call entry */
      int32_t c = (int32_t) (1 + 2 * i), r = c + 1;
      if (ops[i].ret != G_MAXINT64) {
        next[prev[r]] = r;
        prev[next[r]] = r;
        remaining++;
      }
      if (look == LOOK_REGISTER)
        reg_counts_add (&counts, &ops[i], +1);
      if (kv_incr)
        kv_incr_move (&kv, ops, set, i, FALSE);
      next[prev[c]] = c;
      prev[next[c]] = c;
      e = next[c];
      if (by_slot)
        rslot = return_slot (ops, next, e, tail);
      continue;
    }
    uint32_t i = (uint32_t) (e - 1) / 2;
    const LinOp *op = &ops[i];
    if (by_slot && op->slot != rslot) {
      e = next[e];
      continue;
    }
    if (op->prev_equiv >= 0
        && (set[op->prev_equiv >> 6] & (UINT64_C (1) << (op->prev_equiv & 63))) == 0) {
      e = next[e];
      continue;
    }
    uint32_t ns;
    if (model_step (s, state, op, &ns)) {
      /* The memory cap holds for the model's tables too: it is checked
       * before each of their allocations, so it stops the same search at
       * the same point on every machine. */
      if (G_UNLIKELY (lin_model_is_full (s->model))) {
        result = LIN_RESULT_MEMORY;
        break;
      }
      uint64_t zh = zhash ^ zobrist[i];
      uint32_t nl1 = MAX (l1, i + 1);
      window_key (key, key_scratch, set, next, head, tail, nl1, i);
      CacheAdd added = cache_add (&cache, zh ^ state_mix (ns), key, ns);
      if (added == CACHE_FULL) {
        result = LIN_RESULT_MEMORY;
        break;
      }
      gboolean alive = added == CACHE_NEW;
      if (alive && kv_incr) {
        kv_incr_move (&kv, ops, set, i, TRUE);
        alive = kv_incr_alive (&kv, s->model, ns);
        if (!alive)
          kv_incr_move (&kv, ops, set, i, FALSE);
      } else if (alive) {
        alive = lookahead (s, look, ns, next, head, tail, i, depth, &counts, kv_texts) < 0;
      }
      if (alive) {
        set[i >> 6] |= UINT64_C (1) << (i & 63);
        stack_op[depth] = i;
        stack_state[depth] = state;
        stack_l1[depth] = l1;
        depth++;
        state = ns;
        l1 = nl1;
        zhash = zh;
        lift (next, prev, ops, i);
        if (look == LOOK_REGISTER)
          reg_counts_add (&counts, op, -1);
        remaining -= op->ret != G_MAXINT64;
        e = next[head];
        if (by_slot)
          rslot = return_slot (ops, next, e, tail);
        continue;
      }
    }
    e = next[e];
  }

  if (result == LIN_RESULT_VIOLATION && s->culprit >= 0) {
    /* The blocking operation of the longest prefix.  If the model accepts
     * it, the lookahead pruned what followed: name the operation that it
     * found impossible, after the prefix and the blocking operation. */
    uint32_t b = (uint32_t) s->culprit, ns;
    if (model_step (s, s->state, &ops[b], &ns)) {
      for (guint k = 0; k < s->order->len; k++)
        lift (next, prev, ops, g_array_index (s->order, uint32_t, k));
      if (look == LOOK_KV && kv_texts == NULL)
        kv_texts = kv_texts_new (s->model, ops, n);
      int32_t l = lookahead (s, look, ns, next, head, tail, b, 0, &counts, kv_texts);
      if (l >= 0) {
        g_array_append_val (s->order, b);
        s->state = ns;
        s->culprit = l;
      }
    }
  }
  if (result == LIN_RESULT_OK) {
    g_array_set_size (s->order, depth);
    if (depth > 0)
      memcpy (s->order->data, stack_op, depth * sizeof (uint32_t));
    s->state = state;
    s->culprit = -1;
  }
  s->result = result;
  s->explored = cache.count;
  s->memory_peak = cache_memory (&cache) + lin_model_memory (s->model) + fixed_bytes + kv_bytes;
  if (kv_incr)
    kv_incr_clear (&kv);
  lin_model_set_memory_limit (s->model, 0);
  cache_clear (&cache);
  g_free (kv_texts);
  g_free (block);
}
