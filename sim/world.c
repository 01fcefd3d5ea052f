/* world.c: SimWorld: building a world, applying choices, stepping nodes and
 * client stubs, delivering messages, timers and invariant checks.
 *
 * Faults live in faults.c, the workload in client.c, the trace in trace.c. */
#include "sim/world_internal.h"
#include "sim/byzantine.h"

#include <string.h>

#define SIM_TAIL_LINES 40
/* More events than this at one virtual instant means time has stopped. */
#define SIM_MAX_EVENTS_PER_INSTANT 1000000u

static void endpoint_step (SimWorld *w, int endpoint, ProtoEvent *ev, int release_slot);

/* ---- Building and freeing -----------------------------------------------*/

SimWorld *
sim_world_new (const SimConfig *cfg, uint64_t seed)
{
  g_assert (cfg->proto != NULL);
  g_assert (cfg->n_nodes >= 1 && cfg->n_nodes <= PROTO_MAX_NODES);
  g_assert (cfg->workload.n_clients >= 0 && cfg->workload.n_clients <= SIM_MAX_CLIENTS);
  g_assert (cfg->workload.n_keys >= 1 && cfg->workload.n_keys <= SIM_MAX_KEYS);

  SimWorld *w = g_new0 (SimWorld, 1);
  w->cfg = sim_config_copy (cfg);
  w->vt = cfg->proto;
  w->seed = seed;
  w->stall_limit = SIM_MAX_EVENTS_PER_INSTANT;
  w->n_nodes = cfg->n_nodes;
  w->n_clients = cfg->workload.n_clients;
  w->n_endpoints = w->n_nodes + w->n_clients;
  g_assert (w->n_endpoints <= PROTO_MAX_ENDPOINTS);

  sim_queue_init (&w->queue);
  sim_net_init (&w->net, w->cfg, w->n_endpoints, pcg32_derive (seed, SIM_STREAM_NET, 0));

  const ProtoVTable *vt = w->vt;
  w->node_states = g_malloc0 (MAX (vt->state_size, 1) * w->n_nodes);
  w->client_states = g_malloc0 (MAX (vt->client_state_size, 1) * MAX (w->n_clients, 1));
  w->nodes = g_new0 (SimNode, w->n_nodes);
  w->clients = g_new0 (SimClient, MAX (w->n_clients, 1));
  w->timers = g_new0 (SimTimer, w->n_endpoints);
  w->clocks = g_new0 (SimClock, w->n_endpoints);
  w->ctxs = g_new0 (ProtoCtx, w->n_endpoints);
  w->state_ptrs = g_new0 (const void *, w->n_nodes);
  w->is_up = g_new0 (gboolean, w->n_nodes);
  w->ghost = g_malloc0 (MAX (vt->ghost_size, 1));
  proto_outbox_init (&w->outbox);
  w->why = g_string_new (NULL);

  for (int e = 0; e < w->n_endpoints; e++) {
    ProtoCtx *ctx = &w->ctxs[e];
    ctx->self = e;
    ctx->n_nodes = w->n_nodes;
    ctx->n_clients = w->n_clients;
    ctx->config = w->cfg->proto_config;
    w->timers[e].deadline = PROTO_NO_DEADLINE;
    w->timers[e].queued_us = -1;
  }
  for (int n = 0; n < w->n_nodes; n++) {
    w->nodes[n].held = g_array_new (FALSE, FALSE, sizeof (guint));
    w->nodes[n].byzantine_memory = g_byte_array_new ();
    pcg32_seed (&w->nodes[n].byzantine_rng,
                pcg32_derive (seed, SIM_STREAM_BYZANTINE, (uint32_t) n), (uint64_t) n);
    w->state_ptrs[n] = w->node_states + (size_t) n * vt->state_size;
  }

  sim_world_marks_init (w);
  sim_world_set_byzantine (w, sim_byzantine_rewrite, (void *) vt);
  sim_storage_init (w);

  sim_trace_init (w);

  /* Time 0: nodes boot in order, then faults, then clients. */
  for (int n = 0; n < w->n_nodes; n++)
    sim_queue_push (&w->queue, 0, SIM_CHOICE_START, n, 0);
  sim_faults_init (w);
  sim_clients_init (w);
  return w;
}

void
sim_world_free (SimWorld *w)
{
  if (w == NULL)
    return;
  for (int n = 0; n < w->n_nodes; n++) {
    g_array_unref (w->nodes[n].held);
    g_byte_array_unref (w->nodes[n].byzantine_memory);
  }
  sim_clients_clear (w);
  sim_storage_clear (w);
  sim_trace_clear (&w->trace);
  proto_outbox_clear (&w->outbox);
  sim_net_clear (&w->net);
  sim_queue_clear (&w->queue);
  g_free (w->node_states);
  g_free (w->client_states);
  g_free (w->nodes);
  g_free (w->clients);
  g_free (w->timers);
  g_free (w->clocks);
  g_free (w->ctxs);
  g_free (w->state_ptrs);
  g_free (w->is_up);
  if (w->vt->ghost_free != NULL)
    w->vt->ghost_free (w->ghost);
  g_free (w->ghost);
  g_ptr_array_unref (w->mark_names);
  g_array_unref (w->mark_counts);
  g_hash_table_unref (w->mark_index);
  if (w->failure != NULL)
    g_string_free (w->failure, TRUE);
  if (w->limit != NULL)
    g_string_free (w->limit, TRUE);
  g_string_free (w->why, TRUE);
  sim_config_free (w->cfg);
  g_free (w);
}

