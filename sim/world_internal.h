/* world_internal.h: the inside of SimWorld, shared by world.c, trace.c,
 * faults.c and client.c.  Not for use outside sim/. */
#pragma once

#include "sim/net.h"
#include "sim/queue.h"
#include "sim/world.h"

/* Kinds for pcg32_derive: each random source has its own stream. */
enum {
  SIM_STREAM_NODE = 1,       /* index: node; then incarnation (ctx.seed) */
  SIM_STREAM_CLIENT = 2,     /* index: client: think time and backoff jitter */
  SIM_STREAM_NET = 3,
  SIM_STREAM_WORKLOAD = 4,   /* index: client: which operation it runs */
  SIM_STREAM_FAULT = 5,      /* index: SimRandomSource */
  SIM_STREAM_CLIENT_CTX = 6, /* index: client: the stub's ctx.seed */
  SIM_STREAM_BYZANTINE = 7,  /* index: node: its outbox rewriter */
  SIM_STREAM_DISK = 8,       /* disk latencies and torn writes */
};

/* Queued event kinds are SimChoiceKind values.  Payload (SimEvent a, b):
 *   START        a = node
 *   DELIVER      a = network slot, b = message id
 *   TIMEOUT      a = endpoint, b = timer generation
 *   FAULT        a = index into cfg->faults
 *   RANDOM_FAULT a = SimRandomSource
 *   FAULT_END    a = node or -1, b = SimFaultKind | generation << 8 (the
 *                fault's number among its kind: n_crashes, n_pauses of the
 *                node, or n_random_partitions)
 *   INVOKE       a = client endpoint, b = operation number to start
 *   ATTEMPT_TIMEOUT, RETRY   a = client endpoint, b = op << 24 | attempt
 *   OP_TIMEOUT   a = client endpoint, b = operation number
 *   SYNC_DONE    a = node, b = sync number */

/* An endpoint's deadline and its one queued TIMEOUT event.
 *
 * Protocols move their deadline often (a follower pushes its election
 * timeout back on every heartbeat).  Pushing an event per change would fill
 * the queue with stale events, so a later deadline reuses the event already
 * queued: when that event comes up early it is queued again at the current
 * due time instead of firing.  Only an earlier deadline queues a new event
 * (a new generation; the old event is then stale and skipped). */
typedef struct {
  int64_t deadline;  /* on the endpoint's own clock; PROTO_NO_DEADLINE: none */
  uint64_t gen;      /* generation of the queued event; older ones are stale */
  int64_t queued_us; /* virtual time of the queued event of this generation;
                        -1: none queued */
} SimTimer;

/* An endpoint's clock: it reads virtual time + skew_us + the drift
 * accumulated since since_us at drift_ppm (sim_node_local_time). */
typedef struct {
  int64_t skew_us;   /* offset from virtual time at since_us */
  int64_t drift_ppm;
  int64_t since_us;  /* virtual time the skew and drift were set */
} SimClock;

/* A sync in flight on a node's disk (storage.c). */
typedef struct {
  uint64_t id;       /* from 1, per node */
  int64_t done_us;
  uint8_t *bytes;    /* the persist region as the step left it */
} SimSync;

/* A message waiting for the sync `after_sync` before it leaves. */
typedef struct {
  uint64_t after_sync;
  int to;
  uint32_t offset, len; /* into SimDisk.held_bytes */
  int64_t delay_us;     /* ProtoOutMsg.delay_us */
} SimHeldMsg;

/* A disk's image, synced and written arrays in one block, shared by the
 * worlds cloned from one another until one of them writes it (copy on
 * write, storage.c).  ref is atomic: explorer threads share their root. */
typedef struct {
  gint ref;
  uint32_t written_end;  /* sectors [written_end, ...) never written */
  uint8_t pad[8];        /* bytes at offset 16: as aligned as malloc's */
  uint8_t bytes[];       /* image, written, synced (storage.c) */
} SimDiskBlock;

/* Disk blocks that worlds freed, kept for their next copies on write
 * (storage.c): a world's own, or shared by the worlds one thread uses
 * (sim_world_share_spares).  Blocks are zero past their written_end. */
#define SIM_SPARES_MAX 8
typedef struct {
  guint ref;             /* worlds using it (one thread: not atomic) */
  guint n;
  size_t block_size;     /* every block here has this size */
  SimDiskBlock *blocks[SIM_SPARES_MAX];
} SimDiskSpares;

