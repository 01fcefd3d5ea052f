/* cmd_fuzz.c: `dsim fuzz SCENARIO`: a campaign of runs, each with its own
 * swarm configuration and fault schedule, feedback from coverage, a report
 * and a replayable scenario per failure, and shrinking.  `dsim fuzz
 * --merge DIR...` joins the directories of several shards.
 *
 * Run r of a campaign depends only on the campaign seed and r: its inputs
 * are drawn from a Pcg32 stream derived from both, and in feedback mode
 * from the corpus as it stood at the start of r's batch.  Batches have a
 * fixed size and are merged in run order, so the number of threads changes
 * how fast a campaign goes, never what it finds. */
#include "cli/cli.h"
#include "sim/fuzz.h"
#include "sim/scenario.h"
#include "checkers/history.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_BATCH 16
#define FUZZ_MAX_REPORTED 20
#define FUZZ_DEFAULT_RUNS 1000
#define FUZZ_DEFAULT_SHRINK_RUNS 400
/* --strategy adaptive: the share of mutants, the share of the fresh runs
 * the swarm model guides, and the draws each guided run is the best of. */
#define FUZZ_ADAPTIVE_MUTANTS 0.1
#define FUZZ_ADAPTIVE_GUIDED 0.9
#define FUZZ_ADAPTIVE_TRIES 8
/* --strategy heavy: the share of mutants once the corpus holds a run;
 * the draws each fresh run of an even index is the most fault-heavy of,
 * and the draws each fresh run of an odd index is the densest in faults
 * of. */
#define FUZZ_HEAVY_MUTANTS 0.5
#define FUZZ_HEAVY_TRIES 4
#define FUZZ_DENSE_TRIES 8

static const char fuzz_help[] =
  "usage: dsim fuzz SCENARIO [--runs N | --time DURATION] [--jobs J] [--seed S]\n"
  "                 [--out DIR] [--strategy heavy|feedback|adaptive|random]\n"
  "                 [--shard I/N] [--max-failures K] [--stop-on any|safety]\n"
  "                 [--shrink-runs N]\n"
  "       dsim fuzz --merge DIR... [--out DIR]\n"
  "\n"
  "Runs the protocol of SCENARIO many times, each run with its own configuration\n"
  "drawn from the scenario and its [fuzz] ranges (swarm testing): fault kinds\n"
  "switched on or off, their rates and durations, message loss and duplication,\n"
  "the operation mix, the cluster size, the number of clients and the duration.\n"
  "Faults become an explicit schedule.  Each run has two phases: a safety phase\n"
  "with faults, checked by the protocol's invariants after every step and by the\n"
  "[check] models on the history; then every fault is healed and the liveness\n"
  "phase demands that client operations complete again.\n"
  "\n"
  "Each failure gets DIR/fail-N/ with report.txt (seed, configuration, what\n"
  "broke and the checker's explanation), repro.scn (`dsim run` replays the run\n"
  "byte for byte), history.jsonl, and shrunk.scn: the run reduced by delta\n"
  "debugging over the fault schedule, cluster size, clients, operations and\n"
  "duration, then over message deliveries (a [deliveries] section pins the\n"
  "ones that matter; every other message arrives after its link's minimum\n"
  "latency), failing the same way.  DIR/runs.tsv lists every run,\n"
  "DIR/coverage.txt the coverage reached, DIR/summary.txt the summary.\n"
  "\n"
  "options:\n"
  "  --runs N          runs in the campaign (default 1000, unless --time)\n"
  "  --time DURATION   stop after this much wall time (such as 30s or 10m); with\n"
  "                    --runs too, whichever comes first (runs under way finish);\n"
  "                    shrinking then uses what is left of it plus a quarter\n"
  "  --jobs J          worlds run on J threads (default: the processors); each\n"
  "                    world is single-threaded and the results do not depend on J\n"
  "  --seed S          campaign seed (default 1); run r depends on S and r only\n"
  "  --out DIR         where results go (default fuzz-out)\n"
  "  --strategy S      heavy (default): half the runs mutants of the corpus, as\n"
  "                    in feedback, the other half fresh swarm configurations:\n"
  "                    on even runs the one with the most faults of four draws,\n"
  "                    on odd runs the one with the most faults per square root\n"
  "                    of the safety phase's duration of eight draws;\n"
  "                    feedback: keep a corpus of runs that reached new\n"
  "                    coverage (marks, abstract cluster states, patterns of\n"
  "                    message kinds), favour those with rare coverage, and\n"
  "                    mutate their fault schedules and configurations;\n"
  "                    adaptive: mostly fresh swarm configurations, each the\n"
  "                    best of eight draws by what each choice of the swarm\n"
  "                    (fault kinds and counts, cluster size, loss, knobs...)\n"
  "                    earned in rare coverage so far, and a tenth mutants;\n"
  "                    random: every run a fresh swarm configuration\n"
  "  --shard I/N       run only the runs r with r mod N = I-1 (1 <= I <= N): N\n"
  "                    processes with the same seed split one campaign\n"
  "  --max-failures K  stop once K runs have failed (default: never)\n"
  "  --stop-on W       which failures stop the campaign and count toward\n"
  "                    --max-failures: any (default) or safety, a broken invariant\n"
  "                    or [check] model only (liveness failures are still reported);\n"
  "                    safety without --max-failures stops at the first one\n"
  "  --shrink-runs N   runs the shrinker may spend per failure, half of them on\n"
  "                    the deliveries (default 400; 0: no shrinking)\n"
  "  --merge DIR...    join the output directories of shards into one summary\n"
  "                    (with --out DIR, also one directory)\n"
  "  --help, -h        this text\n"
  "\n"
  "A progress line goes to stderr when it is a terminal.\n"
  "exit code: 0 no failure, 1 some run failed, 2 bad input or usage.\n";

/* --strategy, the default first (0). */
typedef enum { STRATEGY_HEAVY, STRATEGY_FEEDBACK, STRATEGY_ADAPTIVE, STRATEGY_RANDOM } FuzzStrategy;
static const char *const strategy_names[] = { "heavy", "feedback", "adaptive", "random" };

typedef struct {
  const char *scenario;
  uint64_t runs;            /* 0: no limit (then --time) */
  int64_t time_us;          /* 0: no limit */
  int jobs;
  uint64_t seed;
  const char *out_dir;
  FuzzStrategy strategy;
  int shard, n_shards;      /* shard is 0-based */
  uint64_t max_failures;    /* 0: never stop */
  gboolean stop_on_safety;  /* only invariant and model failures count toward max_failures */
  guint shrink_runs;
  GPtrArray *merge;         /* directories, when --merge */
} FuzzArgs;

/* ---- Arguments ----------------------------------------------------------------*/

static gboolean
parse_u64 (const char *text, uint64_t *out)
{
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_strtoull (text, &end, 10);
  if (!g_ascii_isdigit (text[0]) || *end != '\0' || errno != 0)
    return FALSE;
  *out = v;
  return TRUE;
}

