/* pb.c: asynchronous primary-backup: knobs, the dispatcher, the helpers the
 * handlers share, the invariants, and formatting.  See pb.h for the
 * protocol and why it is unsafe. */
#include "protocols/pb/pb.h"

#include <string.h>

static const ProtoKnob pb_knobs[] = {
  { "heartbeat", PROTO_KNOB_DURATION, offsetof (PbConfig, heartbeat_us), "50ms", 100,
    10000000, NULL, "interval between the primary's heartbeats" },
  { "failover_timeout", PROTO_KNOB_DURATION, offsetof (PbConfig, failover_timeout_us),
    "300ms", 100, 60000000, NULL,
    "silence after which the lowest backup promotes itself (the next waits twice as long)" },
  { "resend_batch", PROTO_KNOB_INT, offsetof (PbConfig, resend_batch), "32", 1, PB_RING, NULL,
    "missed updates resent per acknowledgement (more: a snapshot)" },
  { NULL },
};

/* ---- Helpers ---------------------------------------------------------------*/

int
pb_epoch_leader (uint64_t epoch, const ProtoCtx *ctx)
{
  return (int) (epoch % (uint64_t) ctx->n_nodes);
}

void
pb_role_set (PbNode *node, const ProtoCtx *ctx, PbRole role, ProtoOutbox *out)
{
  /* Legal edges: backup -> primary (promotion, or n1 at first boot) and
   * primary -> backup (a higher epoch was heard).  Nothing else. */
  g_assert (node->role != (uint32_t) role);
  g_assert (role != PB_PRIMARY || pb_epoch_leader (node->persist.epoch, ctx) == ctx->self);
  node->role = role;
  proto_outbox_note (out, "n%d is now %s in epoch %" G_GUINT64_FORMAT, ctx->self + 1,
                     role == PB_PRIMARY ? "primary" : "backup", node->persist.epoch);
}

void
pb_apply (PbNode *node, const PbUpdate *u)
{
  g_assert (u->key >= 0 && u->key < PB_MAX_KEYS);
  g_assert (u->seq == node->persist.seq + 1);
  node->persist.kv[u->key].value = u->value;
  node->persist.kv[u->key].has_value = u->has_value;
  node->persist.seq = u->seq;
  if (u->client < PB_MAX_CLIENTS)
    node->persist.clients[u->client] = u->reply;
  node->ring[u->seq % PB_RING] = *u;
}

int64_t
pb_failover_deadline (const PbNode *node, const ProtoCtx *ctx)
{
  const PbConfig *cfg = ctx->config;
  /* Rank among the backups: the lowest-numbered one goes first. */
  int64_t rank = 0;
  for (int j = 0; j < ctx->self; j++)
    if (j != node->primary)
      rank++;
  return node->last_heard_us + cfg->failover_timeout_us * (1 + rank);
}

void
pb_send_position (const PbNode *node, ProtoOutbox *out, PbMsgType type, int to)
{
  PbPosition m = {
    .type = type,
    .epoch = node->persist.epoch,
    .seq = node->persist.seq,
    .known_epoch = node->primary_epoch,
  };
  proto_outbox_send (out, to, &m, sizeof m);
}

void
pb_send_heartbeats (PbNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PbConfig *cfg = ctx->config;
  for (int j = 0; j < ctx->n_nodes; j++)
    if (j != ctx->self)
      pb_send_position (node, out, PB_MSG_HEARTBEAT, j);
  node->next_heartbeat_us = now_us + cfg->heartbeat_us;
}

void
pb_send_snapshot (const PbNode *node, const ProtoCtx *ctx, ProtoOutbox *out, int to)
{
  uint32_t n_keys = 0;
  for (uint32_t k = 0; k < PB_MAX_KEYS; k++)
    if (node->persist.kv[k].has_value)
      n_keys = k + 1;
  uint32_t n_clients = (uint32_t) MIN (ctx->n_clients, PB_MAX_CLIENTS);
  PbSnapshotHead head = {
    .type = PB_MSG_SNAPSHOT,
    .n_keys = n_keys,
    .n_clients = n_clients,
    .epoch = node->persist.epoch,
    .seq = node->persist.seq,
  };
  size_t len = sizeof head + n_keys * sizeof (PbCell) + n_clients * sizeof (PbClientEntry);
  g_autofree uint8_t *buf = g_malloc (len);
  memcpy (buf, &head, sizeof head);
  memcpy (buf + sizeof head, node->persist.kv, n_keys * sizeof (PbCell));
  memcpy (buf + sizeof head + n_keys * sizeof (PbCell), node->persist.clients,
          n_clients * sizeof (PbClientEntry));
  proto_outbox_send (out, to, buf, len);
  proto_outbox_mark (out, "pb-snapshot-sent");
}

