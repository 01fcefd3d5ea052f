/* fuzz.h: one fuzz run, from its configuration to its verdict, and the
 * shrinker that reduces a failing run.
 *
 * A campaign (cli/cmd_fuzz.c) draws a FuzzInput per run: the swarm of knobs
 * (cluster size, clients, operation mix, message loss, duration) and an
 * explicit fault schedule, derived from the scenario and its [fuzz] ranges
 * (Groce et al., "Swarm Testing", ISSTA 2012), or mutated from an earlier
 * run that reached new coverage.  The input becomes a FuzzPlan and the plan
 * becomes scenario text: the base scenario with the run's keys rewritten.
 * That text is parsed and run, so `dsim run repro.scn` replays the very
 * run the fuzzer checked.
 *
 * Each run has two phases, as in TigerBeetle's simulator: a safety phase
 * with faults, then at heal_at_us every fault is healed (partitions healed,
 * paused nodes resumed, crashed nodes restarted, clocks reset) and the
 * liveness phase demands that client operations complete again.
 *
 * Everything here is deterministic: the same base scenario and input give
 * the same run, verdict and coverage on every machine and thread. */
#pragma once

#include "sim/config.h"

/* One fault of a generated schedule, before it becomes SimFault entries. */
typedef struct {
  SimFuzzKind kind;
  int64_t at_us;
  int64_t for_us;   /* crash, partition, pause: how long it lasts */
  int node;         /* crash, pause, skew */
  uint32_t mask;    /* partition: bit n set: node n on side 1 */
  int64_t skew_us;  /* skew: the clock offset */
  gboolean is_leader; /* crash, pause, partition: of the leader when it fires */
  int command;      /* admin: index into the base's admin commands */
} FuzzFault;

/* Byzantine nodes of the base schedule whose behaviour the swarm varies
 * ([fuzz] byzantine); later ones keep the scenario's. */
#define FUZZ_MAX_BYZANTINE 8

/* What the swarm chose for one run. */
typedef struct {
  uint64_t seed;            /* the world's run seed */
  int n_nodes, n_clients;
  int64_t duration_us;      /* safety phase */
  double drop, duplicate;
  double mix[PROTO_OP__COUNT];
  int64_t think_us;         /* clients' pause between operations */
  double leader_p;          /* chance a crash, pause or partition targets the leader */
  int64_t disk_latency_us;  /* longest sync (the shortest is a quarter); 0: at once */
  unsigned kinds;           /* fault kinds switched on (1 << SimFuzzKind) */
  int64_t for_us[SIM_FUZZ__KINDS]; /* this run's typical length of each kind */
  GArray *faults;           /* FuzzFault, by time */
  int64_t knob[SIM_FUZZ_MAX_KNOBS]; /* [fuzz] knobs: the value (range) or its index (list) */
  uint8_t byzantine[FUZZ_MAX_BYZANTINE]; /* each scheduled Byzantine node's behaviour (index
                                            into the base's byzantine list) */
  int64_t parent;           /* the corpus run it was mutated from; -1: fresh swarm */
  int origin;               /* FuzzOrigin: how it was made */
  int64_t new_at_us;        /* corpus entries: when the run first reached coverage
                               no earlier run had (mutations work after it) */
} FuzzInput;

/* How a run's input was made. */
typedef enum {
  FUZZ_ORIGIN_SWARM,        /* a fresh swarm draw */
  FUZZ_ORIGIN_PREFIX,       /* the parent's seed and faults up to its new coverage, then changed */
  FUZZ_ORIGIN_SCHEDULE,     /* the parent's faults changed anywhere */
  FUZZ_ORIGIN_CONFIG,       /* the parent's swarm configuration changed */
  FUZZ_ORIGIN_SPLICE,       /* two corpus entries spliced */
  FUZZ_ORIGIN__COUNT
} FuzzOrigin;

void fuzz_input_init (FuzzInput *in);
void fuzz_input_clear (FuzzInput *in);
void fuzz_input_copy (FuzzInput *dst, const FuzzInput *src);

