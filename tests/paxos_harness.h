/* paxos_harness.h: a small deterministic Paxos cluster for unit tests:
 * proto_harness.h with the Paxos vtable and typed access to its nodes,
 * clients and knobs. */
#pragma once

#include "protocols/paxos/paxos.h"
#include "tests/proto_harness.h"

#define PH_MAX_CLIENTS PROTO_HARNESS_MAX_CLIENTS

typedef ProtoHarnessMsg PhMsg;
typedef ProtoHarness PaxosHarness;

/* A cluster with Paxos's default knobs; `tweak` may change them (NULL: none).
 * No node has started yet. */
PaxosHarness *ph_new (int n_nodes, int n_clients, void (*tweak) (PaxosConfig *cfg));
void ph_free (PaxosHarness *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PaxosHarness, ph_free)

static inline PaxosConfig *
ph_cfg (PaxosHarness *h)
{
  return h->cfg;
}

static inline const PaxosNode *
ph_node (const PaxosHarness *h, int node)
{
  return proto_harness_node (h, node);
}

/* Writable access, for tests that build a broken state on purpose. */
static inline PaxosNode *
ph_node_mut (PaxosHarness *h, int node)
{
  return proto_harness_node (h, node);
}

static inline PaxosClient *
ph_client (PaxosHarness *h, int client)
{
  return proto_harness_client (h, client);
}

/* The rest is the protocol-independent harness under Paxos's names. */
#define ph_start_all proto_harness_start_all
#define ph_fire_timeout proto_harness_fire_timeout
#define ph_deliver proto_harness_deliver
#define ph_deliver_all proto_harness_deliver_all
#define ph_drop proto_harness_drop
#define ph_drop_all proto_harness_drop_all
#define ph_cut proto_harness_cut
#define ph_crash proto_harness_crash
#define ph_restart proto_harness_restart
#define ph_invoke proto_harness_invoke
#define ph_client_retry proto_harness_client_retry
#define ph_reached proto_harness_reached

/* Points client c's next attempt at `node`. */
void ph_client_target (PaxosHarness *h, int client, int node);
/* Fires timeouts until some node is leader; returns it (or -1). */
int ph_elect (PaxosHarness *h, int candidate);
int ph_leader (const PaxosHarness *h);
