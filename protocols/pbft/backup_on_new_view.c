/* backup_on_new_view.c: a backup receives the new primary's NEW-VIEW. */
#include "protocols/pbft/pbft.h"

#include <string.h>

/* TOCS 4.5: "The backups check the correctness of the new-view message ...
 * by running the decision procedure" on the view-change messages it names.
 * A backup that lacks one of them (or holds a different one from that
 * replica) keeps the new-view and checks again when view-change messages
 * arrive; a new-view whose decisions differ from the backup's own is
 * rejected, and the view-change timer moves on to the next view. */
void
pbft_backup_on_new_view (PbftNode *node, const ProtoCtx *ctx, int from, const PbftNewView *m,
                         int64_t now_us, ProtoOutbox *out)
{
  uint64_t v = m->head.view;
  if (from != pbft_primary (v, ctx->n_nodes) || from == ctx->self || v < node->view
      || (v == node->view && !node->is_view_changing))
    return;
  if (&node->new_view != m) {
    node->new_view = *m;
    node->has_new_view = TRUE;
  }
  uint32_t senders = 0;
  for (int j = 0; j < ctx->n_nodes; j++)
    if (m->head.vc_digest[j] != 0) {
      senders |= 1u << j;
      if (node->vc_digest[j] != m->head.vc_digest[j])
        return; /* not all of S here yet */
    }
  PbftNewView *mine = g_malloc (sizeof *mine);
  gboolean ok = pbft_decide (node, ctx, v, senders, mine)
                && mine->head.ckpt_seq == m->head.ckpt_seq
                && mine->head.ckpt_digest == m->head.ckpt_digest
                && mine->head.n_x == m->head.n_x
                && memcmp (mine->x, m->x, m->head.n_x * sizeof (PbftPEntry)) == 0;
  g_free (mine);
  if (!ok) {
    proto_outbox_mark (out, "new-view-rejected");
    proto_outbox_note (out, "new-view for view %" G_GUINT64_FORMAT " from n%d does not follow "
                       "from its view-change messages", v, from + 1);
    node->has_new_view = FALSE;
    return;
  }
  if (v > node->view || !node->is_view_changing) {
    /* Never sent its own view change for v: it joins now. */
    node->view = v;
    node->is_view_changing = TRUE;
  }
  pbft_new_view_enter (node, ctx, &node->new_view, now_us, out);
}
