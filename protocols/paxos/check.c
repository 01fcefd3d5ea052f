/* check.c: Paxos's safety properties, checked across all nodes after every
 * step.  Section 2.1 of the paper:
 *
 *  "Only a value that has been proposed may be chosen,
 *   Only a single value is chosen, and
 *   A process never learns that a value has been chosen unless it actually
 *   has been."
 *
 * and section 2.2's P1a: "An acceptor can accept a proposal numbered n iff
 * it has not responded to a prepare request having a number greater than
 * n."  Section 3 adds that the servers execute the same commands in the
 * same order.
 *
 * Every node logs each accept and each apply in a ring (PaxosNode.ev); the
 * check reads what is new since the last step, so its cost is the work the
 * step did, not the length of the log.  The ghost keeps, per slot over the
 * whole run, the tally of every ballot's acceptors and what was chosen: a
 * command is chosen when a majority accepted it in one ballot, whether or
 * not any learner ever hears of it.  An acceptance counts once it is
 * durable, once the acceptor's disk image (ProtoCtx.disk) holds it: an
 * acceptor that crashes before its sync completes wakes up without it, its
 * Accepted never left, and it never "has accepted" the proposal.  Until
 * then the ghost keeps it pending; a crash that loses it drops it.  What
 * the acceptance itself must respect (P1a, one value per ballot, proposed
 * by the ballot's owner) is judged when it happens.  A broken property is reported as
 * "agreement: ...", and so on: the name (which a scenario's
 * `expect = violation invariant:NAME` matches), the slot, then the nodes. */
#include "protocols/paxos/paxos.h"

#include <string.h>

#define EV_SLOT_MASK ((UINT64_C (1) << 56) - 1)

static void
nodes_of (uint32_t mask, GString *out)
{
  gboolean first = TRUE;
  for (int i = 0; i < PROTO_MAX_NODES; i++)
    if (mask & (1u << i)) {
      g_string_append_printf (out, "%sn%d", first ? "" : " ", i + 1);
      first = FALSE;
    }
}

static void
ballot_str (uint64_t b, GString *out)
{
  paxos_format_ballot (b, out);
}

/* The ghost's record of `slot`, made on first use: the ghost remembers
 * every slot of the run. */
static PaxosGhostSlot *
ghost_slot (PaxosGhost *g, uint64_t slot)
{
  if (g->last != NULL && g->last->slot == slot)
    return g->last; /* a step's events mostly name one slot */
  if (g->slots == NULL)
    g->slots = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  PaxosGhostSlot *gs = g_hash_table_lookup (g->slots, &slot);
  if (gs == NULL) {
    gs = g_new0 (PaxosGhostSlot, 1);
    gs->slot = slot;
    g_hash_table_insert (g->slots, &gs->slot, gs);
  }
  g->last = gs;
  return gs;
}

void
paxos_ghost_copy (void *dst, const void *src)
{
  PaxosGhost *d = dst;
  const PaxosGhost *s = src;
  d->slots = NULL;
  d->last = NULL;
  d->pending = s->pending != NULL ? g_array_copy (s->pending) : NULL;
  if (s->slots == NULL)
    return;
  d->slots = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, s->slots);
  while (g_hash_table_iter_next (&it, NULL, &value)) { /* order-free: a copy */
    PaxosGhostSlot *gs = g_memdup2 (value, sizeof (PaxosGhostSlot));
    g_hash_table_insert (d->slots, &gs->slot, gs);
  }
}