typedef struct {
  SimDiskBlock *block;   /* holds the three arrays below */
  uint8_t *image;        /* the durable image (persist_size bytes) */
  uint8_t *synced;       /* what the node's completed syncs wrote */
  uint8_t *written;      /* per sector: 1 once written */
  GArray *syncs;         /* SimSync in flight, oldest first */
  GArray *held;          /* SimHeldMsg, in send order */
  GByteArray *held_bytes;
  uint64_t next_sync;    /* syncs asked for */
  uint64_t done_sync;    /* the last one completed */
  int64_t busy_until_us; /* the last sync in flight completes then */
  /* Known facts that spare a comparison of whole images: the image equals
   * synced (no corruption since the last read-back), the image equals the
   * node's persist region (set by a sync that completed at once, a crash,
   * a restart; cleared whenever the node is touched otherwise).  FALSE:
   * not known, compare. */
  gboolean is_image_synced, is_image_persist;
} SimDisk;

typedef struct {
  gboolean is_up, is_paused;
  gboolean has_held_timeout; /* its deadline passed while paused */
  uint32_t incarnation;
  uint32_t n_crashes, n_pauses; /* a random fault's end undoes it only if
                                   no later fault of its kind came */
  GArray *held;              /* guint slots that arrived while paused */
  char behaviour[32];        /* byzantine behaviour set by a fault ("" none) */
  Pcg32 byzantine_rng;
  GByteArray *byzantine_memory; /* the rewriter's own (sim/byzantine.c) */
  /* Its state may hold nonzero bytes past the protocol's state_extent (a
   * damaged disk image was read back): copied whole until its next crash. */
  gboolean is_extent_unsafe;
} SimNode;

typedef struct {
  int64_t process;           /* history process number */
  uint64_t op_number;        /* operations started by this client */
  uint32_t next_seq;         /* last ProtoOp.seq handed out */
  gboolean is_open;          /* an operation is outstanding */
  int attempt;               /* 0 for the first send, then retries */
  ProtoOp op;
  ChkValue invoke_value;     /* what the invoke recorded */
  int64_t next_due_us;       /* rate mode: when the next operation is due */
  Pcg32 rng;                 /* think time, backoff jitter */
  Pcg32 ops_rng;             /* which operation */
} SimClient;

typedef struct {
  FILE *out;
  gboolean is_on;          /* formatting lines (output or tail) */
  guint tail_cap;
  gboolean tail_set;       /* tail_cap chosen explicitly */
  GString **tail;          /* ring of tail_cap lines */
  guint tail_next, tail_count;
  GString *line, *label;
  uint64_t *vc;            /* n_endpoints x n_endpoints */
  char (*names)[8];        /* endpoint names */
} SimTrace;

struct SimWorld {
  SimConfig *cfg;
  const ProtoVTable *vt;
  uint64_t seed;
  int n_nodes, n_clients, n_endpoints;
  SimStats stats;
  gboolean is_over, is_finished, is_driven;
  uint64_t events_this_instant; /* events applied at the current virtual time */
  uint64_t stall_limit;         /* more than this at one instant: no progress */
  uint64_t next_msg_id;
  uint64_t n_sends;             /* messages handed to the network so far */
  guint next_pin;               /* [deliveries]: the first pin not yet passed */
  GArray *delivery_log;         /* SimDeliveryPin of every send off the rule,
                                   when recording (not owned; NULL: not) */

  SimQueue queue;
  SimNet net;

  /* Nodes and clients, indexed by endpoint where it applies. */
  uint8_t *node_states;      /* n_nodes * state_size */
  uint8_t *client_states;    /* n_clients * client_state_size */
  SimNode *nodes;
  SimClient *clients;
  SimTimer *timers;          /* n_endpoints */
  SimClock *clocks;          /* n_endpoints */
  SimDisk *disks;            /* n_nodes */
  SimDiskSpares *spares;     /* disk blocks freed, kept for the next copy on
                                write (storage.c) */
  Pcg32 disk_rng;
  ProtoCtx *ctxs;            /* n_endpoints */
  const void **state_ptrs;   /* n_nodes, for check */
  gboolean *is_up;           /* n_nodes, for check */
  uint8_t *ghost;
  ProtoOutbox outbox;
  SimByzantineFn byzantine_fn;
  void *byzantine_data;

  /* Random faults. */
  Pcg32 fault_rng[SIM_RANDOM__COUNT];
  double fault_rate[SIM_RANDOM__COUNT];
  uint64_t n_random_partitions;

