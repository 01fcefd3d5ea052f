/* quorum.h: leaderless quorum replication as Dynamo, Cassandra and Riak do
 * it, and the ABD register, as a pure state machine behind the protocol
 * seam (protocols/protocol.h).
 *
 * DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store"
 * (SOSP 2007): a consistent-hashing ring with virtual nodes (section 4.2),
 * the preference list of a key (4.3), N/W/R quorums, sloppy quorums and
 * hinted handoff (4.6), read repair and anti-entropy (4.7), and version
 * vectors with siblings that the client merges (4.4).  Siblings are kept
 * with dotted version vectors (Preguica, Baquero, Almeida, Fonte,
 * Goncalves, "Dotted Version Vectors", 2010): each sibling carries the dot
 * of the write that made it and the causal context that write had.
 * Cassandra's last-writer-wins by the coordinator's clock is `conflict =
 * lww`.  `mode = abd` is the multi-writer ABD register (Attiya, Bar-Noy,
 * Dolev, "Sharing Memory Robustly in Message-Passing Systems", JACM 1995,
 * with (counter, node) timestamps as in Lynch and Shvartsman's multi-writer
 * version): two phases for both reads and writes, over majorities.
 *
 * Internal to protocols/quorum/ and its tests.  QuorumNode is one flat
 * struct: QuorumPersist (the store, the hints, the dot counter, the
 * incarnation) survives a crash; the rest is volatile. */
#pragma once

#include "protocols/protocol.h"

#define QUORUM_MAX_KEYS 16
#define QUORUM_MAX_SIBLINGS PROTO_MAX_SIBLINGS
#define QUORUM_MAX_HINTS 32
#define QUORUM_MAX_OPS 16      /* operations one coordinator runs at once */
#define QUORUM_MAX_PENDING 16  /* bug ack-before-store: writes not yet stored */
#define QUORUM_ACK_RING 8      /* acknowledged writes shown to check() */
#define QUORUM_MAX_VNODES 256
#define QUORUM_NOBODY (-1)

/* ---- Knobs ---------------------------------------------------------------*/

typedef enum {
  QUORUM_MODE_DYNAMO, /* one round: W acks, R replies */
  QUORUM_MODE_ABD,    /* two rounds over majorities, reads write back */
} QuorumMode;

typedef enum {
  QUORUM_CONFLICT_LWW, /* last writer wins by (coordinator clock, node) */
  QUORUM_CONFLICT_VV,  /* dotted version vectors; concurrent writes are siblings */
} QuorumConflict;

typedef enum {
  QUORUM_COORD_ANY,   /* the client asks any node (vv: any node of the preference list) */
  QUORUM_COORD_OWNER, /* the client asks the first node of the preference list */
} QuorumCoordinator;

typedef enum {
  QUORUM_HINTS_PERSISTED,
  QUORUM_HINTS_VOLATILE,
} QuorumHintStorage;

typedef enum {
  QUORUM_BUG_NONE,
  QUORUM_BUG_HINT_DROPPED_ON_RESTART,   /* a restarted node discards its hints */
  QUORUM_BUG_ACK_BEFORE_STORE,          /* a replica acks, stores a moment later */
  QUORUM_BUG_READ_REPAIR_OVERWRITES_NEWER, /* repair replaces instead of merging */
  QUORUM_BUG_ABD_SKIP_WRITE_BACK,       /* an ABD read returns without phase 2 */
} QuorumBug;

typedef struct {
  int64_t n, w, r;            /* replicas, write acks, read replies */
  int64_t vnodes;             /* ring points per node */
  int mode;                   /* QuorumMode */
  int conflict;               /* QuorumConflict */
  int coordinator;            /* QuorumCoordinator */
  gboolean read_repair;
  gboolean sloppy;
  int hints;                  /* QuorumHintStorage */
  int64_t fallback_us;        /* sloppy: wait this long for a replica, then
                                 ask the next node on the ring */
  int64_t handoff_us;         /* how often hint holders try to hand off */
  int64_t anti_entropy_us;    /* 0: off */
  int64_t merkle_depth;       /* anti-entropy tree depth; 0: one digest per key */
  int64_t store_delay_us;     /* bug ack-before-store: ack to store */
  int bug;                    /* QuorumBug */
} QuorumConfig;

