/* paxos_harness.h: a small deterministic Paxos cluster for unit tests.
 *
 * It calls the Paxos vtable's step functions directly: the test decides which
 * message is delivered, dropped or duplicated, whose timeout fires and who
 * crashes, so a handler's branch can be reached on purpose.  All nodes share
 * one clock (`now_us`), which only moves forward when a timeout fires or the
 * test moves it.  After every node step the protocol's check() runs; the
 * first violation is kept in `violation` (NULL while all invariants hold).
 * Every step is written to `trace` as one line, so whole runs can be
 * compared with a golden file. */
#pragma once

#include "protocols/paxos/paxos.h"

#define PH_MAX_CLIENTS 8

typedef struct {
  int from, to;
  GBytes *bytes;
} PhMsg;

typedef struct {
  PaxosConfig cfg;
  int n_nodes, n_clients;
  PaxosNode *nodes;
  PaxosClient clients[PH_MAX_CLIENTS];
  ProtoCtx ctx[PROTO_MAX_NODES + PH_MAX_CLIENTS];
  gboolean is_up[PROTO_MAX_NODES];
  int64_t deadline_us[PROTO_MAX_NODES];
  uint32_t incarnation[PROTO_MAX_NODES];
  int64_t now_us;
  GPtrArray *net;        /* PhMsg*, in send order */
  PaxosGhost *ghost;
  ProtoOutbox out;
  GString *trace;
  GPtrArray *marks;      /* marks reached (static strings), first-reached order */
  char *violation;
  /* The last completed operation of each client. */
  gboolean has_result[PH_MAX_CLIENTS];
  ProtoResult result[PH_MAX_CLIENTS];
  uint32_t next_seq[PH_MAX_CLIENTS];
  gboolean is_cut[PROTO_MAX_NODES + PH_MAX_CLIENTS]; /* messages to/from are dropped */
} PaxosHarness;

/* A cluster with Paxos's default knobs; `tweak` may change them (NULL: none).
 * No node has started yet. */
PaxosHarness *ph_new (int n_nodes, int n_clients, void (*tweak) (PaxosConfig *cfg));
void ph_free (PaxosHarness *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PaxosHarness, ph_free)

const PaxosNode *ph_node (const PaxosHarness *h, int node);
/* Writable access, for tests that build a broken state on purpose. */
PaxosNode *ph_node_mut (PaxosHarness *h, int node);

void ph_start_all (PaxosHarness *h);
/* Moves the clock to the node's deadline (if later) and fires it. */
void ph_fire_timeout (PaxosHarness *h, int node);
/* Delivers in-flight message i (0: oldest) and removes it. */
void ph_deliver (PaxosHarness *h, guint i);
/* Delivers the oldest message until none is left (at most `limit`);
 * returns how many were delivered. */
guint ph_deliver_all (PaxosHarness *h, guint limit);
void ph_drop (PaxosHarness *h, guint i);
void ph_drop_all (PaxosHarness *h);
/* Cuts an endpoint off: messages from and to it are dropped when sent. */
void ph_cut (PaxosHarness *h, int endpoint, gboolean is_cut);
/* Crash: the volatile part is zeroed and the node stops; restart sends
 * PROTO_EV_START with a new incarnation's seed. */
void ph_crash (PaxosHarness *h, int node);
void ph_restart (PaxosHarness *h, int node);
/* Client c starts an operation (seq is numbered by the harness). */
void ph_invoke (PaxosHarness *h, int client, ProtoOpKind f, int key, int64_t value,
                int64_t expect);
void ph_client_retry (PaxosHarness *h, int client);
/* Points client c's next attempt at `node`. */
void ph_client_target (PaxosHarness *h, int client, int node);
/* Fires timeouts until some node is leader; returns it (or -1). */
int ph_elect (PaxosHarness *h, int candidate);
int ph_leader (const PaxosHarness *h);
gboolean ph_reached (const PaxosHarness *h, const char *mark);
