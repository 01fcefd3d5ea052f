/* trace_viz.c: trace JSON Lines -> VizModel. */
#include "sim/trace_viz.h"
#include "checkers/history.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (sim-trace-error-quark, sim_trace_error)

typedef struct {
  const char *name;     /* file name, for messages */
  guint line;           /* current line, from 1 */
  VizModel *m;
  GHashTable *endpoints; /* name -> index + 1; lookups only */
  GHashTable *msgs;      /* message id (gint64) -> message index + 1; lookups only */
  int64_t last_time;
  gsize max_bytes;       /* 0: no cap */
  gsize bytes;           /* counted so far (see load_data) */
} TraceReader;

static const struct {
  const char *name;
  VizEventKind kind;
} kinds[] = {
  { "send", VIZ_EV_SEND },       { "recv", VIZ_EV_RECV },
  { "drop", VIZ_EV_DROP },       { "dup", VIZ_EV__COUNT }, /* no event of its own */
  { "timeout", VIZ_EV_TIMEOUT }, { "start", VIZ_EV_NOTE },
  { "crash", VIZ_EV_CRASH },     { "restart", VIZ_EV_RESTART },
  { "pause", VIZ_EV_PAUSE },     { "resume", VIZ_EV_RESUME },
  { "partition", VIZ_EV_PARTITION }, { "heal", VIZ_EV_HEAL },
  { "skew", VIZ_EV_NOTE },       { "invoke", VIZ_EV_INVOKE },
  { "retry", VIZ_EV_NOTE },      { "complete", VIZ_EV_COMPLETE },
  { "note", VIZ_EV_NOTE },       { "disk", VIZ_EV_NOTE },
};

static gboolean G_GNUC_PRINTF (3, 4)
fail (TraceReader *r, GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_PARSE, "%s:%u: %s", r->name,
               r->line, msg);
  return FALSE;
}

/* Reads an optional member; FALSE (with error) if present with a wrong type. */
static gboolean
get_string (TraceReader *r, JsonObject *o, const char *field, const char **out,
            gboolean required, GError **error)
{
  *out = NULL;
  JsonNode *n = json_object_get_member (o, field);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n)) {
    if (required)
      return fail (r, error, "missing field \"%s\" (a string)", field);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return fail (r, error, "field \"%s\": expected a string", field);
  *out = json_node_get_string (n);
  return TRUE;
}

static gboolean
get_int (TraceReader *r, JsonObject *o, const char *field, int64_t *out,
         gboolean required, GError **error)
{
  JsonNode *n = json_object_get_member (o, field);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n)) {
    if (required)
      return fail (r, error, "missing field \"%s\" (an integer)", field);
    *out = -1;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64
      || json_node_get_int (n) < 0)
    return fail (r, error, "field \"%s\": expected a non-negative integer", field);
  *out = json_node_get_int (n);
  return TRUE;
}

static gboolean
get_endpoint (TraceReader *r, JsonObject *o, const char *field, int *out, GError **error)
{
  const char *name;
  if (!get_string (r, o, field, &name, TRUE, error))
    return FALSE;
  gpointer v = g_hash_table_lookup (r->endpoints, name);
  if (v == NULL)
    return fail (r, error, "field \"%s\": '%s' is not a node or client of the meta line",
                 field, name);
  *out = GPOINTER_TO_INT (v) - 1;
  return TRUE;
}

static gboolean
read_names (TraceReader *r, JsonObject *o, const char *field, VizProcessKind kind,
            GError **error)
{
  JsonNode *n = json_object_get_member (o, field);
  if (n == NULL && kind == VIZ_PROC_CLIENT)
    return TRUE;
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return fail (r, error, "meta line: field \"%s\": expected an array of names", field);
  JsonArray *a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING
        || *json_node_get_string (e) == '\0')
      return fail (r, error, "meta line: field \"%s\": element %u is not a name", field, i);
    const char *name = json_node_get_string (e);
    if (g_hash_table_size (r->endpoints) >= SIM_TRACE_MAX_PROCESSES)
      return fail (r, error, "meta line: more than %d nodes and clients (a diagram has one "
                   "lane each; at most %d)", SIM_TRACE_MAX_PROCESSES, SIM_TRACE_MAX_PROCESSES);
    if (g_hash_table_contains (r->endpoints, name))
      return fail (r, error, "meta line: '%s' is listed twice", name);
    int p = viz_model_add_process (r->m, name, kind);
    g_hash_table_insert (r->endpoints, g_strdup (name), GINT_TO_POINTER (p + 1));
  }
  return TRUE;
}

