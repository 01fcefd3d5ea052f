/* tamper.c: how a Byzantine replica lies in PBFT's own words (the vtable's
 * msg_class and tamper, used by the simulator's Byzantine behaviours).
 *
 * A lie never forges another replica's message (the network names the true
 * sender) nor a client's request (pbft_request_sign): what is left is what
 * the paper guards against.  Equivocation replaces the request of a
 * pre-prepare with a null request, one per camp, and votes follow the same
 * camps, so a Byzantine primary sends two consistent stories. */
#include "protocols/pbft/pbft.h"

#include <string.h>

ProtoMsgClass
pbft_msg_class (const void *msg, size_t len)
{
  if (len == 0)
    return PROTO_MSG_OTHER;
  switch (((const uint8_t *) msg)[0]) {
  case PBFT_MSG_PRE_PREPARE:
  case PBFT_MSG_NEW_VIEW:
    return PROTO_MSG_PROPOSAL;
  case PBFT_MSG_PREPARE:
  case PBFT_MSG_COMMIT:
    return PROTO_MSG_VOTE;
  case PBFT_MSG_VIEW_CHANGE:
    return PROTO_MSG_VIEW_CHANGE;
  case PBFT_MSG_REPLY:
    return PROTO_MSG_REPLY;
  case PBFT_MSG_CHECKPOINT:
    return PROTO_MSG_CHECKPOINT;
  default:
    return PROTO_MSG_OTHER;
  }
}

static uint64_t
null_digest (uint32_t variant)
{
  PbftRequest r;
  pbft_request_null (&r, variant);
  return pbft_request_digest (&r);
}

static gboolean
tamper_value (uint8_t *msg, size_t len, uint32_t variant)
{
  if (variant == 0)
    return FALSE;
  switch (msg[0]) {
  case PBFT_MSG_PRE_PREPARE: {
    PbftPrePrepare m;
    if (len != sizeof m)
      return FALSE;
    memcpy (&m, msg, sizeof m);
    pbft_request_null (&m.req, variant);
    m.digest = pbft_request_digest (&m.req);
    memcpy (msg, &m, sizeof m);
    return TRUE;
  }
  case PBFT_MSG_PREPARE:
  case PBFT_MSG_COMMIT: {
    PbftVote m;
    if (len != sizeof m)
      return FALSE;
    memcpy (&m, msg, sizeof m);
    m.digest = null_digest (variant);
    memcpy (msg, &m, sizeof m);
    return TRUE;
  }
  case PBFT_MSG_REPLY: {
    PbftReply m;
    if (len != sizeof m)
      return FALSE;
    memcpy (&m, msg, sizeof m);
    m.has_value = 1;
    m.value += 1000003 * (int64_t) variant;
    memcpy (msg, &m, sizeof m);
    return TRUE;
  }
  default:
    return FALSE;
  }
}

/* The digest no longer matches: a pre-prepare keeps its digest but carries
 * another (null) request; a vote or checkpoint names a digest nobody has. */
static gboolean
tamper_digest (uint8_t *msg, size_t len, uint32_t variant)
{
  if (variant == 0)
    return FALSE;
  switch (msg[0]) {
  case PBFT_MSG_PRE_PREPARE: {
    PbftPrePrepare m;
    if (len != sizeof m)
      return FALSE;
    memcpy (&m, msg, sizeof m);
    pbft_request_null (&m.req, variant);
    memcpy (msg, &m, sizeof m);
    return TRUE;
  }
  case PBFT_MSG_PREPARE:
  case PBFT_MSG_COMMIT: {
    PbftVote m;
    if (len != sizeof m)
      return FALSE;
    memcpy (&m, msg, sizeof m);
    m.digest ^= 0x5bd1e995ULL * variant;
    memcpy (msg, &m, sizeof m);
    return TRUE;
  }
  case PBFT_MSG_CHECKPOINT: {
    PbftCheckpointMsg m;
    if (len != sizeof m)
      return FALSE;
    memcpy (&m, msg, sizeof m);
    m.digest ^= 0x5bd1e995ULL * variant;
    memcpy (msg, &m, sizeof m);
    return TRUE;
  }
  default:
    return FALSE;
  }
}

/* lie-in-view-change: "I prepared nothing, pre-prepared nothing". */
static gboolean
tamper_forget (uint8_t *msg, size_t *len)
{
  if (msg[0] != PBFT_MSG_VIEW_CHANGE || *len < sizeof (PbftViewChangeHead))
    return FALSE;
  PbftViewChangeHead h;
  memcpy (&h, msg, sizeof h);
  if (h.n_p == 0 && h.n_q == 0)
    return FALSE;
  h.n_p = 0;
  h.n_q = 0;
  size_t keep = sizeof h + h.n_c * sizeof (PbftQEntry);
  if (keep > *len)
    return FALSE;
  memcpy (msg, &h, sizeof h);
  *len = keep;
  return TRUE;
}

/* One field of the message, chosen at random, set to a random value. */
static gboolean
tamper_random (uint8_t *msg, size_t len, Pcg32 *rng)
{
  /* Fields are 8-byte words after the first (type) word in every PBFT
   * message; flip one word, or a byte of the first word past the type. */
  size_t words = len / 8;
  if (words < 2)
    return FALSE;
  size_t w = 1 + pcg32_below (rng, (uint32_t) (words - 1));
  uint64_t v;
  memcpy (&v, msg + w * 8, 8);
  switch (pcg32_below (rng, 3)) {
  case 0: v += 1; break;
  case 1: v ^= (uint64_t) 1 << pcg32_below (rng, 64); break;
  default: v = ((uint64_t) pcg32_next (rng) << 32) | pcg32_next (rng); break;
  }
  memcpy (msg + w * 8, &v, 8);
  return TRUE;
}

gboolean
pbft_tamper (const void *state, const ProtoCtx *ctx, uint8_t *msg, size_t *len, ProtoTamper how,
             uint32_t variant, Pcg32 *rng)
{
  (void) state;
  (void) ctx;
  if (*len == 0)
    return FALSE;
  switch (how) {
  case PROTO_TAMPER_VALUE:
    return tamper_value (msg, *len, variant);
  case PROTO_TAMPER_DIGEST:
    return tamper_digest (msg, *len, variant);
  case PROTO_TAMPER_FORGET:
    return tamper_forget (msg, len);
  case PROTO_TAMPER_RANDOM:
    return tamper_random (msg, *len, rng);
  }
  return FALSE;
}
