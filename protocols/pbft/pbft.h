/* pbft.h: Practical Byzantine Fault Tolerance (Castro & Liskov, "Practical
 * Byzantine Fault Tolerance", OSDI 1999, and "Practical Byzantine Fault
 * Tolerance and Proactive Recovery", TOCS 2002) as a pure state machine
 * behind the protocol seam (protocols/protocol.h).
 *
 * Internal to protocols/pbft/ and its tests.
 *
 * n replicas tolerate f = (n - 1) / 3 Byzantine ones.  Quorums have
 * q = ceil((n + f + 1) / 2) replicas (2f + 1 when n = 3f + 1), so any two
 * quorums share at least f + 1 replicas, one of them correct.  The primary
 * of view v is replica v mod n.
 *
 * Authentication is simulated: the network hands every message to its
 * receiver with the true sender (ProtoEvent.from), so a replica's own
 * messages cannot be forged, which is what the paper's signatures and MACs
 * buy.  A message about other replicas' messages (a view change's prepared
 * certificates) is believed only as its sender's claim: the new-view
 * decision procedure of TOCS 2002 (section 4.5, Figure 4) needs claims, not
 * signed proofs.
 *
 * The whole replica is in `persist`: the paper's replicas keep their state
 * in stable storage (or recover it, TOCS section 5); only the random stream,
 * timers and view-change timer length are volatile.
 *
 * The log is a ring of PBFT_LOG_CAP slots; sequence number s lives in slot
 * s % PBFT_LOG_CAP while h < s <= h + log_window (the watermarks). */
#pragma once

#include "protocols/protocol.h"

#define PBFT_LOG_CAP 32     /* largest log_window */
#define PBFT_MAX_KEYS 32
#define PBFT_MAX_CLIENTS 64
#define PBFT_CKPT_RING 4    /* own checkpoints not yet stable, and votes per sender */
#define PBFT_Q_MAX 2        /* digests remembered per sequence number for Q */

/* ---- Knobs ---------------------------------------------------------------*/

typedef enum {
  PBFT_BUG_NONE,
  PBFT_BUG_COMMIT_WITH_2F_PREPARES,          /* commit-local once prepared: 2f prepares,
                                                not 2f+1 commits */
  PBFT_BUG_VIEW_CHANGE_WITHOUT_CERTIFICATES, /* new view ignores P and Q: all null */
  PBFT_BUG_CLIENT_ACCEPTS_FIRST_REPLY,       /* client needs 1 reply, not f + 1 */
  PBFT_BUG_NO_DIGEST_CHECK,                  /* pre-prepare's digest not checked */
} PbftBug;

typedef struct {
  int64_t checkpoint_interval;  /* K: a checkpoint every K executed requests */
  int64_t log_window;           /* L: H = h + L */
  int64_t view_change_us;       /* T: first view-change timeout */
  int64_t resend_us;            /* retransmission of what is not yet done */
  int bug;                      /* PbftBug */
} PbftConfig;

/* ---- Requests and the state machine --------------------------------------*/

typedef enum {
  PBFT_OP_READ = PROTO_OP_READ,
  PBFT_OP_WRITE = PROTO_OP_WRITE,
  PBFT_OP_CAS = PROTO_OP_CAS,
  PBFT_OP_NULL = 7, /* the null request a new view puts in a gap (4.4) */
} PbftOpKind;

/* ⟨REQUEST, o, t, c⟩: t is the client's timestamp (its operation number),
 * so requests of one client are totally ordered (4.1). */
typedef struct {
  int64_t value;   /* write: the value; cas: the new value */
  int64_t expect;  /* cas: the expected current value */
  uint64_t auth;   /* the client's signature (pbft_request_sign) */
  uint32_t t;
  uint16_t client;
  uint8_t kind;    /* PbftOpKind */
  uint8_t key;
} PbftRequest;

typedef struct {
  int64_t value;
  uint8_t has_value;
  uint8_t pad[7];
} PbftCell;

/* The last reply sent to a client: "replicas store the last reply sent to
 * each client" (4.1), which gives at-most-once execution. */
typedef struct {
  int64_t value;
  uint32_t t;        /* 0: nothing executed for this client */
  uint8_t is_ok;     /* cas whose comparison failed: 0 */
  uint8_t has_value;
  uint8_t pad[2];
} PbftSession;

typedef struct {
  PbftCell kv[PBFT_MAX_KEYS];
  PbftSession sessions[PBFT_MAX_CLIENTS];
  uint64_t exec_chain; /* hash of every request executed, in order */
} PbftMachine;

