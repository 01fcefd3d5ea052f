/* paxos_harness.c: see paxos_harness.h. */
#include "tests/paxos_harness.h"

#include <string.h>

static void
endpoint_name (const PaxosHarness *h, int e, GString *out)
{
  if (e < h->n_nodes)
    g_string_append_printf (out, "n%d", e + 1);
  else
    g_string_append_printf (out, "c%d", e - h->n_nodes + 1);
}

static void
trace_begin (PaxosHarness *h, int e, const char *kind)
{
  g_string_append_printf (h->trace, "%8" G_GINT64_FORMAT " ", h->now_us);
  endpoint_name (h, e, h->trace);
  g_string_append_printf (h->trace, " %s", kind);
}

PaxosHarness *
ph_new (int n_nodes, int n_clients, void (*tweak) (PaxosConfig *cfg))
{
  g_assert (n_nodes >= 1 && n_nodes <= PROTO_MAX_NODES && n_clients <= PH_MAX_CLIENTS);
  PaxosHarness *h = g_new0 (PaxosHarness, 1);
  proto_config_defaults (&proto_paxos, &h->cfg);
  if (tweak != NULL)
    tweak (&h->cfg);
  h->n_nodes = n_nodes;
  h->n_clients = n_clients;
  h->nodes = g_new0 (PaxosNode, (gsize) n_nodes);
  for (int e = 0; e < n_nodes + n_clients; e++) {
    h->ctx[e].self = e;
    h->ctx[e].n_nodes = n_nodes;
    h->ctx[e].n_clients = n_clients;
    h->ctx[e].seed = pcg32_derive (42, 1, (uint32_t) e);
    h->ctx[e].config = &h->cfg;
  }
  for (int i = 0; i < n_nodes; i++)
    h->deadline_us[i] = PROTO_NO_DEADLINE;
  h->net = g_ptr_array_new ();
  h->ghost = g_malloc0 (sizeof (PaxosGhost));
  proto_outbox_init (&h->out);
  h->trace = g_string_new (NULL);
  h->marks = g_ptr_array_new ();
  return h;
}

static void
msg_free (PhMsg *m)
{
  g_bytes_unref (m->bytes);
  g_free (m);
}

void
ph_free (PaxosHarness *h)
{
  for (guint i = 0; i < h->net->len; i++)
    msg_free (g_ptr_array_index (h->net, i));
  g_ptr_array_unref (h->net);
  g_free (h->nodes);
  proto_paxos.ghost_free (h->ghost);
  g_free (h->ghost);
  proto_outbox_clear (&h->out);
  g_string_free (h->trace, TRUE);
  g_ptr_array_unref (h->marks);
  g_free (h->violation);
  g_free (h);
}

const PaxosNode *
ph_node (const PaxosHarness *h, int node)
{
  return &h->nodes[node];
}

PaxosNode *
ph_node_mut (PaxosHarness *h, int node)
{
  return &h->nodes[node];
}

static void
run_check (PaxosHarness *h)
{
  if (h->violation != NULL)
    return;
  const void *states[PROTO_MAX_NODES];
  for (int i = 0; i < h->n_nodes; i++)
    states[i] = &h->nodes[i];
  g_autoptr (GString) why = g_string_new (NULL);
  if (!proto_paxos.check (h->ghost, states, h->is_up, h->ctx, h->n_nodes, why))
    h->violation = g_strdup (why->str);
}

static void
ph_step (PaxosHarness *h, int e, ProtoEvent *ev)
{
  ProtoOutbox *out = &h->out;
  proto_outbox_reset (out);
  ev->now_us = h->now_us;
  gboolean is_node = e < h->n_nodes;
  if (is_node) {
    out->deadline_us = h->deadline_us[e];
    proto_paxos.step (&h->nodes[e], &h->ctx[e], ev, out);
    h->deadline_us[e] = out->deadline_us;
  } else {
    proto_paxos.client_step (&h->clients[e - h->n_nodes], &h->ctx[e], ev, out);
  }
  if (out->notes->len > 0) {
    g_auto (GStrv) lines = g_strsplit (out->notes->str, "\n", -1);
    for (int i = 0; lines[i] != NULL; i++) {
      trace_begin (h, e, "note");
      g_string_append_printf (h->trace, " %s\n", lines[i]);
    }
  }
  for (guint i = 0; i < out->marks->len; i++) {
    const char *mark = g_ptr_array_index (out->marks, i);
    if (!ph_reached (h, mark))
      g_ptr_array_add (h->marks, (gpointer) mark);
  }
  for (guint i = 0; i < out->msgs->len; i++) {
    const ProtoOutMsg *om = &g_array_index (out->msgs, ProtoOutMsg, i);
    const uint8_t *bytes = out->bytes->data + om->offset;
    trace_begin (h, e, "send");
    g_string_append_c (h->trace, ' ');
    endpoint_name (h, om->to, h->trace);
    g_string_append_c (h->trace, ' ');
    proto_paxos.format_msg (bytes, om->len, h->trace);
    if (h->is_cut[e] || h->is_cut[om->to]) {
      g_string_append (h->trace, " (cut)\n");
      continue;
    }
    g_string_append_c (h->trace, '\n');
    PhMsg *m = g_new0 (PhMsg, 1);
    m->from = e;
    m->to = om->to;
    m->bytes = g_bytes_new (bytes, om->len);
    g_ptr_array_add (h->net, m);
  }
  if (!is_node && out->has_result) {
    int c = e - h->n_nodes;
    h->has_result[c] = TRUE;
    h->result[c] = out->result;
    trace_begin (h, e, "complete");
    g_string_append_printf (h->trace, " %s", out->result.kind == PROTO_RESULT_OK ? "ok" : "fail");
    if (out->result.has_value)
      g_string_append_printf (h->trace, " %" G_GINT64_FORMAT, out->result.value);
    g_string_append_c (h->trace, '\n');
  }
  if (is_node)
    run_check (h);
}

