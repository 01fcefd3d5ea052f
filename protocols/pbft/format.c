/* format.c: digest, and the words traces and diagrams use for messages and
 * replica states. */
#include "protocols/pbft/pbft.h"

#include <string.h>

/* Bytes of the state, 32 at a time in four lanes (the tables are large
 * and the explorer digests a state for every step).  Most of a table is
 * zero (replicas beyond the configuration's, free slots): a zero block is
 * skipped, and each other block is mixed in with its offset, so equal
 * bytes give equal hashes.  Not the digest of requests and messages
 * (pbft_bytes_digest), which traces show. */
static uint64_t
state_bytes (const void *data, size_t len)
{
  const uint8_t *p = data;
  uint64_t l[4] = { 0xcbf29ce484222325ULL, len, 1, 2 };
  size_t i = 0;
  for (; i + 32 <= len; i += 32) {
    uint64_t v[4];
    memcpy (v, p + i, 32);
    if ((v[0] | v[1] | v[2] | v[3]) == 0)
      continue;
    l[0] ^= i;
    for (int k = 0; k < 4; k++) {
      l[k] = (l[k] ^ v[k]) * 0x100000001b3ULL;
      l[k] ^= l[k] >> 29;
    }
  }
  for (; i < len; i++)
    l[0] = (l[0] ^ p[i]) * 0x100000001b3ULL;
  return pbft_mix (pbft_mix (pbft_mix (l[0], l[1]), l[2]), l[3]);
}

/* Canonical: free slots and empty tables never enter. */
uint64_t
pbft_digest (const void *state, const ProtoCtx *ctx)
{
  const PbftNode *node = state;
  uint64_t h = 0x9bf7;
  h = pbft_mix (h, node->view);
  h = pbft_mix (h, (uint64_t) node->is_view_changing << 2 | (uint64_t) node->has_new_view << 1
                     | node->is_fetching);
  h = pbft_mix (h, node->next_seq);
  h = pbft_mix (h, node->last_exec);
  h = pbft_mix (h, state_bytes (&node->machine, sizeof node->machine));
  h = pbft_mix (h, node->stable.seq);
  h = pbft_mix (h, node->stable.digest);
  for (int i = 0; i < PBFT_CKPT_RING; i++)
    h = pbft_mix (h, node->own[i].digest);
  h = pbft_mix (h, state_bytes (node->ckpt_votes, sizeof node->ckpt_votes));
  for (int i = 0; i < PBFT_LOG_CAP; i++)
    if (node->log[i].seq > node->stable.seq)
      h = pbft_mix (h, state_bytes (&node->log[i], sizeof node->log[i]));
  h = pbft_mix (h, state_bytes (node->pending, sizeof node->pending));
  for (int j = 0; j < ctx->n_nodes; j++) {
    h = pbft_mix (h, node->vc_digest[j]);
    h = pbft_mix (h, (uint64_t) node->vc_acks[j] << 32 | node->vc_vouched[j]);
  }
  h = pbft_mix (h, node->rng.state);
  h = pbft_mix (h, (uint64_t) node->vc_deadline_us);
  h = pbft_mix (h, (uint64_t) node->vc_timeout_us);
  return h;
}

static const char *
op_name (uint8_t kind)
{
  switch (kind) {
  case PBFT_OP_READ: return "read";
  case PBFT_OP_WRITE: return "write";
  case PBFT_OP_CAS: return "cas";
  case PBFT_OP_NULL: return "null";
  default: return "?";
  }
}

static void
format_req (const PbftRequest *r, GString *out)
{
  if (r->kind == PBFT_OP_NULL) {
    g_string_append (out, "null");
    return;
  }
  g_string_append_printf (out, "c%u#%u %s k%u", r->client + 1, r->t, op_name (r->kind), r->key);
  if (r->kind == PBFT_OP_WRITE)
    g_string_append_printf (out, "=%" G_GINT64_FORMAT, r->value);
  else if (r->kind == PBFT_OP_CAS)
    g_string_append_printf (out, " %" G_GINT64_FORMAT "->%" G_GINT64_FORMAT, r->expect, r->value);
}

