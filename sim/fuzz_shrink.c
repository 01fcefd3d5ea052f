/* fuzz_shrink.c: reducing a failing fuzz run to a small one that fails the
 * same way.
 *
 * Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating
 * Failure-Inducing Input", TSE 2002) over the fault schedule, then smaller
 * clusters, fewer clients, fewer operations and a shorter run.  Every
 * candidate is a plan; it is written as scenario text and run exactly as
 * `dsim run` would run it, and kept only if it fails with the same `what`
 * (the same invariant, model or liveness).  The world seed stays pinned.
 *
 * Then the deliveries: the run's messages that leave the fixed delivery
 * rule (each message after its link's minimum latency, none lost or
 * copied) are recorded and pinned in a [deliveries] section, which replays
 * the run exactly; delta debugging then removes pins while the run still
 * fails the same way, so the scenario pins only the deliveries that
 * matter and every other message follows the rule. */
#include "sim/fuzz.h"

#include <string.h>

typedef struct {
  const FuzzBase *b;
  const char *what;
  guint runs, max_runs;
  int64_t end_us;    /* virtual end of the last failing candidate */
  uint64_t ops;      /* operations it invoked */
  gint64 deadline_us; /* monotonic time after which no run starts; 0: none */
  gboolean is_cut_short; /* the deadline ended the shrinking */
} Shrink;

/* TRUE once the deadline has passed; the run budget is then spent, so
 * every step stops where it is and keeps the plan it has. */
static gboolean
out_of_time (Shrink *s)
{
  if (s->deadline_us <= 0 || s->is_cut_short)
    return s->is_cut_short;
  if (g_get_monotonic_time () < s->deadline_us) /* dsim-allow-nondeterminism: --time only; what a run does never depends on it */
    return FALSE;
  s->is_cut_short = TRUE;
  s->max_runs = s->runs;
  return TRUE;
}

static gboolean
still_fails (Shrink *s, const FuzzPlan *p)
{
  if (s->runs >= s->max_runs || out_of_time (s))
    return FALSE;
  s->runs++;
  g_autofree char *text = fuzz_plan_text (s->b, p, "any", NULL);
  FuzzResult r;
  gboolean ok = fuzz_run_text ("shrink", text, p->heal_at_us, FALSE, &r, NULL);
  gboolean same = ok && r.what != NULL && strcmp (r.what, s->what) == 0;
  if (same) {
    s->end_us = r.end_us;
    s->ops = r.ops;
  }
  if (ok)
    fuzz_result_clear (&r);
  return same;
}

/* The plan with only the faults in `faults`. */
static void
plan_subset (const FuzzPlan *p, const GArray *faults, FuzzPlan *out)
{
  fuzz_plan_copy (out, p);
  g_array_set_size (out->faults, 0);
  g_array_append_vals (out->faults, faults->data, faults->len);
}

/* The plan cut at duration_us: faults after it dropped, no heal after it. */
static void
plan_cut (const FuzzPlan *p, int64_t duration_us, FuzzPlan *out)
{
  fuzz_plan_copy (out, p);
  out->duration_us = duration_us;
  if (out->heal_at_us > duration_us)
    out->heal_at_us = -1;
  guint keep = 0;
  for (guint i = 0; i < out->faults->len; i++)
    if (g_array_index (out->faults, SimFault, i).at_us <= duration_us)
      g_array_index (out->faults, SimFault, keep++) = g_array_index (out->faults, SimFault, i);
  g_array_set_size (out->faults, keep);
}

/* A safety failure needs no more run than up to where it broke. */
static void
shrink_duration (Shrink *s, FuzzPlan *p, gboolean is_invariant)
{
  FuzzPlan cand;
  fuzz_plan_init (&cand);
  if (is_invariant && s->end_us > 0 && s->end_us < p->duration_us) {
    plan_cut (p, s->end_us, &cand);
    if (still_fails (s, &cand))
      fuzz_plan_copy (p, &cand);
  }
  /* Then halve what is left while it still fails (in whole milliseconds). */
  int64_t lo = 1000, hi = p->duration_us;
  while (hi - lo > 1000 && s->runs < s->max_runs) {
    int64_t mid = (lo + hi) / 2 / 1000 * 1000;
    if (mid <= lo)
      break;
    plan_cut (p, mid, &cand);
    if (still_fails (s, &cand)) {
      fuzz_plan_copy (p, &cand);
      hi = mid;
    } else {
      lo = mid;
    }
  }
  fuzz_plan_clear (&cand);
}