void
ph_start_all (PaxosHarness *h)
{
  for (int i = 0; i < h->n_nodes; i++) {
    h->is_up[i] = TRUE;
    trace_begin (h, i, "start\n");
    ProtoEvent ev = { .kind = PROTO_EV_START };
    ph_step (h, i, &ev);
  }
}

void
ph_fire_timeout (PaxosHarness *h, int node)
{
  g_assert (h->is_up[node]);
  if (h->deadline_us[node] != PROTO_NO_DEADLINE && h->deadline_us[node] > h->now_us)
    h->now_us = h->deadline_us[node];
  h->deadline_us[node] = PROTO_NO_DEADLINE;
  trace_begin (h, node, "timeout\n");
  ProtoEvent ev = { .kind = PROTO_EV_TIMEOUT };
  ph_step (h, node, &ev);
}

void
ph_deliver (PaxosHarness *h, guint i)
{
  g_assert (i < h->net->len);
  PhMsg *m = g_ptr_array_steal_index (h->net, i);
  if (m->to < h->n_nodes && !h->is_up[m->to]) {
    msg_free (m);
    return;
  }
  gsize len;
  const void *data = g_bytes_get_data (m->bytes, &len);
  trace_begin (h, m->to, "recv");
  g_string_append_c (h->trace, ' ');
  endpoint_name (h, m->from, h->trace);
  g_string_append_c (h->trace, ' ');
  proto_paxos.format_msg (data, len, h->trace);
  g_string_append_c (h->trace, '\n');
  ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .from = m->from, .msg = data, .msg_len = len };
  ph_step (h, m->to, &ev);
  msg_free (m);
}

guint
ph_deliver_all (PaxosHarness *h, guint limit)
{
  guint n = 0;
  while (h->net->len > 0 && n < limit) {
    ph_deliver (h, 0);
    n++;
  }
  return n;
}

void
ph_drop (PaxosHarness *h, guint i)
{
  msg_free (g_ptr_array_steal_index (h->net, i));
}

void
ph_drop_all (PaxosHarness *h)
{
  while (h->net->len > 0)
    ph_drop (h, 0);
}

void
ph_cut (PaxosHarness *h, int endpoint, gboolean is_cut)
{
  h->is_cut[endpoint] = is_cut;
  if (!is_cut)
    return;
  for (guint i = h->net->len; i-- > 0;) {
    PhMsg *m = g_ptr_array_index (h->net, i);
    if (m->from == endpoint || m->to == endpoint)
      ph_drop (h, i);
  }
}

void
ph_crash (PaxosHarness *h, int node)
{
  trace_begin (h, node, "crash\n");
  uint8_t *bytes = (uint8_t *) &h->nodes[node];
  memset (bytes + sizeof (PaxosPersist), 0, sizeof (PaxosNode) - sizeof (PaxosPersist));
  h->is_up[node] = FALSE;
  h->deadline_us[node] = PROTO_NO_DEADLINE;
  run_check (h);
}

void
ph_restart (PaxosHarness *h, int node)
{
  h->incarnation[node]++;
  h->ctx[node].seed = pcg32_derive (42, 1 + h->incarnation[node], (uint32_t) node);
  h->is_up[node] = TRUE;
  trace_begin (h, node, "restart\n");
  ProtoEvent ev = { .kind = PROTO_EV_START };
  ph_step (h, node, &ev);
}

void
ph_invoke (PaxosHarness *h, int client, ProtoOpKind f, int key, int64_t value, int64_t expect)
{
  ProtoOp op = {
    .f = f, .key = key, .value = value, .expect = expect,
    .client = (uint32_t) client, .seq = ++h->next_seq[client],
  };
  h->has_result[client] = FALSE;
  int e = h->n_nodes + client;
  trace_begin (h, e, "invoke\n");
  ProtoEvent ev = { .kind = PROTO_EV_INVOKE, .op = &op };
  ph_step (h, e, &ev);
}

void
ph_client_retry (PaxosHarness *h, int client)
{
  int e = h->n_nodes + client;
  trace_begin (h, e, "retry\n");
  ProtoEvent ev = { .kind = PROTO_EV_RETRY };
  ph_step (h, e, &ev);
}

int
ph_leader (const PaxosHarness *h)
{
  int leader = -1;
  uint64_t ballot = 0;
  for (int i = 0; i < h->n_nodes; i++)
    if (h->is_up[i] && h->nodes[i].role == PAXOS_LEADER && h->nodes[i].ballot >= ballot) {
      leader = i;
      ballot = h->nodes[i].ballot;
    }
  return leader;
}

int
ph_elect (PaxosHarness *h, int candidate)
{
  for (int round = 0; round < 4; round++) {
    ph_fire_timeout (h, candidate);
    ph_deliver_all (h, 1000);
    if (h->nodes[candidate].role == PAXOS_LEADER)
      return candidate;
    h->now_us += h->cfg.election_max_us;
  }
  return ph_leader (h);
}

gboolean
ph_reached (const PaxosHarness *h, const char *mark)
{
  for (guint i = 0; i < h->marks->len; i++)
    if (strcmp (g_ptr_array_index (h->marks, i), mark) == 0)
      return TRUE;
  return FALSE;
}

void
ph_client_target (PaxosHarness *h, int client, int node)
{
  PaxosClient *c = &h->clients[client];
  if (!c->is_seeded) {
    pcg32_seed (&c->rng, h->ctx[h->n_nodes + client].seed, 0);
    c->is_seeded = TRUE;
  }
  c->target = node;
}
