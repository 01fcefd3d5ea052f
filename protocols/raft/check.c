/* check.c: the safety properties of Figure 3 of the Raft paper, checked
 * across all nodes after every step.  Each compares hash-chain words per
 * node (or pair of nodes) against what the ghost remembers, so a check costs
 * O(nodes^2) words (times the terms in the logs' disagreeing suffixes), not
 * O(log length).
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
 * Each is checked over the whole run: the ghost remembers every term's
 * leader and every applied index's chain, and Log Matching compares two
 * logs at the highest index where their terms agree.
 * A broken property is reported as "election-safety: ...", and so on: the
 * name (which a scenario's `expect = violation invariant:NAME` matches),
 * then what happened and to which nodes. */
#include "protocols/raft/raft.h"

#include <string.h>

static inline uint64_t
ghost_mix (uint64_t h, uint64_t v)
{
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

/* What survives a crash.  A leader counts its own copy of an entry as soon
 * as it appends it, before the entry is on its disk, and it becomes leader
 * on its own vote before that vote is on its disk: safe, because every
 * message (AppendEntries with the new commit index, the client's reply)
 * waits for the step's sync, so a crash before the sync undoes the commit
 * or the election unseen, and the restarted node may commit another entry
 * at that index, or be elected in that term again.  So the ghost remembers
 * a commit, an applied index or a term's leader only once the node's disk
 * holds it (ctx->disk, the image a crash would give back); it still checks
 * every node's state against what it remembers after every step.  Without
 * a disk (handler tests) the state in memory counts. */
static uint64_t
durable_chain (const RaftNode *node, const ProtoCtx *ctx, uint64_t index)
{
  if (ctx->disk == NULL)
    return raft_log_chain (node, index);
  const RaftPersist *d = ctx->disk;
  if (index == d->snap.index)
    return d->snap.chain;
  if (index > d->snap.index && index <= d->last_index)
    return d->log[index % RAFT_LOG_CAP].chain;
  return 0;
}

static gboolean
is_entry_durable (const RaftNode *node, const ProtoCtx *ctx, uint64_t index)
{
  uint64_t chain = raft_log_chain (node, index);
  return chain != 0 && durable_chain (node, ctx, index) == chain;
}

static gboolean
is_leadership_durable (const RaftNode *node, const ProtoCtx *ctx, int i)
{
  const RaftPersist *d = ctx->disk;
  return d == NULL
         || (d->current_term == node->persist.current_term && d->has_voted && d->voted_for == i);
}

static gboolean
check_election_safety (RaftGhost *g, const RaftNode *node, const ProtoCtx *ctx, int i,
                       GString *why)
{
  uint64_t term = node->persist.current_term;
  if (g->term_leader == NULL)
    g->term_leader = g_array_new (FALSE, FALSE, sizeof (RaftTermLeader));
  const RaftTermLeader *tl = (const RaftTermLeader *) (void *) g->term_leader->data;
  guint lo = 0, hi = g->term_leader->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (tl[mid].term < term)
      lo = mid + 1;
    else
      hi = mid;
  }
  int leader = lo < g->term_leader->len && tl[lo].term == term ? tl[lo].leader : -1;
  if (leader >= 0 && leader != i) {
    g_string_append_printf (why, "election-safety: n%d and n%d were both elected leader of "
                            "term %" G_GUINT64_FORMAT, leader + 1, i + 1, term);
    return FALSE;
  }
  if (leader < 0 && is_leadership_durable (node, ctx, i)) {
    RaftTermLeader add = { .term = term, .leader = i };
    g_array_insert_val (g->term_leader, lo, add);
    g->leaders_sum += ghost_mix (term, (uint64_t) i + 1);
    g->has_digest = 0;
  }
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
  uint64_t chain = raft_log_chain (node, p->last_index);
  if (seen->term != p->current_term || seen->last_index != p->last_index
      || seen->last_chain != chain) {
    seen->term = p->current_term;
    seen->last_index = p->last_index;
    seen->last_chain = chain;
    g->has_digest = 0;
  }
  return TRUE;
}

static gboolean
check_leader_completeness (RaftGhost *g, const RaftNode *node, const ProtoCtx *ctx, int i,
                           GString *why)
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
  if (node->commit_index > g->commit_index && raft_log_has (node, node->commit_index)
      && is_entry_durable (node, ctx, node->commit_index)) {
    g->commit_index = node->commit_index;
    g->commit_chain = raft_log_chain (node, node->commit_index);
    g->commit_term = p->current_term;
    g->commit_node = i;
    g->has_digest = 0;
  }
  return TRUE;
}

