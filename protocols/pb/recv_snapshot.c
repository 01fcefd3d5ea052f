/* recv_snapshot.c: a backup receives the primary's whole state.
 *
 * Installed only if it is ahead of what the backup holds: a newer epoch, or
 * the same epoch further along.  This is how a backup that followed an old
 * primary joins a new one, and how a restarted old primary learns that the
 * writes it acknowledged but never shipped are gone. */
#include "protocols/pb/pb.h"

#include <string.h>

void
pb_recv_snapshot (PbNode *node, const ProtoCtx *ctx, int from, const uint8_t *msg,
                  size_t len, int64_t now_us, ProtoOutbox *out)
{
  PbSnapshotHead head;
  memcpy (&head, msg, sizeof head);
  const PbSnapshotHead *m = &head;
  if (m->n_keys > PB_MAX_KEYS || m->n_clients > PB_MAX_CLIENTS
      || len != sizeof *m + m->n_keys * sizeof (PbCell)
                  + m->n_clients * sizeof (PbClientEntry))
    return;
  if (!pb_follow (node, ctx, from, m->epoch, now_us, out))
    return;
  if (m->epoch < node->persist.epoch
      || (m->epoch == node->persist.epoch && m->seq <= node->persist.seq))
    return;
  if (m->epoch != node->persist.epoch && node->persist.seq > 0)
    proto_outbox_note (out, "n%d drops its epoch %" G_GUINT64_FORMAT " data (seq %"
                       G_GUINT64_FORMAT ") for epoch %" G_GUINT64_FORMAT " (seq %"
                       G_GUINT64_FORMAT ")", ctx->self + 1, node->persist.epoch,
                       node->persist.seq, m->epoch, m->seq);
  const uint8_t *body = msg + sizeof head;
  memset (node->persist.kv, 0, sizeof node->persist.kv);
  memcpy (node->persist.kv, body, m->n_keys * sizeof (PbCell));
  memset (node->persist.clients, 0, sizeof node->persist.clients);
  memcpy (node->persist.clients, body + m->n_keys * sizeof (PbCell),
          m->n_clients * sizeof (PbClientEntry));
  node->persist.epoch = m->epoch;
  node->persist.seq = m->seq;
  proto_outbox_mark (out, "pb-snapshot-installed");
}
