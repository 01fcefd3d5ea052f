/* acceptor_on_heartbeat.c: the leader's heartbeat arrives at an acceptor
 * (which is also a learner). */
#include "protocols/paxos/paxos.h"

#include <string.h>

static void
heartbeat_ack (const PaxosNode *node, int to, const PaxosHeartbeat *m, gboolean is_ok,
               ProtoOutbox *out)
{
  PaxosHeartbeatAck r;
  memset (&r, 0, sizeof r);
  r.type = PAXOS_MSG_HEARTBEAT_ACK;
  r.is_ok = (uint8_t) is_ok;
  r.ballot = m->ballot;
  r.round = m->round;
  r.promised = node->persist.promised;
  proto_outbox_send (out, to, &r, sizeof r);
}

/* A heartbeat from a ballot we promised to ignore is answered with the
 * higher ballot, so the old leader steps down (as a rejected accept would
 * tell it).  Otherwise we follow the leader and learn what it says is
 * chosen; with leases we also acknowledge the round, which is what the
 * leader's lease is built on. */
void
paxos_acceptor_on_heartbeat (PaxosNode *node, const ProtoCtx *ctx, int from,
                             const PaxosHeartbeat *m, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  if (m->ballot < node->persist.promised) {
    proto_outbox_mark (out, "stale-ballot");
    heartbeat_ack (node, from, m, FALSE, out);
    return;
  }
  paxos_follow_leader (node, ctx, from, m->ballot, m->commit, now_us, out);
  if (cfg->reads == PAXOS_READS_LEASE)
    heartbeat_ack (node, from, m, TRUE, out);
}
