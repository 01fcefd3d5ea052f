/* config.h: everything that defines one simulated run.
 *
 * A SimConfig is what a scenario file says (sim/scenario.h parses it) and
 * what SimWorld is built from (sim/world.h).  It is plain data: the world
 * copies what it needs and never keeps a pointer into it. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "protocols/protocol.h"

#define SIM_MAX_CLIENTS 128
#define SIM_MAX_KEYS 64

typedef enum {
  SIM_EXPECT_ANY,       /* no expectation stated */
  SIM_EXPECT_PASS,      /* every check must pass */
  SIM_EXPECT_VIOLATION, /* expect_what must break */
} SimExpect;

typedef enum {
  SIM_LATENCY_UNIFORM,  /* uniform in [min, max] */
  SIM_LATENCY_LONGTAIL, /* min + Pareto tail (shape `tail_alpha`), capped at max;
                           median near `median` */
} SimLatencyDist;

/* How one direction of a link behaves.  The [network] section sets the
 * default; per-link overrides replace fields for a (from, to) pair. */
typedef struct {
  SimLatencyDist dist;
  int64_t latency_min_us;
  int64_t latency_max_us;
  int64_t latency_median_us; /* LONGTAIL only */
  double tail_alpha;         /* LONGTAIL only, > 0 */
  double drop;               /* probability a message is lost */
  double duplicate;          /* probability a message is delivered twice */
  double reorder;            /* probability a message is held back by an
                                extra delay up to reorder_window_us */
  int64_t reorder_window_us;
  int64_t bandwidth_bytes_per_s; /* 0: unlimited */
  double corrupt;            /* probability a bit of a message flips in
                                flight; the receiver's transport checksum
                                catches it and the message is lost */
} SimLinkConfig;

typedef struct {
  int from, to;         /* endpoints; -1 matches any */
  SimLinkConfig link;
} SimLinkOverride;

/* A partition group number; -1: not cut.  Wide enough for one group per
 * endpoint (up to PROTO_MAX_ENDPOINTS), so many groups never wrap. */
typedef int16_t SimGroupId;

typedef enum {
  SIM_FAULT_PARTITION,  /* groups: nodes in different groups cannot talk */
  SIM_FAULT_ONEWAY,     /* messages from `from` to `to` are lost, not back */
  SIM_FAULT_HEAL,       /* all partitions and one-way cuts removed; with
                           is_heal_loss, message loss and duplication instead */
  SIM_FAULT_CRASH,      /* node loses volatile state and stops */
  SIM_FAULT_RESTART,    /* crashed node starts again (PROTO_EV_START) */
  SIM_FAULT_PAUSE,      /* node handles nothing; messages queue up */
  SIM_FAULT_RESUME,
  SIM_FAULT_SKEW,       /* node's clock offset (skew_us) and drift (ppm) */
  SIM_FAULT_BYZANTINE,  /* node's outbox rewritten by `behaviour` */
  SIM_FAULT_CORRUPT,    /* `bits` bits flip in the node's durable image */
  SIM_FAULT_ADMIN,      /* an operator's command (`behaviour`: "add n4")
                           to every node that is up (vt->admin) */
} SimFaultKind;

/* SimFault.node of a role-aware fault: whichever node leads when it fires. */
#define SIM_NODE_LEADER (-2)

/* One entry of the timed fault schedule. */
typedef struct {
  int64_t at_us;
  SimFaultKind kind;
  /* PARTITION: group[i] = group number of endpoint i (nodes and clients;
   * clients not listed follow group 0 -1 meaning "not cut").  ONEWAY: from, to.
   * CRASH / RESTART / PAUSE / RESUME / SKEW / BYZANTINE: node. */
  SimGroupId group[PROTO_MAX_ENDPOINTS];
  int from, to;
  int node;
  int64_t skew_us;
  int64_t drift_ppm;
  char behaviour[32];
  int bits;      /* CORRUPT: how many bits flip (at least 1) */
  /* node == SIM_NODE_LEADER (CRASH, PAUSE, and PARTITION with
   * is_isolate_leader): the node is the leader when the fault fires
   * (vt->leader_term), and for_us > 0 ends the fault (restart, resume,
   * heal) that long after. */
  gboolean is_isolate_leader;
  gboolean is_heal_loss; /* HEAL: "heal loss", every link's drop and duplicate to 0 */
  int64_t for_us;
  uint32_t line; /* scenario line, for messages */
} SimFault;

/* Random faults (fuzzing): events per simulated second, and how long each
 * lasts. */
