/* edn.c: the EDN and JSON reader (see edn.h). */
#include "checkers/edn.h"
#include "checkers/history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
chk_edn_reader_init (ChkEdnReader *r, const char *name, const char *data, gsize len,
                     ChkEdnSyntax syntax)
{
  *r = (ChkEdnReader) {
    .name = name != NULL ? name : "<input>",
    .data = data, .len = len, .pos = 0, .line = 1, .column = 1, .syntax = syntax,
  };
}

void
chk_edn_value_free (ChkEdnValue *v)
{
  if (v == NULL)
    return;
  g_free (v->s);
  if (v->items != NULL)
    g_ptr_array_unref (v->items);
  g_free (v);
}

static int
peek (const ChkEdnReader *r)
{
  return r->pos < r->len ? (unsigned char) r->data[r->pos] : -1;
}

static int
peek_at (const ChkEdnReader *r, gsize ahead)
{
  return r->pos + ahead < r->len ? (unsigned char) r->data[r->pos + ahead] : -1;
}

static void
advance (ChkEdnReader *r)
{
  if (r->pos >= r->len)
    return;
  if (r->data[r->pos] == '\n') {
    r->line++;
    r->column = 1;
  } else if (((unsigned char) r->data[r->pos] & 0xc0) != 0x80) {
    r->column++; /* columns count characters, not UTF-8 continuation bytes */
  }
  r->pos++;
}

char *
chk_quote_token (const char *tok)
{
  size_t n = strlen (tok);
  if (n <= 64)
    return g_strdup_printf ("'%s'", tok);
  size_t cut = 40;
  while (cut > 0 && ((unsigned char) tok[cut] & 0xc0) == 0x80)
    cut--; /* not inside a UTF-8 character */
  return g_strdup_printf ("'%.*s...' (%zu bytes)", (int) cut, tok, n);
}

/* "found 'x'" / "found end of input" */
static char *
describe_here (const ChkEdnReader *r)
{
  int c = peek (r);
  if (c < 0)
    return g_strdup ("end of input");
  if (c == '\n')
    return g_strdup ("end of line");
  if (c < 0x20 || c >= 0x7f)
    return g_strdup_printf ("byte 0x%02x", c);
  return g_strdup_printf ("'%c'", c);
}

static ChkEdnValue *
fail_at (const ChkEdnReader *r, uint32_t line, uint32_t column, GError **error,
         const char *expected, const char *found)
{
  g_set_error (error, CHK_ERROR, CHK_ERROR_PARSE, "%s:%u:%u: expected %s, found %s", r->name,
               line, column, expected, found);
  return NULL;
}

static ChkEdnValue *
fail_here (const ChkEdnReader *r, GError **error, const char *expected)
{
  g_autofree char *found = describe_here (r);
  return fail_at (r, r->line, r->column, error, expected, found);
}

static gboolean
is_space (const ChkEdnReader *r, int c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
         || (c == ',' && r->syntax == CHK_EDN_SYNTAX_EDN);
}

static void
skip_space (ChkEdnReader *r)
{
  for (;;) {
    int c = peek (r);
    if (is_space (r, c)) {
      advance (r);
    } else if (c == ';' && r->syntax == CHK_EDN_SYNTAX_EDN) {
      while (peek (r) >= 0 && peek (r) != '\n')
        advance (r);
    } else {
      return;
    }
  }
}

gboolean
chk_edn_reader_more (ChkEdnReader *r)
{
  skip_space (r);
  return r->pos < r->len;
}

static ChkEdnValue *
value_new (ChkEdnKind kind, uint32_t line, uint32_t column)
{
  ChkEdnValue *v = g_new0 (ChkEdnValue, 1);
  v->kind = kind;
  v->line = line;
  v->column = column;
  return v;
}

static gboolean
is_symbol_char (int c)
{
  /* c > 0: strchr finds a NUL byte too, as the string's terminator. */
  return c > 0 && (g_ascii_isalnum (c) || strchr (".*+!-_?$%&=<>/'#:", c) != NULL || c >= 0x80);
}

static char *
read_token (ChkEdnReader *r)
{
  gsize start = r->pos;
  while (is_symbol_char (peek (r)))
    advance (r);
  return g_strndup (r->data + start, r->pos - start);
}

