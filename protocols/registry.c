/* registry.c: the list of protocols dsim knows, in `dsim list` order.
 * A new protocol adds its vtable here. */
#include "protocols/protocol.h"

#include <string.h>

extern const ProtoVTable proto_null;
extern const ProtoVTable proto_pb;
extern const ProtoVTable proto_raft;
extern const ProtoVTable proto_quorum;
extern const ProtoVTable proto_pbft;

static const ProtoVTable *const registry[] = {
  &proto_null,
  &proto_pb,
  &proto_raft,
  &proto_quorum,
  &proto_pbft,
  NULL,
};

const ProtoVTable *const *
proto_registry (void)
{
  return registry;
}

const ProtoVTable *
proto_find (const char *name)
{
  for (int i = 0; registry[i] != NULL; i++)
    if (strcmp (registry[i]->name, name) == 0)
      return registry[i];
  return NULL;
}
