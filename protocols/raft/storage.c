/* storage.c: what a Raft node writes to its disk, and what it does when
 * the disk gives back something else.
 *
 * Figure 2: "Persistent state on all servers: (Updated on stable storage
 * before responding to RPCs) currentTerm, votedFor, log[]".  Every step
 * that changes the persist region seals it (header checksum, snapshot
 * checksum) and asks the world to sync it; the world holds the step's
 * messages until the sync is done, so no reply overtakes its write.
 *
 * On restart the node checks its image (Alagappan et al., "Protocol-Aware
 * Recovery for Consensus-Based Storage", FAST 2018, show why it must):
 *  - a header that fails its checksum: the node cannot know its term or
 *    vote, and any answer could break safety.  It stops, and says so in the
 *    trace ("storage-corrupt-halt").
 *  - a snapshot that fails its checksum: the header still names the last
 *    entry the node may have acknowledged; the node drops its snapshot and
 *    log, gets them again from the leader, and recovers as below
 *    ("snapshot-discarded").
 *  - a log entry whose hash chain does not match: the log is cut before it.
 *    That entry may have been acknowledged to a leader (a bit flip in a
 *    synced entry) or never (a torn write of unsynced entries); the node
 *    cannot tell, so until its commit index passes the last entry it may
 *    have acknowledged (the header names it) it stands for no election,
 *    and votes only for a candidate whose log is at least as up-to-date as
 *    that entry, as if it still held it: the acknowledgement it lost can
 *    then not help elect a leader without the entry (section 5.4.1's
 *    argument, made against the log it had) ("log-suffix-discarded",
 *    "recovering-no-vote"). */
#include "protocols/raft/raft.h"
#include "protocols/bytes_nonzero.h"

#include <string.h>

