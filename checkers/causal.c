/* causal.c: causal consistency (CC), causal convergence (CCv) and causal
 * memory (CM) on differentiated histories, by the bad patterns of
 * Bouajjani, Enea, Guerraoui and Hamza, "On Verifying Causal Consistency"
 * (POPL 2017), Section 5 (read/write memories):
 *
 *   CC  fails iff one of CyclicCO, WriteCOInitRead, ThinAirRead, WriteCORead;
 *   CCv fails iff one of those, or CyclicCF;
 *   CM  fails iff one of those, or WriteHBInitRead, or CyclicHB.
 *
 * co = (po U rf)+ is kept as a graph whose chains are the processes, so a
 * node's causal past is a vector clock (one prefix per process).  "The last
 * write of x by process q in the causal past of r" is a binary search. */
#include "checkers/cons_internal.h"

gboolean
cons_find_thin_air (const ConsHist *ch, const ChkConsOptions *opt, ChkConsResult *res)
{
  gboolean any = FALSE;
  for (guint k = 0; k < ch->n; k++) {
    if (ch->is_write[k] || ch->src[k] != CONS_SRC_THIN_AIR)
      continue;
    any = TRUE;
    if (res->violations->len >= opt->max_violations)
      break;
    ChkConsViolation *v = cons_violation_new ("ThinAirRead");
    cons_violation_add_op (v, ch, (int) k);
    g_autofree char *d = cons_describe (ch, (int) k);
    v->explanation = g_strdup_printf ("%s, but no operation wrote that value: it came out "
                                      "of thin air", d);
    g_ptr_array_add (res->violations, v);
  }
  return any;
}

/* co: one chain per process, plus read-from edges. */
static ConsGraph *
co_graph_new (const ConsHist *ch)
{
  ConsGraph *g = cons_graph_new (ch);
  for (guint p = 0; p < ch->n_proc; p++)
    cons_graph_new_chain (g);
  for (guint k = 0; k < ch->n; k++)
    cons_graph_add_node (g, (int) k, ch->proc[k]);
  for (guint k = 0; k < ch->n; k++)
    if (!ch->is_write[k] && ch->src[k] >= 0)
      cons_graph_add_edge (g, (guint) g->op_node[ch->src[k]], k, CONS_EDGE_RF, -1);
  return g;
}

static gboolean
room (const ChkConsResult *res, const ChkConsOptions *opt)
{
  return res->violations->len < opt->max_violations;
}

/* The CC patterns on an ordered, acyclic co graph. */
static void
find_cc_patterns (ConsGraph *g, const ChkConsOptions *opt, ChkConsResult *res)
{
  const ConsHist *ch = g->ch;
  for (guint r = 0; r < ch->n && room (res, opt); r++) {
    if (ch->is_write[r])
      continue;
    int s = ch->src[r];
    int key = ch->key[r];
    for (guint c = 0; c < g->n_chain; c++) {
      int w = cons_graph_last_write_before (g, c, key, r);
      if (w < 0 || w == s)
        continue;
      if (s == CONS_SRC_INIT) {
        ChkConsViolation *v = cons_violation_new ("WriteCOInitRead");
        g_autoptr (GArray) path = cons_graph_path (g, (guint) w, r);
        g_autofree char *told = cons_tell_path (g, path, v);
        g_autofree char *kv = cons_kv (ch, w);
        v->explanation = g_strdup_printf ("%s: it depends causally on %s, yet read the "
                                          "initial value", told, kv);
        g_ptr_array_add (res->violations, v);
        break;
      }
      if (cons_graph_reaches (g, (guint) s, (guint) w)) {
        ChkConsViolation *v = cons_violation_new ("WriteCORead");
        g_autoptr (GArray) p1 = cons_graph_path (g, (guint) w, r);
        g_autoptr (GArray) p2 = cons_graph_path (g, (guint) s, (guint) w);
        g_autofree char *t1 = cons_tell_path (g, p1, v);
        g_autofree char *t2 = p2->len > 0 ? cons_tell_path (g, p2, v) : g_strdup ("");
        g_autofree char *kw = cons_kv (ch, w);
        g_autofree char *ks = cons_kv (ch, s);
        v->explanation = g_strdup_printf ("%s; %s: so %s had overwritten %s in its causal "
                                          "past, yet it read %s", t1, t2, kw, ks, ks);
        g_ptr_array_add (res->violations, v);
        break;
      }
    }
  }
}

