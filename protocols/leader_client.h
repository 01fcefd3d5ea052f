/* leader_client.h: a client stub for a cluster with one leader at a time
 * (Raft, Multi-Paxos).  It sends the current operation to the node it
 * believes leads (first a random one), follows "not the leader, try nX"
 * redirects, moves on to the next node when the world's retry timer fires
 * (the last one did not answer), and completes on the reply.
 *
 * The protocol keeps its own request and reply messages; a small
 * descriptor says how to write the one and read the other. */
#pragma once

#include "protocols/pcg32.h"
#include "protocols/protocol.h"

/* The client's state (the protocol's client_state_size bytes). */
typedef struct {
  ProtoOp op;
  Pcg32 rng;
  int32_t target;    /* node the current attempt went to */
  uint32_t hops;     /* redirects followed in this attempt */
  uint8_t is_open;
  uint8_t is_seeded;
  uint8_t pad[6];
} LeaderClient;

typedef enum {
  LEADER_REPLY_OK,
  LEADER_REPLY_FAILED,   /* certainly not done (e.g. cas comparison failed) */
  LEADER_REPLY_REDIRECT, /* not the leader; leader_hint if known */
} LeaderReplyStatus;

#define LEADER_NOBODY (-1)

/* A reply as the protocol read it off the wire. */
typedef struct {
  LeaderReplyStatus status;
  uint32_t seq;
  gboolean has_value;
  int64_t value;
  int leader_hint;       /* a node, or LEADER_NOBODY if unknown */
} LeaderReply;

#define LEADER_CLIENT_MAX_REQUEST 64

typedef struct {
  int max_keys, max_clients;  /* operations beyond these fail at once */
  /* Writes the request for `op` into `buf` (at most LEADER_CLIENT_MAX_REQUEST
   * bytes) and returns its length. */
  size_t (*write_request) (const ProtoOp *op, void *buf);
  /* Reads a client reply; FALSE if `msg` is not one. */
  gboolean (*read_reply) (const void *msg, size_t len, LeaderReply *r);
} LeaderClientDesc;

void leader_client_step (const LeaderClientDesc *desc, LeaderClient *c, const ProtoCtx *ctx,
                         const ProtoEvent *ev, ProtoOutbox *out);

/* Trace labels of the client's messages, the same for every protocol that
 * uses this stub: "Request(c1 #3: cas k0 1 -> 2)" for a request (kind is a
 * ProtoOpKind), and "Redirect(#3, leader n2)", "Reply(#3, ok, 7)" or
 * "Reply(#3, FAILED)" for a reply, FAILED being the protocol's word for
 * why it failed ("cas failed"). */
void leader_client_format_request (GString *out, unsigned client, uint32_t seq, unsigned kind,
                                   unsigned key, int64_t value, int64_t expect);
void leader_client_format_reply (GString *out, const LeaderReply *r, const char *failed);