typedef struct {
  double crash_per_s;
  int64_t crash_down_us;     /* restart after this long */
  double partition_per_s;
  int64_t partition_us;      /* heal after this long */
  double pause_per_s;
  int64_t pause_us;
  double skew_per_s;
  int64_t skew_max_us;
  double corrupt_per_s;      /* a bit flips in a random node's durable image */
  double byzantine_per_s;    /* a correct node turns Byzantine (random behaviour) */
  int64_t byzantine_max;     /* ... while fewer than this many are */
} SimRandomFaults;

/* The nodes' disks (sim/storage.c).  A node's persist region becomes
 * durable only when a step asks for it (proto_outbox_sync); a crash restarts
 * the node from its durable image. */
typedef struct {
  int64_t disk_latency_min_us; /* a sync takes uniform(min, max); 0: at once */
  int64_t disk_latency_max_us;
  double torn_writes;          /* probability a crash after unsynced changes
                                  leaves a mix of old and new sectors */
} SimStorageConfig;

typedef struct {
  int n_clients;
  int64_t ops;              /* total operations to invoke (0: until duration) */
  int n_keys;
  char key_names[SIM_MAX_KEYS][16];
  double mix[PROTO_OP__COUNT];  /* weights of read, write, cas, append */
  /* levels: per operation kind, the consistency levels (bit (1 << ProtoLevel))
   * each operation draws one of, uniformly; 0: the protocol's knobs. */
  unsigned levels[PROTO_OP__COUNT];
  int64_t think_us;         /* pause between a client's operations */
  double rate_per_s;        /* if > 0: target total rate instead of think time */
  int64_t op_timeout_us;    /* after this the operation is recorded as info */
  int64_t attempt_timeout_us; /* resend if no answer after this long */
  int max_retries;          /* resends per operation (0: none) */
  int64_t backoff_base_us;  /* retry n waits uniform(0, min(cap, base*2^n)) */
  int64_t backoff_cap_us;
  gboolean idempotency;     /* attempts carry the same (client, seq) key */
  int64_t start_us;         /* clients start after this */
  int64_t stop_us;          /* clients start no operation at or after this
                               (0: until the end) */
} SimWorkloadConfig;

/* The [fuzz] section: the ranges `dsim fuzz` draws each run's
 * configuration from (swarm testing).  Unset fields (has_* FALSE, 0) mean
 * "derived from the rest of the scenario".  Plain data: copied by value. */
#define SIM_FUZZ_MAX_KNOBS 8
/* The liveness phase of a fuzz run without [fuzz] liveness. */
#define SIM_FUZZ_DEFAULT_LIVENESS_US (3 * G_USEC_PER_SEC)
/* The longest [scenario] duration, so the longest fuzz run too. */
#define SIM_MAX_DURATION_US ((int64_t) 24 * 3600 * G_USEC_PER_SEC)

typedef enum {
  SIM_FUZZ_CRASH,
  SIM_FUZZ_PARTITION,
  SIM_FUZZ_PAUSE,
  SIM_FUZZ_SKEW,
  SIM_FUZZ_ADMIN,       /* an operator's command ([fuzz] admin_commands) */
  SIM_FUZZ__KINDS
} SimFuzzKind;

typedef struct {
  gboolean has_section;
  uint32_t line;                      /* of the [fuzz] header, for messages */
  int nodes_min, nodes_max;           /* 0: derived from [cluster] nodes */
  int clients_min, clients_max;       /* 0: derived from [workload] clients */
  int64_t duration_min_us, duration_max_us; /* safety phase; 0: [scenario] duration */
  int64_t liveness_us;                /* heal-all phase; 0: the default (3s) */
  unsigned kinds;                     /* bit (1 << SimFuzzKind) the swarm may switch on */
  gboolean has_kinds;                 /* FALSE: the kinds with a random.* rate */
  gboolean has_rate[SIM_FUZZ__KINDS];
  double rate_min[SIM_FUZZ__KINDS], rate_max[SIM_FUZZ__KINDS]; /* per second */
  gboolean has_for[SIM_FUZZ__KINDS];  /* how long it lasts (skew: the largest offset) */
  int64_t for_min_us[SIM_FUZZ__KINDS], for_max_us[SIM_FUZZ__KINDS];
  gboolean has_drop, has_duplicate;
  double drop_min, drop_max, duplicate_min, duplicate_max;
  int64_t think_min_us, think_max_us; /* clients' pause between operations; 0: [workload] */
  /* Probability that a crash, pause or partition targets the leader
   * (crash leader, pause leader, isolate leader). */
  gboolean has_leader;
  double leader_min, leader_max;
  /* The disks' sync latency ([faults] disk_latency) each run draws. */
  gboolean has_disk_latency;
  int64_t disk_latency_min_us, disk_latency_max_us;
  /* Operator commands of admin faults, '|'-separated ("add | remove"); each
   * fault gives one of them followed by a random node ("add n4"). */
  char admin_commands[96];
  /* How many commands one operator event gives (a script adding two
   * servers, replacing one): 1..1 unless [fuzz] admin_burst says. */
  int admin_burst_min, admin_burst_max;
  /* Byzantine behaviours, '|'-separated ("random | equivocate"): each
   * Byzantine node of the [faults] schedule takes one of them per run. */
  char byzantine[160];
  /* Protocol knobs the swarm varies ("raft.pre_vote = true | false",
   * "raft.election_timeout_max = 150ms..300ms"): the knob's name and its
   * values as written, checked against the knob. */
  int n_knobs;
  struct {
    char name[32];
    char values[160];
    gboolean is_range;  /* "A..B" of an integer or duration knob */
    uint32_t line;
  } knobs[SIM_FUZZ_MAX_KNOBS];
} SimFuzzSpec;
/* [explore]: the bounds of `dsim explore` (sim/explore.h; README, "Model
 * checking").  Budgets count per path. */