/* ---- Versions ------------------------------------------------------------*/

/* A version vector: vv[i] is the highest dot of node i it covers. */
typedef struct {
  uint32_t c[PROTO_MAX_NODES];
} QuorumVV;

/* vv: one concurrent version.  (dot_node, dot) names the write that made it;
 * ctx is what that write's client had seen (not including the dot). */
typedef struct {
  int64_t value;
  uint32_t dot;
  uint8_t dot_node;
  uint8_t pad[3];
  QuorumVV ctx;
} QuorumSibling;

/* What a replica holds for one key.  lww and abd: one version ordered by
 * (ts, ts_node) (lww: the coordinator's clock in us; abd: a counter);
 * vv: up to QUORUM_MAX_SIBLINGS siblings sorted by (dot_node, dot). */
typedef struct {
  int64_t ts;
  int64_t value;
  int32_t ts_node;
  uint8_t has_value;
  uint8_t n_siblings;
  uint8_t pad[2];
  QuorumSibling sib[QUORUM_MAX_SIBLINGS];
} QuorumCell;

/* A write held for a node that could not be reached (Dynamo 4.6). */
typedef struct {
  uint8_t is_used;
  uint8_t key;
  uint8_t owner;
  uint8_t pad[5];
  QuorumCell cell;
} QuorumHint;

typedef struct {
  uint32_t dot;  /* vv: the last dot this node made (unique per node) */
  uint32_t n_hints;
  uint32_t incarnation; /* this node's starts, counted on its disk; request
                           tags carry it (quorum_tag) */
  uint32_t pad;
  QuorumCell store[QUORUM_MAX_KEYS];
  QuorumHint hints[QUORUM_MAX_HINTS];
} QuorumPersist;

/* ---- Coordinator ---------------------------------------------------------*/

typedef enum {
  QUORUM_OP_READ = 1,
  QUORUM_OP_WRITE,
  QUORUM_OP_FETCH,  /* vv: a read for the context of a write; not in the history */
} QuorumOpKind;

typedef enum {
  QUORUM_PHASE_QUERY = 1, /* abd phase 1, or a dynamo read */
  QUORUM_PHASE_STORE,     /* abd phase 2, or a dynamo write */
} QuorumPhase;

/* A request tag names one request of one coordinator: its incarnation in
 * the high 32 bits, the count of requests it made in that incarnation in
 * the low 32.  Replies (PutAck, GetReply) carry it back, and an operation
 * takes a reply only if the whole tag matches.  0: no request (a free
 * operation slot; a Put that is a read repair). */
static inline uint64_t
quorum_tag (uint32_t incarnation, uint32_t count)
{
  return ((uint64_t) incarnation << 32) | count;
}

static inline uint32_t
quorum_tag_incarnation (uint64_t tag)
{
  return (uint32_t) (tag >> 32);
}

/* One operation this node coordinates. */
typedef struct {
  uint64_t tag;          /* 0: free slot; replies carry it (quorum_tag) */
  uint32_t seq;
  uint8_t client, key, kind, phase;
  uint8_t is_answered;   /* the client has its reply; the slot stays for repair */
  uint8_t next_ring;     /* sloppy: next position of the ring order to try */
  uint16_t asked;        /* nodes asked in this phase (bitmask) */
  uint16_t replied;      /* nodes that answered in this phase */
  uint16_t repaired;     /* nodes sent a read repair */
  uint8_t level;         /* ProtoLevel of the client's request */
  uint8_t pad;
  uint32_t needed;       /* answers this phase waits for */
  uint32_t dot;          /* vv write: the dot this write made */
  int64_t value;         /* write: the value */
  int64_t fallback_at_us;
  int64_t expires_at_us;
  QuorumVV ctx;          /* write: the client's context */
  uint64_t reply_digest[PROTO_MAX_NODES]; /* read: what each replica had */
  QuorumCell cell;       /* write: the new version; read: the merge of replies */
} QuorumOp;