  /* Workload. */
  uint64_t ops_started;
  int64_t next_value;
  int32_t *key_ids;          /* history string id per key */
  GArray **written;          /* per key: int64 values written (for cas) */
  unsigned ops_mask;         /* supported ops with a weight > 0 */
  ChkHistory *history;

  /* Coverage marks. */
  GPtrArray *mark_names;     /* const char *, first-reached order */
  GArray *mark_counts;       /* uint64_t */
  GHashTable *mark_index;    /* name -> index + 1; lookups only */

  GString *failure;          /* NULL while invariants hold */
  uint64_t max_events;       /* limits (world_limits.c); 0: none */
  uint64_t max_memory_bytes;
  GString *limit;            /* NULL unless a limit stopped the run */
  GString *why;
  SimTrace trace;

  /* Nodes and clients whose state (or, for a node, disk) a step changed
   * since the explorer last cleared these: bit min(i, 63).  What
   * sim_world_assign needs to copy back (explore.c). */
  uint64_t touched_nodes, touched_clients;
};

static inline uint64_t
sim_touch_bit (int i)
{
  return 1ULL << (i < 63 ? i : 63);
}

/* Endpoint e (node or client) changes. */
static inline void
sim_world_touch (SimWorld *w, int e)
{
  if (e < w->n_nodes) {
    w->touched_nodes |= sim_touch_bit (e);
    if (w->disks != NULL)
      w->disks[e].is_image_persist = FALSE;
  } else
    w->touched_clients |= sim_touch_bit (e - w->n_nodes);
}

/* world.c */
void sim_node_step (SimWorld *w, int node, ProtoEvent *ev);
void sim_node_admin (SimWorld *w, int node, const char *command);
/* Hands a message to the network now (routing, loss, duplication). */
/* delay_us: extra time before the network takes it (a Byzantine sender's
 * hold, ProtoOutMsg.delay_us); 0 for everything else. */
void sim_world_send (SimWorld *w, int from, int to, const void *data, uint32_t len,
                     int64_t delay_us);
void sim_client_step_event (SimWorld *w, int client, ProtoEvent *ev);
/* The clock of endpoint e (node or client) at virtual time virtual_us. */
int64_t sim_node_local_time (const SimWorld *w, int e, int64_t virtual_us);
/* The first virtual time at which endpoint e's clock reads at least local_us. */
int64_t sim_endpoint_virtual_time (const SimWorld *w, int e, int64_t local_us);
/* Sets endpoint e's clock: it reads virtual + skew_us now, and drifts at
 * drift_ppm from now on. */
void sim_clock_set (SimWorld *w, int e, int64_t skew_us, int64_t drift_ppm);
void sim_timer_rearm (SimWorld *w, int endpoint);
/* Virtual time at which the endpoint's deadline falls (INT64_MAX: none). */
int64_t sim_timer_due (const SimWorld *w, int endpoint);
void sim_world_run_check (SimWorld *w);

/* trace.c */
void sim_trace_init (SimWorld *w);
void sim_trace_clear (SimTrace *t);
void sim_trace_start (SimWorld *w);
/* Begins a line {"time":..,"node":..,"kind":..} at endpoint (-1: none) and
 * ticks its vector clock.  Then add fields, then sim_trace_end. */
void sim_trace_begin (SimWorld *w, int endpoint, const char *kind);
void sim_trace_msg (SimWorld *w, const SimMsg *m, int peer);
void sim_trace_field_str (SimWorld *w, const char *name, const char *value);
/* Writes "vc" (endpoint's clock) and "label" (t->label, if not empty), then
 * ends and emits the line. */
void sim_trace_end (SimWorld *w, int endpoint);
void sim_trace_merge (SimWorld *w, int endpoint, const uint64_t *msg_vc);
void sim_trace_tail (const SimWorld *w, GString *out);

/* world.c */
void sim_world_marks_init (SimWorld *w);

/* The bytes of a plain ghost that may be nonzero, [0, extent). */
static inline size_t
sim_ghost_extent (const SimWorld *w)
{
  return w->vt->ghost_extent != NULL ? w->vt->ghost_extent (w->ghost) : w->vt->ghost_size;
}

/* world_clone.c: the bytes of node n's state that may be nonzero,
 * [0, extent) (the protocol's state_extent, or all of it). */
static inline size_t
sim_node_extent (const SimWorld *w, int n)
{
  if (w->vt->state_extent == NULL || w->nodes[n].is_extent_unsafe)
    return w->vt->state_size;
  return w->vt->state_extent (w->node_states + (size_t) n * w->vt->state_size);
}


