/* client.c: the Raft client stub.  It sends the current operation to the
 * node it believes leads, follows redirects, and moves on to the next node
 * when the world's retry timer fires (the last one did not answer).
 *
 * Section 8: "When a client first starts up, it connects to a randomly-
 * chosen server.  If the client's first choice is not the leader, that
 * server will reject the client's request and supply information about the
 * most recent leader it has heard from ... If the leader crashes, client
 * requests will time out; clients then try again with randomly-chosen
 * servers."
 *
 * The stub itself is protocols/leader_client.c; this file only says how
 * a request and a reply look on the wire. */
#include "protocols/raft/raft.h"

#include <string.h>

static size_t
write_request (const ProtoOp *op, void *buf)
{
  RaftClientRequest m;
  memset (&m, 0, sizeof m);
  m.type = RAFT_MSG_CLIENT_REQUEST;
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
  RaftClientReply m;
  if (len != sizeof m)
    return FALSE;
  memcpy (&m, msg, sizeof m);
  if (m.type != RAFT_MSG_CLIENT_REPLY)
    return FALSE;
  switch ((RaftReplyStatus) m.status) {
  case RAFT_REPLY_OK:
    r->status = LEADER_REPLY_OK;
    break;
  case RAFT_REPLY_CAS_FAILED:
    r->status = LEADER_REPLY_FAILED;
    break;
  case RAFT_REPLY_REDIRECT:
    r->status = LEADER_REPLY_REDIRECT;
    break;
  default:
    return FALSE;
  }
  r->seq = m.seq;
  r->has_value = m.has_value;
  r->value = m.value;
  r->leader_hint = m.leader_hint == RAFT_NOBODY ? LEADER_NOBODY : m.leader_hint;
  return TRUE;
}

static const LeaderClientDesc raft_client = {
  .max_keys = RAFT_MAX_KEYS,
  .max_clients = RAFT_MAX_CLIENTS,
  .write_request = write_request,
  .read_reply = read_reply,
};

void
raft_client_step (void *cstate, const ProtoCtx *ctx, const ProtoEvent *ev, ProtoOutbox *out)
{
  leader_client_step (&raft_client, cstate, ctx, ev, out);
}