static ChkEdnValue *read_value (ChkEdnReader *r, int depth, GError **error);

static ChkEdnValue *
read_number (ChkEdnReader *r, GError **error)
{
  uint32_t line = r->line, column = r->column;
  g_autofree char *tok = read_token (r);
  gsize n = strlen (tok);
  gboolean is_float = strpbrk (tok, ".eE") != NULL;
  if (r->syntax == CHK_EDN_SYNTAX_EDN && n > 1 && (tok[n - 1] == 'N' || tok[n - 1] == 'M')) {
    is_float = tok[n - 1] == 'M';
    tok[n - 1] = '\0';
  }
  char *end = NULL;
  errno = 0;
  ChkEdnValue *v;
  if (is_float) {
    v = value_new (CHK_EDN_FLOAT, line, column);
    v->d = g_ascii_strtod (tok, &end);
  } else {
    v = value_new (CHK_EDN_INT, line, column);
    v->i = g_ascii_strtoll (tok, &end, 10);
  }
  if (end == tok || *end != '\0' || errno == ERANGE) {
    chk_edn_value_free (v);
    g_autofree char *found = chk_quote_token (tok);
    return fail_at (r, line, column, error,
                    errno == ERANGE ? "a number that fits in 64 bits" : "a number", found);
  }
  return v;
}

static gboolean
read_hex4 (ChkEdnReader *r, gunichar *out)
{
  *out = 0;
  for (int k = 0; k < 4; k++) {
    int c = peek (r);
    if (c < 0 || !g_ascii_isxdigit (c))
      return FALSE;
    *out = *out * 16 + (gunichar) g_ascii_xdigit_value (c);
    advance (r);
  }
  return TRUE;
}

static ChkEdnValue *
read_string (ChkEdnReader *r, GError **error)
{
  uint32_t line = r->line, column = r->column;
  advance (r); /* opening quote */
  g_autoptr (GString) s = g_string_new (NULL);
  for (;;) {
    int c = peek (r);
    if (c < 0)
      return fail_at (r, line, column, error, "a closing '\"' for the string starting here",
                      "end of input");
    if (c == '"') {
      advance (r);
      break;
    }
    if (c == '\n' && r->syntax == CHK_EDN_SYNTAX_JSON)
      return fail_here (r, error, "a closing '\"' before the end of the line");
    if (c == 0)
      return fail_here (r, error, "a string without NUL bytes (values are compared as "
                        "written, and a NUL cannot be kept)");
    if (c != '\\') {
      g_string_append_c (s, (char) c);
      advance (r);
      continue;
    }
    advance (r);
    c = peek (r);
    switch (c) {
    case '"': case '\\': case '/': g_string_append_c (s, (char) c); break;
    case 'n': g_string_append_c (s, '\n'); break;
    case 't': g_string_append_c (s, '\t'); break;
    case 'r': g_string_append_c (s, '\r'); break;
    case 'b': g_string_append_c (s, '\b'); break;
    case 'f': g_string_append_c (s, '\f'); break;
    case 'u': {
      advance (r);
      uint32_t esc_line = r->line, esc_column = r->column - 2;
      gunichar u;
      if (!read_hex4 (r, &u))
        return fail_here (r, error, "four hexadecimal digits after \\u");
      if (u >= 0xd800 && u < 0xdc00 && peek (r) == '\\' && peek_at (r, 1) == 'u') {
        advance (r);
        advance (r);
        gunichar lo;
        if (!read_hex4 (r, &lo))
          return fail_here (r, error, "four hexadecimal digits after \\u");
        if (lo < 0xdc00 || lo > 0xdfff)
          return fail_at (r, esc_line, esc_column, error, "a low surrogate \\udc00..\\udfff "
                          "after a high surrogate", "another escape");
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
      }
      if (u == 0)
        return fail_at (r, esc_line, esc_column, error, "a string without NUL characters "
                        "(values are compared as written, and a NUL cannot be kept)",
                        "\\u0000");
      if (u >= 0xd800 && u <= 0xdfff)
        return fail_at (r, esc_line, esc_column, error, "a character, not half of a "
                        "surrogate pair", "a lone surrogate");
      g_string_append_unichar (s, u);
      continue;
    }
    default:
      return fail_here (r, error, "an escape (\\\" \\\\ \\n \\t \\r \\b \\f \\/ \\u)");
    }
    advance (r);
  }
  if (!g_utf8_validate (s->str, (gssize) s->len, NULL))
    return fail_at (r, line, column, error, "a string of UTF-8 text",
                    "bytes that are not UTF-8");
  ChkEdnValue *v = value_new (CHK_EDN_STRING, line, column);
  v->s = g_string_free (g_steal_pointer (&s), FALSE);
  return v;
}

