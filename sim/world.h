/* world.h: one simulated run.
 *
 * A SimWorld owns everything of one run: the nodes' flat states, the virtual
 * clock, the event queue, every Pcg32 stream, the network and its in-flight
 * messages, the faults, the clients, the trace and the history.  Several
 * worlds can exist side by side in one process; nothing is global.
 *
 * Events are ordered by (virtual time, insertion sequence): ties never depend
 * on pointers or hash order, so the same config and seed always give the same
 * run, byte for byte.
 *
 * One function applies one choice to a world (sim_world_apply): deliver a
 * message, fire a node's timeout, inject a fault, start a client operation.
 * sim_world_step picks the next choice by time and rng; an explorer or fuzzer
 * can enumerate or dictate choices instead and replay them. */
#pragma once

#include <stdio.h>

#include "checkers/history.h"
#include "sim/config.h"

typedef struct SimWorld SimWorld;

typedef struct {
  int64_t now_us;           /* virtual time of the last applied event */
  uint64_t events;          /* events applied */
  uint64_t msgs_sent;
  uint64_t bytes_sent;      /* message bytes handed to the network */
  uint64_t msgs_delivered;
  uint64_t msgs_dropped;    /* lost: random loss, partitions, crashed receivers */
  uint64_t msgs_duplicated; /* extra copies made by the network; always
                               sent + duplicated = delivered + dropped + in flight */
  uint64_t ops_invoked;
  uint64_t ops_ok;
  uint64_t ops_fail;
  uint64_t ops_info;        /* timed out or still open at the end */
  /* retries: resends after an attempt timeout; crashes and restarts count
   * node faults that took effect (crashing a node that is down does not). */
  uint64_t retries;
  uint64_t crashes, restarts;
  /* Storage faults: crashes that lost changes not yet durable, of which
   * torn writes; corruptions of a durable image; messages lost to a bit
   * flipped in flight (counted in msgs_dropped too). */
  uint64_t unsynced_crashes, torn_writes, corruptions;
  uint64_t msgs_corrupted;
} SimStats;

/* Builds a world from cfg (copied) with run seed `seed`.  Nodes get
 * PROTO_EV_START at time 0. */
SimWorld *sim_world_new (const SimConfig *cfg, uint64_t seed);
void sim_world_free (SimWorld *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimWorld, sim_world_free)

/* Streams the trace (JSON Lines, sim/trace.h) to out as the run goes; NULL
 * (the default) writes none.  Set before the first step. */
void sim_world_set_trace_output (SimWorld *w, FILE *out);

/* Keeps the last n_lines trace lines in memory for invariant failure reports
 * even when no trace output is set (the trace is then formatted but not
 * written).  With a trace output the default is 40; without, 0, and a
 * failure report replays the run with a tail to show how it got there.
 * Set before the first step. */
void sim_world_set_trace_tail (SimWorld *w, guint n_lines);

/* A run whose virtual time stops moving (more than this many events at one
 * instant; default one million) ends with a "no-progress" failure instead
 * of running forever. */
void sim_world_set_stall_limit (SimWorld *w, uint64_t max_events_per_instant);

/* ---- Limits --------------------------------------------------------------
 *
 * Guards of one run against work without end (0: no limit).  max_events
 * stops the run after that many events; max_memory_bytes stops it when the
 * memory the world holds (queue, messages in flight, history, the values
 * written, the trace tail) passes the cap.  The memory is counted from the
 * world's own arrays, not measured, so the same run stops at the same event
 * on every machine.  A stopped run is over: open operations become info as
 * at its end, and sim_world_limit_reason says which limit was reached,
 * when, and with what; a run that reached a limit has no verdict (unknown). */
void sim_world_set_limits (SimWorld *w, uint64_t max_events, uint64_t max_memory_bytes);
/* NULL unless a limit stopped the run. */
const char *sim_world_limit_reason (const SimWorld *w);
/* The memory the world holds now, as counted for max_memory_bytes. */
uint64_t sim_world_memory_bytes (const SimWorld *w);

/* ---- Choices -------------------------------------------------------------
 *
 * Everything that can happen next is a choice.  sim_world_step applies the
 * earliest queued choice; an explorer lists the enabled ones
 * (sim_world_enabled) and applies any of them (sim_world_apply), or injects
 * a fault or a message loss of its own.  A choice names what happens, not
 * where it sits in the queue, so a list of choices replays in a fresh world
 * built from the same config and seed. */
