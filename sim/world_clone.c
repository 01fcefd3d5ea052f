/* world_clone.c: copying a world (to explore from a state) and hashing what
 * its protocol can observe (to recognise states already seen). */
#include "sim/world_internal.h"
#include "protocols/mix64.h"

#include <string.h>

SimWorld *
sim_world_clone (const SimWorld *w)
{
  const ProtoVTable *vt = w->vt;
  SimWorld *c = g_new (SimWorld, 1);
  *c = *w;
  c->cfg = sim_config_copy (w->cfg);
  sim_queue_copy (&c->queue, &w->queue);
  sim_net_copy (&c->net, &w->net);
  c->delivery_log = NULL;

  c->node_states = g_memdup2 (w->node_states, MAX (vt->state_size, 1) * w->n_nodes);
  c->client_states = g_memdup2 (w->client_states,
                                MAX (vt->client_state_size, 1) * MAX (w->n_clients, 1));
  c->nodes = g_memdup2 (w->nodes, sizeof (SimNode) * w->n_nodes);
  for (int n = 0; n < w->n_nodes; n++)
  {
    c->nodes[n].held = g_array_copy (w->nodes[n].held);
    c->nodes[n].byzantine_memory = g_byte_array_new ();
    g_byte_array_append (c->nodes[n].byzantine_memory, w->nodes[n].byzantine_memory->data,
                         w->nodes[n].byzantine_memory->len);
  }
  c->clients = g_memdup2 (w->clients, sizeof (SimClient) * MAX (w->n_clients, 1));
  c->timers = g_memdup2 (w->timers, sizeof (SimTimer) * w->n_endpoints);
  c->clocks = g_memdup2 (w->clocks, sizeof (SimClock) * w->n_endpoints);
  sim_storage_copy (c, w);
  c->ctxs = g_memdup2 (w->ctxs, sizeof (ProtoCtx) * w->n_endpoints);
  for (int e = 0; e < w->n_endpoints; e++)
    c->ctxs[e].config = c->cfg->proto_config;
  c->state_ptrs = g_new (const void *, w->n_nodes);
  for (int n = 0; n < w->n_nodes; n++)
    c->state_ptrs[n] = c->node_states + (size_t) n * vt->state_size;
  c->is_up = g_memdup2 (w->is_up, sizeof (gboolean) * w->n_nodes);
  c->ghost = g_memdup2 (w->ghost, MAX (vt->ghost_size, 1));
  if (vt->ghost_copy != NULL)
    vt->ghost_copy (c->ghost, w->ghost);
  proto_outbox_init (&c->outbox);

  int n_keys = w->cfg->workload.n_keys;
  c->key_ids = g_memdup2 (w->key_ids, sizeof (int32_t) * n_keys);
  c->written = g_new (GArray *, n_keys);
  for (int k = 0; k < n_keys; k++)
    c->written[k] = g_array_copy (w->written[k]);
  c->history = chk_history_copy (w->history);

  sim_world_marks_init (c);
  for (guint i = 0; i < w->mark_names->len; i++) {
    g_ptr_array_add (c->mark_names, g_ptr_array_index (w->mark_names, i));
    g_hash_table_insert (c->mark_index, g_ptr_array_index (w->mark_names, i),
                         GUINT_TO_POINTER (i + 1));
  }
  g_array_append_vals (c->mark_counts, w->mark_counts->data, w->mark_counts->len);

  c->failure = w->failure != NULL ? g_string_new (w->failure->str) : NULL;
  c->limit = w->limit != NULL ? g_string_new (w->limit->str) : NULL;
  c->why = g_string_new (NULL);
  sim_trace_init (c);
  return c;
}

/* ---- Assigning a world over another -------------------------------------
 *
 * The explorer makes a child state by copying its parent and applying one
 * choice, a few million times.  A world of 3-node Raft is a few hundred
 * kilobytes, nearly all of it node states and disk images, and a step
 * changes one endpoint.  sim_world_assign copies into a world that already
 * has its memory (no allocation) and skips the node states and disks the
 * caller knows to be equal already. */

