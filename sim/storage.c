/* storage.c: the nodes' disks.
 *
 * Each node has a durable image of its persist region.  A step that calls
 * proto_outbox_sync asks for the persist bytes, as the step left them, to be
 * written to that image; the write takes disk_latency (uniform in the
 * [faults] range, drawn from the disk stream), and syncs of one node
 * complete in the order they were asked for.  A node's messages leave in
 * order behind its syncs: the messages of a step wait until every sync asked
 * for up to and including that step is done, so a reply that promises a
 * durable write ("I voted", "I appended") never overtakes it.
 *
 * A sync writes only the sectors (SIM_SECTOR bytes) that changed since the
 * node's previous sync; sectors it does not touch keep whatever the image
 * holds, flipped bits included.
 *
 * A crash discards the syncs still in flight and the messages waiting on
 * them, then restarts the node from its image.  A crash with changes not yet
 * durable (unsynced, or synced but still in flight) is a torn write with
 * probability torn_writes: each changed sector independently holds its old
 * or its new bytes (the disk stream decides).  Otherwise every change since
 * the last completed sync is lost.
 *
 * Corruption flips bits of the image, in sectors a sync has written (a
 * latent sector error in data, not in never-written space).  A running node
 * sees it when it next restarts and reads its image back. */
#include "sim/world_internal.h"
#include "protocols/bytes_nonzero.h"

#include <stddef.h>
#include <string.h>

#define SIM_SECTOR 512

static inline guint
disk_sectors (const SimWorld *w)
{
  return (guint) ((w->vt->persist_size + SIM_SECTOR - 1) / SIM_SECTOR);
}

static inline uint8_t *
node_persist (SimWorld *w, int node)
{
  return w->node_states + (size_t) node * w->vt->state_size + w->vt->persist_offset;
}

/* The first bytes of the image (and of synced) that may be nonzero: the
 * sectors up to the last one ever written (a block starts zeroed, and only
 * writes to a sector, which mark it, change it). */
static size_t
disk_extent (const SimWorld *w, const SimDisk *d)
{
  return MIN ((size_t) d->block->written_end * SIM_SECTOR, w->vt->persist_size);
}

/* Sector s of d's own block is written. */
static inline void
disk_mark_written (SimDisk *d, guint s)
{
  d->written[s] = 1;
  d->block->written_end = MAX (d->block->written_end, s + 1);
}

/* The first bytes of the node's persist region that may be nonzero. */
static size_t
persist_extent (const SimWorld *w, int node)
{
  size_t e = sim_node_extent (w, node);
  if (e <= w->vt->persist_offset)
    return 0;
  return MIN (e - w->vt->persist_offset, w->vt->persist_size);
}

/* What a copy or a comparison of the node's persist region and its image
 * must cover: past both extents both are zero. */
static size_t
disk_span (const SimWorld *w, int node)
{
  return MAX (persist_extent (w, node), disk_extent (w, &w->disks[node]));
}

/* The sectors of node's disk that are known zero both in its persist
 * region and in its image: never written, and inside one of the state's
 * holes (protocol.h).  Marks them in skip (one byte per sector, n_skip
 * sectors); returns whether any is (if not, skip is left as it was). */
static gboolean
disk_zero_sectors (const SimWorld *w, int node, uint8_t *skip, guint n_skip)
{
  size_t holes[PROTO_MAX_HOLES][2];
  int n_holes = sim_node_holes (w, node, holes);
  if (n_holes == 0)
    return FALSE;
  memset (skip, 0, n_skip);
  const SimDisk *d = &w->disks[node];
  size_t off = w->vt->persist_offset;
  gboolean any = FALSE;
  for (int i = 0; i < n_holes; i++) {
    if (holes[i][1] <= off)
      continue;
    size_t lo = MAX (holes[i][0], off) - off, hi = holes[i][1] - off;
    for (size_t sector = (lo + SIM_SECTOR - 1) / SIM_SECTOR;
         (sector + 1) * SIM_SECTOR <= hi && sector < n_skip; sector++)
      if (!d->written[sector])
        any = skip[sector] = 1;
  }
  return any;
}

/* disk_zero_sectors looks at persist regions up to 512 KB (PBFT's is
 * 163 KB, quorum's 109 KB); larger ones are compared whole. */
