/* lin_model_mutex.c: Knossos's mutex (knossos.model/mutex).
 *
 * Knossos:
 *   (defrecord Mutex [locked?]
 *     (step [r op]
 *       (condp = (:f op)
 *         :acquire (if locked? (inconsistent "already held") (Mutex. true))
 *         :release (if locked? (Mutex. false) (inconsistent "not held")))))
 *   (defn mutex [] (Mutex. false))
 *
 * Jepsen encodes the operations as {:f :acquire} and {:f :release}, with no
 * value.  That is a register whose state is nil when the mutex is free and
 * 1 when it is held: acquire is a cas nil -> 1 and release a cas 1 -> nil,
 * so the search, its memo and its explanations need nothing new.  An
 * acquire or release that timed out (info) may or may not have happened,
 * like any other operation; one that failed did not happen. */
#include "checkers/lin_model_mutex.h"

#include <string.h>

gboolean
lin_mutex_is_op (const char *name)
{
  return strcmp (name, "acquire") == 0 || strcmp (name, "release") == 0;
}

void
lin_mutex_compile (LinModel *m, const char *name, LinOp *lo)
{
  uint32_t free_id = lin_model_value_id (m, CHK_LIN_VALUE_NIL, 0, 0);
  uint32_t held_id = lin_model_value_id (m, CHK_LIN_VALUE_INT, 1, 0);
  gboolean acquire = strcmp (name, "acquire") == 0;
  g_assert (acquire || strcmp (name, "release") == 0);
  lo->kind = LIN_CAS;
  lo->a = acquire ? free_id : held_id;
  lo->b = acquire ? held_id : free_id;
}
