/* cons_graph.c: order graphs with vector-clock reachability, the
 * saturation of a process's view, and the exact search. */
#include "checkers/cons_internal.h"

#include <string.h>

ConsGraph *
cons_graph_new (const ConsHist *ch)
{
  ConsGraph *g = g_new0 (ConsGraph, 1);
  g->ch = ch;
  g->op_node = g_new (int, ch->n > 0 ? ch->n : 1);
  for (guint k = 0; k < ch->n; k++)
    g->op_node[k] = -1;
  g->edges = g_array_new (FALSE, FALSE, sizeof (ConsEdge));
  return g;
}

void
cons_graph_free (ConsGraph *g)
{
  if (g == NULL)
    return;
  g_free (g->node_op);
  g_free (g->op_node);
  g_free (g->chain);
  g_free (g->cpos);
  for (guint c = 0; c < g->n_chain; c++)
    g_array_unref (g->chains[c]);
  g_free (g->chains);
  g_array_unref (g->edges);
  g_free (g->vc);
  g_free (g->bits);
  g_free (g->topo);
  g_free (g->in_start);
  g_free (g->in_list);
  g_free (g->wsorted);
  g_free (g->run_start);
  g_free (g->runs);
  g_free (g);
}

/* Whether an array of n items (each added one at a time) is full: its room
 * doubles at every power of two, so adding n items copies O(n) of them,
 * not O(n^2) (a realloc that cannot grow in place, as under ASan, copies). */
static gboolean
room_is_full (guint n)
{
  return (n & (n - 1)) == 0;
}

int
cons_graph_new_chain (ConsGraph *g)
{
  if (room_is_full (g->n_chain))
    g->chains = g_renew (GArray *, g->chains, MAX (2 * g->n_chain, 1));
  g->chains[g->n_chain] = g_array_new (FALSE, FALSE, sizeof (guint));
  return (int) g->n_chain++;
}

guint
cons_graph_add_node (ConsGraph *g, int op, int chain)
{
  if (chain < 0)
    chain = cons_graph_new_chain (g);
  g_assert ((guint) chain < g->n_chain);
  guint v = g->n++;
  if (room_is_full (v)) {
    guint room = MAX (2 * v, 1);
    g->node_op = g_renew (int, g->node_op, room);
    g->chain = g_renew (int, g->chain, room);
    g->cpos = g_renew (int, g->cpos, room);
  }
  g->node_op[v] = op;
  g->chain[v] = chain;
  g->cpos[v] = (int) g->chains[chain]->len;
  g_array_append_val (g->chains[chain], v);
  if (op >= 0)
    g->op_node[op] = (int) v;
  return v;
}

void
cons_graph_add_edge (ConsGraph *g, guint from, guint to, ConsEdgeKind kind, int because)
{
  ConsEdge e = { from, to, kind, because };
  g_array_append_val (g->edges, e);
}

static int
wsorted_cmp (gconstpointer a, gconstpointer b, gpointer data)
{
  const ConsGraph *g = data;
  guint x = *(const guint *) a, y = *(const guint *) b;
  int kx = g->ch->key[g->node_op[x]], ky = g->ch->key[g->node_op[y]];
  if (g->chain[x] != g->chain[y])
    return g->chain[x] < g->chain[y] ? -1 : 1;
  if (kx != ky)
    return kx < ky ? -1 : 1;
  return g->cpos[x] < g->cpos[y] ? -1 : g->cpos[x] > g->cpos[y];
}