/* An acknowledged write, for the no-lost-write invariant. */
typedef struct {
  int64_t ts;
  int64_t value;
  int32_t ts_node;
  uint32_t dot;
  uint8_t dot_node;
  uint8_t key;
  uint8_t client;
  uint8_t w;       /* acks it waited for, if its level set them (0: knob w) */
  uint32_t seq;
} QuorumAcked;

/* Bug ack-before-store: a write acknowledged but kept in memory only. */
typedef struct {
  int64_t store_at_us;
  uint8_t is_used;
  uint8_t key;
  uint8_t pad[6];
  QuorumCell cell;
} QuorumPending;

typedef struct {
  QuorumPersist persist;

  /* Volatile. */
  Pcg32 rng;
  uint8_t ring[QUORUM_MAX_KEYS][PROTO_MAX_NODES]; /* each key's ring order of nodes */
  uint32_t tag_count;     /* requests made in this incarnation (quorum_tag) */
  uint32_t n_acked;       /* writes acknowledged since the start */
  int64_t handoff_at_us;
  int64_t anti_entropy_at_us;
  QuorumAcked acked[QUORUM_ACK_RING];
  QuorumOp ops[QUORUM_MAX_OPS];
  QuorumPending pending[QUORUM_MAX_PENDING];
} QuorumNode;

/* ---- Messages ------------------------------------------------------------*/

typedef enum {
  QUORUM_MSG_CLIENT_REQUEST = 1,
  QUORUM_MSG_CLIENT_REPLY,
  QUORUM_MSG_PUT,
  QUORUM_MSG_PUT_ACK,
  QUORUM_MSG_GET,
  QUORUM_MSG_GET_REPLY,
  QUORUM_MSG_HANDOFF,
  QUORUM_MSG_HANDOFF_ACK,
  QUORUM_MSG_AE_DIGEST,
  QUORUM_MSG_AE_PUSH,
  QUORUM_MSG_AE_TREE,
  QUORUM_MSG_AE_KEYS,
} QuorumMsgType;

typedef struct {
  uint8_t type;
  uint8_t kind;    /* QuorumOpKind */
  uint8_t client;
  uint8_t key;
  uint32_t seq;
  int64_t value;
  uint8_t level;   /* ProtoLevel: replies or acks to wait for (dynamo) */
  uint8_t pad[3];
  QuorumVV ctx;    /* vv write: what the client has seen of the key */
} QuorumClientRequest;

typedef struct {
  uint8_t type;
  uint8_t n_values; /* read: 0 nil, 1 a value, more: siblings */
  uint8_t pad[2];
  uint32_t seq;
  int64_t values[QUORUM_MAX_SIBLINGS];
  QuorumVV ctx;     /* vv: the causal context of what was read or written */
} QuorumClientReply;

/* Store a version.  tag 0: a read repair, no ack wanted.  Under mode =
 * abd the client sends Put and Get itself, with tags it counts from 1 (a
 * client never restarts). */
typedef struct {
  uint8_t type;
  uint8_t key;
  int8_t hint_for;  /* sloppy: the owner this node stands in for; -1 none */
  uint8_t pad[5];
  uint64_t tag;
  QuorumCell cell;
} QuorumPut;

typedef struct {
  uint8_t type;
  uint8_t key;
  uint8_t pad[6];
  uint64_t tag;
} QuorumPutAck;

typedef struct {
  uint8_t type;
  uint8_t key;
  uint8_t pad[6];
  uint64_t tag;
} QuorumGet;

typedef struct {
  uint8_t type;
  uint8_t key;
  uint8_t pad[6];
  uint64_t tag;
  QuorumCell cell;
} QuorumGetReply;

typedef struct {
  uint8_t type;
  uint8_t key;
  uint8_t pad[6];
  uint64_t digest;  /* of the cell handed off */
  QuorumCell cell;
} QuorumHandoff;

typedef struct {
  uint8_t type;
  uint8_t key;
  uint8_t pad[6];
  uint64_t digest;
} QuorumHandoffAck;

/* Anti-entropy: the digest of every key both nodes replicate (0: not shared). */
typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t digest[QUORUM_MAX_KEYS];
} QuorumAeDigest;