/* The campaign's view of the base scenario: its config and text. */
typedef struct {
  SimConfig *cfg;           /* the parsed base scenario (owned) */
  char *text;               /* its text (owned) */
  int64_t liveness_us;      /* heal-all phase length */
  /* Swarm bounds, from [fuzz] or derived from the scenario. */
  int nodes_min, nodes_max, clients_min, clients_max;
  int64_t duration_min_us, duration_max_us;
  unsigned kinds;
  double rate_min[SIM_FUZZ__KINDS], rate_max[SIM_FUZZ__KINDS];
  int64_t for_min_us[SIM_FUZZ__KINDS], for_max_us[SIM_FUZZ__KINDS];
  double drop_min, drop_max, duplicate_min, duplicate_max;
  int64_t think_min_us, think_max_us;
  double leader_min, leader_max;
  int64_t disk_latency_min_us, disk_latency_max_us;
  GStrv admin_commands;     /* NULL: none */
  int admin_burst_min, admin_burst_max; /* commands per operator event */
  GStrv byzantine;          /* behaviours the scheduled Byzantine nodes take; NULL: the
                               scenario's */
  int n_byzantine;          /* how many of the schedule's Byzantine faults vary */
  /* Protocol knobs the swarm varies ([fuzz] PROTOCOL.KNOB). */
  int n_knobs;
  const ProtoKnob *knob[SIM_FUZZ_MAX_KNOBS];
  int64_t knob_lo[SIM_FUZZ_MAX_KNOBS], knob_hi[SIM_FUZZ_MAX_KNOBS]; /* ranges */
  GStrv knob_values[SIM_FUZZ_MAX_KNOBS];                           /* lists */
} FuzzBase;

/* Reads the scenario and works out the swarm bounds.  Bad file or bad
 * [fuzz]: NULL and an error naming file and line. */
FuzzBase *fuzz_base_load (const char *path, GError **error);
void fuzz_base_free (FuzzBase *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FuzzBase, fuzz_base_free)
/* The bounds in words, one line each, for the campaign summary. */
void fuzz_base_describe (const FuzzBase *b, GString *out);

/* A fresh swarm configuration, from rng alone. */
void fuzz_input_swarm (const FuzzBase *b, Pcg32 *rng, FuzzInput *out);
/* Mutates a copy of a corpus input: moves, adds, drops or re-targets
 * faults, or adds a burst of short faults within 100ms, and keeps or
 * redraws the world seed; or mutates the swarm configuration (a fault
 * kind on or off, a storm of more faults of a kind, cluster size, smaller
 * two times in three, duration, loss, workload, a knob).  Half the time it keeps the seed and changes only
 * faults after parent->new_at_us: the run then follows its parent exactly
 * up to the new coverage and explores from there. */
void fuzz_input_mutate (const FuzzBase *b, Pcg32 *rng, const FuzzInput *parent, FuzzInput *out);
/* Splices two corpus inputs: first's configuration and seed, its faults
 * before a random cut and second's faults after it. */
void fuzz_input_splice (const FuzzBase *b, Pcg32 *rng, const FuzzInput *first,
                        const FuzzInput *second, FuzzInput *out);

/* The adaptive swarm (fuzz_adapt.c).  A run's configuration read as arms,
 * one value per dimension: cluster size, clients, the number of faults,
 * each fault kind's count and typical length, loss, duplication,
 * leader-aimed faults, slow disks, duration, think time, each operation
 * of the mix, each knob, each Byzantine behaviour (FUZZ_ARM_NONE: the
 * dimension does not vary in this campaign). */
