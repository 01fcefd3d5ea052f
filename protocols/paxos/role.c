/* role.c: every role change of a Paxos node goes through paxos_role_set,
 * which asserts that the edge is legal.  A node is always an acceptor and a
 * learner; the role says what its proposer is doing:
 *
 *   follower --timeout--> candidate --majority of promises--> leader
 *      ^                    |   ^                               |
 *      +----preempted-------+   +--timeout (single mode only)---+
 *      +----------------preempted, or decree learned------------+
 *
 * Section 3 of the paper: "a new leader, being one of the servers, is
 * chosen ... [it] executes phase 1 for infinitely many instances of the
 * consensus algorithm". */
#include "protocols/paxos/paxos.h"

#include <string.h>

const char *
paxos_role_name (PaxosRole role)
{
  switch (role) {
  case PAXOS_FOLLOWER: return "follower";
  case PAXOS_CANDIDATE: return "candidate";
  case PAXOS_LEADER: return "leader";
  }
  return "?";
}

static gboolean
paxos_role_edge_is_legal (const PaxosConfig *cfg, PaxosRole from, PaxosRole to)
{
  switch (to) {
  case PAXOS_FOLLOWER:
    /* Preempted by a higher ballot, or done: from any role. */
    return TRUE;
  case PAXOS_CANDIDATE:
    /* A follower times out, or a candidate retries with a higher ballot.
     * A single-decree proposer whose phase 2 stalls starts over too; a
     * Multi-Paxos leader never does (it steps down first). */
    return from != PAXOS_LEADER || cfg->mode == PAXOS_MODE_SINGLE;
  case PAXOS_LEADER:
    return from == PAXOS_CANDIDATE;
  }
  return FALSE;
}

void
paxos_role_set (PaxosNode *node, const ProtoCtx *ctx, PaxosRole role, ProtoOutbox *out)
{
  PaxosRole from = (PaxosRole) node->role;
  g_assert (paxos_role_edge_is_legal (ctx->config, from, role));
  node->role = role;
  if (from != role) {
    g_autoptr (GString) b = g_string_new (NULL);
    paxos_format_ballot (node->ballot, b);
    proto_outbox_note (out, "%s -> %s, ballot %s", paxos_role_name (from),
                       paxos_role_name (role), b->str);
  }
}

void
paxos_become_follower (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  paxos_role_set (node, ctx, PAXOS_FOLLOWER, out);
  node->promises = 0;
  node->lease_until_us = 0;
  node->is_phase2_started = FALSE;
  memset (node->acks, 0, sizeof node->acks);
  if (cfg->mode == PAXOS_MODE_SINGLE && node->n_pending == 0)
    node->election_deadline_us = PROTO_NO_DEADLINE;
  else
    node->election_deadline_us = paxos_random_timeout (node, cfg, now_us);
}

/* Someone holds (or was promised) ballot `seen`.  A proposer whose own
 * ballot is lower is preempted: it steps down and backs off.  TRUE if it
 * did. */
gboolean
paxos_see_ballot (PaxosNode *node, const ProtoCtx *ctx, uint64_t seen, int64_t now_us,
                  ProtoOutbox *out)
{
  if (node->role == PAXOS_FOLLOWER || seen <= node->ballot)
    return FALSE;
  g_autoptr (GString) b = g_string_new (NULL);
  paxos_format_ballot (seen, b);
  proto_outbox_mark (out, "ballot-preempted");
  proto_outbox_note (out, "preempted by ballot %s", b->str);
  node->attempts++;
  paxos_become_follower (node, ctx, now_us, out);
  return TRUE;
}

/* Section 3: "the leader can execute phase 1 for infinitely many instances
 * of the consensus algorithm ... using the same proposal number for all
 * instances".  With a majority of promises in hand the new leader knows,
 * for every slot from its commit point on, the highest-numbered proposal
 * any of them accepted; phase 2 re-proposes those and fills the gaps with
 * no-ops (paxos_phase2_start). */
void
paxos_become_leader (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  paxos_role_set (node, ctx, PAXOS_LEADER, out);
  node->leader = ctx->self;
  node->attempts = 0;
  node->start_slot = node->commit + 1;
  node->next_slot = MAX (node->report_max_slot, node->commit) + 1;
  node->open_until = node->next_slot - 1;
  memset (node->acks, 0, sizeof node->acks);
  node->round_sent = 0;
  node->round_confirmed = 0;
  memset (node->acked_round, 0, sizeof node->acked_round);
  memset (node->round_sent_at_us, 0, sizeof node->round_sent_at_us);
  node->lease_until_us = 0;
  node->is_phase2_started = FALSE;
  if (cfg->reads == PAXOS_READS_LEASE) {
    /* The previous leader's lease was granted by acks sent before its
     * acceptors promised us; it ends at most `lease` after our last
     * promise arrived.  Until then it may still answer reads from its own
     * state, so nothing may be chosen that it would miss. */
    node->lease_wait_until_us = now_us + cfg->lease_us;
    proto_outbox_note (out, "waits out the previous leader's lease before phase 2");
  } else {
    node->lease_wait_until_us = now_us;
  }
  paxos_heartbeat (node, ctx, now_us, out);
  if (now_us >= node->lease_wait_until_us)
    paxos_phase2_start (node, ctx, now_us, out);
}