static uint64_t
ghost_mix (uint64_t h, uint64_t v)
{
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

/* What the ghost remembers, whatever the table's order: the events read
 * per node, and the sum of one hash per slot (a slot's record is plain
 * words, no padding). */
uint64_t
paxos_ghost_digest (const void *ghost)
{
  G_STATIC_ASSERT (sizeof (PaxosGhostSlot) % sizeof (uint64_t) == 0);
  const PaxosGhost *g = ghost;
  uint64_t slots = 0;
  if (g->slots != NULL) {
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init (&it, g->slots);
    while (g_hash_table_iter_next (&it, NULL, &value)) { /* order-free: a sum */
      uint64_t w[sizeof (PaxosGhostSlot) / sizeof (uint64_t)];
      memcpy (w, value, sizeof w);
      uint64_t h = 0x510e527fade682d1ULL;
      for (size_t k = 0; k < G_N_ELEMENTS (w); k++)
        h = ghost_mix (h, w[k]);
      slots += h;
    }
  }
  uint64_t h = ghost_mix (0x6a09e667f3bcc908ULL, slots);
  /* The nodes up to the last one with a nonzero word (the others are all
   * zero; the count is mixed in, so equal ghosts hash alike). */
  int n_used = PROTO_MAX_NODES;
  while (n_used > 0 && g->seed[n_used - 1] == 0 && g->seen[n_used - 1] == 0)
    n_used--;
  h = ghost_mix (h, (uint64_t) n_used);
  for (int n = 0; n < n_used; n++) {
    h = ghost_mix (h, g->seed[n]);
    h = ghost_mix (h, g->seen[n]);
  }
  G_STATIC_ASSERT (sizeof (PaxosGhostPending) % sizeof (uint64_t) == 0);
  for (guint k = 0; g->pending != NULL && k < g->pending->len; k++) {
    uint64_t w[sizeof (PaxosGhostPending) / sizeof (uint64_t)];
    memcpy (w, &g_array_index (g->pending, PaxosGhostPending, k), sizeof w);
    for (size_t j = 0; j < G_N_ELEMENTS (w); j++)
      h = ghost_mix (h, w[j]);
  }
  return h;
}

void
paxos_ghost_free (void *ghost)
{
  PaxosGhost *g = ghost;
  if (g->slots != NULL)
    g_hash_table_unref (g->slots);
  if (g->pending != NULL)
    g_array_unref (g->pending);
  g->slots = NULL;
  g->last = NULL;
  g->pending = NULL;
}

/* Whether node's disk image holds its acceptance of `ballot` for `slot`:
 * that slot accepted in that ballot or a later one (syncs complete in
 * order), or compacted into the snapshot.  Without a disk (handler tests)
 * an acceptance is durable at once. */
static gboolean
disk_holds (const void *disk, uint64_t slot, uint64_t ballot)
{
  if (disk == NULL)
    return TRUE;
  const PaxosPersist *p = disk;
  if (slot <= p->snap.index)
    return TRUE;
  if (slot - p->snap.index > PAXOS_LOG_CAP)
    return FALSE;
  return p->log[slot % PAXOS_LOG_CAP].ballot >= ballot;
}

/* Node i's durable acceptance of (ballot, hash) for slot joins the ballot's
 * tally; a majority chooses the value. */
static gboolean
count_accept (PaxosGhost *g, int i, uint64_t slot, uint64_t ballot, int n_nodes, GString *why)
{
  PaxosGhostSlot *gs = ghost_slot (g, slot);
  int t = -1;
  for (int k = 0; k < PAXOS_GHOST_BALLOTS; k++)
    if (gs->tally[k].ballot == ballot)
      t = k;
  if (t < 0)
    return TRUE; /* a ballot the ghost no longer tallies: cannot judge */
  __typeof__ (gs->tally[0]) *tl = &gs->tally[t];
  tl->voters |= 1u << i;
  if (__builtin_popcount (tl->voters) < paxos_majority (n_nodes))
    return TRUE;
  if (gs->chosen_hash == 0) {
    gs->chosen_hash = tl->hash;
    gs->chosen_ballot = tl->ballot;
    gs->chosen_voters = tl->voters;
  } else if (gs->chosen_hash != tl->hash) {
    g_string_append_printf (why, "agreement: two values chosen for slot %" G_GUINT64_FORMAT
                            ": one in ballot ", slot);
    ballot_str (gs->chosen_ballot, why);
    g_string_append (why, " (accepted by ");
    nodes_of (gs->chosen_voters, why);
    g_string_append (why, "), another in ballot ");
    ballot_str (tl->ballot, why);
    g_string_append (why, " (accepted by ");
    nodes_of (tl->voters, why);
    g_string_append (why, ")");
    return FALSE;
  }
  return TRUE;
}

/* Counts the pending acceptances now on disk and drops those a crash lost
 * (the acceptor is down, or restarted, without them on disk). */
static gboolean
resolve_pending (PaxosGhost *g, const gboolean *is_up, const ProtoCtx *ctxs, int n_nodes,
                 GString *why)
{
  if (g->pending == NULL)
    return TRUE;
  gboolean ok = TRUE;
  guint kept = 0;
  for (guint k = 0; k < g->pending->len; k++) {
    PaxosGhostPending pe = g_array_index (g->pending, PaxosGhostPending, k);
    if (ok && disk_holds (ctxs[pe.node].disk, pe.slot, pe.ballot)) {
      ok = count_accept (g, pe.node, pe.slot, pe.ballot, n_nodes, why);
      continue;
    }
    if (ok && (!is_up[pe.node] || ctxs[pe.node].seed != pe.seed))
      continue; /* lost in a crash: never accepted */
    g_array_index (g->pending, PaxosGhostPending, kept++) = pe;
  }
  g_array_set_size (g->pending, kept);
  return ok;
}

static gboolean
check_accept (PaxosGhost *g, int i, const PaxosEv *e, uint64_t slot, const ProtoCtx *ctx,
              int n_nodes, GString *why)
{
  /* P1a, over the whole run: a promise made before a crash still binds
   * (aux is the higher of the promise held and the one the node's disk
   * gave back when it booted; a promise lost with a sync that never
   * completed was never sent). */
  uint64_t promised = e->aux;
  if (e->ballot < promised) {
    g_string_append (why, "promises-respected: n");
    g_string_append_printf (why, "%d accepted ballot ", i + 1);
    ballot_str (e->ballot, why);
    g_string_append_printf (why, " for slot %" G_GUINT64_FORMAT " after promising ballot ", slot);
    ballot_str (promised, why);
    return FALSE;
  }
  PaxosGhostSlot *gs = ghost_slot (g, slot);
  int t = -1, lowest = 0;
  for (int k = 0; k < PAXOS_GHOST_BALLOTS; k++) {
    if (gs->tally[k].ballot == e->ballot)
      t = k;
    if (gs->tally[k].ballot < gs->tally[lowest].ballot)
      lowest = k;
  }
  if (t < 0 && e->ballot <= gs->evicted_max)
    return TRUE; /* a ballot the ghost no longer tallies: cannot judge */
  if (t < 0) {
    t = lowest;
    if (gs->tally[t].ballot > gs->evicted_max)
      gs->evicted_max = gs->tally[t].ballot;
    memset (&gs->tally[t], 0, sizeof gs->tally[t]);
    gs->tally[t].ballot = e->ballot;
    gs->tally[t].hash = e->hash;
  }
  __typeof__ (gs->tally[0]) *tl = &gs->tally[t];
  int owner = paxos_ballot_node (e->ballot);
  /* Section 2.5: a proposal is numbered once and carries one value; the
   * proposer's own acceptor accepts it first (proposer.c). */
  if (tl->hash != e->hash) {
    g_string_append_printf (why, "validity: slot %" G_GUINT64_FORMAT ", ballot ", slot);
    ballot_str (e->ballot, why);
    g_string_append_printf (why, ": n%d accepted a value other than the one ", i + 1);
    nodes_of (tl->voters, why);
    g_string_append (why, " accepted in that ballot");
    return FALSE;
  }
  if (owner == i)
    tl->proposer_seen = TRUE;
  else if (!tl->proposer_seen) {
    g_string_append_printf (why, "validity: n%d accepted a value for slot %" G_GUINT64_FORMAT
                            " in ballot ", i + 1, slot);
    ballot_str (e->ballot, why);
    g_string_append_printf (why, " that its proposer n%d never proposed", owner + 1);
    return FALSE;
  }
  if (disk_holds (ctx->disk, slot, e->ballot))
    return count_accept (g, i, slot, e->ballot, n_nodes, why);
  PaxosGhostPending pe = {
    .slot = slot, .ballot = e->ballot, .hash = e->hash, .seed = ctx->seed, .node = i,
  };
  if (g->pending == NULL)
    g->pending = g_array_new (FALSE, FALSE, sizeof (PaxosGhostPending));
  g_array_append_val (g->pending, pe);
  return TRUE;
}

static gboolean
check_sequence (PaxosGhostSlot *gs, int i, uint64_t slot, uint64_t chain, GString *why)
{
  if (gs->applied_node == 0) {
    gs->applied_node = i + 1;
    gs->applied_chain = chain;
    return TRUE;
  }
  if (gs->applied_chain == chain)
    return TRUE;
  g_string_append_printf (why, "same-sequence: n%d and n%d applied different commands up to "
                          "slot %" G_GUINT64_FORMAT, gs->applied_node, i + 1, slot);
  return FALSE;
}

static gboolean
check_apply (PaxosGhost *g, int i, const PaxosEv *e, uint64_t slot, GString *why)
{
  PaxosGhostSlot *gs = ghost_slot (g, slot);
  if (gs->chosen_hash == 0) {
    g_string_append_printf (why, "learned-only-chosen: n%d applied slot %" G_GUINT64_FORMAT
                            ", where no majority has accepted any value", i + 1, slot);
    return FALSE;
  }
  if (gs->chosen_hash != e->hash) {
    g_string_append_printf (why, "agreement: n%d applied a value at slot %" G_GUINT64_FORMAT
                            " other than the one chosen in ballot ", i + 1, slot);
    ballot_str (gs->chosen_ballot, why);
    g_string_append (why, " (accepted by ");
    nodes_of (gs->chosen_voters, why);
    g_string_append (why, ")");
    return FALSE;
  }
  return check_sequence (gs, i, slot, e->aux, why);
}

gboolean
paxos_check (void *ghost, const void *const *states, const gboolean *is_up,
             const ProtoCtx *ctxs, int n_nodes, GString *why)
{
  PaxosGhost *g = ghost;
  if (!resolve_pending (g, is_up, ctxs, n_nodes, why))
    return FALSE;
  for (int i = 0; i < n_nodes; i++) {
    const PaxosNode *node = states[i];
    /* A node that is down, or stopped on a damaged disk, may hold any
     * bytes: only a running node's state counts. */
    if (!is_up[i] || node->is_halted)
      continue;
    if (g->seed[i] != ctxs[i].seed) {
      g->seed[i] = ctxs[i].seed;
      g->seen[i] = 0;
    }
    g_assert (node->ev_count - g->seen[i] <= PAXOS_EV_RING);
    for (uint64_t k = g->seen[i]; k < node->ev_count; k++) {
      const PaxosEv *e = &node->ev[k % PAXOS_EV_RING];
      uint64_t slot = e->slot & EV_SLOT_MASK;
      gboolean ok = TRUE;
      switch ((PaxosEvKind) (e->slot >> 56)) {
      case PAXOS_EV_ACCEPT:
        ok = check_accept (g, i, e, slot, &ctxs[i], n_nodes, why);
        break;
      case PAXOS_EV_APPLY:
        ok = check_apply (g, i, e, slot, why);
        break;
      case PAXOS_EV_SNAPSHOT: {
        PaxosGhostSlot *gs = ghost_slot (g, slot);
        ok = check_sequence (gs, i, slot, e->aux, why);
        break;
      }
      }
      if (!ok) {
        g->seen[i] = k + 1;
        return FALSE;
      }
    }
    g->seen[i] = node->ev_count;
  }
  return TRUE;
}
