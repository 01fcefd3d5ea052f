/* protocol.h: the seam between the simulated world and a protocol.
 *
 * A protocol node is a pure step function: an event comes in (start,
 * message received, timeout), the node updates its own state and writes what
 * it wants done into an outbox (messages to send, the next deadline, trace
 * notes, coverage marks).  A node never does I/O, never reads a clock, keeps
 * no globals, never calls sim_* and never draws from a global random source: time arrives on the
 * event (now_us, the node's own possibly skewed clock) and randomness comes
 * from the Pcg32 stream the node keeps in its state, seeded from ctx->seed.
 *
 * Node state is flat, bounded and pointer-free (state_size bytes), so the
 * world can clone a node with memcpy, hash it, and roll it back.  The bytes
 * [persist_offset, persist_offset + persist_size) are what the node keeps on
 * its disk: they survive a crash as they were at the node's last completed
 * sync (proto_outbox_sync), torn or corrupted if the scenario says so
 * (sim/storage.c); the world zeroes everything else on a crash and then
 * sends PROTO_EV_START again.  A protocol that never syncs restarts with a
 * zeroed persist region.
 *
 * Endpoints: nodes are 0 .. n_nodes-1, clients are n_nodes .. n_nodes +
 * n_clients - 1.  Clients talk to nodes through the simulated network, so a
 * partition can cut a client off too.  The client side of a protocol (how an
 * operation becomes requests, redirects and retries, and when it ends) is the
 * protocol's client stub, also a pure step function with flat state.
 *
 * Linking rule: protocols/ links GLib only. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stddef.h>

#include "protocols/pcg32.h"

#define PROTO_MAX_NODES 32
#define PROTO_MAX_ENDPOINTS 256
#define PROTO_NO_DEADLINE INT64_MAX
#define PROTO_MAX_SIBLINGS 16 /* values one read may return (concurrent versions) */

/* ---- Events --------------------------------------------------------------*/

typedef enum {
  PROTO_EV_START,   /* first boot, or restart after a crash (persist kept) */
  PROTO_EV_RECEIVE, /* a message from endpoint `from` */
  PROTO_EV_TIMEOUT, /* the deadline the node asked for has passed */
  PROTO_EV_INVOKE,  /* client stubs only: start operation `op` */
  PROTO_EV_RETRY,   /* client stubs only: the world's retry timer fired;
                       resend the current operation (same idempotency key) */
} ProtoEventKind;

typedef enum {
  PROTO_OP_READ,
  PROTO_OP_WRITE,
  PROTO_OP_CAS,
  PROTO_OP_APPEND,
  PROTO_OP__COUNT
} ProtoOpKind;

/* A per-operation consistency level ([workload] levels), for protocols
 * whose vtable sets has_levels.  DEFAULT: the protocol's own knobs. */
typedef enum {
  PROTO_LEVEL_DEFAULT,
  PROTO_LEVEL_ONE,    /* one replica answers */
  PROTO_LEVEL_QUORUM, /* a majority of the replicas */
  PROTO_LEVEL_ALL,    /* every replica */
  PROTO_LEVEL__COUNT
} ProtoLevel;

/* One client operation.  (client, seq) is the idempotency key: every attempt
 * of the same operation carries it, so a node applies a write at most once. */
typedef struct {
  ProtoOpKind f;
  int32_t key;     /* key index, 0 .. keys-1 */
  int64_t value;   /* write / append value; cas: the new value */
  int64_t expect;  /* cas: the expected current value */
  uint32_t client; /* client number, 0 .. n_clients-1 */
  uint32_t seq;    /* operation number within the client, from 1 */
  uint32_t level;  /* ProtoLevel */
  uint32_t pad;
} ProtoOp;

typedef struct {
  ProtoEventKind kind;
  int64_t now_us;      /* the receiver's local clock */
  int from;            /* PROTO_EV_RECEIVE: sender endpoint */
  const void *msg;     /* PROTO_EV_RECEIVE: the message bytes */
  size_t msg_len;
  const ProtoOp *op;   /* PROTO_EV_INVOKE: the operation */
} ProtoEvent;

