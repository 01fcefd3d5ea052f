/* recv_client_request.c: a client's read or write arrives at a node, which
 * coordinates it.  Dynamo 4.5: "any storage node in Dynamo is eligible to
 * receive client get and put operations for any key"; with version vectors
 * the client picks a node of the key's preference list, so that the
 * coordinator holds the versions its new version descends from. */
#include "protocols/quorum/quorum.h"

void
quorum_recv_client_request (QuorumNode *node, const ProtoCtx *ctx, int from,
                            const QuorumClientRequest *m, int64_t now_us, ProtoOutbox *out)
{
  int client = from - ctx->n_nodes;
  if (client != m->client || m->key >= QUORUM_MAX_KEYS || m->seq == 0
      || m->kind < QUORUM_OP_READ || m->kind > QUORUM_OP_FETCH)
    return; /* malformed: ignore */
  for (int i = 0; i < PROTO_MAX_NODES; i++)
    if (i >= ctx->n_nodes && m->ctx.c[i] != 0)
      return; /* a context naming nodes that do not exist */
  if (quorum_cell_is_vv (ctx) && !quorum_is_replica (node, ctx, m->key, ctx->self))
    return; /* version vectors: only a replica may coordinate (client.c) */
  quorum_coord_start (node, ctx, client, m, now_us, out);
}
