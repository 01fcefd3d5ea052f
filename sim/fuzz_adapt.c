/* fuzz_adapt.c: the adaptive and the heavy swarm.
 *
 * Swarm testing (Groce et al., ISSTA 2012) draws every run's configuration
 * from fixed distributions: each fault kind on or off, its rate and its
 * typical length, the cluster size, the clients, loss, duplication, the
 * knobs.  Which of those configurations reach the rare corners of a
 * protocol is not known in advance, but a campaign learns it as it goes:
 * each run's configuration is read as a set of arms, one per dimension
 * (three nodes; crashes on, 10..19 of them; partitions off; loss on; ...),
 * and each arm keeps the mean reward of the runs that had it, the reward
 * being how rare the run's coverage was.  A guided draw takes several
 * fresh swarm draws and keeps the one whose arms promise the most (an
 * additive model over the dimensions), so the run is still a swarm run,
 * with the swarm's own rates, lengths and timings, but the campaign leans
 * toward the configurations that have paid (a bandit over the swarm's
 * dimensions, as Entropic and AFL++'s MOpt learn which of their own
 * choices pay).
 *
 * The heavy swarm needs no model: of a few fresh swarm draws it keeps the
 * one with the most faults, since the swarm's fault-heavy runs are the
 * ones that fail most often (fuzz_input_swarm_heaviest), or the one with
 * the most faults per square root of its safety phase's duration
 * (fuzz_input_swarm_densest): the count alone leans to long safety
 * phases, which draw more faults at the same rates, the density to short
 * ones; the square root weighs the rate and the length both.
 *
 * Deterministic: the model changes only through fuzz_swarm_model_learn,
 * which the campaign calls in run order. */
#include "sim/fuzz.h"

#include <math.h>
#include <string.h>

/* Pseudo-runs at the campaign's mean reward that every arm starts with,
 * so an arm seen in a few lucky runs is not trusted at once. */
#define ARM_PRIOR 8.0

static int
count_bucket (guint n)
{
  return n == 0 ? 0 : n < 5 ? 1 : n < 10 ? 2 : n < 20 ? 3 : n < 40 ? 4 : 5;
}

static int
kind_bucket (guint n)
{
  return n == 0 ? 0 : n < 4 ? 1 : n < 10 ? 2 : n < 20 ? 3 : 4;
}

/* Which third of [lo, hi] v lies in, on a log scale when lo > 0. */
static int
third (int64_t v, int64_t lo, int64_t hi)
{
  if (hi <= lo)
    return 0;
  double x = lo > 0 && v > 0 ? (log ((double) v) - log ((double) lo)) / (log ((double) hi) - log ((double) lo))
                             : (double) (v - lo) / (double) (hi - lo);
  return CLAMP ((int) (x * 3), 0, 2);
}

/* The arm at *d of a dimension that is on or off; it stays FUZZ_ARM_NONE
 * where the swarm can never switch it on. */
static void
switch_arm (uint8_t *arms, guint *d, gboolean can, gboolean on)
{
  if (can)
    arms[*d] = (uint8_t) on;
  (*d)++;
}

guint
fuzz_input_arms (const FuzzBase *b, const FuzzInput *in, uint8_t *arms)
{
  memset (arms, FUZZ_ARM_NONE, FUZZ_ARM_DIMS);
  guint d = 0;
  guint per_kind[SIM_FUZZ__KINDS] = { 0 };
  for (guint i = 0; i < in->faults->len; i++)
    per_kind[g_array_index (in->faults, FuzzFault, i).kind]++;
  arms[d++] = (uint8_t) MIN (in->n_nodes - b->nodes_min, FUZZ_ARM_VALUES - 1);
  arms[d++] = (uint8_t) MIN (in->n_clients - b->clients_min, FUZZ_ARM_VALUES - 1);
  arms[d++] = (uint8_t) count_bucket (in->faults->len);
  for (int k = 0; k < SIM_FUZZ__KINDS; k++, d += 2) {
    if (!(b->kinds & (1u << k)))
      continue;
    arms[d] = (uint8_t) kind_bucket (per_kind[k]);
    if (per_kind[k] > 0 && in->for_us[k] > 0)
      arms[d + 1] = (uint8_t) third (in->for_us[k], b->for_min_us[k], b->for_max_us[k]);
  }
  switch_arm (arms, &d, b->drop_max > 0, in->drop > 0);
  switch_arm (arms, &d, b->duplicate_max > 0, in->duplicate > 0);
  switch_arm (arms, &d, b->leader_max > 0, in->leader_p > 0);
  switch_arm (arms, &d, b->disk_latency_max_us > 0, in->disk_latency_us > 0);
  arms[d++] = (uint8_t) third (in->duration_us, b->duration_min_us, b->duration_max_us);
  if (b->think_max_us > b->think_min_us)
    arms[d] = (uint8_t) third (in->think_us, b->think_min_us, b->think_max_us);
  d++;
  for (int op = 0; op < PROTO_OP__COUNT; op++, d++)
    if (b->cfg->workload.mix[op] > 0)
      arms[d] = in->mix[op] > 0;
  for (int i = 0; i < SIM_FUZZ_MAX_KNOBS; i++, d++) {
    if (i >= b->n_knobs)
      continue;
    arms[d] = b->knob_values[i] != NULL
                ? (uint8_t) MIN (in->knob[i], FUZZ_ARM_VALUES - 1)
                : (uint8_t) third (in->knob[i], b->knob_lo[i], b->knob_hi[i]);
  }
  for (int i = 0; i < FUZZ_MAX_BYZANTINE; i++, d++)
    if (i < b->n_byzantine)
      arms[d] = (uint8_t) MIN (in->byzantine[i], FUZZ_ARM_VALUES - 1);
  g_assert (d <= FUZZ_ARM_DIMS);
  return d;
}

