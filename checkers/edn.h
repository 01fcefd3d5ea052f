/* edn.h: a small reader for EDN (Clojure's data notation, as Jepsen and
 * Knossos write histories) and for JSON, into one value tree.
 *
 * EDN: maps, vectors, lists, sets, keywords, symbols, strings, characters,
 * integers (with an optional N suffix), floats, nil, booleans, `;` comments,
 * `#_` discards, and tagged values (`#inst "..."`, `#jepsen.history.Op{...}`:
 * the tag is dropped, the value kept).  Commas are whitespace.
 * JSON: objects, arrays, strings (with \u escapes), numbers, null, booleans.
 *
 * Every value remembers the line and column where it starts, so the loaders
 * can point at the exact place of a problem.  Errors are CHK_ERROR_PARSE
 * with "NAME:LINE:COLUMN: expected ..., found ...". */
#pragma once

#include <glib.h>
#include <stdint.h>

/* A token quoted for a message: 'tok', or a long one (a number of a
 * million digits, a flag's value of megabytes) by its first 40 bytes and
 * its length, not in full: '9999...' (1000000 bytes).  (transfer full) */
char *chk_quote_token (const char *tok);

typedef enum {
  CHK_EDN_NIL,
  CHK_EDN_BOOL,
  CHK_EDN_INT,
  CHK_EDN_FLOAT,
  CHK_EDN_STRING,
  CHK_EDN_KEYWORD, /* s holds the name without the leading ':' */
  CHK_EDN_SYMBOL,
  CHK_EDN_CHAR,    /* s holds the character as UTF-8 */
  CHK_EDN_VECTOR,
  CHK_EDN_LIST,
  CHK_EDN_SET,
  CHK_EDN_MAP,     /* items: key0, value0, key1, value1, ... */
} ChkEdnKind;

typedef struct ChkEdnValue ChkEdnValue;
struct ChkEdnValue {
  ChkEdnKind kind;
  uint32_t line, column; /* where the value starts, from 1 */
  gboolean b;
  int64_t i;
  double d;
  char *s;
  GPtrArray *items;      /* ChkEdnValue*, owned */
};

typedef enum {
  CHK_EDN_SYNTAX_EDN,
  CHK_EDN_SYNTAX_JSON,
} ChkEdnSyntax;

typedef struct {
  const char *name;  /* file name for messages */
  const char *data;
  gsize len, pos;
  uint32_t line, column;
  ChkEdnSyntax syntax;
  /* Memory the values read so far take, counted (not measured); past
   * max_bytes (0: no cap) reading stops with CHK_ERROR_LIMIT. */
  gsize bytes, max_bytes;
} ChkEdnReader;

void chk_edn_reader_init (ChkEdnReader *r, const char *name, const char *data, gsize len,
                          ChkEdnSyntax syntax);
/* Skips whitespace and comments; TRUE if a value follows. */
gboolean chk_edn_reader_more (ChkEdnReader *r);
/* Reads the next value (transfer full), or NULL and an error. */
ChkEdnValue *chk_edn_read (ChkEdnReader *r, GError **error);

/* A vector or list read one item at a time, so that a history written as
 * one vector of a million maps is never one tree in memory:
 *   if (chk_edn_seq_enter (r, &seq))
 *     while (chk_edn_seq_more (r, &seq, error))
 *       item = chk_edn_seq_read (r, error) ...
 * chk_edn_seq_more returns FALSE at the closing bracket (consumed), or with
 * an error set (an unclosed sequence, a missing JSON ','). */
typedef struct {
  int close;             /* the closing bracket */
  uint32_t line, column; /* of the opening one */
  guint n_items;         /* items so far */
} ChkEdnSeq;

/* TRUE, past its opening bracket, if the next value is a vector or (EDN) a
 * list; FALSE (nothing consumed but space) otherwise. */
gboolean chk_edn_seq_enter (ChkEdnReader *r, ChkEdnSeq *seq);
gboolean chk_edn_seq_more (ChkEdnReader *r, ChkEdnSeq *seq, GError **error);
/* The next item of the sequence (transfer full), or NULL and an error. */
ChkEdnValue *chk_edn_seq_read (ChkEdnReader *r, GError **error);

void chk_edn_value_free (ChkEdnValue *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChkEdnValue, chk_edn_value_free)

/* In a map, the value whose key is the keyword or string `name`; NULL if absent. */
const ChkEdnValue *chk_edn_map_get (const ChkEdnValue *map, const char *name);
/* A short description for messages: "a map", "the keyword :ok", "the integer 3". */
char *chk_edn_describe (const ChkEdnValue *v);