static void
array_assign (GArray *dst, const GArray *src)
{
  if (dst->len == 0 && src->len == 0)
    return; /* the common case, without a call into GLib */
  g_array_set_size (dst, src->len);
  if (src->len > 0)
    memcpy (dst->data, src->data, (size_t) src->len * g_array_get_element_size ((GArray *) src));
}

static void
bytes_assign (GByteArray *dst, const GByteArray *src)
{
  if (dst->len == 0 && src->len == 0)
    return;
  g_byte_array_set_size (dst, src->len);
  if (src->len > 0)
    memcpy (dst->data, src->data, src->len);
}

static GString *
gstring_assign (GString *dst, const GString *src)
{
  if (src == NULL) {
    if (dst != NULL)
      g_string_free (dst, TRUE);
    return NULL;
  }
  if (dst == NULL)
    return g_string_new_len (src->str, (gssize) src->len);
  g_string_truncate (dst, 0);
  g_string_append_len (dst, src->str, (gssize) src->len);
  return dst;
}

static void
net_assign (SimNet *d, const SimNet *s)
{
  size_t n2 = (size_t) s->n_endpoints * s->n_endpoints;
  g_assert (d->n_endpoints == s->n_endpoints && d->n_links == s->n_links);
  d->rng = s->rng;
  /* Both made from one config and neither cut nor healed since: equal. */
  if (!d->is_pristine || !s->is_pristine) {
    memcpy (d->links, s->links, sizeof (SimLinkConfig) * s->n_links);
    memcpy (d->link_of, s->link_of, sizeof (guint16) * n2);
    memcpy (d->group, s->group, sizeof (SimGroupId) * (size_t) s->n_endpoints);
    memcpy (d->random_group, s->random_group, sizeof (SimGroupId) * (size_t) s->n_endpoints);
    memcpy (d->oneway, s->oneway, n2);
  }
  d->is_pristine = s->is_pristine;
  d->has_cuts = s->has_cuts;
  if (s->busy_until_us != NULL) {
    if (d->busy_until_us == NULL)
      d->busy_until_us = g_new (int64_t, n2);
    memcpy (d->busy_until_us, s->busy_until_us, sizeof (int64_t) * n2);
  } else {
    g_clear_pointer (&d->busy_until_us, g_free);
  }
  /* dst's message buffers are reused, slot by slot: a large message is
   * copied into the buffer its slot already has when it is big enough. */
  for (guint i = s->n_slots; i < d->n_slots; i++) {
    g_clear_pointer (&d->slots[i].heap_data, g_free);
    d->slots[i].heap_cap = 0;
  }
  if (d->cap_slots < s->cap_slots) {
    d->slots = g_renew (SimMsg, d->slots, s->cap_slots);
    d->free_slots = g_renew (guint, d->free_slots, s->cap_slots);
    d->cap_slots = s->cap_slots;
  }
  for (guint i = d->n_slots; i < s->n_slots; i++) {
    d->slots[i].heap_data = NULL;
    d->slots[i].heap_cap = 0;
  }
  if (s->n_free > 0)
    memcpy (d->free_slots, s->free_slots, sizeof (guint) * s->n_free);
  for (guint i = 0; i < s->n_slots; i++) {
    SimMsg *dm = &d->slots[i];
    const SimMsg *sm = &s->slots[i];
    if (sm->id == 0) {
      dm->id = 0; /* a free slot: nothing but its buffer is ever read */
      continue;
    }
    uint8_t *buf = dm->heap_data;
    uint32_t cap = dm->heap_cap;
    *dm = *sm;
    dm->heap_data = buf;
    dm->heap_cap = cap;
    if (sm->len > SIM_MSG_INLINE) {
      if (cap < sm->len) {
        dm->heap_data = g_realloc (buf, sm->len);
        dm->heap_cap = sm->len;
      }
      memcpy (dm->heap_data, sm->heap_data, sm->len);
    }
  }
  d->n_slots = s->n_slots;
  d->n_free = s->n_free;
  d->n_in_flight = s->n_in_flight;
  /* As sim_net_copy: the copy keeps no vector clocks. */
  d->vc_len = 0;
  g_clear_pointer (&d->vcs, g_free);
}