void
pb_hear_epoch (PbNode *node, const ProtoCtx *ctx, uint64_t epoch, int64_t now_us,
               ProtoOutbox *out)
{
  if (epoch > node->primary_epoch) {
    node->primary_epoch = epoch;
    node->primary = pb_epoch_leader (epoch, ctx);
    node->last_heard_us = now_us;
  }
  if (node->role == PB_PRIMARY && epoch > node->persist.epoch) {
    proto_outbox_note (out, "epoch %" G_GUINT64_FORMAT " is newer than mine: n%d steps down",
                       epoch, ctx->self + 1);
    proto_outbox_mark (out, "pb-stepped-down");
    pb_role_set (node, ctx, PB_BACKUP, out);
  }
}

gboolean
pb_follow (PbNode *node, const ProtoCtx *ctx, int from, uint64_t epoch, int64_t now_us,
           ProtoOutbox *out)
{
  if (epoch < node->primary_epoch || pb_epoch_leader (epoch, ctx) != from) {
    proto_outbox_note (out, "n%d speaks for epoch %" G_GUINT64_FORMAT ", but epoch %"
                       G_GUINT64_FORMAT " is newer", from + 1, epoch, node->primary_epoch);
    proto_outbox_mark (out, "pb-stale-epoch");
    pb_send_position (node, out, PB_MSG_ACK, from);
    return FALSE;
  }
  pb_hear_epoch (node, ctx, epoch, now_us, out);
  if (node->role == PB_PRIMARY)
    return FALSE;
  node->primary = from;
  node->last_heard_us = now_us;
  return TRUE;
}

/* ---- Dispatch ---------------------------------------------------------------*/

static void
pb_on_start (PbNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  gboolean first = node->persist.boots == 0;
  node->persist.boots++;
  node->primary_epoch = node->persist.epoch;
  node->primary = pb_epoch_leader (node->persist.epoch, ctx);
  node->last_heard_us = now_us;
  if (first && ctx->self == node->primary) {
    pb_role_set (node, ctx, PB_PRIMARY, out);
    pb_send_heartbeats (node, ctx, now_us, out);
    return;
  }
  /* A restarted node comes back as a backup: whoever led its epoch may have
   * been replaced while it was down.  It never points clients at itself. */
  if (node->primary == ctx->self)
    node->primary = (ctx->self + 1) % ctx->n_nodes;
  if (!first)
    proto_outbox_note (out, "n%d restarts as a backup at epoch %" G_GUINT64_FORMAT
                       ", seq %" G_GUINT64_FORMAT, ctx->self + 1, node->persist.epoch,
                       node->persist.seq);
}

static void
pb_on_receive (PbNode *node, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  uint32_t type;
  if (ev->msg_len < sizeof type)
    return;
  memcpy (&type, ev->msg, sizeof type);
  switch (type) {
  case PB_MSG_REQUEST: {
    PbRequest m;
    if (ev->msg_len != sizeof m || ev->from < ctx->n_nodes)
      return;
    memcpy (&m, ev->msg, sizeof m);
    pb_recv_request (node, ctx, ev->from, &m, out);
    return;
  }
  case PB_MSG_UPDATE: {
    PbUpdateMsg m;
    if (ev->msg_len != sizeof m || ev->from >= ctx->n_nodes)
      return;
    memcpy (&m, ev->msg, sizeof m);
    pb_recv_update (node, ctx, ev->from, &m, ev->now_us, out);
    return;
  }
  case PB_MSG_HEARTBEAT:
  case PB_MSG_ACK: {
    PbPosition m;
    if (ev->msg_len != sizeof m || ev->from >= ctx->n_nodes)
      return;
    memcpy (&m, ev->msg, sizeof m);
    if (type == PB_MSG_HEARTBEAT)
      pb_recv_heartbeat (node, ctx, ev->from, &m, ev->now_us, out);
    else
      pb_recv_ack (node, ctx, ev->from, &m, ev->now_us, out);
    return;
  }
  case PB_MSG_SNAPSHOT: {
    if (ev->msg_len < sizeof (PbSnapshotHead) || ev->from >= ctx->n_nodes)
      return;
    pb_recv_snapshot (node, ctx, ev->from, ev->msg, ev->msg_len, ev->now_us, out);
    return;
  }
  default:
    return; /* not ours */
  }
}