/* What a node or client stub knows about where it is.  Constant for a run,
 * except seed, which changes with each incarnation (restart), and disk. */
typedef struct {
  int self;            /* this endpoint */
  int n_nodes;
  int n_clients;
  uint64_t seed;       /* seed this incarnation's Pcg32 stream from it */
  const void *config;  /* the protocol's knobs (config_size bytes) */
  /* Set by the world when a node turns Byzantine.  Only for check(): an
   * invariant about correct nodes skips faulty ones.  A node's step never
   * reads it (faults are wrappers, not branches in protocol code). */
  gboolean is_faulty;
  /* Only for check(), set by the world before each check: the node's disk
   * image (persist_size bytes, laid out as the persist region), what a
   * crash would give back now.  NULL where no world keeps a disk (handler
   * tests).  A node's step never reads it. */
  const void *disk;
} ProtoCtx;

/* ---- Outbox --------------------------------------------------------------*/

typedef enum {
  PROTO_RESULT_OK,   /* the operation happened; value is what it returned */
  PROTO_RESULT_FAIL, /* the operation certainly did not happen */
} ProtoResultKind;

typedef struct {
  ProtoResultKind kind;
  gboolean has_value;  /* FALSE: nil (read of a key never written) */
  int64_t value;       /* read: the value read */
  /* A read of a store that keeps concurrent versions (siblings) may return
   * several values: n_siblings >= 2 of them in siblings[], sorted, and then
   * value is siblings[0].  0 for every other result. */
  uint32_t n_siblings;
  int64_t siblings[PROTO_MAX_SIBLINGS];
} ProtoResult;

typedef struct {
  int to;
  uint32_t offset; /* into ProtoOutbox.bytes */
  uint32_t len;
  int64_t delay_us; /* held this long before the network takes it: 0 from
                       proto_outbox_send; only Byzantine rewriters set it */
} ProtoOutMsg;

/* Filled by one step; read and reset by the world.  The world copies
 * messages out, so the outbox can be reused for the next step. */
typedef struct {
  GArray *msgs;         /* ProtoOutMsg */
  GByteArray *bytes;    /* message bodies */
  int64_t deadline_us;  /* next wake-up on the node's clock; on entry the
                           previous deadline (PROTO_NO_DEADLINE after it fired) */
  GString *notes;       /* trace notes, '\n'-separated ("term is stale") */
  GPtrArray *marks;     /* coverage marks reached (static strings) */
  gboolean has_result;  /* client stubs: the current operation ended */
  ProtoResult result;
  gboolean sync;        /* the step asked for its persist region to be made
                           durable (proto_outbox_sync) */
  gboolean is_quiet;    /* set by the caller: nobody reads the notes, so
                           proto_outbox_note does not format them (marks
                           are kept) */
} ProtoOutbox;

void proto_outbox_init (ProtoOutbox *out);
void proto_outbox_clear (ProtoOutbox *out);
/* Empties messages, notes, marks and result; keeps deadline_us. */
void proto_outbox_reset (ProtoOutbox *out);
/* Copies len bytes of msg.  Message bytes are hashed and compared (state
 * digests, explorers), so they must not contain uninitialised padding:
 * memset a message struct before filling it, or lay it out without holes. */