typedef enum {
  SIM_CHOICE_START,           /* node `endpoint` boots (time 0) */
  SIM_CHOICE_DELIVER,         /* in-flight message `id` arrives at `endpoint` */
  SIM_CHOICE_TIMEOUT,         /* the deadline of `endpoint` (node or client) fires */
  SIM_CHOICE_FAULT,           /* scheduled fault number `id` of cfg->faults */
  SIM_CHOICE_RANDOM_FAULT,    /* random fault source `id` (SimRandomSource) fires */
  SIM_CHOICE_FAULT_END,       /* a random fault ends: `id` is SIM_FAULT_RESTART,
                                 _RESUME or _HEAL in its low 8 bits, the
                                 fault's generation above; `endpoint` the
                                 node (or -1).  It undoes that fault only */
  SIM_CHOICE_INVOKE,          /* client `endpoint` starts its next operation */
  SIM_CHOICE_ATTEMPT_TIMEOUT, /* client `endpoint` got no answer: back off
                                 (`id`: operation number << 24 | attempt) */
  SIM_CHOICE_RETRY,           /* backoff over: resend (PROTO_EV_RETRY), same `id` */
  SIM_CHOICE_OP_TIMEOUT,      /* client `endpoint`'s operation `id` ends as info */
  /* Not queued: only an explorer or fuzzer applies these. */
  SIM_CHOICE_DROP,            /* in-flight message `id` is lost */
  SIM_CHOICE_INJECT,          /* apply *fault now */
  /* Queued: node `endpoint`'s disk finishes sync number `id`; the messages
   * that waited on it leave. */
  SIM_CHOICE_SYNC_DONE,
  SIM_CHOICE_DUPLICATE,       /* in-flight message `id` is copied: the copy is
                                 a new message in flight to the same endpoint */
} SimChoiceKind;

typedef enum {
  SIM_RANDOM_CRASH,
  SIM_RANDOM_PARTITION,
  SIM_RANDOM_PAUSE,
  SIM_RANDOM_SKEW,
  SIM_RANDOM_CORRUPT,
  SIM_RANDOM_BYZANTINE,
  SIM_RANDOM__COUNT
} SimRandomSource;

typedef struct {
  SimChoiceKind kind;
  int endpoint;            /* node or client endpoint; -1 if none */
  uint64_t id;             /* message id, fault number, generation... */
  int64_t time_us;         /* when it is due (queued choices) */
  const SimFault *fault;   /* INJECT: borrowed for the call */
  guint at;                /* a hint: 1 + where sim_world_enabled found the
                              event in the queue (0: none); checked before use */
} SimChoice;

/* Appends the enabled queued choices to `out` (a GArray of SimChoice), in
 * the order sim_world_step would apply them. */
void sim_world_enabled (SimWorld *w, GArray *out);
/* Applies one choice: a queued one is taken out of the queue (virtual time
 * moves to its due time, never backwards); DROP and INJECT act now.  FALSE
 * if the choice is not enabled (nothing changes). */
gboolean sim_world_apply (SimWorld *w, const SimChoice *choice);
/* The choice sim_world_step would apply next; FALSE if none is due before
 * the end of the run. */
gboolean sim_world_next_choice (SimWorld *w, SimChoice *out);
/* Records, from now on, the fate of every message that leaves the
 * [deliveries] rule (lost, duplicated, or a latency other than its link's
 * minimum) into `log` (SimDeliveryPin, by send), whether or not the rule
 * is on.  Pinning them all under the rule replays the same run. */
void sim_world_record_deliveries (SimWorld *w, GArray *log);
/* Writes a choice in words ("deliver m17 to n2"). */
void sim_choice_describe (const SimWorld *w, const SimChoice *c, GString *out);

/* A copy of the world as it is now, to explore from: same state, queue,
 * network, clients, history and marks; the copy writes no trace.  The
 * original is unchanged. */
SimWorld *sim_world_clone (const SimWorld *w);
/* Makes dst what sim_world_clone (src) would be, in dst's memory (dst a
 * world of the same config, built by sim_world_clone).  Node states and
 * disks are copied only for the nodes in `nodes`, client stub states only
 * for the clients in `clients` (bit min(i, 63) each), and the history and
 * the values written so far only if `clients` is not 0 (every event that
 * changes them touches a client); the caller vouches that the others are
 * already equal in dst and src (the explorer tracks which endpoints each
 * step touched). */
void sim_world_assign (SimWorld *dst, const SimWorld *src, uint64_t nodes, uint64_t clients);
/* From now on w keeps the disk blocks it frees, and takes the ones it
 * needs, in the pool of `with` (a world of the same config): worlds that
 * one thread assigns over one another then reuse each other's blocks.
 * Only for worlds that no other thread touches. */