/* ---- Messages ------------------------------------------------------------*/

typedef enum {
  PBFT_MSG_REQUEST = 1,
  PBFT_MSG_PRE_PREPARE,
  PBFT_MSG_PREPARE,
  PBFT_MSG_COMMIT,
  PBFT_MSG_REPLY,
  PBFT_MSG_CHECKPOINT,
  PBFT_MSG_VIEW_CHANGE,
  PBFT_MSG_NEW_VIEW,
  PBFT_MSG_FETCH,
  PBFT_MSG_STATE,
  PBFT_MSG_VIEW_CHANGE_ACK,
  PBFT_MSG_VC_FETCH,
  PBFT_MSG_VC_RELAY,
} PbftMsgType;

typedef struct {
  uint8_t type;
  uint8_t pad[7];
  PbftRequest req;
} PbftRequestMsg;

/* ⟨PRE-PREPARE, v, n, d⟩ with the request m piggybacked. */
typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t view, seq, digest;
  PbftRequest req;
} PbftPrePrepare;

/* How a vote was sent: the first time, again by the resend timer (its
 * sender has not finished that slot), or as an answer to a resent vote
 * (catch_up.c).  Only a resent vote is answered, so answers never echo. */
typedef enum {
  PBFT_VOTE_FIRST = 0,
  PBFT_VOTE_RESENT = 1,
  PBFT_VOTE_ANSWER = 2,
} PbftVoteHow;

/* ⟨PREPARE, v, n, d, i⟩ and ⟨COMMIT, v, n, D(m), i⟩; i is the true sender. */
typedef struct {
  uint8_t type;
  uint8_t how;     /* PbftVoteHow */
  uint8_t pad[6];
  uint64_t view, seq, digest;
} PbftVote;

/* ⟨REPLY, v, t, c, i, r⟩ */
typedef struct {
  uint8_t type;
  uint8_t is_ok;
  uint8_t has_value;
  uint8_t pad;
  uint32_t t;
  uint64_t view;
  int64_t value;
} PbftReply;

/* ⟨CHECKPOINT, n, d, i⟩ */
typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t seq, digest;
} PbftCheckpointMsg;

/* A P-set entry (TOCS 4.4): "request with digest d prepared at i with
 * number n in view v and no request prepared at i in a later view"; the
 * request rides along so the new primary has it (condition A3). */
typedef struct {
  uint64_t seq, view, digest;
  PbftRequest req;
} PbftPEntry;

/* A Q-set entry: "request with digest d pre-prepared at i with number n in
 * view v and no request with digest d pre-prepared at i in a later view";
 * also a checkpoint (seq, digest) in C. */
typedef struct {
  uint64_t seq, view, digest;
} PbftQEntry;

/* ⟨VIEW-CHANGE, v+1, h, C, P, Q, i⟩, followed on the wire by n_c checkpoint
 * entries (view unused), n_p PbftPEntry and n_q PbftQEntry. */
typedef struct {
  uint8_t type;
  uint8_t n_c;
  uint16_t n_p;
  uint16_t n_q;
  uint16_t pad;
  uint64_t view;      /* the view it moves to */
  uint64_t h;         /* its stable checkpoint */
} PbftViewChangeHead;

typedef struct {
  PbftViewChangeHead head;
  PbftQEntry c[PBFT_CKPT_RING + 1];
  PbftPEntry p[PBFT_LOG_CAP];
  PbftQEntry q[PBFT_LOG_CAP * PBFT_Q_MAX];
} PbftViewChange;

/* ⟨NEW-VIEW, v+1, V, X⟩: V names the view-change message of each replica
 * in S by its digest; X is the chosen checkpoint and, for each sequence
 * number after it, the chosen request (or the null request).  Followed on
 * the wire by n_x PbftPEntry (view unused). */
typedef struct {
  uint8_t type;
  uint8_t pad;
  uint16_t n_x;
  uint32_t pad2;
  uint64_t view;
  uint64_t ckpt_seq, ckpt_digest;
  uint64_t vc_digest[PROTO_MAX_NODES]; /* 0: not in S */
} PbftNewViewHead;

typedef struct {
  PbftNewViewHead head;
  PbftPEntry x[PBFT_LOG_CAP];
} PbftNewView;

/* ⟨VIEW-CHANGE-ACK, v, i, j, d⟩ (TOCS 4.5): replica i tells the primary of
 * view v that it holds j's view-change message for v with digest d.  The
 * same fields ask, in a VC-FETCH, for that message from whoever holds it. */
