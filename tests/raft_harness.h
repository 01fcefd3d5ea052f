/* raft_harness.h: a small deterministic Raft cluster for unit tests.
 *
 * It calls the Raft vtable's step functions directly: the test decides which
 * message is delivered, dropped or duplicated, whose timeout fires and who
 * crashes, so a handler's branch can be reached on purpose.  All nodes share
 * one clock (`now_us`), which only moves forward when a timeout fires or the
 * test moves it.  After every node step the protocol's check() runs; the
 * first violation is kept in `violation` (NULL while all invariants hold).
 * Every step is written to `trace` as one line, so whole runs can be
 * compared with a golden file. */
#pragma once

#include "protocols/raft/raft.h"

#define RH_MAX_CLIENTS 8

typedef struct {
  int from, to;
  GBytes *bytes;
} RhMsg;

typedef struct {
  RaftConfig cfg;
  int n_nodes, n_clients;
  RaftNode *nodes;
  RaftClient clients[RH_MAX_CLIENTS];
  ProtoCtx ctx[PROTO_MAX_NODES + RH_MAX_CLIENTS];
  gboolean is_up[PROTO_MAX_NODES];
  int64_t deadline_us[PROTO_MAX_NODES];
  uint32_t incarnation[PROTO_MAX_NODES];
  int64_t now_us;
  GPtrArray *net;        /* RhMsg*, in send order */
  RaftGhost *ghost;
  ProtoOutbox out;
  GString *trace;
  GPtrArray *marks;      /* marks reached (static strings), first-reached order */
  char *violation;
  /* The last completed operation of each client. */
  gboolean has_result[RH_MAX_CLIENTS];
  ProtoResult result[RH_MAX_CLIENTS];
  uint32_t next_seq[RH_MAX_CLIENTS];
  gboolean is_cut[PROTO_MAX_NODES + RH_MAX_CLIENTS]; /* messages to/from are dropped */
} RaftHarness;

/* A cluster with Raft's default knobs; `tweak` may change them (NULL: none).
 * No node has started yet. */
RaftHarness *rh_new (int n_nodes, int n_clients, void (*tweak) (RaftConfig *cfg));
void rh_free (RaftHarness *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RaftHarness, rh_free)

const RaftNode *rh_node (const RaftHarness *h, int node);
/* Writable access, for tests that build a broken state on purpose. */
RaftNode *rh_node_mut (RaftHarness *h, int node);

void rh_start_all (RaftHarness *h);
/* Moves the clock to the node's deadline (if later) and fires it. */
void rh_fire_timeout (RaftHarness *h, int node);
/* Delivers in-flight message i (0: oldest) and removes it. */
void rh_deliver (RaftHarness *h, guint i);
/* Delivers the oldest message until none is left (at most `limit`);
 * returns how many were delivered. */
guint rh_deliver_all (RaftHarness *h, guint limit);
void rh_drop (RaftHarness *h, guint i);
void rh_drop_all (RaftHarness *h);
/* Cuts an endpoint off: messages from and to it are dropped when sent. */
void rh_cut (RaftHarness *h, int endpoint, gboolean is_cut);
/* Crash: the volatile part is zeroed and the node stops; restart sends
 * PROTO_EV_START with a new incarnation's seed. */
void rh_crash (RaftHarness *h, int node);
void rh_restart (RaftHarness *h, int node);
/* Client c starts an operation (seq is numbered by the harness). */
void rh_invoke (RaftHarness *h, int client, ProtoOpKind f, int key, int64_t value,
                int64_t expect);
void rh_client_retry (RaftHarness *h, int client);
/* Points client c's next attempt at `node`. */
void rh_client_target (RaftHarness *h, int client, int node);
/* Fires timeouts until some node is leader; returns it (or -1). */
int rh_elect (RaftHarness *h, int candidate);
int rh_leader (const RaftHarness *h);
gboolean rh_reached (const RaftHarness *h, const char *mark);
