/* trace.c: writing the trace (sim/trace.h) as the world runs, with a vector
 * clock per endpoint, and keeping its last lines for failure reports.
 *
 * Lines are built field by field with printf-style integer formatting only,
 * so the bytes depend on nothing but the events. */
#include "sim/world_internal.h"

#include <string.h>

void
sim_trace_init (SimWorld *w)
{
  SimTrace *t = &w->trace;
  memset (t, 0, sizeof *t);
  t->line = g_string_sized_new (256);
  t->label = g_string_sized_new (128);
  t->names = g_malloc0 (sizeof *t->names * (size_t) w->n_endpoints);
  for (int e = 0; e < w->n_endpoints; e++) {
    g_autoptr (GString) name = g_string_new (NULL);
    sim_endpoint_name (w->cfg, e, name);
    g_strlcpy (t->names[e], name->str, sizeof t->names[e]);
  }
}

void
sim_trace_clear (SimTrace *t)
{
  for (guint i = 0; i < t->tail_cap; i++)
    g_string_free (t->tail[i], TRUE);
  g_free (t->tail);
  g_string_free (t->line, TRUE);
  g_string_free (t->label, TRUE);
  g_free (t->vc);
  g_free (t->names);
  memset (t, 0, sizeof *t);
}

/* Decimal integers, written by hand: g_string_append_printf allocates a
 * temporary string per call, which made tracing ten times slower. */
static void
append_u64 (GString *out, uint64_t v)
{
  char buf[24];
  int i = sizeof buf;
  do {
    buf[--i] = (char) ('0' + v % 10);
    v /= 10;
  } while (v != 0);
  g_string_append_len (out, buf + i, (gssize) sizeof buf - i);
}

static void
append_i64 (GString *out, int64_t v)
{
  if (v < 0) {
    g_string_append_c (out, '-');
    append_u64 (out, -(uint64_t) v);
  } else {
    append_u64 (out, (uint64_t) v);
  }
}

/* Turns formatting on (the first time an output or a tail is asked for). */
static void
trace_turn_on (SimWorld *w)
{
  SimTrace *t = &w->trace;
  if (t->is_on)
    return;
  g_assert (w->stats.events == 0 && "trace output must be set before the first step");
  t->is_on = TRUE;
  t->vc = g_new0 (uint64_t, (size_t) w->n_endpoints * w->n_endpoints);
  sim_net_set_vc_len (&w->net, (guint) w->n_endpoints);
}

static void
trace_set_tail (SimTrace *t, guint n_lines)
{
  for (guint i = 0; i < t->tail_cap; i++)
    g_string_free (t->tail[i], TRUE);
  g_free (t->tail);
  t->tail_cap = n_lines;
  t->tail = g_new0 (GString *, MAX (n_lines, 1));
  for (guint i = 0; i < n_lines; i++)
    t->tail[i] = g_string_new (NULL);
  t->tail_next = t->tail_count = 0;
}

static void
trace_emit (SimWorld *w)
{
  SimTrace *t = &w->trace;
  g_string_append_c (t->line, '\n');
  if (t->out != NULL)
    fwrite (t->line->str, 1, t->line->len, t->out);
  if (t->tail_cap > 0) {
    GString *slot = t->tail[t->tail_next];
    g_string_truncate (slot, 0);
    g_string_append_len (slot, t->line->str, (gssize) t->line->len);
    t->tail_next = (t->tail_next + 1) % t->tail_cap;
    t->tail_count = MIN (t->tail_count + 1, t->tail_cap);
  }
}

