/* raft_harness.h: a small deterministic Raft cluster for unit tests:
 * proto_harness.h with the Raft vtable and typed access to its nodes,
 * clients and knobs. */
#pragma once

#include "protocols/raft/raft.h"
#include "tests/proto_harness.h"

#define RH_MAX_CLIENTS PROTO_HARNESS_MAX_CLIENTS

typedef ProtoHarnessMsg RhMsg;
typedef ProtoHarness RaftHarness;

/* A cluster with Raft's default knobs; `tweak` may change them (NULL: none).
 * No node has started yet. */
RaftHarness *rh_new (int n_nodes, int n_clients, void (*tweak) (RaftConfig *cfg));
void rh_free (RaftHarness *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RaftHarness, rh_free)

static inline RaftConfig *
rh_cfg (RaftHarness *h)
{
  return h->cfg;
}

static inline const RaftNode *
rh_node (const RaftHarness *h, int node)
{
  return proto_harness_node (h, node);
}

/* Writable access, for tests that build a broken state on purpose. */
static inline RaftNode *
rh_node_mut (RaftHarness *h, int node)
{
  return proto_harness_node (h, node);
}

static inline RaftClient *
rh_client (RaftHarness *h, int client)
{
  return proto_harness_client (h, client);
}

/* The rest is the protocol-independent harness under Raft's names. */
#define rh_start_all proto_harness_start_all
#define rh_fire_timeout proto_harness_fire_timeout
#define rh_deliver proto_harness_deliver
#define rh_deliver_all proto_harness_deliver_all
#define rh_drop proto_harness_drop
#define rh_drop_all proto_harness_drop_all
#define rh_cut proto_harness_cut
#define rh_crash proto_harness_crash
#define rh_restart proto_harness_restart
#define rh_invoke proto_harness_invoke
#define rh_client_retry proto_harness_client_retry
#define rh_reached proto_harness_reached

/* Points client c's next attempt at `node`. */
void rh_client_target (RaftHarness *h, int client, int node);
/* Fires timeouts until some node is leader; returns it (or -1). */
int rh_elect (RaftHarness *h, int candidate);
int rh_leader (const RaftHarness *h);
