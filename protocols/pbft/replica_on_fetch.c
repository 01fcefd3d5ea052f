/* replica_on_fetch.c: another replica asks for the state at a checkpoint. */
#include "protocols/pbft/pbft.h"

#include <string.h>

/* 4.3 / TOCS 6.2 (state transfer), reduced to its core: a replica that
 * learns of a stable checkpoint it has not reached asks the others for the
 * state; the answer is checked against the digest 2f+1 replicas vouched
 * for, so a Byzantine replica cannot hand over a false state. */
void
pbft_replica_on_fetch (PbftNode *node, const ProtoCtx *ctx, int from, const PbftFetch *m,
                       ProtoOutbox *out)
{
  const PbftCheckpoint *c = NULL;
  if (node->stable.seq == m->seq && !(node->is_fetching && node->fetch_seq == m->seq))
    c = &node->stable;
  for (int i = 0; i < PBFT_CKPT_RING; i++)
    if (node->own[i].seq == m->seq && m->seq != 0)
      c = &node->own[i];
  if (c == NULL)
    return;
  PbftState *s = g_malloc0 (sizeof *s);
  s->type = PBFT_MSG_STATE;
  s->seq = c->seq;
  s->machine = c->machine;
  proto_outbox_send (out, from, s, sizeof *s);
  g_free (s);
}
