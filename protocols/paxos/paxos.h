/* paxos.h: Paxos (Lamport, "Paxos Made Simple", ACM SIGACT News 32(4),
 * 2001) as a pure state machine behind the protocol seam
 * (protocols/protocol.h): single-decree Paxos (`mode = single`) and
 * Multi-Paxos (`mode = multi`, section 3 of the paper) replicating a small
 * key-value store.
 *
 * Internal to protocols/paxos/ and its tests.  Every node plays the three
 * roles of the paper: proposer, acceptor and learner.  The node is one flat
 * struct, PaxosNode: its first member, PaxosPersist, is what survives a
 * crash (the acceptor's promised ballot, the accepted (ballot, command) of
 * every slot, what it learned was chosen, and the snapshot that replaced
 * the log's prefix); everything after it is volatile and zeroed by a crash.
 *
 * Ballots are (round, node) pairs packed in one word, so they compare as
 * integers and no two proposers ever use the same one ("Different
 * proposers choose their numbers from disjoint sets of numbers", section
 * 2.5).  Ballot 0 is "none".
 *
 * The log is a ring of PAXOS_LOG_CAP slots: slot s lives in
 * log[s % PAXOS_LOG_CAP] for snap.index < s <= snap.index + PAXOS_LOG_CAP.
 * Slots up to snap.index are chosen, applied and compacted into the
 * snapshot.  In single mode only slot 1 is used. */
#pragma once

#include "protocols/leader_client.h"
#include "protocols/protocol.h"

#define PAXOS_LOG_CAP 256
#define PAXOS_MAX_KEYS 64
#define PAXOS_MAX_CLIENTS 128
#define PAXOS_MAX_PENDING 32   /* single mode: clients waiting at a proposer */
#define PAXOS_ROUND_RING 8     /* send times kept for the latest heartbeat rounds */
#define PAXOS_EV_RING 1024     /* accept/apply events kept for check() */
#define PAXOS_CATCHUP_BATCH 64 /* chosen slots per catch-up answer */
#define PAXOS_NOBODY (-1)

/* ---- Ballots -------------------------------------------------------------*/

static inline uint64_t
paxos_ballot (uint64_t round, int node)
{
  return round << 8 | (uint64_t) (node + 1);
}

static inline uint64_t paxos_ballot_round (uint64_t b) { return b >> 8; }
static inline int paxos_ballot_node (uint64_t b) { return b == 0 ? PAXOS_NOBODY : (int) (b & 0xff) - 1; }

/* ---- Knobs ---------------------------------------------------------------*/

typedef enum {
  PAXOS_MODE_SINGLE, /* one decree: a write-once register */
  PAXOS_MODE_MULTI,  /* a leader, a log of slots, a replicated state machine */
} PaxosMode;

typedef enum {
  PAXOS_READS_LOG,   /* a read is a command in the log, like a write */
  PAXOS_READS_LEASE, /* the leader answers from its state while its lease holds */
} PaxosReads;

typedef enum {
  PAXOS_BUG_NONE,
  PAXOS_BUG_ACCEPT_WITHOUT_PROMISE_CHECK, /* accept below the promised ballot */
  PAXOS_BUG_IGNORE_ACCEPTED_IN_PROMISE,   /* propose one's own value regardless */
  PAXOS_BUG_VOLATILE_PROMISE,             /* the promise is forgotten on restart */
  PAXOS_BUG_LEASE_READ_WITHOUT_WAIT,      /* a new leader reads under the old lease */
} PaxosBug;

typedef struct {
  int mode;                   /* PaxosMode */
  int64_t election_min_us;    /* randomized timeout before a follower runs phase 1 */
  int64_t election_max_us;
  int64_t heartbeat_us;       /* leader's idle heartbeat interval */
  int64_t backoff_cap;        /* doublings of the timeout range after lost ballots */
  int64_t snapshot_threshold; /* applied slots beyond the snapshot that trigger one */
  int reads;                  /* PaxosReads */
  int64_t lease_us;
  int bug;                    /* PaxosBug */
} PaxosConfig;

