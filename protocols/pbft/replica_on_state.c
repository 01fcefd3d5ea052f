/* replica_on_state.c: the state a fetch asked for arrives. */
#include "protocols/pbft/pbft.h"

#include <string.h>

void
pbft_replica_on_state (PbftNode *node, const ProtoCtx *ctx, int from, const PbftState *m,
                       int64_t now_us, ProtoOutbox *out)
{
  (void) from;
  if (!node->is_fetching || m->seq != node->fetch_seq
      || pbft_machine_digest (&m->machine, m->seq) != node->fetch_digest)
    return;
  proto_outbox_mark (out, "state-installed");
  proto_outbox_note (out, "installed the state at %" G_GUINT64_FORMAT, m->seq);
  node->is_fetching = FALSE;
  node->machine = m->machine;
  node->last_exec = m->seq;
  node->stable.seq = m->seq;
  node->stable.digest = node->fetch_digest;
  node->stable.machine = m->machine;
  for (int i = 0; i < PBFT_CKPT_RING; i++)
    if (node->own[i].seq <= m->seq)
      memset (&node->own[i], 0, sizeof node->own[i]);
  for (int i = 0; i < PBFT_LOG_CAP; i++)
    if (node->log[i].seq <= m->seq)
      memset (&node->log[i], 0, sizeof node->log[i]);
  for (int c = 0; c < PBFT_MAX_CLIENTS; c++)
    if (node->pending[c].is_pending && node->pending[c].req.t <= node->machine.sessions[c].t)
      node->pending[c].is_pending = FALSE;
  if (node->next_seq < m->seq)
    node->next_seq = m->seq;
  proto_outbox_sync (out);
  pbft_execute (node, ctx, now_us, out);
  pbft_timer_update (node, ctx, now_us);
}
