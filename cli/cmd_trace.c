/* cmd_trace.c: `dsim trace`: draws a saved trace as a space-time diagram
 * (SVG, PNG, PDF or DOT) or writes it as a ShiViz log. */
#include "cli/cli.h"
#include "protocols/protocol.h"
#include "sim/trace_viz.h"
#include "viz/render.h"
#include "viz/shiviz.h"

#include <stdio.h>
#include <string.h>

static void
print_help (FILE *out)
{
  fprintf (out,
"usage: dsim trace TRACE -o FILE [--format svg|png|pdf|dot|shiviz]\n"
"                  [--time virtual|logical] [--from TIME] [--to TIME]\n"
"                  [--nodes n1,n2,...] [--max-events N]\n"
"\n"
"Draws the trace of a run (the JSON Lines file `dsim run --out DIR` writes\n"
"as DIR/trace.jsonl) as a space-time diagram: one horizontal line per node\n"
"and client, time running left to right, an arrow per message from send to\n"
"receive, labelled with the message.  Lost messages end in a red cross,\n"
"duplicated deliveries are dashed and marked \"dup\", timeouts are orange\n"
"diamonds, crashes and pauses shade the node's line until it restarts or\n"
"resumes, partitions shade every line from the partition to the heal, role\n"
"changes are written in bold blue.  A legend lists the marks used.\n"
"\n"
"Options:\n"
"  -o, --output FILE    where to write (required); '-' writes to stdout\n"
"  --format F           svg, png, pdf, dot or shiviz (default: from FILE's\n"
"                       extension: .svg .png .pdf .dot .shiviz; otherwise svg)\n"
"                       dot: the Graphviz text with every position pinned;\n"
"                         draw it with `neato -n2 -Tsvg FILE.dot`\n"
"                       shiviz: a log for the ShiViz viewer: a regex line, a\n"
"                         delimiter line, then one line per event with its\n"
"                         host and vector clock\n"
"  --time virtual|logical\n"
"                       place events by virtual time (default; long idle\n"
"                       stretches are cut short and marked on the axis) or by\n"
"                       Lamport time (denser, easier to read for busy runs)\n"
"  --from TIME          draw only events at or after TIME (virtual time, with a\n"
"                       unit: 150ms, 2s, 500us)\n"
"  --to TIME            draw only events at or before TIME\n"
"  --nodes LIST         draw only these nodes and clients (comma-separated\n"
"                       names, e.g. n1,n2,c1); messages to the others are left\n"
"                       out and counted in a note\n"
"  --max-events N       draw at most N events (the first ones; default 100000,\n"
"                       or what fits under a ulimit -v); a note on the diagram\n"
"                       says how many were cut and from when\n"
"  -h, --help           this text\n"
"\n"
"Large runs: a PNG wider or taller than 16000 pixels is scaled down to fit;\n"
"use a window (--from/--to), --nodes, --time logical or SVG to keep labels\n"
"readable.  The same trace and options give the same bytes.\n"
"\n"
"Exit codes: 0 written, 2 bad arguments or bad trace file (the message names\n"
"the file and line) or a diagram that could not be rendered.\n");
}

typedef struct {
  const char *trace;
  const char *output;
  const char *format;
  VizSpacetimeOptions opt;
  char **nodes;
  gboolean is_max_events_given;
} TraceArgs;

/* Value of an option given as "--name VALUE" or "--name=VALUE". */
static gboolean
option_value (int argc, char **argv, int *i, const char *name, const char **value)
{
  size_t n = strlen (name);
  if (strncmp (argv[*i], name, n) != 0)
    return FALSE;
  if (argv[*i][n] == '=') {
    *value = argv[*i] + n + 1;
    return TRUE;
  }
  if (argv[*i][n] != '\0')
    return FALSE;
  *value = *i + 1 < argc ? argv[++*i] : NULL;
  return TRUE;
}