/* The zero ranges of node n's state below its extent (the protocol's
 * state_holes; none for a node copied whole).  Returns how many. */
static inline int
sim_node_holes (const SimWorld *w, int n, size_t holes[][2])
{
  if (w->vt->state_holes == NULL || w->vt->state_extent == NULL || w->nodes[n].is_extent_unsafe)
    return 0;
  return w->vt->state_holes (w->node_states + (size_t) n * w->vt->state_size, holes);
}

/* world_clone.c: a message's part of the world digest (its ends and its
 * bytes); the explorer reads the one for seed 0 from SimMsg.digest. */
uint64_t sim_msg_digest (const SimMsg *m, uint64_t seed);

/* world_limits.c: FALSE (and the run is over) if a limit is reached. */
gboolean sim_world_within_limits (SimWorld *w);

/* faults.c */
void sim_faults_init (SimWorld *w);
void sim_fault_apply (SimWorld *w, const SimFault *f);
/* The running node that leads the highest term; -1: none (faults.c). */
int sim_world_leader (const SimWorld *w);
void sim_fault_random (SimWorld *w, SimRandomSource src);
void sim_fault_end (SimWorld *w, int node, uint64_t kind_and_gen);
void sim_node_crash (SimWorld *w, int node);
void sim_node_restart (SimWorld *w, int node);

/* storage.c */
void sim_storage_init (SimWorld *w);
void sim_storage_clear (SimWorld *w);
void sim_storage_copy (SimWorld *c, const SimWorld *w);
/* Makes disk `node` of dst what it is in src (dst's disks initialised). */
void sim_storage_assign (SimWorld *dst, const SimWorld *src, int node);
/* After a node's step: a sync asked for starts (or completes at once), and
 * the step's messages wait behind the syncs in flight (taken out of out). */
void sim_storage_step_end (SimWorld *w, int node, ProtoOutbox *out);
gboolean sim_storage_sync_is_pending (const SimWorld *w, int node, uint64_t id);
void sim_storage_sync_done (SimWorld *w, int node, uint64_t id);
/* Sends the messages whose syncs are done (not while the node is paused). */
void sim_storage_release (SimWorld *w, int node);
/* The node crashed: its persist region becomes what its disk holds. */
void sim_storage_crash (SimWorld *w, int node);
void sim_storage_restart (SimWorld *w, int node);
void sim_storage_corrupt (SimWorld *w, int node, int bits, Pcg32 *rng);
uint64_t sim_storage_digest (const SimWorld *w, int node,
                             uint64_t (*hash) (uint64_t, const void *, size_t));
const uint8_t *sim_storage_image (const SimWorld *w, int node);
/* After the node's disk image was loaded into its state (a crash, once
 * the volatile part is zeroed; a restart): sets is_extent_unsafe if the
 * image put nonzero bytes past the state's extent. */
void sim_storage_extent_verify (SimWorld *w, int node);

/* client.c */
void sim_clients_init (SimWorld *w);
void sim_clients_clear (SimWorld *w);
gboolean sim_client_event_is_live (const SimWorld *w, const SimEvent *ev);
void sim_client_invoke (SimWorld *w, int client);
void sim_client_attempt_timeout (SimWorld *w, int client);
void sim_client_retry (SimWorld *w, int client);
void sim_client_op_timeout (SimWorld *w, int client);
void sim_client_result (SimWorld *w, int client, const ProtoResult *r);
void sim_clients_finish (SimWorld *w);
void sim_op_describe (const SimWorld *w, const ProtoOp *op, GString *out);

/* deliveries.c: a send's fate under the [deliveries] rule and pins, and
 * recording the fates that leave the rule. */
void sim_deliveries_route (SimWorld *w, int from, int to, SimNetFate *fate);

/* A hash of len bytes, eight at a time in two lanes, canonical for equal
 * bytes: world digests and the explorer's ghost hash. */
uint64_t sim_hash_bytes (uint64_t h, const void *data, size_t len);
/* A hash of len bytes canonical for equal bytes, made of their nonzero
 * 64-byte blocks, each mixed in with its offset, eight bytes at a time in
 * four lanes, then the bytes after the last whole block.  A zero block
 * adds nothing, so the blocks from extent on and those inside the holes
 * (n_holes ranges, in order, not overlapping), which the caller knows are
 * zero, are skipped unread: large flat states and disk images are mostly
 * free slots. */
uint64_t sim_hash_sparse (uint64_t seed, const void *data, size_t len, size_t extent,
                          const size_t holes[][2], int n_holes);
