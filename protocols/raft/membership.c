/* membership.c: cluster membership changes, one server at a time (thesis
 * 4.1).
 *
 * Thesis 4.1: "When adding a single server to a cluster or removing a
 * single server from a cluster, any majority of the old cluster overlaps
 * with any majority of the new cluster."  A configuration is a log entry;
 * "a server always uses the latest configuration in its log, regardless of
 * whether the entry is committed".  The leader "only allows a configuration
 * change to begin once the previous one has been committed" (thesis 4.1),
 * and, per the correction of 2015 (raft-dev, "bug in single-server
 * membership changes"), only once an entry of its own term is committed.
 *
 * The first configuration is n1..n<members> (knob members; 0: every node).
 * An operator asks for a change with `admin add nX` or `admin remove nX` in
 * the scenario's [faults]; the leader acts on it, other nodes ignore it.
 * A node outside its own configuration stands for no election; a leader
 * that removes itself keeps leading until the change is committed, without
 * counting itself (thesis 4.2.2), then steps down. */
#include "protocols/raft/raft.h"

#include <stdlib.h>
#include <string.h>

static uint32_t
initial_members (const ProtoCtx *ctx)
{
  const RaftConfig *cfg = ctx->config;
  int n = cfg->members > 0 && cfg->members < ctx->n_nodes ? (int) cfg->members : ctx->n_nodes;
  return n >= 32 ? UINT32_MAX : (1u << n) - 1;
}

/* The configuration in effect at `index`: the last config entry at or
 * before it, else the snapshot's, else the first. */
uint32_t
raft_config_at (const RaftNode *node, const ProtoCtx *ctx, uint64_t index)
{
  const RaftPersist *p = &node->persist;
  for (uint64_t i = MIN (index, p->last_index); i > p->snap.index; i--) {
    const RaftWireEntry *e = &p->log[i % RAFT_LOG_CAP].e;
    if (e->kind == RAFT_ENTRY_CONFIG)
      return (uint32_t) e->value;
  }
  return p->snap.members != 0 ? p->snap.members : initial_members (ctx);
}

void
raft_config_refresh (RaftNode *node, const ProtoCtx *ctx)
{
  const RaftPersist *p = &node->persist;
  node->config = raft_config_at (node, ctx, p->last_index);
  node->config_index = 0;
  for (uint64_t i = p->last_index; i > p->snap.index; i--)
    if (p->log[i % RAFT_LOG_CAP].e.kind == RAFT_ENTRY_CONFIG) {
      node->config_index = i;
      break;
    }
}

uint64_t
raft_members_kth (const RaftNode *node, const uint64_t *values, int k)
{
  uint64_t v[PROTO_MAX_NODES];
  int n = 0;
  for (int i = 0; i < PROTO_MAX_NODES; i++)
    if (raft_is_member (node, i))
      v[n++] = values[i];
  if (k < 1 || k > n)
    return 0;
  /* Insertion sort, largest first (n <= 16). */
  for (int i = 1; i < n; i++) {
    uint64_t x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] < x) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = x;
  }
  return v[k - 1];
}

static void
config_note (GString *out, uint32_t members)
{
  gboolean any = FALSE;
  for (int i = 0; i < 32; i++)
    if ((members >> i) & 1u) {
      g_string_append_printf (out, "%sn%d", any ? " " : "", i + 1);
      any = TRUE;
    }
}

/* "add nX" or "remove nX", from the operator. */
void
raft_admin (void *state, const ProtoCtx *ctx, const char *command, int64_t now_us,
            ProtoOutbox *out)
{
  RaftNode *node = state;
  const RaftConfig *cfg = ctx->config;
  RaftPersist *p = &node->persist;
  if (node->is_halted || node->role != RAFT_LEADER)
    return; /* only the leader changes the configuration */
  gboolean is_add = g_str_has_prefix (command, "add n");
  if (!is_add && !g_str_has_prefix (command, "remove n"))
    return;
  const char *num = command + (is_add ? 5 : 8);
  char *end = NULL;
  long who = strtol (num, &end, 10) - 1;
  if (end == num || *end != '\0' || who < 0 || who >= ctx->n_nodes)
    return;
  uint32_t next = is_add ? node->config | 1u << who : node->config & ~(1u << who);
  if (next == node->config || next == 0)
    return;
  /* Thesis 4.1: one change at a time, and (the 2015 correction) only
   * once this leader has committed an entry of its term. */
  gboolean is_busy = node->config_index > node->commit_index
                     || node->commit_index < node->term_start_index;
  if (is_busy) {
    if (cfg->bug != RAFT_BUG_TWO_CHANGES_AT_ONCE) {
      proto_outbox_mark (out, "config-change-refused");
      proto_outbox_note (out, "%s refused: the previous configuration change (entry %"
                         G_GUINT64_FORMAT ") is not committed yet", command,
                         node->config_index);
      return;
    }
    proto_outbox_note (out, "%s while the change at entry %" G_GUINT64_FORMAT
                       " is not committed (bug)", command, node->config_index);
  }
  RaftWireEntry e = { .term = p->current_term, .kind = RAFT_ENTRY_CONFIG, .value = next };
  if (!raft_log_append (node, ctx, &e)) {
    raft_log_compact (node, ctx, out);
    if (!raft_log_append (node, ctx, &e))
      return;
  }
  proto_outbox_mark (out, "config-change");
  g_autoptr (GString) l = g_string_new (NULL);
  config_note (l, next);
  proto_outbox_note (out, "%s: configuration %s at entry %" G_GUINT64_FORMAT, command, l->str,
                     p->last_index);
  raft_replicate (node, ctx, out);
  raft_commit_advance (node, ctx, now_us, out);
  raft_persist_seal (node, ctx, out);
  (void) now_us;
}

/* A server removed by the latest configuration entry in its log, while
 * that entry is not committed, still belongs to the configuration before
 * it, and may be needed there: with its log the longest, the others (still
 * on the old configuration) cannot win without its vote and refuse it, so
 * unless it stands itself no leader is ever elected.  It stands, and as
 * candidate counts votes in its latest configuration. */
gboolean
raft_is_needed_until_committed (const RaftNode *node, const ProtoCtx *ctx)
{
  if (node->config_index == 0 || node->commit_index >= node->config_index)
    return FALSE;
  uint32_t before = raft_config_at (node, ctx, node->config_index - 1);
  return (before >> ctx->self) & 1u;
}