static void
history_assign (SimWorld *dst, const SimWorld *src)
{
  chk_history_assign (dst->history, src->history);
}

static void
marks_assign (SimWorld *dst, const SimWorld *src)
{
  gboolean same = dst->mark_names->len == src->mark_names->len;
  for (guint i = 0; same && i < src->mark_names->len; i++)
    same = g_ptr_array_index (dst->mark_names, i) == g_ptr_array_index (src->mark_names, i);
  if (!same) {
    g_ptr_array_set_size (dst->mark_names, 0);
    g_hash_table_remove_all (dst->mark_index);
    for (guint i = 0; i < src->mark_names->len; i++) {
      g_ptr_array_add (dst->mark_names, g_ptr_array_index (src->mark_names, i));
      g_hash_table_insert (dst->mark_index, g_ptr_array_index (src->mark_names, i),
                           GUINT_TO_POINTER (i + 1));
    }
  }
  array_assign (dst->mark_counts, src->mark_counts);
}

/* Node n's state in dst becomes src's, whose bytes past len are zero in
 * both: the ranges zero in both (their holes' intersection) are skipped. */
static void
node_state_assign (SimWorld *dst, const SimWorld *src, int n, size_t len)
{
  size_t size = dst->vt->state_size;
  uint8_t *d = dst->node_states + (size_t) n * size;
  const uint8_t *s = src->node_states + (size_t) n * size;
  size_t hd[PROTO_MAX_HOLES][2], hs[PROTO_MAX_HOLES][2];
  int nd = sim_node_holes (dst, n, hd), ns = sim_node_holes (src, n, hs);
  g_assert (nd <= PROTO_MAX_HOLES && ns <= PROTO_MAX_HOLES);
  size_t at = 0;
  for (int i = 0, j = 0; i < nd && j < ns;) {
    size_t from = MAX (hd[i][0], hs[j][0]), to = MIN (hd[i][1], hs[j][1]);
    if (from < to && from >= at && to <= len) {
      memcpy (d + at, s + at, from - at);
      at = to;
    }
    if (hd[i][1] < hs[j][1])
      i++;
    else
      j++;
  }
  memcpy (d + at, s + at, len - at);
}