static void
build_wsorted (ConsGraph *g)
{
  g_free (g->wsorted);
  g->wsorted = g_new (guint, g->n > 0 ? g->n : 1);
  g->n_wsorted = 0;
  for (guint v = 0; v < g->n; v++)
    if (g->node_op[v] >= 0 && g->ch->is_write[g->node_op[v]])
      g->wsorted[g->n_wsorted++] = v;
  g_qsort_with_data (g->wsorted, (gint) g->n_wsorted, sizeof (guint), wsorted_cmp, g);
  /* The runs of equal (chain, key), bucketed by key in chain order. */
  guint n_key = g->ch->n_key;
  g_free (g->run_start);
  g_free (g->runs);
  g->run_start = g_new0 (guint, n_key + 2);
  guint n_runs = 0;
  for (guint i = 0; i < g->n_wsorted; i++)
    if (i == 0 || g->chain[g->wsorted[i - 1]] != g->chain[g->wsorted[i]]
        || g->ch->key[g->node_op[g->wsorted[i - 1]]] != g->ch->key[g->node_op[g->wsorted[i]]]) {
      g->run_start[g->ch->key[g->node_op[g->wsorted[i]]] + 1]++;
      n_runs++;
    }
  for (guint k = 0; k < n_key; k++)
    g->run_start[k + 1] += g->run_start[k];
  g->runs = g_new (ConsKeyRun, n_runs > 0 ? n_runs : 1);
  g_autofree guint *fill = g_memdup2 (g->run_start, sizeof (guint) * (n_key + 1));
  for (guint i = 0; i < g->n_wsorted;) {
    guint w = g->wsorted[i];
    int c = g->chain[w], key = g->ch->key[g->node_op[w]];
    guint end = i + 1;
    while (end < g->n_wsorted && g->chain[g->wsorted[end]] == c
           && g->ch->key[g->node_op[g->wsorted[end]]] == key)
      end++;
    g->runs[fill[key]++] = (ConsKeyRun) { (guint) c, i, end };
    i = end;
  }
}

int
cons_graph_last_in_run (const ConsGraph *g, const ConsKeyRun *run, guint v)
{
  /* Last write of the run that reaches v: reaching v is monotone along
   * the chain. */
  guint lo = run->lo, hi = run->hi;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (cons_graph_reaches (g, g->wsorted[mid], v))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo > run->lo ? (int) g->wsorted[lo - 1] : -1;
}

/* The first write of the run that node `from` reaches (the run's first
 * write when from < 0), or -1. */
static int
first_in_run (const ConsGraph *g, const ConsKeyRun *run, int from)
{
  guint lo = run->lo, hi = run->hi;
  if (from >= 0)
    while (lo < hi) { /* reached from `from` is monotone along the chain */
      guint mid = lo + (hi - lo) / 2;
      if (cons_graph_reaches (g, (guint) from, g->wsorted[mid]))
        hi = mid;
      else
        lo = mid + 1;
    }
  return lo < run->hi ? (int) g->wsorted[lo] : -1;
}

int
cons_graph_last_write_before (const ConsGraph *g, guint c, int key, guint v)
{
  /* The run of (c, key) in wsorted. */
  guint lo = 0, hi = g->n_wsorted;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    guint w = g->wsorted[mid];
    int wc = g->chain[w], wk = g->ch->key[g->node_op[w]];
    if (wc < (int) c || (wc == (int) c && wk < key))
      lo = mid + 1;
    else
      hi = mid;
  }
  guint end = lo;
  while (end < g->n_wsorted && g->chain[g->wsorted[end]] == (int) c
         && g->ch->key[g->node_op[g->wsorted[end]]] == key)
    end++;
  ConsKeyRun run = { c, lo, end };
  return cons_graph_last_in_run (g, &run, v);
}

/* Incoming extra edges as CSR. */
static void
build_in_edges (ConsGraph *g)
{
  g_free (g->in_start);
  g_free (g->in_list);
  g->in_start = g_new0 (guint, g->n + 1);
  g->in_list = g_new (guint, g->edges->len > 0 ? g->edges->len : 1);
  for (guint i = 0; i < g->edges->len; i++)
    g->in_start[g_array_index (g->edges, ConsEdge, i).to + 1]++;
  for (guint v = 0; v < g->n; v++)
    g->in_start[v + 1] += g->in_start[v];
  g_autofree guint *fill = g_memdup2 (g->in_start, sizeof (guint) * (g->n + 1));
  for (guint i = 0; i < g->edges->len; i++)
    g->in_list[fill[g_array_index (g->edges, ConsEdge, i).to]++] = i;
}

static guint
chain_pred (const ConsGraph *g, guint v)
{
  return g_array_index (g->chains[g->chain[v]], guint, g->cpos[v] - 1);
}

/* Walks back from a node left over by Kahn's algorithm (every such node has
 * a leftover predecessor) until a node repeats: that is a cycle. */