static const char *
format_from_name (const char *path)
{
  static const char *const exts[] = { "svg", "png", "pdf", "dot", "shiviz" };
  const char *dot = strrchr (path, '.');
  if (dot != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (exts); i++)
      if (g_ascii_strcasecmp (dot + 1, exts[i]) == 0)
        return exts[i];
  return "svg";
}

static gboolean
parse_time (const char *option, const char *value, int64_t *out_us)
{
  if (value != NULL && proto_parse_duration_us (value, out_us))
    return TRUE;
  cli_usage_error ("trace: %s: expected a time with a unit (150ms, 2s, 500us), got '%s'",
                   option, value ? value : "nothing");
  return FALSE;
}

static int
parse_args (int argc, char **argv, TraceArgs *a)
{
  viz_spacetime_options_init (&a->opt);
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0) {
      print_help (stdout);
      return -1;
    } else if (strcmp (argv[i], "-o") == 0 || option_value (argc, argv, &i, "--output", &v)) {
      if (v == NULL && strcmp (argv[i], "-o") == 0)
        v = i + 1 < argc ? argv[++i] : NULL;
      if (v == NULL)
        return cli_usage_error ("trace: -o needs a file name");
      a->output = v;
    } else if (option_value (argc, argv, &i, "--format", &v)) {
      if (v == NULL || !(viz_format_is_known (v) || strcmp (v, "shiviz") == 0))
        return cli_usage_error ("trace: --format: expected svg, png, pdf, dot or shiviz, "
                                "got '%s'", v ? v : "nothing");
      a->format = v;
    } else if (option_value (argc, argv, &i, "--time", &v)) {
      if (g_strcmp0 (v, "virtual") == 0)
        a->opt.axis = VIZ_TIME_VIRTUAL;
      else if (g_strcmp0 (v, "logical") == 0)
        a->opt.axis = VIZ_TIME_LOGICAL;
      else
        return cli_usage_error ("trace: --time: expected virtual or logical, got '%s'",
                                v ? v : "nothing");
    } else if (option_value (argc, argv, &i, "--from", &v)) {
      if (!parse_time ("--from", v, &a->opt.from_us))
        return DSIM_EXIT_USAGE;
    } else if (option_value (argc, argv, &i, "--to", &v)) {
      if (!parse_time ("--to", v, &a->opt.to_us))
        return DSIM_EXIT_USAGE;
    } else if (option_value (argc, argv, &i, "--nodes", &v)) {
      if (v == NULL || *v == '\0')
        return cli_usage_error ("trace: --nodes: expected names such as n1,n2");
      g_strfreev (a->nodes);
      a->nodes = g_strsplit (v, ",", -1);
      for (char **n = a->nodes; *n; n++)
        if (**n == '\0')
          return cli_usage_error ("trace: --nodes: empty name in '%s'", v);
      a->opt.nodes = (const char *const *) a->nodes;
    } else if (option_value (argc, argv, &i, "--max-events", &v)) {
      guint64 n;
      if (v == NULL || !g_ascii_string_to_unsigned (v, 10, 1, G_MAXUINT, &n, NULL))
        return cli_usage_error ("trace: --max-events: expected a positive number, got '%s'",
                                v ? v : "nothing");
      a->opt.max_events = (guint) n;
      a->is_max_events_given = TRUE;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return cli_usage_error ("trace: unknown option '%s' (see dsim trace --help)", argv[i]);
    } else if (a->trace == NULL) {
      a->trace = argv[i];
    } else {
      return cli_usage_error ("trace: one TRACE file only (got '%s' and '%s')", a->trace,
                              argv[i]);
    }
  }
  if (a->trace == NULL)
    return cli_usage_error ("trace: missing TRACE (usage: dsim trace TRACE -o FILE; "
                            "see dsim trace --help)");
  if (a->output == NULL)
    return cli_usage_error ("trace: missing -o FILE (where to write the diagram)");
  if (a->opt.from_us != G_MININT64 && a->opt.to_us != G_MAXINT64
      && a->opt.from_us > a->opt.to_us)
    return cli_usage_error ("trace: --from is after --to");
  if (a->format == NULL)
    a->format = strcmp (a->output, "-") == 0 ? "svg" : format_from_name (a->output);
  return 0;
}