static gboolean
read_meta (TraceReader *r, JsonObject *o, GError **error)
{
  const char *kind = NULL;
  if (!get_string (r, o, "kind", &kind, FALSE, error))
    return FALSE;
  if (g_strcmp0 (kind, "meta") != 0)
    return fail (r, error, "expected the meta line first: "
                 "{\"kind\":\"meta\",\"protocol\":...,\"nodes\":[...],\"clients\":[...]}");
  const char *protocol = NULL;
  if (!get_string (r, o, "protocol", &protocol, FALSE, error))
    return FALSE;
  int64_t seed = -1;
  JsonNode *sn = json_object_get_member (o, "seed");
  if (sn != NULL && JSON_NODE_HOLDS_VALUE (sn) && json_node_get_value_type (sn) == G_TYPE_INT64)
    seed = json_node_get_int (sn);
  g_autofree char *title = seed >= 0 ? g_strdup_printf ("%s, seed %" G_GINT64_FORMAT,
                                                        protocol ? protocol : "trace", seed)
                                     : g_strdup (protocol ? protocol : "trace");
  r->m = viz_model_new (title);
  return read_names (r, o, "nodes", VIZ_PROC_NODE, error)
         && read_names (r, o, "clients", VIZ_PROC_CLIENT, error);
}

static int
find_message (TraceReader *r, int64_t id)
{
  gpointer v = g_hash_table_lookup (r->msgs, &id);
  return v ? GPOINTER_TO_INT (v) - 1 : -1;
}

static void
remember_message (TraceReader *r, int64_t id, int msg)
{
  g_hash_table_insert (r->msgs, g_memdup2 (&id, sizeof id), GINT_TO_POINTER (msg + 1));
}

