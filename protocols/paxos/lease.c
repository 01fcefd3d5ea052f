/* lease.c: leader leases (reads = lease).  A leader that a majority
 * acknowledged recently answers reads from its own state machine, without
 * a slot in the log.  It rests on two waits, both measured on local clocks,
 * so both are only as safe as the clocks agree (the same caveat as Raft's
 * leases, thesis 6.4.1):
 *
 *  - the lease itself: a round of heartbeats sent at time t and
 *    acknowledged by a majority gives a lease until t + lease; no other
 *    leader can choose anything before then, because
 *  - a new leader waits `lease` after its phase 1 before it runs phase 2 or
 *    answers any read (role.c): the previous leader's lease was granted by
 *    acknowledgements sent before the promises that elected it. */
#include "protocols/paxos/paxos.h"

#include <string.h>

/* The k-th largest of n values (k from 1), for n <= PROTO_MAX_NODES. */
static uint64_t
kth_largest (const uint64_t *values, int n, int k)
{
  uint64_t v[PROTO_MAX_NODES];
  memcpy (v, values, (size_t) n * sizeof v[0]);
  for (int i = 1; i < n; i++) {
    uint64_t x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] < x) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = x;
  }
  return v[k - 1];
}

void
paxos_lease_round_ack (PaxosNode *node, const ProtoCtx *ctx, int peer, uint64_t round,
                       int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  if (round > node->acked_round[peer])
    node->acked_round[peer] = round;
  uint64_t confirmed = kth_largest (node->acked_round, ctx->n_nodes,
                                    paxos_majority (ctx->n_nodes));
  if (confirmed <= node->round_confirmed)
    return;
  node->round_confirmed = confirmed;
  if (cfg->reads == PAXOS_READS_LEASE && confirmed + PAXOS_ROUND_RING > node->round_sent) {
    int64_t until = node->round_sent_at_us[confirmed % PAXOS_ROUND_RING] + cfg->lease_us;
    if (until > node->lease_until_us)
      node->lease_until_us = until;
  }
}

/* Answers a read from the leader's state if that is linearizable: the
 * lease holds, the old leader's lease is over (phase 2 has started), every
 * slot that was open when we won is chosen again, and everything chosen is
 * applied.  FALSE: the read goes through the log instead. */
gboolean
paxos_lease_read (PaxosNode *node, const ProtoCtx *ctx, const PaxosClientRequest *m,
                  int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  gboolean is_ready = node->is_phase2_started && node->commit >= node->open_until
                      && node->last_applied >= node->commit;
  if (cfg->bug == PAXOS_BUG_LEASE_READ_WITHOUT_WAIT && !node->is_phase2_started) {
    /* Seeded bug: a new leader reads while the old lease may still hold,
     * from a state that lacks what the old leader chose last. */
    proto_outbox_note (out, "lease read before the old lease ran out (bug)");
    is_ready = TRUE;
  }
  if (!is_ready || now_us >= node->lease_until_us)
    return FALSE;
  proto_outbox_mark (out, "lease-read");
  const PaxosCell *cell = &node->machine.kv[m->key];
  paxos_reply (out, ctx, m->client, m->seq, PAXOS_REPLY_OK, cell->has_value, cell->value,
               ctx->self);
  return TRUE;
}
