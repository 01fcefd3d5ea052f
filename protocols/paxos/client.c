/* client.c: the Paxos client stub, the same as Raft's: it sends the
 * current operation to a node chosen at random, follows "not the leader,
 * try nX" redirects, and moves on to the next node when the world's retry
 * timer fires (the last one did not answer).  In single mode every node
 * answers, so there are no redirects.
 *
 * A reply of PAXOS_REPLY_FAILED means the operation certainly did not take
 * effect: a cas whose comparison failed, or a single-decree write whose
 * value lost to another.
 *
 * The stub itself is protocols/leader_client.c; this file only says how
 * a request and a reply look on the wire. */
#include "protocols/paxos/paxos.h"

#include <string.h>

static size_t
write_request (const ProtoOp *op, void *buf)
{
  PaxosClientRequest m;
  memset (&m, 0, sizeof m);
  m.type = PAXOS_MSG_CLIENT_REQUEST;
  m.kind = (uint8_t) op->f;
  m.client = (uint8_t) op->client;
  m.key = (uint8_t) op->key;
  m.seq = op->seq;
  m.value = op->value;
  m.expect = op->expect;
  memcpy (buf, &m, sizeof m);
  return sizeof m;
}

static gboolean
read_reply (const void *msg, size_t len, LeaderReply *r)
{
  PaxosClientReply m;
  if (len != sizeof m)
    return FALSE;
  memcpy (&m, msg, sizeof m);
  if (m.type != PAXOS_MSG_CLIENT_REPLY)
    return FALSE;
  switch ((PaxosReplyStatus) m.status) {
  case PAXOS_REPLY_OK:
    r->status = LEADER_REPLY_OK;
    break;
  case PAXOS_REPLY_FAILED:
    r->status = LEADER_REPLY_FAILED;
    break;
  case PAXOS_REPLY_REDIRECT:
    r->status = LEADER_REPLY_REDIRECT;
    break;
  default:
    return FALSE;
  }
  r->seq = m.seq;
  r->has_value = m.has_value;
  r->value = m.value;
  r->leader_hint = m.leader_hint == PAXOS_NOBODY ? LEADER_NOBODY : m.leader_hint;
  return TRUE;
}

static const LeaderClientDesc paxos_client = {
  .max_keys = PAXOS_MAX_KEYS,
  .max_clients = PAXOS_MAX_CLIENTS,
  .write_request = write_request,
  .read_reply = read_reply,
};

void
paxos_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  leader_client_step (&paxos_client, cstate, ctx, ev, out);
}
