/* faults.c: node faults (crash, restart, pause, resume, clock skew),
 * partitions, and the two ways they arrive: the timed schedule of the
 * scenario (cfg->faults) and random fault rates (cfg->random_faults), each
 * random source drawing from its own Pcg32 stream. */
#include "sim/world_internal.h"
#include "sim/byzantine.h"

#include <math.h>
#include <string.h>

static void
trace_node_event (SimWorld *w, int node, const char *kind, const char *label)
{
  if (!w->trace.is_on)
    return;
  g_string_assign (w->trace.label, label != NULL ? label : "");
  sim_trace_begin (w, node, kind);
  sim_trace_end (w, node);
}

/* ---- Node faults ---------------------------------------------------------*/

/* Zeroes [from, to) of a node's state but its holes (in order), which are
 * zero. */
static void
zero_but_holes (uint8_t *state, size_t from, size_t to, const size_t holes[][2], int n_holes)
{
  size_t at = from;
  for (int i = 0; i < n_holes && at < to; i++) {
    if (holes[i][1] <= at)
      continue;
    if (holes[i][0] >= to)
      break;
    if (holes[i][0] > at)
      memset (state + at, 0, holes[i][0] - at);
    at = holes[i][1];
  }
  if (at < to)
    memset (state + at, 0, to - at);
}

/* A crash: the node stops; its persist region becomes what its disk holds
 * (storage.c: changes not yet durable are lost or torn) and the rest of its
 * state is zeroed; its deadline is cleared; messages held for it while
 * paused, and its own messages waiting on a sync, are lost. */
void
sim_node_crash (SimWorld *w, int node)
{
  SimNode *n = &w->nodes[node];
  if (!n->is_up)
    return;
  const ProtoVTable *vt = w->vt;
  uint8_t *state = w->node_states + (size_t) node * vt->state_size;
  n->n_crashes++;
  /* The state's holes (protocol.h) in its volatile part, and its bytes
   * past its extent, are zero already. */
  size_t holes[PROTO_MAX_HOLES][2];
  int n_holes = sim_node_holes (w, node, holes);
  size_t extent = sim_node_extent (w, node);
  sim_storage_crash (w, node); /* touches the node */
  /* Everything but the persist region is zeroed. */
  size_t persist_end = vt->persist_offset + vt->persist_size;
  zero_but_holes (state, 0, vt->persist_offset, holes, n_holes);
  zero_but_holes (state, persist_end, MAX (extent, persist_end), holes, n_holes);
  sim_storage_extent_verify (w, node);
  n->is_up = FALSE;
  n->is_paused = FALSE;
  n->has_held_timeout = FALSE;
  w->timers[node].deadline = PROTO_NO_DEADLINE;
  w->timers[node].gen++;
  w->timers[node].queued_us = -1;
  w->stats.crashes++;
  trace_node_event (w, node, "crash", "volatile state lost");
  for (guint i = 0; i < n->held->len; i++) {
    guint slot = g_array_index (n->held, guint, i);
    SimMsg *m = sim_net_msg (&w->net, slot);
    w->stats.msgs_dropped++;
    if (w->trace.is_on) {
      g_string_truncate (w->trace.label, 0);
      if (w->vt->format_msg != NULL)
        w->vt->format_msg (sim_msg_data (m), m->len, w->trace.label);
      sim_trace_begin (w, node, "drop");
      sim_trace_msg (w, m, m->from);
      sim_trace_field_str (w, "reason", "crashed");
      sim_trace_end (w, node);
    }
    sim_net_release (&w->net, slot);
  }
  g_array_set_size (n->held, 0);
  sim_world_run_check (w);
}

/* Boots a node that is down: a new incarnation with its own seed, then
 * PROTO_EV_START.  The first boot (time 0) is incarnation 1. */
void
sim_node_restart (SimWorld *w, int node)
{
  SimNode *n = &w->nodes[node];
  if (n->is_up)
    return;
  n->is_up = TRUE;
  n->incarnation++;
  w->ctxs[node].seed = pcg32_derive (pcg32_derive (w->seed, SIM_STREAM_NODE, (uint32_t) node),
                                     SIM_STREAM_NODE, n->incarnation);
  if (n->incarnation > 1) {
    sim_storage_restart (w, node);
    w->stats.restarts++;
    trace_node_event (w, node, "restart", NULL);
  } else {
    trace_node_event (w, node, "start", NULL);
  }
  ProtoEvent ev = { .kind = PROTO_EV_START };
  sim_node_step (w, node, &ev);
}

