/* recv_request.c: a client's read, write or cas arrives at a node.
 *
 * Only the primary serves requests; a backup points the client at the node
 * it believes is primary.  The primary answers at once: a write is applied
 * locally, acknowledged, and only then shipped to the backups, so an
 * acknowledged write can still be lost if the primary fails before a backup
 * has it.  Reads are served from the primary's own copy, without asking
 * anyone: a primary cut off by a partition keeps serving stale data. */
#include "protocols/pb/pb.h"

#include <string.h>

static void
send_reply (ProtoOutbox *out, int to, uint32_t seq, const PbClientEntry *r, int32_t hint)
{
  PbReply m = {
    .type = PB_MSG_REPLY,
    .seq = seq,
    .kind = r->kind,
    .has_value = r->has_value,
    .value = r->value,
    .hint = hint,
  };
  proto_outbox_send (out, to, &m, sizeof m);
}

/* Applies a new update at the primary, then ships it to every backup. */
static void
replicate (PbNode *node, const ProtoCtx *ctx, const PbRequest *m, const PbClientEntry *r,
           ProtoOutbox *out)
{
  PbUpdateMsg msg = {
    .type = PB_MSG_UPDATE,
    .u = {
      .epoch = node->persist.epoch,
      .seq = node->persist.seq + 1,
      .key = m->key,
      .has_value = 1,
      .value = m->value,
      .client = m->client,
      .client_seq = m->seq,
      .reply = *r,
    },
  };
  pb_apply (node, &msg.u);
  for (int j = 0; j < ctx->n_nodes; j++)
    if (j != ctx->self)
      proto_outbox_send (out, j, &msg, sizeof msg);
}

void
pb_recv_request (PbNode *node, const ProtoCtx *ctx, int from, const PbRequest *m,
                 ProtoOutbox *out)
{
  if (m->key < 0 || m->key >= PB_MAX_KEYS || m->client >= PB_MAX_CLIENTS
      || m->f > PROTO_OP_CAS)
    return; /* malformed: no client of ours sends this */
  if (node->role != PB_PRIMARY) {
    PbClientEntry redirect = { .kind = PB_REPLY_REDIRECT };
    send_reply (out, from, m->seq, &redirect, node->primary);
    proto_outbox_mark (out, "pb-redirect");
    return;
  }
  PbClientEntry *last = &node->persist.clients[m->client];
  if (m->f != PROTO_OP_READ) {
    /* Idempotency: the same (client, seq) is applied once; a retry gets the
     * first attempt's reply again. */
    if (m->seq == last->seq) {
      send_reply (out, from, m->seq, last, -1);
      proto_outbox_note (out, "c%u#%u is a retry: reply again, do not apply twice",
                         m->client + 1, m->seq);
      proto_outbox_mark (out, "pb-duplicate-suppressed");
      return;
    }
    if (m->seq < last->seq)
      return; /* an attempt older than the client's latest: it gave up on it */
  }
  const PbCell *cell = &node->persist.kv[m->key];
  PbClientEntry r = { .seq = m->seq, .kind = PB_REPLY_OK };
  switch (m->f) {
  case PROTO_OP_READ:
    r.has_value = cell->has_value;
    r.value = cell->has_value ? cell->value : 0;
    send_reply (out, from, m->seq, &r, -1);
    return;
  case PROTO_OP_WRITE:
    replicate (node, ctx, m, &r, out);
    break;
  case PROTO_OP_CAS:
    if (cell->has_value && cell->value == m->expect) {
      replicate (node, ctx, m, &r, out);
    } else {
      r.kind = PB_REPLY_FAIL;
      *last = r; /* not replicated: a failed cas changes no data */
    }
    break;
  default:
    g_assert_not_reached ();
  }
  send_reply (out, from, m->seq, &r, -1);
}