/* ---- Commands and the state machine --------------------------------------*/

typedef enum {
  PAXOS_CMD_NOOP,  /* fills a gap in the log */
  PAXOS_CMD_READ,
  PAXOS_CMD_WRITE,
  PAXOS_CMD_CAS,
} PaxosCmdKind;

/* A command, the "value" of the paper. */
typedef struct {
  int64_t value;
  int64_t expect;
  uint32_t seq;
  uint8_t client;
  uint8_t kind;    /* PaxosCmdKind */
  uint8_t key;
  uint8_t pad;
} PaxosCmd;

typedef struct {
  int64_t value;
  uint8_t has_value;
  uint8_t pad[7];
} PaxosCell;

/* A client's session: its last applied request and the reply it got. */
typedef struct {
  int64_t value;
  uint32_t seq;      /* 0: nothing applied yet */
  uint8_t is_ok;     /* cas that failed its comparison: 0 */
  uint8_t has_value;
  uint8_t pad[2];
} PaxosSession;

typedef struct {
  PaxosCell kv[PAXOS_MAX_KEYS];
  PaxosSession sessions[PAXOS_MAX_CLIENTS];
} PaxosMachine;

/* ---- Persistent state ----------------------------------------------------*/

/* Every part of the disk image carries a checksum (storage.c), 0 for an
 * all-zero part, so a node can tell on restart whether its disk gave back
 * what it wrote. */
typedef struct {
  uint64_t ballot;   /* the acceptor accepted cmd in this ballot; 0: nothing */
  PaxosCmd cmd;
  uint8_t is_chosen; /* the learner knows cmd was chosen */
  uint8_t pad[7];
  uint64_t sum;      /* paxos_slot_seal */
} PaxosSlot;

typedef struct {
  uint64_t index;    /* last slot included (0: none) */
  uint64_t chain;    /* applied chain at index */
  PaxosMachine machine;
  uint64_t sum;      /* paxos_snap_seal */
} PaxosSnapshot;

typedef struct {
  uint64_t promised;  /* highest ballot promised ("responded to a prepare") */
  uint64_t last_slot; /* highest slot with an accepted or chosen command */
  uint64_t sum;       /* of the two words above, sealed when the step syncs */
  PaxosSnapshot snap;
  PaxosSlot log[PAXOS_LOG_CAP];
} PaxosPersist;

/* ---- Node ----------------------------------------------------------------*/

typedef enum {
  PAXOS_FOLLOWER = 0, /* acceptor and learner only (zeroed state) */
  PAXOS_CANDIDATE,    /* proposer in phase 1: prepare sent, gathering promises */
  PAXOS_LEADER,       /* proposer in phase 2: promises from a majority */
} PaxosRole;

/* A client waiting at a single-decree proposer. */
typedef struct {
  int64_t value;
  uint32_t seq;
  uint8_t client;
  uint8_t kind;     /* ProtoOpKind */
  uint8_t is_covered; /* it was waiting when the current ballot's phase 1 began */
  uint8_t pad;
} PaxosPending;

/* What the proposer learned in phase 1 about one slot. */
typedef struct {
  uint64_t ballot;    /* highest accepted ballot reported; 0: none */
  PaxosCmd cmd;
  uint8_t is_chosen;
  uint8_t pad[7];
} PaxosReport;

/* An accept or an apply, kept for check() (see check.c). */
typedef enum { PAXOS_EV_ACCEPT = 1, PAXOS_EV_APPLY, PAXOS_EV_SNAPSHOT } PaxosEvKind;
typedef struct {
  uint64_t slot;
  uint64_t ballot;      /* ACCEPT: the ballot accepted */
  uint64_t hash;        /* ACCEPT, APPLY: the command's hash */
  uint64_t aux;         /* ACCEPT: promise binding it (held or booted with);
                           APPLY, SNAPSHOT: chain after */
} PaxosEv;