static void
pb_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  PbNode *node = state;
  switch (ev->kind) {
  case PROTO_EV_START:
    pb_on_start (node, ctx, ev->now_us, out);
    break;
  case PROTO_EV_RECEIVE:
    pb_on_receive (node, ctx, ev, out);
    break;
  case PROTO_EV_TIMEOUT:
    pb_on_timeout (node, ctx, ev->now_us, out);
    break;
  default:
    break;
  }
  /* Every step's changes to persist (epoch, applied updates, boots) are
   * made durable before its messages leave. */
  proto_outbox_sync (out);
  /* One timer: the primary's next heartbeat, or a backup's failover. */
  proto_outbox_set_deadline (out, node->role == PB_PRIMARY ? node->next_heartbeat_us
                                                           : pb_failover_deadline (node, ctx));
}

/* ---- Digest and invariants -----------------------------------------------*/

static uint64_t
pb_digest (const void *state, const ProtoCtx *ctx)
{
  /* FNV-1a over the state's 64-bit words (the explorer hashes every state
   * it reaches): every struct is padding-free, and the world zeroes states
   * before the first step. */
  const uint8_t *b = state;
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t i = 0;
  for (; i + 8 <= sizeof (PbNode); i += 8) {
    uint64_t w;
    memcpy (&w, b + i, 8);
    h ^= w;
    h *= 0x100000001b3ULL;
    h ^= h >> 29;
  }
  for (; i < sizeof (PbNode); i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

typedef struct {
  uint64_t epoch[PROTO_MAX_NODES];
  uint64_t seq[PROTO_MAX_NODES];
} PbGhost;

static gboolean
pb_check (void *ghost_bytes, const void *const *states, const gboolean *is_up,
          const ProtoCtx *ctxs, int n_nodes, GString *why)
{
  PbGhost *ghost = ghost_bytes;
  for (int i = 0; i < n_nodes; i++) {
    const PbNode *a = states[i];
    /* apply-order: a node's data only moves forward: (epoch, seq) never
     * decreases, through crashes too (both are persistent). */
    if (a->persist.epoch < ghost->epoch[i]
        || (a->persist.epoch == ghost->epoch[i] && a->persist.seq < ghost->seq[i])) {
      g_string_append_printf (why, "apply-order: n%d went back from epoch %" G_GUINT64_FORMAT
                              " seq %" G_GUINT64_FORMAT " to epoch %" G_GUINT64_FORMAT
                              " seq %" G_GUINT64_FORMAT, i + 1, ghost->epoch[i], ghost->seq[i],
                              a->persist.epoch, a->persist.seq);
      return FALSE;
    }
    ghost->epoch[i] = a->persist.epoch;
    ghost->seq[i] = a->persist.seq;
  }
  for (int i = 0; i < n_nodes; i++)
    for (int j = i + 1; j < n_nodes; j++) {
      const PbNode *a = states[i], *b = states[j];
      /* one-primary-per-epoch: epochs belong to one node each. */
      if (is_up[i] && is_up[j] && a->role == PB_PRIMARY && b->role == PB_PRIMARY
          && a->persist.epoch == b->persist.epoch) {
        g_string_append_printf (why, "one-primary-per-epoch: n%d and n%d both lead epoch %"
                                G_GUINT64_FORMAT, i + 1, j + 1, a->persist.epoch);
        return FALSE;
      }
      /* replicas-agree: replicas that applied the same prefix of the same
       * primary's updates hold the same values. */
      if (a->persist.epoch == b->persist.epoch && a->persist.seq == b->persist.seq
          && memcmp (a->persist.kv, b->persist.kv, sizeof a->persist.kv) != 0) {
        for (int k = 0; k < PB_MAX_KEYS; k++)
          if (memcmp (&a->persist.kv[k], &b->persist.kv[k], sizeof (PbCell)) != 0) {
            g_string_append_printf (why, "replicas-agree: n%d and n%d are both at epoch %"
                                    G_GUINT64_FORMAT " seq %" G_GUINT64_FORMAT
                                    " but disagree on key %d", i + 1, j + 1,
                                    a->persist.epoch, a->persist.seq, k);
            break;
          }
        return FALSE;
      }
    }
  return TRUE;
}

/* ---- Formatting ----------------------------------------------------------*/

static const char *
op_name (uint32_t f)
{
  static const char *names[] = { "read", "write", "cas", "append" };
  return f < G_N_ELEMENTS (names) ? names[f] : "?";
}

static const char *
reply_name (uint32_t kind)
{
  switch (kind) {
  case PB_REPLY_OK: return "ok";
  case PB_REPLY_FAIL: return "fail";
  case PB_REPLY_REDIRECT: return "redirect";
  default: return "?";
  }
}

static void
pb_format_msg (const void *msg, size_t len, GString *out)
{
  uint32_t type = 0;
  if (len >= sizeof type)
    memcpy (&type, msg, sizeof type);
  if (type == PB_MSG_REQUEST && len == sizeof (PbRequest)) {
    PbRequest m;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "Request(c%u#%u %s k%d", m.client + 1, m.seq, op_name (m.f),
                            m.key);
    if (m.f == PROTO_OP_WRITE)
      g_string_append_printf (out, "=%" G_GINT64_FORMAT, m.value);
    else if (m.f == PROTO_OP_CAS)
      g_string_append_printf (out, " %" G_GINT64_FORMAT "->%" G_GINT64_FORMAT, m.expect,
                              m.value);
    g_string_append_c (out, ')');
  } else if (type == PB_MSG_REPLY && len == sizeof (PbReply)) {
    PbReply m;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "Reply(#%u %s", m.seq, reply_name (m.kind));
    if (m.kind == PB_REPLY_REDIRECT)
      g_string_append_printf (out, ", try n%d", m.hint + 1);
    else if (m.has_value)
      g_string_append_printf (out, " %" G_GINT64_FORMAT, m.value);
    g_string_append_c (out, ')');
  } else if (type == PB_MSG_UPDATE && len == sizeof (PbUpdateMsg)) {
    PbUpdateMsg m;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "Update(epoch %" G_GUINT64_FORMAT ", seq %" G_GUINT64_FORMAT
                            ": k%d=%" G_GINT64_FORMAT ")", m.u.epoch, m.u.seq, m.u.key,
                            m.u.value);
  } else if ((type == PB_MSG_HEARTBEAT || type == PB_MSG_ACK) && len == sizeof (PbPosition)) {
    PbPosition m;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "%s(epoch %" G_GUINT64_FORMAT ", seq %" G_GUINT64_FORMAT ")",
                            type == PB_MSG_HEARTBEAT ? "Heartbeat" : "Ack", m.epoch, m.seq);
    if (m.known_epoch != m.epoch)
      g_string_append_printf (out, "[knows epoch %" G_GUINT64_FORMAT "]", m.known_epoch);
  } else if (type == PB_MSG_SNAPSHOT && len >= sizeof (PbSnapshotHead)) {
    PbSnapshotHead m;
    memcpy (&m, msg, sizeof m);
    g_string_append_printf (out, "Snapshot(epoch %" G_GUINT64_FORMAT ", seq %" G_GUINT64_FORMAT
                            ", %u keys)", m.epoch, m.seq, m.n_keys);
  } else {
    g_string_append_printf (out, "?(%zu bytes)", len);
  }
}

