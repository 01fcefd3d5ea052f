/* raft.h: Raft (Ongaro & Ousterhout, "In Search of an Understandable
 * Consensus Algorithm", 2014, and Ongaro's thesis "Consensus: Bridging
 * Theory and Practice", 2014) as a pure state machine behind the protocol
 * seam (protocols/protocol.h).
 *
 * Internal to protocols/raft/ and its tests.  The node is one flat struct,
 * RaftNode: its last member, RaftPersist, is what survives a crash
 * (current term, vote, log and the snapshot that replaced the log's prefix);
 * everything before it is volatile and zeroed by a crash.  The log ring
 * comes last, and its unused slots are kept zero, so the bytes that can be
 * nonzero end at the highest slot in use (raft_state_extent): a world
 * copies and compares only those.
 *
 * The replicated state machine is a small key-value store (RAFT_MAX_KEYS
 * integer registers) with client sessions (thesis 6.3): each client's last
 * applied sequence number and its reply, so a retried request is applied at
 * most once and answered from the cache.
 *
 * The log lives in a ring of RAFT_LOG_CAP entries: entry i is in slot
 * i % RAFT_LOG_CAP for snap.index < i <= last_index.  Every entry carries
 * `chain`, a hash of itself and every entry before it, so two logs agree up
 * to index i exactly when their chains at i agree: the invariants compare
 * one word instead of whole logs. */
#pragma once

#include "protocols/leader_client.h"
#include "protocols/protocol.h"

#define RAFT_LOG_CAP 512
#define RAFT_MAX_KEYS 64
#define RAFT_MAX_CLIENTS 128
#define RAFT_MAX_READS 32
#define RAFT_ROUND_RING 8   /* send times kept for the latest heartbeat rounds */
#define RAFT_NOBODY (-1)

/* ---- Knobs ---------------------------------------------------------------*/

typedef enum {
  RAFT_READ_INDEX, /* thesis 6.4: confirm leadership with a heartbeat round */
  RAFT_READ_LEASE, /* thesis 6.4.1: serve while the leader's lease holds */
  RAFT_READ_LOG,   /* reads go through the log like writes */
} RaftReadMode;

typedef enum {
  RAFT_BUG_NONE,
  RAFT_BUG_VOTE_WITHOUT_LOG_CHECK, /* grant votes without the 5.4.1 check */
  RAFT_BUG_COMMIT_PREVIOUS_TERM,   /* no no-op; count replicas of old terms */
  RAFT_BUG_STALE_LEADER_READ,      /* a leader reads its own state, unchecked */
  RAFT_BUG_VOLATILE_VOTE,          /* votedFor forgotten on restart */
  RAFT_BUG_REPLY_BEFORE_SYNC,      /* vote and append replies leave before
                                      what they promise is durable */
  RAFT_BUG_TWO_CHANGES_AT_ONCE,    /* a membership change starts before the
                                      previous one is committed */
} RaftBug;

typedef struct {
  int64_t election_min_us;
  int64_t election_max_us;
  int64_t heartbeat_us;
  int64_t batch;              /* entries per AppendEntries at most */
  int64_t snapshot_threshold; /* applied entries beyond the snapshot that
                                 trigger a new snapshot */
  int read_mode;              /* RaftReadMode */
  int64_t lease_us;           /* lease length from a confirmed round */
  gboolean pre_vote;
  gboolean check_quorum;      /* thesis 6.2: a leader that has not heard
                                 from a majority for an election timeout
                                 steps down */
  int64_t members;            /* n1..n<members> form the first configuration
                                 (0: every node); the others join by
                                 `admin add nX` (membership.c) */
  gboolean unclean_election;  /* grant votes without the 5.4.1 log check,
                                 as Kafka's unclean.leader.election.enable
                                 lets an out-of-sync replica lead: trades
                                 committed entries for availability */
  int bug;                    /* RaftBug */
} RaftConfig;

