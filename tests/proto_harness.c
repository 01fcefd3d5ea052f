/* proto_harness.c: see proto_harness.h. */
#include "tests/proto_harness.h"

#include <string.h>

static void
endpoint_name (const ProtoHarness *h, int e, GString *out)
{
  if (e < h->n_nodes)
    g_string_append_printf (out, "n%d", e + 1);
  else
    g_string_append_printf (out, "c%d", e - h->n_nodes + 1);
}

static void
trace_begin (ProtoHarness *h, int e, const char *kind)
{
  g_string_append_printf (h->trace, "%8" G_GINT64_FORMAT " ", h->now_us);
  endpoint_name (h, e, h->trace);
  g_string_append_printf (h->trace, " %s", kind);
}

ProtoHarness *
proto_harness_new (const ProtoVTable *vt, int n_nodes, int n_clients)
{
  g_assert (n_nodes >= 1 && n_nodes <= PROTO_MAX_NODES && n_clients <= PROTO_HARNESS_MAX_CLIENTS);
  ProtoHarness *h = g_new0 (ProtoHarness, 1);
  h->vt = vt;
  h->cfg = g_malloc0 (vt->config_size);
  proto_config_defaults (vt, h->cfg);
  h->n_nodes = n_nodes;
  h->n_clients = n_clients;
  h->nodes = g_malloc0 (vt->state_size * (gsize) n_nodes);
  h->clients = g_malloc0 (vt->client_state_size * PROTO_HARNESS_MAX_CLIENTS);
  for (int e = 0; e < n_nodes + n_clients; e++) {
    h->ctx[e].self = e;
    h->ctx[e].n_nodes = n_nodes;
    h->ctx[e].n_clients = n_clients;
    h->ctx[e].seed = pcg32_derive (42, 1, (uint32_t) e);
    h->ctx[e].config = h->cfg;
  }
  for (int i = 0; i < n_nodes; i++)
    h->deadline_us[i] = PROTO_NO_DEADLINE;
  h->net = g_ptr_array_new ();
  h->ghost = g_malloc0 (vt->ghost_size);
  proto_outbox_init (&h->out);
  h->trace = g_string_new (NULL);
  h->marks = g_ptr_array_new ();
  return h;
}

static void
msg_free (ProtoHarnessMsg *m)
{
  g_bytes_unref (m->bytes);
  g_free (m);
}

void
proto_harness_free (ProtoHarness *h)
{
  for (guint i = 0; i < h->net->len; i++)
    msg_free (g_ptr_array_index (h->net, i));
  g_ptr_array_unref (h->net);
  g_free (h->nodes);
  g_free (h->clients);
  g_free (h->cfg);
  if (h->vt->ghost_free != NULL)
    h->vt->ghost_free (h->ghost);
  g_free (h->ghost);
  proto_outbox_clear (&h->out);
  g_string_free (h->trace, TRUE);
  g_ptr_array_unref (h->marks);
  g_free (h->violation);
  g_free (h);
}

void *
proto_harness_node (const ProtoHarness *h, int node)
{
  return h->nodes + h->vt->state_size * (gsize) node;
}

void *
proto_harness_client (const ProtoHarness *h, int client)
{
  return h->clients + h->vt->client_state_size * (gsize) client;
}

static void
run_check (ProtoHarness *h)
{
  if (h->violation != NULL)
    return;
  const void *states[PROTO_MAX_NODES];
  for (int i = 0; i < h->n_nodes; i++)
    states[i] = proto_harness_node (h, i);
  g_autoptr (GString) why = g_string_new (NULL);
  if (!h->vt->check (h->ghost, states, h->is_up, h->ctx, h->n_nodes, why))
    h->violation = g_strdup (why->str);
}

