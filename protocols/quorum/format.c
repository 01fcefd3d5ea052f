/* format.c: messages and node state as text for traces and diagrams, and
 * the state digest. */
#include "protocols/quorum/quorum.h"

#include <string.h>

/* Messages do not say whether the cluster uses version vectors: a cell with
 * siblings is shown as siblings, any other as a timestamped value. */
static void
cell_text (const QuorumCell *cell, GString *out)
{
  quorum_cell_format (cell, cell->n_siblings > 0, out);
}

void
quorum_format_msg (const void *msg, size_t len, GString *out)
{
  if (len == 0) {
    g_string_append (out, "?");
    return;
  }
  /* A message of the wrong size for its type is printed as "?". */
#define TAKE(T, v) T v; if (len != sizeof v) break; memcpy (&v, msg, sizeof v)
  switch (((const uint8_t *) msg)[0]) {
  case QUORUM_MSG_CLIENT_REQUEST: {
    TAKE (QuorumClientRequest, m);
    if (m.kind == QUORUM_OP_WRITE)
      g_string_append_printf (out, "Write k%d=%" G_GINT64_FORMAT " #%u", m.key, m.value, m.seq);
    else
      g_string_append_printf (out, "%s k%d #%u", m.kind == QUORUM_OP_FETCH ? "Fetch" : "Read",
                              m.key, m.seq);
    static const char *const level_names[] = { "", " ONE", " QUORUM", " ALL" };
    if (m.level < G_N_ELEMENTS (level_names))
      g_string_append (out, level_names[m.level]);
    return;
  }
  case QUORUM_MSG_CLIENT_REPLY: {
    TAKE (QuorumClientReply, m);
    g_string_append_printf (out, "Reply #%u", m.seq);
    for (int k = 0; k < m.n_values && k < QUORUM_MAX_SIBLINGS; k++)
      g_string_append_printf (out, "%s%" G_GINT64_FORMAT, k == 0 ? " " : "|", m.values[k]);
    return;
  }
  case QUORUM_MSG_PUT: {
    TAKE (QuorumPut, m);
    g_string_append_printf (out, "%s k%d ", m.tag == 0 ? "Repair" : "Put", m.key);
    cell_text (&m.cell, out);
    if (m.hint_for >= 0)
      g_string_append_printf (out, " hint for n%d", m.hint_for + 1);
    return;
  }
  case QUORUM_MSG_PUT_ACK: {
    TAKE (QuorumPutAck, m);
    g_string_append_printf (out, "PutAck k%d", m.key);
    return;
  }
  case QUORUM_MSG_GET: {
    TAKE (QuorumGet, m);
    g_string_append_printf (out, "Get k%d", m.key);
    return;
  }
  case QUORUM_MSG_GET_REPLY: {
    TAKE (QuorumGetReply, m);
    g_string_append_printf (out, "GetReply k%d ", m.key);
    cell_text (&m.cell, out);
    return;
  }
  case QUORUM_MSG_HANDOFF: {
    TAKE (QuorumHandoff, m);
    g_string_append_printf (out, "Handoff k%d ", m.key);
    cell_text (&m.cell, out);
    return;
  }
  case QUORUM_MSG_HANDOFF_ACK: {
    TAKE (QuorumHandoffAck, m);
    g_string_append_printf (out, "HandoffAck k%d", m.key);
    return;
  }
  case QUORUM_MSG_AE_DIGEST:
    g_string_append (out, "AeDigest");
    return;
  case QUORUM_MSG_AE_TREE: {
    /* "AeTree L2 #4 3f2a|9c01": level 2, nodes 4 and 5, their hashes'
     * top 16 bits ("-" for a range with no key). */
    TAKE (QuorumAeTree, m);
    g_string_append_printf (out, "AeTree L%d #%u ", m.level, m.first);
    for (int k = 0; k < m.n_hashes && k < 2; k++) {
      if (k > 0)
        g_string_append_c (out, '|');
      if (m.hash[k] == 0)
        g_string_append_c (out, '-');
      else
        g_string_append_printf (out, "%04x", (unsigned) (m.hash[k] >> 48));
    }
    return;
  }
  case QUORUM_MSG_AE_KEYS: {
    TAKE (QuorumAeKeys, m);
    g_string_append (out, "AeKeys");
    for (int k = 0; k < m.n_keys && k < QUORUM_MAX_KEYS; k++)
      g_string_append_printf (out, " k%d", m.key[k]);
    return;
  }
  case QUORUM_MSG_AE_PUSH: {
    TAKE (QuorumAePush, m);
    g_string_append_printf (out, "AePush k%d ", m.key);
    cell_text (&m.cell, out);
    return;
  }
  default:
    break;
  }
#undef TAKE
  g_string_append (out, "?");
}

void
quorum_format_state (const void *state, const ProtoCtx *ctx, GString *out)
{
  const QuorumNode *node = state;
  gboolean is_vv = quorum_cell_is_vv (ctx);
  gboolean any = FALSE;
  for (int k = 0; k < QUORUM_MAX_KEYS; k++) {
    const QuorumCell *c = &node->persist.store[k];
    if (!c->has_value)
      continue;
    g_string_append_printf (out, "%sk%d=", any ? " " : "", k);
    quorum_cell_format (c, is_vv, out);
    any = TRUE;
  }
  if (!any)
    g_string_append (out, "empty");
  if (node->persist.n_hints > 0)
    g_string_append_printf (out, " hints=%u", node->persist.n_hints);
}