typedef struct {
  uint8_t type;
  uint8_t key;
  uint8_t wants_reply; /* send back the merge if it differs */
  uint8_t pad[5];
  QuorumCell cell;
} QuorumAePush;

/* Anti-entropy with Merkle trees (merkle.c): the hashes of n_hashes nodes
 * of one level of the sender's tree over the keys both nodes replicate,
 * from (level, first) on.  Level 0 is the root; node (level, i) covers the
 * ring positions whose top `level` bits are i. */
#define QUORUM_MERKLE_MAX_DEPTH 24
typedef struct {
  uint8_t type;
  uint8_t level;
  uint8_t n_hashes;    /* 1: the root; 2: the two children of a node */
  uint8_t pad;
  uint32_t first;
  uint64_t hash[2];
} QuorumAeTree;

/* The keys under a Merkle leaf that differs, with the digests of the
 * sender's versions; the receiver pushes those it holds differently. */
typedef struct {
  uint8_t type;
  uint8_t n_keys;
  uint8_t pad[6];
  uint8_t key[QUORUM_MAX_KEYS];
  uint64_t digest[QUORUM_MAX_KEYS];
} QuorumAeKeys;

/* ---- Client stub and invariant ghost -------------------------------------*/

typedef struct {
  ProtoOp op;
  Pcg32 rng;
  int32_t target;
  uint32_t tries;        /* attempts of the current operation */
  uint8_t is_open;
  uint8_t is_seeded;
  uint8_t is_fetching;   /* vv: fetching the context before a write */
  uint8_t start;         /* coordinator = any: where the tour of nodes starts */
  uint8_t phase;         /* abd: QuorumPhase of the current operation */
  uint8_t pad;
  uint16_t replied;      /* abd: replicas that answered this phase */
  uint32_t tag;          /* abd: names this phase in replies */
  QuorumCell cell;       /* abd: the largest version heard, or the one stored */
  uint8_t ring[QUORUM_MAX_KEYS][PROTO_MAX_NODES];
  uint8_t has_ctx[QUORUM_MAX_KEYS];
  QuorumVV ctx[QUORUM_MAX_KEYS];
} QuorumClient;

#define QUORUM_GHOST_ACKED 64
#define QUORUM_ACK_VOID 0xff

typedef struct {
  uint32_t acked_seen[PROTO_MAX_NODES];
  uint32_t n_acked;
  uint32_t seen_used;   /* seen[][] past this many cells (key-major) was
                           never written: all zero (quorum_ghost_extent) */
  QuorumAcked acked[QUORUM_GHOST_ACKED];
  /* 0: acked[k] counts; n + 1: its coordinator n holds the write in memory
   * only, its reply waiting for the sync; QUORUM_ACK_VOID: a crash lost it
   * with the reply (check.c, acked_settle). */
  uint8_t acked_wait[QUORUM_GHOST_ACKED];
  /* What each replica held: versions never go back, siblings survive.
   * Last, so the ghost's bytes end where the cells in use end. */
  QuorumCell seen[QUORUM_MAX_KEYS][PROTO_MAX_NODES];
} QuorumGhost;

size_t quorum_ghost_extent (const void *ghost);

/* ---- Internal API --------------------------------------------------------*/

/* ring.c: consistent hashing with virtual nodes (Dynamo 4.2, 4.3). */
uint64_t quorum_ring_key_position (int key);
uint64_t quorum_ring_point (int node, int vnode);
/* The distinct nodes met walking clockwise from the key's position: the
 * first n are its preference list, the rest the fallbacks in order. */
void quorum_ring_order (int n_nodes, int vnodes, int key, uint8_t order[PROTO_MAX_NODES]);
/* quorum_ring_order of every key. */
void quorum_ring_orders (int n_nodes, int vnodes,
                         uint8_t order[QUORUM_MAX_KEYS][PROTO_MAX_NODES]);
/* Each node's share of the ring (arc it owns as first replica), out of 1. */
void quorum_ring_shares (int n_nodes, int vnodes, double shares[PROTO_MAX_NODES]);
int quorum_replicas (const ProtoCtx *ctx);  /* min (n, n_nodes) */
gboolean quorum_is_replica (const QuorumNode *node, const ProtoCtx *ctx, int key, int who);
/* Is `who` among the first n of a key's ring order? */
gboolean quorum_is_replica_of (const uint8_t order[PROTO_MAX_NODES], const ProtoCtx *ctx,
                               int who);

