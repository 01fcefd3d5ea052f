/* proto_harness.h: a small deterministic cluster of any protocol, for unit
 * tests; raft_harness.h and paxos_harness.h wrap it with typed access.
 *
 * It calls the protocol vtable's step functions directly: the test decides
 * which message is delivered, dropped or duplicated, whose timeout fires and
 * who crashes, so a handler's branch can be reached on purpose.  All nodes
 * share one clock (`now_us`), which only moves forward when a timeout fires
 * or the test moves it.  After every node step the protocol's check() runs;
 * the first violation is kept in `violation` (NULL while all invariants
 * hold).  Every step is written to `trace` as one line, so whole runs can be
 * compared with a golden file. */
#pragma once

#include "protocols/protocol.h"

#define PROTO_HARNESS_MAX_CLIENTS 8

typedef struct {
  int from, to;
  GBytes *bytes;
} ProtoHarnessMsg;

typedef struct {
  const ProtoVTable *vt;
  void *cfg;             /* vt->config_size bytes */
  int n_nodes, n_clients;
  uint8_t *nodes;        /* n_nodes states of vt->state_size bytes */
  uint8_t *clients;      /* PROTO_HARNESS_MAX_CLIENTS of vt->client_state_size */
  ProtoCtx ctx[PROTO_MAX_NODES + PROTO_HARNESS_MAX_CLIENTS];
  gboolean is_up[PROTO_MAX_NODES];
  int64_t deadline_us[PROTO_MAX_NODES];
  uint32_t incarnation[PROTO_MAX_NODES];
  int64_t now_us;
  GPtrArray *net;        /* ProtoHarnessMsg*, in send order */
  void *ghost;           /* vt->ghost_size bytes */
  ProtoOutbox out;
  GString *trace;
  GPtrArray *marks;      /* marks reached (static strings), first-reached order */
  char *violation;
  /* The last completed operation of each client. */
  gboolean has_result[PROTO_HARNESS_MAX_CLIENTS];
  ProtoResult result[PROTO_HARNESS_MAX_CLIENTS];
  uint32_t next_seq[PROTO_HARNESS_MAX_CLIENTS];
  gboolean is_cut[PROTO_MAX_NODES + PROTO_HARNESS_MAX_CLIENTS]; /* messages to/from are dropped */
} ProtoHarness;

/* A cluster with the protocol's default knobs (tests may change `cfg`
 * before starting).  No node has started yet. */
ProtoHarness *proto_harness_new (const ProtoVTable *vt, int n_nodes, int n_clients);
void proto_harness_free (ProtoHarness *h);

void *proto_harness_node (const ProtoHarness *h, int node);
void *proto_harness_client (const ProtoHarness *h, int client);

void proto_harness_start_all (ProtoHarness *h);
/* Moves the clock to the node's deadline (if later) and fires it. */
void proto_harness_fire_timeout (ProtoHarness *h, int node);
/* Delivers in-flight message i (0: oldest) and removes it. */
void proto_harness_deliver (ProtoHarness *h, guint i);
/* Delivers the oldest message until none is left (at most `limit`);
 * returns how many were delivered. */
guint proto_harness_deliver_all (ProtoHarness *h, guint limit);
void proto_harness_drop (ProtoHarness *h, guint i);
void proto_harness_drop_all (ProtoHarness *h);
/* Cuts an endpoint off: messages from and to it are dropped when sent. */
void proto_harness_cut (ProtoHarness *h, int endpoint, gboolean is_cut);
/* Crash: the volatile part is zeroed and the node stops; restart sends
 * PROTO_EV_START with a new incarnation's seed. */
void proto_harness_crash (ProtoHarness *h, int node);
void proto_harness_restart (ProtoHarness *h, int node);
/* Client c starts an operation (seq is numbered by the harness). */
void proto_harness_invoke (ProtoHarness *h, int client, ProtoOpKind f, int key, int64_t value,
                           int64_t expect);
void proto_harness_client_retry (ProtoHarness *h, int client);
gboolean proto_harness_reached (const ProtoHarness *h, const char *mark);
