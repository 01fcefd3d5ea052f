/* models_map.c: the map of the consistency models (models_map.h).
 *
 * The implications are the ones tests/test_consistency.c checks on random
 * histories; "separates" names a history of tests/data/consistency/ (its
 * verdicts under every model are in EXPECTED.tsv) or a teaching scenario
 * under scenarios/teaching/ that satisfies the model and breaks the next
 * stronger one. */
#include "cli/models_map.h"
#include "viz/dotw.h"

#include <string.h>

static const ModelsMapEntry entries[] = {
  { "linearizable", "sequential", "(strongest single-object model here)",
    "etcd and ZooKeeper writes; etcd reads (quorum reads); Spanner and "
    "CockroachDB (strict serializable); Raft with ReadIndex (dsim raft); ABD (dsim quorum mode = abd)",
    "stale-read.edn: a read misses a write that completed before it began; sequential holds "
    "(it ignores real time); scenarios/teaching/stale-read-lagging-replica.scn breaks it",
    0, 0 },
  { "sequential", "causal-memory, causal-convergence", "linearizable",
    "ZooKeeper reads (a client may read a stale but ordered state, sync() makes it current)",
    "iriw.edn: two readers disagree on the order of two independent writes; every causal model holds",
    1, 0 },
  { "causal-convergence", "causal", "sequential",
    "causal+ stores (COPS, Eiger); Riak with causal contexts, without siblings",
    "each-saw-other-last.edn: each writer saw the other's write as the later one; causal holds",
    2, -1.5 },
  { "causal-memory", "causal, pram, session (equivalent)", "sequential, session (equivalent)",
    "MongoDB causally consistent sessions (majority reads and writes); Cosmos DB session consistency per client",
    "causal-not-causal-memory.edn separates it from causal; iriw.edn from sequential",
    2, 1.5 },
  { "session", "read-your-writes, monotonic-reads, monotonic-writes, writes-follow-reads",
    "causal-memory (equivalent)",
    "the four guarantees of Bayou's sessions; MongoDB causal sessions; Cosmos DB session level",
    "each single guarantee holds alone where session breaks: writer-out-of-order.edn",
    2, 3.5 },
  { "causal", "", "causal-memory, causal-convergence",
    "MongoDB causal sessions; COPS; Antidote",
    "causal-not-causal-memory.edn holds here and breaks causal-memory; "
    "scenarios/teaching/answer-before-question.scn breaks it",
    3, 0 },
  { "pram", "read-your-writes, monotonic-reads, monotonic-writes", "causal-memory",
    "a client pinned to one replica fed by FIFO replication (sticky sessions)",
    "answer-before-question.edn holds here and breaks causal",
    3, 2.5 },
  { "read-your-writes", "", "pram, session",
    "sticky sessions; Cassandra/DynamoDB only with strong (QUORUM) reads after QUORUM writes",
    "time-backwards.edn holds here and breaks pram; "
    "scenarios/teaching/read-your-writes-load-balancer.scn breaks it",
    4, 0 },
  { "monotonic-reads", "", "pram, session",
    "sticky sessions; MongoDB causal sessions",
    "stale-own-write.edn holds here and breaks pram; "
    "scenarios/teaching/monotonic-reads-across-replicas.scn breaks it",
    4, 1.5 },
  { "monotonic-writes", "", "pram, session",
    "systems that apply one client's writes in order (a single leader, FIFO replication)",
    "writer-out-of-order.edn holds it alone and breaks pram",
    4, 3 },
  { "writes-follow-reads", "", "session",
    "MongoDB causal sessions; Bayou",
    "causal-loop.edn breaks it; pram holds there",
    4, 4.5 },
  { "eventual", "(only about final reads)", "(no other model here implies it)",
    "Cassandra and DynamoDB at ONE by default, Riak; Redis with Sentinel is weaker still "
    "(asynchronous replication loses acknowledged writes)",
    "divergence.edn: the final reads disagree; lost-write.edn: an acknowledged write vanishes",
    5, 0 },
  { "staleness", "(a measure, not a model)", "",
    "probabilistically bounded staleness of partial quorums (Cassandra, Riak, DynamoDB)",
    "scenarios/teaching/quorum-overlap-weak.scn against quorum-overlap-strict.scn: how far behind reads are",
    5, 2.5 },
  { NULL, NULL, NULL, NULL, NULL, 0, 0 },
};

const ModelsMapEntry *
models_map_entries (void)
{
  return entries;
}

const ModelsMapEntry *
models_map_find (const char *name)
{
  for (const ModelsMapEntry *e = entries; e->name != NULL; e++)
    if (strcmp (e->name, name) == 0)
      return e;
  return NULL;
}

/* The drawn edges: stronger -> weaker; `both` for an equivalence. */
static const struct {
  const char *from, *to;
  gboolean both;
} edges[] = {
  { "linearizable", "sequential", FALSE },
  { "sequential", "causal-convergence", FALSE },
  { "sequential", "causal-memory", FALSE },
  { "causal-memory", "session", TRUE },
  { "causal-convergence", "causal", FALSE },
  { "causal-memory", "causal", FALSE },
  { "causal-memory", "pram", FALSE },
  { "pram", "read-your-writes", FALSE },
  { "pram", "monotonic-reads", FALSE },
  { "pram", "monotonic-writes", FALSE },
  { "session", "writes-follow-reads", FALSE },
};

#define COL_PT 150.0
#define ROW_PT 95.0
#define ROWS 6

static void
node_xy (const ModelsMapEntry *e, double *x, double *y)
{
  *x = e->column * COL_PT;
  *y = (ROWS - 1 - e->row) * ROW_PT;
}

char *
models_map_dot (void)
{
  GString *o = g_string_new (
    "digraph models {\n"
    "  graph [splines=line, outputorder=edgesfirst, bgcolor=white, pad=0.3,\n"
    "         fontname=\"Helvetica\"];\n"
    "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", color=\"#35609a\",\n"
    "        fontname=\"Helvetica\", fontsize=11, penwidth=1.2];\n"
    "  edge [arrowsize=0.7, penwidth=1.3, color=\"#555555\"];\n");
  viz_dot_text_left (o, "title", -110, ROWS * ROW_PT - 20,
                     "consistency models dsim checks (an arrow: implies)", 14, "#222222", TRUE);
  for (const ModelsMapEntry *e = entries; e->name != NULL; e++) {
    double x, y;
    node_xy (e, &x, &y);
    g_string_append (o, "  ");
    viz_dot_quote (o, e->name);
    g_string_append (o, " [");
    viz_dot_pos (o, x, y);
    g_string_append (o, ", ");
    viz_dot_size (o, viz_text_width (e->name, 11) + 24, 30);
    if (strcmp (e->name, "staleness") == 0)
      g_string_append (o, ", style=\"rounded,dashed\", label=\"staleness\\n(a measure)\"");
    else if (strcmp (e->name, "eventual") == 0)
      g_string_append (o, ", fillcolor=\"#f7f1e3\", label=\"eventual\\n(final reads only)\"");
    g_string_append (o, "];\n");
  }
  for (guint i = 0; i < G_N_ELEMENTS (edges); i++) {
    g_string_append (o, "  ");
    viz_dot_quote (o, edges[i].from);
    g_string_append (o, " -> ");
    viz_dot_quote (o, edges[i].to);
    g_string_append (o, edges[i].both ? " [dir=both, style=dashed];\n" : ";\n");
  }
  g_string_append (o, "}\n");
  return g_string_free (o, FALSE);
}
