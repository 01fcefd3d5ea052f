/* net.c: message fates, partitions and the store of in-flight messages. */
#include "sim/net.h"

#include <math.h>
#include <string.h>

void
sim_net_init (SimNet *net, const SimConfig *cfg, int n_endpoints, uint64_t stream_seed)
{
  memset (net, 0, sizeof *net);
  net->n_endpoints = n_endpoints;
  pcg32_seed (&net->rng, stream_seed, stream_seed >> 1);
  guint n_over = cfg->link_overrides->len;
  g_assert (n_over < G_MAXUINT16);
  net->links = g_new (SimLinkConfig, 1 + n_over);
  net->n_links = 1 + n_over;
  net->links[0] = cfg->net;
  size_t n2 = (size_t) n_endpoints * n_endpoints;
  net->link_of = g_new0 (guint16, n2);
  for (guint k = 0; k < n_over; k++) {
    const SimLinkOverride *o = &g_array_index (cfg->link_overrides, SimLinkOverride, k);
    net->links[1 + k] = o->link;
    for (int f = 0; f < n_endpoints; f++)
      for (int t = 0; t < n_endpoints; t++)
        if ((o->from < 0 || o->from == f) && (o->to < 0 || o->to == t))
          net->link_of[f * n_endpoints + t] = (guint16) (1 + k);
  }
  net->group = g_new (SimGroupId, n_endpoints);
  memset (net->group, -1, sizeof (SimGroupId) * n_endpoints);
  net->random_group = g_new (SimGroupId, n_endpoints);
  memset (net->random_group, -1, sizeof (SimGroupId) * n_endpoints);
  net->oneway = g_new0 (uint8_t, n2);
  net->is_pristine = TRUE;
  for (guint k = 0; k <= n_over; k++)
    if (net->links[k].bandwidth_bytes_per_s > 0 && net->busy_until_us == NULL)
      net->busy_until_us = g_new0 (int64_t, n2);
}

void
sim_net_clear (SimNet *net)
{
  for (guint i = 0; i < net->n_slots; i++)
    g_free (net->slots[i].heap_data);
  g_free (net->slots);
  g_free (net->free_slots);
  g_free (net->vcs);
  g_free (net->links);
  g_free (net->link_of);
  g_free (net->group);
  g_free (net->random_group);
  g_free (net->oneway);
  g_free (net->busy_until_us);
  memset (net, 0, sizeof *net);
}

void
sim_net_copy (SimNet *dst, const SimNet *src)
{
  *dst = *src;
  size_t n2 = (size_t) src->n_endpoints * src->n_endpoints;
  dst->links = g_memdup2 (src->links, sizeof (SimLinkConfig) * src->n_links);
  dst->link_of = g_memdup2 (src->link_of, sizeof (guint16) * n2);
  dst->group = g_memdup2 (src->group, sizeof (SimGroupId) * (gsize) src->n_endpoints);
  dst->random_group = g_memdup2 (src->random_group, sizeof (SimGroupId) * (gsize) src->n_endpoints);
  dst->oneway = g_memdup2 (src->oneway, n2);
  dst->busy_until_us = src->busy_until_us != NULL
                           ? g_memdup2 (src->busy_until_us, sizeof (int64_t) * n2) : NULL;
  dst->slots = g_memdup2 (src->slots, sizeof (SimMsg) * src->cap_slots);
  dst->free_slots = g_memdup2 (src->free_slots, sizeof (guint) * src->cap_slots);
  for (guint i = 0; i < src->n_slots; i++) {
    gboolean is_heap = src->slots[i].id != 0 && src->slots[i].len > SIM_MSG_INLINE;
    dst->slots[i].heap_data = is_heap ? g_memdup2 (src->slots[i].heap_data, src->slots[i].len)
                                      : NULL;
    dst->slots[i].heap_cap = is_heap ? src->slots[i].len : 0;
  }
  dst->vc_len = 0;
  dst->vcs = NULL;
}

void
sim_net_set_vc_len (SimNet *net, guint vc_len)
{
  g_assert (net->n_in_flight == 0);
  net->vc_len = vc_len;
  g_free (net->vcs);
  net->vcs = vc_len > 0 ? g_new0 (uint64_t, (size_t) net->cap_slots * vc_len) : NULL;
}

const SimLinkConfig *
sim_net_link (const SimNet *net, int from, int to)
{
  return &net->links[net->link_of[from * net->n_endpoints + to]];
}

int64_t
sim_net_latency (SimNet *net, const SimLinkConfig *link)
{
  int64_t lo = link->latency_min_us, hi = MAX (link->latency_max_us, lo);
  if (link->dist == SIM_LATENCY_UNIFORM || lo == hi)
    return lo == hi ? lo : pcg32_range (&net->rng, lo, hi);
  /* Long tail: min + a Pareto (Lomax) variable whose median is
   * median - min, capped at max.  X = s * (u^(-1/alpha) - 1) has median
   * s * (2^(1/alpha) - 1). */
  double alpha = link->tail_alpha > 0 ? link->tail_alpha : 1.0;
  double med = (double) MAX (link->latency_median_us - lo, 0);
  double s = med / (pow (2.0, 1.0 / alpha) - 1.0);
  double u = 1.0 - pcg32_double (&net->rng); /* (0, 1] */
  double x = s * (pow (u, -1.0 / alpha) - 1.0);
  if (!(x < (double) (hi - lo)))
    return hi;
  return lo + (int64_t) x;
}