void sim_world_share_spares (SimWorld *w, SimWorld *with);
/* A 64-bit hash of what the protocol can observe: every node's state
 * (vt->digest, or its bytes), up and paused flags, every endpoint's
 * deadline relative to its clock now (so a run shifted in time has the same
 * digest), a Byzantine node's behaviour and rewriter state, the client
 * stubs' states and open operations, the messages in flight
 * (as a multiset of (from, to, bytes)) and the partitions.  Virtual time,
 * message ids, statistics, the trace and the history are left out, so two
 * runs that reach the same state by different paths have equal digests. */
uint64_t sim_world_digest (const SimWorld *w);
/* The same with another seed: digests with different seeds are independent
 * hashes of the same canonical state (128-bit fingerprints).  Seed 0 is
 * sim_world_digest. */
uint64_t sim_world_digest_seeded (const SimWorld *w, uint64_t seed);
/* The digest's two words for node n that only its own steps change (its
 * state's digest, its disk's); the same for every seed. */
void sim_world_node_digest (const SimWorld *w, int n, uint64_t out[2]);
/* sim_world_digest_seeded with the node words given (2 per node, as
 * sim_world_node_digest gives them; NULL: computed here).  The explorer
 * keeps them from parent to child for the nodes a step did not touch. */
uint64_t sim_world_digest_parts (const SimWorld *w, uint64_t seed, const uint64_t *parts);

/* Byzantine nodes.  A SIM_FAULT_BYZANTINE fault names a behaviour for a
 * node; from then on, after each of its steps and before its messages enter
 * the network, fn may rewrite its outbox (equivocate, forge, stay silent).
 * rng is a stream of the node's own for the rewriter, and memory a byte
 * buffer of the node's own that the rewriter may keep across steps (old
 * messages to replay); both are part of the world and cloned with it.
 * Every world starts with the rewriters of sim/byzantine.h installed
 * (sim_byzantine_rewrite); this replaces them, and fn NULL removes them:
 * the fault is then only recorded in the trace and the node stays correct. */
typedef void (*SimByzantineFn) (const char *behaviour, const ProtoCtx *ctx, const void *state,
                                ProtoOutbox *out, Pcg32 *rng, GByteArray *memory,
                                void *user_data);
void sim_world_set_byzantine (SimWorld *w, SimByzantineFn fn, void *user_data);
const char *sim_world_node_behaviour (const SimWorld *w, int node);

/* Applies the next event.  FALSE when the run is over: the duration was
 * reached, nothing is left to do, or an invariant broke. */
gboolean sim_world_step (SimWorld *w);
/* Steps until the run is over.  Open client operations are then recorded as
 * info at the final time. */
void sim_world_run (SimWorld *w);
/* Ends the run now: open client operations become info at the current time.
 * sim_world_run calls it; call it after stepping by hand.  Idempotent. */
void sim_world_finish (SimWorld *w);
gboolean sim_world_is_over (const SimWorld *w);

const SimStats *sim_world_stats (const SimWorld *w);
const SimConfig *sim_world_config (const SimWorld *w);
uint64_t sim_world_seed (const SimWorld *w);
const ChkHistory *sim_world_history (const SimWorld *w);

/* NULL while every invariant holds; otherwise the protocol's explanation
 * (invariant name, nodes involved), then the last trace lines. */
const char *sim_world_invariant_failure (const SimWorld *w);

/* Coverage marks reached so far: names in first-reached order, with counts. */
guint sim_world_n_marks (const SimWorld *w);
const char *sim_world_mark (const SimWorld *w, guint i, uint64_t *count);
gboolean sim_world_reached (const SimWorld *w, const char *mark);

/* Read-only access to node state (for tests, explorers, format_state). */
const void *sim_world_node_state (const SimWorld *w, int node);
gboolean sim_world_node_is_up (const SimWorld *w, int node);
gboolean sim_world_node_is_paused (const SimWorld *w, int node);
/* The node's local clock now (virtual time + skew + drift). */
int64_t sim_world_node_local_time (const SimWorld *w, int node);
/* The node's durable image (persist_size bytes): what it would read back
 * if it crashed now (before any torn write). */
const void *sim_world_node_image (const SimWorld *w, int node);
/* The endpoint's local clock now (nodes and clients). */
int64_t sim_world_endpoint_local_time (const SimWorld *w, int endpoint);
/* How many times the node has started (1 after the first boot). */
uint32_t sim_world_node_incarnation (const SimWorld *w, int node);
/* Messages in flight in the network (not yet delivered or lost). */
guint sim_world_in_flight (const SimWorld *w);