void
sim_world_marks_init (SimWorld *w)
{
  w->mark_names = g_ptr_array_new ();
  w->mark_counts = g_array_new (FALSE, TRUE, sizeof (uint64_t));
  w->mark_index = g_hash_table_new (g_str_hash, g_str_equal);
}

/* ---- Clocks and timers ---------------------------------------------------*/

/* local = virtual + skew + drift_ppm * (virtual - since) / 10^6, in
 * integers: drift accumulates from the moment the clock was set. */
int64_t
sim_node_local_time (const SimWorld *w, int e, int64_t virtual_us)
{
  const SimClock *c = &w->clocks[e];
  if (c->drift_ppm == 0)
    return virtual_us + c->skew_us;
  __int128 drift = (__int128) c->drift_ppm * ((__int128) virtual_us - c->since_us) / 1000000;
  return (int64_t) ((__int128) virtual_us + c->skew_us + drift);
}

/* The first virtual time at which the endpoint's clock reads at least
 * local_us. */
int64_t
sim_endpoint_virtual_time (const SimWorld *w, int e, int64_t local_us)
{
  const SimClock *c = &w->clocks[e];
  if (c->drift_ppm == 0) {
    __int128 v = (__int128) local_us - c->skew_us;
    return v > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t) v;
  }
  __int128 v128 = c->since_us + ((__int128) local_us - c->skew_us - c->since_us) * 1000000
                                    / (1000000 + c->drift_ppm);
  if (v128 > INT64_MAX / 2)
    return INT64_MAX / 2;
  if (v128 < INT64_MIN / 2)
    v128 = INT64_MIN / 2;
  int64_t v = (int64_t) v128;
  /* The division rounded, by up to 10^6 / (10^6 + drift) instants (a
   * million near -100% drift): find the exact first instant by galloping
   * from the estimate, then halving; the local clock never goes back. */
  int64_t lo, hi; /* local(lo) < local_us <= local(hi) */
  if (sim_node_local_time (w, e, v) >= local_us) {
    hi = v;
    int64_t step = 1;
    for (;;) {
      lo = hi - step >= INT64_MIN / 2 ? hi - step : INT64_MIN / 2;
      if (lo == INT64_MIN / 2 || sim_node_local_time (w, e, lo) < local_us)
        break;
      hi = lo;
      step *= 2;
    }
    if (sim_node_local_time (w, e, lo) >= local_us)
      return lo;
  } else {
    lo = v;
    int64_t step = 1;
    for (;;) {
      hi = lo + step <= INT64_MAX / 2 ? lo + step : INT64_MAX / 2;
      if (hi == INT64_MAX / 2 || sim_node_local_time (w, e, hi) >= local_us)
        break;
      lo = hi;
      step *= 2;
    }
    if (sim_node_local_time (w, e, hi) < local_us)
      return INT64_MAX / 2;
  }
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    if (sim_node_local_time (w, e, mid) >= local_us)
      hi = mid;
    else
      lo = mid;
  }
  return hi;
}

void
sim_clock_set (SimWorld *w, int e, int64_t skew_us, int64_t drift_ppm)
{
  SimClock *c = &w->clocks[e];
  c->skew_us = skew_us;
  c->drift_ppm = CLAMP (drift_ppm, -999999, 1000000);
  c->since_us = w->stats.now_us;
}

static inline int64_t
endpoint_now (const SimWorld *w, int endpoint)
{
  return sim_node_local_time (w, endpoint, w->stats.now_us);
}

int64_t
sim_timer_due (const SimWorld *w, int endpoint)
{
  const SimTimer *t = &w->timers[endpoint];
  if (t->deadline == PROTO_NO_DEADLINE)
    return INT64_MAX;
  return sim_endpoint_virtual_time (w, endpoint, t->deadline);
}

/* The endpoint's deadline (or its clock) changed: make sure an event is
 * queued no later than the new due time. */
void
sim_timer_rearm (SimWorld *w, int endpoint)
{
  SimTimer *t = &w->timers[endpoint];
  if (t->deadline == PROTO_NO_DEADLINE)
    return; /* a queued event will find nothing to fire */
  int64_t due = MAX (sim_timer_due (w, endpoint), w->stats.now_us);
  if (t->queued_us >= 0 && t->queued_us <= due)
    return; /* the queued event comes first and will be queued again */
  t->gen++;
  t->queued_us = due;
  sim_queue_push (&w->queue, due, SIM_CHOICE_TIMEOUT, endpoint, t->gen);
}

/* A TIMEOUT event of the current generation came up: FALSE if there is
 * nothing to fire yet (the deadline was cleared, or moved later: then the
 * event is queued again at the new due time). */
static gboolean
timer_settle (SimWorld *w, const SimEvent *ev)
{
  SimTimer *t = &w->timers[ev->a];
  t->queued_us = -1;
  int64_t due = sim_timer_due (w, ev->a);
  if (due == INT64_MAX)
    return FALSE;
  if (due > ev->time_us) {
    t->queued_us = due;
    sim_queue_push (&w->queue, due, SIM_CHOICE_TIMEOUT, ev->a, t->gen);
    return FALSE;
  }
  return TRUE;
}

