/* cmd_models.c: `dsim models`: every model dsim check decides, one line
 * each, with a definition and a history it forbids; with --map, how they
 * relate, where they are offered and what separates them; with --diagram,
 * the hierarchy drawn. */
#include "checkers/check.h"
#include "checkers/consistency.h"
#include "cli/cli.h"
#include "cli/models_map.h"
#include "viz/render.h"

#include <stdio.h>
#include <string.h>

static void
print_help (void)
{
  printf ("usage: dsim models [--format text|json] [--map] [--diagram FILE]\n"
          "\n"
          "Lists every model that `dsim check --model NAME` decides, and the measure\n"
          "staleness: one line each, with its name, short name, definition and a\n"
          "small history it forbids (process pN, x=nil is the initial value).  The\n"
          "catalog of such histories is in tests/data/consistency/, with the verdict\n"
          "of each under every model in EXPECTED.tsv.\n"
          "\n"
          "How they relate (each implication is tested on random histories):\n"
          "  linearizable => sequential => causal-memory => causal\n"
          "  sequential => causal-convergence => causal\n"
          "  causal-memory <=> session (all four session guarantees at once)\n"
          "  causal-memory => pram <=> read-your-writes + monotonic-reads +\n"
          "                           monotonic-writes (at once, in one view)\n"
          "  eventual is about final reads only and implies none of the others.\n"
          "\n"
          "options:\n"
          "  --format text|json  output format (default text)\n"
          "  --map               for each model: what it implies and is implied by,\n"
          "                      which systems offer it, and the catalog history or\n"
          "                      teaching scenario that separates it from its neighbours\n"
          "  --diagram FILE      draw the hierarchy into FILE (.svg .png .pdf .dot)\n");
}

typedef struct {
  const char *name, *short_name, *definition, *forbids;
  gboolean needs_differentiated, is_measure;
} ModelLine;

/* The line of checker c: the models of consistency.h describe themselves;
 * linearizable and the staleness measure are described here. */
static ModelLine
model_line (const char *name)
{
  ChkModel m;
  if (chk_model_from_name (name, &m))
    return (ModelLine) { chk_model_name (m), chk_model_short_name (m), chk_model_definition (m),
                         chk_model_example (m), chk_model_needs_differentiated (m), FALSE };
  if (strcmp (name, "linearizable") == 0)
    return (ModelLine) { name, "LIN",
                         "every operation takes effect at one instant between its invocation and "
                         "its completion, so the history is a legal sequential one that keeps real-time order",
                         "a stale read: p1 writes x=1 and completes; then p2 reads x=nil", FALSE, FALSE };
  g_assert (strcmp (name, "staleness") == 0);
  return (ModelLine) { name, name,
                       "a measure, not a verdict: the smallest Delta for which the history is "
                       "Delta-atomic, whether it is 2-atomic (every read returns one of the two latest "
                       "writes), and per read how many completed newer writes it missed and for how long",
                       "nothing; a stale read adds to the numbers", FALSE, TRUE };
}

/* Every name dsim check accepts, in its order, then the measures. */
static GPtrArray *
model_names (void)
{
  GPtrArray *names = g_ptr_array_new ();
  for (const ChkChecker *c = chk_checkers (); c->name != NULL; c++)
    g_ptr_array_add (names, (gpointer) c->name);
  g_ptr_array_add (names, (gpointer) "staleness");
  return names;
}

static void
append_line (GString *out, const ModelLine *l, gboolean json)
{
  if (json) {
    g_string_append (out, "{\"model\":");
    chk_json_string (out, l->name);
    g_string_append (out, ",\"short\":");
    chk_json_string (out, l->short_name);
    g_string_append (out, ",\"definition\":");
    chk_json_string (out, l->definition);
    g_string_append (out, ",\"forbids\":");
    chk_json_string (out, l->forbids);
    g_string_append_printf (out, ",\"needs_differentiated\":%s,\"measure\":%s",
                            l->needs_differentiated ? "true" : "false",
                            l->is_measure ? "true" : "false");
  } else {
    g_autofree char *name = strcmp (l->name, l->short_name) == 0
                              ? g_strdup (l->name)
                              : g_strdup_printf ("%s (%s)", l->name, l->short_name);
    g_string_append_printf (out, "%-28s %s. Forbids: %s.\n", name, l->definition, l->forbids);
  }
}

