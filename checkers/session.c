/* session.c: PRAM and the session guarantees, as per-process views.
 *
 * A view of process p orders all writes and p's reads so that each read of
 * p returns the last preceding write of its key (nil if none) and no read
 * of p follows a later write of p.  The models add orders every view must
 * keep (consistency.h has the definitions):
 *   read-your-writes     p's writes before p's later reads
 *   monotonic-reads      p's reads in program order
 *   monotonic-writes     every process's writes in program order
 *   writes-follow-reads  src(r) before the writes r's process issued after r
 *   pram                 the first three; session: all four.
 * (Terry et al. PDIS 1994 state the guarantees for servers and sessions;
 * these are the same demands read on the history.)
 *
 * The required orders are a graph.  A linear worklist (view_worklist)
 * first tries to place its nodes in an order that is a view; if it places
 * them all, that order is the witness and nothing else is built.  Else
 * "w must come before src(r) whenever w is a write of r's key that
 * precedes r" is added until nothing changes.  A cycle, or a read of nil
 * preceded by a write of its key, is a violation.  When p's reads are in
 * program order (monotonic-reads, pram, session) an acyclic result is a
 * witness: place before each read, in order, the writes that must precede
 * it.  Otherwise the worklist tries again on the saturated graph, and only
 * when it gets stuck does an exact search over the order of the writes
 * decide.  The graphs, their reachability and the search's memo are
 * counted against opt->memory_limit_bytes before they are built: past it,
 * unknown with the reason. */
#include "checkers/cons_internal.h"

typedef struct {
  gboolean ryw, mr, mw, wfr;
} Demands;

static Demands
demands_of (ChkModel m)
{
  switch (m) {
  case CHK_MODEL_READ_YOUR_WRITES: return (Demands) { TRUE, FALSE, FALSE, FALSE };
  case CHK_MODEL_MONOTONIC_READS: return (Demands) { FALSE, TRUE, FALSE, FALSE };
  case CHK_MODEL_MONOTONIC_WRITES: return (Demands) { FALSE, FALSE, TRUE, FALSE };
  case CHK_MODEL_WRITES_FOLLOW_READS: return (Demands) { FALSE, FALSE, FALSE, TRUE };
  case CHK_MODEL_PRAM: return (Demands) { TRUE, TRUE, TRUE, FALSE };
  case CHK_MODEL_SESSION: return (Demands) { TRUE, TRUE, TRUE, TRUE };
  default: g_assert_not_reached ();
  }
}

/* "a before every later b" along one process's operations, kept linear by
 * a chain of virtual nodes: each collects the a's seen so far. */
typedef struct {
  ConsGraph *g;
  int chain;      /* the virtual chain, created on first use */
  int last;       /* its last node, or -1 */
  GArray *pending;/* a's since the last virtual node */
  ConsEdgeKind kind;
} Cumulative;

static void
cumulative_init (Cumulative *cu, ConsGraph *g, ConsEdgeKind kind)
{
  *cu = (Cumulative) { g, -1, -1, g_array_new (FALSE, FALSE, sizeof (guint)), kind };
}

static void
cumulative_add (Cumulative *cu, guint a)
{
  g_array_append_val (cu->pending, a);
}

/* b comes after every a added so far. */
static void
cumulative_before (Cumulative *cu, guint b)
{
  if (cu->pending->len > 0) {
    if (cu->chain < 0)
      cu->chain = cons_graph_new_chain (cu->g);
    guint v = cons_graph_add_node (cu->g, -1, cu->chain);
    for (guint i = 0; i < cu->pending->len; i++)
      cons_graph_add_edge (cu->g, g_array_index (cu->pending, guint, i), v, cu->kind, -1);
    g_array_set_size (cu->pending, 0);
    cu->last = (int) v;
  }
  if (cu->last >= 0)
    cons_graph_add_edge (cu->g, (guint) cu->last, b, CONS_EDGE_ORDER, -1);
}

static void
cumulative_clear (Cumulative *cu)
{
  g_array_unref (cu->pending);
}