/* CCv: w must be arbitrated before src(r) whenever w writes r's key and is
 * in r's causal past (the conflict order cf); co U cf must be acyclic. */
static void
find_cyclic_cf (ConsGraph *g, ChkConsResult *res)
{
  const ConsHist *ch = g->ch;
  for (guint r = 0; r < ch->n; r++) {
    if (ch->is_write[r] || ch->src[r] < 0)
      continue;
    guint s = (guint) ch->src[r];
    for (guint c = 0; c < g->n_chain; c++) {
      int w = cons_graph_last_write_before (g, c, ch->key[r], r);
      if (w >= 0 && (guint) w != s && !cons_graph_reaches (g, (guint) w, s))
        cons_graph_add_edge (g, (guint) w, s, CONS_EDGE_FORCED, (int) r);
    }
  }
  ChkConsViolation *v = NULL;
  if (!cons_graph_order_or_tell (g, "CyclicCF", "no single order of the writes explains every "
                                 "read, so the replicas cannot converge", &v))
    g_ptr_array_add (res->violations, v);
}

/* CM: for each process p, the happens-before of its last operation: co
 * plus, for each read r of p, w -> src(r) for every other write w of r's
 * key that happens before r, until nothing changes. */
static void
find_cm_patterns (ConsGraph *g, const ChkConsOptions *opt, ChkConsResult *res)
{
  const ConsHist *ch = g->ch;
  guint base = g->edges->len;
  for (guint p = 0; p < ch->n_proc && room (res, opt); p++) {
    g_autoptr (GArray) reads = g_array_new (FALSE, FALSE, sizeof (guint));
    GArray *mine = ch->by_proc[p];
    for (guint i = 0; i < mine->len; i++) {
      guint k = g_array_index (mine, guint, i);
      if (!ch->is_write[k])
        g_array_append_val (reads, k);
    }
    if (reads->len == 0)
      continue;
    g_array_set_size (g->edges, base);
    g_autofree char *who = g_strdup_printf ("process %" G_GINT64_FORMAT "'s reads",
                                            g_array_index (ch->ops, ChkOp,
                                                           ch->op[g_array_index (mine, guint, 0)]).process);
    ConsSatNames names = { "WriteHBInitRead", "CyclicHB", who, FALSE };
    ChkConsViolation *v = NULL;
    if (!cons_view_saturate (g, reads, &names, &v))
      g_ptr_array_add (res->violations, v);
  }
  g_array_set_size (g->edges, base);
}

void
cons_check_causal (const ConsHist *ch, ChkModel m, const ChkConsOptions *opt, ChkConsResult *res)
{
  if (cons_find_thin_air (ch, opt, res)) {
    res->verdict = CHK_VERDICT_VIOLATION;
    return;
  }
  if ((guint64) ch->n * ch->n_proc > CONS_VC_LIMIT) {
    res->verdict = CHK_VERDICT_UNKNOWN;
    res->note = g_strdup_printf ("%u operations by %u processes: the causal order would need "
                                 "more than %" G_GUINT64_FORMAT " vector-clock entries",
                                 ch->n, ch->n_proc, (guint64) CONS_VC_LIMIT);
    return;
  }
  g_autoptr (ConsGraph) g = co_graph_new (ch);
  ChkConsViolation *v = NULL;
  if (!cons_graph_order_or_tell (g, "CyclicCO", "each of these operations causally depends "
                                 "on the next, in a circle", &v)) {
    g_ptr_array_add (res->violations, v);
    res->verdict = CHK_VERDICT_VIOLATION;
    return;
  }
  find_cc_patterns (g, opt, res);
  if (res->violations->len == 0 && m == CHK_MODEL_CAUSAL_CONVERGENCE)
    find_cyclic_cf (g, res);
  if (res->violations->len == 0 && m == CHK_MODEL_CAUSAL_MEMORY)
    find_cm_patterns (g, opt, res);
  res->verdict = res->violations->len > 0 ? CHK_VERDICT_VIOLATION : CHK_VERDICT_OK;
}