static int
parse_args (int argc, char **argv, FuzzArgs *a)
{
  a->seed = 1;
  a->out_dir = "fuzz-out";
  a->jobs = (int) g_get_num_processors ();
  a->shrink_runs = FUZZ_DEFAULT_SHRINK_RUNS;
  a->n_shards = 1;
  gboolean has_runs = FALSE, merging = FALSE;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
      fputs (fuzz_help, stdout);
      return DSIM_EXIT_OK;
    }
    if (strcmp (arg, "--merge") == 0) {
      merging = TRUE;
      continue;
    }
    if (arg[0] != '-' || arg[1] == '\0') {
      if (merging)
        g_ptr_array_add (a->merge, (gpointer) arg);
      else if (a->scenario == NULL)
        a->scenario = arg;
      else
        return cli_usage_error ("fuzz: one scenario at a time, got '%s' and '%s'",
                                a->scenario, arg);
      continue;
    }
    static const char *const with_value[] = {
      "--runs", "--time", "--jobs", "--seed", "--out", "--strategy", "--shard",
      "--max-failures", "--stop-on", "--shrink-runs", NULL,
    };
    const char *eq = strchr (arg, '=');
    g_autofree char *name = eq != NULL ? g_strndup (arg, (gsize) (eq - arg)) : g_strdup (arg);
    if (!g_strv_contains (with_value, name))
      return cli_usage_error ("fuzz: unknown option '%s' (see dsim fuzz --help)", arg);
    const char *value = eq != NULL ? eq + 1 : NULL;
    if (value == NULL) {
      if (i + 1 >= argc)
        return cli_usage_error ("fuzz: %s needs a value (see dsim fuzz --help)", name);
      value = argv[++i];
    }
    uint64_t v = 0;
    if (strcmp (name, "--runs") == 0) {
      if (!parse_u64 (value, &v) || v == 0)
        return cli_usage_error ("fuzz: --runs: expected a positive number of runs, got '%s'",
                                value);
      a->runs = v;
      has_runs = TRUE;
    } else if (strcmp (name, "--time") == 0) {
      int64_t us;
      if (!proto_parse_duration_us (value, &us) || us <= 0)
        return cli_usage_error ("fuzz: --time: expected a duration such as 30s or 10m, got '%s'",
                                value);
      a->time_us = us;
    } else if (strcmp (name, "--jobs") == 0) {
      if (!parse_u64 (value, &v) || v < 1 || v > 1024)
        return cli_usage_error ("fuzz: --jobs: expected a number of threads from 1 to 1024, "
                                "got '%s'", value);
      a->jobs = (int) v;
    } else if (strcmp (name, "--seed") == 0) {
      if (!parse_u64 (value, &a->seed))
        return cli_usage_error ("fuzz: --seed: expected an unsigned 64-bit integer, got '%s'",
                                value);
    } else if (strcmp (name, "--out") == 0) {
      if (value[0] == '\0')
        return cli_usage_error ("fuzz: --out needs a non-empty value");
      a->out_dir = value;
    } else if (strcmp (name, "--strategy") == 0) {
      guint k = 0;
      while (k < G_N_ELEMENTS (strategy_names) && strcmp (value, strategy_names[k]) != 0)
        k++;
      if (k == G_N_ELEMENTS (strategy_names))
        return cli_usage_error (
          "fuzz: --strategy: expected heavy, feedback, adaptive or random, got '%s'", value);
      a->strategy = (FuzzStrategy) k;
    } else if (strcmp (name, "--shard") == 0) {
      uint64_t i_shard, n;
      g_auto (GStrv) parts = g_strsplit (value, "/", -1);
      if (g_strv_length (parts) != 2 || !parse_u64 (parts[0], &i_shard)
          || !parse_u64 (parts[1], &n) || n < 1 || n > 1000000 || i_shard < 1 || i_shard > n)
        return cli_usage_error ("fuzz: --shard: expected I/N with 1 <= I <= N, such as 2/8, "
                                "got '%s'", value);
      a->shard = (int) i_shard - 1;
      a->n_shards = (int) n;
    } else if (strcmp (name, "--max-failures") == 0) {
      if (!parse_u64 (value, &a->max_failures) || a->max_failures == 0)
        return cli_usage_error ("fuzz: --max-failures: expected a positive number, got '%s'",
                                value);
    } else if (strcmp (name, "--stop-on") == 0) {
      if (strcmp (value, "any") != 0 && strcmp (value, "safety") != 0)
        return cli_usage_error ("fuzz: --stop-on: expected any or safety, got '%s'", value);
      a->stop_on_safety = strcmp (value, "safety") == 0;
    } else {
      if (!parse_u64 (value, &v) || v > 1000000)
        return cli_usage_error ("fuzz: --shrink-runs: expected a number from 0 to 1000000, "
                                "got '%s'", value);
      a->shrink_runs = (guint) v;
    }
  }
  if (merging) {
    if (a->scenario != NULL || a->merge->len == 0)
      return cli_usage_error ("fuzz: --merge takes output directories of dsim fuzz, and no "
                              "scenario (usage: dsim fuzz --merge DIR... [--out DIR])");
    return -1;
  }
  if (a->scenario == NULL)
    return cli_usage_error ("fuzz: expected a scenario file (usage: dsim fuzz SCENARIO "
                            "[options]; see dsim fuzz --help)");
  if (!has_runs && a->time_us == 0)
    a->runs = FUZZ_DEFAULT_RUNS;
  if (a->stop_on_safety && a->max_failures == 0)
    a->max_failures = 1;
  return -1;
}

static const char *
strategy_name (const FuzzArgs *a)
{
  return strategy_names[a->strategy];
}

/* ---- The campaign ----------------------------------------------------------------*/

typedef struct {
  uint64_t run;          /* global run number */
  FuzzInput input;
  FuzzResult result;
  gboolean done;
} Job;

typedef struct {
  uint64_t run;
  FuzzInput input;
  char *what;
  char *explanation;
  FuzzVerdict verdict;
  uint64_t count;        /* runs that failed this way */
  uint64_t events, ops;
} Failure;

typedef struct {
  const FuzzArgs *args;
  FuzzBase *base;
  /* The batch being run. */
  Job *jobs;
  guint n_jobs;
  gint next;             /* atomic: next job to take */
  gint stop_at;          /* atomic: jobs after this one are skipped */
  gint64 deadline;       /* --time: monotonic time to start no more runs; 0: none */
  gint64 shrink_deadline; /* --time: to start no more shrink runs; 0: none */
  /* Campaign state, touched by the main thread only. */
  GHashTable *features;  /* uint64 feature -> runs that reached it (lookups only) */
  guint n_family[4];
  GPtrArray *mark_names; /* reached marks, first-reached order */
  GArray *corpus;        /* FuzzInput */
  GArray *corpus_runs;   /* uint64 run of each corpus entry */
  GPtrArray *corpus_features; /* GArray of uint64: each entry's features */
  GArray *corpus_weight; /* double: each entry's energy, as of the batch start */
  GArray *corpus_cost;   /* uint64: each entry's events (its run's cost) */
  double corpus_weight_sum;
  /* Yield of the two sources of inputs: runs, and runs that reached new
   * coverage, of fresh swarm runs and of mutants. */
  uint64_t fresh_runs, fresh_new, mutant_runs, mutant_new;
  /* The adaptive swarm: what each arm of the swarm's configurations has
   * earned, and the running mean of the runs' rarity. */
  FuzzSwarmModel *model;
  double rarity_mean;
  GPtrArray *failures;   /* Failure*, one per distinct `what` */
  uint64_t n_runs, n_failed, n_undecided, n_by_verdict[4];
  uint64_t n_stopping;   /* failures that count toward --max-failures */
  int64_t first_failure_run; /* local count at the first failure; -1 none */
  int64_t first_safety_run;  /* the same, of the first invariant or model failure */
  GString *runs_tsv;
} Campaign;