static GArray *
find_cycle (const ConsGraph *g, const guint *indeg)
{
  guint start = 0;
  while (start < g->n && indeg[start] == 0)
    start++;
  g_assert (start < g->n);
  g_autofree int *seen_at = g_new (int, g->n);
  for (guint v = 0; v < g->n; v++)
    seen_at[v] = -1;
  g_autoptr (GArray) back = g_array_new (FALSE, FALSE, sizeof (ConsEdge));
  guint v = start;
  while (seen_at[v] < 0) {
    seen_at[v] = (int) back->len;
    ConsEdge e = { 0, v, CONS_EDGE_PO, -1 };
    gboolean found = FALSE;
    for (guint j = g->in_start[v]; j < g->in_start[v + 1] && !found; j++) {
      const ConsEdge *x = &g_array_index (g->edges, ConsEdge, g->in_list[j]);
      if (indeg[x->from] > 0) {
        e = *x;
        found = TRUE;
      }
    }
    if (!found) {
      g_assert (g->cpos[v] > 0 && indeg[chain_pred (g, v)] > 0);
      e.from = chain_pred (g, v);
    }
    g_array_append_val (back, e);
    v = e.from;
  }
  /* back[seen_at[v]..] walks the cycle backwards from v. */
  GArray *cycle = g_array_new (FALSE, FALSE, sizeof (ConsEdge));
  for (guint i = back->len; i-- > (guint) seen_at[v];)
    g_array_append_val (cycle, g_array_index (back, ConsEdge, i));
  return cycle;
}

gboolean
cons_graph_order (ConsGraph *g, GArray **cycle)
{
  if (g->wsorted == NULL)
    build_wsorted (g);
  build_in_edges (g);
  g_autofree guint *indeg = g_new0 (guint, g->n > 0 ? g->n : 1);
  g_autofree guint *out_start = g_new0 (guint, g->n + 1);
  g_autofree guint *out_list = g_new (guint, g->edges->len > 0 ? g->edges->len : 1);
  for (guint i = 0; i < g->edges->len; i++) {
    const ConsEdge *e = &g_array_index (g->edges, ConsEdge, i);
    indeg[e->to]++;
    out_start[e->from + 1]++;
  }
  for (guint v = 0; v < g->n; v++) {
    out_start[v + 1] += out_start[v];
    if (g->cpos[v] > 0)
      indeg[v]++;
  }
  {
    g_autofree guint *fill = g_memdup2 (out_start, sizeof (guint) * (g->n + 1));
    for (guint i = 0; i < g->edges->len; i++) {
      const ConsEdge *e = &g_array_index (g->edges, ConsEdge, i);
      out_list[fill[e->from]++] = e->to;
    }
  }
  g_free (g->topo);
  g->topo = g_new (guint, g->n > 0 ? g->n : 1);
  guint head = 0, tail = 0;
  for (guint v = 0; v < g->n; v++)
    if (indeg[v] == 0)
      g->topo[tail++] = v;
  while (head < tail) {
    guint v = g->topo[head++];
    GArray *chain = g->chains[g->chain[v]];
    if ((guint) g->cpos[v] + 1 < chain->len) {
      guint s = g_array_index (chain, guint, g->cpos[v] + 1);
      if (--indeg[s] == 0)
        g->topo[tail++] = s;
    }
    for (guint j = out_start[v]; j < out_start[v + 1]; j++)
      if (--indeg[out_list[j]] == 0)
        g->topo[tail++] = out_list[j];
  }
  if (tail < g->n) {
    if (cycle != NULL)
      *cycle = find_cycle (g, indeg);
    return FALSE;
  }
  g_free (g->vc);
  g_free (g->bits);
  g->vc = NULL;
  g->bits = NULL;
  g->words = (g->n + 63) / 64;
  if ((guint64) g->n * g->words * 2 < (guint64) g->n * g->n_chain) {
    g->bits = g_new0 (guint64, (gsize) g->n * g->words + 1);
    for (guint i = 0; i < g->n; i++) {
      guint v = g->topo[i];
      guint64 *row = g->bits + (gsize) v * g->words;
      if (g->cpos[v] > 0)
        memcpy (row, g->bits + (gsize) chain_pred (g, v) * g->words, g->words * sizeof (guint64));
      for (guint j = g->in_start[v]; j < g->in_start[v + 1]; j++) {
        const guint64 *u = g->bits
                           + (gsize) g_array_index (g->edges, ConsEdge, g->in_list[j]).from * g->words;
        for (gsize w = 0; w < g->words; w++)
          row[w] |= u[w];
      }
      row[v / 64] |= (guint64) 1 << (v % 64);
    }
    return TRUE;
  }
  gsize width = g->n_chain;
  g->vc = g_new (int, (gsize) g->n * width + 1);
  for (guint i = 0; i < g->n; i++) {
    guint v = g->topo[i];
    int *vc = g->vc + (gsize) v * width;
    if (g->cpos[v] > 0)
      memcpy (vc, g->vc + (gsize) chain_pred (g, v) * width, width * sizeof (int));
    else
      for (gsize c = 0; c < width; c++)
        vc[c] = -1;
    for (guint j = g->in_start[v]; j < g->in_start[v + 1]; j++) {
      const int *u = g->vc + (gsize) g_array_index (g->edges, ConsEdge, g->in_list[j]).from * width;
      for (gsize c = 0; c < width; c++)
        if (u[c] > vc[c])
          vc[c] = u[c];
    }
    vc[g->chain[v]] = g->cpos[v];
  }
  return TRUE;
}