/* Counts what v takes (its node, its text, its slot in the parent) and
 * stops at the reader's cap. */
/* What malloc takes for n bytes: a header, rounded up to 16. */
static gsize
chunk (gsize n)
{
  return MAX ((n + 8 + 15) & ~(gsize) 15, 32);
}

static gboolean
account (ChkEdnReader *r, const ChkEdnValue *v, GError **error)
{
  r->bytes += chunk (sizeof *v) + sizeof (gpointer) + (v->s != NULL ? chunk (strlen (v->s) + 1) : 0);
  if (v->items != NULL) { /* the array and its slots, grown by doubling from 16 */
    gsize cap = 16;
    while (cap < v->items->len)
      cap *= 2;
    r->bytes += chunk (48) + chunk (cap * sizeof (gpointer));
  }
  if (r->max_bytes == 0 || r->bytes <= r->max_bytes)
    return TRUE;
  g_set_error (error, CHK_ERROR, CHK_ERROR_LIMIT, "%s:%u:%u: reading the input reached the "
               "memory limit of %" G_GSIZE_FORMAT " bytes", r->name, v->line, v->column,
               r->max_bytes);
  return FALSE;
}

static ChkEdnValue *
read_seq (ChkEdnReader *r, ChkEdnKind kind, int close, int depth, GError **error)
{
  uint32_t line = r->line, column = r->column;
  advance (r); /* opening bracket (the '#' of a set was consumed already) */
  g_autoptr (ChkEdnValue) v = value_new (kind, line, column);
  v->items = g_ptr_array_new_with_free_func ((GDestroyNotify) chk_edn_value_free);
  gboolean json = r->syntax == CHK_EDN_SYNTAX_JSON;
  for (;;) {
    skip_space (r);
    if (peek (r) == close) {
      advance (r);
      break;
    }
    if (peek (r) < 0) {
      g_autofree char *what = g_strdup_printf ("'%c' to close the %s opened at %u:%u", close,
                                               kind == CHK_EDN_MAP ? "map" : "sequence", line,
                                               column);
      return fail_here (r, error, what);
    }
    if (json && v->items->len > 0) {
      if (peek (r) != ',') {
        g_autofree char *what = g_strdup_printf ("',' or '%c'", close);
        return fail_here (r, error, what);
      }
      advance (r);
      skip_space (r);
    }
    if (json && kind == CHK_EDN_MAP && peek (r) != '"')
      return fail_here (r, error, "a string key");
    ChkEdnValue *item = read_value (r, depth + 1, error);
    if (item == NULL)
      return NULL;
    g_ptr_array_add (v->items, item);
    if (!account (r, item, error))
      return NULL;
    if (kind == CHK_EDN_MAP) {
      skip_space (r);
      if (json) {
        if (peek (r) != ':')
          return fail_here (r, error, "':' after the key");
        advance (r);
        skip_space (r);
      }
      if (peek (r) == close || peek (r) < 0)
        return fail_here (r, error, "a value for the key");
      ChkEdnValue *val = read_value (r, depth + 1, error);
      if (val == NULL)
        return NULL;
      g_ptr_array_add (v->items, val);
      if (!account (r, val, error))
        return NULL;
    }
  }
  return g_steal_pointer (&v);
}

