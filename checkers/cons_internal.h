/* cons_internal.h: what the consistency checkers share: the prepared
 * history (dense processes, keys and values; reads linked to the write they
 * read from), the order graph with its vector-clock reachability, the
 * saturation of a process's view, the exact search, and the sentences. */
#pragma once

#include "checkers/consistency.h"

enum { CONS_SRC_INIT = -1, CONS_SRC_THIN_AIR = -2 };

/* The operations a model looks at (see consistency.h for which are kept),
 * numbered 0..n-1 in invocation order. */
typedef struct {
  const ChkHistory *h;
  const GArray *ops;    /* ChkOp, as given */
  guint n;
  guint *op;            /* kept -> index into ops */
  int *proc;            /* dense process id, by first appearance */
  int *pos;             /* position in its process's program order */
  int *key;             /* dense key id */
  int *val;             /* value id; 0 is the initial value nil */
  gboolean *is_write;
  int *src;             /* reads: kept index of the write read from, or
                           CONS_SRC_INIT / CONS_SRC_THIN_AIR */
  guint n_proc, n_key, n_val;
  GArray **by_proc;     /* per process: kept indices in program order */
  gboolean is_differentiated;
} ConsHist;

/* Keeps the operations the models use; checks differentiation when
 * `need_diff`.  NULL and an error on cas/append or a non-differentiated
 * history that needs it. */
ConsHist *cons_hist_new (const ChkHistory *h, const GArray *ops, gboolean need_diff,
                         GError **error);
void cons_hist_free (ConsHist *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConsHist, cons_hist_free)

/* Edge kinds, for the sentences. */
typedef enum {
  CONS_EDGE_PO,      /* program order (chain successor) */
  CONS_EDGE_RF,      /* a write before the read that returns it */
  CONS_EDGE_WFR,     /* src(r) before a later write of r's process */
  CONS_EDGE_ORDER,   /* required by the model (barrier, po in a view) */
  CONS_EDGE_FORCED,  /* w before src(r): w was visible to r (saturation) */
  CONS_EDGE_UNSEEN,  /* r before w: w overwrites what r returned (or r
                        returned nil), so r cannot come after it */
} ConsEdgeKind;

typedef struct {
  guint from, to;
  ConsEdgeKind kind;
  int because;       /* FORCED: the read (node) that forces it; else -1 */
} ConsEdge;

/* The writes of one key in one chain: wsorted[lo .. hi), by position. */
typedef struct {
  guint chain, lo, hi;
} ConsKeyRun;

/* A graph over nodes (kept ops, or virtual nodes with op = -1) covered by
 * chains: consecutive nodes of a chain are ordered.  Reachability is a
 * vector clock per node: vc[v*n_chain + c] is the highest position in chain
 * c of a node that reaches v (itself included), -1 if none.  That is exact
 * because a node reaching v makes every earlier node of its chain reach v. */
typedef struct {
  const ConsHist *ch;
  guint n;              /* nodes */
  int *node_op;         /* node -> kept index, or -1 for a virtual node */
  int *op_node;         /* kept index -> node, or -1 if not in this graph */
  int *chain, *cpos;    /* node -> chain and position in it */
  guint n_chain;
  GArray **chains;      /* chain -> GArray of guint nodes */
  GArray *edges;        /* ConsEdge, besides the chain successor edges */
  int *vc;              /* n * n_chain, valid after cons_graph_order, or
                           NULL when `bits` is used instead */
  /* Reachability as bits when that is smaller than the vector clocks (many
   * chains, as in a view under a single session guarantee): bit a of row b
   * (bits[b * words + a / 64]) is set when a reaches b. */
  guint64 *bits;
  gsize words;
  guint *topo;          /* a topological order, valid after cons_graph_order */
  guint *in_start, *in_list; /* CSR of incoming extra edges (edge ids) */
  /* Writes sorted by (chain, key, position), to find the last write of a
   * key in a chain below a position. */
  guint *wsorted;
  guint n_wsorted;
  /* Per key, the runs of wsorted holding its writes, one per chain that has
   * any, in chain order: runs[run_start[key] .. run_start[key + 1]).  A read
   * of a key only needs the chains in its runs. */
  guint *run_start;
  ConsKeyRun *runs;
} ConsGraph;

/* Limit on reachability entries (cons_graph_reach_cells) before a check
 * gives up with unknown. */
#define CONS_VC_LIMIT ((guint64) 1 << 26)

ConsGraph *cons_graph_new (const ConsHist *ch);
void cons_graph_free (ConsGraph *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConsGraph, cons_graph_free)
/* Adds a node for kept op `op` (or a virtual node, op = -1) at the end of
 * chain `chain` (a new chain when chain == -1).  Returns the node. */
guint cons_graph_add_node (ConsGraph *g, int op, int chain);
int cons_graph_new_chain (ConsGraph *g);
void cons_graph_add_edge (ConsGraph *g, guint from, guint to, ConsEdgeKind kind, int because);
/* Computes the order and vector clocks.  FALSE if the graph has a cycle;
 * then *cycle (if not NULL) gets its edges (ConsEdge, in order). */
gboolean cons_graph_order (ConsGraph *g, GArray **cycle);
/* cons_graph_order, and on a cycle a violation `pattern` whose sentence
 * tells the cycle and ends with ": tail". */
gboolean cons_graph_order_or_tell (ConsGraph *g, const char *pattern, const char *tail,
                                   ChkConsViolation **v);
