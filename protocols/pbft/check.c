/* check.c: PBFT's safety properties, checked across the correct replicas
 * after every step, with ghost state that remembers every view.
 *
 * 4.2 / Theorem (safety): "the algorithm ... ensures that non-faulty
 * replicas agree on the sequence numbers of requests that commit locally",
 * and the service "satisfies linearizability".  The invariants:
 *   agreement: correct replicas never commit-local different requests at
 *     one sequence number, in any views;
 *   total-order: correct replicas execute requests in one order (the hash
 *     chain of what each executed agrees at every sequence number);
 *   client-result: a client never accepts a result that no correct replica
 *     produced (check_client).
 * Byzantine replicas (ctx.is_faulty) are left out: their state says
 * nothing about what they told others. */
#include "protocols/pbft/pbft.h"
#include "protocols/holes.h"

static void
record_produced (PbftGhost *g, const PbftNode *node)
{
  for (int c = 0; c < PBFT_MAX_CLIENTS; c++) {
    const PbftSession *s = &node->machine.sessions[c];
    if (s->t == 0)
      continue;
    __typeof__ (g->produced[0][0]) *ring = g->produced[c];
    gboolean seen = FALSE;
    for (int k = 0; k < PBFT_GHOST_REPLIES && !seen; k++)
      seen = ring[k].t == s->t && ring[k].is_ok == s->is_ok && ring[k].has_value == s->has_value
             && ring[k].value == s->value;
    if (seen)
      continue;
    /* Keep the results of the highest request numbers, not the latest
     * recorded: a replica catching up produces old results again and must
     * not push out those of the client's current request, the only one it
     * can still accept (the client sends t+1 only after accepting t). */
    int slot = 0;
    for (int k = 1; k < PBFT_GHOST_REPLIES; k++)
      if (ring[k].t < ring[slot].t)
        slot = k;
    if (ring[slot].t > s->t)
      continue;
    ring[slot].t = s->t;
    ring[slot].is_ok = s->is_ok;
    ring[slot].has_value = s->has_value;
    ring[slot].value = s->value;
  }
}

/* The ghost's sequence numbers come last and fill from the lowest index
 * written: past seqs[n_seqs] every byte is zero. */
size_t
pbft_ghost_extent (const void *ghost)
{
  const PbftGhost *g = ghost;
  G_STATIC_ASSERT (offsetof (PbftGhost, seqs) + sizeof (((PbftGhost *) NULL)->seqs)
                   == sizeof (PbftGhost));
  return offsetof (PbftGhost, seqs) + (size_t) MIN (g->n_seqs, PBFT_GHOST_SEQS)
                                      * sizeof (PbftGhostSeq);
}

/* The whole state: nothing is known zero at its end. */
size_t
pbft_state_extent (const void *state)
{
  return sizeof (PbftNode);
}

/* A free log slot (seq 0) is zero: a slot is zeroed before it takes a
 * sequence number (pbft_slot) and when a checkpoint frees it.  The latest
 * VIEW-CHANGE of replica j (3.4 KB) is held only with its digest
 * (vcs[j] and vc_digest[j] are written together, and the digest of a
 * message is never 0 in practice; a step that builds its own message sets
 * the digest before it ends): with vc_digest[j] == 0, vcs[j] is zero, as
 * for every slot of a replica beyond the configuration's.  The longest
 * runs of such slots (holes.h). */
int
pbft_state_holes (const void *state, size_t holes[][2])
{
  const PbftNode *node = state;
  ProtoHoles b = proto_holes_start (holes);
  for (int i = 0; i < PBFT_LOG_CAP; i++)
    if (node->log[i].seq == 0)
      proto_holes_zero (&b, offsetof (PbftNode, log) + (size_t) i * sizeof (PbftSlot),
                        offsetof (PbftNode, log) + (size_t) (i + 1) * sizeof (PbftSlot));
  for (int j = 0; j < PROTO_MAX_NODES; j++)
    if (node->vc_digest[j] == 0)
      proto_holes_zero (&b, offsetof (PbftNode, vcs) + (size_t) j * sizeof (PbftViewChange),
                        offsetof (PbftNode, vcs) + (size_t) (j + 1) * sizeof (PbftViewChange));
  return proto_holes_end (&b);
}

gboolean
pbft_check (void *ghost, const void *const *states, const gboolean *is_up,
            const ProtoCtx *ctxs, int n_nodes, GString *why)
{
  PbftGhost *g = ghost;
  (void) is_up;
  for (int i = 0; i < n_nodes; i++) {
    if (ctxs[i].is_faulty)
      continue;
    const PbftNode *node = states[i];
    for (int k = 0; k < PBFT_LOG_CAP; k++) {
      const PbftSlot *s = &node->log[k];
      if (s->seq == 0 || !s->is_committed)
        continue;
      __typeof__ (g->seqs[0].committed) *c = &g->seqs[s->seq % PBFT_GHOST_SEQS].committed;
      if (c->seq == s->seq && c->digest != s->digest) {
        g_string_append_printf (why, "agreement: n%d committed %016" G_GINT64_MODIFIER "x and n%d "
                                "committed %016" G_GINT64_MODIFIER "x at sequence number %"
                                G_GUINT64_FORMAT, c->node + 1, c->digest, i + 1, s->digest,
                                s->seq);
        return FALSE;
      }
      if (c->seq != s->seq) {
        c->seq = s->seq;
        c->digest = s->digest;
        c->node = i;
        g->n_seqs = MAX (g->n_seqs, s->seq % PBFT_GHOST_SEQS + 1);
      }
    }
    if (node->last_exec > 0) {
      __typeof__ (g->seqs[0].executed) *e = &g->seqs[node->last_exec % PBFT_GHOST_SEQS].executed;
      if (e->seq == node->last_exec && e->chain != node->machine.exec_chain) {
        g_string_append_printf (why, "total-order: n%d and n%d executed different requests up "
                                "to sequence number %" G_GUINT64_FORMAT, e->node + 1, i + 1,
                                node->last_exec);
        return FALSE;
      }
      if (e->seq != node->last_exec) {
        e->seq = node->last_exec;
        e->chain = node->machine.exec_chain;
        e->node = i;
        g->n_seqs = MAX (g->n_seqs, node->last_exec % PBFT_GHOST_SEQS + 1);
      }
    }
    record_produced (g, node);
  }
  return TRUE;
}

gboolean
pbft_check_client (void *ghost, const void *cstate, const ProtoCtx *ctx, GString *why)
{
  const PbftGhost *g = ghost;
  const PbftClient *c = cstate;
  if (!c->has_accepted || c->op.client >= PBFT_MAX_CLIENTS)
    return TRUE;
  const __typeof__ (g->produced[0][0]) *ring = g->produced[c->op.client];
  for (int k = 0; k < PBFT_GHOST_REPLIES; k++)
    if (ring[k].t == c->accepted_t && ring[k].is_ok == c->accepted_is_ok
        && ring[k].has_value == c->accepted_has_value
        && (!c->accepted_has_value || ring[k].value == c->accepted_value))
      return TRUE;
  g_string_append_printf (why, "client-result: c%d accepted %s%s%" G_GINT64_FORMAT " for its "
                          "request %u, which no correct replica produced",
                          ctx->self - ctx->n_nodes + 1, c->accepted_is_ok ? "ok " : "fail ",
                          c->accepted_has_value ? "" : "nil ", c->accepted_value,
                          c->accepted_t);
  return FALSE;
}