static ChkEdnValue *
read_word (ChkEdnReader *r, GError **error)
{
  uint32_t line = r->line, column = r->column;
  g_autofree char *tok = read_token (r);
  if (tok[0] == '\0')
    return fail_here (r, error, "a value");
  if (!g_utf8_validate (tok, -1, NULL))
    return fail_at (r, line, column, error, "a symbol or keyword of UTF-8 text",
                    "bytes that are not UTF-8");
  ChkEdnValue *v;
  if (strcmp (tok, "nil") == 0 && r->syntax == CHK_EDN_SYNTAX_EDN) {
    v = value_new (CHK_EDN_NIL, line, column);
  } else if (strcmp (tok, "null") == 0 && r->syntax == CHK_EDN_SYNTAX_JSON) {
    v = value_new (CHK_EDN_NIL, line, column);
  } else if (strcmp (tok, "true") == 0 || strcmp (tok, "false") == 0) {
    v = value_new (CHK_EDN_BOOL, line, column);
    v->b = tok[0] == 't';
  } else if (r->syntax == CHK_EDN_SYNTAX_JSON) {
    g_autofree char *found = chk_quote_token (tok);
    return fail_at (r, line, column, error, "a JSON value (object, array, string, number, "
                    "true, false or null)", found);
  } else if (tok[0] == ':') {
    if (tok[1] == '\0')
      return fail_at (r, line, column, error, "a keyword name after ':'", "nothing");
    v = value_new (CHK_EDN_KEYWORD, line, column);
    v->s = g_strdup (tok + 1);
  } else {
    v = value_new (CHK_EDN_SYMBOL, line, column);
    v->s = g_steal_pointer (&tok);
  }
  return v;
}

static ChkEdnValue *
read_value (ChkEdnReader *r, int depth, GError **error)
{
  skip_space (r);
  if (depth > 200)
    return fail_here (r, error, "at most 200 nested collections");
  int c = peek (r);
  gboolean json = r->syntax == CHK_EDN_SYNTAX_JSON;
  switch (c) {
  case -1:
    return fail_here (r, error, "a value");
  case '{':
    return read_seq (r, CHK_EDN_MAP, '}', depth, error);
  case '[':
    return read_seq (r, CHK_EDN_VECTOR, ']', depth, error);
  case '(':
    if (json)
      break;
    return read_seq (r, CHK_EDN_LIST, ')', depth, error);
  case '"':
    return read_string (r, error);
  case '#':
    if (json)
      break;
    if (peek_at (r, 1) == '{') {
      uint32_t line = r->line, column = r->column;
      advance (r);
      ChkEdnValue *v = read_seq (r, CHK_EDN_SET, '}', depth, error);
      if (v != NULL) {
        v->line = line;
        v->column = column;
      }
      return v;
    }
    if (peek_at (r, 1) == '_') {
      /* Discard the next value.  A loop, not recursion: a long run of
       * "#_1 #_1 ..." must not grow the stack. */
      while (peek (r) == '#' && peek_at (r, 1) == '_') {
        advance (r);
        advance (r);
        g_autoptr (ChkEdnValue) dropped = read_value (r, depth + 1, error);
        if (dropped == NULL)
          return NULL;
        skip_space (r);
      }
      return read_value (r, depth, error);
    }
    if (peek_at (r, 1) >= 0 && g_ascii_isalpha (peek_at (r, 1))) { /* tagged value */
      advance (r);
      g_autofree char *tag = read_token (r);
      return read_value (r, depth + 1, error);
    }
    break;
  case '\\': {
    if (json)
      break;
    uint32_t line = r->line, column = r->column;
    advance (r);
    gsize start = r->pos;
    advance (r);
    while (peek (r) >= 0 && g_ascii_isalnum (peek (r)) && g_ascii_isalnum (r->data[start]))
      advance (r);
    ChkEdnValue *v = value_new (CHK_EDN_CHAR, line, column);
    v->s = g_strndup (r->data + start, r->pos - start);
    return v;
  }
  default:
    if (g_ascii_isdigit (c)
        || ((c == '-' || (c == '+' && !json)) && peek_at (r, 1) >= 0
            && g_ascii_isdigit (peek_at (r, 1))))
      return read_number (r, error);
    if (c == ']' || c == '}' || c == ')')
      return fail_here (r, error, "a value (this bracket closes nothing)");
    if (is_symbol_char (c))
      return read_word (r, error);
    break;
  }
  return fail_here (r, error, json ? "a JSON value" : "an EDN value");
}