static void
node_pause (SimWorld *w, int node)
{
  SimNode *n = &w->nodes[node];
  if (!n->is_up || n->is_paused)
    return;
  n->is_paused = TRUE;
  n->n_pauses++;
  trace_node_event (w, node, "pause", NULL);
}

/* Resume: what arrived during the pause is delivered now, in arrival order,
 * then the deadline that passed (if any) fires. */
static void
node_resume (SimWorld *w, int node)
{
  SimNode *n = &w->nodes[node];
  if (!n->is_paused)
    return;
  n->is_paused = FALSE;
  trace_node_event (w, node, "resume", NULL);
  sim_storage_release (w, node);
  for (guint i = 0; i < n->held->len; i++) {
    guint slot = g_array_index (n->held, guint, i);
    sim_queue_push (&w->queue, w->stats.now_us, SIM_CHOICE_DELIVER, (int32_t) slot,
                    sim_net_msg (&w->net, slot)->id);
  }
  g_array_set_size (n->held, 0);
  if (n->has_held_timeout) {
    n->has_held_timeout = FALSE;
    SimTimer *t = &w->timers[node];
    t->gen++;
    t->queued_us = w->stats.now_us;
    sim_queue_push (&w->queue, t->queued_us, SIM_CHOICE_TIMEOUT, node, t->gen);
  }
}

/* Skew is absolute: from now the endpoint's clock reads virtual time +
 * skew_us, whatever it read before, and drifts at drift_ppm from now on
 * (drift accumulated before is replaced by the new offset).  Works for
 * nodes and clients alike. */
static void
endpoint_skew (SimWorld *w, int e, int64_t skew_us, int64_t drift_ppm)
{
  sim_clock_set (w, e, skew_us, drift_ppm);
  if (w->trace.is_on) {
    const SimClock *c = &w->clocks[e];
    g_autofree char *label = g_strdup_printf ("skew %+" G_GINT64_FORMAT "us, drift %+"
                                              G_GINT64_FORMAT "ppm", c->skew_us, c->drift_ppm);
    trace_node_event (w, e, "skew", label);
  }
  /* The deadline is on the endpoint's clock: it now falls at another
   * virtual time. */
  gboolean is_up = e >= w->n_nodes || (w->nodes[e].is_up && !w->nodes[e].has_held_timeout);
  if (is_up && w->timers[e].deadline != PROTO_NO_DEADLINE)
    sim_timer_rearm (w, e);
}

/* ---- Partitions ----------------------------------------------------------*/

static void
trace_world_event (SimWorld *w, const char *kind)
{
  if (!w->trace.is_on)
    return;
  sim_trace_begin (w, -1, kind);
  sim_trace_end (w, -1);
}

static void
partition_trace (SimWorld *w, const SimGroupId *group)
{
  if (!w->trace.is_on)
    return;
  /* Label: the groups in order, "n1 n2 | n3 c1"; endpoints not cut are
   * not listed. */
  GString *l = w->trace.label;
  g_string_truncate (l, 0);
  int max_group = -1;
  for (int e = 0; e < w->n_endpoints; e++)
    max_group = MAX (max_group, group[e]);
  for (int g = 0; g <= max_group; g++) {
    gboolean any = FALSE;
    for (int e = 0; e < w->n_endpoints; e++)
      if (group[e] == g) {
        if (!any && l->len > 0)
          g_string_append (l, " | ");
        else if (any)
          g_string_append_c (l, ' ');
        g_string_append (l, w->trace.names[e]);
        any = TRUE;
      }
  }
  trace_world_event (w, "partition");
}

static void
partition_apply (SimWorld *w, const SimGroupId *group)
{
  sim_net_partition (&w->net, group);
  partition_trace (w, group);
}

/* The node a role-aware fault names: the running node that leads the
 * highest term (vt->leader_term), the lowest-numbered on a tie; -1 if none
 * leads. */
int
sim_world_leader (const SimWorld *w)
{
  if (w->vt->leader_term == NULL)
    return -1;
  int best = -1;
  int64_t best_term = -1;
  for (int n = 0; n < w->n_nodes; n++) {
    if (!w->nodes[n].is_up)
      continue;
    int64_t t = w->vt->leader_term (w->node_states + (size_t) n * w->vt->state_size, &w->ctxs[n]);
    if (t > best_term) {
      best_term = t;
      best = n;
    }
  }
  return best;
}