/* Whether a run with this verdict counts toward --max-failures. */
static gboolean
failure_stops (const FuzzArgs *a, FuzzVerdict v)
{
  return a->stop_on_safety ? v == FUZZ_INVARIANT || v == FUZZ_MODEL : v != FUZZ_PASS;
}

static gpointer
worker (gpointer data)
{
  Campaign *c = data;
  for (gboolean ran = FALSE;; ran = TRUE) {
    /* --time: past it, a thread that has run once takes no more runs (a
     * batch of long runs outlasted the limit many times over); the runs
     * taken are whole, each the same whatever the time. */
    if (ran && c->deadline > 0 && g_get_monotonic_time () >= c->deadline) /* dsim-allow-nondeterminism: --time only */
      break;
    gint i = g_atomic_int_add (&c->next, 1);
    if (i >= (gint) c->n_jobs || i > g_atomic_int_get (&c->stop_at))
      break;
    Job *j = &c->jobs[i];
    FuzzPlan plan;
    fuzz_plan_init (&plan);
    fuzz_plan_from_input (c->base, &j->input, &plan);
    g_autofree char *text = fuzz_plan_text (c->base, &plan, "any", NULL);
    g_autoptr (GError) error = NULL;
    gboolean ok = fuzz_run_text (c->args->scenario, text, plan.heal_at_us, FALSE, &j->result,
                                 &error);
    /* The plan's text always parses: anything else is a bug in dsim. */
    if (!ok)
      g_error ("dsim fuzz: run %" G_GUINT64_FORMAT ": generated scenario does not parse: %s\n%s",
               j->run, error->message, text);
    fuzz_plan_clear (&plan);
    j->done = TRUE;
    if (failure_stops (c->args, j->result.verdict) && c->args->max_failures == 1) {
      gint old;
      do
        old = g_atomic_int_get (&c->stop_at);
      while (i < old && !g_atomic_int_compare_and_exchange (&c->stop_at, old, i));
    }
  }
  return NULL;
}

static void
run_batch (Campaign *c)
{
  c->next = 0;
  c->stop_at = G_MAXINT;
  int n_threads = MIN (c->args->jobs, (int) c->n_jobs);
  if (n_threads <= 1) {
    worker (c);
    return;
  }
  /* A thread that cannot be started (a ulimit -v with no room for its
   * stack) is not waited for: the others, or this one, take its runs. */
  GThread *threads[1024];
  int started = 0;
  for (int t = 0; t < n_threads; t++)
    if ((threads[started] = g_thread_try_new ("fuzz", worker, c, NULL)) != NULL)
      started++;
  if (started == 0)
    worker (c);
  for (int t = 0; t < started; t++)
    g_thread_join (threads[t]);
}

/* Energy of each corpus entry (a power schedule, as in AFL and in
 * Mallory): the sum over its features of 1 / (runs that reached the
 * feature).  An entry holding a feature few runs reach weighs far more
 * than one whose features every run reaches, so mutation effort goes to
 * the rare corners of the state space.  And as AFL favours the smallest
 * input that reaches each edge, each feature credits its rarity in full
 * only to the cheapest entry that reached it (fewest events: the smaller
 * cluster, the shorter run; the earlier entry on a tie), the others get a
 * tenth: the corpus's effort goes to the smallest configurations that
 * reach each corner, where every fault weighs more.  Computed once per
 * batch, from the campaign state as it stood then. */
#define FUZZ_NOT_CHEAPEST 0.1

static void
corpus_weigh (Campaign *c)
{
  g_array_set_size (c->corpus_weight, c->corpus->len);
  c->corpus_weight_sum = 0;
  /* feature -> 1 + the cheapest entry holding it (keys point into the
   * entries' feature arrays, which do not change) */
  g_autoptr (GHashTable) cheapest = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint e = 0; e < c->corpus->len; e++) {
    GArray *fs = c->corpus_features->pdata[e];
    uint64_t cost = g_array_index (c->corpus_cost, uint64_t, e);
    for (guint i = 0; i < fs->len; i++) {
      uint64_t *f = &g_array_index (fs, uint64_t, i);
      guint best = GPOINTER_TO_UINT (g_hash_table_lookup (cheapest, f));
      if (best == 0 || cost < g_array_index (c->corpus_cost, uint64_t, best - 1))
        g_hash_table_insert (cheapest, f, GUINT_TO_POINTER (e + 1));
    }
  }
  for (guint e = 0; e < c->corpus->len; e++) {
    GArray *fs = c->corpus_features->pdata[e];
    double w = 0;
    for (guint i = 0; i < fs->len; i++) {
      uint64_t *f = &g_array_index (fs, uint64_t, i);
      const guint *hits = g_hash_table_lookup (c->features, f);
      gboolean is_cheapest = GPOINTER_TO_UINT (g_hash_table_lookup (cheapest, f)) == e + 1;
      w += (is_cheapest ? 1.0 : FUZZ_NOT_CHEAPEST) / (double) MAX (*hits, 1u);
    }
    g_array_index (c->corpus_weight, double, e) = w;
    c->corpus_weight_sum += w;
  }
}

static guint
corpus_pick (Campaign *c, Pcg32 *rng)
{
  double x = pcg32_double (rng) * c->corpus_weight_sum;
  for (guint e = 0; e < c->corpus_weight->len; e++) {
    x -= g_array_index (c->corpus_weight, double, e);
    if (x < 0)
      return e;
  }
  return c->corpus_weight->len - 1;
}