ConsGraph *
cons_graph_restrict (const ConsGraph *g, GArray *targets)
{
  /* Backward search from the targets over chain and extra edges. */
  g_autofree guint *in_start = g_new0 (guint, g->n + 1);
  g_autofree guint *in_from = g_new (guint, g->edges->len + 1);
  for (guint i = 0; i < g->edges->len; i++)
    in_start[g_array_index (g->edges, ConsEdge, i).to + 1]++;
  for (guint v = 0; v < g->n; v++)
    in_start[v + 1] += in_start[v];
  {
    g_autofree guint *fill = g_memdup2 (in_start, sizeof (guint) * (g->n + 1));
    for (guint i = 0; i < g->edges->len; i++) {
      const ConsEdge *e = &g_array_index (g->edges, ConsEdge, i);
      in_from[fill[e->to]++] = e->from;
    }
  }
  g_autofree gboolean *keep = g_new0 (gboolean, g->n + 1);
  g_autofree guint *stack = g_new (guint, g->n + 1);
  guint top = 0;
  for (guint i = 0; i < targets->len; i++) {
    guint t = g_array_index (targets, guint, i);
    if (!keep[t]) {
      keep[t] = TRUE;
      stack[top++] = t;
    }
  }
  while (top > 0) {
    guint v = stack[--top];
    if (g->cpos[v] > 0 && !keep[chain_pred (g, v)]) {
      keep[chain_pred (g, v)] = TRUE;
      stack[top++] = chain_pred (g, v);
    }
    for (guint j = in_start[v]; j < in_start[v + 1]; j++)
      if (!keep[in_from[j]]) {
        keep[in_from[j]] = TRUE;
        stack[top++] = in_from[j];
      }
  }
  /* Copy what is kept: a prefix of each chain. */
  ConsGraph *r = cons_graph_new (g->ch);
  g_autofree int *new_id = g_new (int, g->n + 1);
  g_autofree int *new_chain = g_new (int, g->n_chain + 1);
  for (guint c = 0; c < g->n_chain; c++)
    new_chain[c] = -1;
  for (guint v = 0; v < g->n; v++) {
    new_id[v] = -1;
    if (!keep[v])
      continue;
    if (new_chain[g->chain[v]] < 0)
      new_chain[g->chain[v]] = cons_graph_new_chain (r);
    new_id[v] = (int) cons_graph_add_node (r, g->node_op[v], new_chain[g->chain[v]]);
  }
  for (guint i = 0; i < g->edges->len; i++) {
    const ConsEdge *e = &g_array_index (g->edges, ConsEdge, i);
    if (keep[e->to])
      cons_graph_add_edge (r, (guint) new_id[e->from], (guint) new_id[e->to], e->kind,
                           e->because >= 0 ? new_id[e->because] : -1);
  }
  for (guint i = 0; i < targets->len; i++)
    g_array_index (targets, guint, i) = (guint) new_id[g_array_index (targets, guint, i)];
  return r;
}