typedef struct {
  uint8_t type;
  uint8_t pad[3];
  int32_t node;      /* j */
  uint64_t view, digest;
} PbftVcAck;

/* VC-RELAY: j's view-change message as the sender received it, followed on
 * the wire by its bytes (pbft_view_change_wire). */
typedef struct {
  uint8_t type;
  uint8_t pad[3];
  int32_t node;      /* j */
} PbftVcRelayHead;

/* State transfer: asks for, and carries, the state at checkpoint seq. */
typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t seq;
} PbftFetch;

typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t seq;
  PbftMachine machine;
} PbftState;

/* ---- Node ----------------------------------------------------------------*/

typedef struct {
  uint64_t view, digest;
} PbftVoteSeen;

typedef struct {
  uint64_t seq;              /* 0: free */
  /* The pre-prepare accepted in `view` (has_pre_prepare). */
  uint64_t view, digest;
  PbftRequest req;
  uint8_t has_pre_prepare;
  uint8_t is_prepared;       /* prepared(m, view, seq, i) */
  uint8_t is_committed;      /* committed-local(m, view, seq, i) */
  uint8_t has_p;
  uint8_t n_q;
  uint8_t pad[3];
  PbftVoteSeen prepares[PROTO_MAX_NODES]; /* latest from each replica */
  PbftVoteSeen commits[PROTO_MAX_NODES];
  PbftPEntry p;              /* latest prepared certificate (has_p) */
  PbftQEntry q[PBFT_Q_MAX];
} PbftSlot;

typedef struct {
  uint64_t seq, digest;
  PbftMachine machine;
} PbftCheckpoint;

typedef struct {
  uint8_t is_pending;
  uint8_t pad[7];
  PbftRequest req;
} PbftPending;

typedef struct {
  /* Persist. */
  uint64_t view;
  uint8_t is_view_changing;  /* sent VIEW-CHANGE for `view`, no NEW-VIEW yet */
  uint8_t has_new_view;      /* new_view holds a NEW-VIEW not yet accepted */
  uint8_t is_fetching;
  uint8_t pad[5];
  uint64_t next_seq;         /* primary: last sequence number assigned */
  uint64_t last_exec;
  PbftMachine machine;
  PbftCheckpoint stable;     /* h = stable.seq */
  PbftCheckpoint own[PBFT_CKPT_RING]; /* own later checkpoints (seq 0: none) */
  PbftQEntry ckpt_votes[PROTO_MAX_NODES][PBFT_CKPT_RING]; /* seq, digest per sender */
  PbftSlot log[PBFT_LOG_CAP];
  PbftPending pending[PBFT_MAX_CLIENTS];
  uint64_t fetch_seq, fetch_digest;
  PbftViewChange vcs[PROTO_MAX_NODES];  /* latest VIEW-CHANGE from each */
  uint64_t vc_digest[PROTO_MAX_NODES];  /* its digest (0: none) */
  uint32_t vc_acks[PROTO_MAX_NODES];    /* the new primary: who acked vcs[j] (bitmask) */
  uint32_t vc_vouched[PROTO_MAX_NODES]; /* a backup: who relayed j's message the
                                           pending new-view names (bitmask) */
  PbftNewView new_view;                 /* pending or last accepted */

  /* Volatile. */
  Pcg32 rng;
  int64_t vc_deadline_us;    /* view-change timer (INT64_MAX: stopped) */
  int64_t resend_deadline_us;
  int64_t vc_timeout_us;     /* T, doubled after each failed view change */
} PbftNode;

/* ---- Client stub and invariant ghost -------------------------------------*/

typedef struct {
  uint8_t is_valid, is_ok, has_value, pad;
  uint32_t t;
  int64_t value;
} PbftClientReply;

typedef struct {
  ProtoOp op;
  uint64_t view;                       /* latest view seen in a reply */
  PbftClientReply replies[PROTO_MAX_NODES];
  uint8_t is_open;
  uint8_t has_accepted;                /* accepted_* describe the last result */
  uint8_t accepted_is_ok, accepted_has_value;
  uint32_t accepted_t;
  int64_t accepted_value;
} PbftClient;

#define PBFT_GHOST_SEQS 4096
#define PBFT_GHOST_REPLIES 8

/* Per sequence number s (at s % PBFT_GHOST_SEQS): what a replica
 * committed there and what the first to execute up to s had executed. */
typedef struct {
  struct { uint64_t seq, digest; int32_t node; int32_t pad; } committed;
  struct { uint64_t seq, chain; int32_t node; int32_t pad; } executed;
} PbftGhostSeq;

