/* fuzz.c: one fuzz run: the swarm configuration of a run and its
 * mutations, the plan and its scenario text, and running that text with
 * coverage collection, the protocol's invariants, the [check] models and
 * the liveness check. */
#include "sim/fuzz.h"
#include "sim/scenario.h"
#include "sim/world_internal.h"
#include "checkers/check.h"
#include "checkers/consistency.h"
#include "protocols/mix64.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FUZZ_DEFAULT_LIVENESS_US SIM_FUZZ_DEFAULT_LIVENESS_US
#define FUZZ_MAX_FAULTS 64
/* Search bounds of the model checks: states and memory, never wall time,
 * so that a run's verdict is the same on every machine. */
#define FUZZ_MAX_STATES 2000000
#define FUZZ_MEMORY_LIMIT ((gsize) 256 << 20)
/* The guards of one fuzz run: far above what a run of a few virtual
 * seconds needs (tens of thousands of events, a few MiB). */
#define FUZZ_MAX_EVENTS 5000000
#define FUZZ_MAX_WORLD_BYTES ((uint64_t) 256 << 20)

static const char *const kind_words[] = { "crash", "partition", "pause", "skew", "admin" };

/* ---- Inputs ----------------------------------------------------------------*/

void
fuzz_input_init (FuzzInput *in)
{
  memset (in, 0, sizeof *in);
  in->faults = g_array_new (FALSE, TRUE, sizeof (FuzzFault));
  in->parent = -1;
}

void
fuzz_input_clear (FuzzInput *in)
{
  if (in->faults != NULL)
    g_array_unref (in->faults);
  in->faults = NULL;
}

void
fuzz_input_copy (FuzzInput *dst, const FuzzInput *src)
{
  GArray *faults = dst->faults;
  *dst = *src;
  dst->faults = faults != NULL ? faults : g_array_new (FALSE, TRUE, sizeof (FuzzFault));
  g_array_set_size (dst->faults, 0);
  g_array_append_vals (dst->faults, src->faults->data, src->faults->len);
}

/* ---- The base scenario -------------------------------------------------------*/

void
fuzz_base_free (FuzzBase *b)
{
  if (b == NULL)
    return;
  for (int i = 0; i < b->n_knobs; i++)
    g_strfreev (b->knob_values[i]);
  g_strfreev (b->admin_commands);
  g_strfreev (b->byzantine);
  sim_config_free (b->cfg);
  g_free (b->text);
  g_free (b);
}

static double
base_rate (const SimRandomFaults *rf, int k)
{
  switch (k) {
  case SIM_FUZZ_CRASH: return rf->crash_per_s;
  case SIM_FUZZ_PARTITION: return rf->partition_per_s;
  case SIM_FUZZ_PAUSE: return rf->pause_per_s;
  case SIM_FUZZ_SKEW: return rf->skew_per_s;
  default: return 0; /* admin: [fuzz] only */
  }
}

static int64_t
base_for (const SimRandomFaults *rf, int k)
{
  switch (k) {
  case SIM_FUZZ_CRASH: return rf->crash_down_us;
  case SIM_FUZZ_PARTITION: return rf->partition_us;
  case SIM_FUZZ_PAUSE: return rf->pause_us;
  case SIM_FUZZ_SKEW: return rf->skew_max_us;
  default: return 0;
  }
}

FuzzBase *
fuzz_base_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!sim_scenario_read (path, &text, &len, error))
    return NULL;
  SimConfig *cfg = sim_scenario_load_data (path, text, len, error);
  if (cfg == NULL)
    return NULL;
  /* A run of the campaign would ignore the path (it draws its own
   * choices), and its repro.scn, replaying the path, would not reproduce
   * it; a smaller cluster would not even load it. */
  if (cfg->replay->len > 0) {
    g_set_error (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_PARSE,
                 "%s:%u: [replay] step 1: dsim fuzz draws its own runs; expected a scenario "
                 "without [replay] (dsim run replays the path, dsim explore --from-replay "
                 "searches from its end)", path,
                 g_array_index (cfg->replay, SimPinnedChoice, 0).line);
    sim_config_free (cfg);
    return NULL;
  }
  FuzzBase *b = g_new0 (FuzzBase, 1);
  b->cfg = cfg;
  b->text = g_steal_pointer (&text);
  const SimFuzzSpec *s = &cfg->fuzz;
  const ProtoVTable *vt = cfg->proto;
  b->liveness_us = s->liveness_us > 0 ? s->liveness_us : FUZZ_DEFAULT_LIVENESS_US;
  if (s->nodes_max > 0) {
    b->nodes_min = s->nodes_min;
    b->nodes_max = s->nodes_max;
  } else {
    /* Smaller clusters than the scenario's reach corner cases sooner; keep
     * the scenario's size when its schedule or links name nodes. */
    b->nodes_max = cfg->n_nodes;
    gboolean names_nodes = cfg->faults->len > 0 || cfg->link_overrides->len > 0;
    b->nodes_min = names_nodes ? cfg->n_nodes : MAX (vt->min_nodes, MIN (3, cfg->n_nodes));
  }
  if (s->clients_max > 0) {
    b->clients_min = s->clients_min;
    b->clients_max = s->clients_max;
  } else {
    /* Keep every client when a link names one (its section would not load
     * in a run without that client). */
    gboolean names_clients = FALSE;
    for (guint i = 0; i < cfg->link_overrides->len; i++) {
      const SimLinkOverride *o = &g_array_index (cfg->link_overrides, SimLinkOverride, i);
      names_clients |= o->from >= cfg->n_nodes || o->to >= cfg->n_nodes;
    }
    b->clients_max = cfg->workload.n_clients;
    b->clients_min = names_clients ? cfg->workload.n_clients : MIN (1, cfg->workload.n_clients);
  }
  if (s->duration_max_us > 0) {
    b->duration_min_us = s->duration_min_us;
    b->duration_max_us = s->duration_max_us;
  } else {
    /* A run with its liveness phase is a scenario too: at most a day. */
    b->duration_max_us = MIN (cfg->duration_us, SIM_MAX_DURATION_US - b->liveness_us);
    b->duration_min_us = MIN (MAX (cfg->duration_us / 2, 1000), b->duration_max_us);
  }
  for (int k = 0; k < SIM_FUZZ__KINDS; k++) {
    double rate = base_rate (&cfg->random_faults, k);
    if (s->has_kinds ? (s->kinds & (1u << k)) != 0 : rate > 0)
      b->kinds |= 1u << k;
    if (rate <= 0)
      rate = 1.0;
    b->rate_min[k] = s->has_rate[k] ? s->rate_min[k] : rate / 4;
    b->rate_max[k] = s->has_rate[k] ? s->rate_max[k] : rate * 2;
    int64_t f = MAX (base_for (&cfg->random_faults, k), 1000);
    b->for_min_us[k] = s->has_for[k] ? s->for_min_us[k] : MAX (f / 100, 1000);
    b->for_max_us[k] = s->has_for[k] ? s->for_max_us[k] : f * 2;
  }
  b->drop_min = s->has_drop ? s->drop_min : 0;
  b->drop_max = s->has_drop ? s->drop_max : MIN (1.0, cfg->net.drop * 2);
  b->duplicate_min = s->has_duplicate ? s->duplicate_min : 0;
  b->duplicate_max = s->has_duplicate ? s->duplicate_max : MIN (1.0, cfg->net.duplicate * 2);
  b->leader_min = s->has_leader ? s->leader_min : 0;
  b->leader_max = s->has_leader ? s->leader_max : 0;
  b->disk_latency_min_us = s->has_disk_latency ? s->disk_latency_min_us
                                               : cfg->storage.disk_latency_max_us;
  b->disk_latency_max_us = s->has_disk_latency ? s->disk_latency_max_us
                                               : cfg->storage.disk_latency_max_us;
  if (s->admin_commands[0] != '\0') {
    b->admin_commands = g_strsplit (s->admin_commands, "|", -1);
    for (int i = 0; b->admin_commands[i] != NULL; i++)
      g_strstrip (b->admin_commands[i]);
  }
  b->admin_burst_min = MAX (s->admin_burst_min, 1);
  b->admin_burst_max = MAX (s->admin_burst_max, 1);
  if (s->byzantine[0] != '\0') {
    b->byzantine = g_strsplit (s->byzantine, "|", -1);
    for (int i = 0; b->byzantine[i] != NULL; i++)
      g_strstrip (b->byzantine[i]);
    for (guint i = 0; i < cfg->faults->len && b->n_byzantine < FUZZ_MAX_BYZANTINE; i++)
      b->n_byzantine += g_array_index (cfg->faults, SimFault, i).kind == SIM_FAULT_BYZANTINE;
  }
  b->think_min_us = s->think_max_us > 0 ? s->think_min_us : cfg->workload.think_us;
  b->think_max_us = s->think_max_us > 0 ? s->think_max_us : cfg->workload.think_us;
  b->n_knobs = s->n_knobs;
  for (int i = 0; i < s->n_knobs; i++) {
    const ProtoKnob *k = proto_knob_find (vt, s->knobs[i].name);
    g_assert (k != NULL); /* checked by the parser */
    b->knob[i] = k;
    if (s->knobs[i].is_range) {
      const char *dots = strstr (s->knobs[i].values, "..");
      g_autofree char *lo = g_strstrip (g_strndup (s->knobs[i].values,
                                                   (gsize) (dots - s->knobs[i].values)));
      g_autofree char *hi = g_strstrip (g_strdup (dots + 2));
      if (k->type == PROTO_KNOB_INT) {
        b->knob_lo[i] = g_ascii_strtoll (lo, NULL, 10);
        b->knob_hi[i] = g_ascii_strtoll (hi, NULL, 10);
      } else {
        proto_parse_duration_us (lo, &b->knob_lo[i]);
        proto_parse_duration_us (hi, &b->knob_hi[i]);
      }
    } else {
      b->knob_values[i] = g_strsplit (s->knobs[i].values, "|", -1);
      for (int v = 0; b->knob_values[i][v] != NULL; v++)
        g_strstrip (b->knob_values[i][v]);
    }
  }
  return b;
}

static void
append_us (GString *out, int64_t us)
{
  proto_format_duration (us, out);
}