gboolean
cons_graph_order_or_tell (ConsGraph *g, const char *pattern, const char *tail,
                          ChkConsViolation **v)
{
  GArray *cycle = NULL;
  if (cons_graph_order (g, &cycle))
    return TRUE;
  *v = cons_violation_new (pattern);
  g_autofree char *told = cons_tell_cycle (g, cycle, *v);
  (*v)->explanation = g_strdup_printf ("%s: %s", told, tail);
  g_array_unref (cycle);
  return FALSE;
}

GArray *
cons_graph_path (const ConsGraph *g, guint a, guint b)
{
  g_assert (cons_graph_reaches (g, a, b));
  g_autoptr (GArray) back = g_array_new (FALSE, FALSE, sizeof (ConsEdge));
  guint cur = b;
  while (cur != a) {
    ConsEdge e = { 0, cur, CONS_EDGE_PO, -1 };
    gboolean found = FALSE;
    for (guint j = g->in_start[cur]; j < g->in_start[cur + 1] && !found; j++) {
      const ConsEdge *x = &g_array_index (g->edges, ConsEdge, g->in_list[j]);
      if (cons_graph_reaches (g, a, x->from)) {
        e = *x;
        found = TRUE;
      }
    }
    if (!found) {
      g_assert (g->cpos[cur] > 0);
      e.from = chain_pred (g, cur);
      g_assert (cons_graph_reaches (g, a, e.from));
    }
    g_array_append_val (back, e);
    cur = e.from;
  }
  GArray *path = g_array_new (FALSE, FALSE, sizeof (ConsEdge));
  for (guint i = back->len; i-- > 0;)
    g_array_append_val (path, g_array_index (back, ConsEdge, i));
  return path;
}

gboolean
cons_view_saturate (ConsGraph *g, const GArray *reads, const ConsSatNames *names,
                    ChkConsViolation **v)
{
  const ConsHist *ch = g->ch;
  g_autofree char *tail = g_strdup_printf ("no order of the writes fits %s", names->who);
  for (;;) {
    if (!cons_graph_order_or_tell (g, names->cycle_pattern, tail, v))
      return FALSE;
    gboolean changed = FALSE;
    for (guint i = 0; i < reads->len; i++) {
      guint r = g_array_index (reads, guint, i);
      int kr = g->node_op[r];
      int key = ch->key[kr];
      int s = ch->src[kr];
      g_assert (s != CONS_SRC_THIN_AIR);
      int s_node = s >= 0 ? g->op_node[s] : -1;
      g_assert (s < 0 || s_node >= 0);
      guint n_runs;
      const ConsKeyRun *runs = cons_graph_key_runs (g, key, &n_runs);
      for (guint i_run = 0; i_run < n_runs; i_run++) {
        int w = cons_graph_last_in_run (g, &runs[i_run], r);
        if (w < 0 || w == s_node)
          continue;
        if (s == CONS_SRC_INIT) {
          *v = cons_violation_new (names->init_pattern);
          g_autoptr (GArray) path = cons_graph_path (g, (guint) w, r);
          g_autofree char *told = cons_tell_path (g, path, *v);
          g_autofree char *kv = cons_kv (ch, g->node_op[w]);
          (*v)->explanation = g_strdup_printf ("%s: %s had to be visible there, yet the "
                                               "read returned the initial value", told, kv);
          return FALSE;
        }
        if (!cons_graph_reaches (g, (guint) w, (guint) s_node)) {
          cons_graph_add_edge (g, (guint) w, (guint) s_node, CONS_EDGE_FORCED, (int) r);
          changed = TRUE;
        }
      }
      for (guint i_run = 0; names->both_ways && i_run < n_runs; i_run++) {
        const ConsKeyRun *run = &runs[i_run];
        GArray *chain = g->chains[run->chain];
        int w = first_in_run (g, run, s_node);
        if (w == s_node && w >= 0) /* the next write of the key in s's own chain */
          w = g->cpos[w] + 1 < (int) chain->len
                ? first_in_run (g, run, (int) g_array_index (chain, guint, g->cpos[w] + 1))
                : -1;
        if (w >= 0 && !cons_graph_reaches (g, r, (guint) w)) {
          cons_graph_add_edge (g, r, (guint) w, CONS_EDGE_UNSEEN, (int) r);
          changed = TRUE;
        }
      }
    }
    if (!changed)
      return TRUE;
  }
}