#define SIM_SKIP_SECTORS 1024

/* Are the node's persist region and its image equal?  Past span both are
 * zero; so are the sectors disk_zero_sectors finds. */
static gboolean
disk_equals_persist (const SimWorld *w, int node, size_t span)
{
  const uint8_t *image = w->disks[node].image, *persist = w->node_states
                                                          + (size_t) node * w->vt->state_size
                                                          + w->vt->persist_offset;
  guint n_span = (guint) ((span + SIM_SECTOR - 1) / SIM_SECTOR);
  uint8_t skip_stack[SIM_SKIP_SECTORS];
  if (n_span > G_N_ELEMENTS (skip_stack) || !disk_zero_sectors (w, node, skip_stack, n_span))
    return memcmp (image, persist, span) == 0;
  size_t at = 0;
  for (guint sector = 0; sector <= n_span; sector++) {
    if (sector < n_span && !skip_stack[sector])
      continue;
    /* [at, sector start) is compared, the sector is skipped. */
    size_t end = MIN ((size_t) sector * SIM_SECTOR, span);
    if (end > at && memcmp (image + at, persist + at, end - at) != 0)
      return FALSE;
    at = MIN (end + SIM_SECTOR, span);
  }
  return TRUE;
}

void
sim_storage_extent_verify (SimWorld *w, int node)
{
  SimNode *n = &w->nodes[node];
  n->is_extent_unsafe = FALSE;
  if (w->vt->state_extent == NULL)
    return;
  /* The volatile part is zeroed and the persist region holds the image,
   * which is zero past its extent: only bytes of the image past the
   * state's extent can break it. */
  const uint8_t *state = w->node_states + (size_t) node * w->vt->state_size;
  size_t from = MAX (w->vt->state_extent (state), w->vt->persist_offset);
  size_t to = w->vt->persist_offset + disk_extent (w, &w->disks[node]);
  n->is_extent_unsafe = to > from && bytes_nonzero (state + from, to - from);
  /* The holes the state says it has (protocol.h): the volatile part is
   * zero, and the persist region is the image, which is zero outside the
   * sectors ever written; so only the holes' bytes in written sectors can
   * be nonzero. */
  size_t holes[PROTO_MAX_HOLES][2];
  int n_holes = sim_node_holes (w, node, holes);
  const SimDisk *d = &w->disks[node];
  size_t off = w->vt->persist_offset;
  for (int i = 0; i < n_holes && !n->is_extent_unsafe; i++) {
    size_t lo = MAX (holes[i][0], off), hi = MIN (holes[i][1], to);
    for (size_t at = lo; at < hi && !n->is_extent_unsafe;) {
      size_t sector = (at - off) / SIM_SECTOR;
      size_t end = MIN (hi, off + (sector + 1) * SIM_SECTOR);
      n->is_extent_unsafe = d->written[sector] && bytes_nonzero (state + at, end - at);
      at = end;
    }
  }
}

static void
disk_note (SimWorld *w, int node, const char *label)
{
  if (!w->trace.is_on)
    return;
  g_string_assign (w->trace.label, label);
  sim_trace_begin (w, node, "disk");
  sim_trace_end (w, node);
}

/* ---- Disk blocks (copy on write) -----------------------------------------*/

/* A block holds image, written, then room for synced.  Synced is most of
 * the time the image itself (a world points it there): it parts from the
 * image only when a corruption or a torn write changes the image alone,
 * and joins it again when the node reads its image back. */
G_STATIC_ASSERT (offsetof (SimDiskBlock, bytes) == 16);

/* Where written and synced start in a block: both 16-byte aligned, as the
 * image is, since a protocol may read them as its persist struct. */
static inline size_t
disk_written_at (const SimWorld *w)
{
  return (MAX (w->vt->persist_size, 1) + 15) & ~(size_t) 15;
}

static inline size_t
disk_synced_at (const SimWorld *w)
{
  return disk_written_at (w) + ((MAX (disk_sectors (w), 1) + 15) & ~(size_t) 15);
}

static inline size_t
disk_block_size (const SimWorld *w)
{
  return disk_synced_at (w) + MAX (w->vt->persist_size, 1);
}