void
pbft_format_msg (const void *msg, size_t len, GString *out)
{
  if (len == 0) {
    g_string_append (out, "empty");
    return;
  }
  const uint8_t type = ((const uint8_t *) msg)[0];
  switch (type) {
  case PBFT_MSG_REQUEST: {
    PbftRequestMsg m;
    if (len != sizeof m)
      break;
    memcpy (&m, msg, sizeof m);
    g_string_append (out, "Request ");
    format_req (&m.req, out);
    return;
  }
  case PBFT_MSG_PRE_PREPARE: {
    PbftPrePrepare m;
    if (len != sizeof m)
      break;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "PrePrepare v%" G_GUINT64_FORMAT " n%" G_GUINT64_FORMAT
                            " d%04x ", m.view, m.seq, (unsigned) (m.digest & 0xffff));
    format_req (&m.req, out);
    return;
  }
  case PBFT_MSG_PREPARE:
  case PBFT_MSG_COMMIT: {
    PbftVote m;
    if (len != sizeof m)
      break;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "%s v%" G_GUINT64_FORMAT " n%" G_GUINT64_FORMAT " d%04x",
                            type == PBFT_MSG_PREPARE ? "Prepare" : "Commit", m.view, m.seq,
                            (unsigned) (m.digest & 0xffff));
    return;
  }
  case PBFT_MSG_REPLY: {
    PbftReply m;
    if (len != sizeof m)
      break;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "Reply v%" G_GUINT64_FORMAT " t%u %s", m.view, m.t,
                            m.is_ok ? "ok" : "fail");
    if (m.has_value)
      g_string_append_printf (out, " %" G_GINT64_FORMAT, m.value);
    return;
  }
  case PBFT_MSG_CHECKPOINT: {
    PbftCheckpointMsg m;
    if (len != sizeof m)
      break;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "Checkpoint n%" G_GUINT64_FORMAT " d%04x", m.seq,
                            (unsigned) (m.digest & 0xffff));
    return;
  }
  case PBFT_MSG_VIEW_CHANGE: {
    PbftViewChangeHead h;
    if (len < sizeof h)
      break;
    memcpy (&h, msg, sizeof h);
    g_string_append_printf (out, "ViewChange v%" G_GUINT64_FORMAT " h%" G_GUINT64_FORMAT
                            " P%u Q%u", h.view, h.h, h.n_p, h.n_q);
    return;
  }
  case PBFT_MSG_VIEW_CHANGE_ACK:
  case PBFT_MSG_VC_FETCH: {
    PbftVcAck m;
    if (len != sizeof m)
      break;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "%s v%" G_GUINT64_FORMAT " n%d d%04x",
                            type == PBFT_MSG_VC_FETCH ? "VcFetch" : "ViewChangeAck", m.view,
                            m.node + 1, (unsigned) (m.digest & 0xffff));
    return;
  }
  case PBFT_MSG_VC_RELAY: {
    PbftVcRelayHead r;
    PbftViewChangeHead h;
    if (len < sizeof r + sizeof h)
      break;
    memcpy (&r, msg, sizeof r);
    memcpy (&h, (const uint8_t *) msg + sizeof r, sizeof h);
    g_string_append_printf (out, "VcRelay n%d v%" G_GUINT64_FORMAT " h%" G_GUINT64_FORMAT
                            " P%u Q%u", r.node + 1, h.view, h.h, h.n_p, h.n_q);
    return;
  }
  case PBFT_MSG_NEW_VIEW: {
    PbftNewViewHead h;
    if (len < sizeof h)
      break;
    memcpy (&h, msg, sizeof h);
    g_string_append_printf (out, "NewView v%" G_GUINT64_FORMAT " h%" G_GUINT64_FORMAT " X%u",
                            h.view, h.ckpt_seq, h.n_x);
    return;
  }
  case PBFT_MSG_FETCH: {
    PbftFetch m;
    if (len != sizeof m)
      break;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "Fetch n%" G_GUINT64_FORMAT, m.seq);
    return;
  }
  case PBFT_MSG_STATE:
    if (len != sizeof (PbftState))
      break;
    g_string_append (out, "State");
    return;
  default:
    break;
  }
  g_string_append_printf (out, "garbled (%zu bytes)", len);
}

void
pbft_format_state (const void *state, const ProtoCtx *ctx, GString *out)
{
  const PbftNode *node = state;
  g_string_append_printf (out, "view %" G_GUINT64_FORMAT "%s%s, h %" G_GUINT64_FORMAT
                          ", executed %" G_GUINT64_FORMAT, node->view,
                          pbft_primary (node->view, ctx->n_nodes) == ctx->self ? " primary" : "",
                          node->is_view_changing ? " (changing)" : "", node->stable.seq,
                          node->last_exec);
}

/* The role-aware faults' leader: the primary of its view, outside a view
 * change. */
int64_t
pbft_leader_term (const void *state, const ProtoCtx *ctx)
{
  const PbftNode *node = state;
  gboolean is_primary = pbft_primary (node->view, ctx->n_nodes) == ctx->self;
  return is_primary && !node->is_view_changing ? (int64_t) node->view : -1;
}