typedef struct {
  /* Per client: results correct replicas produced, for the highest request
   * numbers (t) seen. */
  struct { uint32_t t; uint8_t is_ok, has_value, pad[2]; int64_t value; }
    produced[PBFT_MAX_CLIENTS][PBFT_GHOST_REPLIES];
  uint64_t n_seqs;   /* seqs[n_seqs..] never written (pbft_ghost_extent) */
  PbftGhostSeq seqs[PBFT_GHOST_SEQS]; /* last */
} PbftGhost;

size_t pbft_ghost_extent (const void *ghost);
size_t pbft_state_extent (const void *state);
int pbft_state_holes (const void *state, size_t holes[][2]);

/* ---- Internal API --------------------------------------------------------*/

static inline int pbft_f (int n) { return (n - 1) / 3; }
static inline int pbft_quorum (int n) { return (n + pbft_f (n) + 2) / 2; }
static inline int pbft_primary (uint64_t view, int n) { return (int) (view % (uint64_t) n); }
/* L as used: at least 2K, so the next checkpoint fits below H. */
static inline uint64_t
pbft_window (const PbftConfig *cfg)
{
  return (uint64_t) MIN (MAX (cfg->log_window, 2 * cfg->checkpoint_interval), PBFT_LOG_CAP);
}

/* log.c */
uint64_t pbft_mix (uint64_t h, uint64_t v);
uint64_t pbft_request_digest (const PbftRequest *req);
uint64_t pbft_machine_digest (const PbftMachine *m, uint64_t seq);
uint64_t pbft_bytes_digest (const void *data, size_t len);
uint64_t pbft_high (const PbftNode *node, const ProtoCtx *ctx);
/* The slot for seq, claimed if free; NULL outside the watermarks. */
PbftSlot *pbft_slot (PbftNode *node, const ProtoCtx *ctx, uint64_t seq);
const PbftSlot *pbft_slot_peek (const PbftNode *node, uint64_t seq);
void pbft_slot_accept_pre_prepare (PbftNode *node, PbftSlot *s, uint64_t view,
                                   uint64_t digest, const PbftRequest *req);
void pbft_slot_update (PbftNode *node, const ProtoCtx *ctx, PbftSlot *s, int64_t now_us,
                       ProtoOutbox *out);
void pbft_send_all (const ProtoCtx *ctx, ProtoOutbox *out, const void *msg, size_t len);
void pbft_send_vote (const ProtoCtx *ctx, ProtoOutbox *out, uint8_t type, uint64_t view,
                     uint64_t seq, uint64_t digest);
/* One vote to `to` (-1: every other replica), sent `how` (PbftVoteHow). */
void pbft_send_vote_how (const ProtoCtx *ctx, ProtoOutbox *out, int to, uint8_t type,
                         uint64_t view, uint64_t seq, uint64_t digest, uint8_t how);
/* A client's signature stands in for the paper's: only the client stub
 * computes it, and no Byzantine rewriter does (it cannot forge a client).
 * The null request needs none. */
void pbft_request_sign (PbftRequest *req);
gboolean pbft_request_is_valid (const PbftRequest *req);
/* The null request for a gap at seq (variant: a distinct one per camp). */
void pbft_request_null (PbftRequest *req, uint32_t variant);

/* execute.c */
void pbft_execute (PbftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out);
void pbft_reply (const PbftNode *node, const ProtoCtx *ctx, ProtoOutbox *out, int client);
void pbft_timer_update (PbftNode *node, const ProtoCtx *ctx, int64_t now_us);
void pbft_checkpoint_stable_check (PbftNode *node, const ProtoCtx *ctx, int64_t now_us,
                                   ProtoOutbox *out);

/* catch_up.c: a replica that fell behind in this view (a vote it needed
 * was lost, and the others, done with the slot, no longer resend theirs)
 * is answered when its own resent vote arrives. */
void pbft_answer_lagging (const PbftNode *node, const ProtoCtx *ctx, int from,
                          const PbftVote *m, ProtoOutbox *out);

/* primary.c: assigning sequence numbers. */
void pbft_primary_propose (PbftNode *node, const ProtoCtx *ctx, int64_t now_us,
                           ProtoOutbox *out);

/* view_change.c */
void pbft_view_change_start (PbftNode *node, const ProtoCtx *ctx, uint64_t view,
                             int64_t now_us, ProtoOutbox *out);
/* The new-view timer of a view change starts once 2f+1 view-change
 * messages for its view are held (its own included). */