static inline gboolean
is_judged (const RaftNode *node, gboolean is_up)
{
  return is_up && !node->is_halted;
}

/* Leader Completeness, checked before the election that would break it.
 * A node that lacks the latest committed entry must not be able to win an
 * election: its log must be behind the log of some node of every majority
 * (5.4.1's vote rule).  In a correct Raft this holds in every state: a
 * node that could win the votes of a majority as the logs stand now could
 * be elected with those logs (a fresh term, the other messages held back),
 * and then the leader check above would fail.  Checking it here catches
 * an unsafe commit when it is made (Figure 8: an entry of an earlier term
 * counted on a majority while a node with a later last term lacks it)
 * instead of waiting for that node to be elected.  The candidate is a
 * member of its own configuration and not recovering a damaged log (such
 * a node does not stand); its voters are the members of that
 * configuration it would get a vote from, each judged (up, its log read
 * back) and, when recovering, comparing as recv_request_vote.c does. */
static gboolean
grants_vote (const RaftNode *voter, const RaftNode *candidate)
{
  const RaftPersist *c = &candidate->persist;
  uint64_t last_term = raft_log_term (candidate, c->last_index);
  return raft_log_is_up_to_date (voter, c->last_index, last_term)
         && (!raft_is_recovering (voter)
             || raft_recovering_vote_passes (voter, c->last_index, last_term));
}

static gboolean
check_electable_completeness (const RaftGhost *g, const void *const *states,
                              const gboolean *is_up, int n_nodes, int i, GString *why)
{
  const RaftNode *node = states[i];
  const RaftPersist *p = &node->persist;
  if (g->commit_index == 0 || g->commit_index < p->snap.index
      || (g->commit_index <= p->last_index
          && raft_log_chain (node, g->commit_index) == g->commit_chain))
    return TRUE;
  if (!raft_is_member (node, i) || raft_is_recovering (node))
    return TRUE;
  uint32_t voters = 0;
  for (int j = 0; j < n_nodes; j++)
    if (raft_is_member (node, j) && is_judged (states[j], is_up[j])
        && (j == i || grants_vote (states[j], node)))
      voters |= 1u << j;
  if (__builtin_popcount (voters) < raft_quorum (node))
    return TRUE;
  g_string_append_printf (why, "leader-completeness: n%d lacks entry %" G_GUINT64_FORMAT
                          " (or one before it) that n%d committed in term %" G_GUINT64_FORMAT
                          ", yet could be elected: its log is at least as up-to-date as "
                          "those of", i + 1, g->commit_index, g->commit_node + 1,
                          g->commit_term);
  for (int j = 0, k = 0; j < n_nodes; j++)
    if ((voters >> j) & 1u)
      g_string_append_printf (why, "%s n%d", k++ == 0 ? "" : ",", j + 1);
  g_string_append (why, ", a majority");
  return FALSE;
}

/* Every index a node applies is compared with what any node applied there
 * before, through the hash chain of the node's log (which covers the whole
 * prefix); indices it applied from a snapshot, whose entries it no longer
 * holds, are covered by the chain of the next index it holds. */
static gboolean
check_state_machine_safety (RaftGhost *g, const RaftNode *node, const ProtoCtx *ctx, int i,
                            GString *why)
{
  uint64_t a = node->last_applied;
  /* Only the applied prefix a crash would keep (see durable_chain): a log
   * cut back by a crash matches the disk again a few entries down. */
  if (ctx->disk != NULL) {
    const RaftPersist *d = ctx->disk;
    uint64_t k = MIN (a, d->last_index);
    for (int walk = 0; k > 0 && walk < RAFT_LOG_CAP && !is_entry_durable (node, ctx, k); walk++)
      k--;
    if (k < a && !is_entry_durable (node, ctx, k))
      k = 0;
    a = k;
  }
  uint64_t *checked = &g->checked_applied[i];
  if (a < *checked) {
    *checked = a; /* restarted: it applies its log again */
    g->has_digest = 0;
  }
  if (a == 0)
    return TRUE;
  if (g->applied == NULL) {
    g->applied = g_array_new (FALSE, TRUE, sizeof (uint64_t));
    g->applied_by = g_array_new (FALSE, TRUE, sizeof (int32_t));
  }
  if (g->applied->len <= a) {
    g_array_set_size (g->applied, (guint) a + 1);
    g_array_set_size (g->applied_by, (guint) a + 1);
    g->has_digest = 0;
  }
  /* The newly applied indices, and always the last one (its state machine
   * is a function of the applied prefix, whose chain it keeps). */
  for (uint64_t index = MIN (*checked + 1, a); index <= a; index++) {
    uint64_t chain = index == node->last_applied ? node->applied_chain
                     : raft_log_has (node, index) ? raft_log_chain (node, index) : 0;
    if (chain == 0)
      continue;
    uint64_t *seen = &g_array_index (g->applied, uint64_t, index);
    int32_t *by = &g_array_index (g->applied_by, int32_t, index);
    if (*seen == 0) {
      *seen = chain;
      *by = i;
      g->applied_sum += ghost_mix (ghost_mix (index, chain), (uint64_t) (uint32_t) i);
      g->has_digest = 0;
    } else if (*seen != chain) {
      g_string_append_printf (why, "state-machine-safety: n%d and n%d applied different "
                              "entries at index %" G_GUINT64_FORMAT " (or before it)",
                              *by + 1, i + 1, index);
      return FALSE;
    }
  }
  if (*checked != a) {
    *checked = a;
    g->has_digest = 0;
  }
  return TRUE;
}