typedef struct {
  PaxosPersist persist;

  /* Volatile. */
  Pcg32 rng;
  uint8_t is_halted;       /* the disk image was damaged: the node stopped */
  uint8_t pad0[7];
  uint64_t boot_promised;  /* the promise the disk gave back at this boot */
  int32_t role;            /* PaxosRole */
  int32_t leader;          /* the leader we follow (heard from), or PAXOS_NOBODY */
  uint64_t ballot;         /* candidate, leader: our ballot */
  uint32_t promises;       /* bitmask of acceptors that promised our ballot */
  uint32_t attempts;       /* phase 1 attempts lost in a row (backoff) */
  uint64_t commit;         /* every slot up to here is chosen */
  uint64_t last_applied;
  uint64_t applied_chain;  /* chain of the commands applied so far */
  PaxosMachine machine;
  int64_t election_deadline_us;
  int64_t heartbeat_deadline_us;
  int64_t catchup_asked_us; /* last catch-up request (rate limit) */

  /* Leader. */
  uint64_t next_slot;        /* the next free slot for a new command */
  uint64_t start_slot;       /* slots below were open when we won phase 1 */
  uint64_t open_until;       /* slots up to here may have been chosen before us */
  int64_t lease_wait_until_us; /* reads = lease: the old leader's lease may hold */
  uint8_t is_phase2_started;
  uint8_t pad[7];
  uint64_t round_sent;
  uint64_t round_confirmed;
  uint64_t acked_round[PROTO_MAX_NODES];
  int64_t round_sent_at_us[PAXOS_ROUND_RING];
  int64_t lease_until_us;
  uint32_t acks[PAXOS_LOG_CAP];      /* acceptors that accepted slot s in our ballot */
  PaxosReport reports[PAXOS_LOG_CAP]; /* phase 1: the highest accepted per slot */
  uint64_t report_max_slot;

  /* Single mode: clients waiting for the decree. */
  uint32_t n_pending;
  uint32_t pad2;
  PaxosPending pending[PAXOS_MAX_PENDING];

  /* For check(): accepts and applies of this incarnation, in order. */
  uint64_t ev_count;
  PaxosEv ev[PAXOS_EV_RING];
} PaxosNode;

/* ---- Messages ------------------------------------------------------------*/

typedef enum {
  PAXOS_MSG_PREPARE = 1,
  PAXOS_MSG_PROMISE,
  PAXOS_MSG_ACCEPT,
  PAXOS_MSG_ACCEPTED,
  PAXOS_MSG_HEARTBEAT,
  PAXOS_MSG_HEARTBEAT_ACK,
  PAXOS_MSG_CHOSEN,
  PAXOS_MSG_CATCHUP_REQUEST,
  PAXOS_MSG_SNAPSHOT,
  PAXOS_MSG_CLIENT_REQUEST,
  PAXOS_MSG_CLIENT_REPLY,
} PaxosMsgType;

/* Phase 1a. */
typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t ballot;
  uint64_t from_slot;  /* report accepted commands from this slot on */
} PaxosPrepare;

/* A slot as it travels in Promise and Chosen. */
typedef struct {
  uint64_t slot;
  uint64_t ballot;
  PaxosCmd cmd;
  uint8_t is_chosen;
  uint8_t pad[7];
} PaxosWireSlot;

/* Phase 1b; followed by n_slots PaxosWireSlot. */
typedef struct {
  uint8_t type;
  uint8_t is_ok;       /* 0: rejected, `promised` is higher */
  uint16_t n_slots;
  uint32_t pad;
  uint64_t ballot;     /* the prepare's ballot */
  uint64_t promised;
  uint64_t snap_index; /* slots up to here are compacted: catch up from us */
} PaxosPromise;

/* Phase 2a. */
typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t ballot;
  uint64_t slot;
  uint64_t commit;     /* the leader's chosen prefix (for learners) */
  PaxosCmd cmd;
} PaxosAccept;

