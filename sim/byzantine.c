/* byzantine.c: the Byzantine behaviours of byzantine.h. */
#include "sim/byzantine.h"

#include <string.h>

static const char *const behaviours[] = {
  "silent", "equivocate", "corrupt-digest", "lie-in-view-change", "replay", "slow-primary",
  "random", NULL,
};

#define REPLAY_KEEP 32        /* old messages kept for replay */
#define REPLAY_MAX_LEN 4096   /* longer ones are not kept */

const char *const *
sim_byzantine_behaviours (void)
{
  return behaviours;
}

gboolean
sim_byzantine_is_known (const char *behaviour)
{
  for (int i = 0; behaviours[i] != NULL; i++)
    if (strcmp (behaviours[i], behaviour) == 0)
      return TRUE;
  return FALSE;
}

static ProtoMsgClass
msg_class (const ProtoVTable *vt, const uint8_t *msg, size_t len)
{
  return vt->msg_class != NULL ? vt->msg_class (msg, len) : PROTO_MSG_OTHER;
}

/* Without the protocol's help: flip bytes past the first (the type). */
static gboolean
generic_tamper (uint8_t *msg, size_t len, ProtoTamper how, uint32_t variant, Pcg32 *rng)
{
  if (len < 2 || how == PROTO_TAMPER_FORGET)
    return FALSE;
  if (how == PROTO_TAMPER_RANDOM) {
    msg[1 + pcg32_below (rng, (uint32_t) (len - 1))] ^= (uint8_t) (1u << pcg32_below (rng, 8));
    return TRUE;
  }
  if (variant == 0)
    return FALSE;
  /* The last 8 bytes hold a value or digest in most message layouts. */
  size_t at = len >= 9 ? len - 8 : 1;
  msg[at] ^= (uint8_t) (variant * 0x5b);
  return TRUE;
}

static gboolean
tamper (const ProtoVTable *vt, const void *state, const ProtoCtx *ctx, uint8_t *msg, size_t *len,
        ProtoTamper how, uint32_t variant, Pcg32 *rng)
{
  if (vt->tamper != NULL)
    return vt->tamper (state, ctx, msg, len, how, variant, rng);
  return generic_tamper (msg, *len, how, variant, rng);
}

/* The longest view-change, election or failover timeout among the
 * protocol's knobs, minus a tenth: "just under" what makes the others give
 * up on a slow leader.  100ms if it has none. */
static int64_t
slow_delay_us (const ProtoVTable *vt, const ProtoCtx *ctx)
{
  static const char *const names[] = {
    "view_change_timeout", "election_timeout_min", "failover_timeout", NULL,
  };
  for (int i = 0; names[i] != NULL; i++) {
    const ProtoKnob *k = proto_knob_find (vt, names[i]);
    if (k != NULL && k->type == PROTO_KNOB_DURATION) {
      int64_t us;
      memcpy (&us, (const char *) ctx->config + k->offset, sizeof us);
      return us - us / 10;
    }
  }
  return 100000;
}

/* Replay memory: records of (to, len, bytes), oldest first. */
static void
memory_keep (GByteArray *mem, int to, const uint8_t *msg, uint32_t len)
{
  if (len > REPLAY_MAX_LEN)
    return;
  guint count = 0;
  for (guint at = 0; at + 8 <= mem->len; count++) {
    uint32_t l;
    memcpy (&l, mem->data + at + 4, 4);
    at += 8 + l;
  }
  if (count >= REPLAY_KEEP) {
    uint32_t l;
    memcpy (&l, mem->data + 4, 4);
    g_byte_array_remove_range (mem, 0, 8 + l);
  }
  int32_t t = to;
  g_byte_array_append (mem, (const guint8 *) &t, 4);
  g_byte_array_append (mem, (const guint8 *) &len, 4);
  g_byte_array_append (mem, msg, len);
}

