/* sequential.c: sequential consistency (Lamport 1979): one total order of
 * all operations that keeps each process's order, in which every read
 * returns the last preceding write of its key.  Real time is ignored.
 *
 * Deciding it is NP-complete (Gibbons and Korach 1997).  On a
 * differentiated history the necessary orders are found first (as for the
 * views in session.c: a write of r's key that must precede r must precede
 * the write r returns, and r must precede the writes of its key that must
 * follow the one it returns), which finds most violations with a witness;
 * then
 * an exact search over the order of the writes, with memoisation of failed
 * states, decides.  A deadline or a state bound gives unknown. */
#include "checkers/cons_internal.h"

void
cons_check_sequential (const ConsHist *ch, const ChkConsOptions *opt, ChkConsResult *res)
{
  if (ch->is_differentiated && cons_find_thin_air (ch, opt, res)) {
    res->verdict = CHK_VERDICT_VIOLATION;
    return;
  }
  g_autoptr (ConsGraph) g = cons_graph_new (ch);
  for (guint p = 0; p < ch->n_proc; p++)
    cons_graph_new_chain (g);
  g_autoptr (GArray) reads = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint k = 0; k < ch->n; k++) {
    cons_graph_add_node (g, (int) k, ch->proc[k]);
    if (!ch->is_write[k])
      g_array_append_val (reads, k);
  }
  if (ch->is_differentiated) {
    for (guint k = 0; k < ch->n; k++)
      if (!ch->is_write[k] && ch->src[k] >= 0)
        cons_graph_add_edge (g, (guint) ch->src[k], k, CONS_EDGE_RF, -1);
    /* The saturation only prunes the search (which is exact without it):
     * left out when its reachability would not fit in half the memory
     * limit. */
    if ((guint64) g->n * g->n_chain <= CONS_VC_LIMIT
        && (opt->memory_limit_bytes == 0
            || cons_graph_memory_estimate (g) <= opt->memory_limit_bytes / 2)) {
      ConsSatNames names = { "WriteBeforeInitRead", "CyclicOrder", "every process at once",
                             TRUE };
      ChkConsViolation *v = NULL;
      if (!cons_view_saturate (g, reads, &names, &v)) {
        g_ptr_array_add (res->violations, v);
        res->verdict = CHK_VERDICT_VIOLATION;
        return;
      }
    }
  }
  GArray *cycle = NULL;
  if (!cons_graph_order (g, &cycle)) {
    /* Only possible without differentiation checks: po alone is acyclic. */
    g_assert_not_reached ();
  }
  gsize memory = 0;
  ChkVerdict found = cons_view_search (g, reads, opt, &res->states, &memory);
  res->verdict = found;
  if (found == CHK_VERDICT_UNKNOWN)
    res->note = g_strdup_printf ("the search stopped after %" G_GUINT64_FORMAT " states%s",
                                 res->states,
                                 opt->memory_limit_bytes > 0 && memory >= opt->memory_limit_bytes
                                   ? ": memory limit reached" : "");
  else if (found == CHK_VERDICT_VIOLATION) {
    ChkConsViolation *v = cons_violation_new ("NoTotalOrder");
    v->explanation = g_strdup_printf ("no single order of all operations that keeps each "
                                      "process's order lets every read return the latest "
                                      "write of its key (an exhaustive search of %"
                                      G_GUINT64_FORMAT " states)", res->states);
    g_ptr_array_add (res->violations, v);
  }
}
