/* history.h: a history of client operations, as Jepsen records them.
 *
 * A history is a sequence of events in the order they happened: each
 * operation appears once as an invocation and (usually) once as a
 * completion by the same process.  Completion types follow Jepsen:
 *   ok    the operation happened and returned `value`;
 *   fail  the operation certainly did not happen;
 *   info  unknown: it may take effect at any time after its invocation, or
 *         never.  An invocation with no completion means the same.
 *
 * The checkers own this type.  The simulator appends to it while it runs;
 * loaders build it from dsim JSON Lines, Jepsen/Knossos EDN and Porcupine
 * logs.  Keys and string values are interned: ChkValue and ChkEvent hold
 * small integers, so events are flat and cheap to copy.
 *
 * Storage, for histories of millions of operations: events are paired into
 * operations as they are appended, and the history keeps one 72-byte ChkOp
 * per operation (its values coded in 8 bytes each, ChkValRef) and a 4-byte
 * reference per event; chk_history_event builds an event back from its
 * operation.  The rare event its operation cannot give back exactly is kept
 * whole.  About 80 bytes per operation in all. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
  CHK_INVOKE,
  CHK_OK,
  CHK_FAIL,
  CHK_INFO,
} ChkType;

typedef enum {
  CHK_F_READ,   /* read, get */
  CHK_F_WRITE,  /* write, put */
  CHK_F_CAS,    /* compare-and-set: value is a pair [expected new] */
  CHK_F_APPEND, /* append to the key's value */
  CHK_F_OTHER,  /* any other function: kept, but models may reject it */
} ChkFn;

typedef enum {
  CHK_VAL_NONE, /* no value given */
  CHK_VAL_NIL,  /* nil / null */
  CHK_VAL_INT,  /* i */
  CHK_VAL_STR,  /* interned string: s */
  CHK_VAL_PAIR, /* [i j], as a cas value [old new] */
  CHK_VAL_SIBLINGS, /* a read that returned several concurrent versions
                       (siblings) of a key: s is the set's id, see
                       chk_history_siblings.  JSON: {"siblings":[3,5]} */
  CHK_VAL_LIST,     /* a collection: a set read #{1 2}, a txn [[:read :x 1]],
                       a vector that is not a cas pair: s is its id, see
                       chk_history_list */
} ChkValueKind;

typedef struct {
  ChkValueKind kind;
  int32_t s;        /* CHK_VAL_STR: string id; CHK_VAL_SIBLINGS: set id;
                       CHK_VAL_PAIR: CHK_PAIR_NIL_* bits if > 0 */
  int64_t i, j;
} ChkValue;

/* A pair side may be nil: Knossos's cas [nil 3] creates a register that is
 * still nil.  The side's integer (i or j) is then 0 and the bit is set in
 * s; a pair with s <= 0 has two integers. */
enum { CHK_PAIR_NIL_FIRST = 1, CHK_PAIR_NIL_SECOND = 2 };
static inline gboolean
chk_pair_is_nil (const ChkValue *v, int side_bit)
{
  return v->kind == CHK_VAL_PAIR && v->s > 0 && (v->s & side_bit) != 0;
}
/* One side of a pair as a value of its own: CHK_VAL_NIL or CHK_VAL_INT. */
static inline ChkValue
chk_pair_side (const ChkValue *v, int side_bit)
{
  if (chk_pair_is_nil (v, side_bit))
    return (ChkValue) { .kind = CHK_VAL_NIL, .s = -1 };
  return (ChkValue) { .kind = CHK_VAL_INT, .s = -1,
                      .i = side_bit == CHK_PAIR_NIL_FIRST ? v->i : v->j };
}
/* "[a b]" with nil for a nil side, or with `sep` between and `nil` for
 * nil: chk_pair_text (v, "[", " ", "]", "nil"). */
char *chk_pair_text (const ChkValue *v, const char *open, const char *sep, const char *close,
                     const char *nil);

/* One event as the checkers see it: chk_history_event builds it from the
 * history's compact storage (one ChkOp per operation, 4 bytes per event). */
typedef struct {
  int64_t process;
  uint8_t type;      /* ChkType */
  uint8_t f;         /* ChkFn */
  uint8_t is_final;  /* a final read (eventual consistency) */
  /* A fail completion of a cas that did execute: it compared and found a
   * value other than the expected one (what `:fail :cas` means in
   * Porcupine's etcd logs).  Checkers that ignore this flag still treat the
   * operation as not having happened, which is weaker but never wrong. */
  uint8_t is_cas_mismatch;
  int32_t f_name;    /* interned original name ("read", "get"), -1: default */
  int32_t key;       /* interned key, or -1 for a single unnamed register */
  uint32_t line;     /* source line, for messages; 0 if none */
  ChkValue value;
  int64_t time_us;   /* -1 if the source has no time */
  int64_t index;     /* position in the history, from 0 */
  uint32_t column;   /* source column of the event, from 1; 0 if none */
} ChkEvent;