static inline uint64_t
sum_mix (uint64_t h, uint64_t v)
{
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

static uint64_t
sum_bytes (uint64_t h, const void *data, size_t len)
{
  const uint8_t *b = data;
  uint64_t x = 0xcbf29ce484222325ULL ^ h;
  for (size_t i = 0; i < len; i++)
    x = (x ^ b[i]) * 0x100000001b3ULL;
  return sum_mix (h, x);
}

static uint64_t
meta_hash (const RaftPersist *p)
{
  uint64_t h = 0x5241465450455253ULL;
  h = sum_mix (h, p->current_term);
  h = sum_mix (h, (uint64_t) (uint32_t) p->voted_for);
  h = sum_mix (h, (uint64_t) p->has_voted | (uint64_t) p->pad[0] << 8 | (uint64_t) p->pad[1] << 16
                      | (uint64_t) p->pad[2] << 24);
  h = sum_mix (h, p->last_index);
  h = sum_mix (h, p->last_term);
  h = sum_mix (h, p->recover_index);
  return sum_mix (h, p->recover_term);
}

uint64_t
raft_meta_sum (const RaftPersist *p)
{
  static const RaftPersist zero;
  return meta_hash (p) ^ meta_hash (&zero);
}

/* The machine a word at a time in four independent lanes: a restart checks
 * it, and the explorer restarts nodes often. */
static uint64_t
sum_words (uint64_t h, const void *data, size_t len)
{
  const uint8_t *b = data;
  uint64_t l[4] = { h ^ 0xcbf29ce484222325ULL, h + 1, h + 2, h + 3 };
  size_t i = 0;
  for (; i + 32 <= len; i += 32)
    for (int k = 0; k < 4; k++) {
      uint64_t v;
      memcpy (&v, b + i + 8 * k, 8);
      l[k] = (l[k] ^ v) * 0x100000001b3ULL;
      l[k] ^= l[k] >> 29;
    }
  uint64_t x = sum_bytes (h, b + i, len - i);
  for (int k = 0; k < 4; k++)
    x = sum_mix (x, l[k]);
  return x;
}

/* The snapshot of a node that never took one: all zero, its sum too. */
static gboolean
snap_is_zero (const RaftSnapshot *s)
{
  return !bytes_nonzero (s, sizeof *s);
}

static uint64_t
snap_hash (const RaftSnapshot *s)
{
  uint64_t h = 0x534e4150ULL;
  h = sum_mix (h, s->index);
  h = sum_mix (h, s->term);
  h = sum_mix (h, s->chain);
  h = sum_mix (h, s->members);
  return sum_words (h, &s->machine, sizeof s->machine);
}

uint64_t
raft_snap_sum (const RaftSnapshot *s)
{
  static const RaftSnapshot zero;
  return snap_hash (s) ^ snap_hash (&zero);
}

/* End of a step that changed persist: seal, then sync.  With the seeded bug
 * reply-before-sync a step that answered a vote or an append skips the
 * sync; its changes reach the disk with the node's next sync. */
void
raft_persist_seal (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out)
{
  const RaftConfig *cfg = ctx->config;
  RaftPersist *p = &node->persist;
  if (p->recover_index != 0 && node->commit_index >= p->recover_index) {
    proto_outbox_note (out, "recovered: commit index %" G_GUINT64_FORMAT " reached %"
                       G_GUINT64_FORMAT ", votes again", node->commit_index, p->recover_index);
    p->recover_index = 0;
    p->recover_term = 0;
    node->is_persist_dirty = 1;
  }
  gboolean is_skipped = cfg->bug == RAFT_BUG_REPLY_BEFORE_SYNC && node->is_reply_unsynced;
  node->is_reply_unsynced = 0;
  if (!node->is_persist_dirty)
    return;
  if (node->is_snap_dirty)
    p->snap.sum = raft_snap_sum (&p->snap);
  p->last_term = raft_log_term (node, p->last_index);
  p->meta_sum = raft_meta_sum (p);
  node->is_snap_dirty = 0;
  if (is_skipped)
    return; /* stays dirty: synced by a later step */
  node->is_persist_dirty = 0;
  proto_outbox_sync (out);
}

/* The entry a damaged node may have acknowledged last, kept until its
 * commit index passes it (the later of two damages wins). */
static void
recover_from (RaftPersist *p, uint64_t index, uint64_t term)
{
  if (term > p->recover_term || (term == p->recover_term && index > p->recover_index)) {
    p->recover_index = index;
    p->recover_term = term;
  }
}


/* A slot below the log's first (snap.index < i <= last_index, not round
 * the ring) holds a nonzero byte: a sector of an older image that a torn
 * write left there.  Such bytes are never read, but they stand in the way
 * of raft_state_extent once the log moves past them.  Slots past the last
 * are past the extent, which the world checks itself when it loads an
 * image (protocol.h); a log round the ring, or none, has no extent to
 * keep. */
static gboolean
ring_has_stale (const RaftPersist *p)
{
  if (p->last_index <= p->snap.index || p->last_index - p->snap.index >= RAFT_LOG_CAP)
    return FALSE;
  size_t first = (p->snap.index + 1) % RAFT_LOG_CAP, last = p->last_index % RAFT_LOG_CAP;
  return first <= last && bytes_nonzero (p->log, first * sizeof (RaftEntry));
}

static gboolean
persist_check (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out, gboolean *is_snap_zero)
{
  RaftPersist *p = &node->persist;
  if (p->meta_sum != raft_meta_sum (p)) {
    node->is_halted = 1;
    proto_outbox_mark (out, "storage-corrupt-halt");
    proto_outbox_note (out, "disk image damaged: its term, vote and log bounds fail their "
                       "checksum; stopping (the node neither votes nor answers until its "
                       "disk is repaired)");
    return FALSE;
  }
  *is_snap_zero = snap_is_zero (&p->snap);
  if ((!*is_snap_zero && p->snap.sum != raft_snap_sum (&p->snap))
      || p->last_index < p->snap.index
      || p->last_index - p->snap.index > RAFT_LOG_CAP) {
    /* The header still says which entry it may have acknowledged last:
     * drop the snapshot and the log, and recover them from the leader. */
    uint64_t last = p->last_index;
    memset (&p->snap, 0, sizeof p->snap);
    *is_snap_zero = TRUE;
    memset (p->log, 0, sizeof p->log);
    p->last_index = 0;
    recover_from (p, last, p->last_term);
    node->is_snap_dirty = 1;
    raft_persist_touch (node);
    proto_outbox_mark (out, "snapshot-discarded");
    proto_outbox_note (out, "disk image damaged: the snapshot fails its checksum; snapshot "
                       "and log discarded, to be sent again by the leader; no election and "
                       "careful votes until the commit index reaches %" G_GUINT64_FORMAT,
                       p->recover_index);
    return TRUE;
  }
  uint64_t chain = p->snap.chain;
  for (uint64_t i = p->snap.index + 1; i <= p->last_index; i++) {
    const RaftEntry *e = &p->log[i % RAFT_LOG_CAP];
    uint64_t want = raft_chain_next (chain, &e->e);
    if (e->chain == want && e->e.kind <= RAFT_ENTRY_CONFIG && e->e.key < RAFT_MAX_KEYS
        && e->e.client < RAFT_MAX_CLIENTS) {
      chain = want;
      continue;
    }
    uint64_t last = p->last_index;
    raft_log_truncate (node, ctx, i - 1);
    recover_from (p, last, p->last_term);
    raft_persist_touch (node);
    proto_outbox_mark (out, "log-suffix-discarded");
    proto_outbox_note (out, "disk image damaged: entries %" G_GUINT64_FORMAT "..%"
                       G_GUINT64_FORMAT " fail their checksum, discarded; no election and "
                       "careful votes until the commit index reaches %" G_GUINT64_FORMAT, i, last,
                       p->recover_index);
    break;
  }
  return TRUE;
}

gboolean
raft_persist_recover (RaftNode *node, const ProtoCtx *ctx, ProtoOutbox *out,
                      gboolean *is_snap_zero)
{
  *is_snap_zero = FALSE;
  gboolean ok = persist_check (node, ctx, out, is_snap_zero);
  node->has_stale_slots = ok && ring_has_stale (&node->persist);
  return ok;
}
