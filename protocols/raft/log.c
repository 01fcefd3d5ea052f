/* log.c: the bounded log (a ring of RAFT_LOG_CAP entries after the
 * snapshot), its hash chain, and compaction (section 7). */
#include "protocols/raft/raft.h"
#include "protocols/mix64.h"

#include <stddef.h>
#include <string.h>

uint64_t
raft_chain_next (uint64_t prev_chain, const RaftWireEntry *e)
{
  uint64_t h = prev_chain * 0x9e3779b97f4a7c15ULL;
  h = mix64 (h ^ e->term);
  h = mix64 (h ^ (uint64_t) e->value);
  h = mix64 (h ^ (uint64_t) e->expect);
  h = mix64 (h ^ ((uint64_t) e->seq << 32 | (uint64_t) e->client << 16
                  | (uint64_t) e->kind << 8 | e->key));
  return h | 1u; /* never 0, so 0 can mean "no entry" */
}

/* Appends after last_index; FALSE if the ring is full. */
gboolean
raft_log_append (RaftNode *node, const ProtoCtx *ctx, const RaftWireEntry *e)
{
  RaftPersist *p = &node->persist;
  if (p->last_index - p->snap.index >= RAFT_LOG_CAP)
    return FALSE;
  uint64_t chain = raft_chain_next (raft_log_chain (node, p->last_index), e);
  p->last_index++;
  RaftEntry *slot = &p->log[p->last_index % RAFT_LOG_CAP];
  slot->e = *e;
  slot->chain = chain;
  raft_persist_touch (node);
  if (e->kind == RAFT_ENTRY_CONFIG) {
    node->config = (uint32_t) e->value;
    node->config_index = p->last_index;
  }
  return TRUE;
}

/* Figure 2, AppendEntries receiver: "If an existing entry conflicts with a
 * new one (same index but different terms), delete the existing entry and
 * all that follow it (5.3)". */
void
raft_log_truncate (RaftNode *node, const ProtoCtx *ctx, uint64_t last_kept)
{
  RaftPersist *p = &node->persist;
  g_assert (last_kept >= p->snap.index);
  if (last_kept < p->last_index) {
    for (uint64_t i = last_kept + 1; i <= p->last_index; i++)
      memset (&p->log[i % RAFT_LOG_CAP], 0, sizeof (RaftEntry));
    p->last_index = last_kept;
    raft_persist_touch (node);
    if (node->config_index > last_kept)
      raft_config_refresh (node, ctx);
  }
}

/* Section 7: "Each server takes snapshots independently, covering just the
 * committed entries in its log. ... the state machine writes its current
 * state to the snapshot ... [and] discards the log prefix."  The snapshot
 * is taken at last_applied, whose state is `machine`. */
void
raft_log_compact (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  RaftPersist *p = &node->persist;
  uint64_t upto = node->last_applied;
  if (upto <= p->snap.index)
    return;
  uint64_t term = raft_log_term (node, upto);
  uint32_t members = raft_config_at (node, ctx, upto);
  for (uint64_t i = p->snap.index + 1; i <= upto; i++)
    memset (&p->log[i % RAFT_LOG_CAP], 0, sizeof (RaftEntry));
  p->snap.index = upto;
  p->snap.term = term;
  p->snap.chain = node->applied_chain;
  p->snap.machine = node->machine;
  p->snap.members = members;
  raft_persist_touch (node);
  node->is_snap_dirty = 1;
  proto_outbox_note (out, "snapshot at %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, upto, term);
}

/* The ring's slots outside snap.index < i <= last_index are zero (append
 * writes the next slot, truncation, compaction and an installed snapshot
 * zero the slots they free), and the ring ends the state, so nothing is
 * nonzero past the highest slot in use.  A log that wraps round the ring,
 * bounds that make no sense, stale bytes read back in unused slots (a torn
 * write; raft_persist_recover looks) or a halted node: the whole state. */
/* Below the extent, the two state machines (3 KB each) are zero until an
 * entry is applied (is_machine_set, set wherever `machine` is written and
 * zeroed with the rest of the volatile state by a crash) or a snapshot is
 * taken or installed (snap.index and snap.sum stay 0 until then: a
 * snapshot is taken at an applied index, installed from a leader's); the
 * reads past n_reads are zero (served or dropped ones are zeroed, and
 * reads are the last volatile field).  A halted node, or one with stale
 * slots, is copied whole anyway. */
int
raft_state_holes (const void *state, size_t holes[][2])
{
  const RaftNode *node = state;
  const RaftPersist *p = &node->persist;
  if (node->is_halted || node->has_stale_slots)
    return 0;
  int n = 0;
  if (!node->is_machine_set) {
    holes[n][0] = offsetof (RaftNode, machine);
    holes[n][1] = holes[n][0] + sizeof node->machine;
    n++;
  }
  G_STATIC_ASSERT (offsetof (RaftNode, reads) + sizeof (((RaftNode *) NULL)->reads)
                   <= offsetof (RaftNode, persist));
  G_STATIC_ASSERT (offsetof (RaftNode, machine) < offsetof (RaftNode, reads));
  if (node->n_reads < RAFT_MAX_READS) {
    holes[n][0] = offsetof (RaftNode, reads) + (size_t) node->n_reads * sizeof (RaftRead);
    holes[n][1] = offsetof (RaftNode, persist);
    n++;
  }
  if (p->snap.index == 0 && p->snap.sum == 0) {
    holes[n][0] = offsetof (RaftNode, persist) + offsetof (RaftPersist, snap)
                  + offsetof (RaftSnapshot, machine);
    holes[n][1] = holes[n][0] + sizeof p->snap.machine;
    n++;
  }
  return n;
}

size_t
raft_state_extent (const void *state)
{
  const RaftNode *node = state;
  const RaftPersist *p = &node->persist;
  size_t log_at = offsetof (RaftNode, persist) + offsetof (RaftPersist, log);
  G_STATIC_ASSERT (offsetof (RaftNode, persist) + sizeof (RaftPersist) == sizeof (RaftNode));
  G_STATIC_ASSERT (offsetof (RaftPersist, log) + sizeof (((RaftPersist *) NULL)->log)
                   == sizeof (RaftPersist));
  if (node->is_halted || node->has_stale_slots || p->last_index < p->snap.index
      || p->last_index - p->snap.index >= RAFT_LOG_CAP)
    return sizeof (RaftNode);
  if (p->last_index == p->snap.index)
    return log_at;
  uint64_t first = (p->snap.index + 1) % RAFT_LOG_CAP, last = p->last_index % RAFT_LOG_CAP;
  if (last < first)
    return sizeof (RaftNode);
  return log_at + (size_t) (last + 1) * sizeof (RaftEntry);
}