/* The view of process p under demands d; *reads gets p's reads (nodes). */
static ConsGraph *
view_graph_new (const ConsHist *ch, guint p, Demands d, GArray *reads)
{
  ConsGraph *g = cons_graph_new (ch);
  /* Nodes: every write (a chain per process under monotonic-writes), and
   * p's reads (one chain under monotonic-reads). */
  int read_chain = d.mr ? cons_graph_new_chain (g) : -1;
  for (guint q = 0; q < ch->n_proc; q++) {
    int chain = d.mw ? cons_graph_new_chain (g) : -1;
    GArray *mine = ch->by_proc[q];
    for (guint i = 0; i < mine->len; i++) {
      guint k = g_array_index (mine, guint, i);
      if (ch->is_write[k])
        cons_graph_add_node (g, (int) k, chain);
      else if (q == p) {
        guint v = cons_graph_add_node (g, (int) k, read_chain);
        g_array_append_val (reads, v);
      }
    }
  }
  /* p's own order: reads before its later writes (always), writes before
   * its later reads (read-your-writes). */
  GArray *own = ch->by_proc[p];
  Cumulative reads_before, writes_before;
  cumulative_init (&reads_before, g, CONS_EDGE_ORDER);
  cumulative_init (&writes_before, g, CONS_EDGE_ORDER);
  for (guint i = 0; i < own->len; i++) {
    guint k = g_array_index (own, guint, i);
    guint v = (guint) g->op_node[k];
    if (ch->is_write[k]) {
      cumulative_before (&reads_before, v);
      cumulative_add (&writes_before, v);
    } else {
      if (d.ryw)
        cumulative_before (&writes_before, v);
      cumulative_add (&reads_before, v);
    }
  }
  cumulative_clear (&reads_before);
  cumulative_clear (&writes_before);
  /* A read of p comes after the write it returns. */
  for (guint i = 0; i < reads->len; i++) {
    guint v = g_array_index (reads, guint, i);
    int s = ch->src[g->node_op[v]];
    if (s >= 0)
      cons_graph_add_edge (g, (guint) g->op_node[s], v, CONS_EDGE_RF, -1);
  }
  /* writes-follow-reads: src(r) before every later write of r's process. */
  if (d.wfr) {
    for (guint q = 0; q < ch->n_proc; q++) {
      Cumulative seen;
      cumulative_init (&seen, g, CONS_EDGE_WFR);
      GArray *mine = ch->by_proc[q];
      for (guint i = 0; i < mine->len; i++) {
        guint k = g_array_index (mine, guint, i);
        if (ch->is_write[k])
          cumulative_before (&seen, (guint) g->op_node[k]);
        else if (ch->src[k] >= 0)
          cumulative_add (&seen, (guint) g->op_node[ch->src[k]]);
      }
      cumulative_clear (&seen);
    }
  }
  return g;
}

static gint
by_rank (gconstpointer a, gconstpointer b, gpointer data)
{
  const int *rank = data;
  int x = rank[*(const guint *) a], y = rank[*(const guint *) b];
  return x < y ? -1 : x > y;
}

/* TRUE if the reads are totally ordered by g (so the saturation decides). */
static gboolean
reads_ordered (const ConsGraph *g, const GArray *reads)
{
  g_autofree int *rank = g_new (int, g->n > 0 ? g->n : 1);
  for (guint i = 0; i < g->n; i++)
    rank[g->topo[i]] = (int) i;
  g_autoptr (GArray) sorted = g_array_copy ((GArray *) reads);
  g_array_sort_with_data (sorted, by_rank, rank);
  for (guint i = 1; i < sorted->len; i++)
    if (!cons_graph_reaches (g, g_array_index (sorted, guint, i - 1),
                             g_array_index (sorted, guint, i)))
      return FALSE;
  return TRUE;
}

/* A witness found without search: the nodes are placed in a topological
 * order of g (ready counters and worklists, linear in the graph but for
 * writes held back), reads and virtual nodes as soon as they are ready and
 * return the current value, and a write of key x only while no unplaced
 * read of p still waits for x's current value (the history is
 * differentiated, so that value never comes back and the read would be
 * lost).  Among ready writes, first those no read of p returns, then those
 * whose reads are all ready (they are placed right after it), then those
 * with some ready read, then those other nodes wait for, then the
 * others.  TRUE if every node was placed: the order is then a view.  FALSE
 * says nothing: the saturation and the exact search decide. */
typedef struct {
  GArray *q;   /* guint nodes */
  guint head;
} Fifo;

static void
fifo_push (Fifo *f, guint v)
{
  if (f->head > 4096 && f->head * 2 > f->q->len) {
    g_array_remove_range (f->q, 0, f->head);
    f->head = 0;
  }
  g_array_append_val (f->q, v);
}

static gboolean
fifo_pop (Fifo *f, guint *v)
{
  if (f->head >= f->q->len)
    return FALSE;
  *v = g_array_index (f->q, guint, f->head++);
  return TRUE;
}