static void
input_for_run (Campaign *c, uint64_t run, FuzzInput *in)
{
  Pcg32 rng;
  pcg32_seed (&rng, pcg32_derive (c->args->seed, 0x46555a5a, (uint32_t) run),
              (run >> 32) * 2 + 1);
  /* Feedback: mutants of the corpus or fresh swarm runs, in proportion to
   * how often each has reached new coverage so far, between one in four
   * and seven in eight mutants.  With seven in eight always, campaigns
   * failed more often once they had found a configuration near a bug but
   * found the first one later: fresh runs keep the swarm's breadth, and
   * where coverage is coarse (few features, so mutants rarely add one)
   * the campaign falls back to mostly fresh runs. */
  if (c->args->strategy != STRATEGY_RANDOM && c->corpus_weight->len > 0) {
    double mutant_yield = (double) (c->mutant_new + 1) / (double) (c->mutant_runs + 2);
    double fresh_yield = (double) (c->fresh_new + 1) / (double) (c->fresh_runs + 2);
    double p = CLAMP (mutant_yield / (mutant_yield + fresh_yield), 0.75, 0.875);
    if (c->args->strategy == STRATEGY_ADAPTIVE)
      p = FUZZ_ADAPTIVE_MUTANTS;
    if (c->args->strategy == STRATEGY_HEAVY)
      p = FUZZ_HEAVY_MUTANTS;
    if (pcg32_chance (&rng, p)) {
      guint pick = corpus_pick (c, &rng);
      const FuzzInput *parent = &g_array_index (c->corpus, FuzzInput, pick);
      if (c->corpus_weight->len >= 2 && pcg32_below (&rng, 8) == 0) {
        guint other = corpus_pick (c, &rng);
        fuzz_input_splice (c->base, &rng, parent, &g_array_index (c->corpus, FuzzInput, other),
                           in);
      } else {
        fuzz_input_mutate (c->base, &rng, parent, in);
      }
      in->parent = (int64_t) g_array_index (c->corpus_runs, uint64_t, pick);
      return;
    }
    /* Adaptive: of the fresh runs, nine in ten are the best of eight
     * swarm draws by the swarm model, one in ten a plain draw. */
    if (c->args->strategy == STRATEGY_ADAPTIVE && pcg32_chance (&rng, FUZZ_ADAPTIVE_GUIDED)) {
      fuzz_input_swarm_guided (c->base, &rng, c->model, FUZZ_ADAPTIVE_TRIES, in);
      return;
    }
  }
  /* Heavy: every fresh run (the first batch's too) of an even index the
   * most fault-heavy of four swarm draws, of an odd index the one of
   * eight with the most faults per square root of its safety phase's
   * duration.  The dense draws (shorter runs at higher fault rates)
   * find most seeded bugs sooner than the count's; the count's, kept on
   * the even runs, lean to the long runs that chains of leader changes
   * need.  See the README's "Feedback against random". */
  if (c->args->strategy == STRATEGY_HEAVY) {
    if (run % 2 == 0)
      fuzz_input_swarm_heaviest (c->base, &rng, FUZZ_HEAVY_TRIES, in);
    else
      fuzz_input_swarm_densest (c->base, &rng, FUZZ_DENSE_TRIES, in);
    return;
  }
  fuzz_input_swarm (c->base, &rng, in);
}

/* "invariant leader-completeness", "model linearizable", "liveness". */
static char *
failure_name (FuzzVerdict v, const char *what);

static const char *
verdict_name (FuzzVerdict v)
{
  switch (v) {
  case FUZZ_PASS: return "pass";
  case FUZZ_INVARIANT: return "invariant";
  case FUZZ_MODEL: return "model";
  case FUZZ_LIVENESS: return "liveness";
  }
  return "?";
}

/* Takes in the result of one run, in run order. */
static void
merge_job (Campaign *c, Job *j)
{
  FuzzResult *r = &j->result;
  c->n_runs++;
  guint n_new = 0;
  int64_t new_at_us = G_MAXINT64;
  double rarity = 0;
  for (guint i = 0; i < r->features->len; i++) {
    uint64_t f = g_array_index (r->features, uint64_t, i);
    guint *hits = g_hash_table_lookup (c->features, &f);
    if (hits != NULL) {
      (*hits)++;
      rarity += 1.0 / (double) *hits;
      continue;
    }
    rarity += 1.0;
    new_at_us = MIN (new_at_us, g_array_index (r->feature_times, int64_t, i));
    uint64_t *key = g_new (uint64_t, 1);
    *key = f;
    hits = g_new (guint, 1);
    *hits = 1;
    g_hash_table_insert (c->features, key, hits);
    guint family = (guint) (f >> 56);
    if (family < G_N_ELEMENTS (c->n_family))
      c->n_family[family]++;
    n_new++;
  }
  for (guint i = 0; i < r->marks->len; i++) {
    gboolean known = FALSE;
    for (guint k = 0; k < c->mark_names->len && !known; k++)
      known = strcmp (c->mark_names->pdata[k], r->marks->pdata[i]) == 0;
    if (!known)
      g_ptr_array_add (c->mark_names, r->marks->pdata[i]);
  }
  /* A run that failed only the liveness phase passed the safety phase
   * with its faults: its coverage counts as any passing run's. */
  if (n_new > 0 && c->args->strategy != STRATEGY_RANDOM
      && (r->verdict == FUZZ_PASS || r->verdict == FUZZ_LIVENESS)) {
    FuzzInput kept;
    fuzz_input_init (&kept);
    fuzz_input_copy (&kept, &j->input);
    kept.new_at_us = new_at_us;
    g_array_append_val (c->corpus, kept);
    g_array_append_val (c->corpus_runs, j->run);
    g_ptr_array_add (c->corpus_features, g_array_ref (r->features));
    g_array_append_val (c->corpus_cost, r->events);
  }
  /* Adaptive: the run's rarity (each feature it reached counts 1 / the
   * runs that reached it, so a new one counts 1), over the running mean
   * of the runs' rarity (this one's included), is the reward of each of
   * its arms. */
  if (c->args->strategy == STRATEGY_ADAPTIVE) {
    c->rarity_mean = c->n_runs == 1 ? rarity : 0.98 * c->rarity_mean + 0.02 * rarity;
    fuzz_swarm_model_learn (c->model, c->base, &j->input,
                            c->rarity_mean > 0 ? rarity / c->rarity_mean : 0);
  }
  if (j->input.parent >= 0) {
    c->mutant_runs++;
    c->mutant_new += n_new > 0;
  } else {
    c->fresh_runs++;
    c->fresh_new += n_new > 0;
  }
  c->n_undecided += r->undecided;
  c->n_by_verdict[r->verdict]++;
  if (r->verdict != FUZZ_PASS) {
    c->n_failed++;
    if (c->first_failure_run < 0)
      c->first_failure_run = (int64_t) c->n_runs;
    if (c->first_safety_run < 0 && r->verdict != FUZZ_LIVENESS)
      c->first_safety_run = (int64_t) c->n_runs;
    c->n_stopping += failure_stops (c->args, r->verdict);
    Failure *f = NULL;
    for (guint i = 0; i < c->failures->len && f == NULL; i++) {
      Failure *g = c->failures->pdata[i];
      if (strcmp (g->what, r->what) == 0)
        f = g;
    }
    if (f == NULL && c->failures->len < FUZZ_MAX_REPORTED) {
      f = g_new0 (Failure, 1);
      f->run = j->run;
      fuzz_input_init (&f->input);
      fuzz_input_copy (&f->input, &j->input);
      f->what = g_strdup (r->what);
      f->explanation = g_strdup (r->explanation);
      f->verdict = r->verdict;
      f->events = r->events;
      f->ops = r->ops;
      g_ptr_array_add (c->failures, f);
    }
    if (f != NULL)
      f->count++;
  }
  g_string_append_printf (c->runs_tsv,
                          "%" G_GUINT64_FORMAT "\t%016" G_GINT64_MODIFIER "x\t%d\t%d\t%u\t%s\t%"
                          G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%u\n",
                          j->run, j->input.seed, j->input.n_nodes, j->input.n_clients,
                          j->input.faults->len, r->verdict == FUZZ_PASS ? "pass" : r->what,
                          r->events, r->ops, r->features->len);
}