void
fuzz_base_describe (const FuzzBase *b, GString *out)
{
  g_string_append_printf (out, "swarm        %s: nodes %d..%d, clients %d..%d, duration ",
                          b->cfg->fuzz.has_section ? "[fuzz] ranges" : "derived from the scenario",
                          b->nodes_min, b->nodes_max, b->clients_min, b->clients_max);
  append_us (out, b->duration_min_us);
  g_string_append (out, "..");
  append_us (out, b->duration_max_us);
  g_string_append (out, " + liveness ");
  append_us (out, b->liveness_us);
  g_string_append_printf (out, "\n             drop %g..%g, duplicate %g..%g, think ",
                          b->drop_min, b->drop_max, b->duplicate_min, b->duplicate_max);
  append_us (out, b->think_min_us);
  if (b->think_max_us != b->think_min_us) {
    g_string_append (out, "..");
    append_us (out, b->think_max_us);
  }
  g_string_append (out, ", faults");
  if (b->kinds == 0)
    g_string_append (out, " none");
  for (int k = 0; k < SIM_FUZZ__KINDS; k++)
    if (b->kinds & (1u << k)) {
      g_string_append_printf (out, " %s %g..%g/s", kind_words[k], b->rate_min[k],
                              b->rate_max[k]);
    }
  g_string_append_c (out, '\n');
  if (b->leader_max > 0 || b->disk_latency_max_us > 0 || b->admin_commands != NULL) {
    g_string_append_printf (out, "             leader-targeted %g..%g, disk latency ",
                            b->leader_min, b->leader_max);
    append_us (out, b->disk_latency_min_us);
    g_string_append (out, "..");
    append_us (out, b->disk_latency_max_us);
    if (b->admin_commands != NULL) {
      g_autofree char *cmds = g_strjoinv (" | ", b->admin_commands);
      g_string_append_printf (out, ", admin commands %s", cmds);
      if (b->admin_burst_max > 1)
        g_string_append_printf (out, " in bursts of %d..%d", b->admin_burst_min,
                                b->admin_burst_max);
    }
    g_string_append_c (out, '\n');
  }
  for (int i = 0; i < b->n_knobs; i++)
    g_string_append_printf (out, "             %s.%s = %s\n", b->cfg->proto->name,
                            b->cfg->fuzz.knobs[i].name, b->cfg->fuzz.knobs[i].values);
  if (b->byzantine != NULL) {
    g_autofree char *how = g_strjoinv (" | ", b->byzantine);
    g_string_append_printf (out, "             byzantine nodes (%d) = %s\n", b->n_byzantine, how);
  }
}

/* ---- Swarm and mutation -------------------------------------------------------*/

static double
uniform (Pcg32 *rng, double lo, double hi)
{
  return lo + (hi - lo) * pcg32_double (rng);
}

static int64_t
range_i64 (Pcg32 *rng, int64_t lo, int64_t hi)
{
  return hi <= lo ? lo : pcg32_range (rng, lo, hi);
}

/* Durations spread over orders of magnitude: a crash of 2ms (a restart in
 * the middle of an election) is as likely as one of 200ms. */
static int64_t
log_uniform (Pcg32 *rng, int64_t lo, int64_t hi)
{
  if (hi <= lo || lo <= 0)
    return range_i64 (rng, lo, hi);
  double v = exp (uniform (rng, log ((double) lo), log ((double) hi)));
  return CLAMP ((int64_t) v, lo, hi);
}

static uint32_t
random_mask (Pcg32 *rng, int n_nodes)
{
  uint32_t full = n_nodes >= 32 ? UINT32_MAX : (1u << n_nodes) - 1;
  uint32_t mask;
  do
    mask = pcg32_next (rng) & full;
  while (n_nodes >= 2 && (mask == 0 || mask == full));
  return mask;
}

/* A fault's length: within a factor of two of the run's typical length
 * for its kind, inside the campaign's bounds. */
static int64_t
fault_length (const FuzzBase *b, Pcg32 *rng, const FuzzInput *in, SimFuzzKind k)
{
  int64_t typical = in->for_us[k] > 0 ? in->for_us[k] : b->for_max_us[k];
  int64_t lo = MAX (typical / 2, b->for_min_us[k]), hi = MIN (typical * 2, b->for_max_us[k]);
  return log_uniform (rng, MIN (lo, hi), MAX (lo, hi));
}

static void
fault_draw (const FuzzBase *b, Pcg32 *rng, const FuzzInput *in, SimFuzzKind k, int64_t at_us,
            FuzzFault *f)
{
  int n_nodes = in->n_nodes;
  memset (f, 0, sizeof *f);
  f->kind = k;
  f->at_us = at_us;
  f->node = (int) pcg32_below (rng, (uint32_t) n_nodes);
  f->for_us = fault_length (b, rng, in, k);
  if (k == SIM_FUZZ_PARTITION)
    f->mask = random_mask (rng, n_nodes);
  if (k == SIM_FUZZ_ADMIN) {
    f->command = (int) pcg32_below (rng, g_strv_length (b->admin_commands));
    f->for_us = 0;
  }
  /* Role-aware (Jepsen's nemeses): the leader, whoever it is then. */
  if (k <= SIM_FUZZ_PAUSE && in->leader_p > 0 && pcg32_double (rng) < in->leader_p)
    f->is_leader = TRUE;
  if (k == SIM_FUZZ_SKEW) {
    f->skew_us = f->for_us * (pcg32_below (rng, 2) ? 1 : -1);
    f->for_us = 0;
  }
}

static int
compare_faults (gconstpointer a, gconstpointer b)
{
  const FuzzFault *x = a, *y = b;
  if (x->at_us != y->at_us)
    return x->at_us < y->at_us ? -1 : 1;
  return (int) x->kind - (int) y->kind;
}

/* Stable sort by time (g_array_sort is not stable: insertion sort). */
static void
sort_faults (GArray *faults)
{
  for (guint i = 1; i < faults->len; i++) {
    FuzzFault f = g_array_index (faults, FuzzFault, i);
    guint j = i;
    while (j > 0 && compare_faults (&g_array_index (faults, FuzzFault, j - 1), &f) > 0) {
      g_array_index (faults, FuzzFault, j) = g_array_index (faults, FuzzFault, j - 1);
      j--;
    }
    g_array_index (faults, FuzzFault, j) = f;
  }
}

/* A drawn fault of kind k at at_us, appended to out->faults.  An operator
 * event is a burst of admin_burst_min..max commands, each 1ms..10ms after
 * the one before (a script that adds two servers, or replaces one). */
static void
faults_append_drawn (const FuzzBase *b, Pcg32 *rng, FuzzInput *out, SimFuzzKind k, int64_t at_us)
{
  FuzzFault f;
  fault_draw (b, rng, out, k, at_us, &f);
  g_array_append_val (out->faults, f);
  if (k != SIM_FUZZ_ADMIN || b->admin_burst_max <= 1)
    return;
  int more = (int) range_i64 (rng, b->admin_burst_min, b->admin_burst_max) - 1;
  for (int i = 0; i < more && out->faults->len < FUZZ_MAX_FAULTS; i++) {
    at_us += log_uniform (rng, 1000, 10000);
    if (at_us >= out->duration_us)
      break;
    fault_draw (b, rng, out, k, at_us, &f);
    g_array_append_val (out->faults, f);
  }
}

static void
knob_draw (const FuzzBase *b, Pcg32 *rng, int i, FuzzInput *out)
{
  if (b->knob_values[i] != NULL) {
    out->knob[i] = pcg32_below (rng, g_strv_length (b->knob_values[i]));
    return;
  }
  int64_t lo = b->knob_lo[i], hi = b->knob_hi[i];
  if (b->knob[i]->type == PROTO_KNOB_DURATION && lo % 1000 == 0 && hi % 1000 == 0)
    out->knob[i] = range_i64 (rng, lo / 1000, hi / 1000) * 1000; /* whole milliseconds */
  else
    out->knob[i] = range_i64 (rng, lo, hi);
}

void
fuzz_input_swarm (const FuzzBase *b, Pcg32 *rng, FuzzInput *out)
{
  g_array_set_size (out->faults, 0);
  out->parent = -1;
  out->origin = FUZZ_ORIGIN_SWARM;
  out->seed = (uint64_t) pcg32_next (rng) << 32 | pcg32_next (rng);
  out->n_nodes = (int) range_i64 (rng, b->nodes_min, b->nodes_max);
  out->n_clients = (int) range_i64 (rng, b->clients_min, b->clients_max);
  out->duration_us = range_i64 (rng, b->duration_min_us / 1000, b->duration_max_us / 1000) * 1000;
  out->duration_us = CLAMP (out->duration_us, b->duration_min_us, b->duration_max_us);
  /* Each knob is switched off in some runs (swarm testing): a bug that
   * message loss hides shows in the runs without it. */
  out->drop = uniform (rng, b->drop_min, b->drop_max);
  if (b->drop_min == 0 && pcg32_below (rng, 2) == 0)
    out->drop = 0;
  out->duplicate = uniform (rng, b->duplicate_min, b->duplicate_max);
  if (b->duplicate_min == 0 && pcg32_below (rng, 2) == 0)
    out->duplicate = 0;
  out->think_us = b->think_min_us > 0 ? log_uniform (rng, b->think_min_us, b->think_max_us)
                                      : range_i64 (rng, b->think_min_us, b->think_max_us);
  /* Role-aware faults and slow disks: off in half the runs when the range
   * starts at zero, as message loss is. */
  out->leader_p = uniform (rng, b->leader_min, b->leader_max);
  if (b->leader_min == 0 && pcg32_below (rng, 2) == 0)
    out->leader_p = 0;
  /* Log-uniform over two decades below the longest: 30us..3ms. */
  int64_t disk_lo = MAX (b->disk_latency_min_us, MAX (b->disk_latency_max_us / 100, 1));
  out->disk_latency_us = b->disk_latency_max_us > 0
                           ? log_uniform (rng, MIN (disk_lo, b->disk_latency_max_us),
                                          b->disk_latency_max_us)
                           : 0;
  if (b->disk_latency_min_us == 0 && pcg32_below (rng, 2) == 0)
    out->disk_latency_us = 0;
  const double *mix = b->cfg->workload.mix;
  gboolean any = FALSE;
  for (int op = 0; op < PROTO_OP__COUNT; op++) {
    out->mix[op] = mix[op] > 0 && pcg32_below (rng, 4) != 0 ? mix[op] : 0;
    any |= out->mix[op] > 0;
  }
  for (int op = 0; !any && op < PROTO_OP__COUNT; op++)
    if (mix[op] > 0) {
      out->mix[op] = mix[op];
      any = TRUE;
    }
  for (int i = 0; i < b->n_knobs; i++)
    knob_draw (b, rng, i, out);
  for (int i = 0; i < b->n_byzantine; i++)
    out->byzantine[i] = (uint8_t) pcg32_below (rng, g_strv_length (b->byzantine));
  out->kinds = 0;
  memset (out->for_us, 0, sizeof out->for_us);
  for (int k = 0; k < SIM_FUZZ__KINDS; k++) {
    if (!(b->kinds & (1u << k)) || pcg32_below (rng, 2) == 0)
      continue;
    out->kinds |= 1u << k;
    /* Swarm: the run's own scale of durations (a storm of 2ms crashes and
     * a few long ones are different runs). */
    out->for_us[k] = log_uniform (rng, b->for_min_us[k], b->for_max_us[k]);
    double rate = b->rate_min[k] > 0 ? exp (uniform (rng, log (b->rate_min[k]), log (b->rate_max[k])))
                                     : uniform (rng, b->rate_min[k], b->rate_max[k]);
    if (rate <= 0)
      continue;
    int64_t t = 0;
    for (;;) {
      double u = 1.0 - pcg32_double (rng);
      t += MAX ((int64_t) (-log (u) / rate * 1e6), 1);
      if (t >= out->duration_us || out->faults->len >= FUZZ_MAX_FAULTS)
        break;
      faults_append_drawn (b, rng, out, (SimFuzzKind) k, t);
    }
  }
  sort_faults (out->faults);
}