void pbft_new_view_timer_start (PbftNode *node, const ProtoCtx *ctx, int64_t now_us);
size_t pbft_view_change_wire (const PbftViewChange *vc, uint8_t *buf, size_t cap);
gboolean pbft_view_change_parse (const void *msg, size_t len, PbftViewChange *vc);
size_t pbft_new_view_wire (const PbftNewView *nv, uint8_t *buf, size_t cap);
gboolean pbft_new_view_parse (const void *msg, size_t len, PbftNewView *nv);
/* The decision procedure over the view-change messages of `senders`
 * (bitmask) for view: FALSE if it cannot decide yet. */
gboolean pbft_decide (const PbftNode *node, const ProtoCtx *ctx, uint64_t view,
                      uint32_t senders, PbftNewView *nv);
void pbft_new_view_try (PbftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out);
void pbft_new_view_enter (PbftNode *node, const ProtoCtx *ctx, const PbftNewView *nv,
                          int64_t now_us, ProtoOutbox *out);

/* Message handlers, one file each: <role>_on_<message>.c */
void pbft_replica_on_request (PbftNode *node, const ProtoCtx *ctx, int from,
                              const PbftRequest *req, int64_t now_us, ProtoOutbox *out);
void pbft_backup_on_pre_prepare (PbftNode *node, const ProtoCtx *ctx, int from,
                                 const PbftPrePrepare *m, int64_t now_us, ProtoOutbox *out);
void pbft_replica_on_prepare (PbftNode *node, const ProtoCtx *ctx, int from,
                              const PbftVote *m, int64_t now_us, ProtoOutbox *out);
void pbft_replica_on_commit (PbftNode *node, const ProtoCtx *ctx, int from,
                             const PbftVote *m, int64_t now_us, ProtoOutbox *out);
void pbft_replica_on_checkpoint (PbftNode *node, const ProtoCtx *ctx, int from,
                                 const PbftCheckpointMsg *m, int64_t now_us, ProtoOutbox *out);
void pbft_replica_on_view_change (PbftNode *node, const ProtoCtx *ctx, int from,
                                  const PbftViewChange *m, int64_t now_us, ProtoOutbox *out);
void pbft_backup_on_new_view (PbftNode *node, const ProtoCtx *ctx, int from,
                              const PbftNewView *m, int64_t now_us, ProtoOutbox *out);
void pbft_primary_on_view_change_ack (PbftNode *node, const ProtoCtx *ctx, int from,
                                      const PbftVcAck *m, int64_t now_us, ProtoOutbox *out);
void pbft_replica_on_vc_fetch (const PbftNode *node, const ProtoCtx *ctx, int from,
                               const PbftVcAck *m, ProtoOutbox *out);
void pbft_backup_on_vc_relay (PbftNode *node, const ProtoCtx *ctx, int from, int j,
                              const PbftViewChange *vc, uint64_t digest, int64_t now_us,
                              ProtoOutbox *out);
/* Asks every replica for the view-change messages the pending new-view
 * names and this backup lacks (backup_on_new_view.c). */
void pbft_new_view_fetch_missing (const PbftNode *node, const ProtoCtx *ctx, ProtoOutbox *out);
void pbft_replica_on_fetch (PbftNode *node, const ProtoCtx *ctx, int from,
                            const PbftFetch *m, ProtoOutbox *out);
void pbft_replica_on_state (PbftNode *node, const ProtoCtx *ctx, int from,
                            const PbftState *m, int64_t now_us, ProtoOutbox *out);

/* client.c, check.c, format.c, tamper.c: the rest of the vtable. */
void pbft_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev,
                       ProtoOutbox *out);
gboolean pbft_check (void *ghost, const void *const *states, const gboolean *is_up,
                     const ProtoCtx *ctxs, int n_nodes, GString *why);
gboolean pbft_check_client (void *ghost, const void *cstate, const ProtoCtx *ctx,
                            GString *why);
uint64_t pbft_digest (const void *state, const ProtoCtx *ctx);
void pbft_format_msg (const void *msg, size_t len, GString *out);
void pbft_format_state (const void *state, const ProtoCtx *ctx, GString *out);
int64_t pbft_leader_term (const void *state, const ProtoCtx *ctx);
ProtoMsgClass pbft_msg_class (const void *msg, size_t len);
gboolean pbft_tamper (const void *state, const ProtoCtx *ctx, uint8_t *msg, size_t *len,
                      ProtoTamper how, uint32_t variant, Pcg32 *rng);

extern const ProtoVTable proto_pbft;
