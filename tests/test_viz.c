/* test_viz.c: space-time diagrams and ShiViz logs from traces: golden DOT
 * text, well-formed SVG, real PNGs, ShiViz lines that match their own regex,
 * vector clocks of engine traces that respect happens-before, and bad trace
 * files rejected with file:line and exit code 2. */
#include <criterion/criterion.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "sim/trace_viz.h"
#include "sim/world.h"
#include "tests/support.h"
#include "viz/render.h"
#include "viz/shiviz.h"
#include "viz/spacetime.h"

/* ---- helpers -------------------------------------------------------------*/

static VizModel *
load_trace (const char *rel)
{
  g_autofree char *path = test_source_path (rel);
  g_autoptr (GError) error = NULL;
  VizModel *m = sim_trace_viz_load (path, &error);
  cr_assert_not_null (m, "%s: %s", rel, error ? error->message : "");
  return m;
}

static void
expect_golden (const char *text, const char *rel)
{
  g_autofree char *why = NULL;
  cr_expect (test_golden_check (text, rel, &why), "%s", why);
}

static char *
spacetime (const VizModel *m, const VizSpacetimeOptions *opt)
{
  g_autoptr (GError) error = NULL;
  char *dot = viz_spacetime_dot (m, opt, &error);
  cr_assert_not_null (dot, "%s", error ? error->message : "");
  return dot;
}

static char *
render (const char *dot, const char *format, gsize *len)
{
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  cr_assert (viz_render_data (dot, format, 0, NULL, &data, len, &error), "%s: %s", format,
             error ? error->message : "");
  return data;
}

/* The small Raft trace, drawn with the default options. */
static char *
raft_small_dot (void)
{
  g_autoptr (VizModel) m = load_trace ("tests/data/traces/raft-small.jsonl");
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  return spacetime (m, &opt);
}

/* ---- golden DOT ----------------------------------------------------------*/

Test (spacetime, golden_virtual_time)
{
  g_autoptr (VizModel) m = load_trace ("tests/data/traces/raft-small.jsonl");
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  g_autofree char *dot = spacetime (m, &opt);
  expect_golden (dot, "tests/golden/raft-small.dot");
  g_autofree char *again = spacetime (m, &opt);
  cr_expect_str_eq (dot, again, "the same model must give the same bytes");
}

Test (spacetime, golden_logical_time)
{
  g_autoptr (VizModel) m = load_trace ("tests/data/traces/raft-small.jsonl");
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  opt.axis = VIZ_TIME_LOGICAL;
  g_autofree char *dot = spacetime (m, &opt);
  expect_golden (dot, "tests/golden/raft-small-logical.dot");
}

Test (spacetime, lamport_times_follow_messages)
{
  g_autoptr (VizModel) m = load_trace ("tests/data/traces/raft-small.jsonl");
  for (guint i = 0; i < viz_model_n_messages (m); i++) {
    const VizMessage *msg = viz_model_message (m, i);
    int end = msg->recv >= 0 ? msg->recv : msg->drop;
    if (end >= 0)
      cr_expect_gt (viz_model_event (m, (guint) end)->lamport,
                    viz_model_event (m, (guint) msg->send)->lamport, "message %u", i);
  }
}

Test (spacetime, marks_every_fault_kind)
{
  g_autofree char *dot = raft_small_dot ();
  /* the lost message ends in a cross, the duplicate is dashed, the spans and
   * the partition are shaded, the roles are written, and the legend says so */
  cr_expect (strstr (dot, "label=\"\u00d7\"") != NULL);
  cr_expect (strstr (dot, "style=dashed") != NULL);
  cr_expect (strstr (dot, "label=\"dup PutOk(x=1)\"") != NULL);
  cr_expect (strstr (dot, "label=\"crashed\"") != NULL);
  cr_expect (strstr (dot, "label=\"paused\"") != NULL);
  cr_expect (strstr (dot, "label=\"partition n1 n2 c1 | n3\"") != NULL);
  cr_expect (strstr (dot, "label=\"leader t=1\"") != NULL);
  for (const char *const *item = (const char *const[]) { "message", "client request / reply",
         "message lost", "duplicate delivery", "timeout", "crashed (until restart)", "paused",
         "partition (until heal)", "role change", NULL }; *item; item++) {
    g_autofree char *needle = g_strdup_printf ("label=\"%s\"", *item);
    cr_expect (strstr (dot, needle) != NULL, "legend lacks '%s'", *item);
  }
}

