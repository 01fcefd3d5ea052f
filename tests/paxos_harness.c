/* paxos_harness.c: see paxos_harness.h. */
#include "tests/paxos_harness.h"

PaxosHarness *
ph_new (int n_nodes, int n_clients, void (*tweak) (PaxosConfig *cfg))
{
  PaxosHarness *h = proto_harness_new (&proto_paxos, n_nodes, n_clients);
  if (tweak != NULL)
    tweak (ph_cfg (h));
  return h;
}

void
ph_free (PaxosHarness *h)
{
  proto_harness_free (h);
}

int
ph_leader (const PaxosHarness *h)
{
  int leader = -1;
  uint64_t ballot = 0;
  for (int i = 0; i < h->n_nodes; i++)
    if (h->is_up[i] && ph_node (h, i)->role == PAXOS_LEADER && ph_node (h, i)->ballot >= ballot) {
      leader = i;
      ballot = ph_node (h, i)->ballot;
    }
  return leader;
}

int
ph_elect (PaxosHarness *h, int candidate)
{
  for (int round = 0; round < 4; round++) {
    ph_fire_timeout (h, candidate);
    ph_deliver_all (h, 1000);
    if (ph_node (h, candidate)->role == PAXOS_LEADER)
      return candidate;
    h->now_us += ph_cfg (h)->election_max_us;
  }
  return ph_leader (h);
}

void
ph_client_target (PaxosHarness *h, int client, int node)
{
  PaxosClient *c = ph_client (h, client);
  if (!c->is_seeded) {
    pcg32_seed (&c->rng, h->ctx[h->n_nodes + client].seed, 0);
    c->is_seeded = TRUE;
  }
  c->target = node;
}