/* A random fault at or after from_us; -1 if there is none. */
static int
pick_fault (Pcg32 *rng, GArray *fs, int64_t from_us)
{
  guint n = 0;
  for (guint i = 0; i < fs->len; i++)
    n += g_array_index (fs, FuzzFault, i).at_us >= from_us;
  if (n == 0)
    return -1;
  guint k = pcg32_below (rng, n);
  for (guint i = 0; i < fs->len; i++)
    if (g_array_index (fs, FuzzFault, i).at_us >= from_us && k-- == 0)
      return (int) i;
  return -1;
}

/* Faults of kind k from from_us to the end of the run, at a rate drawn
 * from the campaign's bounds (the kind switched on, as a swarm run would). */
static void
faults_add_kind (const FuzzBase *b, Pcg32 *rng, FuzzInput *out, SimFuzzKind k, int64_t from_us)
{
  out->kinds |= 1u << k;
  if (out->for_us[k] == 0)
    out->for_us[k] = log_uniform (rng, b->for_min_us[k], b->for_max_us[k]);
  double rate = b->rate_min[k] > 0 ? exp (uniform (rng, log (b->rate_min[k]), log (b->rate_max[k])))
                                   : uniform (rng, b->rate_min[k], b->rate_max[k]);
  if (rate <= 0)
    return;
  int64_t t = from_us;
  for (;;) {
    double u = 1.0 - pcg32_double (rng);
    t += MAX ((int64_t) (-log (u) / rate * 1e6), 1);
    if (t >= out->duration_us || out->faults->len >= FUZZ_MAX_FAULTS)
      break;
    faults_append_drawn (b, rng, out, k, t);
  }
}

/* Removes the faults at or after from_us that are of kind `kind` (-1:
 * none) or at or after end_us. */
static void
faults_filter (FuzzInput *out, int64_t from_us, int kind, int64_t end_us)
{
  guint keep = 0;
  for (guint i = 0; i < out->faults->len; i++) {
    FuzzFault f = g_array_index (out->faults, FuzzFault, i);
    gboolean gone = f.at_us >= from_us && ((int) f.kind == kind || f.at_us >= end_us);
    if (!gone)
      g_array_index (out->faults, FuzzFault, keep++) = f;
  }
  g_array_set_size (out->faults, keep);
}

/* Renumbers the faults for a cluster of n nodes: a fault on a node that is
 * gone moves to another; a partition keeps its sides among the nodes left
 * and is redrawn if it no longer splits them. */
static void
faults_resize (Pcg32 *rng, FuzzInput *out, int n)
{
  uint32_t full = n >= 32 ? UINT32_MAX : (1u << n) - 1;
  for (guint i = 0; i < out->faults->len; i++) {
    FuzzFault *f = &g_array_index (out->faults, FuzzFault, i);
    if (f->node >= n)
      f->node = (int) pcg32_below (rng, (uint32_t) n);
    if (f->kind == SIM_FUZZ_PARTITION) {
      f->mask &= full;
      if (f->mask == 0 || f->mask == full)
        f->mask = random_mask (rng, n);
    }
  }
}

/* Mutates the swarm configuration itself rather than the schedule: a
 * fault kind switched on or off, the cluster size, the duration, message
 * loss and duplication, the clients, think time and operation mix, or a
 * protocol knob.  A corpus entry is then the start of a neighbourhood of
 * configurations, not a fixed one, so the corpus does not narrow the
 * swarm to the configurations of its first entries. */
static void
mutate_swarm (const FuzzBase *b, Pcg32 *rng, FuzzInput *out)
{
  switch (pcg32_below (rng, 8)) {
  case 6:
  case 7: { /* more faults of a kind the run has: a second stream of them
             * over the whole run, so a corpus entry's neighbourhood reaches
             * the storms of crashes or partitions its swarm drew rarely */
    int kinds[SIM_FUZZ__KINDS], nk = 0;
    for (int k = 0; k < SIM_FUZZ__KINDS; k++)
      if (b->kinds & (1u << k) & (out->kinds != 0 ? out->kinds : b->kinds))
        kinds[nk++] = k;
    if (nk > 0)
      faults_add_kind (b, rng, out, (SimFuzzKind) kinds[pcg32_below (rng, (uint32_t) nk)], 0);
    break;
  }
  case 0: { /* a fault kind on or off */
    int kinds[SIM_FUZZ__KINDS], nk = 0;
    for (int k = 0; k < SIM_FUZZ__KINDS; k++)
      if (b->kinds & (1u << k))
        kinds[nk++] = k;
    if (nk == 0)
      break;
    SimFuzzKind k = (SimFuzzKind) kinds[pcg32_below (rng, (uint32_t) nk)];
    if (out->kinds & (1u << k)) {
      faults_filter (out, 0, (int) k, G_MAXINT64);
      out->kinds &= ~(1u << k);
    } else {
      out->for_us[k] = 0;
      faults_add_kind (b, rng, out, k, 0);
    }
    break;
  }
  case 1: { /* cluster size: smaller two times in three, as AFL trims its
             * inputs (in a smaller cluster each fault weighs more) */
    int n = out->n_nodes > b->nodes_min && pcg32_below (rng, 3) != 0
              ? (int) range_i64 (rng, b->nodes_min, out->n_nodes - 1)
              : (int) range_i64 (rng, b->nodes_min, b->nodes_max);
    faults_resize (rng, out, n);
    out->n_nodes = n;
    break;
  }
  case 2: { /* duration: a shorter run loses its late faults, a longer one
             * gets faults of its kinds in the time added */
    int64_t d = range_i64 (rng, b->duration_min_us / 1000, b->duration_max_us / 1000) * 1000;
    d = CLAMP (d, b->duration_min_us, b->duration_max_us);
    int64_t old = out->duration_us;
    out->duration_us = d;
    faults_filter (out, 0, -1, d);
    for (int k = 0; d > old && k < SIM_FUZZ__KINDS; k++)
      if (out->kinds & (1u << k))
        faults_add_kind (b, rng, out, (SimFuzzKind) k, old);
    break;
  }
  case 3: /* message loss or duplication, on, off or another rate */
    if (pcg32_below (rng, 2) == 0)
      out->drop = pcg32_below (rng, 2) == 0 && b->drop_min == 0
                      ? 0 : uniform (rng, b->drop_min, b->drop_max);
    else
      out->duplicate = pcg32_below (rng, 2) == 0 && b->duplicate_min == 0
                           ? 0 : uniform (rng, b->duplicate_min, b->duplicate_max);
    break;
  case 4: { /* the workload: clients, think time or one operation on or off */
    uint32_t what = pcg32_below (rng, 3);
    if (what == 0) {
      out->n_clients = (int) range_i64 (rng, b->clients_min, b->clients_max);
    } else if (what == 1) {
      out->think_us = b->think_min_us > 0 ? log_uniform (rng, b->think_min_us, b->think_max_us)
                                          : range_i64 (rng, b->think_min_us, b->think_max_us);
    } else {
      const double *mix = b->cfg->workload.mix;
      int op = (int) pcg32_below (rng, PROTO_OP__COUNT);
      if (mix[op] > 0) {
        double old = out->mix[op];
        out->mix[op] = out->mix[op] > 0 ? 0 : mix[op];
        gboolean any = FALSE;
        for (int o = 0; o < PROTO_OP__COUNT; o++)
          any |= out->mix[o] > 0;
        if (!any)
          out->mix[op] = old;
      }
    }
    break;
  }
  default: /* a protocol knob, or a Byzantine node's behaviour */
    if (b->n_knobs + b->n_byzantine > 0) {
      int i = (int) pcg32_below (rng, (uint32_t) (b->n_knobs + b->n_byzantine));
      if (i < b->n_knobs)
        knob_draw (b, rng, i, out);
      else
        out->byzantine[i - b->n_knobs] = (uint8_t) pcg32_below (rng, g_strv_length (b->byzantine));
    }
    break;
  }
}

/* Two to four short faults within 100ms of at_us (and not before
 * from_us): crashes that restart in the middle of an election, a node
 * isolated for a few round trips, the leader paused while it replicates.
 * Bugs of consensus protocols lie in such clusters of faults, which a
 * Poisson schedule at any rate seldom draws. */
static void
fault_burst (const FuzzBase *b, Pcg32 *rng, FuzzInput *out, int64_t at_us, int64_t from_us)
{
  int kinds[SIM_FUZZ__KINDS * 2], nk = 0;
  for (int k = 0; k <= SIM_FUZZ_PAUSE; k++)
    if (b->kinds & (1u << k)) {
      kinds[nk++] = k;
      if (k == SIM_FUZZ_CRASH)
        kinds[nk++] = k; /* crashes twice as often */
    }
  if (nk == 0)
    return;
  int n = 2 + (int) pcg32_below (rng, 3);
  for (int i = 0; i < n && out->faults->len < FUZZ_MAX_FAULTS; i++) {
    SimFuzzKind k = (SimFuzzKind) kinds[pcg32_below (rng, (uint32_t) nk)];
    int64_t t = at_us + pcg32_range (rng, -20000, 100000); /* CLAMP evaluates it thrice */
    t = CLAMP (t, from_us, out->duration_us - 1);
    if (out->for_us[k] == 0)
      out->for_us[k] = log_uniform (rng, b->for_min_us[k], b->for_max_us[k]);
    FuzzFault f;
    fault_draw (b, rng, out, k, t, &f);
    /* Short: from the campaign's shortest to a few election rounds. */
    int64_t hi = MIN (b->for_max_us[k], MAX (b->for_min_us[k] * 4, 60000));
    f.for_us = log_uniform (rng, b->for_min_us[k], MAX (hi, b->for_min_us[k]));
    if (b->leader_max > 0)
      f.is_leader = pcg32_below (rng, 2) == 0;
    g_array_append_val (out->faults, f);
    out->kinds |= 1u << k;
  }
}