void
sim_net_route (SimNet *net, int from, int to, uint32_t len, int64_t now_us, SimNetFate *fate)
{
  const SimLinkConfig *link = sim_net_link (net, from, to);
  fate->is_lost = pcg32_chance (&net->rng, link->drop);
  fate->is_duplicated = FALSE;
  if (fate->is_lost)
    return;
  int64_t start = now_us;
  if (link->bandwidth_bytes_per_s > 0) {
    int64_t *busy = &net->busy_until_us[from * net->n_endpoints + to];
    start = MAX (start, *busy);
    int64_t bw = link->bandwidth_bytes_per_s;
    start += ((int64_t) len * G_USEC_PER_SEC + bw - 1) / bw;
    *busy = start;
  }
  fate->arrive_us[0] = start + sim_net_latency (net, link);
  if (link->reorder_window_us > 0 && pcg32_chance (&net->rng, link->reorder))
    fate->arrive_us[0] += pcg32_range (&net->rng, 0, link->reorder_window_us);
  if (pcg32_chance (&net->rng, link->duplicate)) {
    fate->is_duplicated = TRUE;
    fate->arrive_us[1] = start + sim_net_latency (net, link);
  }
}

static void
net_update_has_cuts (SimNet *net)
{
  gboolean any = FALSE;
  for (int i = 0; i < net->n_endpoints; i++)
    any |= net->group[i] >= 0 || net->random_group[i] >= 0;
  size_t n2 = (size_t) net->n_endpoints * net->n_endpoints;
  for (size_t i = 0; i < n2 && !any; i++)
    any = net->oneway[i] != 0;
  net->has_cuts = any;
}

void
sim_net_partition (SimNet *net, const SimGroupId *group)
{
  net->is_pristine = FALSE;
  memcpy (net->group, group, sizeof (SimGroupId) * net->n_endpoints);
  net_update_has_cuts (net);
}

void
sim_net_partition_random (SimNet *net, const SimGroupId *group)
{
  net->is_pristine = FALSE;
  memcpy (net->random_group, group, sizeof (SimGroupId) * net->n_endpoints);
  net_update_has_cuts (net);
}

void
sim_net_heal_random (SimNet *net)
{
  net->is_pristine = FALSE;
  memset (net->random_group, -1, sizeof (SimGroupId) * net->n_endpoints);
  net_update_has_cuts (net);
}

void
sim_net_cut_oneway (SimNet *net, int from, int to)
{
  net->is_pristine = FALSE;
  net->oneway[from * net->n_endpoints + to] = 1;
  net->has_cuts = TRUE;
}

void
sim_net_heal (SimNet *net)
{
  net->is_pristine = FALSE;
  memset (net->group, -1, sizeof (SimGroupId) * net->n_endpoints);
  memset (net->random_group, -1, sizeof (SimGroupId) * net->n_endpoints);
  memset (net->oneway, 0, (size_t) net->n_endpoints * net->n_endpoints);
  net->has_cuts = FALSE;
}

void
sim_net_heal_loss (SimNet *net)
{
  net->is_pristine = FALSE;
  for (guint i = 0; i < net->n_links; i++) {
    net->links[i].drop = 0;
    net->links[i].duplicate = 0;
  }
}

guint
sim_net_store (SimNet *net, uint64_t id, uint64_t dup_of, int from, int to,
               int64_t sent_us, const void *data, uint32_t len)
{
  guint slot;
  if (net->n_free > 0) {
    slot = net->free_slots[--net->n_free];
  } else {
    if (net->n_slots == net->cap_slots) {
      guint cap = net->cap_slots > 0 ? net->cap_slots * 2 : 256;
      net->slots = g_renew (SimMsg, net->slots, cap);
      net->free_slots = g_renew (guint, net->free_slots, cap);
      if (net->vc_len > 0)
        net->vcs = g_renew (uint64_t, net->vcs, (size_t) cap * net->vc_len);
      net->cap_slots = cap;
    }
    slot = net->n_slots++;
    net->slots[slot].heap_data = NULL;
    net->slots[slot].heap_cap = 0;
  }
  SimMsg *m = &net->slots[slot];
  m->id = id;
  m->dup_of = dup_of;
  m->from = from;
  m->to = to;
  m->sent_us = sent_us;
  m->len = len;
  m->checksum = 0;
  m->has_checksum = 0;
  if (len <= SIM_MSG_INLINE) {
    memcpy (m->inline_data, data, len);
  } else {
    if (m->heap_cap < len) {
      m->heap_data = g_realloc (m->heap_data, len);
      m->heap_cap = len;
    }
    memcpy (m->heap_data, data, len);
  }
  net->n_in_flight++;
  return slot;
}

void
sim_net_release (SimNet *net, guint slot)
{
  SimMsg *m = sim_net_msg (net, slot);
  g_assert (m->id != 0);
  m->id = 0;
  /* heap_data stays allocated for reuse by the next large message. */
  net->free_slots[net->n_free++] = slot;
  net->n_in_flight--;
}
