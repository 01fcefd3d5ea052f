/* raft_harness.c: see raft_harness.h. */
#include "tests/raft_harness.h"

RaftHarness *
rh_new (int n_nodes, int n_clients, void (*tweak) (RaftConfig *cfg))
{
  RaftHarness *h = proto_harness_new (&proto_raft, n_nodes, n_clients);
  if (tweak != NULL)
    tweak (rh_cfg (h));
  return h;
}

void
rh_free (RaftHarness *h)
{
  proto_harness_free (h);
}

int
rh_leader (const RaftHarness *h)
{
  int leader = -1;
  uint64_t term = 0;
  for (int i = 0; i < h->n_nodes; i++)
    if (h->is_up[i] && rh_node (h, i)->role == RAFT_LEADER
        && rh_node (h, i)->persist.current_term >= term) {
      leader = i;
      term = rh_node (h, i)->persist.current_term;
    }
  return leader;
}

int
rh_elect (RaftHarness *h, int candidate)
{
  for (int round = 0; round < 4; round++) {
    rh_fire_timeout (h, candidate);
    rh_deliver_all (h, 1000);
    if (rh_node (h, candidate)->role == RAFT_LEADER)
      return candidate;
    h->now_us += rh_cfg (h)->election_max_us;
  }
  return rh_leader (h);
}

void
rh_client_target (RaftHarness *h, int client, int node)
{
  RaftClient *c = rh_client (h, client);
  if (!c->is_seeded) {
    pcg32_seed (&c->rng, h->ctx[h->n_nodes + client].seed, 0);
    c->is_seeded = TRUE;
  }
  c->target = node;
}