void
fuzz_input_mutate (const FuzzBase *b, Pcg32 *rng, const FuzzInput *parent, FuzzInput *out)
{
  fuzz_input_copy (out, parent);
  out->new_at_us = 0;
  /* A quarter of the mutants keep the same seed and the same faults up to
   * where the parent found new coverage, so the run goes there again and
   * explores beyond.  An eighth change the schedule anywhere.  The rest
   * change the swarm configuration (and the seed, half the time): measured
   * on seeded bugs, these fail three to five times as often as fresh swarm
   * runs, the schedule mutants about twice as often. */
  uint32_t style = b->kinds != 0 ? pcg32_below (rng, 8) : 2 + pcg32_below (rng, 6);
  gboolean keep_prefix = style < 2;
  int64_t from = keep_prefix ? CLAMP (parent->new_at_us, 0, out->duration_us - 1) : 0;
  out->origin = keep_prefix ? FUZZ_ORIGIN_PREFIX : style >= 3 ? FUZZ_ORIGIN_CONFIG
                                                                : FUZZ_ORIGIN_SCHEDULE;
  if (style >= 3) {
    int m = 1 + (int) pcg32_below (rng, 2);
    for (int i = 0; i < m; i++)
      mutate_swarm (b, rng, out);
    if (pcg32_below (rng, 2) == 0)
      out->seed = (uint64_t) pcg32_next (rng) << 32 | pcg32_next (rng);
    sort_faults (out->faults);
    return;
  }
  if (!keep_prefix && pcg32_below (rng, 2) == 0)
    out->seed = (uint64_t) pcg32_next (rng) << 32 | pcg32_next (rng);
  int n = 1 + (int) pcg32_below (rng, 3);
  for (int i = 0; i < n; i++) {
    GArray *fs = out->faults;
    int which = pick_fault (rng, fs, from);
    uint32_t op = which < 0 ? (pcg32_below (rng, 2) ? 1 : 6) : pcg32_below (rng, 7);
    if (b->kinds == 0)
      op = 7; /* no faults to play with: change the seed */
    FuzzFault *f = which >= 0 ? &g_array_index (fs, FuzzFault, which) : NULL;
    switch (op) {
    case 0: { /* move a fault */
      int64_t moved = f->at_us + pcg32_range (rng, -300000, 300000);
      f->at_us = CLAMP (moved, from, out->duration_us - 1);
      break;
    }
    case 1: { /* add a fault of a kind the scenario allows */
      if (fs->len >= FUZZ_MAX_FAULTS)
        break;
      int kinds[SIM_FUZZ__KINDS], nk = 0;
      for (int k = 0; k < SIM_FUZZ__KINDS; k++)
        if (b->kinds & (1u << k))
          kinds[nk++] = k;
      SimFuzzKind k = (SimFuzzKind) kinds[pcg32_below (rng, (uint32_t) nk)];
      FuzzFault added;
      if (out->for_us[k] == 0)
        out->for_us[k] = log_uniform (rng, b->for_min_us[k], b->for_max_us[k]);
      fault_draw (b, rng, out, k, range_i64 (rng, from, out->duration_us - 1), &added);
      g_array_append_val (fs, added);
      out->kinds |= 1u << k;
      break;
    }
    case 2: /* drop a fault */
      g_array_remove_index (fs, (guint) which);
      break;
    case 3: /* re-target a fault */
      f->node = (int) pcg32_below (rng, (uint32_t) out->n_nodes);
      if (f->kind == SIM_FUZZ_PARTITION)
        f->mask = random_mask (rng, out->n_nodes);
      break;
    case 4: /* stretch or shorten a fault */
      if (f->kind == SIM_FUZZ_SKEW)
        f->skew_us = -f->skew_us;
      else
        f->for_us = fault_length (b, rng, out, f->kind);
      break;
    case 5:
    case 6: /* a burst of short faults around one of the parent's or after its new coverage */
      fault_burst (b, rng, out, f != NULL ? f->at_us : from, from);
      break;
    default:
      out->seed = (uint64_t) pcg32_next (rng) << 32 | pcg32_next (rng);
      break;
    }
  }
  sort_faults (out->faults);
}

void
fuzz_input_splice (const FuzzBase *b, Pcg32 *rng, const FuzzInput *first, const FuzzInput *second,
                   FuzzInput *out)
{
  (void) b;
  fuzz_input_copy (out, first);
  out->new_at_us = 0;
  out->origin = FUZZ_ORIGIN_SPLICE;
  int64_t cut = range_i64 (rng, 0, MAX (out->duration_us - 1, 0));
  faults_filter (out, cut, -1, cut);
  for (guint i = 0; i < second->faults->len && out->faults->len < FUZZ_MAX_FAULTS; i++) {
    FuzzFault f = g_array_index (second->faults, FuzzFault, i);
    if (f.at_us < cut || f.at_us >= out->duration_us)
      continue;
    g_array_append_val (out->faults, f);
    if (!(out->kinds & (1u << f.kind))) {
      out->kinds |= 1u << f.kind;
      out->for_us[f.kind] = second->for_us[f.kind];
    }
  }
  faults_resize (rng, out, out->n_nodes);
  sort_faults (out->faults);
}

/* ---- Plans ----------------------------------------------------------------------*/

void
fuzz_plan_init (FuzzPlan *p)
{
  memset (p, 0, sizeof *p);
  p->faults = g_array_new (FALSE, TRUE, sizeof (SimFault));
  p->deliveries = g_array_new (FALSE, TRUE, sizeof (SimDeliveryPin));
  p->heal_at_us = -1;
  p->think_us = -1;
}

void
fuzz_plan_clear (FuzzPlan *p)
{
  if (p->faults != NULL)
    g_array_unref (p->faults);
  p->faults = NULL;
  if (p->deliveries != NULL)
    g_array_unref (p->deliveries);
  p->deliveries = NULL;
}

void
fuzz_plan_copy (FuzzPlan *dst, const FuzzPlan *src)
{
  GArray *faults = dst->faults, *deliveries = dst->deliveries;
  *dst = *src;
  dst->faults = faults != NULL ? faults : g_array_new (FALSE, TRUE, sizeof (SimFault));
  g_array_set_size (dst->faults, 0);
  g_array_append_vals (dst->faults, src->faults->data, src->faults->len);
  dst->deliveries = deliveries != NULL ? deliveries
                                       : g_array_new (FALSE, TRUE, sizeof (SimDeliveryPin));
  g_array_set_size (dst->deliveries, 0);
  if (src->deliveries != NULL)
    g_array_append_vals (dst->deliveries, src->deliveries->data, src->deliveries->len);
}

/* Renumbers a fault from a cluster of old_n nodes to one of new_n nodes and
 * new_clients clients (clients follow the nodes).  FALSE if it names an
 * endpoint that no longer exists, or a partition no longer splits anything. */
gboolean
fuzz_fault_remap (const SimFault *f, int old_n, int new_n, int new_clients, SimFault *out)
{
  *out = *f;
  int old_total = PROTO_MAX_ENDPOINTS;
  if (f->node == SIM_NODE_LEADER)
    return TRUE; /* whichever node leads: there is always one to name */
  switch (f->kind) {
  case SIM_FAULT_PARTITION: {
    memset (out->group, -1, sizeof out->group);
    int8_t first = -1;
    gboolean split = FALSE;
    for (int e = 0; e < old_total; e++) {
      if (f->group[e] < 0)
        continue;
      int ne = e < old_n ? (e < new_n ? e : -1) : (e - old_n < new_clients ? new_n + e - old_n : -1);
      if (ne < 0 || ne >= PROTO_MAX_ENDPOINTS)
        continue;
      out->group[ne] = f->group[e];
      if (first < 0)
        first = f->group[e];
      else if (f->group[e] != first)
        split = TRUE;
    }
    return split;
  }
  case SIM_FAULT_ONEWAY: {
    int ends[2] = { f->from, f->to };
    for (int i = 0; i < 2; i++) {
      int e = ends[i];
      ends[i] = e < old_n ? (e < new_n ? e : -1) : (e - old_n < new_clients ? new_n + e - old_n : -1);
      if (ends[i] < 0)
        return FALSE;
    }
    out->from = ends[0];
    out->to = ends[1];
    return TRUE;
  }
  case SIM_FAULT_HEAL:
    return TRUE;
  default:
    return f->node >= 0 && f->node < new_n;
  }
}

static void
plan_add (GArray *faults, const SimFault *f)
{
  guint at = faults->len;
  while (at > 0 && g_array_index (faults, SimFault, at - 1).at_us > f->at_us)
    at--;
  g_array_insert_val (faults, at, *f);
}