Test (spacetime, window_nodes_and_cap_are_noted)
{
  g_autoptr (VizModel) m = load_trace ("tests/data/traces/raft-small.jsonl");
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  const char *const nodes[] = { "n1", "n2", NULL };
  opt.nodes = nodes;
  opt.from_us = 150000;
  opt.max_events = 6;
  g_autofree char *dot = spacetime (m, &opt);
  cr_expect (strstr (dot, "window: from 150 ms to the end") != NULL);
  cr_expect (strstr (dot, "showing 2 of 4 processes") != NULL);
  /* from 150 ms on, n1 and n2 have 19 events, and there is a partition and a heal */
  cr_expect (strstr (dot, "cut: showing the first 6 of 21 events; the 15 from 155.2 ms on") != NULL,
             "%s", dot);
  cr_expect (strstr (dot, "lane2 ") == NULL, "n3 is hidden");
  cr_expect (strstr (dot, "1 message to or from hidden processes not drawn") != NULL);
}

Test (spacetime, unknown_node_is_an_error)
{
  g_autoptr (VizModel) m = load_trace ("tests/data/traces/raft-small.jsonl");
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  const char *const nodes[] = { "n9", NULL };
  opt.nodes = nodes;
  g_autoptr (GError) error = NULL;
  cr_expect_null (viz_spacetime_dot (m, &opt, &error));
  cr_assert_not_null (error);
  cr_expect (strstr (error->message, "no process called 'n9'") != NULL, "%s", error->message);
  cr_expect (strstr (error->message, "n1 n2 n3 c1") != NULL, "%s", error->message);
}

/* ---- rendered output -----------------------------------------------------*/

typedef struct {
  guint elements;
  gboolean root_is_svg;
} SvgCount;

static void
svg_start (GMarkupParseContext *c, const char *name, const char **an, const char **av,
           gpointer data, GError **error)
{
  SvgCount *n = data;
  if (n->elements++ == 0)
    n->root_is_svg = strcmp (name, "svg") == 0;
}

Test (render, svg_is_well_formed_xml)
{
  g_autofree char *dot = raft_small_dot ();
  gsize len = 0;
  g_autofree char *svg = render (dot, "svg", &len);
  GMarkupParser parser = { .start_element = svg_start };
  SvgCount count = { 0 };
  g_autoptr (GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &count, NULL);
  g_autoptr (GError) error = NULL;
  cr_assert (g_markup_parse_context_parse (ctx, svg, (gssize) len, &error)
             && g_markup_parse_context_end_parse (ctx, &error),
             "SVG is not well-formed: %s", error ? error->message : "");
  cr_expect (count.root_is_svg);
  cr_expect_gt (count.elements, 200, "a diagram has many elements, got %u", count.elements);
  cr_expect (strstr (svg, "AppendEntries(t=1, 1 entry)") != NULL, "labels are in the SVG");
}

static uint32_t
be32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

