/* view_change.c: view changes as in TOCS 2002, section 4.5 (the version
 * of the protocol with authenticators, whose view change needs no signed
 * certificates): the VIEW-CHANGE message with its P and Q sets, the new
 * primary's decision procedure (Figure 4), and entering the new view. */
#include "protocols/pbft/pbft.h"

#include <string.h>

/* ---- Wire forms ----------------------------------------------------------*/

size_t
pbft_view_change_wire (const PbftViewChange *vc, uint8_t *buf, size_t cap)
{
  const PbftViewChangeHead *h = &vc->head;
  size_t len = sizeof *h + h->n_c * sizeof (PbftQEntry) + h->n_p * sizeof (PbftPEntry)
               + h->n_q * sizeof (PbftQEntry);
  g_assert (len <= cap);
  uint8_t *p = buf;
  memcpy (p, h, sizeof *h);
  p += sizeof *h;
  memcpy (p, vc->c, h->n_c * sizeof (PbftQEntry));
  p += h->n_c * sizeof (PbftQEntry);
  memcpy (p, vc->p, h->n_p * sizeof (PbftPEntry));
  p += h->n_p * sizeof (PbftPEntry);
  memcpy (p, vc->q, h->n_q * sizeof (PbftQEntry));
  return len;
}

gboolean
pbft_view_change_parse (const void *msg, size_t len, PbftViewChange *vc)
{
  memset (vc, 0, sizeof *vc);
  if (len < sizeof vc->head)
    return FALSE;
  memcpy (&vc->head, msg, sizeof vc->head);
  const PbftViewChangeHead *h = &vc->head;
  if (h->n_c > G_N_ELEMENTS (vc->c) || h->n_p > G_N_ELEMENTS (vc->p)
      || h->n_q > G_N_ELEMENTS (vc->q))
    return FALSE;
  size_t want = sizeof *h + h->n_c * sizeof (PbftQEntry) + h->n_p * sizeof (PbftPEntry)
                + h->n_q * sizeof (PbftQEntry);
  if (len != want)
    return FALSE;
  const uint8_t *p = (const uint8_t *) msg + sizeof *h;
  memcpy (vc->c, p, h->n_c * sizeof (PbftQEntry));
  p += h->n_c * sizeof (PbftQEntry);
  memcpy (vc->p, p, h->n_p * sizeof (PbftPEntry));
  p += h->n_p * sizeof (PbftPEntry);
  memcpy (vc->q, p, h->n_q * sizeof (PbftQEntry));
  /* A P entry carries its request: it must be one a client signed, with
   * that digest, at most one entry per sequence number. */
  for (int i = 0; i < h->n_p; i++) {
    const PbftPEntry *e = &vc->p[i];
    if (!pbft_request_is_valid (&e->req) || pbft_request_digest (&e->req) != e->digest
        || e->seq <= h->h)
      return FALSE;
    for (int k = 0; k < i; k++)
      if (vc->p[k].seq == e->seq)
        return FALSE;
  }
  return TRUE;
}

size_t
pbft_new_view_wire (const PbftNewView *nv, uint8_t *buf, size_t cap)
{
  size_t len = sizeof nv->head + nv->head.n_x * sizeof (PbftPEntry);
  g_assert (len <= cap);
  memcpy (buf, &nv->head, sizeof nv->head);
  memcpy (buf + sizeof nv->head, nv->x, nv->head.n_x * sizeof (PbftPEntry));
  return len;
}

gboolean
pbft_new_view_parse (const void *msg, size_t len, PbftNewView *nv)
{
  memset (nv, 0, sizeof *nv);
  if (len < sizeof nv->head)
    return FALSE;
  memcpy (&nv->head, msg, sizeof nv->head);
  if (nv->head.n_x > PBFT_LOG_CAP || len != sizeof nv->head + nv->head.n_x * sizeof (PbftPEntry))
    return FALSE;
  memcpy (nv->x, (const uint8_t *) msg + sizeof nv->head, nv->head.n_x * sizeof (PbftPEntry));
  return TRUE;
}