/* cell.c: versions, their merge and their order. */
gboolean quorum_cell_is_vv (const ProtoCtx *ctx);
gboolean quorum_cell_is_valid (const QuorumCell *c, int n_nodes);
void quorum_vv_join (QuorumVV *into, const QuorumVV *other);
void quorum_cell_context (const QuorumCell *cell, QuorumVV *vv);
/* vv: adds a new sibling made by the write (dot_node, dot) with context
 * ctx; drops the siblings that ctx covers. */
void quorum_cell_add_write (QuorumCell *cell, int64_t value, int dot_node, uint32_t dot,
                            const QuorumVV *ctx, ProtoOutbox *out);
/* Merges src into dst (lww/abd: the larger timestamp; vv: the union of
 * siblings, less those another covers).  TRUE if dst changed.  out may be
 * NULL (no marks or notes). */
gboolean quorum_cell_merge (QuorumCell *dst, const QuorumCell *src, gboolean is_vv,
                            ProtoOutbox *out);
/* lww/abd: is (ts, node) of a newer than b's? */
gboolean quorum_ts_newer (int64_t ts_a, int32_t node_a, int64_t ts_b, int32_t node_b);
/* Does the cell hold the acknowledged write, or something that replaced it? */
gboolean quorum_cell_covers (const QuorumCell *cell, const QuorumAcked *a, gboolean is_vv);
uint64_t quorum_cell_digest (const QuorumCell *cell);
/* The bytes of a cell in use: the header and its siblings (the rest is 0). */
size_t quorum_cell_used_size (const QuorumCell *cell);
/* The values a read returns: 0 (nil), 1, or several siblings. */
uint32_t quorum_cell_values (const QuorumCell *cell, gboolean is_vv,
                             int64_t values[QUORUM_MAX_SIBLINGS]);
void quorum_cell_format (const QuorumCell *cell, gboolean is_vv, GString *out);

/* store.c: a replica takes a version, into its store or as a hint. */
/* FALSE if it could not take it (no room for a hint): no ack. */
gboolean quorum_store_put (QuorumNode *node, const ProtoCtx *ctx, int key,
                           const QuorumCell *cell, int hint_for, int64_t now_us,
                           ProtoOutbox *out);
void quorum_store_flush (QuorumNode *node, const ProtoCtx *ctx, int64_t now_us,
                         ProtoOutbox *out);
/* The store's cell merged with any hints the node holds for the key. */
void quorum_store_read (const QuorumNode *node, int key, gboolean is_vv, QuorumCell *cell);
int64_t quorum_store_next_flush (const QuorumNode *node);

/* coordinator.c */
void quorum_coord_start (QuorumNode *node, const ProtoCtx *ctx, int client,
                         const QuorumClientRequest *m, int64_t now_us, ProtoOutbox *out);
void quorum_coord_timeout (QuorumNode *node, const ProtoCtx *ctx, int64_t now_us,
                           ProtoOutbox *out);
/* The operation a reply's tag names, or NULL (an operation this node no
 * longer runs: expired, or run by an earlier incarnation). */
QuorumOp *quorum_coord_find (QuorumNode *node, uint64_t tag, ProtoOutbox *out);
void quorum_coord_answer (QuorumNode *node, const ProtoCtx *ctx, QuorumOp *op, int from,
                          const QuorumCell *cell, int64_t now_us, ProtoOutbox *out);

/* merkle.c: Merkle trees over ring positions (Dynamo 4.7), as pure
 * functions of a replica's keys, so that any number of keys can be
 * compared. */
typedef struct {
  uint64_t token;   /* the key's ring position */
  uint64_t digest;  /* of the replica's version of it */
  int32_t key;
  int32_t pad;
} QuorumMerkleLeaf;

/* What a replica answers to a QuorumAeTree: for each node that differs
 * from its own, either its two children's hashes (an inner node) or the
 * keys under it, leaves[lo..hi), whose digests it sends (a leaf). */