static gboolean
plan_resize (const FuzzPlan *p, int n_nodes, int n_clients, FuzzPlan *out)
{
  fuzz_plan_copy (out, p);
  out->n_nodes = n_nodes;
  out->n_clients = n_clients;
  g_array_set_size (out->faults, 0);
  for (guint i = 0; i < p->faults->len; i++) {
    SimFault f;
    if (fuzz_fault_remap (&g_array_index (p->faults, SimFault, i), p->n_nodes, n_nodes,
                          n_clients, &f))
      g_array_append_val (out->faults, f);
  }
  return TRUE;
}

static void
shrink_cluster (Shrink *s, FuzzPlan *p)
{
  FuzzPlan cand;
  fuzz_plan_init (&cand);
  int min_nodes = s->b->cfg->proto->min_nodes;
  for (int n = min_nodes; n < p->n_nodes && s->runs < s->max_runs; n++) {
    plan_resize (p, n, p->n_clients, &cand);
    if (still_fails (s, &cand)) {
      fuzz_plan_copy (p, &cand);
      break;
    }
  }
  for (int c = 1; c < p->n_clients && s->runs < s->max_runs; c++) {
    plan_resize (p, p->n_nodes, c, &cand);
    if (still_fails (s, &cand)) {
      fuzz_plan_copy (p, &cand);
      break;
    }
  }
  fuzz_plan_clear (&cand);
}

/* Fewer client operations: the smallest total that still fails. */
static void
shrink_ops (Shrink *s, FuzzPlan *p)
{
  if (s->b->cfg->workload.n_clients == 0 || s->ops == 0)
    return;
  FuzzPlan cand;
  fuzz_plan_init (&cand);
  int64_t lo = 0, hi = (int64_t) s->ops;
  if (p->ops == 0 || p->ops > hi) {
    fuzz_plan_copy (&cand, p);
    cand.ops = hi;
    if (!still_fails (s, &cand)) {
      fuzz_plan_clear (&cand);
      return;
    }
    fuzz_plan_copy (p, &cand);
  }
  while (hi - lo > 1 && s->runs < s->max_runs) {
    int64_t mid = (lo + hi) / 2;
    fuzz_plan_copy (&cand, p);
    cand.ops = mid;
    if (still_fails (s, &cand)) {
      fuzz_plan_copy (p, &cand);
      hi = mid;
    } else {
      lo = mid;
    }
  }
  fuzz_plan_clear (&cand);
}

/* The plan under the delivery rule with only the pins in `pins`. */
static void
plan_pins (const FuzzPlan *p, const GArray *pins, FuzzPlan *out)
{
  fuzz_plan_copy (out, p);
  out->has_delivery_rule = TRUE;
  g_array_set_size (out->deliveries, 0);
  g_array_append_vals (out->deliveries, pins->data, pins->len);
}

/* Builds the plan that keeps only `items` of p's list under shrinking. */
typedef void (*PlanKeep) (const FuzzPlan *p, const GArray *items, FuzzPlan *out);

/* ddmin (Zeller and Hildebrandt) over one list of the plan: faults or
 * pinned deliveries.  The empty list first, then chunks of it (from
 * first_complement = 0) or only their complements (1), halving the chunks
 * when nothing fails, until single items or the run budget. */
static void
ddmin (Shrink *s, FuzzPlan *p, GArray *(*list_of) (FuzzPlan *), PlanKeep keep,
       int first_complement)
{
  FuzzPlan cand;
  fuzz_plan_init (&cand);
  guint size = g_array_get_element_size (list_of (p));
  g_autoptr (GArray) sub = g_array_new (FALSE, TRUE, size);
  keep (p, sub, &cand);
  if (list_of (p)->len > 0 && still_fails (s, &cand)) {
    fuzz_plan_copy (p, &cand);
    fuzz_plan_clear (&cand);
    return;
  }
  guint n = 2;
  while (list_of (p)->len >= 2 && s->runs < s->max_runs) {
    const GArray *list = list_of (p);
    guint len = list->len;
    guint chunk = (len + n - 1) / n;
    gboolean reduced = FALSE;
    for (int complement = first_complement; complement < 2 && !reduced && s->runs < s->max_runs;
         complement++) {
      for (guint start = 0; start < len && !reduced && s->runs < s->max_runs; start += chunk) {
        g_array_set_size (sub, 0);
        for (guint i = 0; i < len; i++) {
          gboolean inside = i >= start && i < start + chunk;
          if (inside != (complement == 1))
            g_array_append_vals (sub, list->data + (gsize) i * size, 1);
        }
        if (sub->len == 0 || sub->len == len)
          continue;
        keep (p, sub, &cand);
        if (still_fails (s, &cand)) {
          fuzz_plan_copy (p, &cand);
          n = complement ? MAX (n - 1, 2) : 2;
          reduced = TRUE;
        }
      }
    }
    if (!reduced) {
      if (n >= len)
        break;
      n = MIN (len, n * 2);
    }
  }
  fuzz_plan_clear (&cand);
}

