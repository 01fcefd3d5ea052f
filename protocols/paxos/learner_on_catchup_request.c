/* learner_on_catchup_request.c: a lagging node asks for chosen commands. */
#include "protocols/paxos/paxos.h"

#include <stddef.h>
#include <string.h>

/* Answers with the chosen commands from `from_slot` on (up to a batch), or
 * with our snapshot when those slots are already compacted into it.  Any
 * node answers: what a learner knows chosen stays chosen. */
void
paxos_learner_on_catchup_request (PaxosNode *node, const ProtoCtx *ctx, int from,
                                  const PaxosCatchupRequest *m, ProtoOutbox *out)
{
  const PaxosPersist *p = &node->persist;
  if (m->from_slot == 0 || m->from_slot > node->commit)
    return; /* we know nothing it lacks */
  if (m->from_slot <= p->snap.index) {
    guint at = out->bytes->len;
    proto_outbox_send (out, from, NULL, 0);
    g_byte_array_set_size (out->bytes, at + (guint) sizeof (PaxosSnapshotMsg));
    PaxosSnapshotMsg s;
    memset (&s, 0, sizeof s);
    s.type = PAXOS_MSG_SNAPSHOT;
    s.index = p->snap.index;
    s.chain = p->snap.chain;
    memcpy (out->bytes->data + at, &s, offsetof (PaxosSnapshotMsg, machine));
    memcpy (out->bytes->data + at + offsetof (PaxosSnapshotMsg, machine), &p->snap.machine,
            sizeof p->snap.machine);
    g_array_index (out->msgs, ProtoOutMsg, out->msgs->len - 1).len = sizeof (PaxosSnapshotMsg);
    return;
  }
  PaxosChosen h;
  memset (&h, 0, sizeof h);
  h.type = PAXOS_MSG_CHOSEN;
  guint at = out->bytes->len;
  proto_outbox_send (out, from, &h, sizeof h);
  uint16_t n = 0;
  for (uint64_t s = m->from_slot; s <= node->commit && n < PAXOS_CATCHUP_BATCH; s++) {
    const PaxosSlot *sl = paxos_slot_c (node, s);
    PaxosWireSlot w;
    memset (&w, 0, sizeof w);
    w.slot = s;
    w.ballot = sl->ballot;
    w.cmd = sl->cmd;
    w.is_chosen = TRUE;
    g_byte_array_append (out->bytes, (const guint8 *) &w, sizeof w);
    n++;
  }
  memcpy (out->bytes->data + at + offsetof (PaxosChosen, n_slots), &n, sizeof n);
  g_array_index (out->msgs, ProtoOutMsg, out->msgs->len - 1).len
    = (uint32_t) (sizeof h + n * sizeof (PaxosWireSlot));
}