static void
pb_format_state (const void *state, const ProtoCtx *ctx, GString *out)
{
  const PbNode *node = state;
  g_string_append_printf (out, "%s epoch=%" G_GUINT64_FORMAT " seq=%" G_GUINT64_FORMAT,
                          node->role == PB_PRIMARY ? "primary" : "backup",
                          node->persist.epoch, node->persist.seq);
  if (node->role != PB_PRIMARY)
    g_string_append_printf (out, " primary=n%d", node->primary + 1);
  for (int k = 0; k < PB_MAX_KEYS; k++)
    if (node->persist.kv[k].has_value)
      g_string_append_printf (out, " k%d=%" G_GINT64_FORMAT, k, node->persist.kv[k].value);
}

const ProtoVTable proto_pb = {
  .name = "pb",
  .summary = "asynchronous primary-backup key-value register; loses acked writes on "
             "failover and splits brain under partitions (not linearizable)",
  .knobs = pb_knobs,
  .config_size = sizeof (PbConfig),
  .ops_supported = (1u << PROTO_OP_READ) | (1u << PROTO_OP_WRITE) | (1u << PROTO_OP_CAS),
  .min_nodes = 1,
  .max_nodes = PROTO_MAX_NODES,
  .state_size = sizeof (PbNode),
  .persist_offset = offsetof (PbNode, persist),
  .persist_size = sizeof (PbPersist),
  .step = pb_step,
  .digest = pb_digest,
  .ghost_size = sizeof (PbGhost),
  .check = pb_check,
  .format_msg = pb_format_msg,
  .format_state = pb_format_state,
  .client_state_size = sizeof (PbClient),
  .client_step = pb_client_step,
  .invariant_names = (const char *const[]) { "apply-order", "one-primary-per-epoch",
                                             "replicas-agree", NULL },
};