static char *
failure_name (FuzzVerdict v, const char *what)
{
  if (v == FUZZ_LIVENESS)
    return g_strdup ("liveness");
  return g_strdup_printf ("%s %s", verdict_name (v), what);
}

static void
append_configuration (GString *s, const FuzzBase *b, const FuzzInput *in)
{
  g_string_append_printf (s, "nodes %d, clients %d, safety phase ", in->n_nodes, in->n_clients);
  proto_format_duration (in->duration_us, s);
  g_string_append (s, ", liveness phase ");
  proto_format_duration (b->liveness_us, s);
  g_string_append_printf (s, ", drop %.4f, duplicate %.4f, think ", in->drop, in->duplicate);
  proto_format_duration (in->think_us, s);
  g_string_append (s, ", mix");
  static const char *const ops[] = { "read", "write", "cas", "append" };
  for (int op = 0; op < PROTO_OP__COUNT; op++)
    if (in->mix[op] > 0)
      g_string_append_printf (s, " %s:%g", ops[op], in->mix[op]);
  if (in->leader_p > 0)
    g_string_append_printf (s, ", leader-targeted %.2f", in->leader_p);
  if (in->disk_latency_us > 0) {
    g_string_append (s, ", disk latency up to ");
    proto_format_duration (in->disk_latency_us, s);
  }
  static const char *const kinds[] = { "crash", "partition", "pause", "skew", "admin" };
  g_string_append (s, ", fault kinds");
  if (in->kinds == 0)
    g_string_append (s, " none");
  for (int k = 0; k < SIM_FUZZ__KINDS; k++)
    if (in->kinds & (1u << k)) {
      guint n = 0;
      for (guint i = 0; i < in->faults->len; i++)
        n += g_array_index (in->faults, FuzzFault, i).kind == (SimFuzzKind) k;
      g_string_append_printf (s, " %s x%u", kinds[k], n);
    }
  FuzzPlan plan;
  fuzz_plan_init (&plan);
  fuzz_plan_from_input (b, in, &plan);
  for (int i = 0; i < b->n_knobs; i++)
    g_string_append_printf (s, ", %s = %s", b->cfg->fuzz.knobs[i].name, plan.knob_text[i]);
  fuzz_plan_clear (&plan);
}

static char *
expect_for (const Failure *f)
{
  switch (f->verdict) {
  case FUZZ_INVARIANT: return g_strdup_printf ("violation invariant:%s", f->what);
  case FUZZ_MODEL: return g_strdup_printf ("violation %s", f->what);
  default: return g_strdup ("any");
  }
}

static gboolean
write_file (const char *dir, const char *name, const char *text, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_set_contents (path, text, -1, error);
}

/* DIR/fail-N/: the report, the replayable scenario, its history, and the
 * shrunk scenario.  Appends the summary lines to `summary`. */
