/* byzantine.h: Byzantine behaviours, as outbox rewriters around a correct
 * node (design: faults are wrappers around seams, never `if (faulty)` in
 * protocol code).  `byzantine nX BEHAVIOUR` in a scenario's [faults] turns
 * node X into one of:
 *
 *   silent              sends nothing (a crash that keeps listening)
 *   equivocate          tells two camps of peers two stories: proposals,
 *                       votes and replies to every third receiver (n3, n6,
 *                       ..., and clients likewise) carry another value
 *                       (vt->tamper PROTO_TAMPER_VALUE)
 *   corrupt-digest      proposals and votes to every third receiver carry a
 *                       digest that does not match (PROTO_TAMPER_DIGEST)
 *   lie-in-view-change  view-change messages claim no prepared or
 *                       pre-prepared requests (PROTO_TAMPER_FORGET)
 *   replay              also resends, now and then, a message it sent earlier
 *   slow-primary        holds its proposals just under the view-change (or
 *                       election, or failover) timeout before they leave
 *   random              changes a random field of half its messages
 *                       (PROTO_TAMPER_RANDOM)
 *
 * They work for every protocol; a protocol that provides msg_class and
 * tamper (protocols/protocol.h) gets lies in its own terms, others get
 * bytes flipped past the message type. */
#pragma once

#include "sim/world.h"

/* The names above, NULL-terminated. */
const char *const *sim_byzantine_behaviours (void);
gboolean sim_byzantine_is_known (const char *behaviour);

/* The SimByzantineFn every world starts with; user_data is the world's
 * protocol vtable (const ProtoVTable *). */
void sim_byzantine_rewrite (const char *behaviour, const ProtoCtx *ctx, const void *state,
                            ProtoOutbox *out, Pcg32 *rng, GByteArray *memory, void *user_data);
