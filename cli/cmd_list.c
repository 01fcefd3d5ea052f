/* cmd_list.c: `dsim list`: the protocols, their knobs and seeded bugs. */
#include "cli/cli.h"
#include "protocols/protocol.h"

#include <stdio.h>
#include <string.h>

static const char *
knob_type_name (ProtoKnobType t)
{
  switch (t) {
  case PROTO_KNOB_INT: return "integer";
  case PROTO_KNOB_DURATION: return "duration";
  case PROTO_KNOB_BOOL: return "bool";
  case PROTO_KNOB_CHOICE: return "choice";
  }
  return "?";
}

int
cmd_list_main (int argc, char **argv)
{
  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
    printf ("usage: dsim list\n\n"
            "Lists every protocol dsim simulates, with the knobs its scenario\n"
            "section accepts (name, type, default) and the seeded bugs it can\n"
            "switch on with `bug = NAME`.\n");
    return DSIM_EXIT_OK;
  }
  if (argc > 1)
    return cli_usage_error ("list: unexpected argument '%s' (dsim list takes none)", argv[1]);
  static const char *op_names[] = { "read", "write", "cas", "append" };
  const ProtoVTable *const *reg = proto_registry ();
  for (int i = 0; reg[i] != NULL; i++) {
    const ProtoVTable *vt = reg[i];
    printf ("%s: %s\n", vt->name, vt->summary);
    printf ("  nodes: %d to %d; client operations:", vt->min_nodes, vt->max_nodes);
    gboolean any = FALSE;
    for (int op = 0; op < PROTO_OP__COUNT; op++)
      if (vt->ops_supported & (1u << op)) {
        printf (" %s", op_names[op]);
        any = TRUE;
      }
    printf ("%s\n", any ? "" : " none");
    printf ("  [%s] knobs:\n", vt->name);
    for (const ProtoKnob *k = vt->knobs; k != NULL && k->name != NULL; k++) {
      printf ("    %-22s %-8s default %-10s %s\n", k->name, knob_type_name (k->type),
              k->fallback, k->help);
      if (k->type == PROTO_KNOB_CHOICE)
        printf ("    %-22s          one of: %s\n", "", k->choices);
    }
    printf ("\n");
  }
  return DSIM_EXIT_OK;
}