typedef struct {
  const ConsGraph *g;
  guint *indeg, *waiting, *waiting_nil, *ready_rd, *out_start;
  int *cur;                /* per key: node of the current write, -1 nil */
  gboolean *placed, *ready;
  GArray *now;             /* nodes to place at once */
  Fifo tier[5];            /* ready writes, by tier */
} Worklist;

static guint
write_tier (const Worklist *w, guint v)
{
  if (w->waiting[v] == 0)
    return 0;
  if (w->ready_rd[v] == w->waiting[v])
    return 1;
  if (w->ready_rd[v] > 0)
    return 2;
  /* Writes that other nodes wait for before those that only reads do. */
  const ConsGraph *g = w->g;
  gboolean needed = w->out_start[v + 1] > w->out_start[v]
                    || (guint) g->cpos[v] + 1 < g->chains[g->chain[v]]->len;
  return needed ? 3 : 4;
}

/* v's predecessors are all placed. */
static void
becomes_ready (Worklist *w, guint v)
{
  const ConsGraph *g = w->g;
  const ConsHist *ch = g->ch;
  int k = g->node_op[v];
  w->ready[v] = TRUE;
  if (k < 0) {
    g_array_append_val (w->now, v);
  } else if (ch->is_write[k]) {
    fifo_push (&w->tier[write_tier (w, v)], v);
  } else {
    int s = ch->src[k];
    int want = s >= 0 ? g->op_node[s] : -1;
    if (w->cur[ch->key[k]] == want)
      g_array_append_val (w->now, v);
    if (want >= 0) {
      /* The write moves up a tier with its first ready read and its last. */
      guint got = ++w->ready_rd[want];
      if ((got == 1 || got == w->waiting[want]) && w->ready[want] && !w->placed[want])
        fifo_push (&w->tier[write_tier (w, (guint) want)], (guint) want);
    }
  }
}

