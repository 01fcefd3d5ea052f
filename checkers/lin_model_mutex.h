/* lin_model_mutex.h: Knossos's mutex model for the linearizability search. */
#pragma once

#include "checkers/lin_model.h"
#include "checkers/ops.h"

/* TRUE if `name` is an operation of the mutex model ("acquire" or
 * "release"). */
gboolean lin_mutex_is_op (const char *name);
/* Compiles a mutex operation (lin_mutex_is_op) into lo->kind, lo->a and
 * lo->b, over register states of model m. */
void lin_mutex_compile (LinModel *m, const char *name, LinOp *lo);