static gboolean
write_failure (Campaign *c, guint index, Failure *f, GString *summary, GError **error)
{
  const FuzzArgs *a = c->args;
  g_autofree char *name = g_strdup_printf ("fail-%u", index + 1);
  g_autofree char *dir = g_build_filename (a->out_dir, name, NULL);
  if (g_mkdir_with_parents (dir, 0777) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "cannot create %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  FuzzPlan plan;
  fuzz_plan_init (&plan);
  fuzz_plan_from_input (c->base, &f->input, &plan);
  g_autofree char *expect = expect_for (f);
  g_autofree char *broke = failure_name (f->verdict, f->what);
  g_autofree char *header = g_strdup_printf (
      "# dsim fuzz %s --seed %" G_GUINT64_FORMAT ": run %" G_GUINT64_FORMAT ", %s\n"
      "# Replays with: dsim run %s/repro.scn\n", a->scenario, a->seed, f->run, broke, dir);
  g_autofree char *text = fuzz_plan_text (c->base, &plan, expect, header);
  /* The history as the fuzzer saw it (the same run again). */
  g_autofree char *run_text = fuzz_plan_text (c->base, &plan, "any", NULL);
  FuzzResult again;
  g_autoptr (GArray) off_rule = g_array_new (FALSE, TRUE, sizeof (SimDeliveryPin));
  if (!fuzz_run_text_recording (a->scenario, run_text, plan.heal_at_us, TRUE, off_rule, &again,
                                error))
    return FALSE;
  g_assert (again.what != NULL && strcmp (again.what, f->what) == 0);

  g_autoptr (GString) rep = g_string_new (NULL);
  g_string_append_printf (rep, "dsim fuzz %s: failure %u\n", a->scenario, index + 1);
  g_string_append_printf (rep, "campaign     seed %" G_GUINT64_FORMAT ", strategy %s\n", a->seed,
                          strategy_name (a));
  g_string_append_printf (rep, "run          %" G_GUINT64_FORMAT ", world seed %" G_GUINT64_FORMAT,
                          f->run, f->input.seed);
  if (f->input.parent >= 0)
    g_string_append_printf (rep, ", mutated from run %" G_GINT64_FORMAT, f->input.parent);
  g_string_append_printf (rep, "\nconfig       ");
  append_configuration (rep, c->base, &f->input);
  g_string_append_printf (rep, "\nbroke        %s (%" G_GUINT64_FORMAT " run%s of the campaign "
                          "failed this way)\n", broke, f->count, f->count == 1 ? "" : "s");
  g_string_append (rep, "explanation  ");
  for (const char *p = again.explanation; *p != '\0'; p++) {
    g_string_append_c (rep, *p);
    if (*p == '\n' && p[1] != '\0')
      g_string_append (rep, "             ");
  }
  g_string_append_printf (rep, "\nrepro        dsim run %s/repro.scn   (%u faults, %" G_GUINT64_FORMAT
                          " operations, %" G_GUINT64_FORMAT " events)\n", dir, plan.faults->len,
                          again.ops, again.events);
  if (f->verdict == FUZZ_LIVENESS)
    g_string_append (rep, "             dsim run replays the run; the liveness verdict is the "
                     "fuzzer's\n");
  g_string_append_printf (summary, "failure %-4u run %" G_GUINT64_FORMAT ": %s (%" G_GUINT64_FORMAT
                          " run%s)\n             %s/report.txt\n", index + 1, f->run, broke,
                          f->count, f->count == 1 ? "" : "s", dir);

  if (!write_file (dir, "repro.scn", text, error)
      || !write_file (dir, "history.jsonl", again.history_jsonl, error))
    return FALSE;

  if (a->shrink_runs > 0) {
    FuzzPlan small;
    fuzz_plan_init (&small);
    fuzz_plan_copy (&small, &plan);
    gboolean is_cut_short = FALSE; /* --time bounds the shrinking too */
    guint spent = fuzz_shrink_until (c->base, &small, f->what, a->shrink_runs, c->shrink_deadline,
                                     &is_cut_short);
    g_autofree char *small_run = fuzz_plan_text (c->base, &small, "any", NULL);
    FuzzResult s;
    if (!fuzz_run_text (a->scenario, small_run, small.heal_at_us, FALSE, &s, error))
      return FALSE;
    gboolean same = s.what != NULL && strcmp (s.what, f->what) == 0;
    g_autofree char *small_header = g_strdup_printf (
        "# dsim fuzz %s --seed %" G_GUINT64_FORMAT ": run %" G_GUINT64_FORMAT " shrunk, %s\n"
        "# Replays with: dsim run %s/shrunk.scn\n", a->scenario, a->seed, f->run, broke, dir);
    g_autofree char *small_text = fuzz_plan_text (c->base, &small, expect, small_header);
    if (!write_file (dir, "shrunk.scn", small_text, error))
      return FALSE;
    g_autoptr (GString) sizes = g_string_new (NULL);
    g_string_append_printf (sizes, "faults %u -> %u, operations %" G_GUINT64_FORMAT " -> %"
                            G_GUINT64_FORMAT ", events %" G_GUINT64_FORMAT " -> %"
                            G_GUINT64_FORMAT ", nodes %d -> %d, clients %d -> %d, "
                            "deliveries off the rule %u -> %u pinned",
                            plan.faults->len, small.faults->len, again.ops, s.ops, again.events,
                            s.events, plan.n_nodes, small.n_nodes, plan.n_clients,
                            small.n_clients, off_rule->len,
                            small.has_delivery_rule ? small.deliveries->len : off_rule->len);
    g_string_append_printf (rep, "shrunk       dsim run %s/shrunk.scn   (%s; %u shrink runs)\n",
                            dir, sizes->str, spent);
    if (is_cut_short)
      g_string_append (rep, "             (shrinking was cut short by the --time limit: the "
                       "smallest run found so far)\n");
    if (!same)
      g_string_append (rep, "             (the shrunk run no longer fails the same way)\n");
    else
      g_string_append_printf (rep, "shrunk why   %.*s\n", (int) strcspn (s.explanation, "\n"),
                              s.explanation);
    g_string_append_printf (summary, "             shrunk: %s\n", sizes->str);
    fuzz_result_clear (&s);
    fuzz_plan_clear (&small);
  }
  fuzz_result_clear (&again);
  fuzz_plan_clear (&plan);
  return write_file (dir, "report.txt", rep->str, error);
}

static void
append_coverage (GString *s, guint n_features, const guint *family, GPtrArray *marks)
{
  g_string_append_printf (s, "coverage     %u features: %u marks, %u abstract states, %u "
                          "message patterns\n", n_features, family[FUZZ_FEATURE_MARK],
                          family[FUZZ_FEATURE_STATE], family[FUZZ_FEATURE_MSG]);
  g_string_append (s, "marks       ");
  if (marks->len == 0)
    g_string_append (s, " (none reached)");
  gsize start = s->len - strlen ("marks       ");
  for (guint i = 0; i < marks->len; i++) {
    const char *m = marks->pdata[i];
    if (s->len - start + strlen (m) + 2 > 78 && i > 0) {
      g_string_append (s, "\n            ");
      start = s->len - strlen ("            ");
    }
    g_string_append_printf (s, " %s%s", m, i + 1 < marks->len ? "," : "");
  }
  g_string_append_c (s, '\n');
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
compare_u64 (gconstpointer a, gconstpointer b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return x < y ? -1 : x > y;
}

static char *
coverage_text (GHashTable *features, GPtrArray *marks)
{
  g_autoptr (GString) s = g_string_new ("# dsim fuzz coverage: marks, then features (hex)\n");
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  for (guint i = 0; i < marks->len; i++)
    g_ptr_array_add (sorted, marks->pdata[i]);
  g_ptr_array_sort (sorted, compare_strings);
  for (guint i = 0; i < sorted->len; i++)
    g_string_append_printf (s, "mark %s\n", (char *) sorted->pdata[i]);
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (uint64_t));
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, features);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_array_append_val (all, *(uint64_t *) key);
  g_array_sort (all, compare_u64); /* sorted: no hash order reaches the file */
  for (guint i = 0; i < all->len; i++)
    g_string_append_printf (s, "feature %016" G_GINT64_MODIFIER "x\n",
                            g_array_index (all, uint64_t, i));
  return g_strdup (s->str);
}

static void
failure_free (gpointer data)
{
  Failure *f = data;
  fuzz_input_clear (&f->input);
  g_free (f->what);
  g_free (f->explanation);
  g_free (f);
}

static const char runs_header[] = "run\tseed\tnodes\tclients\tfaults\tverdict\tevents\tops\tfeatures\n";