static inline gboolean
disk_is_joined (const SimDisk *d)
{
  return d->synced == d->image;
}

static void
disk_point (const SimWorld *w, SimDisk *d, SimDiskBlock *b, gboolean is_joined)
{
  d->block = b;
  d->image = b->bytes;
  d->written = b->bytes + disk_written_at (w);
  d->synced = is_joined ? d->image : b->bytes + disk_synced_at (w);
}

/* The last holder of a block keeps it among the world's spares (up to
 * SIM_SPARES_MAX), whose images are zero past their written sectors as in
 * any block. */
static void
disk_block_unref (SimWorld *w, SimDiskBlock *b)
{
  if (b == NULL || !g_atomic_int_dec_and_test (&b->ref))
    return;
  if (w != NULL && w->spares->n < SIM_SPARES_MAX)
    w->spares->blocks[w->spares->n++] = b;
  else
    g_free (b);
}

static SimDiskSpares *
disk_spares_new (const SimWorld *w)
{
  SimDiskSpares *sp = g_new0 (SimDiskSpares, 1);
  sp->ref = 1;
  sp->block_size = disk_block_size (w);
  return sp;
}

static void
disk_spares_unref (SimDiskSpares *sp)
{
  if (sp == NULL || --sp->ref > 0)
    return;
  for (guint i = 0; i < sp->n; i++)
    g_free (sp->blocks[i]);
  g_free (sp);
}

/* The explorer keeps a world per depth, and a block written in one of
 * them is most often freed by the next one down, which assigns over it:
 * with a pool of their own each world would allocate and zero the blocks
 * another one frees. */
void
sim_world_share_spares (SimWorld *w, SimWorld *with)
{
  g_assert (w->spares->block_size == with->spares->block_size);
  if (w->spares == with->spares)
    return;
  SimDiskSpares *old = w->spares;
  with->spares->ref++;
  w->spares = with->spares;
  for (guint i = 0; i < old->n; i++)
    if (w->spares->n < SIM_SPARES_MAX)
      w->spares->blocks[w->spares->n++] = old->blocks[i];
    else
      g_free (old->blocks[i]);
  old->n = 0;
  disk_spares_unref (old);
}

/* Before writing image, synced or written: a block of d's own. */
static void
disk_own (SimWorld *w, SimDisk *d)
{
  if (g_atomic_int_get (&d->block->ref) == 1)
    return;
  gboolean is_joined = disk_is_joined (d);
  size_t used = disk_extent (w, d), at = disk_written_at (w), synced = disk_synced_at (w);
  /* Image and synced are zero past the written sectors: zeroing is cheaper
   * than copying, and a spare block needs zeroing only where it was
   * written. */
  SimDiskBlock *b = NULL;
  size_t dirty = at;
  if (w->spares->n > 0) {
    b = w->spares->blocks[--w->spares->n];
    dirty = MAX (MIN ((size_t) b->written_end * SIM_SECTOR, w->vt->persist_size), used);
  } else {
    b = g_malloc (sizeof *b + disk_block_size (w));
  }
  b->ref = 1;
  b->written_end = d->block->written_end;
  memcpy (b->bytes, d->block->bytes, used);
  memset (b->bytes + used, 0, dirty - used);
  memcpy (b->bytes + at, d->block->bytes + at, synced - at);
  if (!is_joined) {
    memcpy (b->bytes + synced, d->synced, used);
    memset (b->bytes + synced + used, 0, disk_block_size (w) - synced - used);
  }
  disk_block_unref (w, d->block);
  disk_point (w, d, b, is_joined);
}

static void
disk_share (SimWorld *w, SimDisk *d, SimDiskBlock *b, gboolean is_joined)
{
  g_atomic_int_inc (&b->ref);
  disk_block_unref (w, d->block);
  disk_point (w, d, b, is_joined);
}

/* Before the image changes alone: synced gets bytes of its own. */
static void
disk_part (SimWorld *w, SimDisk *d)
{
  disk_own (w, d);
  if (!disk_is_joined (d))
    return;
  d->synced = d->block->bytes + disk_synced_at (w);
  memcpy (d->synced, d->image, MAX (w->vt->persist_size, 1));
}