void
fuzz_plan_from_input (const FuzzBase *b, const FuzzInput *in, FuzzPlan *out)
{
  const SimConfig *cfg = b->cfg;
  g_array_set_size (out->faults, 0);
  out->seed = in->seed;
  out->n_nodes = in->n_nodes;
  out->n_clients = in->n_clients;
  out->ops = cfg->workload.ops;
  out->heal_at_us = in->duration_us;
  out->duration_us = in->duration_us + b->liveness_us;
  out->drop = in->drop;
  out->duplicate = in->duplicate;
  memcpy (out->mix, in->mix, sizeof out->mix);
  out->think_us = b->think_max_us != b->think_min_us ? in->think_us : -1;
  out->reset_skew = (in->kinds & (1u << SIM_FUZZ_SKEW)) != 0;
  out->disk_latency_max_us = in->disk_latency_us;
  out->disk_latency_min_us = in->disk_latency_us / 4;
  memset (out->knob_text, 0, sizeof out->knob_text);
  for (int i = 0; i < b->n_knobs; i++) {
    if (b->knob_values[i] != NULL)
      g_strlcpy (out->knob_text[i], b->knob_values[i][in->knob[i]], sizeof out->knob_text[i]);
    else if (b->knob[i]->type == PROTO_KNOB_DURATION)
      g_snprintf (out->knob_text[i], sizeof out->knob_text[i], "%" G_GINT64_FORMAT "us",
                  in->knob[i]);
    else
      g_snprintf (out->knob_text[i], sizeof out->knob_text[i], "%" G_GINT64_FORMAT, in->knob[i]);
  }
  int byzantine = 0;
  for (guint i = 0; i < cfg->faults->len; i++) {
    SimFault h = g_array_index (cfg->faults, SimFault, i), g;
    const SimFault *f = &h;
    /* [fuzz] byzantine: the run's behaviour for this Byzantine node. */
    if (h.kind == SIM_FAULT_BYZANTINE && byzantine < b->n_byzantine)
      g_strlcpy (h.behaviour, b->byzantine[in->byzantine[byzantine++]], sizeof h.behaviour);
    if (f->at_us <= in->duration_us
        && fuzz_fault_remap (f, cfg->n_nodes, in->n_nodes, in->n_clients, &g)) {
      plan_add (out->faults, &g);
      out->reset_skew |= f->kind == SIM_FAULT_SKEW;
    }
  }
  for (guint i = 0; i < in->faults->len; i++) {
    const FuzzFault *ff = &g_array_index (in->faults, FuzzFault, i);
    if (ff->at_us >= in->duration_us || ff->node >= in->n_nodes)
      continue;
    SimFault f = { .at_us = ff->at_us, .node = ff->node, .from = -1, .to = -1 };
    SimFault end = f;
    end.at_us = ff->at_us + ff->for_us;
    gboolean has_end = TRUE;
    if (ff->is_leader && ff->kind <= SIM_FUZZ_PAUSE) {
      /* The fault's end goes with it: the leader is known only when it fires. */
      f.node = SIM_NODE_LEADER;
      f.kind = ff->kind == SIM_FUZZ_CRASH ? SIM_FAULT_CRASH
               : ff->kind == SIM_FUZZ_PAUSE ? SIM_FAULT_PAUSE : SIM_FAULT_PARTITION;
      if (ff->kind == SIM_FUZZ_PARTITION) {
        f.is_isolate_leader = TRUE;
        memset (f.group, -1, sizeof f.group);
        end.kind = SIM_FAULT_HEAL;
        end.node = -1;
      } else {
        f.for_us = ff->for_us;
        has_end = FALSE;
      }
      plan_add (out->faults, &f);
      if (has_end && end.at_us < in->duration_us)
        plan_add (out->faults, &end);
      continue;
    }
    switch (ff->kind) {
    case SIM_FUZZ_CRASH:
      f.kind = SIM_FAULT_CRASH;
      end.kind = SIM_FAULT_RESTART;
      break;
    case SIM_FUZZ_PARTITION:
      f.kind = SIM_FAULT_PARTITION;
      f.node = -1;
      memset (f.group, -1, sizeof f.group);
      for (int n = 0; n < in->n_nodes; n++)
        f.group[n] = (int8_t) ((ff->mask >> n) & 1u);
      end = f;
      end.kind = SIM_FAULT_HEAL;
      end.at_us = ff->at_us + ff->for_us;
      break;
    case SIM_FUZZ_PAUSE:
      f.kind = SIM_FAULT_PAUSE;
      end.kind = SIM_FAULT_RESUME;
      break;
    case SIM_FUZZ_ADMIN:
      f.kind = SIM_FAULT_ADMIN;
      f.node = -1;
      g_snprintf (f.behaviour, sizeof f.behaviour, "%s n%d", b->admin_commands[ff->command],
                  ff->node + 1);
      has_end = FALSE;
      break;
    default:
      f.kind = SIM_FAULT_SKEW;
      f.skew_us = ff->skew_us;
      has_end = FALSE;
      break;
    }
    if (f.kind == SIM_FAULT_PARTITION) {
      SimFault check;
      if (!fuzz_fault_remap (&f, in->n_nodes, in->n_nodes, in->n_clients, &check))
        continue;
    }
    plan_add (out->faults, &f);
    if (has_end && end.at_us < in->duration_us)
      plan_add (out->faults, &end);
  }
}

/* ---- Scenario text ----------------------------------------------------------------*/

typedef struct {
  const char *section;
  const char *key;   /* NULL: the whole section is replaced by value */
  char *value;       /* NULL: the key is removed */
} TextEdit;

static gboolean
edit_matches (const TextEdit *e, const char *section, const char *key)
{
  return strcmp (e->section, section) == 0 && (e->key == NULL || strcmp (e->key, key) == 0);
}

static void
emit_section_edits (GString *out, GArray *edits, const char *section, gboolean *done)
{
  for (guint i = 0; i < edits->len; i++) {
    const TextEdit *e = &g_array_index (edits, TextEdit, i);
    if (done[i] || strcmp (e->section, section) != 0)
      continue;
    done[i] = TRUE;
    if (e->value == NULL)
      continue;
    if (e->key == NULL)
      g_string_append (out, e->value);
    else
      g_string_append_printf (out, "%s = %s\n", e->key, e->value);
  }
}

/* Rewrites key files line by line: edited keys are dropped where they are
 * and written at the end of their section (a section the text lacks is
 * added at the end). */
static char *
text_rewrite (const char *text, GArray *edits, const char *header)
{
  g_autoptr (GString) out = g_string_new (header);
  g_autofree gboolean *done = g_new0 (gboolean, edits->len + 1);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *section = NULL;
  guint n_lines = g_strv_length (lines);
  if (n_lines > 0 && lines[n_lines - 1][0] == '\0')
    n_lines--; /* the text's final newline */
  guint blanks = 0; /* blank lines held back: a section's edits go before them */
  for (guint i = 0; i < n_lines; i++) {
    const char *raw = lines[i];
    g_autofree char *line = g_strstrip (g_strdup (raw));
    if (line[0] == '\0') {
      blanks++;
      continue;
    }
    if (line[0] == '[') {
      if (section != NULL)
        emit_section_edits (out, edits, section, done);
      for (; blanks > 0; blanks--)
        g_string_append_c (out, '\n');
      char *close = strchr (line, ']');
      g_free (section);
      section = g_strstrip (g_strndup (line + 1, close != NULL ? (gsize) (close - line - 1) : 0));
      g_string_append_printf (out, "%s\n", raw);
      continue;
    }
    char *eq = strchr (line, '=');
    if (section != NULL && eq != NULL && line[0] != '#') {
      g_autofree char *key = g_strstrip (g_strndup (line, (gsize) (eq - line)));
      gboolean edited = FALSE;
      for (guint k = 0; k < edits->len && !edited; k++)
        edited = edit_matches (&g_array_index (edits, TextEdit, k), section, key);
      if (edited)
        continue;
    }
    /* Comments inside a replaced section go with it. */
    gboolean replaced = FALSE;
    for (guint k = 0; section != NULL && k < edits->len && !replaced; k++) {
      const TextEdit *e = &g_array_index (edits, TextEdit, k);
      replaced = e->key == NULL && strcmp (e->section, section) == 0 && line[0] == '#';
    }
    if (replaced)
      continue;
    for (; blanks > 0; blanks--)
      g_string_append_c (out, '\n');
    g_string_append_printf (out, "%s\n", raw);
  }
  if (section != NULL)
    emit_section_edits (out, edits, section, done);
  for (guint i = 0; i < edits->len; i++) {
    const TextEdit *e = &g_array_index (edits, TextEdit, i);
    if (done[i] || e->value == NULL)
      continue;
    g_string_append_printf (out, "\n[%s]\n", e->section);
    emit_section_edits (out, edits, e->section, done);
  }
  return g_strdup (out->str);
}

static void
edit_add (GArray *edits, const char *section, const char *key, char *value)
{
  TextEdit e = { section, key, value };
  g_array_append_val (edits, e);
}

static void
endpoint_name (int e, int n_nodes, GString *out)
{
  if (e < n_nodes)
    g_string_append_printf (out, "n%d", e + 1);
  else
    g_string_append_printf (out, "c%d", e - n_nodes + 1);
}

/* One action as a [faults] value spells it; FALSE if it cannot be said. */
static gboolean
fault_action (const SimFault *f, int n_nodes, GString *out)
{
  switch (f->kind) {
  case SIM_FAULT_PARTITION: {
    if (f->is_isolate_leader) {
      g_string_append (out, "isolate leader");
      return TRUE;
    }
    int max_group = -1;
    for (int e = 0; e < PROTO_MAX_ENDPOINTS; e++)
      max_group = MAX (max_group, f->group[e]);
    int n_groups = 0;
    for (int g = 0; g <= max_group; g++) {
      gboolean any = FALSE;
      for (int e = 0; e < PROTO_MAX_ENDPOINTS; e++)
        if (f->group[e] == g) {
          g_string_append (out, !any ? (n_groups > 0 ? " | " : "partition ") : " ");
          endpoint_name (e, n_nodes, out);
          any = TRUE;
        }
      n_groups += any;
    }
    return n_groups >= 2;
  }
  case SIM_FAULT_ONEWAY:
    g_string_append (out, "cut ");
    endpoint_name (f->from, n_nodes, out);
    g_string_append (out, " -> ");
    endpoint_name (f->to, n_nodes, out);
    return TRUE;
  case SIM_FAULT_HEAL:
    g_string_append (out, f->is_heal_loss ? "heal loss" : "heal");
    return TRUE;
  case SIM_FAULT_CRASH:
  case SIM_FAULT_PAUSE:
    if (f->node == SIM_NODE_LEADER) {
      g_string_append_printf (out, "%s leader", f->kind == SIM_FAULT_CRASH ? "crash" : "pause");
      if (f->for_us > 0)
        g_string_append_printf (out, " for %" G_GINT64_FORMAT "us", f->for_us);
      return TRUE;
    }
    g_string_append_printf (out, "%s n%d", f->kind == SIM_FAULT_CRASH ? "crash" : "pause",
                            f->node + 1);
    return TRUE;
  case SIM_FAULT_RESTART:
    g_string_append_printf (out, "restart n%d", f->node + 1);
    return TRUE;
  case SIM_FAULT_RESUME:
    g_string_append_printf (out, "resume n%d", f->node + 1);
    return TRUE;
  case SIM_FAULT_SKEW:
    g_string_append (out, "skew ");
    endpoint_name (f->node, n_nodes, out);
    g_string_append_printf (out, " %c%" G_GINT64_FORMAT "us",
                            f->skew_us < 0 ? '-' : '+', f->skew_us < 0 ? -f->skew_us : f->skew_us);
    if (f->drift_ppm != 0)
      g_string_append_printf (out, " drift %" G_GINT64_FORMAT "ppm", f->drift_ppm);
    return TRUE;
  case SIM_FAULT_BYZANTINE:
    g_string_append_printf (out, "byzantine n%d %s", f->node + 1, f->behaviour);
    return TRUE;
  case SIM_FAULT_CORRUPT:
    g_string_append_printf (out, "corrupt n%d %d bits", f->node + 1, f->bits);
    return TRUE;
  case SIM_FAULT_ADMIN:
    g_string_append_printf (out, "admin %s", f->behaviour);
    return TRUE;
  }
  return FALSE;
}