void
sim_world_assign (SimWorld *dst, const SimWorld *src, uint64_t nodes, uint64_t clients)
{
  const ProtoVTable *vt = src->vt;
  g_assert (dst != src && dst->vt == vt && dst->n_nodes == src->n_nodes
            && dst->n_clients == src->n_clients);
  dst->seed = src->seed;
  dst->stats = src->stats;
  dst->is_over = src->is_over;
  dst->is_finished = src->is_finished;
  dst->is_driven = src->is_driven;
  dst->events_this_instant = src->events_this_instant;
  dst->stall_limit = src->stall_limit;
  dst->next_msg_id = src->next_msg_id;
  dst->n_sends = src->n_sends;
  dst->next_pin = src->next_pin;
  /* As a clone: dst records no deliveries (its delivery_log stays NULL). */

  if (dst->queue.cap < src->queue.len) {
    dst->queue.items = g_renew (SimEvent, dst->queue.items, src->queue.cap);
    dst->queue.cap = src->queue.cap;
  }
  if (src->queue.len > 0)
    memcpy (dst->queue.items, src->queue.items, sizeof (SimEvent) * src->queue.len);
  dst->queue.len = src->queue.len;
  dst->queue.next_seq = src->queue.next_seq;
  net_assign (&dst->net, &src->net);

  for (int n = 0; n < src->n_nodes; n++) {
    SimNode *d = &dst->nodes[n];
    const SimNode *s = &src->nodes[n];
    /* Past both extents both states are zero: copy up to the larger. */
    size_t len = (nodes & sim_touch_bit (n)) != 0
                   ? MAX (sim_node_extent (dst, n), sim_node_extent (src, n)) : 0;
    GArray *held = d->held;
    GByteArray *memory = d->byzantine_memory;
    *d = *s;
    d->held = held;
    d->byzantine_memory = memory;
    array_assign (d->held, s->held);
    bytes_assign (d->byzantine_memory, s->byzantine_memory);
    if ((nodes & sim_touch_bit (n)) == 0)
      continue;
    node_state_assign (dst, src, n, len);
    sim_storage_assign (dst, src, n);
  }
  for (int c = 0; c < src->n_clients; c++)
    if ((clients & sim_touch_bit (c)) != 0)
      memcpy (dst->client_states + (size_t) c * vt->client_state_size,
              src->client_states + (size_t) c * vt->client_state_size, vt->client_state_size);
  if (src->n_clients > 0)
    memcpy (dst->clients, src->clients, sizeof (SimClient) * src->n_clients);
  memcpy (dst->timers, src->timers, sizeof (SimTimer) * src->n_endpoints);
  memcpy (dst->clocks, src->clocks, sizeof (SimClock) * src->n_endpoints);
  dst->disk_rng = src->disk_rng;
  for (int e = 0; e < src->n_endpoints; e++) {
    const void *config = dst->ctxs[e].config;
    dst->ctxs[e] = src->ctxs[e];
    dst->ctxs[e].config = config;
  }
  memcpy (dst->is_up, src->is_up, sizeof (gboolean) * src->n_nodes);
  if (vt->ghost_assign != NULL) {
    vt->ghost_assign (dst->ghost, src->ghost);
  } else if (vt->ghost_copy != NULL) {
    if (vt->ghost_free != NULL)
      vt->ghost_free (dst->ghost);
    memcpy (dst->ghost, src->ghost, vt->ghost_size);
    vt->ghost_copy (dst->ghost, src->ghost);
  } else if (vt->ghost_size > 0) {
    /* Past both extents both ghosts are zero. */
    memcpy (dst->ghost, src->ghost, MAX (sim_ghost_extent (dst), sim_ghost_extent (src)));
  }
  dst->byzantine_fn = src->byzantine_fn;
  dst->byzantine_data = src->byzantine_data;
  memcpy (dst->fault_rng, src->fault_rng, sizeof src->fault_rng);
  memcpy (dst->fault_rate, src->fault_rate, sizeof src->fault_rate);
  dst->n_random_partitions = src->n_random_partitions;

  dst->ops_started = src->ops_started;
  dst->next_value = src->next_value;
  dst->ops_mask = src->ops_mask;
  /* The history and the values written change only with client events,
   * which touch their client. */
  int n_keys = src->cfg->workload.n_keys;
  if (clients != 0) {
    if (n_keys > 0)
      memcpy (dst->key_ids, src->key_ids, sizeof (int32_t) * n_keys);
    for (int k = 0; k < n_keys; k++)
      array_assign (dst->written[k], src->written[k]);
    history_assign (dst, src);
  }
  marks_assign (dst, src);

  dst->failure = gstring_assign (dst->failure, src->failure);
  dst->max_events = src->max_events;
  dst->max_memory_bytes = src->max_memory_bytes;
  dst->limit = gstring_assign (dst->limit, src->limit);
  dst->touched_nodes = dst->touched_clients = 0;
  /* As a clone: no trace (the clone's trace starts empty and off). */
  g_assert (!dst->trace.is_on && dst->trace.vc == NULL);
}

/* ---- Digest --------------------------------------------------------------*/

/* Eight bytes at a time in two lanes (multiply, then fold the high bits
 * down), the tail zero-padded, the length mixed in last: canonical for
 * equal bytes.  Messages and client states are hashed for every state the
 * explorer makes. */