void proto_outbox_send (ProtoOutbox *out, int to, const void *msg, size_t len);
void proto_outbox_set_deadline (ProtoOutbox *out, int64_t at_us);
void proto_outbox_note (ProtoOutbox *out, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Records that an important branch was reached; `mark` must be a string
 * literal.  Tests assert that scenarios reach their marks. */
void proto_outbox_mark (ProtoOutbox *out, const char *mark);
void proto_outbox_complete (ProtoOutbox *out, ProtoResultKind kind,
                            gboolean has_value, int64_t value);
/* A read that returned n values (0: nil, 1: one value, 2 or more: siblings,
 * at most PROTO_MAX_SIBLINGS; sorted and deduplicated here). */
void proto_outbox_complete_values (ProtoOutbox *out, const int64_t *values, uint32_t n);
/* Asks the world to make the node's persist region, as it is at the end of
 * this step, durable (an fsync).  The sync takes the scenario's
 * disk_latency (0 by default: done at once), and a node's syncs complete in
 * order.  The messages this step sends leave only once the sync is done,
 * so a reply that promises durability ("I voted", "I accepted") never
 * overtakes the write it promises; the messages of any step leave in order
 * behind the syncs asked for before them.  A crash loses what is not yet
 * durable, messages still waiting included.  A protocol calls it after
 * every change to persist that it must not forget, at the latest in a step
 * whose messages depend on it. */
void proto_outbox_sync (ProtoOutbox *out);

/* ---- Knobs ---------------------------------------------------------------*/

typedef enum {
  PROTO_KNOB_INT,      /* integer, min..max */
  PROTO_KNOB_DURATION, /* "150ms", "2s", "500us", "1m": stored as int64 us */
  PROTO_KNOB_BOOL,     /* true/false */
  PROTO_KNOB_CHOICE,   /* one of `choices` ("|"-separated), stored as int index */
} ProtoKnobType;

/* A protocol knob, settable in the protocol's scenario section. */
typedef struct {
  const char *name;
  ProtoKnobType type;
  size_t offset;        /* into the config struct: int64_t for INT and
                           DURATION, gboolean for BOOL, int for CHOICE */
  const char *fallback; /* default, as text */
  int64_t min, max;     /* INT and DURATION bounds (inclusive) */
  const char *choices;  /* CHOICE: "none|vote-without-log-check|..." */
  const char *help;
} ProtoKnob;

/* ---- Byzantine tampering -------------------------------------------------
 *
 * Byzantine behaviours (sim/byzantine.c) wrap a correct node and rewrite its
 * outbox.  Dropping, delaying and replaying messages needs nothing from the
 * protocol; lying well does: to equivocate, a rewriter must know which bytes
 * are the value a message proposes.  A protocol that wants meaningful lies
 * provides msg_class and tamper in its vtable; without them the rewriters
 * fall back to flipping bytes after the first (the message type). */

typedef enum {
  PROTO_MSG_OTHER,
  PROTO_MSG_PROPOSAL,    /* a leader's proposal: pre-prepare, AppendEntries, accept */
  PROTO_MSG_VOTE,        /* an answer that counts toward a quorum: prepare, commit, ack */
  PROTO_MSG_VIEW_CHANGE, /* a message carrying what the sender has seen to a new leader */
  PROTO_MSG_REPLY,       /* an answer to a client */
  PROTO_MSG_CHECKPOINT,  /* a claim about the sender's state */
} ProtoMsgClass;

typedef enum {
  /* Change the value (request, entry, result) the message carries, in a
   * way that depends only on (message, variant): variant 0 leaves it as
   * is, and two peers given the same variant get the same lie, so lies
   * form consistent camps (equivocation). */
  PROTO_TAMPER_VALUE,
  /* Make a digest disagree with what it is a digest of. */
  PROTO_TAMPER_DIGEST,
  /* Claim to have seen less than it has (no or stale certificates). */
  PROTO_TAMPER_FORGET,
  /* Change one field, chosen and set with draws from rng. */
  PROTO_TAMPER_RANDOM,
} ProtoTamper;

/* ---- The vtable ----------------------------------------------------------*/

#define PROTO_MAX_HOLES 4

typedef struct ProtoVTable {
  const char *name;        /* "raft", as in [cluster] protocol = raft */
  const char *summary;     /* one line for `dsim list` */
  const ProtoKnob *knobs;  /* terminated by { NULL } */
  size_t config_size;
  /* Operations the client stub supports (bit (1 << ProtoOpKind)). */
  unsigned ops_supported;
  int min_nodes, max_nodes;
  /* The client stub honours ProtoOp.level ([workload] levels). */
  gboolean has_levels;

  /* Node. */
  size_t state_size;
  size_t persist_offset, persist_size;
  void (*step) (void *state, const ProtoCtx *ctx, const ProtoEvent *ev,
                ProtoOutbox *out);
  /* Canonical 64-bit hash of the state (equal states, equal digests).
   * NULL: the world hashes the state's bytes, skipping unread those past
   * state_extent and in state_holes. */
  uint64_t (*digest) (const void *state, const ProtoCtx *ctx);
  /* Safety invariants across all nodes, run after every step.  states[i] is
   * node i's state (zeroed volatile part while it is down); is_up[i] says
   * whether it is running.  `ghost` (ghost_size bytes, zeroed at the start,
   * flat) lets an invariant remember the past, e.g. what was committed.
   * Returns TRUE if all hold; otherwise appends a plain explanation to why
   * (invariant name first, then the nodes involved). */
  size_t ghost_size;
  gboolean (*check) (void *ghost, const void *const *states,
                     const gboolean *is_up, const ProtoCtx *ctxs, int n_nodes,
                     GString *why);
  void (*format_msg) (const void *msg, size_t len, GString *out);
  void (*format_state) (const void *state, const ProtoCtx *ctx, GString *out);

  /* Client stub. */
  size_t client_state_size;
  void (*client_step) (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev,
                       ProtoOutbox *out);

  /* Optional (NULL: none).  An invariant about a client stub, run after each
   * of its steps with the same ghost check() keeps ("a client never accepts
   * a result no correct node produced").  Same return convention as check. */
  gboolean (*check_client) (void *ghost, const void *cstate, const ProtoCtx *ctx,
                            GString *why);

  /* Optional (NULL: generic byte flips, see "Byzantine tampering").
   * msg_class says what a message is.  tamper rewrites msg in place as
   * `how` says (*len may shrink, never grow) and returns TRUE if it changed
   * anything; `state` is the sending node's own state, read only, so a lie
   * can be made consistent with what the liar knows. */
  ProtoMsgClass (*msg_class) (const void *msg, size_t len);
  gboolean (*tamper) (const void *state, const ProtoCtx *ctx, uint8_t *msg, size_t *len,
                      ProtoTamper how, uint32_t variant, Pcg32 *rng);
  /* Optional, for a ghost that grows with the run (check() may keep
   * pointers to storage of its own in it, created on first use): the world
   * byte-copies a ghost to clone it, then ghost_copy (dst, src) gives dst
   * copies of its own; ghost_free releases what a ghost owns (not the
   * ghost_size bytes themselves).  NULL: the ghost is plain bytes. */
  void (*ghost_copy) (void *dst, const void *src);
  void (*ghost_free) (void *ghost);
  /* With ghost_copy: a canonical 64-bit hash of what the ghost remembers
   * (equal contents, equal digests, whatever the pointers), for the
   * explorer's state fingerprints.  NULL with ghost_copy set: the explorer
   * leaves the ghost out of a state's identity. */
  uint64_t (*ghost_digest) (const void *ghost);
  /* Optional, with ghost_copy: makes dst (a ghost with storage of its own,
   * from ghost_copy or an earlier ghost_assign) equal to src, reusing that
   * storage (the explorer does it for every state).  NULL: ghost_free, a
   * byte copy, then ghost_copy. */
  void (*ghost_assign) (void *dst, const void *src);

  /* Optional: an operator's command to a node (`admin COMMAND` in a
   * scenario's [faults], such as "add n4"), handled like a step: the node
   * may change its state and fill the outbox.  NULL: the protocol takes no
   * commands (a scenario that gives one is rejected). */
  void (*admin) (void *state, const ProtoCtx *ctx, const char *command, int64_t now_us,
                 ProtoOutbox *out);
  /* With admin: the first words of the commands it understands ("add",
   * "remove"), NULL-terminated.  A scenario whose command starts with any
   * other word is rejected.  NULL: every command is passed on. */
  const char *const *admin_words;

  /* The names check() can report (the word before ':' of its explanation),
   * NULL-terminated, so a scenario's `expect = violation invariant:NAME`
   * can be checked for typos.  NULL: not listed, any name is accepted. */
  const char *const *invariant_names;

  /* Optional, for role-aware faults (`crash leader` in a scenario's
   * [faults]): the term (view, ballot) in which the node leads, or -1 if it
   * does not lead.  The world picks the running node that leads the highest
   * term (the lowest-numbered on a tie).  NULL: no node ever leads. */
  int64_t (*leader_term) (const void *state, const ProtoCtx *ctx);
  /* Optional, for the fuzzer's convergence check at the end of the
   * liveness phase (every fault healed, the clients quiet for a while):
   * TRUE if every running replica has applied the same state as the most
   * advanced one; otherwise appends a plain explanation naming the nodes
   * that differ and what each applied.  Same arguments as check.  NULL:
   * replicas are not compared. */
  gboolean (*converged) (const void *const *states, const gboolean *is_up,
                         const ProtoCtx *ctxs, int n_nodes, GString *why);
  /* Optional, for speed: an offset from which every byte of the state is
   * zero (at most state_size), read from the state's own fields, so the
   * explorer copies and compares only the bytes before it (a log ring at
   * the end of the state, mostly empty).  The protocol keeps it true across
   * its steps from any state where it holds; the world checks it itself
   * whenever it loads a disk image into the state (a torn or corrupted
   * image may hold bytes the protocol never wrote there) and copies such a
   * node whole until its next crash.  NULL: state_size. */
  size_t (*state_extent) (const void *state);
  /* Optional, with state_extent, for speed: ranges [from, to) below the
   * extent in which every byte is zero, read from the state's own fields
   * (a state machine nothing was applied to): at most PROTO_MAX_HOLES, in
   * order, not overlapping; returns how many.  The explorer does not copy
   * them.  Same contract as state_extent: the protocol keeps them zero
   * across its steps, and the world checks them whenever it loads a disk
   * image into the state.  NULL: none. */
  int (*state_holes) (const void *state, size_t holes[][2]);
  /* Optional, the same for a plain ghost (no ghost_copy): an offset from
   * which every byte of the ghost is zero, read from the ghost itself; the
   * explorer copies, compares and hashes only the bytes before it.  NULL:
   * ghost_size. */
  size_t (*ghost_extent) (const void *ghost);
  /* Optional: how many Byzantine nodes among n_nodes the protocol stays
   * live with (PBFT: f = (n-1)/3).  The fuzzer's liveness phase demands
   * progress only while at most that many nodes are Byzantine.  NULL: none
   * (one Byzantine node voids a crash-fault protocol's guarantees). */
  int (*byzantine_tolerated) (int n_nodes);
} ProtoVTable;

/* ---- Registry and knob parsing ------------------------------------------*/

/* All protocols, in the order `dsim list` prints them; NULL-terminated. */
const ProtoVTable *const *proto_registry (void);
const ProtoVTable *proto_find (const char *name);

/* Fills config with every knob's default. */
void proto_config_defaults (const ProtoVTable *vt, void *config);
/* Sets one knob from text.  Unknown key or bad value: FALSE and error says
 * what was expected ("expected a duration such as 150ms"). */
gboolean proto_config_set (const ProtoVTable *vt, void *config, const char *key,
                           const char *value, GError **error);
const ProtoKnob *proto_knob_find (const ProtoVTable *vt, const char *key);
/* TRUE if `word` begins a command vt->admin understands (see admin_words). */
gboolean proto_admin_word_known (const ProtoVTable *vt, const char *word, gsize len);

/* Parses "150ms", "2s", "1.5s", "500us", "1m", "0": microseconds. */
gboolean proto_parse_duration_us (const char *text, int64_t *out_us);
/* Formats microseconds the way scenario files write them ("1.5s"). */
void proto_format_duration (int64_t us, GString *out);

#define PROTO_ERROR (proto_error_quark ())
GQuark proto_error_quark (void);
typedef enum { PROTO_ERROR_KEY, PROTO_ERROR_VALUE } ProtoError;