/* The [faults] section of a plan: one "at TIME" key per instant. */
static char *
faults_text (const FuzzPlan *p)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) action = g_string_new (NULL);
  gboolean open = FALSE;
  int64_t open_at = -1;
  gboolean heal_done = p->heal_at_us < 0;
  for (guint i = 0; i <= p->faults->len; i++) {
    const SimFault *f = i < p->faults->len ? &g_array_index (p->faults, SimFault, i) : NULL;
    if (!heal_done && (f == NULL || f->at_us > p->heal_at_us)) {
      /* The liveness phase begins: every fault healed. */
      if (!open || open_at != p->heal_at_us) {
        g_string_append_printf (out, "%sat %" G_GINT64_FORMAT "us = ", open ? "\n" : "",
                                p->heal_at_us);
        open = TRUE;
        open_at = p->heal_at_us;
      } else {
        g_string_append (out, "; ");
      }
      /* Loss and duplication end too: with loss p, k attempts of an
       * operation all fail with probability at least p^k, so no finite
       * bound on its answer would be sound. */
      g_string_append (out, "heal; heal loss");
      for (int n = 0; n < p->n_nodes; n++)
        g_string_append_printf (out, "; resume n%d; restart n%d", n + 1, n + 1);
      for (int n = 0; p->reset_skew && n < p->n_nodes; n++)
        g_string_append_printf (out, "; skew n%d +0us", n + 1);
      heal_done = TRUE;
    }
    if (f == NULL)
      break;
    g_string_truncate (action, 0);
    if (!fault_action (f, p->n_nodes, action))
      continue;
    if (open && open_at == f->at_us) {
      g_string_append_printf (out, "; %s", action->str);
    } else {
      g_string_append_printf (out, "%sat %" G_GINT64_FORMAT "us = %s", open ? "\n" : "",
                              f->at_us, action->str);
      open = TRUE;
      open_at = f->at_us;
    }
  }
  if (open)
    g_string_append_c (out, '\n');
  return g_strdup (out->str);
}

/* The [deliveries] section of a plan: the rule and its pins. */
static char *
deliveries_text (const FuzzPlan *p)
{
  g_autoptr (GString) out = g_string_new ("rule = fixed\n");
  for (guint i = 0; i < p->deliveries->len; i++) {
    const SimDeliveryPin *d = &g_array_index (p->deliveries, SimDeliveryPin, i);
    g_string_append_printf (out, "send %" G_GUINT64_FORMAT " = ", d->send);
    if (d->is_lost)
      g_string_append (out, "lost");
    else
      g_string_append_printf (out, "after %" G_GINT64_FORMAT "us", d->after_us[0]);
    if (!d->is_lost && d->is_duplicated)
      g_string_append_printf (out, ", copy after %" G_GINT64_FORMAT "us", d->after_us[1]);
    g_string_append_c (out, '\n');
  }
  return g_strdup (out->str);
}

static const char *const op_words[PROTO_OP__COUNT] = { "read", "write", "cas", "append" };

char *
fuzz_plan_text (const FuzzBase *b, const FuzzPlan *p, const char *expect, const char *header)
{
  const SimConfig *cfg = b->cfg;
  g_autoptr (GArray) edits = g_array_new (FALSE, TRUE, sizeof (TextEdit));
  edit_add (edits, "scenario", "seed", g_strdup_printf ("%" G_GUINT64_FORMAT, p->seed));
  edit_add (edits, "scenario", "duration", g_strdup_printf ("%" G_GINT64_FORMAT "us",
                                                              p->duration_us));
  edit_add (edits, "scenario", "expect", g_strdup (expect));
  edit_add (edits, "cluster", "nodes", g_strdup_printf ("%d", p->n_nodes));
  edit_add (edits, "network", "drop", g_strdup_printf ("%.6f", p->drop));
  edit_add (edits, "network", "duplicate", g_strdup_printf ("%.6f", p->duplicate));
  if (cfg->workload.n_clients > 0) {
    edit_add (edits, "workload", "clients", g_strdup_printf ("%d", p->n_clients));
    g_autoptr (GString) mix = g_string_new (NULL);
    for (int op = 0; op < PROTO_OP__COUNT; op++)
      if (p->mix[op] > 0)
        g_string_append_printf (mix, "%s%s:%g", mix->len > 0 ? " " : "", op_words[op],
                                p->mix[op]);
    edit_add (edits, "workload", "mix", g_strdup (mix->str));
    edit_add (edits, "workload", "ops",
              p->ops > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, p->ops) : NULL);
    if (p->think_us >= 0)
      edit_add (edits, "workload", "think", g_strdup_printf ("%" G_GINT64_FORMAT "us", p->think_us));
    /* The last third of the liveness phase is quiet, so the replicas can
     * converge (checked at the end of the run). */
    int64_t stop = p->duration_us - (p->duration_us - p->heal_at_us) / 3;
    if (p->heal_at_us >= 0 && stop > MIN (cfg->workload.start_us, p->duration_us))
      edit_add (edits, "workload", "stop", g_strdup_printf ("%" G_GINT64_FORMAT "us", stop));
    /* A workload start after the run's end would not parse. */
    if (cfg->workload.start_us > p->duration_us)
      edit_add (edits, "workload", "start", g_strdup ("0s"));
  }
  for (int i = 0; i < b->n_knobs; i++)
    edit_add (edits, cfg->proto->name, b->cfg->fuzz.knobs[i].name, g_strdup (p->knob_text[i]));
  if (p->has_delivery_rule)
    edit_add (edits, "deliveries", NULL, deliveries_text (p));
  g_autofree char *schedule = faults_text (p);
  g_autoptr (GString) disks = g_string_new (NULL);
  if (p->disk_latency_max_us > 0)
    g_string_append_printf (disks, "disk_latency = %" G_GINT64_FORMAT "us..%" G_GINT64_FORMAT
                            "us\n", p->disk_latency_min_us, p->disk_latency_max_us);
  if (cfg->storage.torn_writes > 0)
    g_string_append_printf (disks, "torn_writes = %g\n", cfg->storage.torn_writes);
  char *faults = g_strconcat (disks->str, schedule, NULL);
  edit_add (edits, "faults", NULL, faults[0] != '\0' ? faults : NULL);
  if (faults[0] == '\0')
    g_free (faults);
  char *text = text_rewrite (b->text, edits, header);
  for (guint i = 0; i < edits->len; i++)
    g_free (g_array_index (edits, TextEdit, i).value);
  return text;
}

/* ---- Running a text with coverage -------------------------------------------------*/

/* A small set of 64-bit features (never 0), each with the virtual time it
 * was first reached: open addressing. */
typedef struct {
  uint64_t v;
  int64_t t;
} FeatSlot;

typedef struct {
  FeatSlot *slots;
  guint cap, len;
  int64_t now_us;   /* time stamped on features added now */
} FeatSet;

static void
feat_put (FeatSet *s, uint64_t v, int64_t t)
{
  if (v == 0)
    v = 1;
  if ((s->len + 1) * 2 > s->cap) {
    guint cap = MAX (s->cap * 2, 256);
    FeatSet bigger = { g_new0 (FeatSlot, cap), cap, 0, s->now_us };
    for (guint i = 0; i < s->cap; i++)
      if (s->slots[i].v != 0)
        feat_put (&bigger, s->slots[i].v, s->slots[i].t);
    g_free (s->slots);
    *s = bigger;
  }
  guint i = (guint) (v * 0x9e3779b97f4a7c15ULL >> 40) & (s->cap - 1);
  while (s->slots[i].v != 0) {
    if (s->slots[i].v == v)
      return;
    i = (i + 1) & (s->cap - 1);
  }
  s->slots[i].v = v;
  s->slots[i].t = t;
  s->len++;
}

static void
feat_add (FeatSet *s, uint64_t v)
{
  feat_put (s, v, s->now_us);
}

static uint64_t
hash_str (const char *s, gsize len)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (gsize i = 0; i < len; i++)
    h = (h ^ (uint8_t) s[i]) * 0x100000001b3ULL;
  return mix64 (h);
}

static inline uint64_t
feature (int family, uint64_t h)
{
  return (uint64_t) family << 56 | (h & 0x00ffffffffffffffULL);
}

#define COV_MAX_FIELDS 24

/* A node's state as format_state writes it, cut into its role (the first
 * word) and its numeric fields: "log=5/3" gives fields log#0 = 5 and
 * log#1 = 3.  Node names ("vote=n2") count as present, not as numbers. */
typedef struct {
  uint64_t role;          /* 0: down */
  guint n_fields;
  uint64_t key[COV_MAX_FIELDS];
  int64_t value[COV_MAX_FIELDS];
  uint64_t shape;         /* hash of the text with every number left out */
} CovNode;

/* Roles whose entries a run counts (hit counts, as AFL buckets them). */
#define COV_MAX_ROLES 16
#define COV_MAX_MARKS 64

typedef struct {
  FeatSet set;
  GString *scratch;
  CovNode *nodes;
  /* How often a node entered each role (a crash is an entry into "down",
   * an election an entry into "leader"), and how often each mark was
   * reached, each as the bucket reached so far: a run with a storm of
   * elections or of log repairs is new coverage though every role and
   * mark it reached is old. */
  uint64_t role_key[COV_MAX_ROLES];
  uint64_t role_entries[COV_MAX_ROLES];
  guint n_roles;
  int mark_bucket[COV_MAX_MARKS];
  uint64_t *last_kind;   /* kind of the last message each node received */
  uint64_t *standing;    /* each node's role and where its first field (the
                            term, the ballot) stands among the others' */
} Coverage;

/* Cuts a node's state as format_state writes it (text, len bytes) into
 * its role, its numeric fields and its shape (see CovNode). */