ChkEdnValue *
chk_edn_read (ChkEdnReader *r, GError **error)
{
  ChkEdnValue *v = read_value (r, 0, error);
  if (v != NULL && !account (r, v, error)) {
    chk_edn_value_free (v);
    return NULL;
  }
  return v;
}

gboolean
chk_edn_seq_enter (ChkEdnReader *r, ChkEdnSeq *seq)
{
  skip_space (r);
  /* Past "#_" discards; a discarded value that does not read is left for
   * chk_edn_read to report. */
  while (r->syntax == CHK_EDN_SYNTAX_EDN && peek (r) == '#' && peek_at (r, 1) == '_') {
    ChkEdnReader past = *r;
    advance (&past);
    advance (&past);
    GError *ignored = NULL;
    ChkEdnValue *dropped = read_value (&past, 1, &ignored);
    if (dropped == NULL) {
      g_clear_error (&ignored);
      return FALSE;
    }
    chk_edn_value_free (dropped);
    *r = past;
    skip_space (r);
  }
  int c = peek (r);
  if (c != '[' && (c != '(' || r->syntax == CHK_EDN_SYNTAX_JSON))
    return FALSE;
  *seq = (ChkEdnSeq) { .close = c == '[' ? ']' : ')', .line = r->line, .column = r->column };
  advance (r);
  return TRUE;
}

/* As read_seq does between its items. */
gboolean
chk_edn_seq_more (ChkEdnReader *r, ChkEdnSeq *seq, GError **error)
{
  skip_space (r);
  if (peek (r) == seq->close) {
    advance (r);
    return FALSE;
  }
  if (peek (r) < 0) {
    g_autofree char *what = g_strdup_printf ("'%c' to close the sequence opened at %u:%u",
                                             seq->close, seq->line, seq->column);
    fail_here (r, error, what);
    return FALSE;
  }
  if (r->syntax == CHK_EDN_SYNTAX_JSON && seq->n_items > 0) {
    if (peek (r) != ',') {
      g_autofree char *what = g_strdup_printf ("',' or '%c'", seq->close);
      fail_here (r, error, what);
      return FALSE;
    }
    advance (r);
    skip_space (r);
  }
  seq->n_items++;
  return TRUE;
}

ChkEdnValue *
chk_edn_seq_read (ChkEdnReader *r, GError **error)
{
  ChkEdnValue *v = read_value (r, 1, error);
  if (v != NULL && !account (r, v, error)) {
    chk_edn_value_free (v);
    return NULL;
  }
  return v;
}

const ChkEdnValue *
chk_edn_map_get (const ChkEdnValue *map, const char *name)
{
  g_assert (map->kind == CHK_EDN_MAP);
  for (guint k = 0; k + 1 < map->items->len; k += 2) {
    const ChkEdnValue *key = g_ptr_array_index (map->items, k);
    if ((key->kind == CHK_EDN_KEYWORD || key->kind == CHK_EDN_STRING)
        && strcmp (key->s, name) == 0)
      return g_ptr_array_index (map->items, k + 1);
  }
  return NULL;
}

char *
chk_edn_describe (const ChkEdnValue *v)
{
  switch (v->kind) {
  case CHK_EDN_NIL: return g_strdup ("nil");
  case CHK_EDN_BOOL: return g_strdup (v->b ? "true" : "false");
  case CHK_EDN_INT: return g_strdup_printf ("the integer %" G_GINT64_FORMAT, v->i);
  case CHK_EDN_FLOAT: return g_strdup_printf ("the number %g", v->d);
  case CHK_EDN_STRING: return g_strdup_printf ("the string \"%s\"", v->s);
  case CHK_EDN_KEYWORD: return g_strdup_printf ("the keyword :%s", v->s);
  case CHK_EDN_SYMBOL: return g_strdup_printf ("the symbol %s", v->s);
  case CHK_EDN_CHAR: return g_strdup_printf ("the character \\%s", v->s);
  case CHK_EDN_VECTOR: return g_strdup_printf ("a vector of %u", v->items->len);
  case CHK_EDN_LIST: return g_strdup_printf ("a list of %u", v->items->len);
  case CHK_EDN_SET: return g_strdup_printf ("a set of %u", v->items->len);
  case CHK_EDN_MAP: return g_strdup ("a map");
  }
  g_assert_not_reached ();
}