static void
send_view_change (const PbftNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  uint8_t *buf = g_malloc (sizeof (PbftViewChange));
  size_t len = pbft_view_change_wire (&node->vcs[ctx->self], buf, sizeof (PbftViewChange));
  pbft_send_all (ctx, out, buf, len);
  g_free (buf);
}

/* ---- Starting a view change ----------------------------------------------*/

/* 4.4: "If the timer of backup i expires in view v, the backup starts a
 * view change to move the system to view v+1.  It stops accepting messages
 * (other than checkpoint, view-change, and new-view messages) and
 * multicasts a ⟨VIEW-CHANGE, v+1, n, C, P, i⟩ message".  TOCS 4.5: the
 * message carries h, the checkpoints C, and the P and Q sets; "if the timer
 * of replica i expires in view v+1 before it receives a valid new-view
 * message ... it starts a view change for view v+2 but this time it will
 * wait 2T". */
void
pbft_view_change_start (PbftNode *node, const ProtoCtx *ctx, uint64_t view, int64_t now_us,
                        ProtoOutbox *out)
{
  const PbftConfig *cfg = ctx->config;
  g_assert (view > node->view || (view == node->view && !node->is_view_changing));
  node->view = view;
  node->is_view_changing = TRUE;
  node->vc_deadline_us = INT64_MAX; /* pbft_new_view_timer_start */
  proto_outbox_mark (out, "view-change-started");
  proto_outbox_note (out, "view change to view %" G_GUINT64_FORMAT, view);

  PbftViewChange *vc = &node->vcs[ctx->self];
  memset (vc, 0, sizeof *vc);
  vc->head.type = PBFT_MSG_VIEW_CHANGE;
  vc->head.view = view;
  vc->head.h = node->stable.seq;
  vc->c[vc->head.n_c++] = (PbftQEntry) { .seq = node->stable.seq, .digest = node->stable.digest };
  for (int i = 0; i < PBFT_CKPT_RING; i++)
    if (node->own[i].seq > node->stable.seq)
      vc->c[vc->head.n_c++] = (PbftQEntry) { .seq = node->own[i].seq,
                                            .digest = node->own[i].digest };
  gboolean keep_certificates = cfg->bug != PBFT_BUG_VIEW_CHANGE_WITHOUT_CERTIFICATES;
  for (uint64_t seq = node->stable.seq + 1; seq <= pbft_high (node, ctx); seq++) {
    const PbftSlot *s = pbft_slot_peek (node, seq);
    if (s == NULL || !keep_certificates)
      continue;
    if (s->has_p)
      vc->p[vc->head.n_p++] = s->p;
    for (int k = 0; k < s->n_q; k++)
      vc->q[vc->head.n_q++] = s->q[k];
  }
  uint8_t *buf = g_malloc (sizeof (PbftViewChange));
  size_t len = pbft_view_change_wire (vc, buf, sizeof (PbftViewChange));
  node->vc_digest[ctx->self] = pbft_bytes_digest (buf, len);
  g_free (buf);
  proto_outbox_sync (out);
  send_view_change (node, ctx, out);
  pbft_new_view_timer_start (node, ctx, now_us);
  if (pbft_primary (view, ctx->n_nodes) == ctx->self)
    pbft_new_view_try (node, ctx, now_us, out);
  else if (node->has_new_view && node->new_view.head.view == view)
    pbft_backup_on_new_view (node, ctx, pbft_primary (view, ctx->n_nodes), &node->new_view,
                             now_us, out);
}