/* The first index of `term` in the node's log at or after lo (terms never
 * decrease along a log). */
static uint64_t
first_of_term (const RaftNode *node, uint64_t lo, uint64_t hi, uint64_t term)
{
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (raft_log_term (node, mid) < term)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Log Matching over the whole of both logs: the highest index at which
 * both hold an entry of the same term is found (walking down one term at a
 * time), and their chains must agree there, which makes the logs identical
 * up to it, and so at every lower index with equal terms too.  Entries
 * below a snapshot are applied ones, checked by State Machine Safety. */
static gboolean
check_log_matching (const RaftNode *a, int i, const RaftNode *b, int j, GString *why)
{
  uint64_t lo = MAX (a->persist.snap.index, b->persist.snap.index);
  uint64_t k = MIN (a->persist.last_index, b->persist.last_index);
  while (k >= lo && k > 0) {
    uint64_t ta = raft_log_term (a, k), tb = raft_log_term (b, k);
    if (ta == tb) {
      if (raft_log_chain (a, k) == raft_log_chain (b, k))
        return TRUE;
      g_string_append_printf (why, "log-matching: n%d and n%d both have entry %"
                              G_GUINT64_FORMAT " of term %" G_GUINT64_FORMAT " but their logs "
                              "differ before it", i + 1, j + 1, k, ta);
      return FALSE;
    }
    uint64_t first = ta > tb ? first_of_term (a, lo, k, ta) : first_of_term (b, lo, k, tb);
    if (first == 0)
      break;
    k = MIN (first, k) - 1;
  }
  return TRUE;
}

void
raft_ghost_copy (void *dst, const void *src)
{
  RaftGhost *d = dst;
  const RaftGhost *s = src;
  d->term_leader = s->term_leader != NULL ? g_array_copy (s->term_leader) : NULL;
  d->applied = s->applied != NULL ? g_array_copy (s->applied) : NULL;
  d->applied_by = s->applied_by != NULL ? g_array_copy (s->applied_by) : NULL;
}

/* dst's array becomes a copy of src's, in dst's storage (an empty array
 * stands for none: check() treats both alike). */
static void
array_assign (GArray **dst, const GArray *src, gboolean clear, guint size)
{
  if (src == NULL) {
    if (*dst != NULL && (*dst)->len > 0)
      g_array_set_size (*dst, 0);
    return;
  }
  if (*dst == NULL)
    *dst = g_array_sized_new (FALSE, clear, size, src->len);
  if ((*dst)->len != src->len) /* most steps grow no table */
    g_array_set_size (*dst, src->len);
  if (src->len > 0)
    memcpy ((*dst)->data, src->data, (size_t) src->len * size);
}

G_STATIC_ASSERT (offsetof (RaftGhost, checked_applied) == 3 * sizeof (GArray *));
G_STATIC_ASSERT (offsetof (RaftGhost, leader_log)
                 == offsetof (RaftGhost, checked_applied)
                      + sizeof (((RaftGhost *) NULL)->checked_applied));
G_STATIC_ASSERT (offsetof (RaftGhost, commit_index)
                 == offsetof (RaftGhost, leader_log) + sizeof (((RaftGhost *) NULL)->leader_log));

/* The explorer assigns a ghost for every state it makes.  The per-node
 * tables are zero past n_nodes in both ghosts: a ghost starts zeroed,
 * check() sets n_nodes to the world's count before it writes slot i < that
 * count, and a world's count never changes.  So the slots either ghost
 * uses are copied (1 KB of tables for 32 nodes, 3 slots of each for a
 * 3-node run), then every field after the tables. */
void
raft_ghost_assign (void *dst, const void *src)
{
  RaftGhost *d = dst;
  const RaftGhost *s = src;
  size_t n = (size_t) CLAMP (MAX (d->n_nodes, s->n_nodes), 0, PROTO_MAX_NODES);
  memcpy (d->checked_applied, s->checked_applied, n * sizeof s->checked_applied[0]);
  memcpy (d->leader_log, s->leader_log, n * sizeof s->leader_log[0]);
  memcpy (&d->commit_index, &s->commit_index, sizeof *d - offsetof (RaftGhost, commit_index));
  array_assign (&d->term_leader, s->term_leader, FALSE, sizeof (RaftTermLeader));
  array_assign (&d->applied, s->applied, TRUE, sizeof (uint64_t));
  array_assign (&d->applied_by, s->applied_by, TRUE, sizeof (int32_t));
}

/* The explorer's view of the ghost: its contents, not its pointers.  The
 * tables come in through their sums (every entry mixed with its index),
 * and the applied table's length. */
static uint64_t
ghost_digest_of (const RaftGhost *g)
{
  uint64_t h = ghost_mix (0x6a09e667f3bcc908ULL, g->leaders_sum);
  h = ghost_mix (h, g->applied_sum);
  h = ghost_mix (h, g->applied != NULL ? g->applied->len : 0);
  /* Only the nodes check() has judged (none before its first call): the
   * other slots are all zero. */
  int n_nodes = CLAMP (g->n_nodes, 0, PROTO_MAX_NODES);
  for (int n = 0; n < n_nodes; n++) {
    h = ghost_mix (h, g->checked_applied[n]);
    h = ghost_mix (h, g->leader_log[n].term ^ g->leader_log[n].last_index << 32);
    h = ghost_mix (h, g->leader_log[n].last_chain);
  }
  h = ghost_mix (h, g->commit_index);
  h = ghost_mix (h, g->commit_chain);
  h = ghost_mix (h, g->commit_term);
  return ghost_mix (h, (uint64_t) (uint32_t) g->commit_node);
}

/* check() keeps the digest up to date: every change to a field it covers
 * clears has_digest, and a check that passes computes it again. */
uint64_t
raft_ghost_digest (const void *ghost)
{
  const RaftGhost *g = ghost;
  return g->has_digest ? g->digest : ghost_digest_of (g);
}

/* A node that is not leader (or is down) ends what the ghost remembers of
 * its leadership. */
static void
leader_log_end (RaftGhost *g, int i)
{
  if (g->leader_log[i].term != 0) {
    g->leader_log[i].term = 0;
    g->has_digest = 0;
  }
}

void
raft_ghost_free (void *ghost)
{
  RaftGhost *g = ghost;
  if (g->term_leader != NULL)
    g_array_unref (g->term_leader);
  if (g->applied != NULL)
    g_array_unref (g->applied);
  if (g->applied_by != NULL)
    g_array_unref (g->applied_by);
  g->term_leader = NULL;
  g->applied = g->applied_by = NULL;
  g->leaders_sum = g->applied_sum = 0;
  g->has_digest = 0;
}

gboolean
raft_check (void *ghost, const void *const *states, const gboolean *is_up,
            const ProtoCtx *ctxs, int n_nodes, GString *why)
{
  RaftGhost *g = ghost;
  if (g->n_nodes != n_nodes) {
    g->n_nodes = n_nodes;
    g->has_digest = 0;
  }
  for (int i = 0; i < n_nodes; i++) {
    const RaftNode *node = states[i];
    if (!is_judged (node, is_up[i])) {
      leader_log_end (g, i); /* a crash ends a leadership */
      continue;
    }
    if (node->role == RAFT_LEADER) {
      if (!check_election_safety (g, node, &ctxs[i], i, why)
          || !check_leader_append_only (g, node, i, why)
          || !check_leader_completeness (g, node, &ctxs[i], i, why))
        return FALSE;
    } else {
      leader_log_end (g, i);
    }
    if (!check_state_machine_safety (g, node, &ctxs[i], i, why))
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
  for (int i = 0; i < n_nodes; i++)
    if (is_judged (states[i], is_up[i])
        && !check_electable_completeness (g, states, is_up, n_nodes, i, why))
      return FALSE;
  /* The explorer asks for the digest after every step; most steps leave
   * the ghost as it was, and keep the digest. */
  if (!g->has_digest) {
    g->digest = ghost_digest_of (g);
    g->has_digest = 1;
  }
  return TRUE;
}
