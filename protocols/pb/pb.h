/* pb.h: asynchronous primary-backup replication of a key-value register
 * (internal to protocols/pb; the world sees only proto_pb's vtable).
 *
 * The primary answers clients at once and ships each update to the backups
 * in the background, numbered by a sequence number; backups apply updates in
 * sequence order and ask for what they miss.  The primary sends heartbeats;
 * a backup that hears nothing from the primary for failover_timeout
 * (times its rank: the lowest-numbered backup goes first) promotes itself
 * in a higher epoch.  Epochs are unique per node (epoch mod n_nodes is the
 * node that leads it), so two nodes never lead the same epoch.
 *
 * This is NOT safe, on purpose: an old primary cut off by a partition keeps
 * answering clients while a new one does too (split brain), and writes the
 * primary acknowledged but had not yet shipped are lost when a backup takes
 * over.  A linearizability checker sees both; that is the lesson.
 *
 * State survives a crash the way a disk would: epoch, sequence number, the
 * register values and the per-client reply table are `persist`; the role,
 * the primary a node believes in, timers and the resend ring are volatile. */
#pragma once

#include "protocols/protocol.h"

#define PB_MAX_KEYS 64
#define PB_MAX_CLIENTS PROTO_MAX_ENDPOINTS
#define PB_RING 64 /* recent updates kept for resending */

typedef struct {
  int64_t heartbeat_us;        /* primary's heartbeat interval */
  int64_t failover_timeout_us; /* silence after which a backup suspects */
  int64_t resend_batch;        /* updates resent per acknowledgement */
} PbConfig;

typedef enum { PB_BACKUP = 0, PB_PRIMARY = 1 } PbRole;

/* A reply kind, as sent to clients and remembered for retries. */
typedef enum {
  PB_REPLY_NONE = 0,
  PB_REPLY_OK = 1,
  PB_REPLY_FAIL = 2,     /* cas: the expected value did not match */
  PB_REPLY_REDIRECT = 3, /* not the primary: try `hint` */
} PbReplyKind;

/* One register cell.  All structs below are padding-free, so the state can
 * be hashed and compared as bytes. */
typedef struct {
  int64_t value;
  uint32_t has_value; /* 0: nil, never written */
  uint32_t pad;
} PbCell;

/* The last write or cas of one client and the reply it got: a retry with
 * the same (client, seq) gets this reply again instead of applying twice. */
typedef struct {
  uint32_t seq;       /* the client's operation number; 0: none yet */
  uint32_t kind;      /* PbReplyKind */
  uint32_t has_value;
  uint32_t pad;
  int64_t value;
} PbClientEntry;

/* One replicated update: the new value of a key, and the reply table entry
 * that goes with it. */
typedef struct {
  uint64_t epoch;     /* epoch of the primary that made it */
  uint64_t seq;       /* position in the primary's sequence, from 1 */
  int32_t key;
  uint32_t has_value;
  int64_t value;
  uint32_t client;    /* whose operation it was */
  uint32_t client_seq;
  PbClientEntry reply;
} PbUpdate;

typedef struct {
  uint64_t boots;     /* starts so far (0 before the first) */
  uint64_t epoch;     /* epoch of the data this node holds */
  uint64_t seq;       /* updates applied in that data's history */
  PbCell kv[PB_MAX_KEYS];
  PbClientEntry clients[PB_MAX_CLIENTS];
} PbPersist;

typedef struct {
  PbPersist persist;
  /* Volatile. */
  uint32_t role;          /* PbRole */
  int32_t primary;        /* the node this one believes is primary */
  uint64_t primary_epoch; /* the highest epoch heard of */
  int64_t last_heard_us;  /* when the primary was last heard from */
  int64_t next_heartbeat_us;
  PbUpdate ring[PB_RING]; /* ring[seq % PB_RING], valid when .seq matches */
} PbNode;

/* ---- Messages ------------------------------------------------------------*/

typedef enum {
  PB_MSG_REQUEST = 1,  /* client -> node */
  PB_MSG_REPLY,        /* node -> client */
  PB_MSG_UPDATE,       /* primary -> backup */
  PB_MSG_HEARTBEAT,    /* primary -> backup */
  PB_MSG_ACK,          /* backup -> primary: where it is */
  PB_MSG_SNAPSHOT,     /* primary -> backup: the whole state */
} PbMsgType;