#define FUZZ_ARM_DIMS 48
#define FUZZ_ARM_VALUES 8
#define FUZZ_ARM_NONE 0xff
guint fuzz_input_arms (const FuzzBase *b, const FuzzInput *in, uint8_t *arms);
/* Each arm's runs and their summed reward, and the campaign's. */
typedef struct {
  double sum[FUZZ_ARM_DIMS][FUZZ_ARM_VALUES];
  double n[FUZZ_ARM_DIMS][FUZZ_ARM_VALUES];
  double total_sum, total_n;
} FuzzSwarmModel;
/* Counts a run with this input and reward toward each of its arms. */
void fuzz_swarm_model_learn (FuzzSwarmModel *m, const FuzzBase *b, const FuzzInput *in,
                             double reward);
/* The reward the model expects of an input, above the campaign's mean
 * (an additive model: each arm's smoothed mean minus the mean, summed). */
double fuzz_swarm_model_predict (const FuzzSwarmModel *m, const FuzzBase *b,
                                 const FuzzInput *in);
/* The best of `tries` fresh swarm draws by the model's prediction (the
 * first on a tie); tries = 1 is fuzz_input_swarm. */
void fuzz_input_swarm_guided (const FuzzBase *b, Pcg32 *rng, const FuzzSwarmModel *m, int tries,
                              FuzzInput *out);

/* The most fault-heavy of `tries` fresh swarm draws: the one with the
 * most faults in its schedule (the first on a tie); tries = 1 is
 * fuzz_input_swarm. */
void fuzz_input_swarm_heaviest (const FuzzBase *b, Pcg32 *rng, int tries, FuzzInput *out);

/* The densest in faults of `tries` fresh swarm draws: the one with the
 * most faults per square root of its safety phase's duration (the first
 * on a tie); tries = 1 is fuzz_input_swarm. */
void fuzz_input_swarm_densest (const FuzzBase *b, Pcg32 *rng, int tries, FuzzInput *out);

/* A run as the shrinker sees it: the knobs and the SimFault schedule. */
typedef struct {
  uint64_t seed;
  int n_nodes, n_clients;
  int64_t ops;              /* total client operations; 0: until the end */
  int64_t heal_at_us;       /* start of the liveness phase; -1: none */
  int64_t duration_us;      /* the whole run */
  double drop, duplicate;
  double mix[PROTO_OP__COUNT];
  int64_t think_us;         /* -1: as the scenario says */
  GArray *faults;           /* SimFault, by time, endpoints numbered for n_nodes */
  gboolean reset_skew;      /* the heal also resets clocks */
  int64_t disk_latency_min_us, disk_latency_max_us; /* 0: syncs complete at once */
  char knob_text[SIM_FUZZ_MAX_KNOBS][48]; /* the [fuzz] knobs' values for this run */
  gboolean has_delivery_rule; /* write [deliveries]: rule = fixed and the pins */
  GArray *deliveries;       /* SimDeliveryPin, by send */
} FuzzPlan;

void fuzz_plan_init (FuzzPlan *p);
void fuzz_plan_clear (FuzzPlan *p);
void fuzz_plan_copy (FuzzPlan *dst, const FuzzPlan *src);
/* Renumbers a fault from a cluster of old_n nodes to one of new_n nodes and
 * new_clients clients (client endpoints follow the nodes).  FALSE if it
 * names an endpoint that is gone, or a partition that no longer splits. */
gboolean fuzz_fault_remap (const SimFault *f, int old_n, int new_n, int new_clients,
                           SimFault *out);
void fuzz_plan_from_input (const FuzzBase *b, const FuzzInput *in, FuzzPlan *out);

/* The scenario text of a plan: the base text with [scenario] seed, duration
 * and expect, [cluster] nodes, [network] drop and duplicate, [workload]
 * clients, mix and ops rewritten and the whole [faults] section replaced by
 * the explicit schedule.  header: comment lines put first (may be NULL).
 * (transfer full) */
char *fuzz_plan_text (const FuzzBase *b, const FuzzPlan *p, const char *expect,
                      const char *header);

typedef enum {
  FUZZ_PASS,
  FUZZ_INVARIANT, /* a protocol invariant broke (or time stopped moving) */
  FUZZ_MODEL,     /* the history violates a [check] model */
  FUZZ_LIVENESS,  /* after the heal, operations did not complete */
} FuzzVerdict;