static int
fuzz_campaign (const FuzzArgs *a)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FuzzBase) base = fuzz_base_load (a->scenario, &error);
  if (base == NULL)
    return cli_usage_error ("%s", error->message);
  if (g_mkdir_with_parents (a->out_dir, 0777) != 0)
    return cli_usage_error ("fuzz: --out: cannot create directory %s: %s", a->out_dir,
                            g_strerror (errno));

  Campaign c = {
    .args = a, .base = base,
    .features = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free),
    .mark_names = g_ptr_array_new (),
    .corpus = g_array_new (FALSE, TRUE, sizeof (FuzzInput)),
    .corpus_runs = g_array_new (FALSE, FALSE, sizeof (uint64_t)),
    .corpus_features = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref),
    .corpus_weight = g_array_new (FALSE, TRUE, sizeof (double)),
    .corpus_cost = g_array_new (FALSE, TRUE, sizeof (uint64_t)),
    .model = a->strategy == STRATEGY_ADAPTIVE ? g_new0 (FuzzSwarmModel, 1) : NULL,
    .failures = g_ptr_array_new_with_free_func (failure_free),
    .first_failure_run = -1,
    .first_safety_run = -1,
    .runs_tsv = g_string_new (runs_header),
  };
  Job jobs[FUZZ_BATCH];
  c.jobs = jobs;
  gboolean show = isatty (STDERR_FILENO);
  /* dsim-allow-nondeterminism: --time and the progress line are about wall
   * time; what each run does never depends on it. */
  gint64 started = g_get_monotonic_time ();
  c.deadline = a->time_us > 0 ? started + a->time_us : 0;
  uint64_t next_local = 0;
  for (;;) {
    /* This shard's runs: r = shard + k * n_shards. */
    guint n = 0;
    if (a->strategy != STRATEGY_RANDOM)
      corpus_weigh (&c);
    while (n < FUZZ_BATCH) {
      uint64_t run = (uint64_t) a->shard + (next_local + n) * (uint64_t) a->n_shards;
      if (a->runs > 0 && run >= a->runs)
        break;
      memset (&jobs[n], 0, sizeof jobs[n]);
      jobs[n].run = run;
      fuzz_input_init (&jobs[n].input);
      input_for_run (&c, run, &jobs[n].input);
      n++;
    }
    if (n == 0)
      break;
    c.n_jobs = n;
    run_batch (&c);
    for (guint i = 0; i < n; i++) {
      if (jobs[i].done && (gint) i <= c.stop_at)
        merge_job (&c, &jobs[i]);
      fuzz_result_clear (&jobs[i].result);
      fuzz_input_clear (&jobs[i].input);
    }
    next_local += n;
    /* dsim-allow-nondeterminism: wall time for --time and progress only. */
    gint64 elapsed = g_get_monotonic_time () - started;
    if (show) {
      fprintf (stderr, "\rdsim fuzz: %" G_GUINT64_FORMAT " runs (%.0f/s), %" G_GUINT64_FORMAT
               " failed, %u features, corpus %u ", c.n_runs,
               (double) c.n_runs * 1e6 / (double) MAX (elapsed, 1), c.n_failed,
               g_hash_table_size (c.features), c.corpus->len);
      fflush (stderr);
    }
    if (a->max_failures > 0 && c.n_stopping >= a->max_failures)
      break;
    if (a->time_us > 0 && elapsed >= a->time_us)
      break;
  }
  if (show)
    fputs ("\r\033[K", stderr);
  /* --time D: the failures are shrunk in what is left of D plus a quarter
   * of D, so a campaign that runs to its limit still shrinks what it
   * found, and the whole command ends within about 1.25 D. */
  if (a->time_us > 0)
    c.shrink_deadline = MAX (c.deadline, g_get_monotonic_time ()) + a->time_us / 4; /* dsim-allow-nondeterminism: --time only */

  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "seed=%" G_GUINT64_FORMAT "\n", a->seed);
  g_string_append_printf (s, "scenario     %s (%s)\n", base->cfg->name, a->scenario);
  g_string_append_printf (s, "protocol     %s\n", base->cfg->proto->name);
  fuzz_base_describe (base, s);
  g_string_append_printf (s, "strategy     %s, shard %d/%d, %d job%s\n",
                          strategy_name (a), a->shard + 1, a->n_shards,
                          a->jobs, a->jobs == 1 ? "" : "s");
  g_string_append_printf (s, "runs         %" G_GUINT64_FORMAT ": pass %" G_GUINT64_FORMAT
                          ", failed %" G_GUINT64_FORMAT " (invariant %" G_GUINT64_FORMAT
                          ", model %" G_GUINT64_FORMAT ", liveness %" G_GUINT64_FORMAT ")",
                          c.n_runs, c.n_by_verdict[FUZZ_PASS], c.n_failed,
                          c.n_by_verdict[FUZZ_INVARIANT], c.n_by_verdict[FUZZ_MODEL],
                          c.n_by_verdict[FUZZ_LIVENESS]);
  if (c.n_undecided > 0)
    g_string_append_printf (s, ", %" G_GUINT64_FORMAT " undecided (a model or the run reached a limit)", c.n_undecided);
  g_string_append_c (s, '\n');
  if (c.first_failure_run > 0)
    g_string_append_printf (s, "first fail   after %" G_GINT64_FORMAT " runs\n",
                            c.first_failure_run);
  if (c.first_safety_run > 0)
    g_string_append_printf (s, "first safety after %" G_GINT64_FORMAT " runs (invariant or model)\n",
                            c.first_safety_run);
  if (a->strategy != STRATEGY_RANDOM)
    g_string_append_printf (s, "corpus       %u runs kept for new coverage (mutants %" G_GUINT64_FORMAT
                            " of %" G_GUINT64_FORMAT ", fresh runs %" G_GUINT64_FORMAT " of %"
                            G_GUINT64_FORMAT ")\n", c.corpus->len, c.mutant_new, c.mutant_runs,
                            c.fresh_new, c.fresh_runs);
  append_coverage (s, g_hash_table_size (c.features), c.n_family, c.mark_names);
  int rc = DSIM_EXIT_OK;
  for (guint i = 0; i < c.failures->len; i++) {
    if (!write_failure (&c, i, c.failures->pdata[i], s, &error)) {
      rc = cli_usage_error ("fuzz: %s", error->message);
      break;
    }
  }
  if (c.failures->len == 0)
    g_string_append (s, "failures     none\n");
  g_autofree char *cov = coverage_text (c.features, c.mark_names);
  g_autofree char *campaign = g_strdup_printf (
      "scenario\t%s\nseed\t%" G_GUINT64_FORMAT "\nstrategy\t%s\nshard\t%d/%d\nruns\t%"
      G_GUINT64_FORMAT "\n", a->scenario, a->seed, strategy_name (a),
      a->shard + 1, a->n_shards, c.n_runs);
  if (rc == DSIM_EXIT_OK
      && (!write_file (a->out_dir, "runs.tsv", c.runs_tsv->str, &error)
          || !write_file (a->out_dir, "coverage.txt", cov, &error)
          || !write_file (a->out_dir, "campaign.tsv", campaign, &error)
          || !write_file (a->out_dir, "summary.txt", s->str, &error)))
    rc = cli_usage_error ("fuzz: %s", error->message);
  fputs (s->str, stdout);
  fflush (stdout);

  for (guint i = 0; i < c.corpus->len; i++)
    fuzz_input_clear (&g_array_index (c.corpus, FuzzInput, i));
  g_array_unref (c.corpus);
  g_array_unref (c.corpus_runs);
  g_ptr_array_unref (c.corpus_features);
  g_array_unref (c.corpus_weight);
  g_array_unref (c.corpus_cost);
  g_free (c.model);
  g_ptr_array_unref (c.failures);
  g_ptr_array_unref (c.mark_names);
  g_hash_table_unref (c.features);
  g_string_free (c.runs_tsv, TRUE);
  if (rc != DSIM_EXIT_OK)
    return rc;
  return c.n_failed > 0 ? DSIM_EXIT_VIOLATION : DSIM_EXIT_OK;
}

/* ---- Merging shards -------------------------------------------------------------------*/

/* The largest runs.tsv, coverage.txt or report.txt a merge reads. */
#define MERGE_MAX_BYTES ((gsize) 1 << 30)

/* The next line of a text (cut in place at its newline), or NULL past its
 * end: the lines g_strsplit (text, "\n", -1) gives, one at a time, without
 * an array of them all (a file of a billion empty lines). */
static char *
line_next (char **cursor)
{
  char *line = *cursor;
  if (line == NULL)
    return NULL;
  char *nl = strchr (line, '\n');
  if (nl != NULL)
    *nl = '\0';
  *cursor = nl != NULL ? nl + 1 : NULL;
  return line;
}

