/* pbft.c: the PBFT replica's step function: start, timeouts and
 * retransmission, and a dispatcher that hands each message to its handler
 * (<role>_on_<message>.c). */
#include "protocols/pbft/pbft.h"

#include <string.h>

static const ProtoKnob pbft_knobs[] = {
  { "checkpoint_interval", PROTO_KNOB_INT, offsetof (PbftConfig, checkpoint_interval), "8", 1,
    PBFT_LOG_CAP / 2, NULL, "K: a checkpoint every K executed requests" },
  { "log_window", PROTO_KNOB_INT, offsetof (PbftConfig, log_window), "16", 2, PBFT_LOG_CAP,
    NULL, "L: the high water mark is the stable checkpoint plus L (taken as 2K if smaller)" },
  { "view_change_timeout", PROTO_KNOB_DURATION, offsetof (PbftConfig, view_change_us), "200ms",
    1000, 60000000, NULL, "T: how long a backup waits for a request to execute; doubles "
    "after each view change that does not bring progress" },
  { "resend", PROTO_KNOB_DURATION, offsetof (PbftConfig, resend_us), "100ms", 1000, 60000000,
    NULL, "retransmission interval of unfinished protocol messages" },
  { "bug", PROTO_KNOB_CHOICE, offsetof (PbftConfig, bug), "none", 0, 0,
    "none|commit-with-2f-prepares|view-change-without-certificates|client-accepts-first-reply|"
    "no-digest-check", "seeded bug to switch on" },
  { NULL },
};

static void
pbft_start (PbftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PbftConfig *cfg = ctx->config;
  (void) out;
  pcg32_seed (&node->rng, ctx->seed, (uint64_t) ctx->self);
  node->vc_timeout_us = cfg->view_change_us;
  node->vc_deadline_us = INT64_MAX;
  pbft_new_view_timer_start (node, ctx, now_us);
  pbft_timer_update (node, ctx, now_us);
  node->resend_deadline_us = now_us + cfg->resend_us;
}

/* Retransmission: the paper's replicas retransmit until they know a
 * message arrived; here every resend interval a replica repeats what is
 * still unfinished: its part of each uncommitted slot of this view (marked
 * as resent, so replicas done with the slot answer it: catch_up.c), its
 * newest checkpoint not yet stable, its view change or the new view, and a
 * pending state fetch. */
static void
pbft_resend (PbftNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  gboolean is_primary = pbft_primary (node->view, ctx->n_nodes) == ctx->self;
  if (node->is_view_changing) {
    uint8_t *buf = g_malloc (sizeof (PbftViewChange));
    size_t len = pbft_view_change_wire (&node->vcs[ctx->self], buf, sizeof (PbftViewChange));
    pbft_send_all (ctx, out, buf, len);
    g_free (buf);
    if (node->has_new_view && node->new_view.head.view == node->view)
      pbft_new_view_fetch_missing (node, ctx, out);
    return;
  }
  gboolean unfinished = FALSE;
  for (uint64_t seq = node->stable.seq + 1; seq <= pbft_high (node, ctx); seq++) {
    const PbftSlot *s = pbft_slot_peek (node, seq);
    if (s == NULL || !s->has_pre_prepare || s->view != node->view || s->is_committed)
      continue;
    unfinished = TRUE;
    if (is_primary) {
      PbftPrePrepare m;
      memset (&m, 0, sizeof m);
      m.type = PBFT_MSG_PRE_PREPARE;
      m.view = s->view;
      m.seq = s->seq;
      m.digest = s->digest;
      m.req = s->req;
      pbft_send_all (ctx, out, &m, sizeof m);
    } else {
      pbft_send_vote_how (ctx, out, -1, PBFT_MSG_PREPARE, s->view, s->seq, s->digest,
                          PBFT_VOTE_RESENT);
    }
    if (s->is_prepared)
      pbft_send_vote_how (ctx, out, -1, PBFT_MSG_COMMIT, s->view, s->seq, s->digest,
                          PBFT_VOTE_RESENT);
  }
  if (unfinished && is_primary && node->view > 0 && node->new_view.head.view == node->view) {
    uint8_t *buf = g_malloc (sizeof (PbftNewView));
    size_t len = pbft_new_view_wire (&node->new_view, buf, sizeof (PbftNewView));
    pbft_send_all (ctx, out, buf, len);
    g_free (buf);
  }
  for (int i = 0; i < PBFT_CKPT_RING; i++)
    if (node->own[i].seq > node->stable.seq) {
      PbftCheckpointMsg m;
      memset (&m, 0, sizeof m);
      m.type = PBFT_MSG_CHECKPOINT;
      m.seq = node->own[i].seq;
      m.digest = node->own[i].digest;
      pbft_send_all (ctx, out, &m, sizeof m);
    }
  if (node->is_fetching) {
    PbftFetch m;
    memset (&m, 0, sizeof m);
    m.type = PBFT_MSG_FETCH;
    m.seq = node->fetch_seq;
    pbft_send_all (ctx, out, &m, sizeof m);
  }
}

