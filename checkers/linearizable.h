/* linearizable.h: linearizability of register, cas-register and key-value
 * histories (Herlihy & Wing).
 *
 * The search is Wing & Gong's, with Lowe's memoisation (a configuration is
 * the set of operations linearized so far plus the model state; each is
 * explored once), as in Porcupine.  Linearizability is local, so a keyed
 * history is split per key and the parts are checked independently (on
 * several threads with opt->jobs > 1; the report does not depend on it).
 *
 * Semantics of the operations (see ops.h):
 *   ok    took effect once between invocation and completion;
 *   fail  never took effect (dropped), except a Porcupine etcd cas with
 *         is_cas_mismatch: it took effect as a comparison that found a
 *         value other than the expected one;
 *   info / no completion: may take effect at any point after the
 *         invocation, or never; a read with an unknown result constrains
 *         nothing and is dropped.
 * Initial value: nil for registers, "" for kv keys (a kv get returning nil
 * reads ""). */
#pragma once

#include "checkers/check.h"

/* The "linearizable" model of check.h.  On a violation the report names the
 * operation that cannot be linearized (culprit), the longest linearizable
 * prefix found for its part (order, with the value after it in
 * state_before), the operations concurrent with the culprit, and one plain
 * sentence that says why. */
ChkReport *chk_linearizable_check (const ChkHistory *h, const GArray *ops,
                                   const ChkCheckOptions *opt, GError **error);
