/* abd.c: the ABD register's client.  In ABD the reader and the writer are
 * the processes that run the protocol; the servers only keep the largest
 * (timestamp, value) they were sent.  The client stub therefore runs both
 * phases itself, straight against the key's n replicas, and a retry only
 * resends the current phase to the replicas that have not answered: no
 * coordinator is left behind to replay an old write after the client has
 * moved on.
 *
 * Attiya, Bar-Noy, Dolev, "Sharing Memory Robustly in Message-Passing
 * Systems" (JACM 1995), in the multi-writer form of Lynch and Shvartsman
 * (FTCS 1997): "The writer first queries a majority of processors for
 * their latest tag, chooses a tag greater than all of them (the largest
 * integer part plus one, and its own identifier), and propagates the new
 * value with its tag to a majority.  The reader queries a majority, takes
 * the value with the largest tag, and propagates that value and tag to a
 * majority before returning it": the write-back, without which a later
 * read may return an older value than an earlier read (new-old inversion).
 * Timestamps are (counter, client endpoint). */
#include "protocols/quorum/quorum.h"

#include <string.h>

static int
majority (const ProtoCtx *ctx)
{
  return quorum_replicas (ctx) / 2 + 1;
}

static void
send_phase (QuorumClient *c, const ProtoCtx *ctx, ProtoOutbox *out)
{
  int n = quorum_replicas (ctx);
  for (int k = 0; k < n; k++) {
    int to = c->ring[c->op.key][k];
    if (c->replied & (1u << to))
      continue;
    if (c->phase == QUORUM_PHASE_QUERY) {
      QuorumGet m;
      memset (&m, 0, sizeof m);
      m.type = QUORUM_MSG_GET;
      m.key = (uint8_t) c->op.key;
      m.tag = c->tag;
      proto_outbox_send (out, to, &m, sizeof m);
    } else {
      QuorumPut m;
      memset (&m, 0, sizeof m);
      m.type = QUORUM_MSG_PUT;
      m.key = (uint8_t) c->op.key;
      m.hint_for = QUORUM_NOBODY;
      m.tag = c->tag;
      m.cell = c->cell;
      proto_outbox_send (out, to, &m, sizeof m);
    }
  }
}

static void
phase_start (QuorumClient *c, const ProtoCtx *ctx, QuorumPhase phase, ProtoOutbox *out)
{
  c->phase = (uint8_t) phase;
  c->replied = 0;
  if (++c->tag == 0)
    c->tag = 1;
  send_phase (c, ctx, out);
}

static void
finish (QuorumClient *c, ProtoOutbox *out)
{
  c->is_open = FALSE;
  if (c->op.f == PROTO_OP_WRITE)
    proto_outbox_complete (out, PROTO_RESULT_OK, FALSE, 0);
  else
    proto_outbox_complete (out, PROTO_RESULT_OK, c->cell.has_value, c->cell.value);
}

/* Phase 1 heard from a majority. */
static void
query_done (QuorumClient *c, const ProtoCtx *ctx, ProtoOutbox *out)
{
  const QuorumConfig *cfg = ctx->config;
  if (c->op.f == PROTO_OP_WRITE) {
    int64_t top = c->cell.has_value ? c->cell.ts : 0;
    memset (&c->cell, 0, sizeof c->cell);
    c->cell.ts = top + 1;
    c->cell.ts_node = ctx->self;
    c->cell.value = c->op.value;
    c->cell.has_value = 1;
  } else if (cfg->bug == QUORUM_BUG_ABD_SKIP_WRITE_BACK) {
    /* Seeded bug: return what the majority said, without writing it back. */
    proto_outbox_mark (out, "abd-write-back-skipped");
    finish (c, out);
    return;
  } else {
    proto_outbox_mark (out, "abd-write-back");
  }
  phase_start (c, ctx, QUORUM_PHASE_STORE, out);
}

static void
receive (QuorumClient *c, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  if (!c->is_open || ev->msg_len == 0 || ev->from < 0 || ev->from >= ctx->n_nodes)
    return;
  uint8_t type = ((const uint8_t *) ev->msg)[0];
  uint64_t tag;
  const QuorumCell *cell = NULL;
  QuorumGetReply reply;
  if (type == QUORUM_MSG_GET_REPLY && ev->msg_len == sizeof reply
      && c->phase == QUORUM_PHASE_QUERY) {
    memcpy (&reply, ev->msg, sizeof reply);
    tag = reply.tag;
    cell = &reply.cell;
  } else if (type == QUORUM_MSG_PUT_ACK && ev->msg_len == sizeof (QuorumPutAck)
             && c->phase == QUORUM_PHASE_STORE) {
    QuorumPutAck ack;
    memcpy (&ack, ev->msg, sizeof ack);
    tag = ack.tag;
  } else {
    return;
  }
  uint16_t bit = (uint16_t) (1u << ev->from);
  if (tag != c->tag || (c->replied & bit) || !quorum_is_replica_of (c->ring[c->op.key], ctx,
                                                                    ev->from))
    return; /* an earlier phase's answer, a duplicate, or not a replica */
  c->replied |= bit;
  if (cell != NULL)
    quorum_cell_merge (&c->cell, cell, FALSE, NULL);
  if (__builtin_popcount (c->replied) < majority (ctx))
    return;
  if (c->phase == QUORUM_PHASE_QUERY)
    query_done (c, ctx, out);
  else
    finish (c, out);
}

void
quorum_abd_client_step (QuorumClient *c, const ProtoCtx *ctx, const ProtoEvent *ev,
                        ProtoOutbox *out)
{
  switch (ev->kind) {
  case PROTO_EV_INVOKE:
    quorum_client_seed (c, ctx);
    c->op = *ev->op;
    if ((c->op.f != PROTO_OP_READ && c->op.f != PROTO_OP_WRITE) || c->op.key < 0
        || c->op.key >= QUORUM_MAX_KEYS) {
      c->is_open = FALSE;
      proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
      return;
    }
    c->is_open = TRUE;
    memset (&c->cell, 0, sizeof c->cell);
    phase_start (c, ctx, QUORUM_PHASE_QUERY, out);
    break;
  case PROTO_EV_RETRY:
    if (c->is_open)
      send_phase (c, ctx, out); /* the replicas still silent, once more */
    break;
  case PROTO_EV_RECEIVE:
    receive (c, ctx, ev, out);
    break;
  case PROTO_EV_START:
  case PROTO_EV_TIMEOUT:
    break;
  }
}