/* ---- State machine -------------------------------------------------------*/

typedef enum {
  RAFT_ENTRY_NOOP, /* a new leader's first entry (section 8) */
  RAFT_ENTRY_READ, /* read-mode = log */
  RAFT_ENTRY_WRITE,
  RAFT_ENTRY_CAS,
  RAFT_ENTRY_CONFIG, /* thesis 4.1: the new configuration (value: the
                        members, a bitmask of nodes) */
} RaftEntryKind;

typedef struct {
  int64_t value;
  uint8_t has_value;
  uint8_t pad[7];
} RaftCell;

/* A client's session: its last applied request and the reply it got. */
typedef struct {
  int64_t value;
  uint32_t seq;      /* 0: nothing applied yet */
  uint8_t is_ok;     /* cas that failed its comparison: 0 */
  uint8_t has_value;
  uint8_t pad[2];
} RaftSession;

typedef struct {
  RaftCell kv[RAFT_MAX_KEYS];
  RaftSession sessions[RAFT_MAX_CLIENTS];
} RaftMachine;

/* ---- Log -----------------------------------------------------------------*/

/* An entry as it travels in AppendEntries. */
typedef struct {
  uint64_t term;
  int64_t value;
  int64_t expect;
  uint32_t seq;
  uint8_t client;
  uint8_t kind;    /* RaftEntryKind */
  uint8_t key;
  uint8_t pad;
} RaftWireEntry;

typedef struct {
  RaftWireEntry e;
  uint64_t chain;  /* hash of this entry and all before it */
} RaftEntry;

typedef struct {
  uint64_t index;  /* last included index (0: none) */
  uint64_t term;
  uint64_t chain;
  RaftMachine machine;
  uint32_t members; /* the configuration at index (0: the first one) */
  uint32_t pad;
  uint64_t sum;    /* checksum of the fields above (raft_snap_sum) */
} RaftSnapshot;

/* What a node writes to its disk.  Every part carries a checksum, so a node
 * that reads back a damaged image knows (storage faults, see
 * raft_persist_recover): the header (term, vote, log bounds) and the
 * snapshot their own sums, each log entry its hash chain. */
typedef struct {
  uint64_t current_term;
  int32_t voted_for;   /* valid when has_voted */
  uint8_t has_voted;
  uint8_t pad[3];
  uint64_t last_index;
  uint64_t last_term;      /* the term of entry last_index, kept here too */
  /* After a restart that found its log damaged: the last entry it may have
   * acknowledged (index and term, from the header).  Until its commit index
   * reaches it, the node stands for no election and votes only for logs at
   * least as up-to-date as that entry (0: not recovering). */
  uint64_t recover_index;
  uint64_t recover_term;
  uint64_t meta_sum;   /* checksum of the fields above (raft_meta_sum) */
  RaftSnapshot snap;
  RaftEntry log[RAFT_LOG_CAP];
} RaftPersist;

/* ---- Node ----------------------------------------------------------------*/

typedef enum {
  RAFT_FOLLOWER = 0,  /* zeroed state is a follower */
  RAFT_PRECANDIDATE,  /* thesis 9.6: asking whether it could win */
  RAFT_CANDIDATE,
  RAFT_LEADER,
} RaftRole;

/* A read waiting for ReadIndex (thesis 6.4). */
typedef struct {
  uint64_t read_index;
  uint64_t round;   /* heartbeat round that must be confirmed */
  uint32_t seq;
  uint8_t client;
  uint8_t key;
  uint8_t pad[2];
} RaftRead;