Test (render, png_has_signature_and_sane_size)
{
  g_autofree char *dot = raft_small_dot ();
  gsize len = 0;
  g_autofree char *png = render (dot, "png", &len);
  const unsigned char *p = (const unsigned char *) png;
  cr_assert_gt (len, 33);
  cr_assert_eq (memcmp (p, "\x89PNG\r\n\x1a\n", 8), 0, "PNG signature");
  cr_assert_eq (memcmp (p + 12, "IHDR", 4), 0, "first chunk is IHDR");
  uint32_t w = be32 (p + 16), h = be32 (p + 20);
  cr_expect (w >= 800 && w <= 16000, "width %u", w);
  cr_expect (h >= 300 && h <= 2000, "height %u", h);
  cr_expect_gt (w, h, "time runs left to right: wider than tall");
}

Test (render, pdf_and_dot)
{
  g_autofree char *dot = raft_small_dot ();
  gsize len = 0;
  g_autofree char *pdf = render (dot, "pdf", &len);
  cr_expect (len > 1000 && memcmp (pdf, "%PDF-", 5) == 0);
  g_autofree char *same = render (dot, "dot", &len);
  cr_expect_str_eq (same, dot);
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  cr_expect_not (viz_render_data (dot, "gif", 0, NULL, &data, &len, &error));
  cr_expect (error && strstr (error->message, "expected svg, png, pdf or dot"));
}

/* ---- ShiViz --------------------------------------------------------------*/

/* Checks a ShiViz log: line 1 is the regex, line 2 the delimiter, line 3 a
 * delimiter line; every other line matches the regex from start to end, its
 * clock is JSON, holds its host, and the host's entry grows by exactly 1.
 * Returns the number of event lines. */
static guint
check_shiviz (const char *log)
{
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  cr_assert_geq (g_strv_length (lines), 4);
  cr_assert_str_eq (lines[0], VIZ_SHIVIZ_REGEX);
  cr_assert_str_eq (lines[1], VIZ_SHIVIZ_DELIMITER);
  g_autofree char *anchored = g_strdup_printf ("^%s$", lines[0]);
  g_autoptr (GRegex) re = g_regex_new (anchored, 0, 0, NULL);
  g_autofree char *delim = g_strdup_printf ("^%s$", lines[1]);
  g_autoptr (GRegex) dre = g_regex_new (delim, 0, 0, NULL);
  cr_assert_not_null (re);
  cr_assert_not_null (dre);
  cr_expect (g_regex_match (dre, lines[2], 0, NULL), "line 3 '%s' is a delimiter", lines[2]);
  g_autoptr (GHashTable) last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  guint n = 0;
  for (guint i = 3; lines[i] != NULL; i++) {
    if (lines[i][0] == '\0' && lines[i + 1] == NULL)
      break;
    g_autoptr (GMatchInfo) mi = NULL;
    cr_assert (g_regex_match (re, lines[i], 0, &mi), "line %u does not match: %s", i + 1,
               lines[i]);
    cr_expect_not (g_regex_match (dre, lines[i], 0, NULL), "line %u looks like a delimiter",
                   i + 1);
    g_autofree char *host = g_match_info_fetch_named (mi, "host");
    g_autofree char *clock = g_match_info_fetch_named (mi, "clock");
    g_autofree char *event = g_match_info_fetch_named (mi, "event");
    cr_expect_gt (strlen (event), 0);
    cr_assert (json_parser_load_from_data (parser, clock, -1, NULL), "clock %s", clock);
    JsonObject *o = json_node_get_object (json_parser_get_root (parser));
    cr_assert (json_object_has_member (o, host), "line %u: clock lacks its host", i + 1);
    int64_t own = json_object_get_int_member (o, host);
    int64_t before = GPOINTER_TO_INT (g_hash_table_lookup (last, host));
    cr_expect_eq (own, before + 1, "line %u: %s's clock goes from %" G_GINT64_FORMAT
                  " to %" G_GINT64_FORMAT, i + 1, host, before, own);
    g_hash_table_insert (last, g_strdup (host), GINT_TO_POINTER ((int) own));
    n++;
  }
  return n;
}