static void
pbft_timeout (PbftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PbftConfig *cfg = ctx->config;
  if (now_us >= node->resend_deadline_us) {
    pbft_resend (node, ctx, out);
    node->resend_deadline_us = now_us + cfg->resend_us;
  }
  if (now_us >= node->vc_deadline_us) {
    if (!node->is_view_changing)
      proto_outbox_mark (out, "view-change-timer-expired");
    else
      proto_outbox_mark (out, "new-view-timer-expired");
    pbft_view_change_start (node, ctx, node->view + 1, now_us, out);
  }
}

static gboolean
msg_take (const ProtoEvent *ev, void *dst, size_t len)
{
  if (ev->msg_len != len)
    return FALSE;
  memcpy (dst, ev->msg, len);
  return TRUE;
}

static void
pbft_receive (PbftNode *node, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  if (ev->msg_len == 0)
    return;
  int from = ev->from;
  int64_t now = ev->now_us;
  gboolean from_node = from >= 0 && from < ctx->n_nodes && from != ctx->self;
  gboolean from_client = from >= ctx->n_nodes && from < ctx->n_nodes + ctx->n_clients;
  switch (((const uint8_t *) ev->msg)[0]) {
  case PBFT_MSG_REQUEST: {
    PbftRequestMsg m;
    if ((from_node || from_client) && msg_take (ev, &m, sizeof m))
      pbft_replica_on_request (node, ctx, from, &m.req, now, out);
    break;
  }
  case PBFT_MSG_PRE_PREPARE: {
    PbftPrePrepare m;
    if (from_node && msg_take (ev, &m, sizeof m))
      pbft_backup_on_pre_prepare (node, ctx, from, &m, now, out);
    break;
  }
  case PBFT_MSG_PREPARE: {
    PbftVote m;
    if (from_node && msg_take (ev, &m, sizeof m))
      pbft_replica_on_prepare (node, ctx, from, &m, now, out);
    break;
  }
  case PBFT_MSG_COMMIT: {
    PbftVote m;
    if (from_node && msg_take (ev, &m, sizeof m))
      pbft_replica_on_commit (node, ctx, from, &m, now, out);
    break;
  }
  case PBFT_MSG_CHECKPOINT: {
    PbftCheckpointMsg m;
    if (from_node && msg_take (ev, &m, sizeof m))
      pbft_replica_on_checkpoint (node, ctx, from, &m, now, out);
    break;
  }
  case PBFT_MSG_VIEW_CHANGE: {
    if (!from_node)
      break;
    PbftViewChange *m = g_malloc (sizeof *m);
    if (pbft_view_change_parse (ev->msg, ev->msg_len, m))
      pbft_replica_on_view_change (node, ctx, from, m, now, out);
    g_free (m);
    break;
  }
  case PBFT_MSG_NEW_VIEW: {
    if (!from_node)
      break;
    PbftNewView *m = g_malloc (sizeof *m);
    if (pbft_new_view_parse (ev->msg, ev->msg_len, m))
      pbft_backup_on_new_view (node, ctx, from, m, now, out);
    g_free (m);
    break;
  }
  case PBFT_MSG_VIEW_CHANGE_ACK: {
    PbftVcAck m;
    if (from_node && msg_take (ev, &m, sizeof m))
      pbft_primary_on_view_change_ack (node, ctx, from, &m, now, out);
    break;
  }
  case PBFT_MSG_VC_FETCH: {
    PbftVcAck m;
    if (from_node && msg_take (ev, &m, sizeof m))
      pbft_replica_on_vc_fetch (node, ctx, from, &m, out);
    break;
  }
  case PBFT_MSG_VC_RELAY: {
    PbftVcRelayHead head;
    if (!from_node || ev->msg_len < sizeof head)
      break;
    memcpy (&head, ev->msg, sizeof head);
    const uint8_t *body = (const uint8_t *) ev->msg + sizeof head;
    size_t body_len = ev->msg_len - sizeof head;
    PbftViewChange *m = g_malloc (sizeof *m);
    if (pbft_view_change_parse (body, body_len, m))
      pbft_backup_on_vc_relay (node, ctx, from, head.node, m,
                               pbft_bytes_digest (body, body_len), now, out);
    g_free (m);
    break;
  }
  case PBFT_MSG_FETCH: {
    PbftFetch m;
    if (from_node && msg_take (ev, &m, sizeof m))
      pbft_replica_on_fetch (node, ctx, from, &m, out);
    break;
  }
  case PBFT_MSG_STATE: {
    if (!from_node || ev->msg_len != sizeof (PbftState))
      break;
    PbftState *m = g_malloc (sizeof *m);
    memcpy (m, ev->msg, sizeof *m);
    pbft_replica_on_state (node, ctx, from, m, now, out);
    g_free (m);
    break;
  }
  default:
    break; /* not a PBFT replica message: ignore */
  }
}

