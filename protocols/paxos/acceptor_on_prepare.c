/* acceptor_on_prepare.c: a prepare request (phase 1a) arrives at an
 * acceptor. */
#include "protocols/paxos/paxos.h"

#include <stddef.h>
#include <string.h>

/* Section 2.2, phase 1 (b): "If an acceptor receives a prepare request with
 * number n greater than that of any prepare request to which it has already
 * responded, then it responds to the request with a promise not to accept
 * any more proposals numbered less than n and with the highest-numbered
 * proposal (if any) that it has accepted."
 *
 * Section 2.3 also lets it tell a proposer with a lower number to give up:
 * "an acceptor ... should inform the proposer, who should then abandon its
 * proposal."  That is the rejected promise, which carries the higher
 * ballot.  In Multi-Paxos one prepare covers every slot from `from_slot`
 * on, so the promise lists each slot the acceptor has accepted (or knows
 * chosen) from there; a prepare repeated with the same number is answered
 * the same way again.  The promise is made durable before it leaves. */
void
paxos_acceptor_on_prepare (PaxosNode *node, const ProtoCtx *ctx, int from,
                           const PaxosPrepare *m, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  PaxosPersist *p = &node->persist;
  PaxosPromise r;
  memset (&r, 0, sizeof r);
  r.type = PAXOS_MSG_PROMISE;
  r.ballot = m->ballot;
  if (m->ballot < p->promised) {
    g_autoptr (GString) a = g_string_new (NULL);
    g_autoptr (GString) b = g_string_new (NULL);
    paxos_format_ballot (m->ballot, a);
    paxos_format_ballot (p->promised, b);
    proto_outbox_mark (out, "promise-rejected");
    proto_outbox_note (out, "prepare %s from n%d rejected: promised %s", a->str, from + 1, b->str);
    r.promised = p->promised;
    proto_outbox_send (out, from, &r, sizeof r);
    return;
  }
  if (m->ballot > p->promised) {
    p->promised = m->ballot;
    proto_outbox_sync (out);
    paxos_see_ballot (node, ctx, m->ballot, now_us, out);
    node->leader = PAXOS_NOBODY;
    if (cfg->mode == PAXOS_MODE_MULTI && node->role == PAXOS_FOLLOWER)
      node->election_deadline_us = paxos_random_timeout (node, cfg, now_us);
  }
  r.is_ok = TRUE;
  r.promised = p->promised;
  r.snap_index = p->snap.index;
  /* The promise goes straight into the outbox, its slots after it. */
  guint at = out->bytes->len;
  proto_outbox_send (out, from, &r, sizeof r);
  uint64_t first = MAX (m->from_slot, p->snap.index + 1);
  uint16_t n = 0;
  for (uint64_t s = first; s <= p->last_slot && paxos_slot_in_window (node, s); s++) {
    const PaxosSlot *sl = paxos_slot_c (node, s);
    if (sl->ballot == 0 && !sl->is_chosen)
      continue;
    PaxosWireSlot w;
    memset (&w, 0, sizeof w);
    w.slot = s;
    w.ballot = sl->ballot;
    w.cmd = sl->cmd;
    w.is_chosen = sl->is_chosen;
    g_byte_array_append (out->bytes, (const guint8 *) &w, sizeof w);
    n++;
  }
  memcpy (out->bytes->data + at + offsetof (PaxosPromise, n_slots), &n, sizeof n);
  g_array_index (out->msgs, ProtoOutMsg, out->msgs->len - 1).len
    = (uint32_t) (sizeof r + n * sizeof (PaxosWireSlot));
}