/* TRUE if node a reaches node b (a == b included). */
static inline gboolean
cons_graph_reaches (const ConsGraph *g, guint a, guint b)
{
  if (g->vc == NULL)
    return (g->bits[(gsize) b * g->words + a / 64] >> (a % 64)) & 1;
  return g->vc[(gsize) b * g->n_chain + g->chain[a]] >= g->cpos[a];
}
/* The reachability entries (ints) cons_graph_order will use for g: the
 * smaller of the vector clocks (n * n_chain) and the bit rows. */
static inline guint64
cons_graph_reach_cells (const ConsGraph *g)
{
  guint64 vc = (guint64) g->n * g->n_chain;
  guint64 bits = (guint64) g->n * ((g->n + 63) / 64) * 2;
  return bits < vc ? bits : vc;
}
/* The last write node of `key` in chain c that reaches node v, or -1. */
int cons_graph_last_write_before (const ConsGraph *g, guint c, int key, guint v);
/* The same within one run of the key's writes (valid after cons_graph_order). */
int cons_graph_last_in_run (const ConsGraph *g, const ConsKeyRun *run, guint v);
/* The runs of `key`'s writes (valid after cons_graph_order): *n_runs of them. */
static inline const ConsKeyRun *
cons_graph_key_runs (const ConsGraph *g, int key, guint *n_runs)
{
  *n_runs = g->run_start[key + 1] - g->run_start[key];
  return g->runs + g->run_start[key];
}
/* A new graph with only the nodes of g that reach one of `targets` (whose
 * node numbers are rewritten in place).  The others can always be placed
 * after everything that matters, so a view check may drop them. */
ConsGraph *cons_graph_restrict (const ConsGraph *g, GArray *targets);
/* A path from a to b (which a reaches) as edges, shortest in sentences
 * rather than in steps: it prefers read-from edges to walking po. */
GArray *cons_graph_path (const ConsGraph *g, guint a, guint b);

/* Saturates the view in g for the reads `reads` (nodes): whenever a write
 * w of key x reaches a read r of x and w != src(r), adds w -> src(r), until
 * nothing changes.  Returns TRUE if the view stays acyclic and no read of
 * the initial value is reached by a write of its key; else FALSE with the
 * violation in *v (pattern names given).  `unknown` set when too large. */
typedef struct {
  const char *init_pattern;  /* "WriteHBInitRead" */
  const char *cycle_pattern; /* "CyclicHB" */
  const char *who;           /* "process 2's view" for sentences */
  /* Also add r -> w for every write w of r's key that must follow src(r)
   * (every write of the key when r returned nil).  Sound in any view; it
   * only matters when the reads are not totally ordered. */
  gboolean both_ways;
} ConsSatNames;
gboolean cons_view_saturate (ConsGraph *g, const GArray *reads, const ConsSatNames *names,
                             ChkConsViolation **v);

/* Exact search for a total order of g's nodes extending its edges in which
 * every read in `reads` returns the last preceding write of its key.
 * Returns ok / violation / unknown (deadline, state bound, or the memory
 * cap: *memory, if not NULL, gets the bytes its memo of failed states
 * held, which reach opt->memory_limit_bytes when that was the reason). */
ChkVerdict cons_view_search (const ConsGraph *g, const GArray *reads, const ChkConsOptions *opt,
                             guint64 *states, gsize *memory);
/* The memory a view check needs for g's reachability and edges (bytes). */
static inline guint64
cons_graph_memory_estimate (const ConsGraph *g)
{
  return cons_graph_reach_cells (g) * sizeof (int) + (guint64) g->n * 48
         + (guint64) g->edges->len * 2 * sizeof (ConsEdge);
}

/* Sentences. */
ChkConsViolation *cons_violation_new (const char *pattern);
void cons_violation_free (ChkConsViolation *v);
void cons_violation_add_op (ChkConsViolation *v, const ConsHist *ch, int kept);
/* "process 2 wrote x=3", "process 3 read x=nil" */
char *cons_describe (const ConsHist *ch, int kept);
/* "x=3" */
char *cons_kv (const ConsHist *ch, int kept);
/* Tells a causal path (edges) backwards from its last node: "process 3 read
 * q=nil after reading a=1, which process 2 wrote after reading q=1, which
 * process 1 wrote".  Adds the operations to v's witness. */
char *cons_tell_path (const ConsGraph *g, const GArray *path, ChkConsViolation *v);
/* Tells a cycle of edges: "x=1 must come before x=2 (...), which ...". */
char *cons_tell_cycle (const ConsGraph *g, const GArray *cycle, ChkConsViolation *v);

/* The models. */
ChkConsResult *cons_result_new (ChkModel m);
void cons_check_causal (const ConsHist *ch, ChkModel m, const ChkConsOptions *opt,
                        ChkConsResult *res);
void cons_check_view (const ConsHist *ch, ChkModel m, const ChkConsOptions *opt,
                      ChkConsResult *res);
void cons_check_sequential (const ConsHist *ch, const ChkConsOptions *opt, ChkConsResult *res);
void cons_check_eventual (const ChkHistory *h, const GArray *ops, const ChkConsOptions *opt,
                          ChkConsResult *res, GError **error);
/* Reports thin-air reads (a read of a value no write wrote); TRUE if any. */
gboolean cons_find_thin_air (const ConsHist *ch, const ChkConsOptions *opt, ChkConsResult *res);