/* The exact search.  A ready read that returns the current value is placed
 * at once (placing it never hurts: it changes no value and only frees its
 * successors), so only the order of writes is branched on; failed states
 * (chain positions and current value of every key) are remembered. */
typedef struct {
  const ConsGraph *g;
  const ChkConsOptions *opt;
  gboolean *checked;
  int *next;     /* per chain: how many of its nodes are placed */
  int *cur;      /* per key: current value id */
  GHashTable *failed;
  /* The checked reads by (key, value): each pair's slot, and per slot how
   * many of its reads are not placed yet (kept as reads are placed and
   * taken back), so "does an unplaced read wait for this value" is one
   * lookup, not a walk over every read of the key. */
  GHashTable *pair_slot;  /* (key << 32 | value) -> slot + 1 */
  int *read_slot;         /* per node: its slot if a checked read, else -1 */
  int *unplaced;          /* per slot */
  guint64 states;
  gboolean gave_up;
  guint placed;
  gsize memory;  /* bytes held by the remembered failed states */
  gsize live;    /* bytes held by the states on the stack (a history of
                    many writes is a deep stack) */
  gsize peak;    /* the most memory + live has been */
} Search;

static gboolean
is_placed (const Search *s, guint u)
{
  return s->g->cpos[u] < s->next[s->g->chain[u]];
}

static gboolean
is_ready (const Search *s, guint v)
{
  const ConsGraph *g = s->g;
  for (guint j = g->in_start[v]; j < g->in_start[v + 1]; j++)
    if (!is_placed (s, g_array_index (g->edges, ConsEdge, g->in_list[j]).from))
      return FALSE;
  return TRUE;
}

static int
chain_head (const Search *s, guint c)
{
  GArray *chain = s->g->chains[c];
  return (guint) s->next[c] < chain->len ? (int) g_array_index (chain, guint, s->next[c]) : -1;
}

static inline uint64_t
pair_of (int key, int val)
{
  return (uint64_t) (uint32_t) key << 32 | (uint32_t) val;
}

/* TRUE if placing write v now would overwrite the value that an unplaced
 * checked read of its key is waiting to return. */
static gboolean
kills_waiting_read (const Search *s, guint v)
{
  const ConsGraph *g = s->g;
  int key = g->ch->key[g->node_op[v]];
  uint64_t pair = pair_of (key, s->cur[key]);
  guint slot = GPOINTER_TO_UINT (g_hash_table_lookup (s->pair_slot, &pair));
  return slot > 0 && s->unplaced[slot - 1] > 0;
}

/* Node u (the head of its chain) is placed, or taken back (by -1). */
static inline void
note_placed (Search *s, guint u, int by)
{
  if (s->read_slot[u] >= 0)
    s->unplaced[s->read_slot[u]] -= by;
}

static GBytes *
state_key (const Search *s)
{
  gsize nc = s->g->n_chain, nk = s->g->ch->n_key;
  GByteArray *b = g_byte_array_sized_new ((guint) ((nc + nk) * sizeof (int)));
  g_byte_array_append (b, (const guint8 *) s->next, (guint) (nc * sizeof (int)));
  g_byte_array_append (b, (const guint8 *) s->cur, (guint) (nk * sizeof (int)));
  return g_byte_array_free_to_bytes (b);
}

/* One state of the search on its explicit stack (a history of 100,000
 * writes is a search 100,000 states deep: recursion overflowed the C
 * stack). */
typedef struct {
  GArray *moved;   /* chains whose heads were placed on entering it */
  GBytes *key;     /* the state after them */
  guint pass, c;   /* the next write to try: chain c's head, in pass `pass` */
  int write_chain; /* the chain of the write placed for the state below; -1: none */
  int write_old;   /* the value that write's key had before */
} SearchFrame;