static gboolean
view_worklist (const ConsGraph *g, const GArray *reads)
{
  const ConsHist *ch = g->ch;
  guint n = g->n;
  g_autofree guint *indeg = g_new0 (guint, n + 1);
  g_autofree guint *out_start = g_new0 (guint, n + 1);
  g_autofree guint *out_list = g_new (guint, g->edges->len + 1);
  /* Read-from edges are left out: a read waits for its write through the
   * current value instead, so "ready" means ready but for that write. */
  for (guint i = 0; i < g->edges->len; i++) {
    const ConsEdge *e = &g_array_index (g->edges, ConsEdge, i);
    if (e->kind == CONS_EDGE_RF)
      continue;
    indeg[e->to]++;
    out_start[e->from + 1]++;
  }
  for (guint v = 0; v < n; v++) {
    out_start[v + 1] += out_start[v];
    if (g->cpos[v] > 0)
      indeg[v]++;
  }
  {
    g_autofree guint *fill = g_memdup2 (out_start, sizeof (guint) * (n + 1));
    for (guint i = 0; i < g->edges->len; i++) {
      const ConsEdge *e = &g_array_index (g->edges, ConsEdge, i);
      if (e->kind != CONS_EDGE_RF)
        out_list[fill[e->from]++] = e->to;
    }
  }
  /* waiting[w]: unplaced reads of p that return write node w's value;
   * waiting_nil[key]: those that return nil; ready_rd[w]: how many of
   * w's reads are ready. */
  g_autofree guint *waiting = g_new0 (guint, n + 1);
  g_autofree guint *ready_rd = g_new0 (guint, n + 1);
  g_autofree guint *waiting_nil = g_new0 (guint, ch->n_key + 1);
  g_autofree int *cur = g_new (int, ch->n_key + 1);
  for (guint k = 0; k < ch->n_key; k++)
    cur[k] = -1;
  g_autofree gboolean *is_read = g_new0 (gboolean, n + 1);
  g_autofree gboolean *placed = g_new0 (gboolean, n + 1);
  g_autofree gboolean *ready = g_new0 (gboolean, n + 1);
  /* Reads of each write node (CSR), to wake them when it is placed. */
  g_autofree guint *rd_start = g_new0 (guint, n + 2);
  g_autofree guint *rd_list = g_new (guint, reads->len + 1);
  for (guint i = 0; i < reads->len; i++) {
    guint r = g_array_index (reads, guint, i);
    int k = g->node_op[r];
    is_read[r] = TRUE;
    if (ch->src[k] >= 0) {
      guint w = (guint) g->op_node[ch->src[k]];
      waiting[w]++;
      rd_start[w + 1]++;
    } else {
      waiting_nil[ch->key[k]]++;
    }
  }
  for (guint v = 0; v < n; v++)
    rd_start[v + 1] += rd_start[v];
  {
    g_autofree guint *fill = g_memdup2 (rd_start, sizeof (guint) * (n + 1));
    for (guint i = 0; i < reads->len; i++) {
      guint r = g_array_index (reads, guint, i);
      int s = ch->src[g->node_op[r]];
      if (s >= 0)
        rd_list[fill[g->op_node[s]]++] = r;
    }
  }
  Worklist w = { g, indeg, waiting, waiting_nil, ready_rd, out_start, cur, placed, ready,
                 g_array_new (FALSE, FALSE, sizeof (guint)), { { 0 } } };
  for (guint t = 0; t < 5; t++)
    w.tier[t] = (Fifo) { g_array_new (FALSE, FALSE, sizeof (guint)), 0 };
  /* blocked[key]: ready writes of key held back by a waiting read. */
  g_autofree GArray **blocked = g_new0 (GArray *, ch->n_key + 1);
  guint n_placed = 0;
#define WAITING(key) (cur[key] < 0 ? waiting_nil[key] : waiting[cur[key]])
  for (guint v = 0; v < n; v++)
    if (indeg[v] == 0)
      becomes_ready (&w, v);
  for (;;) {
    guint v;
    if (w.now->len > 0) {
      v = g_array_index (w.now, guint, w.now->len - 1);
      g_array_set_size (w.now, w.now->len - 1);
      int k = g->node_op[v];
      if (k >= 0 && is_read[v]) {
        int key = ch->key[k];
        if (ch->src[k] >= 0)
          waiting[g->op_node[ch->src[k]]]--;
        else
          waiting_nil[key]--;
        if (WAITING (key) == 0 && blocked[key] != NULL) {
          for (guint i = 0; i < blocked[key]->len; i++) {
            guint u = g_array_index (blocked[key], guint, i);
            if (!placed[u])
              fifo_push (&w.tier[write_tier (&w, u)], u);
          }
          g_array_set_size (blocked[key], 0);
        }
      }
    } else if (fifo_pop (&w.tier[0], &v) || fifo_pop (&w.tier[1], &v)
               || fifo_pop (&w.tier[2], &v) || fifo_pop (&w.tier[3], &v)
               || fifo_pop (&w.tier[4], &v)) {
      if (placed[v])
        continue;
      int key = ch->key[g->node_op[v]];
      if (WAITING (key) > 0) {
        if (blocked[key] == NULL)
          blocked[key] = g_array_new (FALSE, FALSE, sizeof (guint));
        g_array_append_val (blocked[key], v);
        continue;
      }
      cur[key] = (int) v;
      for (guint j = rd_start[v]; j < rd_start[v + 1]; j++)
        if (ready[rd_list[j]])
          g_array_append_val (w.now, rd_list[j]);
    } else {
      break;
    }
    placed[v] = TRUE;
    n_placed++;
    /* Its successors: the next node of its chain and the extra edges. */
    GArray *chain = g->chains[g->chain[v]];
    if ((guint) g->cpos[v] + 1 < chain->len) {
      guint u = g_array_index (chain, guint, g->cpos[v] + 1);
      if (--indeg[u] == 0)
        becomes_ready (&w, u);
    }
    for (guint j = out_start[v]; j < out_start[v + 1]; j++)
      if (--indeg[out_list[j]] == 0)
        becomes_ready (&w, out_list[j]);
  }
#undef WAITING
  for (guint k = 0; k < ch->n_key; k++)
    if (blocked[k] != NULL)
      g_array_unref (blocked[k]);
  g_array_unref (w.now);
  for (guint t = 0; t < 5; t++)
    g_array_unref (w.tier[t].q);
  return n_placed == n;
}

/* "17 MiB", "1200 KiB": a size for a sentence, rounded up (in KiB below
 * 16 MiB unless it is a whole number of MiB). */
static char *
size_text (guint64 bytes)
{
  const guint64 mib = (guint64) 1 << 20;
  if (bytes % mib == 0 || bytes >= 16 * mib)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " MiB", (bytes + mib - 1) / mib);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " KiB", (bytes + 1023) >> 10);
}