typedef struct {
  QuorumAeTree trees[2];
  int n_trees;
  int leaf_lo[2], leaf_hi[2];
  int n_leaves;
} QuorumMerkleAnswer;

/* Sorts leaves by (token, key). */
void quorum_merkle_sort (QuorumMerkleLeaf *leaves, int n);
/* The hash of node (level, index) of the tree of the given depth over
 * leaves (sorted); 0 for a node that covers no key. */
uint64_t quorum_merkle_hash (const QuorumMerkleLeaf *leaves, int n, int depth, int level,
                             uint32_t index);
/* The root, as the message that starts an exchange. */
void quorum_merkle_root (const QuorumMerkleLeaf *leaves, int n, int depth, QuorumAeTree *m);
/* The answer to m (checked: level <= depth, n_hashes 1 or 2, nodes in
 * range; a message that is not is answered with nothing). */
void quorum_merkle_answer (const QuorumMerkleLeaf *leaves, int n, int depth,
                           const QuorumAeTree *m, QuorumMerkleAnswer *ans);

/* handoff.c, anti_entropy.c */
void quorum_handoff_send (QuorumNode *node, const ProtoCtx *ctx, ProtoOutbox *out);
void quorum_recv_handoff (QuorumNode *node, const ProtoCtx *ctx, int from,
                          const QuorumHandoff *m, int64_t now_us, ProtoOutbox *out);
void quorum_recv_handoff_ack (QuorumNode *node, const ProtoCtx *ctx, int from,
                              const QuorumHandoffAck *m, ProtoOutbox *out);
void quorum_anti_entropy_start (QuorumNode *node, const ProtoCtx *ctx, ProtoOutbox *out);
void quorum_recv_ae_digest (QuorumNode *node, const ProtoCtx *ctx, int from,
                            const QuorumAeDigest *m, ProtoOutbox *out);
void quorum_recv_ae_push (QuorumNode *node, const ProtoCtx *ctx, int from,
                          const QuorumAePush *m, int64_t now_us, ProtoOutbox *out);
void quorum_recv_ae_tree (QuorumNode *node, const ProtoCtx *ctx, int from,
                          const QuorumAeTree *m, ProtoOutbox *out);
void quorum_recv_ae_keys (QuorumNode *node, const ProtoCtx *ctx, int from,
                          const QuorumAeKeys *m, ProtoOutbox *out);

/* Message handlers, one file each. */
void quorum_recv_client_request (QuorumNode *node, const ProtoCtx *ctx, int from,
                                 const QuorumClientRequest *m, int64_t now_us, ProtoOutbox *out);
void quorum_recv_put (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumPut *m,
                      int64_t now_us, ProtoOutbox *out);
void quorum_recv_put_ack (QuorumNode *node, const ProtoCtx *ctx, int from,
                          const QuorumPutAck *m, int64_t now_us, ProtoOutbox *out);
void quorum_recv_get (QuorumNode *node, const ProtoCtx *ctx, int from, const QuorumGet *m,
                      ProtoOutbox *out);
void quorum_recv_get_reply (QuorumNode *node, const ProtoCtx *ctx, int from,
                            const QuorumGetReply *m, int64_t now_us, ProtoOutbox *out);

/* abd.c: the ABD client, which runs both phases itself. */
void quorum_abd_client_step (QuorumClient *c, const ProtoCtx *ctx, const ProtoEvent *ev,
                             ProtoOutbox *out);
void quorum_client_seed (QuorumClient *c, const ProtoCtx *ctx);

/* client.c, check.c, format.c: the rest of the vtable. */
void quorum_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev,
                         ProtoOutbox *out);
gboolean quorum_check (void *ghost, const void *const *states, const gboolean *is_up,
                       const ProtoCtx *ctxs, int n_nodes, GString *why);
void quorum_format_msg (const void *msg, size_t len, GString *out);
void quorum_format_state (const void *state, const ProtoCtx *ctx, GString *out);
/* extent.c */
size_t quorum_state_extent (const void *state);
int quorum_state_holes (const void *state, size_t holes[][2]);

extern const ProtoVTable proto_quorum;