/* Phase 2b. */
typedef struct {
  uint8_t type;
  uint8_t is_ok;
  uint8_t pad[6];
  uint64_t ballot;
  uint64_t slot;
  uint64_t promised;
} PaxosAccepted;

typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t ballot;
  uint64_t commit;
  uint64_t round;
} PaxosHeartbeat;

typedef struct {
  uint8_t type;
  uint8_t is_ok;
  uint8_t pad[6];
  uint64_t ballot;
  uint64_t round;
  uint64_t promised;
} PaxosHeartbeatAck;

/* Chosen commands, followed by n_slots PaxosWireSlot: the learner's
 * message (single mode), and the answer to a catch-up request. */
typedef struct {
  uint8_t type;
  uint8_t pad;
  uint16_t n_slots;
  uint32_t pad2;
} PaxosChosen;

typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t from_slot;
} PaxosCatchupRequest;

typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t index;
  uint64_t chain;
  PaxosMachine machine;
} PaxosSnapshotMsg;

typedef struct {
  uint8_t type;
  uint8_t kind;    /* ProtoOpKind */
  uint8_t client;
  uint8_t key;
  uint32_t seq;
  int64_t value;
  int64_t expect;
} PaxosClientRequest;

typedef enum {
  PAXOS_REPLY_OK,
  PAXOS_REPLY_FAILED,   /* certainly not done: cas comparison, another decree */
  PAXOS_REPLY_REDIRECT, /* not the leader; leader_hint if known */
} PaxosReplyStatus;

typedef struct {
  uint8_t type;
  uint8_t status;      /* PaxosReplyStatus */
  uint8_t has_value;
  int8_t leader_hint;
  uint32_t seq;
  int64_t value;
} PaxosClientReply;

/* ---- Client stub and invariant ghost -------------------------------------*/

typedef LeaderClient PaxosClient; /* protocols/leader_client.h */

#define PAXOS_GHOST_BALLOTS 6

/* What check() remembers of one slot over the whole run. */
typedef struct {
  uint64_t slot;
  struct {
    uint64_t ballot;
    uint64_t hash;
    uint32_t voters;
    int32_t proposer_seen; /* the ballot's owner accepted it itself */
  } tally[PAXOS_GHOST_BALLOTS];
  uint64_t evicted_max;    /* highest ballot whose tally was dropped */
  uint64_t chosen_hash;    /* 0: nothing chosen yet */
  uint64_t chosen_ballot;
  uint32_t chosen_voters;
  int32_t applied_node;    /* first node that applied it, plus one (0: none) */
  uint64_t applied_chain;
} PaxosGhostSlot;

/* An acceptance the ghost has read but not yet found on the acceptor's
 * disk: it counts toward "chosen" once it is durable, and never if a crash
 * loses it first. */
typedef struct {
  uint64_t slot;
  uint64_t ballot;
  uint64_t hash;
  uint64_t seed;  /* the acceptor's incarnation (ProtoCtx.seed) */
  int32_t node;
  int32_t pad;
} PaxosGhostPending;

typedef struct {
  uint64_t seed[PROTO_MAX_NODES];      /* incarnation whose events were read */
  uint64_t seen[PROTO_MAX_NODES];      /* events read from that incarnation */
  /* Every slot any event named, over the whole run: slot number ->
   * PaxosGhostSlot (created on first use; paxos_ghost_copy and
   * paxos_ghost_free look after it).  A table rather than an array: a
   * slot number read from a Byzantine peer's message may be anything. */
  GHashTable *slots;
  PaxosGhostSlot *last;   /* the slot looked up last (in slots), or NULL */
  GArray *pending;        /* PaxosGhostPending, oldest first; NULL: none */
} PaxosGhost;

void paxos_ghost_copy (void *dst, const void *src);
void paxos_ghost_free (void *ghost);
uint64_t paxos_ghost_digest (const void *ghost);