Test (shiviz, lines_match_their_own_regex)
{
  g_autoptr (VizModel) m = load_trace ("tests/data/traces/raft-small.jsonl");
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  g_autoptr (GError) error = NULL;
  g_autofree char *log = viz_shiviz_log (m, &opt, &error);
  cr_assert_not_null (log);
  /* 35 events, less the partition and the heal */
  cr_expect_eq (check_shiviz (log), 33);
  cr_expect (strstr (log, "\nc1 {\"n1\":12,\"n2\":5,\"n3\":3,\"c1\":3} 166500 recv PutOk(x=1) from n1\n") != NULL,
             "%s", log);
  /* a window restarts the clocks at 1 for each host */
  opt.from_us = 160000;
  const char *const nodes[] = { "n1", "c1", NULL };
  opt.nodes = nodes;
  g_autofree char *part = viz_shiviz_log (m, &opt, &error);
  cr_expect_gt (check_shiviz (part), 5);
  cr_expect (strstr (part, "\nc1 {\"c1\":1} 160000 invoke write x=1\n") != NULL, "%s", part);
}

/* ---- traces written by the engine ----------------------------------------*/

static SimFault
fault (int64_t at_us, SimFaultKind kind, int node)
{
  SimFault f;
  memset (&f, 0, sizeof f);
  f.at_us = at_us;
  f.kind = kind;
  f.node = node;
  for (int i = 0; i < PROTO_MAX_ENDPOINTS; i++)
    f.group[i] = -1;
  return f;
}

/* A null-protocol run over a lossy, duplicating network with a partition, a
 * crash and pauses: every kind of line the engine writes for nodes. */
static char *
engine_trace (void)
{
  g_autoptr (SimConfig) cfg = sim_config_new (proto_find ("null"));
  cfg->n_nodes = 4;
  cfg->duration_us = 300000;
  cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "tokens", "20", NULL));
  cfg->net.drop = 0.03;
  cfg->net.duplicate = 0.05;
  cfg->net.reorder = 0.1;
  SimFault p = fault (50000, SIM_FAULT_PARTITION, 0);
  p.group[0] = p.group[1] = 0;
  p.group[2] = p.group[3] = 1;
  g_array_append_val (cfg->faults, p);
  SimFault more[] = { fault (120000, SIM_FAULT_HEAL, 0), fault (150000, SIM_FAULT_CRASH, 2),
                      fault (200000, SIM_FAULT_RESTART, 2) };
  g_array_append_vals (cfg->faults, more, G_N_ELEMENTS (more));
  cfg->random_faults.pause_per_s = 10;
  cfg->random_faults.pause_us = 20000;
  char *trace = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&trace, &len);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 11);
  sim_world_set_trace_output (w, f);
  sim_world_run (w);
  fclose (f);
  return trace;
}

static gboolean
vc_of (JsonObject *o, GArray *out)
{
  g_array_set_size (out, 0);
  if (!json_object_has_member (o, "vc"))
    return FALSE;
  JsonArray *a = json_object_get_array_member (o, "vc");
  for (guint i = 0; i < json_array_get_length (a); i++) {
    int64_t v = json_array_get_int_element (a, i);
    g_array_append_val (out, v);
  }
  return TRUE;
}

