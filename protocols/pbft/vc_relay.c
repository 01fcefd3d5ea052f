/* vc_relay.c: a backup obtains a view-change message the new primary's
 * NEW-VIEW names and the backup lacks: it never arrived (its sender, already
 * in the new view, no longer resends it), or its sender equivocated and
 * the backup holds another one.
 *
 * TOCS 4.5 lets a backup obtain the missing view-change messages from
 * other replicas; the primary used only messages with 2f-1 acks, so f+1
 * correct replicas besides the sender hold each one.  Authentication is
 * the network's true sender here, so a relayed copy is believed when the
 * sender relays its own message, or when f+1 replicas relay the same
 * bytes (one of them is correct, and it received them from the sender). */
#include "protocols/pbft/pbft.h"

#include <string.h>

/* A replica answers VC-FETCH with the message it holds, if it is the one
 * asked for. */
void
pbft_replica_on_vc_fetch (const PbftNode *node, const ProtoCtx *ctx, int from,
                          const PbftVcAck *m, ProtoOutbox *out)
{
  if (m->node < 0 || m->node >= ctx->n_nodes || node->vc_digest[m->node] != m->digest
      || node->vcs[m->node].head.view != m->view)
    return;
  size_t cap = sizeof (PbftVcRelayHead) + sizeof (PbftViewChange);
  uint8_t *buf = g_malloc (cap);
  PbftVcRelayHead head;
  memset (&head, 0, sizeof head);
  head.type = PBFT_MSG_VC_RELAY;
  head.node = m->node;
  memcpy (buf, &head, sizeof head);
  size_t len = pbft_view_change_wire (&node->vcs[m->node], buf + sizeof head,
                                      cap - sizeof head);
  proto_outbox_send (out, from, buf, sizeof head + len);
  g_free (buf);
}

/* A relayed copy of j's message: counted if the pending NEW-VIEW names it,
 * installed once believed, and the NEW-VIEW checked again. */
void
pbft_backup_on_vc_relay (PbftNode *node, const ProtoCtx *ctx, int from, int j,
                         const PbftViewChange *vc, uint64_t digest, int64_t now_us,
                         ProtoOutbox *out)
{
  uint64_t v = vc->head.view;
  if (j < 0 || j >= ctx->n_nodes || j == ctx->self || !node->has_new_view
      || node->new_view.head.view != v || node->new_view.head.vc_digest[j] != digest
      || node->vc_digest[j] == digest || node->vcs[j].head.view > v)
    return;
  node->vc_vouched[j] |= 1u << from;
  if (from != j && __builtin_popcount (node->vc_vouched[j]) < pbft_f (ctx->n_nodes) + 1)
    return;
  proto_outbox_mark (out, "view-change-relayed");
  proto_outbox_note (out, "n%d's view change for view %" G_GUINT64_FORMAT " relayed", j + 1, v);
  node->vcs[j] = *vc;
  node->vc_digest[j] = digest;
  node->vc_acks[j] = 0;
  node->vc_vouched[j] = 0;
  pbft_new_view_timer_start (node, ctx, now_us);
  pbft_backup_on_new_view (node, ctx, pbft_primary (v, ctx->n_nodes), &node->new_view, now_us,
                           out);
}