static void
replay (ProtoOutbox *out, Pcg32 *rng, GByteArray *mem)
{
  /* Remember this step's messages, then resend one old one half the time. */
  guint n = out->msgs->len;
  guint count = 0;
  for (guint at = 0; at + 8 <= mem->len; count++) {
    uint32_t l;
    memcpy (&l, mem->data + at + 4, 4);
    at += 8 + l;
  }
  if (count > 0 && pcg32_below (rng, 2) == 0) {
    guint pick = pcg32_below (rng, count), at = 0;
    for (guint i = 0; i < pick; i++) {
      uint32_t l;
      memcpy (&l, mem->data + at + 4, 4);
      at += 8 + l;
    }
    int32_t to;
    uint32_t l;
    memcpy (&to, mem->data + at, 4);
    memcpy (&l, mem->data + at + 4, 4);
    /* Copy out first: sending may grow out->bytes, not mem, but keep the
     * two apart anyway. */
    g_autofree uint8_t *copy = g_memdup2 (mem->data + at + 8, l);
    proto_outbox_send (out, to, copy, l);
    proto_outbox_mark (out, "byzantine-replay");
  }
  for (guint i = 0; i < n; i++) {
    const ProtoOutMsg *m = &g_array_index (out->msgs, ProtoOutMsg, i);
    memory_keep (mem, m->to, out->bytes->data + m->offset, m->len);
  }
}

void
sim_byzantine_rewrite (const char *behaviour, const ProtoCtx *ctx, const void *state,
                       ProtoOutbox *out, Pcg32 *rng, GByteArray *memory, void *user_data)
{
  const ProtoVTable *vt = user_data;
  if (strcmp (behaviour, "silent") == 0) {
    if (out->msgs->len > 0)
      proto_outbox_mark (out, "byzantine-silent");
    g_array_set_size (out->msgs, 0);
    return;
  }
  if (strcmp (behaviour, "replay") == 0) {
    replay (out, rng, memory);
    return;
  }
  gboolean is_slow = strcmp (behaviour, "slow-primary") == 0;
  int64_t delay = is_slow ? slow_delay_us (vt, ctx) : 0;
  for (guint i = 0; i < out->msgs->len; i++) {
    ProtoOutMsg *m = &g_array_index (out->msgs, ProtoOutMsg, i);
    uint8_t *msg = out->bytes->data + m->offset;
    size_t len = m->len;
    ProtoMsgClass cls = msg_class (vt, msg, len);
    gboolean is_generic = vt->msg_class == NULL;
    /* Two camps: every third receiver (n3, n6, ...) hears the second story. */
    uint32_t camp = m->to % 3 == 2 ? 1u : 0u;
    gboolean changed = FALSE;
    if (is_slow) {
      if (cls == PROTO_MSG_PROPOSAL || is_generic) {
        m->delay_us = delay;
        proto_outbox_mark (out, "byzantine-slow");
      }
      continue;
    }
    if (strcmp (behaviour, "equivocate") == 0) {
      if (is_generic || cls == PROTO_MSG_PROPOSAL || cls == PROTO_MSG_VOTE
          || cls == PROTO_MSG_REPLY)
        changed = tamper (vt, state, ctx, msg, &len, PROTO_TAMPER_VALUE, camp, rng);
    } else if (strcmp (behaviour, "corrupt-digest") == 0) {
      if (is_generic || cls == PROTO_MSG_PROPOSAL || cls == PROTO_MSG_VOTE
          || cls == PROTO_MSG_CHECKPOINT)
        changed = tamper (vt, state, ctx, msg, &len, PROTO_TAMPER_DIGEST, camp, rng);
    } else if (strcmp (behaviour, "lie-in-view-change") == 0) {
      if (cls == PROTO_MSG_VIEW_CHANGE)
        changed = tamper (vt, state, ctx, msg, &len, PROTO_TAMPER_FORGET, 0, rng);
    } else if (strcmp (behaviour, "random") == 0) {
      if (pcg32_below (rng, 2) == 0)
        changed = tamper (vt, state, ctx, msg, &len, PROTO_TAMPER_RANDOM, 1, rng);
    }
    g_assert (len <= m->len);
    m->len = (uint32_t) len;
    if (changed)
      proto_outbox_mark (out, "byzantine-tampered");
  }
}