Test (engine, vector_clocks_respect_happens_before)
{
  g_autofree char *trace = engine_trace ();
  g_auto (GStrv) lines = g_strsplit (trace, "\n", -1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GHashTable) sent = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                       (GDestroyNotify) g_array_unref);
  g_autoptr (GArray) vc = g_array_new (FALSE, FALSE, sizeof (int64_t));
  guint recvs = 0, drops = 0, dups = 0;
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    cr_assert (json_parser_load_from_data (parser, lines[i], -1, NULL), "line %u", i + 1);
    JsonObject *o = json_node_get_object (json_parser_get_root (parser));
    const char *kind = json_object_get_string_member (o, "kind");
    if (!vc_of (o, vc))
      continue;
    int64_t id = json_object_has_member (o, "msg") ? json_object_get_int_member (o, "msg") : -1;
    if (strcmp (kind, "send") == 0 || strcmp (kind, "dup") == 0) {
      GArray *copy = g_array_copy (vc);
      g_hash_table_insert (sent, g_memdup2 (&id, sizeof id), copy);
      dups += kind[0] == 'd';
    } else if (strcmp (kind, "recv") == 0) {
      const GArray *s = g_hash_table_lookup (sent, &id);
      cr_assert_not_null (s, "line %u: recv of message %" G_GINT64_FORMAT " never sent", i + 1, id);
      cr_assert_eq (s->len, vc->len);
      gboolean strictly = FALSE;
      for (guint k = 0; k < vc->len; k++) {
        cr_expect_geq (g_array_index (vc, int64_t, k), g_array_index (s, int64_t, k),
                       "line %u: receive's clock does not dominate its send's at %u", i + 1, k);
        strictly |= g_array_index (vc, int64_t, k) > g_array_index (s, int64_t, k);
      }
      cr_expect (strictly, "line %u: receive's clock equals its send's", i + 1);
      recvs++;
    } else if (strcmp (kind, "drop") == 0) {
      drops++;
    }
  }
  cr_expect_gt (recvs, 100);
  cr_expect_gt (drops, 0, "the run loses messages");
  cr_expect_gt (dups, 0, "the run duplicates messages");

  /* and the trace reads, draws and exports */
  g_autoptr (GError) error = NULL;
  g_autoptr (VizModel) m = sim_trace_viz_load_data ("engine", trace, strlen (trace), &error);
  cr_assert_not_null (m, "%s", error ? error->message : "");
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  g_autofree char *dot = spacetime (m, &opt);
  cr_expect (strstr (dot, "partition n1 n2 | n3 n4") != NULL);
  cr_expect (strstr (dot, "label=\"crashed\"") != NULL);
  g_autofree char *log = viz_shiviz_log (m, &opt, &error);
  cr_expect_gt (check_shiviz (log), 200);
}

/* ---- bad traces ----------------------------------------------------------*/

typedef struct {
  const char *text;
  const char *message;
} BadTrace;

#define META "{\"kind\":\"meta\",\"protocol\":\"raft\",\"seed\":1,\"nodes\":[\"n1\",\"n2\"],\"clients\":[]}\n"