/* A value as an operation keeps it, in 8 bytes: nil, integers, strings
 * and pairs of small integers are coded in place; any other value is a
 * pointer to a copy the history owns.  chk_value_from_ref decodes it. */
typedef struct {
  uint64_t bits;
} ChkValRef;

/* The low two bits say how: all zero bits are the value none, like a
 * zeroed ChkValue. */
enum { CHK_REF_SMALL, CHK_REF_HEAP, CHK_REF_INT, CHK_REF_PAIR };

static inline int64_t
chk_ref_field (uint64_t bits, int shift, int width)
{
  return (int64_t) (bits << (64 - shift - width)) >> (64 - width);
}

static inline ChkValue
chk_value_from_ref (ChkValRef r)
{
  uint64_t b = r.bits;
  switch (b & 3) {
  case CHK_REF_HEAP: return *(const ChkValue *) (uintptr_t) (b & ~(uint64_t) 3);
  case CHK_REF_SMALL: /* kind in bits 2-7, s in bits 32-63 */
    return (ChkValue) { .kind = (ChkValueKind) ((b >> 2) & 63),
                        .s = (int32_t) chk_ref_field (b, 32, 32) };
  case CHK_REF_INT: /* s + 1 in bit 2, i in bits 3-63 */
    return (ChkValue) { .kind = CHK_VAL_INT, .s = (int32_t) ((b >> 2) & 1) - 1,
                        .i = chk_ref_field (b, 3, 61) };
  default: /* CHK_REF_PAIR: s + 1 in bits 2-4, i in 5-33, j in 34-63 */
    return (ChkValue) { .kind = CHK_VAL_PAIR, .s = (int32_t) ((b >> 2) & 7) - 1,
                        .i = chk_ref_field (b, 5, 29), .j = chk_ref_field (b, 34, 30) };
  }
}

typedef enum {
  CHK_OP_OK,
  CHK_OP_FAIL,
  CHK_OP_INFO, /* info completion, or none */
} ChkOpStatus;

/* One per operation: 72 bytes.  The history keeps its operations in this
 * form and its events as 4-byte references into them (see ops.h). */
typedef struct {
  int64_t process;
  int64_t call;       /* position of the invocation in the history */
  int64_t ret;        /* position of the completion; G_MAXINT64 if info/open */
  int64_t call_time_us, ret_time_us; /* from the events; -1 if unknown */
  ChkValRef input;    /* value of the invocation: chk_op_input */
  ChkValRef output;   /* value of an ok or fail completion: chk_op_output */
  int32_t key;        /* as in ChkEvent; -1 for a single register */
  int32_t f_name;     /* as in ChkEvent, of the invocation */
  int32_t info_event; /* position of an info completion; -1 if none */
  uint8_t f;          /* ChkFn */
  uint8_t status;     /* ChkOpStatus */
  uint8_t is_final;
  /* status FAIL, but the cas did execute: it compared the register with
   * input.i and found another value (Porcupine's etcd `:fail :cas`).  A
   * checker may treat it as not having happened (weaker, never wrong) or as
   * a read that returned anything but input.i (what Porcupine does). */
  uint8_t is_cas_mismatch;
} ChkOp;

static inline ChkValue chk_op_input (const ChkOp *op) { return chk_value_from_ref (op->input); }
static inline ChkValue chk_op_output (const ChkOp *op) { return chk_value_from_ref (op->output); }

typedef enum {
  CHK_FORMAT_AUTO,
  CHK_FORMAT_JSONL,     /* dsim JSON Lines */
  CHK_FORMAT_EDN,       /* Jepsen / Knossos EDN */
  CHK_FORMAT_PORCUPINE_ETCD,
  CHK_FORMAT_PORCUPINE_KV,
} ChkFormat;

typedef struct {
  uint32_t event;    /* first event of the run */
  uint32_t line;     /* its line */
  uint32_t step;     /* 1: the next events are on the next lines; 0: same */
} ChkLineRun;