static void
cov_parse (const char *text, gsize len, CovNode *cn)
{
  const char *p = text;
  gsize role_len = strcspn (p, " ");
  /* The role is the first word with its numbers left out: a state that
   * begins with a value ("k0=5@n2") must not make every value a role. */
  uint64_t role = 0xcbf29ce484222325ULL;
  for (gsize i = 0; i < role_len; i++)
    if (!g_ascii_isdigit (p[i]))
      role = (role ^ (uint8_t) p[i]) * 0x100000001b3ULL;
  cn->role = mix64 (role) | 1;
  uint64_t shape = cn->role;
  const char *name = p;
  gsize name_len = strcspn (p, "= ");
  guint index = 0;
  uint64_t flags = 0;
  for (gsize i = 0; i < len;) {
    char ch = text[i];
    if (ch == ' ') {
      /* A number after a bare word belongs to it ("view 3", "h 4"); a bare
       * word not followed by a number is a flag of the role ("primary",
       * "(changing)"), as much a role as the first word. */
      const char *next = text + i + 1;
      gsize next_len = strcspn (next, " ");
      gboolean bare = strcspn (name, "=0123456789 ") == strcspn (name, " ");
      if (!(bare && g_ascii_isdigit (next[0]))) {
        const char *after = next + next_len;
        if (next_len > 0 && strcspn (next, "=0123456789 ") == next_len
            && !(*after == ' ' && g_ascii_isdigit (after[1])))
          flags = mix64 (flags ^ hash_str (next, next_len));
        name = next;
        name_len = strcspn (name, "= ");
        index = 0;
      }
      i++;
      continue;
    }
    if (!g_ascii_isdigit (ch)) {
      shape = mix64 (shape ^ (uint8_t) ch);
      i++;
      continue;
    }
    gsize start = i;
    int64_t v = 0;
    while (i < len && g_ascii_isdigit (text[i]) && v < INT64_MAX / 16)
      v = v * 10 + (text[i++] - '0');
    while (i < len && g_ascii_isdigit (text[i]))
      i++;
    gboolean is_node = start >= 2 && text[start - 1] == 'n' && text[start - 2] == '=';
    shape = mix64 (shape ^ '#');
    if (is_node || cn->n_fields >= COV_MAX_FIELDS)
      continue;
    cn->key[cn->n_fields] = mix64 (hash_str (name, name_len) + index++);
    cn->value[cn->n_fields] = v;
    cn->n_fields++;
  }
  if (flags != 0)
    cn->role = mix64 (cn->role ^ flags) | 1;
  cn->shape = shape;
}

guint
fuzz_state_fields (const char *state, uint64_t *role, uint64_t *keys, int64_t *values,
                   guint max)
{
  CovNode cn;
  memset (&cn, 0, sizeof cn);
  cov_parse (state, strlen (state), &cn);
  *role = cn.role;
  guint n = MIN (cn.n_fields, max);
  for (guint i = 0; i < n; i++) {
    keys[i] = cn.key[i];
    values[i] = cn.value[i];
  }
  return n;
}

static void
cov_node (Coverage *c, SimWorld *w, int n)
{
  CovNode *cn = &c->nodes[n];
  memset (cn, 0, sizeof *cn);
  if (!w->nodes[n].is_up)
    return;
  GString *s = c->scratch;
  g_string_truncate (s, 0);
  if (w->vt->format_state != NULL)
    w->vt->format_state (w->state_ptrs[n], &w->ctxs[n], s);
  cov_parse (s->str, s->len, cn);
}

static int
compare_u64 (gconstpointer a, gconstpointer b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return x < y ? -1 : x > y;
}

/* AFL's hit-count buckets: 1, 2, 3, 4..7, 8..15, 16..31, 32..127, 128+. */
static int
count_bucket (uint64_t n)
{
  if (n <= 3)
    return (int) n;
  if (n < 8)
    return 4;
  if (n < 16)
    return 5;
  if (n < 32)
    return 6;
  return n < 128 ? 7 : 8;
}

/* How far a value stands below the highest of the others: 1, 2, 3..4,
 * 5..8, then by powers of two.  A leader two terms behind a follower and
 * a follower one entry behind are different states from one far behind. */
static int
gap_bucket (int64_t gap)
{
  int b = 0;
  while (gap > 0 && b < 16) {
    gap = (gap - 1) / 2;
    b++;
  }
  return b;
}

/* A node entered a role: the count of entries into that role, bucketed. */
static void
cov_role_entry (Coverage *c, uint64_t role)
{
  guint i = 0;
  while (i < c->n_roles && c->role_key[i] != role)
    i++;
  if (i == c->n_roles) {
    if (c->n_roles == COV_MAX_ROLES)
      return;
    c->role_key[c->n_roles++] = role;
  }
  int before = count_bucket (c->role_entries[i]);
  int after = count_bucket (++c->role_entries[i]);
  if (after != before)
    feat_add (&c->set, feature (FUZZ_FEATURE_STATE, mix64 (role * 0x51 + (uint64_t) after + 0x636e74)));
}

/* The marks' counts so far, bucketed: a new bucket is a new feature. */
static void
cov_marks (Coverage *c, SimWorld *w)
{
  guint n = MIN (sim_world_n_marks (w), COV_MAX_MARKS);
  for (guint i = 0; i < n; i++) {
    uint64_t count = 0;
    const char *mark = sim_world_mark (w, i, &count);
    int b = count_bucket (count);
    if (b == c->mark_bucket[i])
      continue;
    c->mark_bucket[i] = b;
    feat_add (&c->set, feature (FUZZ_FEATURE_MARK, mix64 (hash_str (mark, strlen (mark)) + (uint64_t) b)));
  }
}

/* Abstract cluster states, coarse enough that a campaign can reach most of
 * them: the multiset of the nodes' roles (down counts as a role), and for
 * each node and numeric field, the node's role and where its value stands
 * among the other nodes' values of that field (equal to all, highest,
 * lowest, in between).  "A leader whose last log term is below another
 * node's" is such a state; the numbers themselves are left out. */
static void
cov_cluster (Coverage *c, SimWorld *w)
{
  uint64_t roles[PROTO_MAX_NODES];
  for (int n = 0; n < w->n_nodes; n++) {
    const CovNode *cn = &c->nodes[n];
    roles[n] = cn->role;
    c->standing[n] = cn->role;
    for (guint f = 0; cn->role != 0 && f < cn->n_fields; f++) {
      int below = 0, above = 0;
      int64_t highest = cn->value[f];
      for (int m = 0; m < w->n_nodes; m++) {
        const CovNode *o = &c->nodes[m];
        for (guint g = 0; m != n && o->role != 0 && g < o->n_fields; g++)
          if (o->key[g] == cn->key[f]) {
            below += o->value[g] < cn->value[f];
            above += o->value[g] > cn->value[f];
            highest = MAX (highest, o->value[g]);
          }
      }
      uint64_t rank = (below > 0 ? 1u : 0u) | (above > 0 ? 2u : 0u);
      if (f == 0)
        c->standing[n] = mix64 (cn->role * 4 + rank);
      feat_add (&c->set, feature (FUZZ_FEATURE_STATE, mix64 (cn->role * 31 + cn->key[f] * 4 + rank)));
      if (above > 0)
        feat_add (&c->set, feature (FUZZ_FEATURE_STATE,
                                    mix64 (mix64 (cn->role * 31 + cn->key[f]) + 0x676170
                                           + (uint64_t) gap_bucket (highest - cn->value[f]))));
    }
  }
  qsort (roles, (size_t) w->n_nodes, sizeof (uint64_t), compare_u64);
  uint64_t h = (uint64_t) w->n_nodes;
  for (int n = 0; n < w->n_nodes; n++)
    h = mix64 (h ^ roles[n]);
  feat_add (&c->set, feature (FUZZ_FEATURE_STATE, h));
}

static uint64_t
msg_kind (Coverage *c, SimWorld *w, const SimMsg *m)
{
  GString *s = c->scratch;
  g_string_truncate (s, 0);
  if (w->vt->format_msg != NULL)
    w->vt->format_msg (sim_msg_data (m), m->len, s);
  gsize n = 0;
  while (n < s->len && s->str[n] != ' ' && s->str[n] != '(')
    n++;
  return hash_str (s->str, n);
}

/* Whether every running replica applied the same state now
 * (vt->converged); why (may be NULL) gets the protocol's explanation. */
static gboolean
replicas_converged (SimWorld *w, GString *why)
{
  const ProtoVTable *vt = w->vt;
  const void *states[PROTO_MAX_NODES];
  gboolean is_up[PROTO_MAX_NODES];
  for (int n = 0; n < w->n_nodes; n++) {
    states[n] = w->node_states + (size_t) n * vt->state_size;
    is_up[n] = w->nodes[n].is_up;
  }
  g_autoptr (GString) scratch = why == NULL ? g_string_new (NULL) : NULL;
  return vt->converged (states, is_up, w->ctxs, w->n_nodes, why != NULL ? why : scratch);
}

/* Steps the world to the end, collecting coverage features.  From
 * converge_from_us on (-1: never) it also watches for a moment at which
 * the replicas agree (*has_converged). */
static void
run_with_coverage (SimWorld *w, FeatSet *out, int64_t converge_from_us, gboolean *has_converged)
{
  Coverage c = { .scratch = g_string_new (NULL) };
  c.nodes = g_new0 (CovNode, w->n_nodes);
  c.last_kind = g_new0 (uint64_t, w->n_nodes);
  c.standing = g_new0 (uint64_t, w->n_nodes);
  c.set = *out;
  for (;;) {
    SimChoice ch;
    if (!sim_world_next_choice (w, &ch)) {
      while (sim_world_step (w))
        ;
      break;
    }
    int node = -1;
    uint64_t kind = 0;
    if (ch.kind == SIM_CHOICE_DELIVER && ch.endpoint < w->n_nodes) {
      const SimEvent *top = sim_queue_peek (&w->queue);
      const SimMsg *m = sim_net_msg (&w->net, (guint) top->a);
      if (w->nodes[m->to].is_up && !w->nodes[m->to].is_paused
          && !sim_net_is_cut (&w->net, m->from, m->to)) {
        node = m->to;
        kind = msg_kind (&c, w, m);
      }
    } else if ((ch.kind == SIM_CHOICE_TIMEOUT || ch.kind == SIM_CHOICE_START)
               && ch.endpoint < w->n_nodes) {
      node = ch.endpoint;
      kind = ch.kind == SIM_CHOICE_TIMEOUT ? 0x7173 : 0x57a7;
    }
    gboolean is_fault = ch.kind == SIM_CHOICE_FAULT || ch.kind == SIM_CHOICE_RANDOM_FAULT
                        || ch.kind == SIM_CHOICE_FAULT_END;
    if (node >= 0) {
      feat_add (&c.set, feature (FUZZ_FEATURE_MSG, mix64 (c.last_kind[node] * 31 + kind)));
      feat_add (&c.set, feature (FUZZ_FEATURE_MSG, mix64 (c.nodes[node].role ^ kind * 7)));
      /* What arrives at a node that is behind or ahead of the others: a
       * client read at a leader whose term is below another node's. */
      feat_add (&c.set, feature (FUZZ_FEATURE_MSG, mix64 (c.standing[node] * 131 + kind)));
      c.last_kind[node] = kind;
    }
    c.set.now_us = ch.time_us;
    gboolean more = sim_world_step (w);
    if (converge_from_us >= 0 && !*has_converged && w->stats.now_us >= converge_from_us)
      *has_converged = replicas_converged (w, NULL);
    if (node >= 0 || is_fault) {
      gboolean changed = FALSE;
      for (int n = 0; n < w->n_nodes; n++) {
        if (n != node && !is_fault)
          continue;
        CovNode before = c.nodes[n];
        cov_node (&c, w, n);
        changed |= memcmp (&before, &c.nodes[n], sizeof before) != 0;
        if (c.nodes[n].role != before.role)
          cov_role_entry (&c, c.nodes[n].role != 0 ? c.nodes[n].role : 0x646f776e);
      }
      if (changed)
        cov_cluster (&c, w);
      cov_marks (&c, w);
    }
    if (!more)
      break;
  }
  *out = c.set;
  g_string_free (c.scratch, TRUE);
  g_free (c.nodes);
  g_free (c.last_kind);
  g_free (c.standing);
}