static GArray *
faults_of (FuzzPlan *p)
{
  return p->faults;
}

static GArray *
pins_of (FuzzPlan *p)
{
  return p->deliveries;
}

/* ddmin over the fault schedule. */
static void
shrink_faults (Shrink *s, FuzzPlan *p)
{
  ddmin (s, p, faults_of, plan_subset, 0);
}

/* ddmin over the pinned deliveries of a plan that already fails with all
 * of them pinned.  Only complements are tried (a chunk of pins removed):
 * with hundreds of pins, keeping one chunk alone almost never fails, and
 * the runs it would cost are better spent on finer chunks. */
static void
shrink_pins (Shrink *s, FuzzPlan *p)
{
  ddmin (s, p, pins_of, plan_pins, 1);
}

/* Records the plan's deliveries that leave the rule, pins them all, and
 * shrinks the pins.  The plan keeps its random deliveries if pinning them
 * all does not replay the failure (it always should). */
static void
shrink_deliveries (Shrink *s, FuzzPlan *p)
{
  if (p->has_delivery_rule || s->runs >= s->max_runs || out_of_time (s))
    return;
  g_autofree char *text = fuzz_plan_text (s->b, p, "any", NULL);
  g_autoptr (GArray) log = g_array_new (FALSE, TRUE, sizeof (SimDeliveryPin));
  FuzzResult r;
  s->runs++;
  if (!fuzz_run_text_recording ("shrink", text, p->heal_at_us, FALSE, log, &r, NULL))
    return;
  gboolean same = r.what != NULL && strcmp (r.what, s->what) == 0;
  fuzz_result_clear (&r);
  if (!same)
    return;
  FuzzPlan all;
  fuzz_plan_init (&all);
  plan_pins (p, log, &all);
  if (still_fails (s, &all)) {
    fuzz_plan_copy (p, &all);
    shrink_pins (s, p);
  }
  fuzz_plan_clear (&all);
}

guint
fuzz_shrink (const FuzzBase *b, FuzzPlan *plan, const char *what, guint max_runs)
{
  return fuzz_shrink_until (b, plan, what, max_runs, 0, NULL);
}

guint
fuzz_shrink_until (const FuzzBase *b, FuzzPlan *plan, const char *what, guint max_runs,
                   gint64 deadline_us, gboolean *is_cut_short)
{
  /* Half the runs for the schedule, cluster, workload and duration, the
   * rest (and what they left) for the deliveries; past the deadline none
   * (out_of_time). */
  Shrink s = { .b = b, .what = what, .max_runs = MAX (max_runs / 2, 1),
               .deadline_us = deadline_us };
  if (!still_fails (&s, plan)) {
    if (is_cut_short != NULL)
      *is_cut_short = s.is_cut_short;
    return s.runs; /* does not fail again (or no time left): leave it as it is */
  }
  gboolean is_liveness = strcmp (what, "liveness") == 0;
  gboolean is_invariant = !is_liveness && s.end_us < plan->duration_us;
  for (int round = 0; round < 2 && s.runs < s.max_runs; round++) {
    guint before = plan->faults->len;
    int nodes = plan->n_nodes, clients = plan->n_clients;
    int64_t ops = plan->ops, duration = plan->duration_us;
    if (!is_liveness)
      shrink_duration (&s, plan, is_invariant);
    shrink_faults (&s, plan);
    shrink_cluster (&s, plan);
    shrink_ops (&s, plan);
    if (plan->faults->len == before && plan->n_nodes == nodes && plan->n_clients == clients
        && plan->ops == ops && plan->duration_us == duration)
      break;
  }
  s.max_runs = max_runs;
  shrink_deliveries (&s, plan);
  if (is_cut_short != NULL)
    *is_cut_short = s.is_cut_short;
  return s.runs;
}