typedef struct {
  uint32_t type;
  uint32_t f;          /* ProtoOpKind */
  uint32_t client;
  uint32_t seq;
  int32_t key;
  uint32_t pad;
  int64_t value;
  int64_t expect;
} PbRequest;

typedef struct {
  uint32_t type;
  uint32_t seq;        /* the operation it answers */
  uint32_t kind;       /* PbReplyKind */
  uint32_t has_value;
  int64_t value;
  int32_t hint;        /* REDIRECT: the node believed to be primary */
  uint32_t pad;
} PbReply;

typedef struct {
  uint32_t type;
  uint32_t pad;
  PbUpdate u;
} PbUpdateMsg;

/* HEARTBEAT and ACK: where the sender's data is (epoch, seq) and the
 * highest epoch it has heard of. */
typedef struct {
  uint32_t type;
  uint32_t pad;
  uint64_t epoch;
  uint64_t seq;
  uint64_t known_epoch;
} PbPosition;

/* Followed by n_keys PbCell and n_clients PbClientEntry. */
typedef struct {
  uint32_t type;
  uint32_t n_keys;
  uint32_t n_clients;
  uint32_t pad;
  uint64_t epoch;
  uint64_t seq;
} PbSnapshotHead;

/* ---- Handlers (one file each) -------------------------------------------*/

void pb_recv_request (PbNode *node, const ProtoCtx *ctx, int from, const PbRequest *m,
                      ProtoOutbox *out);
void pb_recv_update (PbNode *node, const ProtoCtx *ctx, int from, const PbUpdateMsg *m,
                     int64_t now_us, ProtoOutbox *out);
void pb_recv_heartbeat (PbNode *node, const ProtoCtx *ctx, int from, const PbPosition *m,
                        int64_t now_us, ProtoOutbox *out);
void pb_recv_ack (PbNode *node, const ProtoCtx *ctx, int from, const PbPosition *m,
                  int64_t now_us, ProtoOutbox *out);
/* msg: the whole message (a PbSnapshotHead, then the cells and clients). */
void pb_recv_snapshot (PbNode *node, const ProtoCtx *ctx, int from, const uint8_t *msg,
                       size_t len, int64_t now_us, ProtoOutbox *out);
void pb_on_timeout (PbNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out);

/* ---- Shared helpers (pb.c) ------------------------------------------------*/

/* The one place a role changes; asserts the edge is legal (a backup is
 * promoted, a primary steps down). */
void pb_role_set (PbNode *node, const ProtoCtx *ctx, PbRole role, ProtoOutbox *out);
/* Applies u to the data and records it in the ring (primary and backups). */
void pb_apply (PbNode *node, const PbUpdate *u);
/* A backup's next failover deadline, from when it last heard the primary. */
int64_t pb_failover_deadline (const PbNode *node, const ProtoCtx *ctx);
/* The node that leads epoch e. */
int pb_epoch_leader (uint64_t epoch, const ProtoCtx *ctx);
/* Sends a HEARTBEAT (to a backup) or ACK (to the primary) with our position. */
void pb_send_position (const PbNode *node, ProtoOutbox *out, PbMsgType type, int to);
/* The primary's heartbeat to every backup; schedules the next one. */
void pb_send_heartbeats (PbNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out);
/* Sends the whole state to one backup. */
void pb_send_snapshot (const PbNode *node, const ProtoCtx *ctx, ProtoOutbox *out, int to);
/* Learns that epoch `epoch` is led by someone else; a primary steps down. */
void pb_hear_epoch (PbNode *node, const ProtoCtx *ctx, uint64_t epoch, int64_t now_us,
                    ProtoOutbox *out);

/* A backup hears the primary of `epoch` (a heartbeat, update or snapshot
 * from `from`).  From a deposed primary (an epoch older than one already
 * heard of, or not from the epoch's leader) it answers with an ACK naming
 * the newer epoch and returns FALSE.  Otherwise it follows that primary,
 * restarts its failover timer and returns TRUE; FALSE too if this node is
 * itself the primary. */
gboolean pb_follow (PbNode *node, const ProtoCtx *ctx, int from, uint64_t epoch,
                    int64_t now_us, ProtoOutbox *out);

/* The client stub (client.c). */
void pb_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev,
                     ProtoOutbox *out);

typedef struct {
  ProtoOp op;          /* the operation in progress */
  uint32_t has_op;
  int32_t target;      /* the node it believes is primary */
  uint32_t redirects;  /* redirects followed in this attempt */
  uint32_t pad;
} PbClient;