void
fuzz_result_clear (FuzzResult *r)
{
  g_free (r->what);
  g_free (r->explanation);
  g_free (r->history_jsonl);
  if (r->features != NULL)
    g_array_unref (r->features);
  if (r->feature_times != NULL)
    g_array_unref (r->feature_times);
  if (r->marks != NULL)
    g_ptr_array_unref (r->marks);
  memset (r, 0, sizeof *r);
}

/* The [check] models on the history: the first violation, if any. */
static void
check_models (const SimConfig *cfg, const ChkHistory *h, FuzzResult *r)
{
  if (cfg->check_models == NULL || cfg->check_models[0] == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  if (ops == NULL) {
    r->undecided = TRUE;
    return;
  }
  for (int i = 0; cfg->check_models[i] != NULL; i++) {
    const char *model = cfg->check_models[i];
    ChkModel m;
    ChkVerdict verdict = CHK_VERDICT_UNKNOWN;
    g_autofree char *why = NULL;
    const ChkChecker *c;
    if (chk_model_from_name (model, &m)) {
      ChkConsOptions opt;
      chk_cons_options_init (&opt);
      opt.max_states = FUZZ_MAX_STATES;
      opt.memory_limit_bytes = FUZZ_MEMORY_LIMIT;
      g_autoptr (GError) e = NULL;
      g_autoptr (ChkConsResult) res = chk_consistency_check (h, ops, m, &opt, &e);
      if (res != NULL) {
        verdict = res->verdict;
        if (res->violations->len > 0) {
          const ChkConsViolation *v = res->violations->pdata[0];
          why = g_strdup_printf ("%s: %s", v->pattern, v->explanation);
        }
      }
    } else if ((c = chk_checker_find (model)) != NULL) {
      ChkCheckOptions opt;
      chk_check_options_init (&opt);
      opt.memory_limit_bytes = FUZZ_MEMORY_LIMIT;
      g_autoptr (GError) e = NULL;
      g_autoptr (ChkReport) rep = chk_checker_run (c, h, ops, &opt, &e);
      if (rep != NULL) {
        verdict = rep->verdict;
        why = g_strdup (rep->explanation);
      }
    }
    if (verdict == CHK_VERDICT_VIOLATION) {
      r->verdict = FUZZ_MODEL;
      r->what = g_strdup (model);
      r->explanation = g_strdup_printf ("the history is not %s: %s", model,
                                        why != NULL ? why : "(no explanation)");
      return;
    }
    if (verdict != CHK_VERDICT_OK)
      r->undecided = TRUE;
  }
}

/* Convergence, at the end of the liveness phase (the last third of it
 * without client operations): the protocol says whether every running
 * replica applied the same state (vt->converged). */
static void
check_convergence (SimWorld *w, int64_t heal_at_us, gboolean has_converged, FuzzResult *r)
{
  const ProtoVTable *vt = w->vt;
  g_autoptr (GString) why = g_string_new (NULL);
  if (vt->converged == NULL || has_converged || replicas_converged (w, why))
    return;
  g_autoptr (GString) detail = g_string_new (NULL);
  for (int n = 0; n < w->n_nodes; n++) {
    g_string_append_printf (detail, "\n  n%d: ", n + 1);
    if (!w->nodes[n].is_up)
      g_string_append (detail, "down");
    else if (vt->format_state != NULL)
      vt->format_state (w->node_states + (size_t) n * vt->state_size, &w->ctxs[n], detail);
  }
  r->verdict = FUZZ_LIVENESS;
  r->what = g_strdup ("liveness");
  r->explanation = g_strdup_printf (
      "every fault was healed at %" G_GINT64_FORMAT "us and the clients stopped at %"
      G_GINT64_FORMAT "us, but by the end (%" G_GINT64_FORMAT "us) the replicas had not "
      "converged: %s; the nodes:%s", heal_at_us, w->cfg->workload.stop_us,
      sim_world_stats (w)->now_us, why->str, detail->str);
}

/* Liveness: after the heal, every operation invoked once the cluster had
 * time to recover (a third of the liveness phase) must be answered, ok or
 * fail, before its client timeout. */
static void
check_liveness (const SimConfig *cfg, const ChkHistory *h, int64_t heal_at_us, FuzzResult *r)
{
  if (cfg->workload.n_clients == 0)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  if (ops == NULL)
    return;
  int64_t settle = heal_at_us + (cfg->duration_us - heal_at_us) / 3;
  int64_t last_call = cfg->duration_us - cfg->workload.op_timeout_us;
  if (cfg->workload.stop_us > 0)
    last_call = MIN (last_call, cfg->workload.stop_us);
  for (guint i = 0; i < ops->len; i++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, i);
    if (op->call_time_us < settle || op->call_time_us > last_call || op->status != CHK_OP_INFO)
      continue;
    g_autofree char *d = chk_op_describe (h, op);
    r->verdict = FUZZ_LIVENESS;
    r->what = g_strdup ("liveness");
    r->explanation = g_strdup_printf (
        "every fault was healed at %" G_GINT64_FORMAT "us, but %s, invoked at %" G_GINT64_FORMAT
        "us, got no answer within its %" G_GINT64_FORMAT "us timeout", heal_at_us, d,
        op->call_time_us, cfg->workload.op_timeout_us);
    return;
  }
}

/* At most as many Byzantine nodes as the protocol stays live with
 * (vt->byzantine_tolerated; none without it). */
static gboolean
byzantine_within_tolerance (const SimWorld *w)
{
  int liars = 0;
  for (int n = 0; n < w->n_nodes; n++)
    liars += sim_world_node_behaviour (w, n)[0] != '\0';
  int tolerated = w->vt->byzantine_tolerated != NULL ? w->vt->byzantine_tolerated (w->n_nodes) : 0;
  return liars <= tolerated;
}

gboolean
fuzz_run_text (const char *name, const char *text, int64_t heal_at_us, gboolean keep_history,
               FuzzResult *r, GError **error)
{
  return fuzz_run_text_recording (name, text, heal_at_us, keep_history, NULL, r, error);
}

gboolean
fuzz_run_text_recording (const char *name, const char *text, int64_t heal_at_us,
                         gboolean keep_history, GArray *deliveries, FuzzResult *r,
                         GError **error)
{
  memset (r, 0, sizeof *r);
  g_autoptr (SimConfig) cfg = sim_scenario_load_data (name, text, strlen (text), error);
  if (cfg == NULL)
    return FALSE;
  g_autoptr (SimWorld) w = sim_world_new (cfg, cfg->seed);
  /* A configuration can make work without end (duplicated messages that
   * each start a chain of answers): such a run stops at a limit and is
   * counted as undecided, never left to run for hours. */
  sim_world_set_limits (w, FUZZ_MAX_EVENTS, FUZZ_MAX_WORLD_BYTES);
  if (deliveries != NULL)
    sim_world_record_deliveries (w, deliveries);
  FeatSet set = { 0 };
  /* Convergence: the replicas must agree at some moment after the clients
   * fell quiet (a leader change at the very end leaves a follower one
   * heartbeat behind for a while, and that is no failure). */
  gboolean watch = heal_at_us >= 0 && cfg->workload.stop_us > 0 && w->vt->converged != NULL;
  gboolean has_converged = FALSE;
  run_with_coverage (w, &set, watch ? cfg->workload.stop_us : -1, &has_converged);
  sim_world_finish (w);

  r->marks = g_ptr_array_new ();
  set.now_us = sim_world_stats (w)->now_us;
  for (guint i = 0; i < sim_world_n_marks (w); i++) {
    const char *mark = sim_world_mark (w, i, NULL);
    g_ptr_array_add (r->marks, (gpointer) mark);
    feat_add (&set, feature (FUZZ_FEATURE_MARK, hash_str (mark, strlen (mark))));
  }
  g_autoptr (GArray) slots = g_array_sized_new (FALSE, FALSE, sizeof (FeatSlot), set.len);
  for (guint i = 0; i < set.cap; i++)
    if (set.slots[i].v != 0)
      g_array_append_val (slots, set.slots[i]);
  g_array_sort (slots, compare_u64); /* by feature: v comes first in FeatSlot */
  r->features = g_array_sized_new (FALSE, FALSE, sizeof (uint64_t), set.len);
  r->feature_times = g_array_sized_new (FALSE, FALSE, sizeof (int64_t), set.len);
  for (guint i = 0; i < slots->len; i++) {
    g_array_append_val (r->features, g_array_index (slots, FeatSlot, i).v);
    g_array_append_val (r->feature_times, g_array_index (slots, FeatSlot, i).t);
  }
  g_free (set.slots);

  const SimStats *st = sim_world_stats (w);
  r->events = st->events;
  r->ops = st->ops_invoked;
  r->end_us = st->now_us;
  const ChkHistory *h = sim_world_history (w);
  const char *failure = sim_world_invariant_failure (w);
  if (failure != NULL) {
    r->verdict = FUZZ_INVARIANT;
    gsize n = strcspn (failure, ":\n");
    r->what = g_strndup (failure, n);
    r->explanation = g_strdup (failure);
  } else if (sim_world_limit_reason (w) != NULL) {
    r->undecided = TRUE; /* a run cut short proves nothing either way */
  } else {
    check_models (cfg, h, r);
    /* A Byzantine node stays Byzantine after the heal: progress is owed
     * only while no more nodes lie than the protocol tolerates. */
    gboolean owes_progress = heal_at_us >= 0 && byzantine_within_tolerance (w);
    if (r->verdict == FUZZ_PASS && owes_progress)
      check_liveness (cfg, h, heal_at_us, r);
    if (r->verdict == FUZZ_PASS && owes_progress && cfg->workload.stop_us > 0)
      check_convergence (w, heal_at_us, has_converged, r);
  }
  if (keep_history) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    g_assert (f != NULL);
    chk_history_write_jsonl (h, f, NULL);
    fclose (f);
    r->history_jsonl = g_strndup (buf, len);
    free (buf);
  }
  return TRUE;
}