void
cons_check_view (const ConsHist *ch, ChkModel m, const ChkConsOptions *opt, ChkConsResult *res)
{
  if (cons_find_thin_air (ch, opt, res)) {
    res->verdict = CHK_VERDICT_VIOLATION;
    return;
  }
  Demands d = demands_of (m);
  gboolean unknown = FALSE;
  for (guint p = 0; p < ch->n_proc && res->violations->len < opt->max_violations; p++) {
    g_autoptr (GArray) reads = g_array_new (FALSE, FALSE, sizeof (guint));
    g_autoptr (ConsGraph) full = view_graph_new (ch, p, d, reads);
    if (reads->len == 0)
      continue;
    /* Writes that no read of p must follow can go after all of them. */
    g_autoptr (ConsGraph) g = cons_graph_restrict (full, reads);
    int64_t pid = g_array_index (ch->ops, ChkOp, ch->op[g_array_index (ch->by_proc[p], guint, 0)]).process;
    /* The graphs themselves, then (if the worklist finds no view) the
     * reachability that the saturation and the search need. */
    guint64 need = cons_graph_memory_estimate (full) - cons_graph_reach_cells (full) * sizeof (int)
                   + cons_graph_memory_estimate (g) - cons_graph_reach_cells (g) * sizeof (int);
    if (opt->memory_limit_bytes > 0 && need > opt->memory_limit_bytes) {
      unknown = TRUE;
      g_free (res->note);
      g_autofree char *need_s = size_text (need), *cap_s = size_text (opt->memory_limit_bytes);
      res->note = g_strdup_printf ("process %" G_GINT64_FORMAT "'s view (%u operations, %u "
                                   "chains) needs about %s: more than the memory limit of %s",
                                   pid, g->n, g->n_chain, need_s, cap_s);
      continue;
    }
    /* A view found directly is the witness: no reachability needed. */
    if (view_worklist (g, reads))
      continue;
    need += cons_graph_reach_cells (g) * sizeof (int);
    if (opt->memory_limit_bytes > 0 && need > opt->memory_limit_bytes) {
      unknown = TRUE;
      g_free (res->note);
      g_autofree char *need_s = size_text (need), *cap_s = size_text (opt->memory_limit_bytes);
      res->note = g_strdup_printf ("process %" G_GINT64_FORMAT "'s view (%u operations, %u "
                                   "chains) needs about %s with its reachability: more than "
                                   "the memory limit of %s", pid, g->n, g->n_chain, need_s,
                                   cap_s);
      continue;
    }
    if (cons_graph_reach_cells (g) > CONS_VC_LIMIT) {
      unknown = TRUE;
      g_free (res->note);
      res->note = g_strdup_printf ("process %" G_GINT64_FORMAT "'s view has %u operations in %u "
                                   "chains: more than %" G_GUINT64_FORMAT " vector-clock "
                                   "entries", pid, g->n, g->n_chain, (guint64) CONS_VC_LIMIT);
      continue;
    }
    g_autofree char *who = g_strdup_printf ("process %" G_GINT64_FORMAT "'s view", pid);
    ConsSatNames names = { "WriteViewInitRead", "CyclicView", who, !d.mr };
    ChkConsViolation *v = NULL;
    if (!cons_view_saturate (g, reads, &names, &v)) {
      g_ptr_array_add (res->violations, v);
      continue;
    }
    if (d.mr || reads_ordered (g, reads) || view_worklist (g, reads))
      continue;
    gsize memory = 0;
    ChkVerdict found = cons_view_search (g, reads, opt, &res->states, &memory);
    if (found == CHK_VERDICT_UNKNOWN) {
      unknown = TRUE;
      g_free (res->note);
      res->note = g_strdup_printf ("the search for process %" G_GINT64_FORMAT "'s view stopped "
                                   "after %" G_GUINT64_FORMAT " states%s", pid, res->states,
                                   opt->memory_limit_bytes > 0
                                       && memory >= opt->memory_limit_bytes
                                     ? ": memory limit reached" : "");
    } else if (found == CHK_VERDICT_VIOLATION) {
      v = cons_violation_new ("NoView");
      for (guint i = 0; i < reads->len; i++)
        cons_violation_add_op (v, ch, g->node_op[g_array_index (reads, guint, i)]);
      v->explanation = g_strdup_printf ("no order of the writes lets every read of process %"
                                        G_GINT64_FORMAT " return the latest write of its key "
                                        "(an exhaustive search of %" G_GUINT64_FORMAT
                                        " states)", pid, res->states);
      g_ptr_array_add (res->violations, v);
    }
  }
  if (res->violations->len > 0)
    res->verdict = CHK_VERDICT_VIOLATION;
  else
    res->verdict = unknown ? CHK_VERDICT_UNKNOWN : CHK_VERDICT_OK;
}