uint64_t
sim_hash_bytes (uint64_t h, const void *data, size_t len)
{
  const uint8_t *p = data;
  uint64_t a = h ^ 0xcbf29ce484222325ULL, b = h + 0x9e3779b97f4a7c15ULL;
  size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    uint64_t v[2];
    memcpy (v, p + i, 16);
    a = (a ^ v[0]) * 0x100000001b3ULL;
    b = (b ^ v[1]) * 0xff51afd7ed558ccdULL;
    a ^= a >> 29;
    b ^= b >> 31;
  }
  if (i + 8 <= len) {
    uint64_t v;
    memcpy (&v, p + i, 8);
    a = (a ^ v) * 0x100000001b3ULL;
    a ^= a >> 29;
    i += 8;
  }
  if (i < len) {
    uint64_t v = 0;
    memcpy (&v, p + i, len - i);
    b = (b ^ v) * 0xff51afd7ed558ccdULL;
    b ^= b >> 31;
  }
  return mix64 (a ^ mix64 (b ^ len));
}

uint64_t
sim_msg_digest (const SimMsg *m, uint64_t seed)
{
  return mix64 (sim_hash_bytes (((uint64_t) m->from << 32 | (uint32_t) m->to) ^ seed,
                            sim_msg_data (m), m->len));
}