static const char *
leader_fault_verb (const SimFault *f)
{
  if (f->kind == SIM_FAULT_PARTITION)
    return "isolate";
  return f->kind == SIM_FAULT_CRASH ? "crash" : "pause";
}

/* `crash leader`, `pause leader`, `isolate leader`: resolved against the
 * world as it is when the fault fires, so the same schedule and seed pick
 * the same node.  FALSE if no node leads (the fault is skipped). */
static gboolean
leader_fault_resolve (SimWorld *w, const SimFault *f, SimFault *out)
{
  int leader = sim_world_leader (w);
  if (w->trace.is_on) {
    if (leader >= 0)
      g_string_printf (w->trace.label, "%s leader: n%d", leader_fault_verb (f), leader + 1);
    else
      g_string_printf (w->trace.label, "%s leader: no node leads, nothing to do",
                       leader_fault_verb (f));
    sim_trace_begin (w, -1, "note");
    sim_trace_end (w, -1);
  }
  if (leader < 0)
    return FALSE;
  *out = *f;
  out->node = leader;
  if (f->kind == SIM_FAULT_PARTITION) {
    memset (out->group, -1, sizeof out->group);
    for (int n = 0; n < w->n_nodes; n++)
      out->group[n] = n == leader ? 1 : 0;
    out->node = -1;
  }
  return TRUE;
}

void
sim_fault_apply (SimWorld *w, const SimFault *f)
{
  SimFault resolved;
  if (f->node == SIM_NODE_LEADER) {
    if (!leader_fault_resolve (w, f, &resolved))
      return;
    int node = resolved.node;
    sim_fault_apply (w, &resolved);
    /* The end of the fault undoes this fault only: the restart (resume)
     * carries the crash (pause) count, as random faults' ends do. */
    if (f->for_us > 0 && f->kind == SIM_FAULT_CRASH && !w->nodes[node].is_up)
      sim_queue_push (&w->queue, w->stats.now_us + f->for_us, SIM_CHOICE_FAULT_END, node,
                      SIM_FAULT_RESTART | (uint64_t) w->nodes[node].n_crashes << 8);
    if (f->for_us > 0 && f->kind == SIM_FAULT_PAUSE && w->nodes[node].is_paused)
      sim_queue_push (&w->queue, w->stats.now_us + f->for_us, SIM_CHOICE_FAULT_END, node,
                      SIM_FAULT_RESUME | (uint64_t) w->nodes[node].n_pauses << 8);
    return;
  }
  gboolean is_node_fault = f->kind != SIM_FAULT_PARTITION && f->kind != SIM_FAULT_ONEWAY
                           && f->kind != SIM_FAULT_HEAL && f->kind != SIM_FAULT_SKEW
                           && f->kind != SIM_FAULT_ADMIN;
  if (is_node_fault)
    g_assert (f->node >= 0 && f->node < w->n_nodes);
  if (f->kind == SIM_FAULT_SKEW)
    g_assert (f->node >= 0 && f->node < w->n_endpoints);
  switch (f->kind) {
  case SIM_FAULT_PARTITION: {
    SimGroupId group[PROTO_MAX_ENDPOINTS];
    memcpy (group, f->group, sizeof group);
    partition_apply (w, group);
    break;
  }
  case SIM_FAULT_ONEWAY:
    g_assert (f->from >= 0 && f->from < w->n_endpoints && f->to >= 0 && f->to < w->n_endpoints);
    sim_net_cut_oneway (&w->net, f->from, f->to);
    if (w->trace.is_on) {
      g_string_printf (w->trace.label, "one-way %s -> %s", w->trace.names[f->from],
                       w->trace.names[f->to]);
      trace_world_event (w, "partition");
    }
    break;
  case SIM_FAULT_HEAL:
    if (f->is_heal_loss)
      sim_net_heal_loss (&w->net);
    else
      sim_net_heal (&w->net);
    if (w->trace.is_on) {
      g_string_truncate (w->trace.label, 0);
      if (f->is_heal_loss)
        g_string_append (w->trace.label, "loss");
      trace_world_event (w, "heal");
    }
    break;
  case SIM_FAULT_CRASH:
    sim_node_crash (w, f->node);
    break;
  case SIM_FAULT_RESTART:
    sim_node_restart (w, f->node);
    break;
  case SIM_FAULT_PAUSE:
    node_pause (w, f->node);
    break;
  case SIM_FAULT_RESUME:
    node_resume (w, f->node);
    break;
  case SIM_FAULT_SKEW:
    endpoint_skew (w, f->node, f->skew_us, f->drift_ppm);
    break;
  case SIM_FAULT_CORRUPT:
    sim_storage_corrupt (w, f->node, f->bits, &w->fault_rng[SIM_RANDOM_CORRUPT]);
    break;
  case SIM_FAULT_ADMIN:
    /* Every node that is up hears it; the protocol decides who acts. */
    for (int n = 0; n < w->n_nodes; n++) {
      if (!w->nodes[n].is_up || w->nodes[n].is_paused || w->vt->admin == NULL)
        continue;
      if (w->trace.is_on) {
        g_autofree char *label = g_strdup_printf ("admin: %s", f->behaviour);
        trace_node_event (w, n, "note", label);
      }
      sim_node_admin (w, n, f->behaviour);
    }
    break;
  case SIM_FAULT_BYZANTINE:
    /* Recorded for outbox-rewriting wrappers; the engine itself does not
     * change the node. */
    g_strlcpy (w->nodes[f->node].behaviour, f->behaviour, sizeof w->nodes[f->node].behaviour);
    w->ctxs[f->node].is_faulty = TRUE;
    if (w->trace.is_on) {
      g_autofree char *label = g_strdup_printf (
          "byzantine: %s%s", f->behaviour,
          w->byzantine_fn != NULL ? "" : " (no outbox rewriter installed: the node stays correct)");
      trace_node_event (w, f->node, "note", label);
    }
    break;
  }
}

