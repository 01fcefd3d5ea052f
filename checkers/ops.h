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

typedef enum {
  CHK_OP_OK,
  CHK_OP_FAIL,
  CHK_OP_INFO, /* info completion, or none */
} ChkOpStatus;

typedef struct {
  int64_t process;
  ChkFn f;
  int32_t key;        /* as in ChkEvent; -1 for a single register */
  ChkValue input;     /* value of the invocation */
  ChkValue output;    /* value of an ok completion (a read's result) */
  ChkOpStatus status;
  int64_t call;       /* index of the invocation event */
  int64_t ret;        /* index of the completion event; G_MAXINT64 if info/open */
  int64_t call_time_us, ret_time_us; /* from the events; -1 if unknown */
  gboolean is_final;
} ChkOp;

/* Pairs invocations with completions.  A completion with no open invocation
 * of its process, or a second invocation while one is open, is an error
 * naming the line. Returns a GArray of ChkOp in invocation order. */
GArray *chk_history_ops (const ChkHistory *h, GError **error);