typedef struct {
  /* Volatile. */
  Pcg32 rng;
  int32_t role;            /* RaftRole */
  int32_t leader;          /* known leader of current_term, or RAFT_NOBODY */
  uint64_t commit_index;
  uint64_t last_applied;
  uint64_t applied_chain;  /* chain of entry last_applied */
  RaftMachine machine;
  int64_t election_deadline_us;
  int64_t heartbeat_deadline_us;
  int64_t leader_contact_us; /* last time a leader was heard (or boot) */
  uint32_t votes;          /* bitmask of nodes that granted (pre-)votes */
  uint8_t is_persist_dirty; /* persist changed in this step: seal and sync */
  uint8_t is_snap_dirty;    /* the snapshot changed: its sum too */
  uint8_t is_reply_unsynced;/* bug reply-before-sync: this step answered */
  uint8_t is_halted;        /* its disk image failed a checksum: stopped */
  uint8_t has_stale_slots;  /* the ring read back from disk holds bytes in
                               unused slots (a torn write): no extent */
  uint8_t is_machine_set;   /* machine may be nonzero (see raft_state_holes) */
  uint8_t pad_flags[2];
  uint32_t config;          /* the members of the latest configuration in
                               the log (thesis 4.1: used at once, committed
                               or not) */
  uint32_t pad_config;
  uint64_t config_index;    /* the index of its entry (0: snapshot or first) */
  int64_t quorum_since_us;  /* CheckQuorum: start of the current window */
  uint32_t heard;           /* CheckQuorum: nodes heard from in the window */
  uint32_t pad_heard;

  /* Leader. */
  uint64_t next_index[PROTO_MAX_NODES];
  uint64_t match_index[PROTO_MAX_NODES];
  uint64_t term_start_index; /* the index of this term's no-op */
  uint64_t round_sent;       /* heartbeat rounds broadcast in this term */
  uint64_t round_confirmed;  /* highest round acknowledged by a majority */
  uint64_t acked_round[PROTO_MAX_NODES];
  int64_t round_sent_at_us[RAFT_ROUND_RING];
  int64_t lease_until_us;
  gboolean is_round_wanted;  /* reads wait for a round not yet sent */
  uint32_t n_reads;
  RaftRead reads[RAFT_MAX_READS];

  RaftPersist persist;      /* last: its log ring ends the state */
} RaftNode;

/* ---- Messages ------------------------------------------------------------*/

typedef enum {
  RAFT_MSG_REQUEST_VOTE = 1,
  RAFT_MSG_REQUEST_VOTE_RESULT,
  RAFT_MSG_APPEND_ENTRIES,
  RAFT_MSG_APPEND_ENTRIES_RESULT,
  RAFT_MSG_INSTALL_SNAPSHOT,
  RAFT_MSG_INSTALL_SNAPSHOT_RESULT,
  RAFT_MSG_CLIENT_REQUEST,
  RAFT_MSG_CLIENT_REPLY,
} RaftMsgType;

typedef struct {
  uint8_t type;
  uint8_t is_pre_vote;
  uint8_t pad[6];
  uint64_t term;           /* pre-vote: the term the candidate would take */
  uint64_t last_log_index;
  uint64_t last_log_term;
} RaftRequestVote;

typedef struct {
  uint8_t type;
  uint8_t is_pre_vote;
  uint8_t is_granted;
  uint8_t pad[5];
  uint64_t term;           /* pre-vote: the term asked about if granted */
} RaftRequestVoteResult;

/* Followed by n_entries RaftWireEntry. */
typedef struct {
  uint8_t type;
  uint8_t pad;
  uint16_t n_entries;
  uint32_t pad2;
  uint64_t term;
  uint64_t prev_log_index;
  uint64_t prev_log_term;
  uint64_t leader_commit;
  uint64_t round;
} RaftAppendEntries;

typedef struct {
  uint8_t type;
  uint8_t is_success;
  uint8_t pad[6];
  uint64_t term;           /* the follower's current term */
  uint64_t match_index;    /* success: last index known to match */
  uint64_t conflict_index; /* failure: where the leader should look */
  uint64_t conflict_term;  /* failure: term of the conflicting entry (0: none) */
  uint64_t round;          /* the round of the request answered */
  uint64_t req_term;       /* the term of the request answered */
} RaftAppendEntriesResult;

