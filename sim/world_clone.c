/* world_clone.c: copying a world (to explore from a state) and hashing what
 * its protocol can observe (to recognise states already seen). */
#include "sim/world_internal.h"

#include <string.h>

static ChkHistory *
history_copy (const ChkHistory *h)
{
  ChkHistory *c = chk_history_new ();
  /* Interning in the same order gives the same ids. */
  for (guint i = 0; i < h->strings->len; i++)
    chk_history_intern (c, g_ptr_array_index (h->strings, i));
  g_array_append_vals (c->events, h->events->data, h->events->len);
  g_array_append_vals (c->sibling_sets, h->sibling_sets->data, h->sibling_sets->len);
  g_array_append_vals (c->lists, h->lists->data, h->lists->len);
  c->source = g_strdup (h->source);
  return c;
}

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
  c->persist_scratch = g_memdup2 (w->persist_scratch, MAX (vt->persist_size, 1));
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
  c->history = history_copy (w->history);

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

/* ---- Digest --------------------------------------------------------------*/

static inline uint64_t
mix64 (uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* FNV-1a over the bytes, then mixed: canonical for equal bytes. */
static uint64_t
hash_bytes (uint64_t h, const void *data, size_t len)
{
  const uint8_t *p = data;
  h ^= 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 0x100000001b3ULL;
  return mix64 (h ^ len);
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
sim_world_digest_seeded (const SimWorld *w, uint64_t seed)
{
  const ProtoVTable *vt = w->vt;
  uint64_t h = seed != 0 ? mix64 (seed) : 0;
  for (int n = 0; n < w->n_nodes; n++) {
    const SimNode *node = &w->nodes[n];
    uint64_t d = vt->digest != NULL ? vt->digest (w->state_ptrs[n], &w->ctxs[n])
                                    : hash_bytes (0, w->state_ptrs[n], vt->state_size);
    h = hash_add (h, d);
    h = hash_add (h, (uint64_t) node->is_up | (uint64_t) node->is_paused << 1
                         | (uint64_t) node->has_held_timeout << 3);
    h = hash_add (h, timer_relative (w, n));
    h = hash_add (h, sim_storage_digest (w, n, hash_bytes));
    if (node->behaviour[0] != '\0') {
      /* A Byzantine node: what it does next depends on its behaviour, the
       * rewriter's random stream and what it remembers. */
      h = hash_add (h, hash_bytes (0, node->behaviour, strlen (node->behaviour)));
      h = hash_add (h, node->byzantine_rng.state);
      h = hash_add (h, hash_bytes (0, node->byzantine_memory->data,
                                   node->byzantine_memory->len));
    }
  }
  for (int c = 0; c < w->n_clients; c++) {
    const SimClient *cl = &w->clients[c];
    int e = w->n_nodes + c;
    h = hash_add (h, hash_bytes (seed, w->client_states + (size_t) c * vt->client_state_size,
                                 vt->client_state_size));
    h = hash_add (h, (uint64_t) cl->is_open | (uint64_t) cl->attempt << 1);
    h = hash_add (h, timer_relative (w, e));
    if (cl->is_open)
      h = hash_add (h, hash_bytes (seed, &cl->op, sizeof cl->op));
  }
  /* In-flight messages as a multiset: a commutative sum of their hashes, so
   * the order they were sent in does not matter and duplicates count. */
  uint64_t msgs = 0;
  for (guint i = 0; i < w->net.n_slots; i++) {
    const SimMsg *m = &w->net.slots[i];
    if (m->id == 0)
      continue;
    uint64_t mh = hash_bytes (((uint64_t) m->from << 32 | (uint32_t) m->to) ^ seed,
                              sim_msg_data (m), m->len);
    msgs += mix64 (mh);
  }
  h = hash_add (h, msgs);
  if (w->net.has_cuts) {
    h = hash_add (h, hash_bytes (1 ^ seed, w->net.group,
                                 sizeof (SimGroupId) * (size_t) w->n_endpoints));
    h = hash_add (h, hash_bytes (4 ^ seed, w->net.random_group,
                                 sizeof (SimGroupId) * (size_t) w->n_endpoints));
    h = hash_add (h, hash_bytes (2 ^ seed, w->net.oneway,
                                 (size_t) w->n_endpoints * w->n_endpoints));
  }
  return h;
}