Test (trace_load, bad_input_names_line)
{
  static const BadTrace cases[] = {
    { "", "t:1: empty trace" },
    { "{\"time\":0,\"node\":\"n1\",\"kind\":\"start\"}\n", "t:1: expected the meta line first" },
    { META "{\"time\":0,\"node\":\"n1\",\"kind\":\"start\"\n", "t:2: column" },
    { META "[1,2]\n", "t:2: expected a JSON object" },
    { META "{\"time\":0,\"node\":\"n7\",\"kind\":\"start\"}\n", "t:2: field \"node\": 'n7' is not" },
    { META "{\"time\":0,\"node\":\"n1\",\"kind\":\"jump\"}\n", "t:2: unknown kind 'jump'" },
    { META "{\"time\":\"soon\",\"node\":\"n1\",\"kind\":\"start\"}\n",
      "t:2: field \"time\": expected a non-negative integer" },
    { META "{\"node\":\"n1\",\"kind\":\"start\"}\n", "t:2: missing field \"time\"" },
    { META "\n{\"time\":5,\"node\":\"n1\",\"kind\":\"start\"}\n{\"time\":4,\"node\":\"n2\",\"kind\":\"start\"}\n",
      "t:4: time 4 is before the previous line's 5" },
    { META "{\"time\":5,\"node\":\"n1\",\"kind\":\"recv\",\"msg\":3,\"peer\":\"n2\"}\n",
      "t:2: recv of message 3, which was never sent" },
    { META "{\"time\":5,\"node\":\"n1\",\"kind\":\"send\",\"msg\":3}\n", "t:2: missing field \"peer\"" },
    { META "{\"time\":5,\"node\":\"n1\",\"kind\":\"send\",\"msg\":3,\"peer\":\"n2\"}\n"
           "{\"time\":6,\"node\":\"n1\",\"kind\":\"recv\",\"msg\":3,\"peer\":\"n2\"}\n",
      "t:3: message 3 was sent to n2, not to n1" },
    { META "{\"time\":5,\"node\":\"n1\",\"kind\":\"send\",\"msg\":3,\"peer\":\"n2\"}\n"
           "{\"time\":6,\"node\":\"n2\",\"kind\":\"recv\",\"msg\":3,\"peer\":\"n1\"}\n"
           "{\"time\":7,\"node\":\"n2\",\"kind\":\"recv\",\"msg\":3,\"peer\":\"n1\"}\n",
      "t:4: message 3 already arrived or was lost (line 3)" },
    { META "{\"time\":5,\"node\":\"n1\",\"kind\":\"dup\",\"msg\":4,\"dup_of\":3,\"peer\":\"n2\"}\n",
      "t:2: dup of message 3, which was never sent" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (VizModel) m = sim_trace_viz_load_data ("t", cases[i].text, strlen (cases[i].text),
                                                      &error);
    cr_expect_null (m, "case %u loads", i);
    if (error == NULL) {
      cr_expect_fail ("case %u: no error", i);
      continue;
    }
    cr_expect (g_str_has_prefix (error->message, cases[i].message)
               || strstr (error->message, cases[i].message) != NULL,
               "case %u: '%s' lacks '%s'", i, error->message, cases[i].message);
  }
}

/* ---- the command ---------------------------------------------------------*/

Test (cmd_trace, bad_file_exits_2_with_file_and_line)
{
  g_autofree char *bad = test_source_path ("tests/data/traces/bad-recv.jsonl");
  char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *const[]) { "trace", bad, "-o", "/dev/null", NULL }, &out, &err);
  cr_expect_eq (rc, 2);
  cr_expect (strstr (err, "bad-recv.jsonl:4: recv of message 9, which was never sent") != NULL,
             "%s", err);
  g_free (out);
  g_free (err);
  rc = test_run_dsim ((const char *const[]) { "trace", "/nonexistent/t.jsonl", "-o", "x.svg",
                                              NULL }, &out, &err);
  cr_expect_eq (rc, 2);
  cr_expect (strstr (err, "cannot read /nonexistent/t.jsonl") != NULL, "%s", err);
  g_free (out);
  g_free (err);
}

