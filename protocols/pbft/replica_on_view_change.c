/* replica_on_view_change.c: a VIEW-CHANGE message from another replica. */
#include "protocols/pbft/pbft.h"

#include <string.h>

/* Each replica keeps the latest view-change message of every replica (the
 * new primary to decide, backups to check the new primary's decision).
 *
 * TOCS 4.5: "replicas send view-change-ack messages to the primary of v+1
 * for the view-change messages they receive", ⟨VIEW-CHANGE-ACK, v+1, i, j,
 * d⟩; the primary uses only view-change messages enough replicas hold
 * (replica_on_view_change_ack.c), so a backup that holds another version
 * from an equivocating replica can fetch the named one (vc_relay.c).
 *
 * 4.5.2 (liveness): "if a replica receives a set of f+1 valid view-change
 * messages from other replicas for views greater than its current view, it
 * sends a view-change message for the smallest view in the set, even if its
 * timer has not expired". */
void
pbft_replica_on_view_change (PbftNode *node, const ProtoCtx *ctx, int from,
                             const PbftViewChange *m, int64_t now_us, ProtoOutbox *out)
{
  if (m->head.view < node->view || m->head.view < node->vcs[from].head.view
      || m->head.view == 0)
    return;
  node->vcs[from] = *m;
  uint8_t *buf = g_malloc (sizeof (PbftViewChange));
  size_t len = pbft_view_change_wire (m, buf, sizeof (PbftViewChange));
  uint64_t digest = pbft_bytes_digest (buf, len);
  g_free (buf);
  if (node->vc_digest[from] != digest)
    node->vc_acks[from] = 0;
  node->vc_digest[from] = digest;
  int primary = pbft_primary (m->head.view, ctx->n_nodes);
  if (primary != ctx->self && primary != from) {
    PbftVcAck ack;
    memset (&ack, 0, sizeof ack);
    ack.type = PBFT_MSG_VIEW_CHANGE_ACK;
    ack.node = from;
    ack.view = m->head.view;
    ack.digest = digest;
    proto_outbox_send (out, primary, &ack, sizeof ack);
  }

  pbft_new_view_timer_start (node, ctx, now_us);

  int ahead = 0;
  uint64_t smallest = UINT64_MAX;
  for (int j = 0; j < ctx->n_nodes; j++)
    if (j != ctx->self && node->vc_digest[j] != 0
        && node->vcs[j].head.view > node->view) {
      ahead++;
      smallest = MIN (smallest, node->vcs[j].head.view);
    }
  if (ahead >= pbft_f (ctx->n_nodes) + 1) {
    proto_outbox_mark (out, "view-change-joined");
    pbft_view_change_start (node, ctx, smallest, now_us, out);
    return;
  }
  if (!node->is_view_changing || m->head.view != node->view)
    return;
  if (pbft_primary (node->view, ctx->n_nodes) == ctx->self)
    pbft_new_view_try (node, ctx, now_us, out);
  else if (node->has_new_view && node->new_view.head.view == node->view)
    pbft_backup_on_new_view (node, ctx, pbft_primary (node->view, ctx->n_nodes),
                             &node->new_view, now_us, out);
}
