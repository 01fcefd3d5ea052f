/* explore.h: `dsim explore`, an explicit-state model checker over the real
 * protocol code.
 *
 * The explorer drives the same SimWorld as the simulator, one choice at a
 * time (sim_world_enabled, sim_world_apply), but instead of picking the
 * earliest choice it tries every one: deliver any message in flight, drop or
 * duplicate it (within budgets), fire any armed timeout, crash or restart a
 * node (within budgets), start a client operation (within a budget per
 * client).  Time plays no part in what is enabled: messages arrive in any
 * order and timeouts fire whenever the explorer says so, which covers every
 * timing the simulator could produce and more.
 *
 * A state is identified by a fingerprint of the world's canonical digest
 * (sim_world_digest), the protocol's ghost (what its invariants remember),
 * the client history as a sequence of events without times (what
 * linearizability depends on) and the budgets used so far.  Fingerprints
 * are 64 bits by default (a missed state is possible, with the probability
 * printed, as TLC does) or 128.
 *
 * Breadth first prunes choices with sleep sets (partial-order reduction
 * over deliveries to different nodes and client events; bounds.por): the
 * same states are found with fewer choices tried.  With bounds.from_replay
 * every path starts with the scenario's [replay] choices (a directed
 * search).
 *
 * Checks: the protocol's invariants after every step (the world runs them),
 * linearizability of the history whenever an operation completes (when the
 * scenario's [check] models lists linearizable), and deadlocks: operations
 * pending and nothing enabled.
 *
 * Paths are lists of choices: a counterexample is written as a scenario
 * with a [replay] section that `dsim run` replays choice by choice. */
#pragma once

#include "sim/config.h"
#include "sim/world.h"

/* ---- The explore model of a scenario --------------------------------------
 *
 * The explorer owns message order, loss and duplication, and the fault
 * choices: in the config it explores (and replays) the network is
 * reliable with zero latency ([network] latency, drop, duplicate, reorder,
 * bandwidth and [link] overrides are ignored), random faults and torn
 * writes are off, the
 * run has no end time and the workload has no total count (the budget per
 * client bounds it).  The [faults] schedule stays: each entry is one more
 * choice, enabled from the start. */
void sim_explore_config_prepare (SimConfig *cfg);

/* ---- Choices in words -----------------------------------------------------
 *
 *   start n1            deliver m4 to n2      drop m4 to n2
 *   duplicate m4 to n2  timeout n3            timeout c1
 *   invoke c1 #1        attempt-timeout c1 #16777216
 *   retry c1 #16777217  op-timeout c1 #1      fault #2
 *   crash n2            restart n2
 * (the # numbers are the choice's id: an operation number, an attempt tag
 * (operation << 24 | attempt), a fault number from 1). */
void sim_pinned_format (const SimConfig *cfg, const SimPinnedChoice *c, GString *out);
/* Parses one choice; FALSE with a message saying what was expected. */
gboolean sim_pinned_parse (const SimConfig *cfg, const char *text, SimPinnedChoice *out,
                           GString *error);
void sim_pinned_of_choice (const SimChoice *c, SimPinnedChoice *out);

/* Applies cfg->replay to w (built from cfg with sim_explore_config_prepare
 * applied): FALSE, and *error names the scenario line, if a choice is not
 * enabled when its turn comes.  Stops early if an invariant breaks.  Then
 * call sim_world_finish. */
gboolean sim_world_replay (SimWorld *w, GError **error);

/* ---- Searching ------------------------------------------------------------*/

typedef struct SimExploreStats SimExploreStats;

typedef struct {
  SimExploreConfig bounds;   /* from [explore], flags applied on top */
  int threads;               /* worker threads (BFS and random walks); >= 1 */
  int shard_index, shard_count; /* this shard of shard_count (1/1: all) */
  uint64_t max_memory_bytes; /* 0: no bound */
  uint64_t seed;             /* random walks */
  /* Called about every 100000 states from the searching thread (progress
   * display); NULL: none. */
  void (*progress) (const SimExploreStats *stats, void *data);
  void *progress_data;
  /* Breadth first: called from the main thread with the fingerprint of
   * every new distinct state, in order (tests compare the states two
   * searches found); NULL: none. */
  void (*on_state) (uint64_t fingerprint, void *data);
  void *on_state_data;
  /* Breadth first: where temporary files go (NULL: $TMPDIR, or /tmp),
   * and the bytes each sort of a level holds before it spills a run to
   * them (0: chosen as the search grows). */
  const char *tmp_dir;
  uint64_t buffer_bytes;
  /* A time limit, kept outside the worlds: expired() is asked between
   * rounds of states (from any searching thread) and TRUE ends the search
   * unknown, the reason naming timeout_us.  NULL: none. */
  gboolean (*expired) (void *data);
  void *expired_data;
  int64_t timeout_us;
} SimExploreOptions;

struct SimExploreStats {
  uint64_t generated;        /* states reached by a choice, counting repeats */
  uint64_t distinct;         /* different fingerprints */
  int depth;                 /* deepest level completely explored */
  int depth_reached;         /* deepest path tried */
  uint64_t memory_bytes;     /* peak bytes of the search structures */
  uint64_t disk_bytes;       /* written to temporary files (breadth first) */
  uint64_t lin_checks;       /* histories checked for linearizability */
  uint64_t slept;            /* choices the partial-order reduction did not
                                try (breadth first with por) */
  gboolean is_reduced;       /* the partial-order reduction was on */
  double missed_probability; /* that a fingerprint collision hid a state */
  gboolean is_complete;      /* every state within the bounds was explored */
  /* Breadth first, for a progress display during a level: the states of
   * depth `depth` being expanded (0 between levels) and how many of them
   * are done.  The level's new children join distinct only at its end,
   * once duplicates among them are removed. */
  uint64_t level_states, level_done;
};

typedef enum {
  SIM_EXPLORE_PASS,      /* no violation within the bounds */
  SIM_EXPLORE_VIOLATION, /* a path to one is in .path */
  SIM_EXPLORE_UNKNOWN,   /* a limit was reached (why in .what) */
} SimExploreVerdict;

typedef struct {
  SimExploreVerdict verdict;
  SimExploreStats stats;
  /* Violation: "invariant: <the protocol's explanation>",
   * "linearizable: <why>" or "deadlock: <who waits>".  Unknown: the limit.
   * Pass: NULL. */
  char *what;
  GArray *path;              /* SimPinnedChoice from the start (violation) */
} SimExploreResult;

void sim_explore_options_init (SimExploreOptions *opt, const SimConfig *cfg);
/* Explores cfg (sim_explore_config_prepare is applied to a copy). */
SimExploreResult *sim_explore_run (const SimConfig *cfg, const SimExploreOptions *opt);
void sim_explore_result_free (SimExploreResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimExploreResult, sim_explore_result_free)

/* The probability that a search with this many distinct and generated
 * states missed a state through a fingerprint collision (TLC's optimistic
 * estimate: distinct * (generated - distinct) / 2^bits). */
double sim_explore_missed_probability (uint64_t distinct, uint64_t generated, int bits);
