/* check.c: the safety properties of Figure 3 of the Raft paper, checked
 * across all nodes after every step.  Each compares one hash-chain word per
 * node (or pair of nodes) against what the ghost remembers, so a check costs
 * O(nodes^2) words, not O(log length).
 *
 * Figure 3:
 *  "Election Safety: at most one leader can be elected in a given term.
 *   Leader Append-Only: a leader never overwrites or deletes entries in its
 *   log; it only appends new entries.
 *   Log Matching: if two logs contain an entry with the same index and term,
 *   then the logs are identical in all entries up through the given index.
 *   Leader Completeness: if a log entry is committed in a given term, then
 *   that entry will be present in the logs of the leaders for all
 *   higher-numbered terms.
 *   State Machine Safety: if a server has applied a log entry at a given
 *   index to its state machine, no other server will ever apply a different
 *   log entry for the same index."
 * A broken property is reported as "election-safety: ...", and so on: the
 * name (which a scenario's `expect = violation invariant:NAME` matches),
 * then what happened and to which nodes. */
#include "protocols/raft/raft.h"

static gboolean
check_election_safety (RaftGhost *g, const RaftNode *node, int i, GString *why)
{
  uint64_t term = node->persist.current_term;
  __typeof__ (g->term_leader[0]) *slot = &g->term_leader[term % RAFT_GHOST_TERMS];
  if (slot->term == term && slot->leader != i) {
    g_string_append_printf (why, "election-safety: n%d and n%d were both elected leader of "
                            "term %" G_GUINT64_FORMAT, slot->leader + 1, i + 1, term);
    return FALSE;
  }
  slot->term = term;
  slot->leader = i;
  return TRUE;
}

static gboolean
check_leader_append_only (RaftGhost *g, const RaftNode *node, int i, GString *why)
{
  const RaftPersist *p = &node->persist;
  __typeof__ (g->leader_log[0]) *seen = &g->leader_log[i];
  if (seen->term == p->current_term && seen->last_index >= p->snap.index) {
    if (seen->last_index > p->last_index) {
      g_string_append_printf (why, "leader-append-only: n%d, leader of term %" G_GUINT64_FORMAT
                              ", deleted entries %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
                              " of its log", i + 1, p->current_term, p->last_index + 1,
                              seen->last_index);
      return FALSE;
    }
    if (raft_log_chain (node, seen->last_index) != seen->last_chain) {
      g_string_append_printf (why, "leader-append-only: n%d, leader of term %" G_GUINT64_FORMAT
                              ", overwrote entries at or before index %" G_GUINT64_FORMAT,
                              i + 1, p->current_term, seen->last_index);
      return FALSE;
    }
  }
  seen->term = p->current_term;
  seen->last_index = p->last_index;
  seen->last_chain = raft_log_chain (node, p->last_index);
  return TRUE;
}

static gboolean
check_leader_completeness (RaftGhost *g, const RaftNode *node, int i, GString *why)
{
  const RaftPersist *p = &node->persist;
  if (g->commit_index > 0 && p->current_term > g->commit_term
      && g->commit_index >= p->snap.index) {
    if (g->commit_index > p->last_index
        || raft_log_chain (node, g->commit_index) != g->commit_chain) {
      g_string_append_printf (why, "leader-completeness: n%d, leader of term %" G_GUINT64_FORMAT
                              ", lacks entry %" G_GUINT64_FORMAT " (or one before it) that n%d "
                              "committed in term %" G_GUINT64_FORMAT, i + 1, p->current_term,
                              g->commit_index, g->commit_node + 1, g->commit_term);
      return FALSE;
    }
  }
  if (node->commit_index > g->commit_index && raft_log_has (node, node->commit_index)) {
    g->commit_index = node->commit_index;
    g->commit_chain = raft_log_chain (node, node->commit_index);
    g->commit_term = p->current_term;
    g->commit_node = i;
  }
  return TRUE;
}

static gboolean
applied_matches (RaftGhost *g, int i, uint64_t index, uint64_t chain, GString *why)
{
  __typeof__ (g->applied[0]) *slot = &g->applied[index % RAFT_GHOST_APPLIED];
  if (slot->index == index && slot->chain != chain) {
    g_string_append_printf (why, "state-machine-safety: n%d and n%d applied different "
                            "entries at index %" G_GUINT64_FORMAT " (or before it)",
                            slot->node + 1, i + 1, index);
    return FALSE;
  }
  if (slot->index != index) {
    slot->index = index;
    slot->chain = chain;
    slot->node = i;
  }
  return TRUE;
}

static gboolean
check_state_machine_safety (RaftGhost *g, const RaftNode *node, int i, GString *why)
{
  uint64_t a = node->last_applied;
  if (a == 0)
    return TRUE;
  /* The highest applied index so far, seen through this node's log, ties
   * every node's applied prefix to the others'. */
  if (g->applied_max > 0 && g->applied_max < a && raft_log_has (node, g->applied_max)
      && !applied_matches (g, i, g->applied_max, raft_log_chain (node, g->applied_max), why))
    return FALSE;
  if (!applied_matches (g, i, a, node->applied_chain, why))
    return FALSE;
  if (a > g->applied_max)
    g->applied_max = a;
  return TRUE;
}

/* Two logs that hold the same (index, term) at the shorter one's end must
 * agree up to there: their chains there are equal. */
static gboolean
check_log_matching (const RaftNode *a, int i, const RaftNode *b, int j, GString *why)
{
  uint64_t k = MIN (a->persist.last_index, b->persist.last_index);
  if (k == 0 || !raft_log_has (a, k) || !raft_log_has (b, k))
    return TRUE;
  uint64_t term = raft_log_term (a, k);
  if (term != raft_log_term (b, k) || raft_log_chain (a, k) == raft_log_chain (b, k))
    return TRUE;
  g_string_append_printf (why, "log-matching: n%d and n%d both have entry %" G_GUINT64_FORMAT
                          " of term %" G_GUINT64_FORMAT " but their logs differ before it",
                          i + 1, j + 1, k, term);
  return FALSE;
}

static inline gboolean
is_judged (const RaftNode *node, gboolean is_up)
{
  return is_up && !node->is_halted;
}

gboolean
raft_check (void *ghost, const void *const *states, const gboolean *is_up,
            const ProtoCtx *ctxs, int n_nodes, GString *why)
{
  RaftGhost *g = ghost;
  for (int i = 0; i < n_nodes; i++) {
    const RaftNode *node = states[i];
    if (!is_judged (node, is_up[i]))
      continue;
    if (node->role == RAFT_LEADER) {
      if (!check_election_safety (g, node, i, why) || !check_leader_append_only (g, node, i, why)
          || !check_leader_completeness (g, node, i, why))
        return FALSE;
    } else {
      g->leader_log[i].term = 0;
    }
    if (!check_state_machine_safety (g, node, i, why))
      return FALSE;
  }
  /* A node's log is judged once it has read it back: a node that is down
   * may hold a torn or corrupted image it has not yet checked, and a node
   * that found its image damaged has stopped. */
  for (int i = 0; i < n_nodes; i++)
    for (int j = i + 1; j < n_nodes; j++)
      if (is_judged (states[i], is_up[i]) && is_judged (states[j], is_up[j])
          && !check_log_matching (states[i], i, states[j], j, why))
        return FALSE;
  return TRUE;
}