void
sim_storage_init (SimWorld *w)
{
  pcg32_seed (&w->disk_rng, pcg32_derive (w->seed, SIM_STREAM_DISK, 0), 8);
  w->disks = g_new0 (SimDisk, w->n_nodes);
  w->spares = disk_spares_new (w);
  for (int n = 0; n < w->n_nodes; n++) {
    SimDisk *d = &w->disks[n];
    SimDiskBlock *b = g_malloc0 (sizeof *b + disk_block_size (w));
    b->ref = 1;
    disk_point (w, d, b, TRUE);
    d->is_image_synced = TRUE;
    d->syncs = g_array_new (FALSE, FALSE, sizeof (SimSync));
    d->held = g_array_new (FALSE, FALSE, sizeof (SimHeldMsg));
    d->held_bytes = g_byte_array_new ();
  }
}

static void
disk_syncs_drop (SimDisk *d)
{
  for (guint i = 0; i < d->syncs->len; i++)
    g_free (g_array_index (d->syncs, SimSync, i).bytes);
  g_array_set_size (d->syncs, 0);
}

void
sim_storage_clear (SimWorld *w)
{
  if (w->disks == NULL)
    return;
  for (int n = 0; n < w->n_nodes; n++) {
    SimDisk *d = &w->disks[n];
    disk_syncs_drop (d);
    g_array_unref (d->syncs);
    g_array_unref (d->held);
    g_byte_array_unref (d->held_bytes);
    disk_block_unref (NULL, d->block);
  }
  g_free (w->disks);
  w->disks = NULL;
  g_clear_pointer (&w->spares, disk_spares_unref);
}

void
sim_storage_copy (SimWorld *c, const SimWorld *w)
{
  size_t size = MAX (w->vt->persist_size, 1);
  c->disks = g_new0 (SimDisk, w->n_nodes);
  c->spares = disk_spares_new (w);
  for (int n = 0; n < w->n_nodes; n++) {
    const SimDisk *s = &w->disks[n];
    SimDisk *d = &c->disks[n];
    *d = *s;
    d->block = NULL;
    disk_share (c, d, s->block, disk_is_joined (s));
    d->syncs = g_array_copy (s->syncs);
    for (guint i = 0; i < d->syncs->len; i++) {
      SimSync *y = &g_array_index (d->syncs, SimSync, i);
      y->bytes = g_memdup2 (y->bytes, size);
    }
    d->held = g_array_copy (s->held);
    d->held_bytes = g_byte_array_new ();
    g_byte_array_append (d->held_bytes, s->held_bytes->data, s->held_bytes->len);
  }
}

void
sim_storage_assign (SimWorld *dst, const SimWorld *src, int node)
{
  size_t size = MAX (src->vt->persist_size, 1);
  SimDisk *d = &dst->disks[node];
  const SimDisk *s = &src->disks[node];
  if (d->syncs->len > 0 || s->syncs->len > 0) {
    disk_syncs_drop (d);
    g_array_set_size (d->syncs, s->syncs->len);
    for (guint i = 0; i < s->syncs->len; i++) {
      SimSync *y = &g_array_index (d->syncs, SimSync, i);
      *y = g_array_index (s->syncs, SimSync, i);
      y->bytes = g_memdup2 (y->bytes, size);
    }
  }
  if (d->block != s->block || disk_is_joined (d) != disk_is_joined (s))
    disk_share (dst, d, s->block, disk_is_joined (s));
  /* Messages held behind syncs: most of the time none on either side. */
  if (d->held->len > 0 || s->held->len > 0) {
    g_array_set_size (d->held, s->held->len);
    if (s->held->len > 0)
      memcpy (d->held->data, s->held->data, sizeof (SimHeldMsg) * s->held->len);
  }
  if (d->held_bytes->len > 0 || s->held_bytes->len > 0) {
    g_byte_array_set_size (d->held_bytes, s->held_bytes->len);
    if (s->held_bytes->len > 0)
      memcpy (d->held_bytes->data, s->held_bytes->data, s->held_bytes->len);
  }
  d->next_sync = s->next_sync;
  d->done_sync = s->done_sync;
  d->busy_until_us = s->busy_until_us;
  d->is_image_synced = s->is_image_synced;
  d->is_image_persist = s->is_image_persist;
}