/* What a remembered failed state costs besides its key's bytes. */
#define FAILED_STATE_BYTES 128

/* What a state on the stack holds: its key, its frame and its list of
 * moved chains (counted at its capacity on entering). */
static gsize
frame_bytes (const SearchFrame *f)
{
  return g_bytes_get_size (f->key) + sizeof *f + 64 + f->moved->len * sizeof (guint);
}

/* Whether the memory counted has reached the cap (it then gives up). */
static gboolean
over_memory (Search *s)
{
  s->peak = MAX (s->peak, s->memory + s->live);
  if (s->opt->memory_limit_bytes > 0 && s->memory + s->live >= s->opt->memory_limit_bytes)
    s->gave_up = TRUE;
  return s->gave_up;
}

static void
undo_moved (Search *s, GArray *moved)
{
  for (guint i = moved->len; i-- > 0;) {
    guint c = g_array_index (moved, guint, i);
    s->next[c]--;
    note_placed (s, (guint) chain_head (s, c), -1);
    s->placed--;
  }
  g_array_unref (moved);
}

/* Enters a state: counts it and places every free node (virtual ones,
 * unchecked reads, legal reads).  TRUE if writes must be branched on from
 * it; FALSE if it is decided at once, with *ok (every node placed) and its
 * placements undone: every node placed, a state known to fail, or a
 * limit. */
static gboolean
state_enter (Search *s, SearchFrame *f, gboolean *ok)
{
  const ConsGraph *g = s->g;
  const ConsHist *ch = g->ch;
  *ok = FALSE;
  s->states++;
  if ((s->opt->max_states > 0 && s->states > s->opt->max_states)
      || (s->opt->deadline_us > 0 && (s->states & 255) == 0
          && g_get_monotonic_time () > s->opt->deadline_us)) { /* dsim-allow-nondeterminism: a deadline only turns a verdict into unknown */
    s->gave_up = TRUE;
    return FALSE;
  }
  f->moved = g_array_new (FALSE, FALSE, sizeof (guint));
  gboolean progress = TRUE;
  while (progress) {
    progress = FALSE;
    for (guint c = 0; c < g->n_chain; c++) {
      int v = chain_head (s, c);
      if (v < 0 || !is_ready (s, (guint) v))
        continue;
      int k = g->node_op[v];
      if (k >= 0 && ch->is_write[k])
        continue;
      if (k >= 0 && s->checked[v] && s->cur[ch->key[k]] != ch->val[k])
        continue;
      note_placed (s, (guint) v, 1);
      s->next[c]++;
      s->placed++;
      g_array_append_val (f->moved, c);
      progress = TRUE;
    }
  }
  if (s->placed == g->n) {
    *ok = TRUE;
    undo_moved (s, f->moved);
    return FALSE;
  }
  f->key = state_key (s);
  if (g_hash_table_contains (s->failed, f->key)) {
    g_bytes_unref (f->key);
    undo_moved (s, f->moved);
    return FALSE;
  }
  f->pass = 0;
  f->c = 0;
  f->write_chain = -1;
  gsize bytes = frame_bytes (f);
  s->live += bytes;
  if (over_memory (s)) {
    s->live -= bytes;
    g_bytes_unref (f->key);
    undo_moved (s, f->moved);
    return FALSE;
  }
  return TRUE;
}

/* Leaves a state that branched: a failure is remembered (unless a limit
 * cut its search short), its placements are undone. */
static void
state_leave (Search *s, SearchFrame *f, gboolean ok)
{
  s->live -= frame_bytes (f);
  if (!ok && !s->gave_up) {
    g_hash_table_add (s->failed, g_bytes_ref (f->key));
    /* The bytes, the GBytes and both allocations' headers, and the table's
     * hash, key and value words at up to twice its size. */
    s->memory += g_bytes_get_size (f->key) + FAILED_STATE_BYTES;
    over_memory (s);
  }
  g_bytes_unref (f->key);
  undo_moved (s, f->moved);
}

/* Depth first over the orders of the writes: from each state, writes that
 * overwrite no value a waiting read still needs first (pass 0), then the
 * others (pass 1); a state whose every branch fails is remembered. */