/* ---- Internal API --------------------------------------------------------*/

static inline int paxos_majority (int n_nodes) { return n_nodes / 2 + 1; }

/* paxos.c */
int64_t paxos_random_timeout (PaxosNode *node, const PaxosConfig *cfg, int64_t now_us);
uint64_t paxos_cmd_hash (const PaxosCmd *cmd);

/* role.c: every role change goes through paxos_role_set. */
const char *paxos_role_name (PaxosRole role);
void paxos_role_set (PaxosNode *node, const ProtoCtx *ctx, PaxosRole role, ProtoOutbox *out);
void paxos_become_follower (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us,
                            ProtoOutbox *out);
void paxos_become_leader (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us,
                          ProtoOutbox *out);
gboolean paxos_see_ballot (PaxosNode *node, const ProtoCtx *ctx, uint64_t promised,
                           int64_t now_us, ProtoOutbox *out);

/* proposer.c: phase 1 start, phase 2 sends, heartbeats. */
void paxos_prepare_start (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out);
void paxos_propose (PaxosNode *node, const ProtoCtx *ctx, uint64_t slot, const PaxosCmd *cmd,
                    ProtoOutbox *out);
void paxos_send_accept (PaxosNode *node, const ProtoCtx *ctx, uint64_t slot, int peer,
                        ProtoOutbox *out);
void paxos_heartbeat (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out);
void paxos_phase2_start (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out);

/* log.c: slots, learning, applying, compaction. */
static inline gboolean
paxos_slot_in_window (const PaxosNode *node, uint64_t slot)
{
  return slot > node->persist.snap.index && slot <= node->persist.snap.index + PAXOS_LOG_CAP;
}

static inline PaxosSlot *
paxos_slot (PaxosNode *node, uint64_t slot)
{
  g_assert (paxos_slot_in_window (node, slot));
  return &node->persist.log[slot % PAXOS_LOG_CAP];
}

static inline const PaxosSlot *
paxos_slot_c (const PaxosNode *node, uint64_t slot)
{
  g_assert (paxos_slot_in_window (node, slot));
  return &node->persist.log[slot % PAXOS_LOG_CAP];
}

void paxos_accept_slot (PaxosNode *node, uint64_t slot, uint64_t ballot, const PaxosCmd *cmd);
void paxos_learn (PaxosNode *node, const ProtoCtx *ctx, uint64_t slot, const PaxosCmd *cmd,
                  ProtoOutbox *out);
void paxos_commit_advance (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us,
                           ProtoOutbox *out);
void paxos_compact (PaxosNode *node, const ProtoCtx *ctx, ProtoOutbox *out);
void paxos_install_snapshot (PaxosNode *node, uint64_t index, uint64_t chain,
                             const PaxosMachine *machine);
uint64_t paxos_chain_next (uint64_t chain, const PaxosCmd *cmd);
void paxos_reply (ProtoOutbox *out, const ProtoCtx *ctx, int client, uint32_t seq,
                  PaxosReplyStatus status, gboolean has_value, int64_t value, int leader_hint);
size_t paxos_state_extent (const void *state);
int paxos_state_holes (const void *state, size_t holes[][2]);
void paxos_ev_push (PaxosNode *node, PaxosEvKind kind, uint64_t slot, uint64_t ballot,
                    uint64_t hash, uint64_t aux);
void paxos_follow_leader (PaxosNode *node, const ProtoCtx *ctx, int from, uint64_t ballot,
                          uint64_t commit, int64_t now_us, ProtoOutbox *out);
void paxos_catchup_ask (PaxosNode *node, const ProtoCtx *ctx, int peer, int64_t now_us,
                        ProtoOutbox *out);

/* storage.c: checksums of the disk image, checked on restart. */
void paxos_slot_seal (PaxosSlot *slot);
void paxos_snap_seal (PaxosSnapshot *snap);
void paxos_persist_seal (PaxosPersist *p);
gboolean paxos_persist_is_intact (const PaxosPersist *p, GString *why);