static gboolean
read_event (TraceReader *r, JsonObject *o, GError **error)
{
  const char *kind_name;
  if (!get_string (r, o, "kind", &kind_name, TRUE, error))
    return FALSE;
  VizEventKind kind = VIZ_EV__COUNT;
  gboolean known = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kinds[i].name, kind_name) == 0) {
      kind = kinds[i].kind;
      known = TRUE;
    }
  if (!known)
    return fail (r, error, "unknown kind '%s' (expected send, recv, drop, dup, timeout, "
                 "start, crash, restart, pause, resume, partition, heal, skew, invoke, "
                 "retry, complete, note or disk)", kind_name);
  gboolean is_dup = strcmp (kind_name, "dup") == 0;
  int64_t time;
  if (!get_int (r, o, "time", &time, TRUE, error))
    return FALSE;
  if (time < r->last_time)
    return fail (r, error, "time %" G_GINT64_FORMAT " is before the previous line's %"
                 G_GINT64_FORMAT " (events must be in the order they happened)",
                 time, r->last_time);
  r->last_time = time;
  const char *label, *state;
  if (!get_string (r, o, "label", &label, FALSE, error)
      || !get_string (r, o, "state", &state, FALSE, error))
    return FALSE;
  VizModel *m = r->m;
  if (kind == VIZ_EV_PARTITION || kind == VIZ_EV_HEAL) {
    viz_model_add_event (m, -1, kind, time, label);
    return TRUE;
  }
  int node;
  if (!get_endpoint (r, o, "node", &node, error))
    return FALSE;
  if (kind == VIZ_EV_NOTE && label == NULL && strcmp (kind_name, "note") != 0)
    label = kind_name; /* start, skew, retry */

  gboolean has_msg = kind == VIZ_EV_SEND || kind == VIZ_EV_RECV || kind == VIZ_EV_DROP || is_dup;
  int64_t id = -1;
  int peer = -1;
  if (has_msg && (!get_int (r, o, "msg", &id, TRUE, error)
                  || !get_endpoint (r, o, "peer", &peer, error)))
    return FALSE;

  if (is_dup) {
    int64_t orig_id;
    if (!get_int (r, o, "dup_of", &orig_id, TRUE, error))
      return FALSE;
    int orig = find_message (r, orig_id);
    if (orig < 0)
      return fail (r, error, "dup of message %" G_GINT64_FORMAT ", which was never sent",
                   orig_id);
    if (find_message (r, id) >= 0)
      return fail (r, error, "message id %" G_GINT64_FORMAT " is used twice", id);
    const VizMessage *om = viz_model_message (m, (guint) orig);
    int msg = viz_model_add_message (m, om->send, om->from, om->to, om->label, TRUE);
    remember_message (r, id, msg);
    return TRUE;
  }
  if (kind == VIZ_EV_SEND) {
    if (find_message (r, id) >= 0)
      return fail (r, error, "message id %" G_GINT64_FORMAT " is used twice", id);
    int ev = viz_model_add_event (m, node, kind, time, label);
    viz_model_event (m, (guint) ev)->line = r->line;
    int msg = viz_model_add_message (m, ev, node, peer, label, FALSE);
    remember_message (r, id, msg);
    if (state != NULL)
      viz_model_set_role (m, ev, state);
    return TRUE;
  }
  int ev = viz_model_add_event (m, node, kind, time, label);
  viz_model_event (m, (guint) ev)->line = r->line;
  if (state != NULL)
    viz_model_set_role (m, ev, state);
  if (kind == VIZ_EV_RECV || kind == VIZ_EV_DROP) {
    int msg = find_message (r, id);
    if (msg < 0)
      return fail (r, error, "%s of message %" G_GINT64_FORMAT ", which was never sent",
                   kind_name, id);
    const VizMessage *mm = viz_model_message (m, (guint) msg);
    if (mm->recv >= 0 || mm->drop >= 0)
      return fail (r, error, "message %" G_GINT64_FORMAT " already arrived or was lost "
                   "(line %u)", id,
                   viz_model_event (m, (guint) (mm->recv >= 0 ? mm->recv : mm->drop))->line);
    int at_end = kind == VIZ_EV_RECV ? mm->to : -1;
    if (kind == VIZ_EV_RECV && node != at_end)
      return fail (r, error, "message %" G_GINT64_FORMAT " was sent to %s, not to %s", id,
                   viz_model_process (m, (guint) mm->to)->name,
                   viz_model_process (m, (guint) node)->name);
    if (kind == VIZ_EV_DROP && node != mm->to && node != mm->from)
      return fail (r, error, "message %" G_GINT64_FORMAT " goes from %s to %s; it cannot "
                   "be lost at %s", id, viz_model_process (m, (guint) mm->from)->name,
                   viz_model_process (m, (guint) mm->to)->name,
                   viz_model_process (m, (guint) node)->name);
    viz_model_end_message (m, msg, ev);
  }
  return TRUE;
}

/* How deep arrays and objects nest in one line, outside strings; stops
 * counting past `limit`.  The JSON parser recurses per level, so a line of
 * 200,000 '[' must be refused before it gets there. */