Test (cmd_trace, options)
{
  g_autofree char *trace = test_source_path ("tests/data/traces/raft-small.jsonl");
  char *out = NULL, *err = NULL;
  cr_expect_eq (test_run_dsim ((const char *const[]) { "trace", "--help", NULL }, &out, &err), 0);
  for (const char *const *o = (const char *const[]) { "--format", "--time", "--from", "--to",
         "--nodes", "--max-events", "shiviz", NULL }; *o; o++)
    cr_expect (strstr (out, *o) != NULL, "--help lacks %s", *o);
  g_free (out);
  g_free (err);
  struct {
    const char *const args[10];
    int rc;
    const char *text; /* in stdout for rc 0, stderr otherwise */
  } cases[] = {
    { { "trace", trace, NULL }, 2, "missing -o FILE" },
    { { "trace", "-o", "x.svg", NULL }, 2, "missing TRACE" },
    { { "trace", trace, "-o", "-", "--format", "gif", NULL }, 2, "expected svg, png, pdf, dot or shiviz" },
    { { "trace", trace, "-o", "-", "--time", "wall", NULL }, 2, "expected virtual or logical" },
    { { "trace", trace, "-o", "-", "--from", "5", NULL }, 2, "expected a time with a unit" },
    { { "trace", trace, "-o", "-", "--max-events", "0", NULL }, 2, "expected a positive number" },
    { { "trace", trace, "-o", "-", "--nodes", "n1,n9", NULL }, 2, "no process called 'n9'" },
    { { "trace", trace, "-o", "-", "--wat", NULL }, 2, "unknown option '--wat'" },
    { { "trace", trace, "-o", "-", "--format", "dot", "--to", "160ms", NULL }, 0,
      "window: from the start to 160 ms" },
    { { "trace", trace, "-o", "-", "--format=shiviz", "--nodes=n2", NULL }, 0,
      "\nn2 {\"n2\":1} 0 note start\n" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    int rc = test_run_dsim (cases[i].args, &out, &err);
    cr_expect_eq (rc, cases[i].rc, "case %u: exit %d: %s", i, rc, err);
    cr_expect (strstr (rc == 0 ? out : err, cases[i].text) != NULL, "case %u: %s%s", i, out, err);
    g_free (out);
    g_free (err);
  }
}

Test (cmd_run, diagram_next_to_the_history)
{
  g_autofree char *scn = test_source_path ("scenarios/pb/healthy.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-viz-XXXXXX", NULL);
  cr_assert_not_null (dir);
  char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *const[]) { "run", scn, "--out", dir, "--diagram", "dot",
                                                  "--quiet", NULL }, &out, &err);
  cr_expect (rc != 2, "exit %d: %s", rc, err);
  g_autofree char *path = g_build_filename (dir, "diagram.dot", NULL);
  g_autofree char *dot = NULL;
  cr_assert (g_file_get_contents (path, &dot, NULL, NULL), "no %s", path);
  cr_expect (g_str_has_prefix (dot, "/* dsim space-time diagram"));
  cr_expect (strstr (dot, "pb, seed ") != NULL);
  g_free (out);
  g_free (err);
  rc = test_run_dsim ((const char *const[]) { "run", scn, "--diagram", "svg", NULL }, &out, &err);
  cr_expect_eq (rc, 2);
  cr_expect (strstr (err, "--diagram needs --out DIR") != NULL, "%s", err);
  g_free (out);
  g_free (err);
  rc = test_run_dsim ((const char *const[]) { "run", scn, "--out", dir, "--diagram", "jpg", NULL },
                      &out, &err);
  cr_expect_eq (rc, 2);
  cr_expect (strstr (err, "expected svg, png, pdf or dot") != NULL, "%s", err);
  g_free (out);
  g_free (err);
  const char *const files[] = { "diagram.dot", "history.jsonl", "trace.jsonl", "summary.txt" };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *f = g_build_filename (dir, files[i], NULL);
    g_unlink (f);
  }
  g_rmdir (dir);
}

Test (cmd_run, violation_with_out_draws_a_diagram, .timeout = 120)
{
  g_autofree char *scn = test_source_path ("scenarios/pb/failover-loses-acked-writes.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-viz-XXXXXX", NULL);
  char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *const[]) { "run", scn, "--out", dir, NULL }, &out, &err);
  cr_expect_eq (rc, 1, "this scenario loses acknowledged writes: %s%s", out, err);
  g_autofree char *svg = g_build_filename (dir, "diagram.svg", NULL);
  cr_expect (strstr (out, "diagram      ") != NULL && strstr (out, "diagram.svg") != NULL, "%s", out);
  g_autofree char *text = NULL;
  gsize len = 0;
  cr_assert (g_file_get_contents (svg, &text, &len, NULL), "no diagram.svg on a violation");
  cr_expect (strstr (text, "<svg") != NULL);
  g_free (out);
  g_free (err);
  const char *const files[] = { "diagram.svg", "history.jsonl", "trace.jsonl", "summary.txt" };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *f = g_build_filename (dir, files[i], NULL);
    g_unlink (f);
  }
  g_rmdir (dir);
}