static inline uint64_t
hash_add (uint64_t h, uint64_t v)
{
  return mix64 (h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

/* An endpoint's deadline relative to its own clock now: the same state
 * reached at another virtual time has the same digest.  A deadline already
 * passed counts as due now (0): the timeout fires next, whenever that is. */
static uint64_t
timer_relative (const SimWorld *w, int e)
{
  int64_t deadline = w->timers[e].deadline;
  if (deadline == PROTO_NO_DEADLINE)
    return UINT64_MAX;
  int64_t now = e < w->n_nodes ? sim_node_local_time (w, e, w->stats.now_us) : w->stats.now_us;
  return deadline > now ? (uint64_t) (deadline - now) : 0;
}

uint64_t
sim_world_digest (const SimWorld *w)
{
  return sim_world_digest_seeded (w, 0);
}

uint64_t
sim_hash_sparse (uint64_t seed, const void *data, size_t len, size_t extent,
                 const size_t holes[][2], int n_holes)
{
  size_t whole = len & ~(size_t) 63;
  int h = 0;
  const uint8_t *p = data;
  uint64_t l[4] = { 0xcbf29ce484222325ull ^ seed, 0x84222325cbf29ce4ull, 1, 2 };
  for (size_t i = 0; i < whole && i < extent; i += 64) {
    while (h < n_holes && holes[h][1] < i + 64)
      h++;
    if (h < n_holes && holes[h][0] <= i) {
      /* On to the first block that ends past the hole. */
      i = (holes[h][1] & ~(size_t) 63) - 64;
      continue;
    }
    uint64_t v[8];
    memcpy (v, p + i, 64);
    if ((v[0] | v[1] | v[2] | v[3] | v[4] | v[5] | v[6] | v[7]) == 0)
      continue;
    l[0] ^= i;
    for (int half = 0; half < 2; half++)
      for (int k = 0; k < 4; k++) {
        l[k] = (l[k] ^ v[4 * half + k]) * 0x100000001b3ull;
        l[k] ^= l[k] >> 29;
      }
  }
  size_t i = whole;
  for (; i + 8 <= len; i += 8) {
    uint64_t v;
    memcpy (&v, p + i, 8);
    l[0] = (l[0] ^ v) * 0x100000001b3ull;
    l[0] ^= l[0] >> 29;
  }
  if (i < len) {
    uint64_t v = 0;
    memcpy (&v, p + i, len - i);
    l[1] = (l[1] ^ v) * 0x100000001b3ull;
  }
  uint64_t d = l[0] ^ len;
  for (int k = 1; k < 4; k++)
    d = mix64 (d ^ l[k]);
  return d;
}

/* sim_hash_sparse of all len bytes, as the disks hash their images. */
static uint64_t
hash_zero_blocks (uint64_t seed, const void *data, size_t len)
{
  return sim_hash_sparse (seed, data, len, len, NULL, 0);
}

/* The digest of node n's state when the protocol has none of its own: the
 * blocks past the node's extent or inside its holes (sim_node_holes: zero,
 * or the world would not report them) are skipped unread, and most of a
 * large flat state is free slots. */
static uint64_t
state_digest (const SimWorld *w, int n)
{
  size_t holes[PROTO_MAX_HOLES][2];
  int n_holes = sim_node_holes (w, n, holes);
  return sim_hash_sparse (0, w->state_ptrs[n], w->vt->state_size, sim_node_extent (w, n), holes,
                          n_holes);
}

void
sim_world_node_digest (const SimWorld *w, int n, uint64_t out[2])
{
  const ProtoVTable *vt = w->vt;
  out[0] = vt->digest != NULL ? vt->digest (w->state_ptrs[n], &w->ctxs[n]) : state_digest (w, n);
  out[1] = sim_storage_digest (w, n, hash_zero_blocks);
}

uint64_t
sim_world_digest_seeded (const SimWorld *w, uint64_t seed)
{
  return sim_world_digest_parts (w, seed, NULL);
}

uint64_t
sim_world_digest_parts (const SimWorld *w, uint64_t seed, const uint64_t *parts)
{
  const ProtoVTable *vt = w->vt;
  uint64_t h = seed != 0 ? mix64 (seed) : 0;
  for (int n = 0; n < w->n_nodes; n++) {
    const SimNode *node = &w->nodes[n];
    uint64_t part[2];
    if (parts != NULL)
      memcpy (part, parts + 2 * n, sizeof part);
    else
      sim_world_node_digest (w, n, part);
    h = hash_add (h, part[0]);
    h = hash_add (h, (uint64_t) node->is_up | (uint64_t) node->is_paused << 1
                         | (uint64_t) node->has_held_timeout << 3);
    h = hash_add (h, timer_relative (w, n));
    h = hash_add (h, part[1]);
    if (node->behaviour[0] != '\0') {
      /* A Byzantine node: what it does next depends on its behaviour, the
       * rewriter's random stream and what it remembers. */
      h = hash_add (h, sim_hash_bytes (0, node->behaviour, strlen (node->behaviour)));
      h = hash_add (h, node->byzantine_rng.state);
      h = hash_add (h, sim_hash_bytes (0, node->byzantine_memory->data,
                                   node->byzantine_memory->len));
    }
  }
  for (int c = 0; c < w->n_clients; c++) {
    const SimClient *cl = &w->clients[c];
    int e = w->n_nodes + c;
    h = hash_add (h, sim_hash_bytes (seed, w->client_states + (size_t) c * vt->client_state_size,
                                 vt->client_state_size));
    h = hash_add (h, (uint64_t) cl->is_open | (uint64_t) cl->attempt << 1);
    h = hash_add (h, timer_relative (w, e));
    if (cl->is_open)
      h = hash_add (h, sim_hash_bytes (seed, &cl->op, sizeof cl->op));
  }
  /* In-flight messages as a multiset: a commutative sum of their hashes, so
   * the order they were sent in does not matter and duplicates count. */
  uint64_t msgs = 0;
  for (guint i = 0; i < w->net.n_slots; i++) {
    const SimMsg *m = &w->net.slots[i];
    if (m->id == 0)
      continue;
    msgs += seed == 0 ? m->digest : sim_msg_digest (m, seed);
  }
  h = hash_add (h, msgs);
  if (w->net.has_cuts) {
    h = hash_add (h, sim_hash_bytes (1 ^ seed, w->net.group,
                                 sizeof (SimGroupId) * (size_t) w->n_endpoints));
    h = hash_add (h, sim_hash_bytes (4 ^ seed, w->net.random_group,
                                 sizeof (SimGroupId) * (size_t) w->n_endpoints));
    h = hash_add (h, sim_hash_bytes (2 ^ seed, w->net.oneway,
                                 (size_t) w->n_endpoints * w->n_endpoints));
  }
  return h;
}