void
fuzz_swarm_model_learn (FuzzSwarmModel *m, const FuzzBase *b, const FuzzInput *in, double reward)
{
  uint8_t arms[FUZZ_ARM_DIMS];
  fuzz_input_arms (b, in, arms);
  for (int d = 0; d < FUZZ_ARM_DIMS; d++)
    if (arms[d] != FUZZ_ARM_NONE) {
      m->sum[d][arms[d]] += reward;
      m->n[d][arms[d]] += 1;
    }
  m->total_sum += reward;
  m->total_n += 1;
}

double
fuzz_swarm_model_predict (const FuzzSwarmModel *m, const FuzzBase *b, const FuzzInput *in)
{
  if (m->total_n <= 0)
    return 0;
  double mean = m->total_sum / m->total_n;
  uint8_t arms[FUZZ_ARM_DIMS];
  fuzz_input_arms (b, in, arms);
  double p = 0;
  for (int d = 0; d < FUZZ_ARM_DIMS; d++)
    if (arms[d] != FUZZ_ARM_NONE) {
      double arm = (m->sum[d][arms[d]] + ARM_PRIOR * mean) / (m->n[d][arms[d]] + ARM_PRIOR);
      p += arm - mean;
    }
  return p;
}

/* The best of `tries` fresh swarm draws by `score` (the first on a tie). */
static void
swarm_best_of (const FuzzBase *b, Pcg32 *rng, int tries,
               double (*score) (const FuzzBase *b, const FuzzInput *in, const void *data),
               const void *data, FuzzInput *out)
{
  fuzz_input_swarm (b, rng, out);
  double best = score (b, out, data);
  FuzzInput cand;
  fuzz_input_init (&cand);
  for (int t = 1; t < tries; t++) {
    fuzz_input_swarm (b, rng, &cand);
    double p = score (b, &cand, data);
    if (p > best) {
      best = p;
      fuzz_input_copy (out, &cand);
    }
  }
  fuzz_input_clear (&cand);
}

static double
predicted_reward (const FuzzBase *b, const FuzzInput *in, const void *model)
{
  return fuzz_swarm_model_predict (model, b, in);
}

void
fuzz_input_swarm_guided (const FuzzBase *b, Pcg32 *rng, const FuzzSwarmModel *m, int tries,
                         FuzzInput *out)
{
  swarm_best_of (b, rng, tries, predicted_reward, m, out);
}

static double
fault_count (const FuzzBase *b, const FuzzInput *in, const void *data)
{
  return (double) in->faults->len;
}

void
fuzz_input_swarm_heaviest (const FuzzBase *b, Pcg32 *rng, int tries, FuzzInput *out)
{
  swarm_best_of (b, rng, tries, fault_count, NULL, out);
}

static double
fault_density (const FuzzBase *b, const FuzzInput *in, const void *data)
{
  return (double) in->faults->len / sqrt ((double) MAX (in->duration_us, 1));
}

void
fuzz_input_swarm_densest (const FuzzBase *b, Pcg32 *rng, int tries, FuzzInput *out)
{
  swarm_best_of (b, rng, tries, fault_density, NULL, out);
}
