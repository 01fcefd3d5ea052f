/* null.c: the null protocol.  Each node passes tokens around a ring and does
 * nothing else.  It exists to measure the simulator itself (events per
 * second with almost no protocol work) and to test the network. */
#include "protocols/protocol.h"

#include <string.h>

typedef struct {
  int64_t tokens; /* tokens each node starts with */
} NullConfig;

typedef struct {
  uint64_t restarts; /* persist: how many times this node started */
} NullPersist;

typedef struct {
  NullPersist persist;
  uint64_t received;  /* volatile: tokens received since the last start */
} NullNode;

typedef struct {
  uint32_t origin;
  uint32_t hops;
} NullMsg;

static const ProtoKnob null_knobs[] = {
  { "tokens", PROTO_KNOB_INT, offsetof (NullConfig, tokens), "1", 0, 1000000, NULL,
    "tokens each node sends around the ring at start" },
  { NULL },
};

static void
null_step (void *state, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  NullNode *node = state;
  const NullConfig *cfg = ctx->config;
  int next = (ctx->self + 1) % ctx->n_nodes;
  switch (ev->kind) {
  case PROTO_EV_START:
    node->persist.restarts++;
    proto_outbox_sync (out);
    for (int64_t i = 0; i < cfg->tokens; i++) {
      NullMsg m = { .origin = (uint32_t) ctx->self, .hops = 0 };
      proto_outbox_send (out, next, &m, sizeof m);
    }
    break;
  case PROTO_EV_RECEIVE: {
    if (ev->msg_len != sizeof (NullMsg) || ev->from >= ctx->n_nodes)
      break; /* not ours: ignore */
    NullMsg m;
    memcpy (&m, ev->msg, sizeof m);
    node->received++;
    m.hops++;
    proto_outbox_send (out, next, &m, sizeof m);
    break;
  }
  default:
    break;
  }
}

static uint64_t
null_digest (const void *state, const ProtoCtx *ctx)
{
  const NullNode *node = state;
  return node->persist.restarts * 0x9e3779b97f4a7c15ULL ^ node->received;
}

static void
null_format_msg (const void *msg, size_t len, GString *out)
{
  NullMsg m;
  if (len != sizeof m) {
    g_string_append_printf (out, "?(%zu bytes)", len);
    return;
  }
  memcpy (&m, msg, sizeof m);
  g_string_append_printf (out, "token(from n%u, hop %u)", m.origin + 1, m.hops);
}

static void
null_format_state (const void *state, const ProtoCtx *ctx, GString *out)
{
  const NullNode *node = state;
  g_string_append_printf (out, "starts=%" G_GUINT64_FORMAT " received=%" G_GUINT64_FORMAT,
                          node->persist.restarts, node->received);
}

const ProtoVTable proto_null = {
  .name = "null",
  .summary = "tokens passed around a ring; measures the simulator itself",
  .knobs = null_knobs,
  .config_size = sizeof (NullConfig),
  .ops_supported = 0,
  .min_nodes = 1,
  .max_nodes = PROTO_MAX_NODES,
  .state_size = sizeof (NullNode),
  .persist_offset = offsetof (NullNode, persist),
  .persist_size = sizeof (NullPersist),
  .step = null_step,
  .digest = null_digest,
  .format_msg = null_format_msg,
  .format_state = null_format_state,
};