typedef struct {
  /* Operations and events: see chk_history_append. */
  GArray *ops;           /* ChkOp, in invocation order */
  GArray *event_refs;    /* uint32 per event: op << 1 | is completion, or
                          * CHK_EVENT_FAT | index in fat_events */
  GArray *fat_events;    /* ChkEvent: the events an operation cannot give back */
  GArray *line_runs;     /* ChkLineRun: lines of the events */
  GArray *column_runs;   /* uint32 pairs (first event, column) */
  GPtrArray *value_blocks; /* ChkValue[CHK_VALUE_BLOCK]: values not coded in place */
  guint n_block_values;  /* used in the last block */
  /* Pairing while appending: process -> op + 1 of its open invocation. */
  guint *open_dense;     /* processes 0 .. n_open_dense - 1 */
  guint n_open_dense;
  GHashTable *open_sparse; /* other processes: int64 -> op + 1 */
  int64_t last_time_us;
  uint32_t last_time_line;
  char *pair_error;      /* the first event that pairs with nothing, in words */
  guint pair_error_event;
  /* Strings, interned: text stored once, an open-addressing table of ids. */
  GPtrArray *strings;    /* id -> char* (in string_chunk) */
  GStringChunk *string_chunk;
  uint32_t *string_slots; /* id + 1, 0: empty; lookups only, never iterated */
  guint n_string_slots;  /* a power of 2 */
  gsize string_bytes;    /* text stored */
  GByteArray *string_tags; /* id -> tag (0: a plain string) */
  char *source;          /* file name, or NULL */
  ChkFormat format;      /* the format it was read from; AUTO if built in memory */
  GArray *sibling_sets;  /* int64: each set is its count, then its values */
  GArray *lists;         /* ChkValue: each list is a header {CHK_VAL_LIST,
                          * i = count, j = 1 if written as a set}, then its
                          * items (which may be lists) */
} ChkHistory;

#define CHK_EVENT_FAT 0x80000000u
#define CHK_VALUE_BLOCK 1024

ChkHistory *chk_history_new (void);
void chk_history_free (ChkHistory *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChkHistory, chk_history_free)

/* Returns the id of s, adding it if new. */
int32_t chk_history_intern (ChkHistory *h, const char *s);
/* The same, for text that was written as something other than a plain
 * string: values compare exactly as written, so the keyword :foo, the
 * string ":foo", the boolean true and the string "true" get distinct ids
 * (tag 'k' keyword, 'b' boolean, 'i' integer key, 's' symbol; 0: plain
 * string).  chk_history_string gives the text back without the tag. */
int32_t chk_history_intern_tagged (ChkHistory *h, char tag, const char *s);
/* The tag a string was interned with (0: a plain string). */
char chk_history_string_tag (const ChkHistory *h, int32_t id);
const char *chk_history_string (const ChkHistory *h, int32_t id);

/* The name of EV's function as the history wrote it ("read", "enqueue"). */
const char *chk_event_fn_text (const ChkHistory *h, const ChkEvent *ev);

/* Stores a set of n >= 2 sibling values (sorted, distinct) and returns its
 * id for a CHK_VAL_SIBLINGS value. */
int32_t chk_history_add_siblings (ChkHistory *h, const int64_t *values, guint n);
/* The values of sibling set `id`; *n receives their number. */
const int64_t *chk_history_siblings (const ChkHistory *h, int32_t id, guint *n);
/* Stores a list of n items (copied; items may be CHK_VAL_LIST values of
 * this history) and returns its id for a CHK_VAL_LIST value.  is_set: it
 * was written as a set (EDN #{...}). */
int32_t chk_history_add_list (ChkHistory *h, const ChkValue *items, guint n, gboolean is_set);
/* The items of list `id`; *n receives their number, *is_set (may be NULL)
 * whether it was written as a set. */
const ChkValue *chk_history_list (const ChkHistory *h, int32_t id, guint *n, gboolean *is_set);
/* FALSE, and an error naming the first such read and `model`, if the history
 * has a read that returned siblings.  The checkers call it: their models are
 * defined for registers whose reads return one value, and a set of siblings
 * is not one (CHK_ERROR_INPUT: bad input for this model, never a guess). */
gboolean chk_history_refuse_siblings (const ChkHistory *h, const char *model, GError **error);

/* FALSE, and an error naming the first such event (file:line:column) and
 * `model`, if the history has a collection value (CHK_VAL_LIST): the
 * register models of consistency.h and staleness have none
 * (CHK_ERROR_INPUT). */
gboolean chk_history_refuse_lists (const ChkHistory *h, const char *model, GError **error);

/* Appends an event.  Events are paired into operations as they come: an
 * invocation opens an operation of its process, a completion closes it (see
 * chk_history_ops for the rules).  An event the operation gives back
 * exactly (chk_history_event) takes 4 bytes; any other, and every event
 * after one that pairs with nothing, is kept whole.  ev->index is ignored:
 * an event's index is its position. */
void chk_history_append (ChkHistory *h, const ChkEvent *ev);
static inline guint chk_history_len (const ChkHistory *h) { return h->event_refs->len; }
/* Event i, from 0. */
ChkEvent chk_history_event (const ChkHistory *h, guint i);
/* A reference to v for an operation of h (a copy is kept if v cannot be
 * coded in place). */