static void
pbft_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  PbftNode *node = state;
  switch (ev->kind) {
  case PROTO_EV_START:
    pbft_start (node, ctx, ev->now_us, out);
    break;
  case PROTO_EV_TIMEOUT:
    pbft_timeout (node, ctx, ev->now_us, out);
    break;
  case PROTO_EV_RECEIVE:
    pbft_receive (node, ctx, ev, out);
    break;
  case PROTO_EV_INVOKE:
  case PROTO_EV_RETRY:
    break;
  }
  proto_outbox_set_deadline (out, MIN (node->resend_deadline_us, node->vc_deadline_us));
}

const ProtoVTable proto_pbft = {
  .name = "pbft",
  .summary = "PBFT (Castro & Liskov): 3f+1 replicas survive f Byzantine ones; checkpoints, "
             "view changes",
  .knobs = pbft_knobs,
  .config_size = sizeof (PbftConfig),
  .ops_supported = (1u << PROTO_OP_READ) | (1u << PROTO_OP_WRITE) | (1u << PROTO_OP_CAS),
  .min_nodes = 1,
  .max_nodes = PROTO_MAX_NODES,
  .state_size = sizeof (PbftNode),
  .persist_offset = offsetof (PbftNode, view),
  .persist_size = offsetof (PbftNode, rng),
  .step = pbft_step,
  .digest = pbft_digest,
  .ghost_size = sizeof (PbftGhost),
  .ghost_extent = pbft_ghost_extent,
  .state_extent = pbft_state_extent,
  .state_holes = pbft_state_holes,
  .check = pbft_check,
  .format_msg = pbft_format_msg,
  .format_state = pbft_format_state,
  .client_state_size = sizeof (PbftClient),
  .client_step = pbft_client_step,
  .check_client = pbft_check_client,
  .msg_class = pbft_msg_class,
  .tamper = pbft_tamper,  .invariant_names = (const char *const[]) { "agreement", "total-order", "client-result", NULL },
  .leader_term = pbft_leader_term,
  .byzantine_tolerated = pbft_f,
};
