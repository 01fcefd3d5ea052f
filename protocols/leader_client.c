/* leader_client.c: see leader_client.h. */
#include "protocols/leader_client.h"

static void
client_send (const LeaderClientDesc *desc, LeaderClient *c, ProtoOutbox *out)
{
  uint8_t buf[LEADER_CLIENT_MAX_REQUEST];
  size_t len = desc->write_request (&c->op, buf);
  g_assert (len <= sizeof buf);
  proto_outbox_send (out, c->target, buf, len);
}

static void
client_invoke (const LeaderClientDesc *desc, LeaderClient *c, const ProtoCtx *ctx,
               const ProtoOp *op, ProtoOutbox *out)
{
  if (!c->is_seeded) {
    pcg32_seed (&c->rng, ctx->seed, (uint64_t) ctx->self);
    c->target = (int32_t) pcg32_below (&c->rng, (uint32_t) ctx->n_nodes);
    c->is_seeded = TRUE;
  }
  c->op = *op;
  c->hops = 0;
  if (op->f > PROTO_OP_CAS || op->key < 0 || op->key >= desc->max_keys
      || op->client >= (uint32_t) desc->max_clients) {
    /* Not something this cluster can do: it certainly did not happen. */
    c->is_open = FALSE;
    proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
    return;
  }
  c->is_open = TRUE;
  client_send (desc, c, out);
}

static void
client_receive (const LeaderClientDesc *desc, LeaderClient *c, const ProtoCtx *ctx,
                const ProtoEvent *ev, ProtoOutbox *out)
{
  LeaderReply r;
  if (!c->is_open || ev->from < 0 || ev->from >= ctx->n_nodes
      || !desc->read_reply (ev->msg, ev->msg_len, &r))
    return;
  if (r.seq != c->op.seq)
    return; /* an answer to an earlier operation */
  switch (r.status) {
  case LEADER_REPLY_OK:
    c->is_open = FALSE;
    c->target = ev->from;
    proto_outbox_complete (out, PROTO_RESULT_OK, r.has_value, r.value);
    return;
  case LEADER_REPLY_FAILED:
    c->is_open = FALSE;
    c->target = ev->from;
    proto_outbox_complete (out, PROTO_RESULT_FAIL, FALSE, 0);
    return;
  case LEADER_REPLY_REDIRECT:
    /* Follow the hint, or try the next node; after two tours of the
     * cluster, wait for the retry timer instead of spinning. */
    if (c->hops >= 2u * (uint32_t) ctx->n_nodes)
      return;
    c->hops++;
    if (r.leader_hint >= 0 && r.leader_hint < ctx->n_nodes && r.leader_hint != ev->from)
      c->target = r.leader_hint;
    else if (r.leader_hint == LEADER_NOBODY && c->hops > (uint32_t) ctx->n_nodes)
      return; /* no leader anywhere yet: let the backoff pass */
    else if (ctx->n_nodes > 1)
      /* Any other node, at random: stepping to the next one could go round
       * a cycle of stale hints (n4 knows no leader, n1 names n3, n3 was
       * removed and knows none) that never reaches the leader. */
      c->target = (ev->from + 1 + (int32_t) pcg32_below (&c->rng, (uint32_t) ctx->n_nodes - 1))
                  % ctx->n_nodes;
    client_send (desc, c, out);
    return;
  }
}

void
leader_client_step (const LeaderClientDesc *desc, LeaderClient *c, const ProtoCtx *ctx,
                    const ProtoEvent *ev, ProtoOutbox *out)
{
  switch (ev->kind) {
  case PROTO_EV_INVOKE:
    client_invoke (desc, c, ctx, ev->op, out);
    break;
  case PROTO_EV_RETRY:
    if (!c->is_open)
      break;
    /* No answer from the last node in time: it may be down or cut off. */
    c->hops = 0;
    c->target = (c->target + 1) % ctx->n_nodes;
    client_send (desc, c, out);
    break;
  case PROTO_EV_RECEIVE:
    client_receive (desc, c, ctx, ev, out);
    break;
  case PROTO_EV_START:
  case PROTO_EV_TIMEOUT:
    break;
  }
}

void
leader_client_format_request (GString *out, unsigned client, uint32_t seq, unsigned kind,
                              unsigned key, int64_t value, int64_t expect)
{
  static const char *const op_names[] = { "read", "write", "cas" };
  g_string_append_printf (out, "Request(c%u #%u: %s k%u", client + 1u, seq,
                          kind < G_N_ELEMENTS (op_names) ? op_names[kind] : "?", key);
  if (kind == PROTO_OP_WRITE)
    g_string_append_printf (out, " := %" G_GINT64_FORMAT, value);
  else if (kind == PROTO_OP_CAS)
    g_string_append_printf (out, " %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT, expect, value);
  g_string_append_c (out, ')');
}

void
leader_client_format_reply (GString *out, const LeaderReply *r, const char *failed)
{
  if (r->status == LEADER_REPLY_REDIRECT) {
    if (r->leader_hint >= 0)
      g_string_append_printf (out, "Redirect(#%u, leader n%d)", r->seq, r->leader_hint + 1);
    else
      g_string_append_printf (out, "Redirect(#%u, no leader)", r->seq);
  } else if (r->status == LEADER_REPLY_FAILED) {
    g_string_append_printf (out, "Reply(#%u, %s)", r->seq, failed);
  } else if (r->has_value) {
    g_string_append_printf (out, "Reply(#%u, ok, %" G_GINT64_FORMAT ")", r->seq, r->value);
  } else {
    g_string_append_printf (out, "Reply(#%u, ok)", r->seq);
  }
}