static void
trace_meta (SimWorld *w)
{
  SimTrace *t = &w->trace;
  GString *l = t->line;
  g_string_assign (l, "{\"kind\":\"meta\",\"protocol\":");
  chk_json_string (l, w->vt->name);
  g_string_append_printf (l, ",\"seed\":%" G_GUINT64_FORMAT ",\"nodes\":[", w->seed);
  for (int e = 0; e < w->n_endpoints; e++) {
    if (e == w->n_nodes)
      g_string_append (l, "],\"clients\":[");
    else if (e > 0)
      g_string_append_c (l, ',');
    chk_json_string (l, t->names[e]);
  }
  if (w->n_clients == 0)
    g_string_append (l, "],\"clients\":[");
  g_string_append (l, "]}");
  trace_emit (w);
}

void
sim_world_set_trace_output (SimWorld *w, FILE *out)
{
  SimTrace *t = &w->trace;
  g_assert (t->out == NULL && w->stats.events == 0);
  if (out == NULL)
    return;
  t->out = out;
  trace_turn_on (w);
  if (!t->tail_set)
    trace_set_tail (t, 40);
  trace_meta (w);
}

void
sim_world_set_trace_tail (SimWorld *w, guint n_lines)
{
  SimTrace *t = &w->trace;
  t->tail_set = TRUE;
  trace_set_tail (t, n_lines);
  if (n_lines > 0)
    trace_turn_on (w);
}

void
sim_trace_begin (SimWorld *w, int endpoint, const char *kind)
{
  SimTrace *t = &w->trace;
  GString *l = t->line;
  g_string_assign (l, "{\"time\":");
  append_i64 (l, w->stats.now_us);
  if (endpoint >= 0) {
    g_string_append (l, ",\"node\":\"");
    g_string_append (l, t->names[endpoint]);
    g_string_append_c (l, '"');
    t->vc[(size_t) endpoint * w->n_endpoints + endpoint]++;
  }
  g_string_append (l, ",\"kind\":\"");
  g_string_append (l, kind);
  g_string_append_c (l, '"');
}

void
sim_trace_msg (SimWorld *w, const SimMsg *m, int peer)
{
  SimTrace *t = &w->trace;
  GString *l = t->line;
  g_string_append (l, ",\"msg\":");
  append_u64 (l, m->id);
  if (m->dup_of != 0) {
    g_string_append (l, ",\"dup_of\":");
    append_u64 (l, m->dup_of);
  }
  g_string_append (l, ",\"peer\":\"");
  g_string_append (l, t->names[peer]);
  g_string_append_c (l, '"');
}

void
sim_trace_field_str (SimWorld *w, const char *name, const char *value)
{
  GString *l = w->trace.line;
  g_string_append (l, ",\"");
  g_string_append (l, name);
  g_string_append (l, "\":");
  chk_json_string (l, value);
}

void
sim_trace_end (SimWorld *w, int endpoint)
{
  SimTrace *t = &w->trace;
  GString *l = t->line;
  if (endpoint >= 0) {
    const uint64_t *vc = t->vc + (size_t) endpoint * w->n_endpoints;
    g_string_append (l, ",\"vc\":[");
    for (int i = 0; i < w->n_endpoints; i++) {
      if (i > 0)
        g_string_append_c (l, ',');
      append_u64 (l, vc[i]);
    }
    g_string_append_c (l, ']');
  }
  if (t->label->len > 0) {
    g_string_append (l, ",\"label\":");
    chk_json_string (l, t->label->str);
  }
  g_string_append_c (l, '}');
  trace_emit (w);
}

void
sim_trace_merge (SimWorld *w, int endpoint, const uint64_t *msg_vc)
{
  uint64_t *vc = w->trace.vc + (size_t) endpoint * w->n_endpoints;
  for (int i = 0; i < w->n_endpoints; i++)
    vc[i] = MAX (vc[i], msg_vc[i]);
}

void
sim_trace_tail (const SimWorld *w, GString *out)
{
  const SimTrace *t = &w->trace;
  guint first = (t->tail_next + t->tail_cap - t->tail_count) % MAX (t->tail_cap, 1);
  for (guint i = 0; i < t->tail_count; i++)
    g_string_append (out, t->tail[(first + i) % t->tail_cap]->str);
}