/* The whole snapshot in one message (Figure 13 with a single chunk). */
typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t term;
  uint64_t round;
  uint64_t last_index;
  uint64_t last_term;
  uint64_t last_chain;
  uint32_t members;
  uint32_t pad2;
  RaftMachine machine;
} RaftInstallSnapshot;

typedef struct {
  uint8_t type;
  uint8_t pad[7];
  uint64_t term;
  uint64_t match_index;
  uint64_t round;
  uint64_t req_term;       /* the term of the request answered */
} RaftInstallSnapshotResult;

typedef struct {
  uint8_t type;
  uint8_t kind;    /* ProtoOpKind */
  uint8_t client;
  uint8_t key;
  uint32_t seq;
  int64_t value;
  int64_t expect;
} RaftClientRequest;

typedef enum {
  RAFT_REPLY_OK,
  RAFT_REPLY_CAS_FAILED, /* cas applied, comparison failed: nothing changed */
  RAFT_REPLY_REDIRECT,   /* not the leader; leader_hint if known */
} RaftReplyStatus;

typedef struct {
  uint8_t type;
  uint8_t status;      /* RaftReplyStatus */
  uint8_t has_value;
  int8_t leader_hint;  /* RAFT_NOBODY if unknown */
  uint32_t seq;
  int64_t value;
} RaftClientReply;

/* ---- Client stub and invariant ghost -------------------------------------*/

typedef LeaderClient RaftClient; /* protocols/leader_client.h */

/* What check() remembers between steps (see check.c): everything the run
 * has shown, so each property is checked over the whole run.  The two
 * tables grow with it (created on first use; raft_ghost_copy and
 * raft_ghost_free look after them). */
typedef struct {
  uint64_t term;
  int32_t leader;
  int32_t pad;
} RaftTermLeader;

typedef struct {
  GArray *term_leader;       /* RaftTermLeader, by term: each term's leader */
  GArray *applied;           /* uint64_t per index: the chain of the entry
                                applied there (0: not seen yet) */
  GArray *applied_by;        /* int32_t per index: the node first seen there */
  uint64_t checked_applied[PROTO_MAX_NODES]; /* per node: applied up to here
                                                is checked */
  struct { uint64_t term, last_index, last_chain; } leader_log[PROTO_MAX_NODES];
  uint64_t commit_index, commit_chain, commit_term;
  int32_t commit_node;
  int32_t n_nodes;           /* the nodes check() judged (slots beyond stay 0) */
  /* The two tables' share of the digest, kept as they grow: a sum over
   * their entries (both only gain entries), so the digest costs O(nodes),
   * not O(run). */
  uint64_t leaders_sum, applied_sum;
  /* raft_ghost_digest of the fields above, kept by check() whenever it
   * changes one of them (has_digest 0: not known, computed when asked). */
  uint64_t digest;
  uint8_t has_digest;
  uint8_t pad_digest[7];
} RaftGhost;

void raft_ghost_copy (void *dst, const void *src);
void raft_ghost_assign (void *dst, const void *src);
void raft_ghost_free (void *ghost);
uint64_t raft_ghost_digest (const void *ghost);

/* ---- Internal API (one file per concern) --------------------------------*/

/* raft.c: the dispatcher. */
int64_t raft_random_timeout (RaftNode *node, const RaftConfig *cfg, int64_t now_us);

/* membership.c: configurations (thesis 4.1, single-server changes). */
uint32_t raft_config_at (const RaftNode *node, const ProtoCtx *ctx, uint64_t index);
void raft_config_refresh (RaftNode *node, const ProtoCtx *ctx);
/* Removed by a configuration entry not yet committed: still stands. */
gboolean raft_is_needed_until_committed (const RaftNode *node, const ProtoCtx *ctx);
static inline gboolean raft_is_member (const RaftNode *node, int i)
{
  return (node->config >> i) & 1u;
}
/* Votes or acknowledgements needed: a majority of the configuration. */
static inline int raft_quorum (const RaftNode *node)
{
  return __builtin_popcount (node->config) / 2 + 1;
}
/* The k-th largest of values[i] over the members i (k from 1); 0 if fewer. */
uint64_t raft_members_kth (const RaftNode *node, const uint64_t *values, int k);
void raft_admin (void *state, const ProtoCtx *ctx, const char *command, int64_t now_us,
                 ProtoOutbox *out);