/* ---- Invariants and marks ----------------------------------------------- */

static void
world_fail (SimWorld *w, const char *why)
{
  g_assert (w->failure == NULL);
  w->failure = g_string_new (why);
  w->is_over = TRUE;
  if (w->trace.tail_cap > 0) {
    g_string_append (w->failure, "\nlast trace lines:\n");
    sim_trace_tail (w, w->failure);
    return;
  }
  if (w->is_driven)
    return; /* choices came from outside: cannot replay by seed */
  /* No trace was kept: replay the same run with a tail to show the way
   * there (same config, same seed: the same events). */
  g_autoptr (SimWorld) again = sim_world_new (w->cfg, w->seed);
  again->stall_limit = w->stall_limit;
  again->max_events = w->max_events;
  again->max_memory_bytes = w->max_memory_bytes;
  sim_world_set_trace_tail (again, SIM_TAIL_LINES);
  sim_world_set_byzantine (again, w->byzantine_fn, w->byzantine_data);
  while (sim_world_step (again))
    ;
  if (again->failure != NULL && again->stats.events == w->stats.events)
    g_string_assign (w->failure, again->failure->str);
}

void
sim_world_run_check (SimWorld *w)
{
  if (w->vt->check == NULL || w->failure != NULL)
    return;
  for (int n = 0; n < w->n_nodes; n++) {
    w->is_up[n] = w->nodes[n].is_up;
    w->ctxs[n].disk = sim_storage_image (w, n);
  }
  g_string_truncate (w->why, 0);
  if (!w->vt->check (w->ghost, w->state_ptrs, w->is_up, w->ctxs, w->n_nodes, w->why)) {
    if (w->why->len == 0)
      g_string_assign (w->why, "an invariant of the protocol broke (no explanation given)");
    g_autofree char *why = g_strdup (w->why->str);
    world_fail (w, why);
  }
}

static void
mark_reached (SimWorld *w, const char *mark)
{
  gpointer found = g_hash_table_lookup (w->mark_index, mark);
  if (found != NULL) {
    g_array_index (w->mark_counts, uint64_t, GPOINTER_TO_UINT (found) - 1)++;
    return;
  }
  uint64_t one = 1;
  g_ptr_array_add (w->mark_names, (gpointer) mark);
  g_array_append_val (w->mark_counts, one);
  g_hash_table_insert (w->mark_index, (gpointer) mark, GUINT_TO_POINTER (w->mark_names->len));
}

/* ---- Messages ------------------------------------------------------------*/

static void
msg_label (SimWorld *w, const void *data, size_t len)
{
  g_string_truncate (w->trace.label, 0);
  if (w->vt->format_msg != NULL)
    w->vt->format_msg (data, len, w->trace.label);
}

static void
msg_drop (SimWorld *w, guint slot, const char *reason)
{
  SimMsg *m = sim_net_msg (&w->net, slot);
  w->stats.msgs_dropped++;
  if (w->trace.is_on) {
    sim_trace_begin (w, m->to, "drop");
    sim_trace_msg (w, m, m->from);
    sim_trace_field_str (w, "reason", reason);
    msg_label (w, sim_msg_data (m), m->len);
    sim_trace_end (w, m->to);
  }
  sim_net_release (&w->net, slot);
}