/* Writes the sectors of `bytes` that differ from what the node last synced;
 * `bytes` is zero from `extent` on, and where skip (NULL, or a byte per
 * sector) says a sector is zero in both. */
static guint
disk_write (SimWorld *w, SimDisk *d, const uint8_t *bytes, size_t extent, const uint8_t *skip)
{
  size_t size = w->vt->persist_size;
  size_t span = MAX (extent, disk_extent (w, d));
  guint n_written = 0;
  for (guint s = 0; s < disk_sectors (w) && (size_t) s * SIM_SECTOR < span; s++) {
    size_t at = (size_t) s * SIM_SECTOR, len = MIN (SIM_SECTOR, size - at);
    if ((skip != NULL && skip[s]) || memcmp (d->synced + at, bytes + at, len) == 0)
      continue;
    disk_own (w, d);
    memcpy (d->image + at, bytes + at, len);
    if (!disk_is_joined (d))
      memcpy (d->synced + at, bytes + at, len);
    disk_mark_written (d, s);
    n_written++;
  }
  return n_written;
}

static int64_t
disk_latency (SimWorld *w)
{
  const SimStorageConfig *sc = &w->cfg->storage;
  int64_t lo = MAX (sc->disk_latency_min_us, 0), hi = MAX (sc->disk_latency_max_us, lo);
  if (hi == 0)
    return 0;
  return lo == hi ? lo : pcg32_range (&w->disk_rng, lo, hi);
}

/* Messages of the step wait behind the node's last sync in flight. */
static void
disk_hold (SimDisk *d, ProtoOutbox *out)
{
  const ProtoOutMsg *msgs = (const ProtoOutMsg *) (void *) out->msgs->data;
  for (guint i = 0; i < out->msgs->len; i++) {
    SimHeldMsg h = {
      .after_sync = d->next_sync,
      .to = msgs[i].to,
      .offset = d->held_bytes->len,
      .len = msgs[i].len,
      .delay_us = msgs[i].delay_us,
    };
    g_byte_array_append (d->held_bytes, out->bytes->data + msgs[i].offset, msgs[i].len);
    g_array_append_val (d->held, h);
  }
  g_array_set_size (out->msgs, 0);
}

void
sim_storage_step_end (SimWorld *w, int node, ProtoOutbox *out)
{
  sim_world_touch (w, node);
  SimDisk *d = &w->disks[node];
  if (out->sync) {
    int64_t now = w->stats.now_us;
    int64_t lat = disk_latency (w);
    if (lat == 0 && d->syncs->len == 0) {
      size_t extent = persist_extent (w, node);
      guint n_span = (guint) ((MAX (extent, disk_extent (w, d)) + SIM_SECTOR - 1) / SIM_SECTOR);
      uint8_t skip_stack[SIM_SKIP_SECTORS];
      gboolean has_skip = n_span <= G_N_ELEMENTS (skip_stack)
                          && disk_zero_sectors (w, node, skip_stack, n_span);
      disk_write (w, d, node_persist (w, node), extent, has_skip ? skip_stack : NULL);
      d->is_image_persist = d->is_image_synced; /* synced is now persist */
      d->next_sync++;
      d->done_sync = d->next_sync;
      return; /* durable at once: the messages leave now */
    }
    int64_t start = MAX (now, d->busy_until_us);
    SimSync y = {
      .id = ++d->next_sync,
      .done_us = start + lat,
      .bytes = g_memdup2 (node_persist (w, node), w->vt->persist_size),
    };
    d->busy_until_us = y.done_us;
    g_array_append_val (d->syncs, y);
    sim_queue_push (&w->queue, y.done_us, SIM_CHOICE_SYNC_DONE, node, y.id);
    if (w->trace.is_on) {
      g_autoptr (GString) l = g_string_new (NULL);
      g_string_printf (l, "sync %" G_GUINT64_FORMAT " asked: durable in ", y.id);
      proto_format_duration (y.done_us - now, l);
      if (out->msgs->len > 0)
        g_string_append_printf (l, ", %u message%s wait for it", out->msgs->len,
                                out->msgs->len == 1 ? "" : "s");
      disk_note (w, node, l->str);
    }
  }
  if (d->syncs->len > 0 || d->held->len > 0) {
    disk_hold (d, out);
    sim_storage_release (w, node);
  }
}