/* single.c: the single-decree register. */
void paxos_single_phase2 (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us,
                          ProtoOutbox *out);
gboolean paxos_single_is_decided (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us,
                                  ProtoOutbox *out);
void paxos_single_answer (PaxosNode *node, const ProtoCtx *ctx, ProtoOutbox *out);
void paxos_single_request (PaxosNode *node, const ProtoCtx *ctx, int client,
                           const PaxosClientRequest *m, int64_t now_us, ProtoOutbox *out);

/* lease.c: leader leases. */
void paxos_lease_round_ack (PaxosNode *node, const ProtoCtx *ctx, int peer, uint64_t round,
                            int64_t now_us, ProtoOutbox *out);
gboolean paxos_lease_read (PaxosNode *node, const ProtoCtx *ctx, const PaxosClientRequest *m,
                           int64_t now_us, ProtoOutbox *out);

/* Message handlers: <role>_on_<message>.c, one file each. */
void paxos_acceptor_on_prepare (PaxosNode *node, const ProtoCtx *ctx, int from,
                                const PaxosPrepare *m, int64_t now_us, ProtoOutbox *out);
void paxos_proposer_on_promise (PaxosNode *node, const ProtoCtx *ctx, int from,
                                const PaxosPromise *m, const PaxosWireSlot *slots,
                                int64_t now_us, ProtoOutbox *out);
void paxos_acceptor_on_accept (PaxosNode *node, const ProtoCtx *ctx, int from,
                               const PaxosAccept *m, int64_t now_us, ProtoOutbox *out);
void paxos_proposer_on_accepted (PaxosNode *node, const ProtoCtx *ctx, int from,
                                 const PaxosAccepted *m, int64_t now_us, ProtoOutbox *out);
void paxos_acceptor_on_heartbeat (PaxosNode *node, const ProtoCtx *ctx, int from,
                                  const PaxosHeartbeat *m, int64_t now_us, ProtoOutbox *out);
void paxos_proposer_on_heartbeat_ack (PaxosNode *node, const ProtoCtx *ctx, int from,
                                      const PaxosHeartbeatAck *m, int64_t now_us,
                                      ProtoOutbox *out);
void paxos_learner_on_chosen (PaxosNode *node, const ProtoCtx *ctx, int from,
                              const PaxosWireSlot *slots, uint32_t n_slots, int64_t now_us,
                              ProtoOutbox *out);
void paxos_learner_on_catchup_request (PaxosNode *node, const ProtoCtx *ctx, int from,
                                       const PaxosCatchupRequest *m, ProtoOutbox *out);
void paxos_learner_on_snapshot (PaxosNode *node, const ProtoCtx *ctx, int from,
                                const PaxosSnapshotMsg *m, int64_t now_us, ProtoOutbox *out);
void paxos_proposer_on_client_request (PaxosNode *node, const ProtoCtx *ctx, int from,
                                       const PaxosClientRequest *m, int64_t now_us,
                                       ProtoOutbox *out);

/* client.c, check.c, format.c: the rest of the vtable. */
void paxos_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev,
                        ProtoOutbox *out);
gboolean paxos_check (void *ghost, const void *const *states, const gboolean *is_up,
                      const ProtoCtx *ctxs, int n_nodes, GString *why);
uint64_t paxos_digest (const void *state, const ProtoCtx *ctx);
void paxos_format_msg (const void *msg, size_t len, GString *out);
void paxos_format_state (const void *state, const ProtoCtx *ctx, GString *out);
int64_t paxos_leader_term (const void *state, const ProtoCtx *ctx);
gboolean paxos_converged (const void *const *states, const gboolean *is_up, const ProtoCtx *ctxs,
                          int n_nodes, GString *why);
void paxos_format_ballot (uint64_t ballot, GString *out);

extern const ProtoVTable proto_paxos;
