/* learner_on_chosen.c: chosen commands arrive at a learner: the
 * single-decree proposer's announcement, or the answer to a catch-up
 * request. */
#include "protocols/paxos/paxos.h"

/* Section 2.3: "each of which can then inform all the learners when a value
 * has been chosen."  Section 3: a server that lags "can ... learn the
 * commands" that others know chosen. */
void
paxos_learner_on_chosen (PaxosNode *node, const ProtoCtx *ctx, int from,
                         const PaxosWireSlot *slots, uint32_t n_slots, int64_t now_us,
                         ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  uint64_t before = node->commit;
  for (uint32_t k = 0; k < n_slots; k++)
    if (slots[k].is_chosen && paxos_slot_in_window (node, slots[k].slot))
      paxos_learn (node, ctx, slots[k].slot, &slots[k].cmd, out);
  paxos_commit_advance (node, ctx, now_us, out);
  if (cfg->mode == PAXOS_MODE_SINGLE) {
    paxos_single_answer (node, ctx, out);
    if (node->role != PAXOS_FOLLOWER)
      paxos_become_follower (node, ctx, now_us, out);
    else if (node->n_pending == 0)
      node->election_deadline_us = PROTO_NO_DEADLINE;
    return;
  }
  if (node->commit > before)
    proto_outbox_note (out, "caught up from n%d to slot %" G_GUINT64_FORMAT, from + 1,
                       node->commit);
  /* More to come: ask again right away. */
  if (n_slots >= PAXOS_CATCHUP_BATCH && node->commit > before && node->commit >= slots[n_slots - 1].slot) {
    node->catchup_asked_us = 0;
    paxos_catchup_ask (node, ctx, from, now_us, out);
  }
}