/* OSDI 4.5.2: "A replica that sends a view-change message for view v+1
 * waits for 2f+1 view-change messages for view v+1 and then starts its
 * timer to expire after some time T.  If the timer expires before it
 * receives a valid new-view message for v+1 or before it executes a request
 * in the new view that it had not executed previously, it starts the view
 * change for view v+2 but this time it will wait 2T".  A replica cut off
 * from the others therefore stays in the first view it moved to, instead
 * of running views ahead alone (and out of reach of the others' join rule,
 * which needs f+1 of them) by the time the network heals. */
void
pbft_new_view_timer_start (PbftNode *node, const ProtoCtx *ctx, int64_t now_us)
{
  if (!node->is_view_changing || node->vc_deadline_us != INT64_MAX)
    return;
  int held = 0;
  for (int j = 0; j < ctx->n_nodes; j++)
    held += node->vc_digest[j] != 0 && node->vcs[j].head.view == node->view;
  if (held < pbft_quorum (ctx->n_nodes))
    return;
  node->vc_deadline_us = now_us + node->vc_timeout_us;
  node->vc_timeout_us = MIN (node->vc_timeout_us * 2, (int64_t) 1 << 40);
}

/* ---- The decision procedure (TOCS Figure 4) ------------------------------*/

typedef struct {
  const PbftViewChange *m[PROTO_MAX_NODES];
  int n;
} VcSet;

static const PbftPEntry *
p_for (const PbftViewChange *vc, uint64_t seq)
{
  for (int i = 0; i < vc->head.n_p; i++)
    if (vc->p[i].seq == seq)
      return &vc->p[i];
  return NULL;
}

/* A1: "at least 2f+1 messages m' in S have m'.h < n and m'.P has no entry
 * for n, or an entry ⟨n, d', v'⟩ with v' < v or (v' = v and d' = d)". */
static int
count_a1 (const VcSet *s, uint64_t seq, uint64_t view, uint64_t digest)
{
  int k = 0;
  for (int i = 0; i < s->n; i++) {
    if (s->m[i]->head.h >= seq)
      continue;
    const PbftPEntry *e = p_for (s->m[i], seq);
    if (e == NULL || e->view < view || (e->view == view && e->digest == digest))
      k++;
  }
  return k;
}

/* A2: "at least f+1 messages m' in S have ⟨n, d, v'⟩ in m'.Q with v' >= v". */
static int
count_a2 (const VcSet *s, uint64_t seq, uint64_t view, uint64_t digest)
{
  int k = 0;
  for (int i = 0; i < s->n; i++) {
    const PbftViewChange *m = s->m[i];
    for (int j = 0; j < m->head.n_q; j++)
      if (m->q[j].seq == seq && m->q[j].digest == digest && m->q[j].view >= view) {
        k++;
        break;
      }
  }
  return k;
}

/* B: "at least 2f+1 messages m' in S have m'.h < n and m'.P has no entry
 * for n". */
static int
count_b (const VcSet *s, uint64_t seq)
{
  int k = 0;
  for (int i = 0; i < s->n; i++)
    if (s->m[i]->head.h < seq && p_for (s->m[i], seq) == NULL)
      k++;
  return k;
}