ChkValRef chk_history_value_ref (ChkHistory *h, const ChkValue *v);
/* Makes room for n_ops operations (and their events) in an empty history. */
void chk_history_reserve (ChkHistory *h, guint n_ops);
/* Bytes the history takes: operations, events, values and strings
 * (counted from its arrays, so the same on every machine). */
gsize chk_history_memory_bytes (const ChkHistory *h);
/* A copy of h; chk_history_assign makes dst a copy of src, reusing its
 * arrays. */
ChkHistory *chk_history_copy (const ChkHistory *h);
void chk_history_assign (ChkHistory *dst, const ChkHistory *src);

const char *chk_type_name (ChkType t);   /* "invoke", "ok", "fail", "info" */

/* Appends s as a JSON string literal: quotes, with '"', '\\' and control
 * characters escaped (UTF-8 passes through).  Shared by every JSON writer. */
void chk_json_string (GString *out, const char *s);

/* Writes one event as a dsim JSON Lines object (no newline):
 * {"process":2,"type":"invoke","f":"write","key":"x","value":3,"time":1200} */
void chk_event_to_json (const ChkHistory *h, const ChkEvent *ev, GString *out);
/* Writes the whole history as JSON Lines. */
gboolean chk_history_write_jsonl (const ChkHistory *h, FILE *out, GError **error);

/* "auto", "jsonl", "edn", "porcupine-etcd", "porcupine-kv" */
const char *chk_format_name (ChkFormat format);
/* Parses a name as printed by chk_format_name; FALSE if unknown. */
gboolean chk_format_from_name (const char *name, ChkFormat *format);

/* Reads a history file.  Malformed input: NULL and an error that names the
 * file, line and column and says what was expected.
 *
 * CHK_FORMAT_AUTO detects the format from the content:
 *   - dsim JSON Lines: one JSON object per line (or a JSON array of them),
 *     fields process, type, f, key, value, time (microseconds), final,
 *     mismatch (see is_cas_mismatch); other fields are ignored.
 *   - Jepsen/Knossos EDN: a vector of operation maps, or one map per line;
 *     :process :type :f :value, optional :key :time (nanoseconds) :index;
 *     values nil, integers, strings, [a b] (cas); Jepsen `independent`
 *     values [key value] are split into key and value.  Operations of a
 *     non-numeric process (:nemesis) are skipped; other fields are ignored.
 *   - Porcupine's etcd logs: "INFO  jepsen.util - P :type :f value" lines.
 *     `:fail :cas` is a cas that executed and found another value
 *     (is_cas_mismatch); `:fail :read :timed-out` completes a read with an
 *     unknown result (info); `:info` leaves the effect unknown.
 *   - Porcupine's kv logs: EDN maps, one per line, with :key and string
 *     values (get, put, append).
 * An empty file is an empty history. */
ChkHistory *chk_history_load (const char *path, ChkFormat format, GError **error);
ChkHistory *chk_history_load_data (const char *name, const char *data, gsize len,
                                   ChkFormat format, GError **error);
/* The same with a memory cap: a file larger than max_bytes, or one whose
 * parsed values and events would take more than max_bytes (counted, not
 * measured, so the same file stops at the same point on every machine),
 * ends with CHK_ERROR_LIMIT instead of growing.  0: no cap. */
ChkHistory *chk_history_load_limited (const char *path, ChkFormat format, gsize max_bytes,
                                      GError **error);
ChkHistory *chk_history_load_data_limited (const char *name, const char *data, gsize len,
                                           ChkFormat format, gsize max_bytes, GError **error);
/* chk_history_load_limited that also stops once *cancel turns non-zero (a
 * caller's time limit, set by a signal handler or another thread; polled
 * before each operation is read): CHK_ERROR_LIMIT, "FILE:LINE: reading the
 * input reached the time limit".  cancel NULL: never. */
ChkHistory *chk_history_load_cancellable (const char *path, ChkFormat format, gsize max_bytes,
                                          const volatile int *cancel, GError **error);

#define CHK_ERROR (chk_error_quark ())
GQuark chk_error_quark (void);
/* CHK_ERROR_LIMIT: a limit (memory while loading, file size) was reached
 * before the input was read: the verdict is unknown, not bad input. */
typedef enum { CHK_ERROR_PARSE, CHK_ERROR_IO, CHK_ERROR_INPUT, CHK_ERROR_LIMIT } ChkError;

/* Reads a whole input file, refusing what is not a regular file (a FIFO, a
 * device such as /dev/zero, a directory: CHK_ERROR_IO, "not a regular
 * file") and a file larger than max_bytes (CHK_ERROR_LIMIT; 0: no cap).
 * `what` names the input in messages ("history", "trace", "scenario"). */
gboolean chk_read_input_file (const char *path, const char *what, gsize max_bytes,
                              char **data, gsize *len, GError **error);
