/* log.c: the slots of the log, what the learner does with chosen commands
 * (commit point, state machine, client replies), and compaction into
 * snapshots. */
#include "protocols/paxos/paxos.h"
#include "protocols/holes.h"

#include <string.h>

/* The events for check() come last in the state, and the ring fills from
 * its first entry: the bytes past ev[ev_count] are zero until the ring
 * wraps (a crash zeroes it with the rest of the volatile state, and the
 * persist region, which a disk image fills, comes first). */
size_t
paxos_state_extent (const void *state)
{
  const PaxosNode *node = state;
  G_STATIC_ASSERT (offsetof (PaxosNode, ev) + sizeof (((PaxosNode *) NULL)->ev)
                   == sizeof (PaxosNode));
  G_STATIC_ASSERT (offsetof (PaxosNode, persist) == 0);
  if (node->ev_count >= PAXOS_EV_RING)
    return sizeof (PaxosNode);
  return offsetof (PaxosNode, ev) + (size_t) node->ev_count * sizeof (PaxosEv);
}

/* Holes (protocol.h): the log's free ring slots and, outside phase 1, the
 * phase-1 reports.  The slots in use are those after the snapshot up to
 * last_slot, at most the ring's size; every other slot was zeroed when a
 * snapshot covered it (paxos_compact, paxos_install_snapshot) or never
 * written, as a slot is written only with last_slot raised past it.  The
 * reports are zeroed when phase 1 starts and written only with
 * report_max_slot raised to their slot (from 1): with it 0, all are zero. */
int
paxos_state_holes (const void *state, size_t holes[][2])
{
  const PaxosNode *node = state;
  const PaxosPersist *p = &node->persist;
  ProtoHoles b = proto_holes_start (holes);
  size_t log_at = offsetof (PaxosNode, persist) + offsetof (PaxosPersist, log);
  uint64_t used = p->last_slot > p->snap.index ? p->last_slot - p->snap.index : 0;
  if (used < PAXOS_LOG_CAP) {
    /* Used: the ring positions first, first + 1, ..., first + used - 1. */
    size_t first = (size_t) ((p->snap.index + 1) % PAXOS_LOG_CAP);
    size_t end = first + (size_t) used; /* past PAXOS_LOG_CAP: wraps */
    size_t slot = sizeof (PaxosSlot);
    if (used == 0) {
      proto_holes_zero (&b, log_at, log_at + PAXOS_LOG_CAP * slot);
    } else if (end <= PAXOS_LOG_CAP) {
      proto_holes_zero (&b, log_at, log_at + first * slot);
      proto_holes_zero (&b, log_at + end * slot, log_at + PAXOS_LOG_CAP * slot);
    } else {
      proto_holes_zero (&b, log_at + (end - PAXOS_LOG_CAP) * slot, log_at + first * slot);
    }
  }
  if (node->report_max_slot == 0)
    proto_holes_zero (&b, offsetof (PaxosNode, reports),
                      offsetof (PaxosNode, reports) + sizeof node->reports);
  return proto_holes_end (&b);
}

void
paxos_ev_push (PaxosNode *node, PaxosEvKind kind, uint64_t slot, uint64_t ballot, uint64_t hash,
               uint64_t aux)
{
  PaxosEv *e = &node->ev[node->ev_count % PAXOS_EV_RING];
  e->slot = slot | (uint64_t) kind << 56;
  e->ballot = ballot;
  e->hash = hash;
  e->aux = aux;
  node->ev_count++;
}

/* The acceptor accepts cmd in `ballot` for `slot`; check() hears of it. */
void
paxos_accept_slot (PaxosNode *node, uint64_t slot, uint64_t ballot, const PaxosCmd *cmd)
{
  PaxosPersist *p = &node->persist;
  PaxosSlot *sl = paxos_slot (node, slot);
  paxos_ev_push (node, PAXOS_EV_ACCEPT, slot, ballot, paxos_cmd_hash (cmd),
                 MAX (p->promised, node->boot_promised));
  sl->ballot = ballot;
  sl->cmd = *cmd;
  paxos_slot_seal (sl);
  if (ballot > p->promised)
    p->promised = ballot;
  if (slot > p->last_slot)
    p->last_slot = slot;
}

/* The learner hears that cmd was chosen for slot (section 2.3: "the
 * learner must find out that a proposal has been accepted by a majority of
 * acceptors"). */
void
paxos_learn (PaxosNode *node, const ProtoCtx *ctx, uint64_t slot, const PaxosCmd *cmd,
             ProtoOutbox *out)
{
  PaxosPersist *p = &node->persist;
  if (!paxos_slot_in_window (node, slot))
    return;
  PaxosSlot *sl = paxos_slot (node, slot);
  if (sl->is_chosen)
    return;
  sl->cmd = *cmd;
  sl->is_chosen = TRUE;
  paxos_slot_seal (sl);
  if (slot > p->last_slot)
    p->last_slot = slot;
}

uint64_t
paxos_chain_next (uint64_t chain, const PaxosCmd *cmd)
{
  uint64_t h = chain * 0x9e3779b97f4a7c15ULL ^ paxos_cmd_hash (cmd);
  h = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ULL;
  return (h ^ (h >> 29)) | 1u;
}

void
paxos_reply (ProtoOutbox *out, const ProtoCtx *ctx, int client, uint32_t seq,
             PaxosReplyStatus status, gboolean has_value, int64_t value, int leader_hint)
{
  PaxosClientReply r;
  memset (&r, 0, sizeof r);
  r.type = PAXOS_MSG_CLIENT_REPLY;
  r.status = (uint8_t) status;
  r.has_value = (uint8_t) has_value;
  r.leader_hint = (int8_t) leader_hint;
  r.seq = seq;
  r.value = value;
  proto_outbox_send (out, ctx->n_nodes + client, &r, sizeof r);
}