gboolean
sim_storage_sync_is_pending (const SimWorld *w, int node, uint64_t id)
{
  const SimDisk *d = &w->disks[node];
  return d->syncs->len > 0 && g_array_index (d->syncs, SimSync, 0).id == id;
}

void
sim_storage_sync_done (SimWorld *w, int node, uint64_t id)
{
  sim_world_touch (w, node);
  SimDisk *d = &w->disks[node];
  g_assert (sim_storage_sync_is_pending (w, node, id));
  SimSync y = g_array_index (d->syncs, SimSync, 0);
  g_array_remove_index (d->syncs, 0);
  guint n_written = disk_write (w, d, y.bytes, w->vt->persist_size, NULL);
  g_free (y.bytes);
  d->done_sync = id;
  if (w->trace.is_on) {
    g_autofree char *l = g_strdup_printf ("sync %" G_GUINT64_FORMAT " durable (%u sector%s)",
                                          id, n_written, n_written == 1 ? "" : "s");
    disk_note (w, node, l);
  }
  sim_storage_release (w, node);
}

/* Sends the messages whose syncs are done, in order; a paused node sends
 * them when it resumes. */
void
sim_storage_release (SimWorld *w, int node)
{
  sim_world_touch (w, node);
  SimDisk *d = &w->disks[node];
  if (w->nodes[node].is_paused || d->held->len == 0)
    return;
  uint64_t id = d->done_sync;
  guint kept = 0;
  g_autoptr (GArray) go = g_array_new (FALSE, FALSE, sizeof (SimHeldMsg));
  for (guint i = 0; i < d->held->len; i++) {
    SimHeldMsg h = g_array_index (d->held, SimHeldMsg, i);
    if (h.after_sync <= id)
      g_array_append_val (go, h);
    else
      g_array_index (d->held, SimHeldMsg, kept++) = h;
  }
  g_array_set_size (d->held, kept);
  /* Copy the bytes out first: sending may not touch held_bytes, but the
   * buffer is compacted when nothing is left. */
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  g_byte_array_append (bytes, d->held_bytes->data, d->held_bytes->len);
  if (kept == 0)
    g_byte_array_set_size (d->held_bytes, 0);
  for (guint i = 0; i < go->len; i++) {
    const SimHeldMsg *h = &g_array_index (go, SimHeldMsg, i);
    sim_world_send (w, node, h->to, bytes->data + h->offset, h->len, h->delay_us);
  }
}

/* A crash: what the disk holds afterwards, copied into the node's persist
 * region (the world zeroes the rest). */
void
sim_storage_crash (SimWorld *w, int node)
{
  SimDisk *d = &w->disks[node];
  /* Known equal: persist, image and synced (nothing unsynced to lose). */
  gboolean is_clean = d->is_image_persist && d->is_image_synced;
  /* Past span, persist, image and synced are all zero. */
  size_t span = disk_span (w, node);
  guint n_span = (guint) ((span + SIM_SECTOR - 1) / SIM_SECTOR);
  sim_world_touch (w, node);
  const uint8_t *now = node_persist (w, node);
  size_t size = w->vt->persist_size;
  guint n_dirty = 0, n_new = 0;
  gboolean is_torn = FALSE;
  for (guint s = 0; s < n_span && !is_clean; s++) {
    size_t at = (size_t) s * SIM_SECTOR;
    if (memcmp (d->synced + at, now + at, MIN (SIM_SECTOR, size - at)) != 0)
      n_dirty++;
  }
  guint n_inflight = d->syncs->len, n_held = d->held->len;
  if (n_dirty > 0 && w->cfg->storage.torn_writes > 0
      && pcg32_chance (&w->disk_rng, w->cfg->storage.torn_writes)) {
    is_torn = TRUE;
    for (guint s = 0; s < n_span; s++) {
      size_t at = (size_t) s * SIM_SECTOR, len = MIN (SIM_SECTOR, size - at);
      if (memcmp (d->synced + at, now + at, len) == 0 || !pcg32_chance (&w->disk_rng, 0.5))
        continue;
      disk_part (w, d);
      memcpy (d->image + at, now + at, len);
      disk_mark_written (d, s);
      d->is_image_synced = FALSE;
      n_new++;
    }
  }
  disk_syncs_drop (d);
  g_array_set_size (d->held, 0);
  g_byte_array_set_size (d->held_bytes, 0);
  d->busy_until_us = 0;
  /* The node reads back what the disk holds; that is now what it wrote. */
  d->synced = d->image;
  if (!is_clean)
    memcpy ((uint8_t *) now, d->image, span);
  d->is_image_synced = d->is_image_persist = TRUE;
  if (n_dirty == 0 && n_inflight == 0 && n_held == 0)
    return;
  w->stats.unsynced_crashes++;
  if (is_torn)
    w->stats.torn_writes++;
  if (w->trace.is_on) {
    g_autoptr (GString) l = g_string_new (NULL);
    if (is_torn)
      g_string_printf (l, "torn write: %u of %u changed sectors reached the disk", n_new,
                       n_dirty);
    else
      g_string_printf (l, "unsynced writes lost: %u changed sector%s", n_dirty,
                       n_dirty == 1 ? "" : "s");
    if (n_inflight > 0)
      g_string_append_printf (l, ", %u sync%s in flight", n_inflight, n_inflight == 1 ? "" : "s");
    if (n_held > 0)
      g_string_append_printf (l, ", %u message%s never sent", n_held, n_held == 1 ? "" : "s");
    disk_note (w, node, l->str);
  }
}

