/* log.c: digests, the log's slots between the watermarks, and the prepared
 * and committed-local predicates. */
#include "protocols/pbft/pbft.h"

#include <string.h>

uint64_t
pbft_mix (uint64_t h, uint64_t v)
{
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

uint64_t
pbft_bytes_digest (const void *data, size_t len)
{
  /* FNV-1a, then mixed: a collision-resistant digest is what the paper
   * assumes (MD5 there); within one simulated run 64 bits suffice. */
  const uint8_t *p = data;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return pbft_mix (h, len) | 1; /* never 0: 0 means "none" */
}

uint64_t
pbft_request_digest (const PbftRequest *req)
{
  return pbft_bytes_digest (req, sizeof *req);
}

uint64_t
pbft_machine_digest (const PbftMachine *m, uint64_t seq)
{
  return pbft_mix (pbft_bytes_digest (m, sizeof *m), seq) | 1;
}

static uint64_t
request_signature (const PbftRequest *req)
{
  PbftRequest r = *req;
  r.auth = 0;
  return pbft_mix (pbft_bytes_digest (&r, sizeof r), 0x5157u + r.client);
}

void
pbft_request_sign (PbftRequest *req)
{
  req->auth = request_signature (req);
}

void
pbft_request_null (PbftRequest *req, uint32_t variant)
{
  memset (req, 0, sizeof *req);
  req->kind = PBFT_OP_NULL;
  req->t = variant;
}

gboolean
pbft_request_is_valid (const PbftRequest *req)
{
  if (req->kind == PBFT_OP_NULL)
    return TRUE;
  return req->kind <= PBFT_OP_CAS && req->key < PBFT_MAX_KEYS
         && req->client < PBFT_MAX_CLIENTS && req->t > 0 && req->auth == request_signature (req);
}

uint64_t
pbft_high (const PbftNode *node, const ProtoCtx *ctx)
{
  const PbftConfig *cfg = ctx->config;
  return node->stable.seq + pbft_window (cfg);
}

/* 4.2: "a replica accepts ... provided ... the sequence number n is between
 * a low water mark, h, and a high water mark, H". */
PbftSlot *
pbft_slot (PbftNode *node, const ProtoCtx *ctx, uint64_t seq)
{
  if (seq <= node->stable.seq || seq > pbft_high (node, ctx))
    return NULL;
  PbftSlot *s = &node->log[seq % PBFT_LOG_CAP];
  if (s->seq != seq) {
    memset (s, 0, sizeof *s);
    s->seq = seq;
  }
  return s;
}

const PbftSlot *
pbft_slot_peek (const PbftNode *node, uint64_t seq)
{
  const PbftSlot *s = &node->log[seq % PBFT_LOG_CAP];
  return s->seq == seq && seq > node->stable.seq ? s : NULL;
}

/* Records an accepted pre-prepare, and the Q-set entry it makes (TOCS 4.4:
 * one entry per digest, the latest view; the oldest view is forgotten when
 * PBFT_Q_MAX digests are held). */
void
pbft_slot_accept_pre_prepare (PbftNode *node, PbftSlot *s, uint64_t view, uint64_t digest,
                              const PbftRequest *req)
{
  (void) node;
  s->view = view;
  s->digest = digest;
  s->req = *req;
  s->has_pre_prepare = TRUE;
  s->is_prepared = FALSE;
  s->is_committed = FALSE;
  for (int i = 0; i < s->n_q; i++)
    if (s->q[i].digest == digest) {
      s->q[i].view = MAX (s->q[i].view, view);
      return;
    }
  if (s->n_q < PBFT_Q_MAX) {
    s->q[s->n_q++] = (PbftQEntry) { .seq = s->seq, .view = view, .digest = digest };
    return;
  }
  int oldest = 0;
  for (int i = 1; i < s->n_q; i++)
    if (s->q[i].view < s->q[oldest].view)
      oldest = i;
  s->q[oldest] = (PbftQEntry) { .seq = s->seq, .view = view, .digest = digest };
}

void
pbft_send_all (const ProtoCtx *ctx, ProtoOutbox *out, const void *msg, size_t len)
{
  for (int j = 0; j < ctx->n_nodes; j++)
    if (j != ctx->self)
      proto_outbox_send (out, j, msg, len);
}

void
pbft_send_vote_how (const ProtoCtx *ctx, ProtoOutbox *out, int to, uint8_t type,
                    uint64_t view, uint64_t seq, uint64_t digest, uint8_t how)
{
  PbftVote m;
  memset (&m, 0, sizeof m);
  m.type = type;
  m.how = how;
  m.view = view;
  m.seq = seq;
  m.digest = digest;
  if (to < 0)
    pbft_send_all (ctx, out, &m, sizeof m);
  else
    proto_outbox_send (out, to, &m, sizeof m);
}

void
pbft_send_vote (const ProtoCtx *ctx, ProtoOutbox *out, uint8_t type, uint64_t view,
                uint64_t seq, uint64_t digest)
{
  pbft_send_vote_how (ctx, out, -1, type, view, seq, digest, PBFT_VOTE_FIRST);
}

static int
count_matching (const PbftVoteSeen *seen, const ProtoCtx *ctx, uint64_t view, uint64_t digest,
                int skip)
{
  int k = 0;
  for (int j = 0; j < ctx->n_nodes; j++)
    if (j != skip && seen[j].view == view && seen[j].digest == digest)
      k++;
  return k;
}

/* Re-evaluates the predicates of one slot after a message and acts on them.
 *
 * 4.2: "We define the predicate prepared(m, v, n, i) to be true if and only
 * if replica i has inserted in its log: the request m, a pre-prepare for m
 * in view v with sequence number n, and 2f prepares from different backups
 * that match the pre-prepare.  The replicas verify whether the prepares
 * match the pre-prepare by checking that they have the same view, sequence
 * number, and digest."
 * "Replica i multicasts a ⟨COMMIT, v, n, D(m), i⟩ to the other replicas
 * when prepared(m, v, n, i) becomes true."
 * "committed-local(m, v, n, i) is true if and only if prepared(m, v, n, i)
 * is true and i has accepted 2f+1 commits (possibly including its own) from
 * different replicas that match the pre-prepare for m." */
void
pbft_slot_update (PbftNode *node, const ProtoCtx *ctx, PbftSlot *s, int64_t now_us,
                  ProtoOutbox *out)
{
  const PbftConfig *cfg = ctx->config;
  if (!s->has_pre_prepare || s->view != node->view || node->is_view_changing)
    return;
  int n = ctx->n_nodes;
  int q = pbft_quorum (n);
  /* With n = 3f + 1, 2f prepares plus the pre-prepare make a quorum; for
   * other n the quorum is what the intersection argument needs. */
  int need_prepares = q - 1;
  int need_commits = q;
  if (cfg->bug == PBFT_BUG_COMMIT_WITH_2F_PREPARES)
    need_commits = 0; /* seeded bug: the 2f prepares are taken as enough */
  if (!s->is_prepared) {
    int primary = pbft_primary (s->view, n);
    if (count_matching (s->prepares, ctx, s->view, s->digest, primary) >= need_prepares) {
      s->is_prepared = TRUE;
      s->has_p = TRUE;
      s->p = (PbftPEntry) { .seq = s->seq, .view = s->view, .digest = s->digest, .req = s->req };
      proto_outbox_mark (out, "prepared");
      s->commits[ctx->self] = (PbftVoteSeen) { .view = s->view, .digest = s->digest };
      proto_outbox_sync (out);
      pbft_send_vote (ctx, out, PBFT_MSG_COMMIT, s->view, s->seq, s->digest);
    }
  }
  if (s->is_prepared && !s->is_committed
      && count_matching (s->commits, ctx, s->view, s->digest, -1) >= need_commits) {
    s->is_committed = TRUE;
    proto_outbox_mark (out, "committed-local");
    pbft_execute (node, ctx, now_us, out);
  }
}