static int
fuzz_merge (const FuzzArgs *a, gboolean has_out)
{
  g_autoptr (GHashTable) features = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                           NULL);
  g_autoptr (GPtrArray) marks = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen_runs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                            NULL);
  g_autoptr (GString) failures = g_string_new (NULL);
  g_autoptr (GPtrArray) fail_dirs = g_ptr_array_new_with_free_func (g_free);
  guint family[4] = { 0 };
  uint64_t n_failed = 0, n_dup = 0;
  g_autoptr (GArray) dir_ids = g_array_new (FALSE, FALSE, sizeof (struct stat));
  for (guint d = 0; d < a->merge->len; d++) {
    const char *dir = a->merge->pdata[d];
    /* One directory named twice (or by two paths) is merged once: its
     * failures were listed twice. */
    struct stat st;
    gboolean seen = FALSE;
    if (stat (dir, &st) == 0) {
      for (guint k = 0; k < dir_ids->len && !seen; k++) {
        const struct stat *o = &g_array_index (dir_ids, struct stat, k);
        seen = o->st_dev == st.st_dev && o->st_ino == st.st_ino;
      }
      if (!seen)
        g_array_append_val (dir_ids, st);
    }
    if (seen)
      continue;
    g_autofree char *runs_path = g_build_filename (dir, "runs.tsv", NULL);
    g_autofree char *cov_path = g_build_filename (dir, "coverage.txt", NULL);
    g_autofree char *runs = NULL, *cov = NULL;
    g_autoptr (GError) error = NULL;
    gsize len;
    /* Through the input checks: a FIFO or /dev/zero in place of a file
     * read for ever. */
    if (!chk_read_input_file (runs_path, "runs table", MERGE_MAX_BYTES, &runs, &len, &error)
        || !chk_read_input_file (cov_path, "coverage list", MERGE_MAX_BYTES, &cov, &len, &error))
      return cli_usage_error ("fuzz: --merge: %s is not an output directory of dsim fuzz: %s",
                              dir, error->message);
    char *cursor = runs, *line;
    line = line_next (&cursor);
    if (line == NULL || strcmp (line, "run\tseed\tnodes\tclients\tfaults\tverdict\tevents\t"
                                "ops\tfeatures") != 0)
      return cli_usage_error ("fuzz: --merge: %s:1: expected the runs.tsv header of dsim fuzz",
                              runs_path);
    for (guint i = 1; (line = line_next (&cursor)) != NULL; i++) {
      if (line[0] == '\0')
        continue;
      g_auto (GStrv) cols = g_strsplit (line, "\t", 10); /* a tenth: too many */
      uint64_t run;
      if (g_strv_length (cols) != 9 || !parse_u64 (cols[0], &run))
        return cli_usage_error ("fuzz: --merge: %s:%u: expected 9 tab-separated columns "
                                "starting with a run number", runs_path, i + 1);
      if (g_hash_table_contains (seen_runs, &run)) {
        n_dup++;
        continue;
      }
      uint64_t *key = g_new (uint64_t, 1);
      *key = run;
      g_hash_table_add (seen_runs, key);
      g_ptr_array_add (rows, g_strdup (line));
      n_failed += strcmp (cols[5], "pass") != 0;
    }
    cursor = cov;
    while ((line = line_next (&cursor)) != NULL) {
      if (g_str_has_prefix (line, "mark ")) {
        gboolean known = FALSE;
        for (guint k = 0; k < marks->len && !known; k++)
          known = strcmp (marks->pdata[k], line + 5) == 0;
        if (!known)
          g_ptr_array_add (marks, g_strdup (line + 5));
      } else if (g_str_has_prefix (line, "feature ")) {
        uint64_t f = g_ascii_strtoull (line + 8, NULL, 16);
        if (!g_hash_table_contains (features, &f)) {
          uint64_t *key = g_new (uint64_t, 1);
          *key = f;
          g_hash_table_add (features, key);
          if ((f >> 56) < 4)
            family[f >> 56]++;
        }
      }
    }
    for (guint k = 1;; k++) {
      g_autofree char *name = g_strdup_printf ("fail-%u", k);
      g_autofree char *fdir = g_build_filename (dir, name, NULL);
      g_autofree char *report = g_build_filename (fdir, "report.txt", NULL);
      g_autofree char *text = NULL;
      if (!g_file_test (report, G_FILE_TEST_EXISTS))
        break;
      if (!chk_read_input_file (report, "failure report", MERGE_MAX_BYTES, &text, &len, &error))
        return cli_usage_error ("fuzz: --merge: %s", error->message);
      const char *broke = "";
      for (char *rcursor = text, *rl; (rl = line_next (&rcursor)) != NULL;)
        if (g_str_has_prefix (rl, "broke "))
          broke = g_strstrip (rl + 6);
      g_string_append_printf (failures, "failure %-4u %s\n             %s\n", fail_dirs->len + 1,
                              broke, report);
      g_ptr_array_add (fail_dirs, g_steal_pointer (&fdir));
    }
  }
  /* Rows in run order: (run, row) pairs sorted by run. */
  g_autoptr (GString) tsv = g_string_new (runs_header);
  g_autoptr (GArray) pairs = g_array_new (FALSE, FALSE, sizeof (uint64_t) * 2);
  for (guint i = 0; i < rows->len; i++) {
    uint64_t p[2] = { g_ascii_strtoull (rows->pdata[i], NULL, 10), i };
    g_array_append_val (pairs, p);
  }
  g_array_sort (pairs, compare_u64);
  for (guint i = 0; i < pairs->len; i++) {
    const uint64_t *p = (const uint64_t *) (void *) (pairs->data + i * sizeof (uint64_t) * 2);
    g_string_append_printf (tsv, "%s\n", (char *) rows->pdata[p[1]]);
  }
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "merged       %u director%s\n", dir_ids->len,
                          dir_ids->len == 1 ? "y" : "ies");
  g_string_append_printf (s, "runs         %u: pass %" G_GUINT64_FORMAT ", failed %"
                          G_GUINT64_FORMAT "\n", rows->len, (uint64_t) rows->len - n_failed,
                          n_failed);
  if (n_dup > 0)
    g_string_append_printf (s, "overlap      %" G_GUINT64_FORMAT " runs appear in more than one "
                            "directory (counted once)\n", n_dup);
  append_coverage (s, g_hash_table_size (features), family, marks);
  g_string_append (s, failures->len > 0 ? failures->str : "failures     none\n");
  if (has_out) {
    g_autoptr (GError) error = NULL;
    if (g_mkdir_with_parents (a->out_dir, 0777) != 0)
      return cli_usage_error ("fuzz: --out: cannot create directory %s: %s", a->out_dir,
                              g_strerror (errno));
    g_autofree char *cov = coverage_text (features, marks);
    if (!write_file (a->out_dir, "runs.tsv", tsv->str, &error)
        || !write_file (a->out_dir, "coverage.txt", cov, &error)
        || !write_file (a->out_dir, "summary.txt", s->str, &error))
      return cli_usage_error ("fuzz: %s", error->message);
  }
  fputs (s->str, stdout);
  return n_failed > 0 ? DSIM_EXIT_VIOLATION : DSIM_EXIT_OK;
}

int
cmd_fuzz_main (int argc, char **argv)
{
  g_autoptr (GPtrArray) merge = g_ptr_array_new ();
  FuzzArgs a = { .merge = merge };
  int rc = parse_args (argc, argv, &a);
  if (rc >= 0)
    return rc;
  a.jobs = cli_threads_that_fit (a.jobs); /* within a ulimit -v */
  if (merge->len > 0) {
    gboolean has_out = FALSE;
    for (int i = 1; i < argc; i++)
      has_out |= g_str_has_prefix (argv[i], "--out");
    return fuzz_merge (&a, has_out);
  }
  return fuzz_campaign (&a);
}