typedef enum {
  SIM_EXPLORE_BFS,         /* breadth first: the shortest counterexample */
  SIM_EXPLORE_DFS,         /* depth first, iterative deepening */
  SIM_EXPLORE_RANDOM_WALK, /* random paths from the start */
} SimExploreStrategy;

typedef struct {
  SimExploreStrategy strategy;
  int depth;                /* choices per path at most */
  int64_t max_states;       /* distinct states at most (0: no bound) */
  int drops;                /* messages the explorer may lose */
  int duplicates;           /* messages it may duplicate */
  int crashes, restarts;    /* node crashes and restarts */
  int timeouts;             /* timeouts fired, of nodes and of clients' operations
                               and attempts (0: no bound) */
  int ops;                  /* operations each client may start */
  int64_t walks;            /* random-walk: number of walks */
  int fingerprint_bits;     /* 64 or 128 */
  gboolean deadlock;        /* report operations pending with nothing enabled */
  gboolean por;             /* breadth first: partial-order reduction (sleep
                               sets over deliveries to different nodes) */
  gboolean from_replay;     /* start from the end of the [replay] section */
} SimExploreConfig;

/* One pinned network decision of a [deliveries] section: the fate of the
 * send-th message handed to the network in the run (from 1; every send
 * counts, lost or not). */
typedef struct {
  uint64_t send;
  gboolean is_lost;
  gboolean is_duplicated;
  int64_t after_us[2];      /* latency of the message and of its copy */
  uint32_t line;            /* scenario line, for messages */
} SimDeliveryPin;

/* One choice of a pinned path (a [replay] section): `dsim run` applies
 * these in order instead of picking choices by time. */
typedef struct {
  int kind;                 /* SimChoiceKind (sim/world.h) */
  int endpoint;             /* node or client, -1 if none */
  uint64_t id;              /* message id, operation tag, fault number; for
                               an injected crash or restart: SimFaultKind */
  uint32_t line;            /* scenario line, for messages */
} SimPinnedChoice;

typedef struct {
  char *path;               /* scenario file, for messages */
  char *name;
  char *description;
  uint64_t seed;
  int64_t duration_us;      /* the run stops at this virtual time */
  SimExpect expect;
  char *expect_what;        /* "linearizable", "invariant:election-safety" ... */

  const ProtoVTable *proto;
  void *proto_config;       /* proto->config_size bytes, owned */
  int n_nodes;

  SimLinkConfig net;
  GArray *link_overrides;   /* SimLinkOverride */

  SimWorkloadConfig workload;

  GArray *faults;           /* SimFault, sorted by at_us (stable) */
  SimRandomFaults random_faults;
  SimStorageConfig storage;

  GStrv check_models;       /* models to check the history against */

  SimFuzzSpec fuzz;         /* [fuzz]: read by dsim fuzz only */
  SimExploreConfig explore; /* [explore] */
  /* [deliveries]: with the rule on, every message is delivered after its
   * link's minimum latency, never lost or duplicated, except the sends
   * pinned in `deliveries` (SimDeliveryPin, by send). */
  gboolean has_delivery_rule;
  GArray *deliveries;
  GArray *replay;           /* SimPinnedChoice of [replay], in order; empty:
                               none (the run picks choices by time) */
} SimConfig;

/* A config with every default filled in, for `protocol` (NULL: null). */
SimConfig *sim_config_new (const ProtoVTable *protocol);
SimConfig *sim_config_copy (const SimConfig *cfg);
void sim_config_free (SimConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimConfig, sim_config_free)

/* Endpoint names: nodes "n1".."nN", clients "c1".."cM". */
void sim_endpoint_name (const SimConfig *cfg, int endpoint, GString *out);