/* The memory a trace may take while it is read: no cap but the 1 GiB file
 * limit, unless a ulimit -v is set: then half of what it leaves free (the
 * count has the arrays' room to double in it; the other half is for the
 * drawing of at most --max-events events), so the reading stops with a
 * clear error instead of aborting on an allocation. */
static gsize
cli_trace_memory_cap (void)
{
  guint64 room = cli_address_space_free ();
  return room == G_MAXUINT64 ? 0 : (gsize) MAX (room / 2, (guint64) 1 << 20);
}

/* Under a ulimit -v, the default number of events drawn is what half of
 * the room the loaded trace left takes: the DOT text is about 1 KB an
 * event (held twice while it is written), and Graphviz takes about 16 KB
 * an event to lay it out.  The diagram says how many were cut. */
static void
fit_max_events (VizSpacetimeOptions *opt, const char *format)
{
  guint64 room = cli_address_space_free ();
  if (room == G_MAXUINT64)
    return;
  guint64 per_event = strcmp (format, "dot") == 0 ? (guint64) 4 << 10 : (guint64) 32 << 10;
  opt->max_events = (guint) MAX (MIN ((guint64) opt->max_events, room / 2 / per_event), 1);
}

int
cmd_trace_main (int argc, char **argv)
{
  TraceArgs a = { 0 };
  int rc = parse_args (argc, argv, &a);
  if (rc != 0) {
    g_strfreev (a.nodes);
    return rc < 0 ? DSIM_EXIT_OK : rc;
  }
  g_autoptr (GError) error = NULL;
  g_autoptr (VizModel) m = sim_trace_viz_load_limited (a.trace, cli_trace_memory_cap (), &error);
  if (m == NULL && g_error_matches (error, SIM_TRACE_ERROR, SIM_TRACE_ERROR_LIMIT)) {
    g_strfreev (a.nodes);
    return cli_usage_error ("%s (the memory limit under the ulimit -v: half of the address "
                            "space it leaves free)", error->message);
  }
  if (m != NULL && !a.is_max_events_given && strcmp (a.format, "shiviz") != 0)
    fit_max_events (&a.opt, a.format);
  g_autofree char *text = NULL;
  if (m != NULL)
    text = strcmp (a.format, "shiviz") == 0 ? viz_shiviz_log (m, &a.opt, &error)
                                            : viz_spacetime_dot (m, &a.opt, &error);
  g_autofree char *data = NULL;
  gsize len = 0;
  gboolean scaled = FALSE;
  if (text != NULL) {
    if (strcmp (a.format, "shiviz") == 0 || strcmp (a.format, "dot") == 0) {
      len = strlen (text);
      data = g_steal_pointer (&text);
    } else {
      viz_render_data (text, a.format, 0, &scaled, &data, &len, &error);
    }
  }
  g_strfreev (a.nodes);
  if (data == NULL)
    return cli_usage_error ("%s", error->message);
  if (strcmp (a.output, "-") == 0) {
    fwrite (data, 1, len, stdout);
    return DSIM_EXIT_OK;
  }
  if (!viz_write_file (a.output, data, len, &error))
    return cli_usage_error ("trace: %s", error->message);
  printf ("wrote %s (%s, %u events, %u messages in the trace)%s\n", a.output, a.format,
          viz_model_n_events (m), viz_model_n_messages (m),
          scaled ? "; the PNG was scaled down to fit, use SVG or a window to read labels"
                 : "");
  return DSIM_EXIT_OK;
}

gboolean
cli_trace_diagram_write (const char *trace, const char *format, const char *path,
                         GError **error)
{
  g_autoptr (VizModel) m = sim_trace_viz_load_limited (trace, cli_trace_memory_cap (), error);
  if (m == NULL)
    return FALSE;
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  fit_max_events (&opt, format);
  g_autofree char *dot = viz_spacetime_dot (m, &opt, error);
  return dot != NULL && viz_render_file (dot, format, path, 0, NULL, error);
}