/* Section 3: "the state machine ... execute[s] commands in sequence".
 * Client sessions: the machine keeps each client's last applied request and
 * its reply, so a retried request reaching the log twice is applied once. */
static void
apply_cmd (PaxosNode *node, const ProtoCtx *ctx, const PaxosCmd *c, ProtoOutbox *out)
{
  if (c->kind == PAXOS_CMD_NOOP)
    return;
  PaxosMachine *m = &node->machine;
  PaxosSession *s = &m->sessions[c->client];
  if (c->seq <= s->seq) {
    proto_outbox_mark (out, "duplicate-request-suppressed");
    proto_outbox_note (out, "c%u #%u already applied: not applied again", c->client + 1u, c->seq);
    return;
  }
  PaxosCell *cell = &m->kv[c->key];
  s->seq = c->seq;
  s->is_ok = TRUE;
  s->has_value = FALSE;
  s->value = 0;
  switch ((PaxosCmdKind) c->kind) {
  case PAXOS_CMD_READ:
    s->has_value = cell->has_value;
    s->value = cell->value;
    break;
  case PAXOS_CMD_WRITE:
    cell->has_value = TRUE;
    cell->value = c->value;
    break;
  case PAXOS_CMD_CAS:
    s->is_ok = cell->has_value && cell->value == c->expect;
    if (s->is_ok)
      cell->value = c->value;
    break;
  case PAXOS_CMD_NOOP:
    break;
  }
  const PaxosConfig *cfg = ctx->config;
  if (node->role == PAXOS_LEADER && cfg->mode == PAXOS_MODE_MULTI)
    paxos_reply (out, ctx, c->client, c->seq, s->is_ok ? PAXOS_REPLY_OK : PAXOS_REPLY_FAILED,
                 s->has_value, s->value, ctx->self);
}

/* Moves the commit point over every chosen slot, applies them in order,
 * and compacts the log once enough is applied. */
void
paxos_commit_advance (PaxosNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  while (paxos_slot_in_window (node, node->commit + 1)
         && paxos_slot_c (node, node->commit + 1)->is_chosen)
    node->commit++;
  while (node->last_applied < node->commit) {
    node->last_applied++;
    const PaxosCmd *c = &paxos_slot_c (node, node->last_applied)->cmd;
    apply_cmd (node, ctx, c, out);
    node->applied_chain = paxos_chain_next (node->applied_chain, c);
    paxos_ev_push (node, PAXOS_EV_APPLY, node->last_applied, 0, paxos_cmd_hash (c),
                   node->applied_chain);
  }
  if (cfg->mode == PAXOS_MODE_MULTI
      && node->last_applied - node->persist.snap.index >= (uint64_t) cfg->snapshot_threshold)
    paxos_compact (node, ctx, out);
}

/* Everything up to last_applied is chosen and applied: keep the state
 * machine instead of the slots. */
void
paxos_compact (PaxosNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  PaxosPersist *p = &node->persist;
  uint64_t upto = node->last_applied;
  if (upto <= p->snap.index)
    return;
  for (uint64_t s = p->snap.index + 1; s <= upto; s++)
    memset (&p->log[s % PAXOS_LOG_CAP], 0, sizeof (PaxosSlot));
  p->snap.index = upto;
  p->snap.chain = node->applied_chain;
  p->snap.machine = node->machine;
  paxos_snap_seal (&p->snap);
  proto_outbox_note (out, "snapshot at slot %" G_GUINT64_FORMAT, upto);
}

/* Replaces every slot up to `index` with a snapshot another node took. */
void
paxos_install_snapshot (PaxosNode *node, uint64_t index, uint64_t chain,
                        const PaxosMachine *machine)
{
  PaxosPersist *p = &node->persist;
  g_assert (index > node->commit);
  for (uint64_t s = p->snap.index + 1; s <= index && s <= p->snap.index + PAXOS_LOG_CAP; s++)
    memset (&p->log[s % PAXOS_LOG_CAP], 0, sizeof (PaxosSlot));
  if (index >= p->snap.index + PAXOS_LOG_CAP)
    memset (p->log, 0, sizeof p->log);
  p->snap.index = index;
  p->snap.chain = chain;
  p->snap.machine = *machine;
  paxos_snap_seal (&p->snap);
  if (p->last_slot < index)
    p->last_slot = index;
  node->machine = *machine;
  node->commit = index;
  node->last_applied = index;
  node->applied_chain = chain;
  paxos_ev_push (node, PAXOS_EV_SNAPSHOT, index, 0, 0, chain);
}

/* A learner that sees chosen slots it does not have asks `peer` for them,
 * at most once per heartbeat interval. */
void
paxos_catchup_ask (PaxosNode *node, const ProtoCtx *ctx, int peer, int64_t now_us,
                   ProtoOutbox *out)
{
  const PaxosConfig *cfg = ctx->config;
  if (node->catchup_asked_us != 0 && now_us - node->catchup_asked_us < cfg->heartbeat_us)
    return;
  node->catchup_asked_us = now_us;
  proto_outbox_mark (out, "catch-up");
  proto_outbox_note (out, "behind: asks n%d for slots from %" G_GUINT64_FORMAT, peer + 1,
                     node->commit + 1);
  PaxosCatchupRequest m;
  memset (&m, 0, sizeof m);
  m.type = PAXOS_MSG_CATCHUP_REQUEST;
  m.from_slot = node->commit + 1;
  proto_outbox_send (out, peer, &m, sizeof m);
}