static void
harness_step (ProtoHarness *h, int e, ProtoEvent *ev)
{
  ProtoOutbox *out = &h->out;
  proto_outbox_reset (out);
  ev->now_us = h->now_us;
  gboolean is_node = e < h->n_nodes;
  if (is_node) {
    out->deadline_us = h->deadline_us[e];
    h->vt->step (proto_harness_node (h, e), &h->ctx[e], ev, out);
    h->deadline_us[e] = out->deadline_us;
  } else {
    h->vt->client_step (proto_harness_client (h, e - h->n_nodes), &h->ctx[e], ev, out);
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
    if (!proto_harness_reached (h, mark))
      g_ptr_array_add (h->marks, (gpointer) mark);
  }
  for (guint i = 0; i < out->msgs->len; i++) {
    const ProtoOutMsg *om = &g_array_index (out->msgs, ProtoOutMsg, i);
    const uint8_t *bytes = out->bytes->data + om->offset;
    trace_begin (h, e, "send");
    g_string_append_c (h->trace, ' ');
    endpoint_name (h, om->to, h->trace);
    g_string_append_c (h->trace, ' ');
    h->vt->format_msg (bytes, om->len, h->trace);
    if (h->is_cut[e] || h->is_cut[om->to]) {
      g_string_append (h->trace, " (cut)\n");
      continue;
    }
    g_string_append_c (h->trace, '\n');
    ProtoHarnessMsg *m = g_new0 (ProtoHarnessMsg, 1);
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
proto_harness_start_all (ProtoHarness *h)
{
  for (int i = 0; i < h->n_nodes; i++) {
    h->is_up[i] = TRUE;
    trace_begin (h, i, "start\n");
    ProtoEvent ev = { .kind = PROTO_EV_START };
    harness_step (h, i, &ev);
  }
}

void
proto_harness_fire_timeout (ProtoHarness *h, int node)
{
  g_assert (h->is_up[node]);
  if (h->deadline_us[node] != PROTO_NO_DEADLINE && h->deadline_us[node] > h->now_us)
    h->now_us = h->deadline_us[node];
  h->deadline_us[node] = PROTO_NO_DEADLINE;
  trace_begin (h, node, "timeout\n");
  ProtoEvent ev = { .kind = PROTO_EV_TIMEOUT };
  harness_step (h, node, &ev);
}

void
proto_harness_deliver (ProtoHarness *h, guint i)
{
  g_assert (i < h->net->len);
  ProtoHarnessMsg *m = g_ptr_array_steal_index (h->net, i);
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
  h->vt->format_msg (data, len, h->trace);
  g_string_append_c (h->trace, '\n');
  ProtoEvent ev = { .kind = PROTO_EV_RECEIVE, .from = m->from, .msg = data, .msg_len = len };
  harness_step (h, m->to, &ev);
  msg_free (m);
}

guint
proto_harness_deliver_all (ProtoHarness *h, guint limit)
{
  guint n = 0;
  while (h->net->len > 0 && n < limit) {
    proto_harness_deliver (h, 0);
    n++;
  }
  return n;
}

void
proto_harness_drop (ProtoHarness *h, guint i)
{
  msg_free (g_ptr_array_steal_index (h->net, i));
}

void
proto_harness_drop_all (ProtoHarness *h)
{
  while (h->net->len > 0)
    proto_harness_drop (h, 0);
}

void
proto_harness_cut (ProtoHarness *h, int endpoint, gboolean is_cut)
{
  h->is_cut[endpoint] = is_cut;
  if (!is_cut)
    return;
  for (guint i = h->net->len; i-- > 0;) {
    ProtoHarnessMsg *m = g_ptr_array_index (h->net, i);
    if (m->from == endpoint || m->to == endpoint)
      proto_harness_drop (h, i);
  }
}

void
proto_harness_crash (ProtoHarness *h, int node)
{
  trace_begin (h, node, "crash\n");
  uint8_t *bytes = proto_harness_node (h, node);
  size_t persist_end = h->vt->persist_offset + h->vt->persist_size;
  memset (bytes, 0, h->vt->persist_offset);
  memset (bytes + persist_end, 0, h->vt->state_size - persist_end);
  h->is_up[node] = FALSE;
  h->deadline_us[node] = PROTO_NO_DEADLINE;
  run_check (h);
}

void
proto_harness_restart (ProtoHarness *h, int node)
{
  h->incarnation[node]++;
  h->ctx[node].seed = pcg32_derive (42, 1 + h->incarnation[node], (uint32_t) node);
  h->is_up[node] = TRUE;
  trace_begin (h, node, "restart\n");
  ProtoEvent ev = { .kind = PROTO_EV_START };
  harness_step (h, node, &ev);
}

void
proto_harness_invoke (ProtoHarness *h, int client, ProtoOpKind f, int key, int64_t value, int64_t expect)
{
  ProtoOp op = {
    .f = f, .key = key, .value = value, .expect = expect,
    .client = (uint32_t) client, .seq = ++h->next_seq[client],
  };
  h->has_result[client] = FALSE;
  int e = h->n_nodes + client;
  trace_begin (h, e, "invoke\n");
  ProtoEvent ev = { .kind = PROTO_EV_INVOKE, .op = &op };
  harness_step (h, e, &ev);
}

void
proto_harness_client_retry (ProtoHarness *h, int client)
{
  int e = h->n_nodes + client;
  trace_begin (h, e, "retry\n");
  ProtoEvent ev = { .kind = PROTO_EV_RETRY };
  harness_step (h, e, &ev);
}

gboolean
proto_harness_reached (const ProtoHarness *h, const char *mark)
{
  for (guint i = 0; i < h->marks->len; i++)
    if (strcmp (g_ptr_array_index (h->marks, i), mark) == 0)
      return TRUE;
  return FALSE;
}