/* role.c: every role change goes through raft_role_set. */
void raft_role_set (RaftNode *node, const ProtoCtx *ctx, RaftRole role, ProtoOutbox *out);
void raft_become_follower (RaftNode *node, const ProtoCtx *ctx, uint64_t term,
                           int64_t now_us, ProtoOutbox *out);
void raft_become_leader (RaftNode *node, const ProtoCtx *ctx, int64_t now_us,
                         ProtoOutbox *out);
const char *raft_role_name (RaftRole role);
gboolean raft_answer_is_for_leader (RaftNode *node, const ProtoCtx *ctx, uint64_t term,
                                    int64_t now_us, ProtoOutbox *out);

/* election.c */
void raft_election_start (RaftNode *node, const ProtoCtx *ctx, gboolean is_pre_vote,
                          int64_t now_us, ProtoOutbox *out);
gboolean raft_log_is_up_to_date (const RaftNode *node, uint64_t last_index, uint64_t last_term);
/* While it recovers a damaged log: whether a candidate's log is not behind
 * the last entry it may have acknowledged. */
gboolean raft_recovering_vote_passes (const RaftNode *node, uint64_t last_index,
                                      uint64_t last_term);

/* log.c, and these lookups, inline because check() calls them for every
 * pair of nodes after every step. */
static inline gboolean
raft_log_has (const RaftNode *node, uint64_t index) /* snap.index <= index <= last */
{
  return index >= node->persist.snap.index && index <= node->persist.last_index;
}

static inline const RaftEntry *
raft_log_entry (const RaftNode *node, uint64_t index)
{
  g_assert (index > node->persist.snap.index && index <= node->persist.last_index);
  return &node->persist.log[index % RAFT_LOG_CAP];
}

/* The term of entry `index`; 0 if the log does not hold it. */
static inline uint64_t
raft_log_term (const RaftNode *node, uint64_t index)
{
  const RaftPersist *p = &node->persist;
  if (index == p->snap.index)
    return p->snap.term;
  if (index > p->snap.index && index <= p->last_index)
    return p->log[index % RAFT_LOG_CAP].e.term;
  return 0;
}

/* The hash chain at entry `index`; 0 if the log does not hold it. */
static inline uint64_t
raft_log_chain (const RaftNode *node, uint64_t index)
{
  const RaftPersist *p = &node->persist;
  if (index == p->snap.index)
    return p->snap.chain;
  if (index > p->snap.index && index <= p->last_index)
    return p->log[index % RAFT_LOG_CAP].chain;
  return 0;
}

/* Checksums of the persist header and the snapshot (0 for all-zero
 * fields, so a node that never wrote anything reads back clean). */
uint64_t raft_meta_sum (const RaftPersist *p);
size_t raft_state_extent (const void *state);
int raft_state_holes (const void *state, size_t holes[][2]);
uint64_t raft_snap_sum (const RaftSnapshot *s);
/* storage.c: persist changed (the end of the step seals and syncs it). */
static inline void raft_persist_touch (RaftNode *node) { node->is_persist_dirty = 1; }
void raft_persist_seal (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out);
/* At start: checks what the disk gave back.  FALSE if the node must stop;
 * otherwise *is_snap_zero says whether the snapshot is now all zero (the
 * node never took one, or a damaged one was dropped). */
gboolean raft_persist_recover (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out,
                               gboolean *is_snap_zero);
static inline gboolean raft_is_recovering (const RaftNode *node)
{
  return node->persist.recover_index > node->commit_index;
}