typedef struct {
  FuzzVerdict verdict;
  char *what;           /* "leader-completeness", "linearizable", "liveness"; NULL: pass */
  char *explanation;    /* the checker's words */
  gboolean undecided;   /* a model check, or the run itself, reached its limit
                           (counted, not a failure) */
  uint64_t events, ops;
  int64_t end_us;       /* virtual time the run ended at */
  GArray *features;     /* uint64_t coverage features, sorted, unique */
  GArray *feature_times; /* int64_t: virtual time each was first reached */
  GPtrArray *marks;     /* coverage mark names reached (static strings) */
  char *history_jsonl;  /* the history, when asked for */
} FuzzResult;

void fuzz_result_clear (FuzzResult *r);

/* Coverage feature families (the top byte of each feature). */
enum {
  FUZZ_FEATURE_MARK = 1,    /* a coverage mark, and how often it was reached
                               (AFL's hit-count buckets) */
  FUZZ_FEATURE_STATE = 2,   /* an abstract cluster state: each node's role and
                               where each field stands among the others' (and
                               how far below the highest, bucketed), numbers
                               left out; and how often nodes entered each role
                               (bucketed) */
  FUZZ_FEATURE_MSG = 3,     /* a pattern of message kinds: the kind a node
                               received after the kind it received before,
                               by its role, and by its standing (its role and
                               where its first field stands among the
                               others') */
};

/* How coverage reads one node's state as the protocol's format_state
 * writes it: its role (the first word with its numbers left out, with
 * any bare word not followed by a number, such as PBFT's "primary") and
 * up to max numeric fields, each a key (its name: the text before "=",
 * or the bare word before the number, and its place among that name's
 * numbers) and a value.  Node names ("vote=n2") are no fields.  Returns
 * the number of fields. */
guint fuzz_state_fields (const char *state, uint64_t *role, uint64_t *keys, int64_t *values,
                         guint max);

/* Parses text (as produced by fuzz_plan_text), runs it and judges it.
 * heal_at_us >= 0 turns the liveness check on.  keep_history: fill
 * r->history_jsonl.  FALSE (and error) only if the text does not parse. */
gboolean fuzz_run_text (const char *name, const char *text, int64_t heal_at_us,
                        gboolean keep_history, FuzzResult *r, GError **error);
/* The same, and appends to `deliveries` (SimDeliveryPin) the fate of every
 * message that left the fixed delivery rule (sim_world_record_deliveries). */
gboolean fuzz_run_text_recording (const char *name, const char *text, int64_t heal_at_us,
                                  gboolean keep_history, GArray *deliveries, FuzzResult *r,
                                  GError **error);

/* Shrinking (delta debugging, Zeller and Hildebrandt 2002): reduces the
 * plan's fault schedule, cluster size, clients, operations and duration
 * while the run still fails with the same `what`; then pins the message
 * deliveries: the run's deliveries that leave the fixed rule (a latency
 * other than the link's minimum, a loss, a copy) are recorded and pinned,
 * and delta debugging removes pins while the run still fails.  The plan
 * then has the delivery rule on and the pins left.  At most max_runs runs,
 * half of them for the deliveries.  Returns the number of runs spent;
 * *plan is replaced by the smallest failing plan found. */
guint fuzz_shrink (const FuzzBase *b, FuzzPlan *plan, const char *what, guint max_runs);
/* fuzz_shrink that starts no run after deadline_us (a monotonic time, as
 * `dsim fuzz --time` sets; 0: none): *plan is then the smallest failing
 * plan found so far, and *is_cut_short (may be NULL) says whether the
 * deadline ended the shrinking. */
guint fuzz_shrink_until (const FuzzBase *b, FuzzPlan *plan, const char *what, guint max_runs,
                         gint64 deadline_us, gboolean *is_cut_short);
