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

/* One per operation, so packed: 104 bytes. */
typedef struct {
  int64_t process;
  uint8_t f;          /* ChkFn */
  uint8_t status;     /* ChkOpStatus */
  uint8_t is_final;
  /* status FAIL, but the cas did execute: it compared the register with
   * input.i and found another value (Porcupine's etcd `:fail :cas`).  A
   * checker may treat it as not having happened (weaker, never wrong) or as
   * a read that returned anything but input.i (what Porcupine does). */
  uint8_t is_cas_mismatch;
  int32_t key;        /* as in ChkEvent; -1 for a single register */
  ChkValue input;     /* value of the invocation */
  ChkValue output;    /* value of an ok completion (a read's result) */
  int64_t call;       /* position of the invocation in h->events */
  int64_t ret;        /* position of the completion in h->events; G_MAXINT64 if info/open */
  int64_t call_time_us, ret_time_us; /* from the events; -1 if unknown */
  int64_t info_event; /* position of an info completion in h->events; -1 if none */
} ChkOp;

/* Pairs invocations with completions by process.  A completion with no open
 * invocation of its process, a completion of another function, or a second
 * invocation while one is open, is a CHK_ERROR_INPUT naming the file, line
 * and column.  An op keeps the key of its invocation (or of its completion
 * if the invocation had none).  Returns a GArray of ChkOp in invocation
 * order (transfer full). */
GArray *chk_history_ops (const ChkHistory *h, GError **error);

/* One operation in words, for reports and diagrams:
 *   "process 3 read x -> 4 (lines 40-45)"
 *   "process 2 cas [3 0] (failed, lines 12-13)"
 *   "process 1 write 5 (line 30, outcome unknown)"
 * (transfer full) */
char *chk_op_describe (const ChkHistory *h, const ChkOp *op);
/* A value in words: 5, nil, "abc", [3 0] (transfer full). */
char *chk_value_describe (const ChkHistory *h, const ChkValue *v);
