/* ops.h: a history as operations: each invocation paired with its
 * completion.
 *
 * Real time is the position in the history: operation a precedes b when a's
 * completion comes before b's invocation.  An operation whose completion is
 * info, or which never completed, has return = G_MAXINT64 (it may take
 * effect at any point after its invocation, or never).  A fail operation
 * did not happen; models drop it (it is kept so explanations can show it). */
#pragma once

#include "checkers/history.h"

/* ChkOp and ChkOpStatus are in history.h: the history keeps its
 * operations in that form. */

/* Pairs invocations with completions by process.  A completion with no open
 * invocation of its process, a completion of another function, or a second
 * invocation while one is open, is a CHK_ERROR_INPUT naming the file, line
 * and column; so is a time before the time of an earlier event.  An op keeps
 * the key of its invocation (or of its completion if the invocation had
 * none).  Returns the history's GArray of ChkOp in invocation order (a new
 * reference: unref it, never change it).  The pairing is done while the
 * events are appended, so this costs nothing. */
GArray *chk_history_ops (const ChkHistory *h, GError **error);

/* One operation in words, for reports and diagrams:
 *   "process 3 read x -> 4 (lines 40-45)"
 *   "process 2 cas [3 0] (failed, lines 12-13)"
 *   "process 1 write 5 (line 30, outcome unknown)"
 * (transfer full) */
char *chk_op_describe (const ChkHistory *h, const ChkOp *op);
/* A value in words: 5, nil, "abc", [3 0] (transfer full). */
char *chk_value_describe (const ChkHistory *h, const ChkValue *v);