/* ---- Random faults -------------------------------------------------------*/

/* Exponential inter-arrival time for a Poisson process of `rate` per second,
 * at least 1us. */
static int64_t
next_arrival_us (Pcg32 *rng, double rate)
{
  double u = 1.0 - pcg32_double (rng); /* (0, 1] */
  double us = -log (u) / rate * 1e6;
  if (!(us < 1e15))
    us = 1e15;
  return MAX ((int64_t) us, 1);
}

void
sim_faults_init (SimWorld *w)
{
  const SimConfig *cfg = w->cfg;
  for (guint i = 0; i < cfg->faults->len; i++) {
    const SimFault *f = &g_array_index (cfg->faults, SimFault, i);
    sim_queue_push (&w->queue, MAX (f->at_us, 0), SIM_CHOICE_FAULT, (int32_t) i, 0);
  }
  const SimRandomFaults *rf = &cfg->random_faults;
  w->fault_rate[SIM_RANDOM_CRASH] = rf->crash_per_s;
  w->fault_rate[SIM_RANDOM_PARTITION] = rf->partition_per_s;
  w->fault_rate[SIM_RANDOM_PAUSE] = rf->pause_per_s;
  w->fault_rate[SIM_RANDOM_SKEW] = rf->skew_per_s;
  w->fault_rate[SIM_RANDOM_CORRUPT] = rf->corrupt_per_s;
  w->fault_rate[SIM_RANDOM_BYZANTINE] = rf->byzantine_per_s;
  for (int s = 0; s < SIM_RANDOM__COUNT; s++) {
    pcg32_seed (&w->fault_rng[s], pcg32_derive (w->seed, SIM_STREAM_FAULT, (uint32_t) s),
                (uint64_t) s);
    if (w->fault_rate[s] > 0)
      sim_queue_push (&w->queue, next_arrival_us (&w->fault_rng[s], w->fault_rate[s]),
                      SIM_CHOICE_RANDOM_FAULT, s, 0);
  }
}

/* One random fault: crash a node (restart after crash_down_us), split the
 * nodes in two (heal after partition_us), pause a node (resume after
 * pause_us), skew a node's clock by up to skew_max_us either way, or flip
 * a bit in a node's durable image.  Each end is queued with the fault's
 * generation, so it undoes that fault and nothing that came after. */