static int
line_depth (const char *line, gsize n, int limit, gsize *where)
{
  int depth = 0;
  gboolean in_string = FALSE;
  for (gsize k = 0; k < n; k++) {
    char c = line[k];
    if (in_string) {
      if (c == '\\')
        k++;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) {
        *where = k;
        return depth;
      }
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return 0;
}

/* The memory the events and messages from these on take: each twice (an
 * array may have room for as many again), its strings with their
 * allocation's overhead, a message's id in the reader's table. */
static gsize
model_bytes_since (const VizModel *m, guint events_from, guint messages_from)
{
  gsize bytes = 0;
  for (guint i = events_from; i < m->events->len; i++) {
    const VizEvent *e = &g_array_index (m->events, VizEvent, i);
    bytes += 2 * sizeof (VizEvent) + (e->label != NULL ? strlen (e->label) + 16 : 0)
             + (e->role != NULL ? strlen (e->role) + 16 : 0);
  }
  for (guint i = messages_from; i < m->messages->len; i++) {
    const VizMessage *msg = &g_array_index (m->messages, VizMessage, i);
    bytes += 2 * sizeof (VizMessage) + (msg->label != NULL ? strlen (msg->label) + 16 : 0) + 64;
  }
  return bytes;
}

static VizModel *
load_data (const char *name, const char *data, gsize len, gsize max_bytes, GError **error)
{
  TraceReader r = {
    .name = name,
    .max_bytes = max_bytes,
    .bytes = len, /* the text, in memory while it is read */
    .endpoints = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .msgs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL),
  };
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  gboolean ok = TRUE;
  const char *p = data, *end = data + len;
  while (ok && p < end) {
    const char *nl = memchr (p, '\n', (size_t) (end - p));
    const char *line_end = nl ? nl : end;
    r.line++;
    gsize n = (gsize) (line_end - p);
    const char *line = p;
    p = nl ? nl + 1 : end;
    while (n > 0 && g_ascii_isspace (line[n - 1]))
      n--;
    gsize skip = 0;
    while (skip < n && g_ascii_isspace (line[skip]))
      skip++;
    if (skip == n)
      continue;
    gsize deep_at = 0;
    if (line_depth (line, n, SIM_TRACE_MAX_DEPTH, &deep_at) > SIM_TRACE_MAX_DEPTH) {
      ok = fail (&r, error, "column %" G_GSIZE_FORMAT ": arrays and objects nested more than "
                 "%d deep (a trace line is one flat object)", deep_at + 1, SIM_TRACE_MAX_DEPTH);
      break;
    }
    GError *jerr = NULL;
    if (!json_parser_load_from_data (parser, line, (gssize) n, &jerr)) {
      /* json-glib says "<data>:1:COL: Parse error: ..." */
      const char *col = strstr (jerr->message, ":1:");
      const char *what = strstr (jerr->message, "error: ");
      what = what ? what + 7 : jerr->message;
      if (col != NULL && atoi (col + 3) > 0)
        ok = fail (&r, error, "column %d: not valid JSON: %s", atoi (col + 3), what);
      else
        ok = fail (&r, error, "not valid JSON: %s", what);
      g_error_free (jerr);
      break;
    }
    JsonNode *root = json_parser_get_root (parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
      ok = fail (&r, error, "expected a JSON object {...}");
      break;
    }
    JsonObject *o = json_node_get_object (root);
    guint events_from = r.m != NULL ? r.m->events->len : 0;
    guint messages_from = r.m != NULL ? r.m->messages->len : 0;
    ok = r.m == NULL ? read_meta (&r, o, error) : read_event (&r, o, error);
    if (ok)
      r.bytes += model_bytes_since (r.m, events_from, messages_from);
    if (ok && r.max_bytes > 0 && r.bytes > r.max_bytes) {
      g_set_error (error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_LIMIT, "%s:%u: reading the trace "
                   "reached the memory limit of %" G_GSIZE_FORMAT " bytes", name, r.line,
                   r.max_bytes);
      ok = FALSE;
    }
  }
  if (ok && r.m == NULL) {
    g_set_error (error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_PARSE,
                 "%s:1: empty trace: expected the meta line {\"kind\":\"meta\",...}", name);
    ok = FALSE;
  }
  g_hash_table_unref (r.endpoints);
  g_hash_table_unref (r.msgs);
  if (!ok) {
    viz_model_free (r.m);
    return NULL;
  }
  viz_model_compute_clocks (r.m);
  return r.m;
}

VizModel *
sim_trace_viz_load_data (const char *name, const char *data, gsize len, GError **error)
{
  return load_data (name, data, len, 0, error);
}

VizModel *
sim_trace_viz_load (const char *path, GError **error)
{
  return sim_trace_viz_load_limited (path, 0, error);
}

VizModel *
sim_trace_viz_load_limited (const char *path, gsize max_bytes, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  GError *e = NULL;
  gsize cap = max_bytes > 0 ? MIN (max_bytes, SIM_TRACE_MAX_BYTES) : SIM_TRACE_MAX_BYTES;
  if (!chk_read_input_file (path, "trace", cap, &data, &len, &e)) {
    gboolean is_limit = cap < SIM_TRACE_MAX_BYTES && g_error_matches (e, CHK_ERROR,
                                                                       CHK_ERROR_LIMIT);
    g_set_error (error, SIM_TRACE_ERROR, is_limit ? SIM_TRACE_ERROR_LIMIT : SIM_TRACE_ERROR_IO,
                 "%s", e->message);
    g_error_free (e);
    return NULL;
  }
  return load_data (path, data, len, max_bytes, error);
}
