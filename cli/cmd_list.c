/* cmd_list.c: `dsim list [PROTOCOL]`: the protocols, their knobs and
 * seeded bugs, written the way a scenario file sets them. */
#include "cli/cli.h"
#include "protocols/protocol.h"

#include <stdio.h>
#include <string.h>

static const char list_help[] =
  "usage: dsim list [PROTOCOL]\n"
  "\n"
  "Lists every protocol dsim simulates (or only PROTOCOL): what it is, how many\n"
  "nodes it runs on, the client operations its workload may mix, and the knobs\n"
  "its scenario section accepts, each written as `key = default` (ready to copy\n"
  "into the [PROTOCOL] section of a scenario file) with its type, range and\n"
  "meaning.  Seeded bugs are switched on with `bug = NAME`.\n"
  "\n"
  "exit codes: 0 listed, 2 unknown protocol or bad arguments\n";

static void
append_range (GString *out, const ProtoKnob *k)
{
  switch (k->type) {
  case PROTO_KNOB_INT:
    g_string_append_printf (out, "integer, %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, k->min,
                            k->max);
    break;
  case PROTO_KNOB_DURATION:
    g_string_append (out, "duration, ");
    proto_format_duration (k->min, out);
    g_string_append (out, " to ");
    proto_format_duration (k->max, out);
    break;
  case PROTO_KNOB_BOOL:
    g_string_append (out, "true or false");
    break;
  case PROTO_KNOB_CHOICE: {
    g_auto (GStrv) choices = g_strsplit (k->choices, "|", -1);
    g_autofree char *list = g_strjoinv (", ", choices);
    g_string_append_printf (out, "one of: %s", list);
    break;
  }
  }
}

static void
append_protocol (GString *out, const ProtoVTable *vt)
{
  static const char *op_names[] = { "read", "write", "cas", "append" };
  g_string_append_printf (out, "%s: ", vt->name);
  cli_append_wrapped (out, vt->summary, (int) strlen (vt->name) + 2);
  g_string_append_c (out, '\n');
  g_string_append_printf (out, "  nodes: %d to %d; client operations:", vt->min_nodes,
                          vt->max_nodes);
  int n_ops = 0;
  for (int op = 0; op < PROTO_OP__COUNT; op++)
    if (vt->ops_supported & (1u << op))
      g_string_append_printf (out, "%s %s", n_ops++ > 0 ? "," : "", op_names[op]);
  g_string_append_printf (out, "%s\n", n_ops > 0 ? "" : " none (clients = 0)");
  g_string_append_printf (out, "  [%s]\n", vt->name);
  const ProtoKnob *bug = NULL;
  for (const ProtoKnob *k = vt->knobs; k != NULL && k->name != NULL; k++) {
    g_autofree char *assign = g_strdup_printf ("%s = %s", k->name, k->fallback);
    g_string_append_printf (out, "    %-30s ", assign);
    g_autoptr (GString) range = g_string_new (NULL);
    append_range (range, k);
    cli_append_wrapped (out, range->str, 35);
    g_string_append_c (out, '\n');
    g_string_append (out, "        ");
    cli_append_wrapped (out, k->help, 8);
    g_string_append_c (out, '\n');
    if (strcmp (k->name, "bug") == 0 && k->type == PROTO_KNOB_CHOICE)
      bug = k;
  }
  if (vt->knobs == NULL || vt->knobs[0].name == NULL)
    g_string_append (out, "    (no knobs)\n");
  g_string_append (out, "  seeded bugs: ");
  if (bug == NULL) {
    g_string_append (out, "none\n");
  } else {
    g_auto (GStrv) choices = g_strsplit (bug->choices, "|", -1);
    g_autoptr (GString) list = g_string_new (NULL);
    for (int i = 0; choices[i] != NULL; i++)
      if (strcmp (choices[i], "none") != 0)
        g_string_append_printf (list, "%s%s", list->len > 0 ? ", " : "", choices[i]);
    g_string_append (list, " (set bug = NAME)");
    cli_append_wrapped (out, list->str, 15);
    g_string_append_c (out, '\n');
  }
}

int
cmd_list_main (int argc, char **argv)
{
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      fputs (list_help, stdout);
      return DSIM_EXIT_OK;
    }
    if (argv[i][0] == '-')
      return cli_usage_error ("list: unknown option '%s' (see dsim list --help)", argv[i]);
    if (only != NULL)
      return cli_usage_error ("list: one protocol at a time; got '%s' and '%s'", only, argv[i]);
    only = argv[i];
  }
  const ProtoVTable *const *reg = proto_registry ();
  if (only != NULL && proto_find (only) == NULL) {
    g_autoptr (GString) names = g_string_new (NULL);
    for (int i = 0; reg[i] != NULL; i++)
      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", reg[i]->name);
    return cli_usage_error ("list: unknown protocol '%s'; expected one of: %s", only,
                            names->str);
  }
  g_autoptr (GString) out = g_string_new (NULL);
  for (int i = 0; reg[i] != NULL; i++) {
    if (only != NULL && strcmp (reg[i]->name, only) != 0)
      continue;
    if (out->len > 0)
      g_string_append_c (out, '\n');
    append_protocol (out, reg[i]);
  }
  fputs (out->str, stdout);
  return DSIM_EXIT_OK;
}