gboolean raft_log_append (RaftNode *node, const ProtoCtx *ctx, const RaftWireEntry *e);
void raft_log_truncate (RaftNode *node, const ProtoCtx *ctx, uint64_t last_kept);
void raft_log_compact (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out);
uint64_t raft_chain_next (uint64_t prev_chain, const RaftWireEntry *e);

/* replicate.c: leader side of AppendEntries and InstallSnapshot. */
void raft_send_append (RaftNode *node, const ProtoCtx *ctx, int peer, ProtoOutbox *out);
void raft_broadcast_round (RaftNode *node, const ProtoCtx *ctx, int64_t now_us,
                           ProtoOutbox *out);
void raft_replicate (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out);
void raft_commit_advance (RaftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out);
void raft_match_advance (RaftNode *node, const ProtoCtx *ctx, int peer, uint64_t match,
                         int64_t now_us, ProtoOutbox *out);
void raft_round_ack (RaftNode *node, const ProtoCtx *ctx, int peer, uint64_t round,
                     int64_t now_us, ProtoOutbox *out);

/* apply.c: the state machine. */
void raft_apply_committed (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out);
void raft_machine_read (const RaftMachine *m, int key, gboolean *has_value, int64_t *value);
void raft_reply (ProtoOutbox *out, const ProtoCtx *ctx, int client, uint32_t seq,
                 RaftReplyStatus status, gboolean has_value, int64_t value, int leader_hint);

/* read.c: ReadIndex and leases. */
void raft_read_start (RaftNode *node, const ProtoCtx *ctx, const RaftClientRequest *req,
                      int64_t now_us, ProtoOutbox *out);
void raft_reads_serve (RaftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out);

/* Message handlers, one file each. */
void raft_recv_request_vote (RaftNode *node, const ProtoCtx *ctx, int from,
                             const RaftRequestVote *m, int64_t now_us, ProtoOutbox *out);
void raft_recv_request_vote_result (RaftNode *node, const ProtoCtx *ctx, int from,
                                    const RaftRequestVoteResult *m, int64_t now_us,
                                    ProtoOutbox *out);
void raft_recv_append_entries (RaftNode *node, const ProtoCtx *ctx, int from,
                               const RaftAppendEntries *m, const RaftWireEntry *entries,
                               int64_t now_us, ProtoOutbox *out);
void raft_recv_append_entries_result (RaftNode *node, const ProtoCtx *ctx, int from,
                                      const RaftAppendEntriesResult *m, int64_t now_us,
                                      ProtoOutbox *out);
void raft_recv_install_snapshot (RaftNode *node, const ProtoCtx *ctx, int from,
                                 const RaftInstallSnapshot *m, int64_t now_us,
                                 ProtoOutbox *out);
void raft_recv_install_snapshot_result (RaftNode *node, const ProtoCtx *ctx, int from,
                                        const RaftInstallSnapshotResult *m, int64_t now_us,
                                        ProtoOutbox *out);
void raft_recv_client_request (RaftNode *node, const ProtoCtx *ctx, int from,
                               const RaftClientRequest *m, int64_t now_us, ProtoOutbox *out);

/* client.c, check.c, format.c: the rest of the vtable. */
void raft_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev,
                       ProtoOutbox *out);
gboolean raft_check (void *ghost, const void *const *states, const gboolean *is_up,
                     const ProtoCtx *ctxs, int n_nodes, GString *why);
uint64_t raft_digest (const void *state, const ProtoCtx *ctx);
void raft_format_msg (const void *msg, size_t len, GString *out);
void raft_format_state (const void *state, const ProtoCtx *ctx, GString *out);
int64_t raft_leader_term (const void *state, const ProtoCtx *ctx);
gboolean raft_converged (const void *const *states, const gboolean *is_up, const ProtoCtx *ctxs,
                         int n_nodes, GString *why);

extern const ProtoVTable proto_raft;
