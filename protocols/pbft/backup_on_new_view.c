/* backup_on_new_view.c: a backup receives the new primary's NEW-VIEW. */
#include "protocols/pbft/pbft.h"

#include <string.h>

/* TOCS 4.5: "The backups check the correctness of the new-view message ...
 * by running the decision procedure" on the view-change messages it names.
 * A backup that lacks one of them (or holds a different one from that
 * replica) keeps the new-view, asks the others for it (vc_relay.c), and
 * checks again when view-change messages arrive; a new-view whose
 * decisions differ from the backup's own is rejected, and the view-change
 * timer moves on to the next view. */
void
pbft_backup_on_new_view (PbftNode *node, const ProtoCtx *ctx, int from, const PbftNewView *m,
                         int64_t now_us, ProtoOutbox *out)
{
  uint64_t v = m->head.view;
  if (from != pbft_primary (v, ctx->n_nodes) || from == ctx->self || v < node->view
      || (v == node->view && !node->is_view_changing))
    return;
  if (&node->new_view != m) {
    gboolean is_news = !node->has_new_view
                       || memcmp (&node->new_view.head, &m->head, sizeof m->head) != 0;
    node->new_view = *m;
    node->has_new_view = TRUE;
    if (is_news) {
      memset (node->vc_vouched, 0, sizeof node->vc_vouched);
      pbft_new_view_fetch_missing (node, ctx, out);
    }
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

/* VC-FETCH for each view-change message the pending NEW-VIEW names and
 * this backup does not hold; sent when the NEW-VIEW arrives and again
 * every resend interval while it waits. */
void
pbft_new_view_fetch_missing (const PbftNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  if (!node->has_new_view)
    return;
  const PbftNewViewHead *h = &node->new_view.head;
  for (int j = 0; j < ctx->n_nodes; j++) {
    if (h->vc_digest[j] == 0 || node->vc_digest[j] == h->vc_digest[j] || j == ctx->self)
      continue;
    PbftVcAck m;
    memset (&m, 0, sizeof m);
    m.type = PBFT_MSG_VC_FETCH;
    m.node = j;
    m.view = h->view;
    m.digest = h->vc_digest[j];
    pbft_send_all (ctx, out, &m, sizeof m);
  }
}