/* The transport's checksum of a message (FNV-1a, 32 bits). */
static uint32_t
msg_checksum (const void *data, uint32_t len)
{
  const uint8_t *p = data;
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

/* On a link that corrupts, the message carries its checksum, and with the
 * link's probability one bit of the copy in flight flips (the network's own
 * stream decides which). */
static void
msg_maybe_corrupt (SimWorld *w, guint slot)
{
  SimMsg *m = sim_net_msg (&w->net, slot);
  double p = sim_net_link (&w->net, m->from, m->to)->corrupt;
  if (p <= 0 || m->len == 0)
    return;
  uint8_t *data = (uint8_t *) sim_msg_data (m);
  m->checksum = msg_checksum (data, m->len);
  m->has_checksum = 1;
  if (pcg32_chance (&w->net.rng, p)) {
    uint32_t bit = pcg32_below (&w->net.rng, m->len * 8);
    data[bit / 8] ^= (uint8_t) (1u << (bit % 8));
  }
}

static void
msg_queue (SimWorld *w, int from, int to, const void *data, uint32_t len, int64_t at_us,
           uint64_t dup_of, const char *kind)
{
  uint64_t id = ++w->next_msg_id;
  guint slot = sim_net_store (&w->net, id, dup_of, from, to, w->stats.now_us, data, len);
  msg_maybe_corrupt (w, slot);
  SimMsg *stored = sim_net_msg (&w->net, slot);
  stored->digest = sim_msg_digest (stored, 0);
  if (w->trace.is_on) {
    SimMsg *m = sim_net_msg (&w->net, slot);
    sim_trace_begin (w, from, kind);
    sim_trace_msg (w, m, to);
    sim_trace_end (w, from);
    memcpy (sim_net_msg_vc (&w->net, slot), w->trace.vc + (size_t) from * w->n_endpoints,
            sizeof (uint64_t) * w->n_endpoints);
  }
  sim_queue_push (&w->queue, at_us, SIM_CHOICE_DELIVER, (int32_t) slot, id);
}

void
sim_world_send (SimWorld *w, int from, int to, const void *data, uint32_t len,
                int64_t delay_us)
{
  g_assert (to >= 0 && to < w->n_endpoints);
  w->stats.msgs_sent++;
  w->stats.bytes_sent += len;
  SimNetFate fate;
  sim_net_route (&w->net, from, to, len, w->stats.now_us, &fate);
  sim_deliveries_route (w, from, to, &fate);
  if (delay_us > 0) {
    fate.arrive_us[0] += delay_us; /* held by a Byzantine sender */
    fate.arrive_us[1] += delay_us;
  }
  if (w->trace.is_on)
    msg_label (w, data, len);
  if (fate.is_lost) {
    uint64_t id = ++w->next_msg_id;
    w->stats.msgs_dropped++;
    if (w->trace.is_on) {
      SimMsg m = { .id = id, .from = from, .to = to, .len = len };
      sim_trace_begin (w, from, "send");
      sim_trace_msg (w, &m, to);
      sim_trace_end (w, from);
      sim_trace_begin (w, from, "drop");
      sim_trace_msg (w, &m, to);
      sim_trace_field_str (w, "reason", "loss");
      sim_trace_end (w, from);
    }
    return;
  }
  uint64_t first = w->next_msg_id + 1;
  msg_queue (w, from, to, data, len, fate.arrive_us[0], 0, "send");
  if (fate.is_duplicated) {
    w->stats.msgs_duplicated++;
    msg_queue (w, from, to, data, len, fate.arrive_us[1], first, "dup");
  }
}

static void
msg_deliver (SimWorld *w, guint slot)
{
  SimMsg *m = sim_net_msg (&w->net, slot);
  int to = m->to;
  if (to < w->n_nodes && !w->nodes[to].is_up) {
    msg_drop (w, slot, "crashed");
    return;
  }
  if (sim_net_is_cut (&w->net, m->from, to)) {
    msg_drop (w, slot, "partition");
    return;
  }
  if (to < w->n_nodes && w->nodes[to].is_paused) {
    g_array_append_val (w->nodes[to].held, slot);
    return;
  }
  if (m->has_checksum && msg_checksum (sim_msg_data (m), m->len) != m->checksum) {
    w->stats.msgs_corrupted++;
    msg_drop (w, slot, "corrupt");
    return;
  }
  w->stats.msgs_delivered++;
  if (w->trace.is_on) {
    sim_trace_merge (w, to, sim_net_msg_vc (&w->net, slot));
    sim_trace_begin (w, to, "recv");
    sim_trace_msg (w, m, m->from);
    msg_label (w, sim_msg_data (m), m->len);
    sim_trace_end (w, to);
  }
  ProtoEvent ev = {
    .kind = PROTO_EV_RECEIVE,
    .from = m->from,
    .msg = sim_msg_data (m),
    .msg_len = m->len,
  };
  endpoint_step (w, to, &ev, (int) slot);
}

/* ---- Stepping nodes and client stubs -------------------------------------*/

static void
outbox_notes (SimWorld *w, int endpoint, const ProtoOutbox *out)
{
  for (guint i = 0; i < out->marks->len; i++)
    mark_reached (w, g_ptr_array_index (out->marks, i));
  if (!w->trace.is_on)
    return;
  if (out->notes->len > 0) {
    const char *p = out->notes->str;
    for (;;) {
      const char *nl = strchr (p, '\n');
      size_t n = nl != NULL ? (size_t) (nl - p) : strlen (p);
      g_string_truncate (w->trace.label, 0);
      g_string_append_len (w->trace.label, p, (gssize) n);
      sim_trace_begin (w, endpoint, "note");
      sim_trace_end (w, endpoint);
      if (nl == NULL)
        break;
      p = nl + 1;
    }
  }
  for (guint i = 0; i < out->marks->len; i++) {
    const char *mark = g_ptr_array_index (out->marks, i);
    g_string_assign (w->trace.label, mark);
    sim_trace_begin (w, endpoint, "note");
    sim_trace_field_str (w, "mark", mark);
    sim_trace_end (w, endpoint);
  }
}

static void endpoint_step_finish (SimWorld *w, int e, ProtoOutbox *out);

/* Runs one protocol step of a node or client stub and carries out its
 * outbox.  release_slot >= 0: the delivered message, freed after the step
 * and before the outbox's messages are stored. */
static void
endpoint_step (SimWorld *w, int e, ProtoEvent *ev, int release_slot)
{
  ProtoOutbox *out = &w->outbox;
  proto_outbox_reset (out);
  out->is_quiet = !w->trace.is_on; /* notes are only traced */
  SimTimer *timer = &w->timers[e];
  out->deadline_us = timer->deadline;
  ev->now_us = endpoint_now (w, e);
  gboolean is_node = e < w->n_nodes;
  sim_world_touch (w, e);
  if (is_node)
    w->vt->step (w->node_states + (size_t) e * w->vt->state_size, &w->ctxs[e], ev, out);
  else
    w->vt->client_step (w->client_states + (size_t) (e - w->n_nodes) * w->vt->client_state_size,
                        &w->ctxs[e], ev, out);
  if (release_slot >= 0)
    sim_net_release (&w->net, (guint) release_slot);
  endpoint_step_finish (w, e, out);
}

/* An operator's command to a node (vt->admin), carried out like a step. */
void
sim_node_admin (SimWorld *w, int node, const char *command)
{
  g_assert (w->vt->admin != NULL);
  sim_world_touch (w, node);
  ProtoOutbox *out = &w->outbox;
  proto_outbox_reset (out);
  out->is_quiet = !w->trace.is_on;
  out->deadline_us = w->timers[node].deadline;
  w->vt->admin (w->node_states + (size_t) node * w->vt->state_size, &w->ctxs[node], command,
                endpoint_now (w, node), out);
  endpoint_step_finish (w, node, out);
}

/* The outbox of a step: byzantine rewriting, notes, syncs, messages, the
 * deadline, then invariants (nodes) or the operation's end (clients). */
static void
endpoint_step_finish (SimWorld *w, int e, ProtoOutbox *out)
{
  SimTimer *timer = &w->timers[e];
  gboolean is_node = e < w->n_nodes;
  if (is_node && w->nodes[e].behaviour[0] != '\0' && w->byzantine_fn != NULL)
    w->byzantine_fn (w->nodes[e].behaviour, &w->ctxs[e], w->state_ptrs[e], out,
                     &w->nodes[e].byzantine_rng, w->nodes[e].byzantine_memory,
                     w->byzantine_data);

  if (out->notes->len > 0 || out->marks->len > 0)
    outbox_notes (w, e, out);
  if (is_node)
    sim_storage_step_end (w, e, out);
  const ProtoOutMsg *msgs = (const ProtoOutMsg *) (void *) out->msgs->data;
  for (guint i = 0; i < out->msgs->len; i++)
    sim_world_send (w, e, msgs[i].to, out->bytes->data + msgs[i].offset, msgs[i].len,
                    msgs[i].delay_us);
  if (out->deadline_us != timer->deadline) {
    timer->deadline = out->deadline_us;
    sim_timer_rearm (w, e);
  }
  if (is_node) {
    sim_world_run_check (w);
  } else {
    if (w->vt->check_client != NULL && w->failure == NULL) {
      g_string_truncate (w->why, 0);
      if (!w->vt->check_client (w->ghost,
                                w->client_states
                                    + (size_t) (e - w->n_nodes) * w->vt->client_state_size,
                                &w->ctxs[e], w->why)) {
        g_autofree char *why = g_strdup (w->why->str);
        world_fail (w, why);
      }
    }
    if (out->has_result)
      sim_client_result (w, e - w->n_nodes, &out->result);
  }
}

void
sim_node_step (SimWorld *w, int node, ProtoEvent *ev)
{
  endpoint_step (w, node, ev, -1);
}

void
sim_client_step_event (SimWorld *w, int client, ProtoEvent *ev)
{
  endpoint_step (w, w->n_nodes + client, ev, -1);
}

static void
fire_timeout (SimWorld *w, int e)
{
  int64_t due = sim_timer_due (w, e);
  if (due > w->stats.now_us && due != INT64_MAX)
    w->stats.now_us = due; /* applied ahead of its time by sim_world_apply */
  w->timers[e].queued_us = -1;
  if (e < w->n_nodes && w->nodes[e].is_paused) {
    w->nodes[e].has_held_timeout = TRUE;
    return;
  }
  w->timers[e].deadline = PROTO_NO_DEADLINE;
  if (w->trace.is_on) {
    g_string_truncate (w->trace.label, 0);
    sim_trace_begin (w, e, "timeout");
    sim_trace_end (w, e);
  }
  ProtoEvent ev = { .kind = PROTO_EV_TIMEOUT };
  endpoint_step (w, e, &ev, -1);
}

/* ---- Applying events -----------------------------------------------------*/

/* Is a queued event still meaningful?  Timer events of an older generation
 * or with no deadline left, and client events of a finished operation, are
 * not: they are skipped without counting.  A timer event whose deadline
 * moved later is pending (it will fire, later). */
static gboolean
event_is_live (const SimWorld *w, const SimEvent *ev)
{
  switch ((SimChoiceKind) ev->kind) {
  case SIM_CHOICE_TIMEOUT:
    return w->timers[ev->a].gen == ev->b && w->timers[ev->a].deadline != PROTO_NO_DEADLINE;
  case SIM_CHOICE_INVOKE:
  case SIM_CHOICE_ATTEMPT_TIMEOUT:
  case SIM_CHOICE_RETRY:
  case SIM_CHOICE_OP_TIMEOUT:
    return sim_client_event_is_live (w, ev);
  case SIM_CHOICE_SYNC_DONE:
    return sim_storage_sync_is_pending (w, ev->a, ev->b);
  default:
    return TRUE;
  }
}

static void
event_apply (SimWorld *w, const SimEvent *ev)
{
  if (ev->time_us > w->stats.now_us) {
    w->stats.now_us = ev->time_us;
    w->events_this_instant = 0;
  }
  w->stats.events++;
  if (++w->events_this_instant > w->stall_limit && w->failure == NULL) {
    /* Virtual time no longer moves: a protocol keeps setting deadlines at
     * its current time, or messages take no time at all.  Stop instead of
     * running forever. */
    g_autofree char *why = g_strdup_printf (
        "no-progress: %" G_GUINT64_FORMAT " events at virtual time %" G_GINT64_FORMAT
        "us without time moving (a deadline set at the current time over and over, "
        "or zero network latency with endless messages)",
        w->events_this_instant - 1, w->stats.now_us);
    world_fail (w, why);
    return;
  }
  switch ((SimChoiceKind) ev->kind) {
  case SIM_CHOICE_START:
    sim_node_restart (w, ev->a);
    break;
  case SIM_CHOICE_DELIVER:
    msg_deliver (w, (guint) ev->a);
    break;
  case SIM_CHOICE_TIMEOUT:
    fire_timeout (w, ev->a);
    break;
  case SIM_CHOICE_FAULT:
    sim_fault_apply (w, &g_array_index (w->cfg->faults, SimFault, ev->a));
    break;
  case SIM_CHOICE_RANDOM_FAULT:
    sim_fault_random (w, (SimRandomSource) ev->a);
    break;
  case SIM_CHOICE_FAULT_END:
    sim_fault_end (w, ev->a, ev->b);
    break;
  case SIM_CHOICE_INVOKE:
    sim_client_invoke (w, ev->a - w->n_nodes);
    break;
  case SIM_CHOICE_ATTEMPT_TIMEOUT:
    sim_client_attempt_timeout (w, ev->a - w->n_nodes);
    break;
  case SIM_CHOICE_RETRY:
    sim_client_retry (w, ev->a - w->n_nodes);
    break;
  case SIM_CHOICE_OP_TIMEOUT:
    sim_client_op_timeout (w, ev->a - w->n_nodes);
    break;
  case SIM_CHOICE_SYNC_DONE:
    sim_storage_sync_done (w, ev->a, ev->b);
    break;
  case SIM_CHOICE_DROP:
  case SIM_CHOICE_INJECT:
  case SIM_CHOICE_DUPLICATE:
    g_assert_not_reached ();
  }
}

gboolean
sim_world_step (SimWorld *w)
{
  if (w->is_over || !sim_world_within_limits (w))
    return FALSE;
  SimEvent ev;
  for (;;) {
    const SimEvent *top = sim_queue_peek (&w->queue);
    if (top == NULL) {
      w->is_over = TRUE;
      return FALSE;
    }
    if (top->time_us > w->cfg->duration_us) {
      w->stats.now_us = MAX (w->stats.now_us, w->cfg->duration_us);
      w->is_over = TRUE;
      return FALSE;
    }
    sim_queue_pop (&w->queue, &ev);
    if (!event_is_live (w, &ev))
      continue;
    if (ev.kind == SIM_CHOICE_TIMEOUT && !timer_settle (w, &ev))
      continue;
    break;
  }
  event_apply (w, &ev);
  return !w->is_over;
}

void
sim_world_finish (SimWorld *w)
{
  if (w->is_finished)
    return;
  w->is_finished = TRUE;
  w->is_over = TRUE;
  sim_clients_finish (w);
  if (w->trace.out != NULL)
    fflush (w->trace.out);
}

void
sim_world_run (SimWorld *w)
{
  while (sim_world_step (w))
    ;
  sim_world_finish (w);
}

gboolean
sim_world_is_over (const SimWorld *w)
{
  return w->is_over;
}

/* ---- Choices -------------------------------------------------------------*/

static void
choice_of_event (const SimWorld *w, const SimEvent *ev, SimChoice *c)
{
  memset (c, 0, sizeof *c);
  c->kind = (SimChoiceKind) ev->kind;
  c->time_us = ev->time_us;
  c->id = ev->b;
  c->endpoint = ev->a;
  switch (c->kind) {
  case SIM_CHOICE_DELIVER:
    c->endpoint = sim_net_msg (&w->net, (guint) ev->a)->to;
    break;
  case SIM_CHOICE_FAULT:
  case SIM_CHOICE_RANDOM_FAULT:
    c->endpoint = -1;
    c->id = (uint64_t) ev->a;
    break;
  default:
    break;
  }
}

static gint
compare_events_data (gconstpointer a, gconstpointer b, gpointer data)
{
  const SimEvent *x = a, *y = b;
  return sim_event_before (x, y) ? -1 : sim_event_before (y, x) ? 1 : 0;
}

void
sim_world_enabled (SimWorld *w, GArray *out)
{
  /* The explorer asks in every state: a short queue is sorted on the stack,
   * by insertion, without a comparison callback (a long one by qsort).
   * Sequence numbers are unique, so the order is total and both sorts
   * give it. */
  SimEvent stack[64];
  guint n_queued = sim_queue_len (&w->queue), n_live = 0;
  g_autofree SimEvent *heap = n_queued > G_N_ELEMENTS (stack) ? g_new (SimEvent, n_queued) : NULL;
  SimEvent *live = heap != NULL ? heap : stack;
  const SimEvent *items = w->queue.items;
  int64_t duration_us = w->cfg->duration_us;
  for (guint i = 0; i < n_queued; i++) {
    SimEvent ev = items[i];
    if (!event_is_live (w, &ev))
      continue;
    if (ev.kind == SIM_CHOICE_TIMEOUT)
      ev.time_us = MAX (ev.time_us, sim_timer_due (w, ev.a));
    if (ev.time_us > duration_us)
      continue;
    /* The queue position rides in the copy's kind (kinds fit in 8 bits):
     * it becomes the choice's hint. */
    if (i + 1 < (1u << 24))
      ev.kind |= (i + 1) << 8;
    if (heap != NULL) {
      live[n_live++] = ev;
      continue;
    }
    guint j = n_live++;
    for (; j > 0 && sim_event_before (&ev, &live[j - 1]); j--)
      live[j] = live[j - 1];
    live[j] = ev;
  }
  if (heap != NULL && n_live > 1)
    g_qsort_with_data (live, (gint) n_live, sizeof (SimEvent), compare_events_data, NULL);
  guint at = out->len;
  g_array_set_size (out, at + n_live);
  SimChoice *c = &g_array_index (out, SimChoice, at);
  for (guint i = 0; i < n_live; i++) {
    guint pos = live[i].kind >> 8;
    live[i].kind &= 0xff;
    choice_of_event (w, &live[i], &c[i]);
    c[i].at = pos;
  }
}

gboolean
sim_world_next_choice (SimWorld *w, SimChoice *out)
{
  for (;;) {
    const SimEvent *top = sim_queue_peek (&w->queue);
    if (top == NULL || top->time_us > w->cfg->duration_us || w->is_over)
      return FALSE;
    if (event_is_live (w, top)
        && (top->kind != SIM_CHOICE_TIMEOUT || sim_timer_due (w, top->a) <= top->time_us)) {
      choice_of_event (w, top, out);
      return TRUE;
    }
    /* Settle it exactly as sim_world_step would. */
    SimEvent ev;
    sim_queue_pop (&w->queue, &ev);
    if (event_is_live (w, &ev))
      timer_settle (w, &ev);
  }
}

/* Finds the live queued event a choice names; -1 if none. */
static int
find_event (SimWorld *w, const SimChoice *c)
{
  /* A message's id names one queued event at most (msg_queue gives each
   * its own, and a held message is queued again only once its event is
   * gone): where the hint points at it, no other event can match. */
  if (c->kind == SIM_CHOICE_DELIVER && c->at > 0 && c->at <= sim_queue_len (&w->queue)) {
    const SimEvent *ev = sim_queue_nth (&w->queue, c->at - 1);
    if (ev->kind == SIM_CHOICE_DELIVER && ev->b == c->id
        && sim_net_msg (&w->net, (guint) ev->a)->to == c->endpoint)
      return (int) c->at - 1;
  }
  int best = -1;
  for (guint i = 0; i < sim_queue_len (&w->queue); i++) {
    const SimEvent *ev = sim_queue_nth (&w->queue, i);
    if (ev->kind != (uint32_t) c->kind)
      continue;
    /* choice_of_event names the event by b but for [faults] entries: a
     * cheap test first (a message's id, a timer's generation, ...). */
    if (c->kind != SIM_CHOICE_FAULT && c->kind != SIM_CHOICE_RANDOM_FAULT && ev->b != c->id)
      continue;
    if (!event_is_live (w, ev))
      continue;
    SimChoice e;
    choice_of_event (w, ev, &e);
    if (e.endpoint != c->endpoint || e.id != c->id)
      continue;
    if (best < 0 || sim_event_before (ev, sim_queue_nth (&w->queue, (guint) best)))
      best = (int) i;
  }
  return best;
}

gboolean
sim_world_apply (SimWorld *w, const SimChoice *c)
{
  if (w->is_over)
    return FALSE;
  w->is_driven = TRUE;
  if (c->kind == SIM_CHOICE_INJECT) {
    g_assert (c->fault != NULL);
    w->stats.events++;
    sim_fault_apply (w, c->fault);
    return TRUE;
  }
  if (c->kind == SIM_CHOICE_DUPLICATE) {
    SimChoice deliver = *c;
    deliver.kind = SIM_CHOICE_DELIVER;
    int i = find_event (w, &deliver);
    if (i < 0)
      return FALSE;
    SimEvent ev = *sim_queue_nth (&w->queue, (guint) i);
    SimMsg *m = sim_net_msg (&w->net, (guint) ev.a);
    w->stats.events++;
    w->stats.msgs_duplicated++;
    /* msg_queue may move the slots: copy the message out first. */
    g_autofree void *data = g_memdup2 (sim_msg_data (m), m->len);
    int from = m->from, to = m->to;
    uint32_t len = m->len;
    if (w->trace.is_on)
      msg_label (w, data, len);
    msg_queue (w, from, to, data, len, ev.time_us, ev.b, "dup");
    return TRUE;
  }
  if (c->kind == SIM_CHOICE_DROP) {
    SimChoice deliver = *c;
    deliver.kind = SIM_CHOICE_DELIVER;
    int i = find_event (w, &deliver);
    if (i < 0)
      return FALSE;
    SimEvent ev = *sim_queue_nth (&w->queue, (guint) i);
    sim_queue_remove_nth (&w->queue, (guint) i);
    w->stats.events++;
    msg_drop (w, (guint) ev.a, "chosen");
    return TRUE;
  }
  int i = find_event (w, c);
  if (i < 0)
    return FALSE;
  SimEvent ev = *sim_queue_nth (&w->queue, (guint) i);
  sim_queue_remove_nth (&w->queue, (guint) i);
  event_apply (w, &ev);
  return TRUE;
}

static const char *const choice_names[] = {
  [SIM_CHOICE_START] = "start",
  [SIM_CHOICE_DELIVER] = "deliver",
  [SIM_CHOICE_TIMEOUT] = "timeout",
  [SIM_CHOICE_FAULT] = "fault",
  [SIM_CHOICE_RANDOM_FAULT] = "random-fault",
  [SIM_CHOICE_FAULT_END] = "fault-end",
  [SIM_CHOICE_INVOKE] = "invoke",
  [SIM_CHOICE_ATTEMPT_TIMEOUT] = "attempt-timeout",
  [SIM_CHOICE_RETRY] = "retry",
  [SIM_CHOICE_OP_TIMEOUT] = "op-timeout",
  [SIM_CHOICE_DROP] = "drop",
  [SIM_CHOICE_INJECT] = "inject",
  [SIM_CHOICE_SYNC_DONE] = "sync-done",
  [SIM_CHOICE_DUPLICATE] = "duplicate",
};

void
sim_choice_describe (const SimWorld *w, const SimChoice *c, GString *out)
{
  g_string_append (out, choice_names[c->kind]);
  switch (c->kind) {
  case SIM_CHOICE_DELIVER:
  case SIM_CHOICE_DROP:
  case SIM_CHOICE_DUPLICATE:
    g_string_append_printf (out, " m%" G_GUINT64_FORMAT " to ", c->id);
    sim_endpoint_name (w->cfg, c->endpoint, out);
    break;
  case SIM_CHOICE_FAULT:
    g_string_append_printf (out, " #%" G_GUINT64_FORMAT, c->id + 1);
    break;
  case SIM_CHOICE_RANDOM_FAULT: {
    static const char *const src[] = { "crash", "partition", "pause", "skew", "corrupt",
                                       "byzantine" };
    g_string_append_printf (out, " %s", c->id < SIM_RANDOM__COUNT ? src[c->id] : "?");
    break;
  }
  case SIM_CHOICE_INJECT:
    g_string_append_printf (out, " kind %d", c->fault != NULL ? (int) c->fault->kind : -1);
    break;
  default:
    if (c->endpoint >= 0) {
      g_string_append_c (out, ' ');
      sim_endpoint_name (w->cfg, c->endpoint, out);
    }
    break;
  }
}

/* ---- Accessors -----------------------------------------------------------*/

const SimStats *
sim_world_stats (const SimWorld *w)
{
  return &w->stats;
}

const SimConfig *
sim_world_config (const SimWorld *w)
{
  return w->cfg;
}

uint64_t
sim_world_seed (const SimWorld *w)
{
  return w->seed;
}

const ChkHistory *
sim_world_history (const SimWorld *w)
{
  return w->history;
}

const char *
sim_world_invariant_failure (const SimWorld *w)
{
  return w->failure != NULL ? w->failure->str : NULL;
}

guint
sim_world_n_marks (const SimWorld *w)
{
  return w->mark_names->len;
}

const char *
sim_world_mark (const SimWorld *w, guint i, uint64_t *count)
{
  g_assert (i < w->mark_names->len);
  if (count != NULL)
    *count = g_array_index (w->mark_counts, uint64_t, i);
  return g_ptr_array_index (w->mark_names, i);
}

gboolean
sim_world_reached (const SimWorld *w, const char *mark)
{
  return g_hash_table_lookup (w->mark_index, mark) != NULL;
}

const void *
sim_world_node_state (const SimWorld *w, int node)
{
  g_assert (node >= 0 && node < w->n_nodes);
  return w->state_ptrs[node];
}

gboolean
sim_world_node_is_up (const SimWorld *w, int node)
{
  g_assert (node >= 0 && node < w->n_nodes);
  return w->nodes[node].is_up;
}

gboolean
sim_world_node_is_paused (const SimWorld *w, int node)
{
  g_assert (node >= 0 && node < w->n_nodes);
  return w->nodes[node].is_paused;
}

int64_t
sim_world_node_local_time (const SimWorld *w, int node)
{
  g_assert (node >= 0 && node < w->n_nodes);
  return sim_node_local_time (w, node, w->stats.now_us);
}

int64_t
sim_world_endpoint_local_time (const SimWorld *w, int endpoint)
{
  g_assert (endpoint >= 0 && endpoint < w->n_endpoints);
  return sim_node_local_time (w, endpoint, w->stats.now_us);
}

const void *
sim_world_node_image (const SimWorld *w, int node)
{
  g_assert (node >= 0 && node < w->n_nodes);
  return sim_storage_image (w, node);
}

uint32_t
sim_world_node_incarnation (const SimWorld *w, int node)
{
  g_assert (node >= 0 && node < w->n_nodes);
  return w->nodes[node].incarnation;
}

guint
sim_world_in_flight (const SimWorld *w)
{
  return w->net.n_in_flight;
}

void
sim_world_set_byzantine (SimWorld *w, SimByzantineFn fn, void *user_data)
{
  w->byzantine_fn = fn;
  w->byzantine_data = user_data;
}

const char *
sim_world_node_behaviour (const SimWorld *w, int node)
{
  g_assert (node >= 0 && node < w->n_nodes);
  return w->nodes[node].behaviour;
}

void
sim_world_set_stall_limit (SimWorld *w, uint64_t max_events_per_instant)
{
  w->stall_limit = max_events_per_instant;
}
