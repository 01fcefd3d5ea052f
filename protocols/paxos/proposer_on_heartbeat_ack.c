/* proposer_on_heartbeat_ack.c: an acceptor's answer to a heartbeat arrives
 * at the leader. */
#include "protocols/paxos/paxos.h"

/* A rejection: the acceptor promised a higher ballot, so a newer leader may
 * be choosing commands; step down.  An acknowledgement counts toward the
 * round that renews the lease (lease.c). */
void
paxos_proposer_on_heartbeat_ack (PaxosNode *node, const ProtoCtx *ctx, int from,
                                 const PaxosHeartbeatAck *m, int64_t now_us, ProtoOutbox *out)
{
  if (m->ballot != node->ballot || node->role != PAXOS_LEADER)
    return;
  if (!m->is_ok) {
    paxos_see_ballot (node, ctx, m->promised, now_us, out);
    return;
  }
  paxos_lease_round_ack (node, ctx, from, m->round, now_us, out);
}