static gboolean
search (Search *s)
{
  const ConsGraph *g = s->g;
  const ConsHist *ch = g->ch;
  GArray *stack = g_array_new (FALSE, FALSE, sizeof (SearchFrame));
  gboolean ok = FALSE; /* the verdict of the state last left */
  gboolean entering = TRUE;
  for (;;) {
    if (entering) {
      entering = FALSE;
      SearchFrame f = { 0 };
      if (state_enter (s, &f, &ok))
        g_array_append_val (stack, f);
    }
    if (stack->len == 0)
      break;
    SearchFrame *top = &g_array_index (stack, SearchFrame, stack->len - 1);
    if (top->write_chain >= 0) { /* back from the state below: take its write back */
      guint c = (guint) top->write_chain;
      s->placed--;
      s->next[c]--;
      s->cur[ch->key[g->node_op[chain_head (s, c)]]] = top->write_old;
      top->write_chain = -1;
    }
    int found = -1;
    while (!ok && !s->gave_up && found < 0 && top->pass < 2) {
      guint c = top->c, pass = top->pass;
      if (c + 1 < g->n_chain)
        top->c = c + 1;
      else {
        top->c = 0;
        top->pass++;
      }
      int v = chain_head (s, c);
      if (v < 0 || !is_ready (s, (guint) v) || g->node_op[v] < 0
          || !ch->is_write[g->node_op[v]] || kills_waiting_read (s, (guint) v) != (pass == 1))
        continue;
      found = (int) c;
    }
    if (found >= 0) { /* place the write and enter the state after it */
      int k = g->node_op[chain_head (s, (guint) found)];
      top->write_chain = found;
      top->write_old = s->cur[ch->key[k]];
      s->cur[ch->key[k]] = ch->val[k];
      s->next[found]++;
      s->placed++;
      entering = TRUE;
      continue;
    }
    state_leave (s, top, ok);
    g_array_set_size (stack, stack->len - 1);
  }
  g_array_unref (stack);
  return ok;
}

ChkVerdict
cons_view_search (const ConsGraph *g, const GArray *reads, const ChkConsOptions *opt,
                  guint64 *states, gsize *memory)
{
  Search s = { .g = g, .opt = opt };
  s.checked = g_new0 (gboolean, g->n > 0 ? g->n : 1);
  for (guint i = 0; i < reads->len; i++)
    s.checked[g_array_index (reads, guint, i)] = TRUE;
  s.next = g_new0 (int, g->n_chain + 1);
  s.cur = g_new0 (int, g->ch->n_key + 1);
  s.failed = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                    (GDestroyNotify) g_bytes_unref, NULL);
  s.pair_slot = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  s.read_slot = g_new (int, g->n > 0 ? g->n : 1);
  for (guint u = 0; u < g->n; u++)
    s.read_slot[u] = -1;
  s.unplaced = g_new0 (int, reads->len + 1);
  for (guint i = 0; i < reads->len; i++) {
    guint r = g_array_index (reads, guint, i);
    int k = g->node_op[r];
    uint64_t pair = pair_of (g->ch->key[k], g->ch->val[k]);
    guint slot = GPOINTER_TO_UINT (g_hash_table_lookup (s.pair_slot, &pair));
    if (slot == 0) {
      slot = g_hash_table_size (s.pair_slot) + 1;
      g_hash_table_insert (s.pair_slot, g_memdup2 (&pair, sizeof pair), GUINT_TO_POINTER (slot));
    }
    if (s.read_slot[r] < 0)
      s.unplaced[slot - 1]++;
    s.read_slot[r] = (int) slot - 1;
  }
  gboolean ok = search (&s);
  *states += s.states;
  if (memory != NULL)
    *memory = s.peak;
  g_free (s.checked);
  g_free (s.next);
  g_free (s.cur);
  g_hash_table_unref (s.failed);
  g_hash_table_unref (s.pair_slot);
  g_free (s.read_slot);
  g_free (s.unplaced);
  if (ok)
    return CHK_VERDICT_OK;
  return s.gave_up ? CHK_VERDICT_UNKNOWN : CHK_VERDICT_VIOLATION;
}