void
sim_fault_random (SimWorld *w, SimRandomSource src)
{
  Pcg32 *rng = &w->fault_rng[src];
  const SimRandomFaults *rf = &w->cfg->random_faults;
  int node = (int) pcg32_below (rng, (uint32_t) w->n_nodes);
  int64_t now = w->stats.now_us;
  switch (src) {
  case SIM_RANDOM_CRASH:
    if (w->nodes[node].is_up) {
      sim_node_crash (w, node);
      sim_queue_push (&w->queue, now + MAX (rf->crash_down_us, 0), SIM_CHOICE_FAULT_END, node,
                      SIM_FAULT_RESTART | (uint64_t) w->nodes[node].n_crashes << 8);
    }
    break;
  case SIM_RANDOM_PARTITION: {
    if (w->n_nodes < 2)
      break;
    /* Every node in group 0 or 1, both non-empty; clients stay reachable. */
    SimGroupId group[PROTO_MAX_ENDPOINTS];
    memset (group, -1, sizeof group);
    uint32_t mask;
    uint32_t full = (w->n_nodes >= 32) ? UINT32_MAX : ((1u << w->n_nodes) - 1);
    do
      mask = pcg32_next (rng) & full;
    while (mask == 0 || mask == full);
    for (int n = 0; n < w->n_nodes; n++)
      group[n] = (SimGroupId) ((mask >> n) & 1u);
    sim_net_partition_random (&w->net, group);
    w->n_random_partitions++;
    partition_trace (w, group);
    sim_queue_push (&w->queue, now + MAX (rf->partition_us, 0), SIM_CHOICE_FAULT_END, -1,
                    SIM_FAULT_HEAL | w->n_random_partitions << 8);
    break;
  }
  case SIM_RANDOM_PAUSE:
    if (w->nodes[node].is_up && !w->nodes[node].is_paused) {
      node_pause (w, node);
      sim_queue_push (&w->queue, now + MAX (rf->pause_us, 0), SIM_CHOICE_FAULT_END, node,
                      SIM_FAULT_RESUME | (uint64_t) w->nodes[node].n_pauses << 8);
    }
    break;
  case SIM_RANDOM_SKEW: {
    int64_t max = MAX (rf->skew_max_us, 0);
    endpoint_skew (w, node, pcg32_range (rng, -max, max), w->clocks[node].drift_ppm);
    break;
  }
  case SIM_RANDOM_CORRUPT:
    sim_storage_corrupt (w, node, 1, rng);
    break;
  case SIM_RANDOM_BYZANTINE: {
    /* A correct node turns Byzantine for the rest of the run, with a
     * behaviour drawn from sim/byzantine.h, while fewer than byzantine_max
     * nodes are. */
    int faulty = 0;
    for (int n = 0; n < w->n_nodes; n++)
      faulty += w->nodes[n].behaviour[0] != '\0';
    const char *const *names = sim_byzantine_behaviours ();
    guint n_names = g_strv_length ((char **) names);
    const char *how = names[pcg32_below (rng, n_names)];
    if (faulty < rf->byzantine_max && w->nodes[node].behaviour[0] == '\0') {
      SimFault f = { .kind = SIM_FAULT_BYZANTINE, .node = node };
      g_strlcpy (f.behaviour, how, sizeof f.behaviour);
      sim_fault_apply (w, &f);
    }
    break;
  }
  case SIM_RANDOM__COUNT:
    g_assert_not_reached ();
  }
  sim_queue_push (&w->queue, now + next_arrival_us (rng, w->fault_rate[src]),
                  SIM_CHOICE_RANDOM_FAULT, src, 0);
}

void
sim_fault_end (SimWorld *w, int node, uint64_t kind_and_gen)
{
  SimFaultKind kind = (SimFaultKind) (kind_and_gen & 0xff);
  uint64_t gen = kind_and_gen >> 8;
  switch (kind) {
  case SIM_FAULT_RESTART:
    /* Only if the node is still down from this crash. */
    if (!w->nodes[node].is_up && w->nodes[node].n_crashes == gen)
      sim_node_restart (w, node);
    break;
  case SIM_FAULT_RESUME:
    if (w->nodes[node].is_paused && w->nodes[node].n_pauses == gen)
      node_resume (w, node);
    break;
  case SIM_FAULT_HEAL:
    if (w->n_random_partitions != gen)
      break; /* a later random partition replaced this one */
    sim_net_heal_random (&w->net);
    if (w->trace.is_on) {
      g_string_assign (w->trace.label, "random partition ends");
      trace_world_event (w, "heal");
    }
    break;
  default:
    g_assert_not_reached ();
  }
}