static void
append_map (GString *out, const ModelLine *l, const ModelsMapEntry *e, gboolean json)
{
  if (json) {
    g_string_append (out, ",\"implies\":");
    chk_json_string (out, e->implies);
    g_string_append (out, ",\"implied_by\":");
    chk_json_string (out, e->implied_by);
    g_string_append (out, ",\"systems\":");
    chk_json_string (out, e->systems);
    g_string_append (out, ",\"separates\":");
    chk_json_string (out, e->separates);
    return;
  }
  g_string_append_printf (out, "%s\n  definition  %s.\n", l->name, l->definition);
  if (e->implies[0] != '\0')
    g_string_append_printf (out, "  implies     %s\n", e->implies);
  if (e->implied_by[0] != '\0')
    g_string_append_printf (out, "  implied by  %s\n", e->implied_by);
  g_string_append_printf (out, "  offered by  %s\n", e->systems);
  g_string_append_printf (out, "  separated   %s\n\n", e->separates);
}

static const char *
diagram_format (const char *file)
{
  const char *dot = strrchr (file, '.');
  return dot != NULL && viz_format_is_known (dot + 1) ? dot + 1 : NULL;
}

int
cmd_models_main (int argc, char **argv)
{
  gboolean json = FALSE, map = FALSE;
  const char *diagram = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      print_help ();
      return DSIM_EXIT_OK;
    }
    if (strcmp (argv[i], "--format") == 0 && i + 1 < argc) {
      const char *f = argv[++i];
      if (strcmp (f, "json") == 0)
        json = TRUE;
      else if (strcmp (f, "text") != 0)
        return cli_usage_error ("models: --format takes text or json, not '%s'", f);
      continue;
    }
    if (strcmp (argv[i], "--map") == 0) {
      map = TRUE;
      continue;
    }
    if (strcmp (argv[i], "--diagram") == 0) {
      if (i + 1 >= argc)
        return cli_usage_error ("models: --diagram needs a file name (.svg .png .pdf .dot)");
      diagram = argv[++i];
      if (diagram_format (diagram) == NULL)
        return cli_usage_error ("models: --diagram %s: expected a name ending in .svg, .png, "
                                ".pdf or .dot", diagram);
      continue;
    }
    return cli_usage_error ("models: unexpected argument '%s' (see dsim models --help)", argv[i]);
  }
  if (diagram != NULL) {
    g_autofree char *dot = models_map_dot ();
    g_autoptr (GError) error = NULL;
    if (!viz_render_file (dot, diagram_format (diagram), diagram, 0, NULL, &error)) {
      fprintf (stderr, "dsim: models: %s\n", error->message);
      return DSIM_EXIT_USAGE;
    }
    printf ("wrote %s\n", diagram);
    return DSIM_EXIT_OK;
  }
  g_autoptr (GPtrArray) names = model_names ();
  g_autoptr (GString) out = g_string_new (NULL);
  for (guint i = 0; i < names->len; i++) {
    ModelLine l = model_line (names->pdata[i]);
    /* A checker added without its map entry still gets its line; the
     * models_map_and_diagram test asks for a block for every checker. */
    static const ModelsMapEntry unmapped = { NULL, "", "", "(not on the map yet)", "", 0, 0 };
    const ModelsMapEntry *e = models_map_find (l.name);
    if (e == NULL)
      e = &unmapped;
    if (map && !json) {
      append_map (out, &l, e, FALSE);
      continue;
    }
    append_line (out, &l, json);
    if (json) {
      if (map)
        append_map (out, &l, e, TRUE);
      g_string_append (out, "}\n");
    }
  }
  fputs (out->str, stdout);
  return DSIM_EXIT_OK;
}