/* A restart reads the image back (it may have changed while the node was
 * down: corruption). */
void
sim_storage_restart (SimWorld *w, int node)
{
  sim_world_touch (w, node);
  SimDisk *d = &w->disks[node];
  memcpy (node_persist (w, node), d->image, disk_span (w, node));
  d->synced = d->image;
  d->is_image_synced = d->is_image_persist = TRUE;
  sim_storage_extent_verify (w, node);
}

void
sim_storage_corrupt (SimWorld *w, int node, int bits, Pcg32 *rng)
{
  sim_world_touch (w, node);
  SimDisk *d = &w->disks[node];
  guint n_written = 0;
  for (guint s = 0; s < disk_sectors (w); s++)
    n_written += d->written[s];
  g_autoptr (GString) l = g_string_new (NULL);
  if (n_written == 0) {
    disk_note (w, node, "corrupt: nothing written yet, nothing to flip");
    return;
  }
  w->stats.corruptions++;
  disk_part (w, d);
  d->is_image_synced = d->is_image_persist = FALSE;
  g_string_append (l, "corrupt: flipped");
  size_t size = w->vt->persist_size;
  for (int b = 0; b < MAX (bits, 1); b++) {
    guint pick = pcg32_below (rng, n_written), s = 0;
    for (;; s++)
      if (d->written[s] && pick-- == 0)
        break;
    size_t at = (size_t) s * SIM_SECTOR, len = MIN (SIM_SECTOR, size - at);
    size_t byte = at + pcg32_below (rng, (uint32_t) len);
    int bit = (int) pcg32_below (rng, 8);
    d->image[byte] ^= (uint8_t) (1u << bit);
    g_string_append_printf (l, " byte %zu bit %d", byte, bit);
  }
  g_string_append (l, w->nodes[node].is_up ? " (read at the next restart)" : "");
  disk_note (w, node, l->str);
}

uint64_t
sim_storage_digest (const SimWorld *w, int node, uint64_t (*hash) (uint64_t, const void *, size_t))
{
  const SimDisk *d = &w->disks[node];
  uint64_t h = (uint64_t) d->syncs->len << 32 | d->held->len;
  if (!d->is_image_persist && !disk_equals_persist (w, node, disk_span (w, node))) {
    /* The image up to its last nonzero byte (zero past its written
     * sectors): equal images, equal lengths, equal hashes. */
    size_t len = disk_extent (w, d);
    while (len >= 8 && memcmp (d->image + len - 8, "\0\0\0\0\0\0\0\0", 8) == 0)
      len -= 8;
    while (len > 0 && d->image[len - 1] == 0)
      len--;
    h ^= hash (3, d->image, len);
  }
  return h;
}

const uint8_t *
sim_storage_image (const SimWorld *w, int node)
{
  return w->disks[node].image;
}