gboolean
pbft_decide (const PbftNode *node, const ProtoCtx *ctx, uint64_t view, uint32_t senders,
             PbftNewView *nv)
{
  const PbftConfig *cfg = ctx->config;
  int n = ctx->n_nodes, f = pbft_f (n), q = pbft_quorum (n);
  VcSet s = { .n = 0 };
  memset (nv, 0, sizeof *nv);
  for (int j = 0; j < n; j++)
    if ((senders >> j) & 1) {
      if (node->vc_digest[j] == 0 || node->vcs[j].head.view != view)
        return FALSE;
      s.m[s.n++] = &node->vcs[j];
      nv->head.vc_digest[j] = node->vc_digest[j];
    }
  if (s.n < q)
    return FALSE;

  /* The checkpoint: "the primary selects the checkpoint with the highest
   * number h such that at least 2f+1 messages have h_j <= h and f+1
   * messages have a checkpoint ⟨h, d⟩ in C". */
  gboolean has_ckpt = FALSE;
  uint64_t ck_seq = 0, ck_digest = 0;
  for (int i = 0; i < s.n; i++)
    for (int k = 0; k < s.m[i]->head.n_c; k++) {
      const PbftQEntry *c = &s.m[i]->c[k];
      if (has_ckpt && (c->seq < ck_seq || (c->seq == ck_seq && c->digest >= ck_digest)))
        continue;
      int low = 0, vouch = 0;
      for (int l = 0; l < s.n; l++) {
        if (s.m[l]->head.h <= c->seq)
          low++;
        for (int r = 0; r < s.m[l]->head.n_c; r++)
          if (s.m[l]->c[r].seq == c->seq && s.m[l]->c[r].digest == c->digest) {
            vouch++;
            break;
          }
      }
      if (low >= q && vouch >= f + 1) {
        has_ckpt = TRUE;
        ck_seq = c->seq;
        ck_digest = c->digest;
      }
    }
  if (!has_ckpt)
    return FALSE;
  nv->head.type = PBFT_MSG_NEW_VIEW;
  nv->head.view = view;
  nv->head.ckpt_seq = ck_seq;
  nv->head.ckpt_digest = ck_digest;

  uint64_t max_seq = ck_seq;
  for (int i = 0; i < s.n; i++)
    for (int k = 0; k < s.m[i]->head.n_p; k++)
      if (s.m[i]->p[k].seq > max_seq && s.m[i]->p[k].seq <= ck_seq + pbft_window (cfg))
        max_seq = s.m[i]->p[k].seq;

  for (uint64_t seq = ck_seq + 1; seq <= max_seq; seq++) {
    /* Candidates: every P entry for seq, best (highest view, then lowest
     * digest) first, so every replica picks the same one. */
    const PbftPEntry *best = NULL;
    for (int i = 0; i < s.n; i++) {
      const PbftPEntry *e = p_for (s.m[i], seq);
      if (e == NULL || count_a1 (&s, seq, e->view, e->digest) < q
          || count_a2 (&s, seq, e->view, e->digest) < f + 1)
        continue;
      if (best == NULL || e->view > best->view
          || (e->view == best->view && e->digest < best->digest))
        best = e;
    }
    PbftPEntry *x = &nv->x[nv->head.n_x++];
    if (best != NULL) {
      *x = *best;
      x->view = 0;
    } else if (count_b (&s, seq) >= q) {
      memset (x, 0, sizeof *x);
      pbft_request_null (&x->req, 0);
      x->digest = pbft_request_digest (&x->req);
    } else {
      return FALSE; /* wait for more view-change messages */
    }
    x->seq = seq;
  }
  return TRUE;
}

/* The new primary: once the view-change messages it holds decide, it
 * multicasts NEW-VIEW and enters the view.  TOCS 4.5: "the primary ... adds
 * ... messages to S until the decision procedure can decide", and a
 * message from j joins S only with 2f-1 view-change-acks for it: with the
 * primary and j that is 2f+1 replicas holding it, at least f+1 of them
 * correct besides j, so every correct backup can obtain it (vc_relay.c)
 * even if j sent others a different one. */
void
pbft_new_view_try (PbftNode *node, const ProtoCtx *ctx, int64_t now_us, ProtoOutbox *out)
{
  if (!node->is_view_changing || pbft_primary (node->view, ctx->n_nodes) != ctx->self)
    return;
  int need_acks = 2 * pbft_f (ctx->n_nodes) - 1;
  uint32_t senders = 0;
  for (int j = 0; j < ctx->n_nodes; j++)
    if (node->vc_digest[j] != 0 && node->vcs[j].head.view == node->view
        && (j == ctx->self || __builtin_popcount (node->vc_acks[j]) >= need_acks))
      senders |= 1u << j;
  PbftNewView *nv = g_malloc (sizeof *nv);
  if (pbft_decide (node, ctx, node->view, senders, nv)) {
    proto_outbox_mark (out, "new-view-sent");
    uint8_t *buf = g_malloc (sizeof *nv);
    size_t len = pbft_new_view_wire (nv, buf, sizeof *nv);
    pbft_send_all (ctx, out, buf, len);
    g_free (buf);
    pbft_new_view_enter (node, ctx, nv, now_us, out);
  }
  g_free (nv);
}

/* Entering view v with the new-view's decisions: "the primary ... enters
 * view v+1: at this point it is able to accept messages for view v+1";
 * every replica adds the pre-prepares of X to its log and backups multicast
 * a prepare for each (OSDI 4.4). */
void
pbft_new_view_enter (PbftNode *node, const ProtoCtx *ctx, const PbftNewView *nv,
                     int64_t now_us, ProtoOutbox *out)
{
  uint64_t v = nv->head.view;
  gboolean is_primary = pbft_primary (v, ctx->n_nodes) == ctx->self;
  node->view = v;
  node->is_view_changing = FALSE;
  if (&node->new_view != nv)
    node->new_view = *nv;
  node->has_new_view = FALSE;
  node->vc_deadline_us = INT64_MAX;
  proto_outbox_mark (out, "new-view");
  proto_outbox_note (out, "enters view %" G_GUINT64_FORMAT " (primary n%d)", v,
                     pbft_primary (v, ctx->n_nodes) + 1);

  uint64_t ck = nv->head.ckpt_seq;
  if (ck > node->stable.seq) {
    const PbftCheckpoint *mine = NULL;
    for (int i = 0; i < PBFT_CKPT_RING; i++)
      if (node->own[i].seq == ck && node->own[i].digest == nv->head.ckpt_digest)
        mine = &node->own[i];
    if (mine != NULL) {
      node->stable = *mine;
    } else if (node->last_exec < ck) {
      /* Behind the chosen checkpoint: fetch its state (4.4, 4.3). */
      node->stable.seq = ck;
      node->stable.digest = nv->head.ckpt_digest;
      node->is_fetching = TRUE;
      node->fetch_seq = ck;
      node->fetch_digest = nv->head.ckpt_digest;
      proto_outbox_mark (out, "state-transfer");
      PbftFetch m;
      memset (&m, 0, sizeof m);
      m.type = PBFT_MSG_FETCH;
      m.seq = ck;
      pbft_send_all (ctx, out, &m, sizeof m);
    }
    for (int i = 0; i < PBFT_LOG_CAP; i++)
      if (node->log[i].seq <= node->stable.seq)
        memset (&node->log[i], 0, sizeof node->log[i]);
    for (int i = 0; i < PBFT_CKPT_RING; i++)
      if (node->own[i].seq <= node->stable.seq)
        memset (&node->own[i], 0, sizeof node->own[i]);
  }
  uint64_t top = MAX (ck, node->stable.seq);
  for (int i = 0; i < nv->head.n_x; i++) {
    const PbftPEntry *x = &nv->x[i];
    top = MAX (top, x->seq);
    PbftSlot *s = pbft_slot (node, ctx, x->seq);
    if (s == NULL)
      continue;
    pbft_slot_accept_pre_prepare (node, s, v, x->digest, &x->req);
    if (!is_primary) {
      s->prepares[ctx->self] = (PbftVoteSeen) { .view = v, .digest = x->digest };
      pbft_send_vote (ctx, out, PBFT_MSG_PREPARE, v, x->seq, x->digest);
    }
  }
  node->next_seq = top;
  proto_outbox_sync (out);
  for (int i = 0; i < nv->head.n_x; i++) {
    PbftSlot *s = pbft_slot (node, ctx, nv->x[i].seq);
    if (s != NULL)
      pbft_slot_update (node, ctx, s, now_us, out);
  }
  pbft_timer_update (node, ctx, now_us);
  if (is_primary)
    pbft_primary_propose (node, ctx, now_us, out);
}
