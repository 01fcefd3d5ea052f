/* history_load.c: reads histories from dsim JSON Lines, Jepsen/Knossos EDN
 * and Porcupine's two log formats (see history.h for what each means). */
#include "checkers/edn.h"
#include "checkers/history.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const format_names[] = {
  [CHK_FORMAT_AUTO] = "auto",
  [CHK_FORMAT_JSONL] = "jsonl",
  [CHK_FORMAT_EDN] = "edn",
  [CHK_FORMAT_PORCUPINE_ETCD] = "porcupine-etcd",
  [CHK_FORMAT_PORCUPINE_KV] = "porcupine-kv",
};

const char *
chk_format_name (ChkFormat format)
{
  g_assert ((guint) format < G_N_ELEMENTS (format_names));
  return format_names[format];
}

gboolean
chk_format_from_name (const char *name, ChkFormat *format)
{
  for (guint k = 0; k < G_N_ELEMENTS (format_names); k++)
    if (strcmp (name, format_names[k]) == 0) {
      *format = (ChkFormat) k;
      return TRUE;
    }
  return FALSE;
}

static gboolean
fail_value (const char *name, const ChkEdnValue *v, GError **error, const char *expected)
{
  g_autofree char *found = chk_edn_describe (v);
  g_set_error (error, CHK_ERROR, CHK_ERROR_PARSE, "%s:%u:%u: expected %s, found %s", name,
               v->line, v->column, expected, found);
  return FALSE;
}

static ChkFn
fn_from_name (const char *f)
{
  if (strcmp (f, "read") == 0 || strcmp (f, "get") == 0 || strcmp (f, "r") == 0)
    return CHK_F_READ;
  if (strcmp (f, "write") == 0 || strcmp (f, "put") == 0 || strcmp (f, "w") == 0)
    return CHK_F_WRITE;
  if (strcmp (f, "cas") == 0 || strcmp (f, "compare-and-set") == 0)
    return CHK_F_CAS;
  if (strcmp (f, "append") == 0)
    return CHK_F_APPEND;
  return CHK_F_OTHER;
}

static gboolean
type_from_name (const char *t, ChkType *type)
{
  static const struct { const char *name; ChkType type; } types[] = {
    { "invoke", CHK_INVOKE }, { "ok", CHK_OK }, { "fail", CHK_FAIL }, { "info", CHK_INFO },
  };
  for (guint k = 0; k < G_N_ELEMENTS (types); k++)
    if (strcmp (t, types[k].name) == 0) {
      *type = types[k].type;
      return TRUE;
    }
  return FALSE;
}

static gboolean
is_name (const ChkEdnValue *v)
{
  return v->kind == CHK_EDN_KEYWORD || v->kind == CHK_EDN_STRING || v->kind == CHK_EDN_SYMBOL;
}

static gboolean
is_pair (const ChkEdnValue *v)
{
  return (v->kind == CHK_EDN_VECTOR || v->kind == CHK_EDN_LIST) && v->items->len == 2;
}

static gboolean
key_like (const ChkEdnValue *v)
{
  return v->kind == CHK_EDN_STRING || v->kind == CHK_EDN_SYMBOL || v->kind == CHK_EDN_KEYWORD
         || v->kind == CHK_EDN_INT;
}

/* A key as text: strings as they are, keywords with ':', integers in decimal. */
static gboolean
key_from (ChkHistory *h, const char *name, const ChkEdnValue *v, int32_t *key, GError **error)
{
  g_autofree char *text = NULL;
  char tag = 0; /* the key "7", the key 7 and the key :7 are three keys */
  switch (v->kind) {
  case CHK_EDN_STRING: text = g_strdup (v->s); break;
  case CHK_EDN_SYMBOL: text = g_strdup (v->s); tag = 's'; break;
  case CHK_EDN_KEYWORD: text = g_strconcat (":", v->s, NULL); tag = 'k'; break;
  case CHK_EDN_INT: text = g_strdup_printf ("%" G_GINT64_FORMAT, v->i); tag = 'i'; break;
  default: return fail_value (name, v, error, "a key (a string, keyword or integer)");
  }
  *key = chk_history_intern_tagged (h, tag, text);
  return TRUE;
}

static int
sibling_cmp (gconstpointer a, gconstpointer b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

/* {"siblings":[3,5]}: a read that returned concurrent versions.  At least
 * two distinct integers; they are kept sorted. */
static gboolean
siblings_from (ChkHistory *h, const char *name, const ChkEdnValue *v, ChkValue *out,
               GError **error)
{
  const ChkEdnValue *set = chk_edn_map_get (v, "siblings");
  if (set == NULL)
    return fail_value (name, v, error,
                       "a value: nil, an integer, a string, or a pair [a b] of integers or nil");
  if (v->items->len != 2
      || (set->kind != CHK_EDN_VECTOR && set->kind != CHK_EDN_LIST && set->kind != CHK_EDN_SET))
    return fail_value (name, v, error, "siblings as {\"siblings\": [a, b, ...]}");
  g_autoptr (GArray) vals = g_array_new (FALSE, FALSE, sizeof (int64_t));
  for (guint k = 0; k < set->items->len; k++) {
    const ChkEdnValue *item = g_ptr_array_index (set->items, k);
    if (item->kind != CHK_EDN_INT)
      return fail_value (name, item, error, "an integer sibling value");
    g_array_append_val (vals, item->i);
  }
  g_array_sort (vals, sibling_cmp);
  guint n = 0;
  for (guint k = 0; k < vals->len; k++)
    if (n == 0 || g_array_index (vals, int64_t, n - 1) != g_array_index (vals, int64_t, k))
      g_array_index (vals, int64_t, n++) = g_array_index (vals, int64_t, k);
  if (n < 2)
    return fail_value (name, set, error, "at least two distinct sibling values");
  out->kind = CHK_VAL_SIBLINGS;
  out->s = chk_history_add_siblings (h, (const int64_t *) vals->data, n);
  return TRUE;
}

static gboolean op_value_from (ChkHistory *h, const char *name, ChkFn f, const ChkEdnValue *v,
                               ChkValue *out, GError **error);
static gboolean value_from (ChkHistory *h, const char *name, const ChkEdnValue *v,
                            ChkValue *out, GError **error);

/* Collections: a set read #{1 2 3} (a JSON array), a dequeue's or
 * enqueue's value, a txn [[:read :x 1] [:write :y 2]].  Items are values
 * themselves (a txn's micro-operations are lists), never maps.  A vector
 * of two integers or nil stays a pair, as a cas value; the set model reads
 * such a pair as a set of two. */
static gboolean
list_from (ChkHistory *h, const char *name, const ChkEdnValue *v, ChkValue *out,
           GError **error)
{
  g_autoptr (GArray) items = g_array_sized_new (FALSE, FALSE, sizeof (ChkValue), v->items->len);
  for (guint k = 0; k < v->items->len; k++) {
    const ChkEdnValue *item = g_ptr_array_index (v->items, k);
    ChkValue iv;
    if (item->kind == CHK_EDN_MAP)
      return fail_value (name, item, error,
                         "an item: nil, an integer, a string, a keyword or a vector");
    if (!op_value_from (h, name, CHK_F_OTHER, item, &iv, error))
      return FALSE;
    g_array_append_val (items, iv);
  }
  *out = (ChkValue) { .kind = CHK_VAL_LIST, .s = -1 };
  out->s = chk_history_add_list (h, (const ChkValue *) items->data, items->len,
                                 v->kind == CHK_EDN_SET);
  return TRUE;
}

/* A value of an operation of function `f`: collections (list_from) only
 * where a model has them, so that a bad cas, write or append value is
 * refused as soon as it is read. */
static gboolean
op_value_from (ChkHistory *h, const char *name, ChkFn f, const ChkEdnValue *v, ChkValue *out,
               GError **error)
{
  if ((f == CHK_F_READ || f == CHK_F_OTHER)
      && (v->kind == CHK_EDN_SET
          || ((v->kind == CHK_EDN_VECTOR || v->kind == CHK_EDN_LIST) && !is_pair (v))))
    return list_from (h, name, v, out, error);
  if (f == CHK_F_READ || f == CHK_F_OTHER) {
    if (is_pair (v)) {
      const ChkEdnValue *a = g_ptr_array_index (v->items, 0);
      const ChkEdnValue *b = g_ptr_array_index (v->items, 1);
      if ((a->kind != CHK_EDN_INT && a->kind != CHK_EDN_NIL)
          || (b->kind != CHK_EDN_INT && b->kind != CHK_EDN_NIL))
        return list_from (h, name, v, out, error);
    }
  }
  return value_from (h, name, v, out, error);
}

static gboolean
value_from (ChkHistory *h, const char *name, const ChkEdnValue *v, ChkValue *out,
            GError **error)
{
  *out = (ChkValue) { .kind = CHK_VAL_NONE, .s = -1 };
  switch (v->kind) {
  case CHK_EDN_NIL:
    out->kind = CHK_VAL_NIL;
    return TRUE;
  case CHK_EDN_INT:
    out->kind = CHK_VAL_INT;
    out->i = v->i;
    return TRUE;
  case CHK_EDN_STRING:
    out->kind = CHK_VAL_STR;
    out->s = chk_history_intern (h, v->s);
    return TRUE;
  case CHK_EDN_KEYWORD: {
    /* Kept apart from the string ":foo": values compare as written. */
    g_autofree char *text = g_strconcat (":", v->s, NULL);
    out->kind = CHK_VAL_STR;
    out->s = chk_history_intern_tagged (h, 'k', text);
    return TRUE;
  }
  case CHK_EDN_BOOL:
    out->kind = CHK_VAL_STR;
    out->s = chk_history_intern_tagged (h, 'b', v->b ? "true" : "false");
    return TRUE;
  case CHK_EDN_VECTOR: case CHK_EDN_LIST:
    if (is_pair (v)) {
      const ChkEdnValue *a = g_ptr_array_index (v->items, 0);
      const ChkEdnValue *b = g_ptr_array_index (v->items, 1);
      /* Either side may be nil: a cas [nil 3] creates the register. */
      if ((a->kind == CHK_EDN_INT || a->kind == CHK_EDN_NIL)
          && (b->kind == CHK_EDN_INT || b->kind == CHK_EDN_NIL)) {
        out->kind = CHK_VAL_PAIR;
        out->s = (a->kind == CHK_EDN_NIL ? CHK_PAIR_NIL_FIRST : 0)
                 | (b->kind == CHK_EDN_NIL ? CHK_PAIR_NIL_SECOND : 0);
        out->i = a->kind == CHK_EDN_INT ? a->i : 0;
        out->j = b->kind == CHK_EDN_INT ? b->i : 0;
        return TRUE;
      }
    }
    break;
  case CHK_EDN_MAP:
    return siblings_from (h, name, v, out, error);
  default:
    break;
  }
  return fail_value (name, v, error,
                     "a value: nil, an integer, a string, or a pair [a b] of integers or nil");
}

typedef struct {
  ChkHistory *h;
  const char *name;
  gboolean is_edn;      /* EDN times are nanoseconds; JSON times microseconds */
  gboolean independent; /* Jepsen independent: values are [key value] */
} MapLoader;

/* Jepsen's `independent` checker wraps each value as a tuple [key value].
 * A read or write whose value is a pair, or a cas whose value is [k [a b]],
 * marks the whole history as independent.  The first read or write with a
 * value other than nil, or the first cas with a pair, decides: *decided is
 * set then, and the return value says which way. */
static gboolean
map_is_independent (const ChkEdnValue *map, gboolean *decided)
{
  const ChkEdnValue *f = chk_edn_map_get (map, "f");
  const ChkEdnValue *v = chk_edn_map_get (map, "value");
  if (f == NULL || !is_name (f) || v == NULL || v->kind == CHK_EDN_NIL)
    return FALSE;
  ChkFn fn = fn_from_name (f->s);
  if (fn == CHK_F_READ || fn == CHK_F_WRITE) {
    *decided = TRUE;
    return is_pair (v);
  }
  if (fn != CHK_F_CAS || !is_pair (v))
    return FALSE;
  *decided = TRUE;
  return is_pair (g_ptr_array_index (v->items, 1));
}

static gboolean
require (const MapLoader *l, const ChkEdnValue *map, const char *field,
         const ChkEdnValue **out, GError **error)
{
  *out = chk_edn_map_get (map, field);
  if (*out != NULL)
    return TRUE;
  g_set_error (error, CHK_ERROR, CHK_ERROR_PARSE,
               "%s:%u:%u: expected the field %s%s in this operation map", l->name, map->line,
               map->column, l->is_edn ? ":" : "", field);
  return FALSE;
}

static gboolean
event_from_map (const MapLoader *l, const ChkEdnValue *map, GError **error)
{
  const char *name = l->name;
  if (map->kind != CHK_EDN_MAP)
    return fail_value (name, map, error, "an operation map");
  ChkEvent ev = {
    .f_name = -1, .key = -1, .value = { .kind = CHK_VAL_NONE, .s = -1 },
    .time_us = -1, .index = -1, .line = map->line, .column = map->column,
  };
  const ChkEdnValue *process, *type, *f;
  if (!require (l, map, "process", &process, error) || !require (l, map, "type", &type, error)
      || !require (l, map, "f", &f, error))
    return FALSE;
  if (process->kind != CHK_EDN_INT) {
    if (l->is_edn && (process->kind == CHK_EDN_KEYWORD || process->kind == CHK_EDN_SYMBOL))
      return TRUE; /* :nemesis and friends: not a client */
    return fail_value (name, process, error, "a process number");
  }
  ev.process = process->i;
  ChkType ev_type = CHK_INVOKE;
  gboolean type_known = is_name (type) && type_from_name (type->s, &ev_type);
  ev.type = (uint8_t) ev_type;
  if (!type_known)
    return fail_value (name, type, error, "a type: invoke, ok, fail or info");
  if (!is_name (f))
    return fail_value (name, f, error, "a function name (read, write, cas, append, ...)");
  ev.f = fn_from_name (f->s);
  ev.f_name = chk_history_intern (l->h, f->s);

  const ChkEdnValue *value = chk_edn_map_get (map, "value");
  const ChkEdnValue *key = chk_edn_map_get (map, "key");
  if (key != NULL && key->kind != CHK_EDN_NIL && !key_from (l->h, name, key, &ev.key, error))
    return FALSE;
  /* Other functions (add, enqueue, dequeue, txn) carry a tuple when its
   * first item is a key, not a collection: [k 3], [k [[:read :x 1]]]. */
  gboolean other_tuple = ev.f == CHK_F_OTHER && value != NULL && is_pair (value)
                         && key_like (g_ptr_array_index (value->items, 0));
  if (l->independent && value != NULL
      && (ev.f == CHK_F_READ || ev.f == CHK_F_WRITE || ev.f == CHK_F_CAS || other_tuple)) {
    if (!is_pair (value))
      return fail_value (name, value, error, "an independent [key value] tuple");
    if (!key_from (l->h, name, g_ptr_array_index (value->items, 0), &ev.key, error))
      return FALSE;
    value = g_ptr_array_index (value->items, 1);
  }
  if (value != NULL && !op_value_from (l->h, name, ev.f, value, &ev.value, error))
    return FALSE;

  const ChkEdnValue *time = chk_edn_map_get (map, "time");
  if (time != NULL && time->kind != CHK_EDN_NIL) {
    if (time->kind != CHK_EDN_INT || time->i < 0)
      return fail_value (name, time, error, l->is_edn ? "a time in nanoseconds"
                                                      : "a time in microseconds");
    ev.time_us = l->is_edn ? time->i / 1000 : time->i;
  }
  const ChkEdnValue *index = chk_edn_map_get (map, "index");
  if (index != NULL && index->kind == CHK_EDN_INT && index->i >= 0)
    ev.index = index->i;
  const ChkEdnValue *final = chk_edn_map_get (map, "final");
  if (final == NULL)
    final = chk_edn_map_get (map, "final?"); /* EDN: :final? true */
  if (final != NULL && final->kind == CHK_EDN_BOOL)
    ev.is_final = final->b;
  const ChkEdnValue *mismatch = chk_edn_map_get (map, "mismatch");
  if (mismatch != NULL && mismatch->kind == CHK_EDN_BOOL)
    ev.is_cas_mismatch = mismatch->b;
  chk_history_append (l->h, &ev);
  return TRUE;
}

/* The text of a mapped file is read once, front to back: the pages behind
 * the reader are given back every CHK_TEXT_WINDOW bytes, so loading a file
 * larger than memory holds its operations and a window of its text, never
 * the whole text.  A text in memory (not mapped) stays whole. */
#define CHK_TEXT_WINDOW ((gsize) 16 << 10)

typedef struct {
  const char *data;
  gsize len;
  gboolean is_mapped;
  gsize released; /* bytes from the front given back */
  /* The caller's time limit: the reading stops once it turns non-zero
   * (see reading_goes_on); NULL: never. */
  const volatile int *cancel;
} TextWindow;

static void
text_window_advance (TextWindow *t, gsize pos)
{
  if (!t->is_mapped || pos < t->released + 2 * CHK_TEXT_WINDOW)
    return;
  long page = sysconf (_SC_PAGESIZE);
  /* Keep a window behind the reader: an error message may quote it. */
  gsize upto = (pos - CHK_TEXT_WINDOW) / (gsize) page * (gsize) page;
  (void) madvise ((void *) (t->data + t->released), upto - t->released, MADV_DONTNEED);
  t->released = upto;
}

/* The text counted against the memory cap at reading position pos: for a
 * mapped file the part from the first byte not yet given back to pos (what
 * the loader holds of it; the pages ahead are read as they are reached),
 * for a text in memory all of it. */
static gsize
text_window_bytes (const TextWindow *t, gsize pos)
{
  if (!t->is_mapped)
    return t->len;
  return pos > t->released ? pos - t->released : 0;
}

/* Start reading the text from its first byte again (a second pass). */
static void
text_window_rewind (TextWindow *t)
{
  t->released = 0;
}

/* FALSE and CHK_ERROR_LIMIT if the history and `text_bytes` exceed
 * max_bytes (0: no cap). */
static gboolean
within_cap (const ChkHistory *h, gsize text_bytes, const char *name, uint32_t line,
            gsize max_bytes, GError **error)
{
  if (max_bytes == 0 || text_bytes + chk_history_memory_bytes (h) <= max_bytes)
    return TRUE;
  g_set_error (error, CHK_ERROR, CHK_ERROR_LIMIT, "%s:%u: reading the input reached the "
               "memory limit of %" G_GSIZE_FORMAT " bytes", name, line, max_bytes);
  return FALSE;
}

/* FALSE and CHK_ERROR_LIMIT once the caller's time limit has stopped the
 * reading of `text` (polled before each operation is read). */
static gboolean
reading_goes_on (const TextWindow *text, const char *name, uint32_t line, GError **error)
{
  if (text->cancel == NULL || *text->cancel == 0)
    return TRUE;
  g_set_error (error, CHK_ERROR, CHK_ERROR_LIMIT, "%s:%u: reading the input reached the time "
               "limit", name, line);
  return FALSE;
}

/* EDN and JSON Lines: every top-level value is an operation map, or a
 * vector/list of them.  Each top-level value becomes events as soon as it
 * is read and is freed, so memory holds the events, not the parsed text,
 * and bad input stops the reading where it is found.  EDN is read twice:
 * Jepsen `independent` histories are recognised from the first map that
 * shows it (see map_is_independent) before the first one is converted. */
static gboolean
load_maps (ChkHistory *h, const char *name, TextWindow *text, ChkEdnSyntax syntax,
           gsize max_bytes, GError **error)
{
  const char *data = text->data;
  gsize len = text->len;
  MapLoader l = { .h = h, .name = name, .is_edn = syntax == CHK_EDN_SYNTAX_EDN };
  ChkEdnReader r;
  if (l.is_edn) {
    chk_edn_reader_init (&r, name, data, len, syntax);
    r.max_bytes = max_bytes;
    gboolean decided = FALSE;
    while (!decided && chk_edn_reader_more (&r)) {
      text_window_advance (text, r.pos);
      r.bytes = text_window_bytes (text, r.pos); /* the text in memory while it is read */
      if (!reading_goes_on (text, name, r.line, error))
        return FALSE;
      ChkEdnSeq seq;
      if (chk_edn_seq_enter (&r, &seq)) {
        GError *seq_error = NULL;
        while (!decided && chk_edn_seq_more (&r, &seq, &seq_error)) {
          text_window_advance (text, r.pos);
          r.bytes = text_window_bytes (text, r.pos);
          if (!reading_goes_on (text, name, r.line, error))
            return FALSE;
          g_autoptr (ChkEdnValue) m = chk_edn_seq_read (&r, error);
          if (m == NULL)
            return FALSE;
          l.independent = m->kind == CHK_EDN_MAP && map_is_independent (m, &decided);
        }
        if (seq_error != NULL) {
          g_propagate_error (error, seq_error);
          return FALSE;
        }
        continue;
      }
      g_autoptr (ChkEdnValue) v = chk_edn_read (&r, error);
      if (v == NULL)
        return FALSE;
      l.independent = v->kind == CHK_EDN_MAP && map_is_independent (v, &decided);
    }
  }
  text_window_rewind (text);
  chk_edn_reader_init (&r, name, data, len, syntax);
  r.max_bytes = max_bytes;
  while (chk_edn_reader_more (&r)) {
    /* The text, the events so far and their strings stay; the value read
     * now is counted on top. */
    text_window_advance (text, r.pos);
    r.bytes = text_window_bytes (text, r.pos) + chk_history_memory_bytes (h);
    if (!within_cap (h, text_window_bytes (text, r.pos), name, r.line, max_bytes, error)
        || !reading_goes_on (text, name, r.line, error))
      return FALSE;
    ChkEdnSeq seq;
    if (chk_edn_seq_enter (&r, &seq)) { /* a vector of operations: one at a time */
      GError *seq_error = NULL;
      while (chk_edn_seq_more (&r, &seq, &seq_error)) {
        text_window_advance (text, r.pos);
        r.bytes = text_window_bytes (text, r.pos) + chk_history_memory_bytes (h);
        if (!within_cap (h, text_window_bytes (text, r.pos), name, r.line, max_bytes, error)
            || !reading_goes_on (text, name, r.line, error))
          return FALSE;
        g_autoptr (ChkEdnValue) m = chk_edn_seq_read (&r, error);
        if (m == NULL || !event_from_map (&l, m, error))
          return FALSE;
      }
      if (seq_error != NULL) {
        g_propagate_error (error, seq_error);
        return FALSE;
      }
      continue;
    }
    g_autoptr (ChkEdnValue) v = chk_edn_read (&r, error);
    if (v == NULL || !event_from_map (&l, v, error))
      return FALSE;
  }
  return TRUE;
}

/* Porcupine's etcd logs (Jepsen's console log of the etcd test):
 *   INFO  jepsen.util - 3	:ok	:read	nil
 * Lines of other loggers (INFO  jepsen.core - ...) are skipped. */
static gboolean
load_etcd_line (ChkHistory *h, ChkEdnReader *r, gsize end, GError **error)
{
  const char *expected = "a log line 'INFO  jepsen.util - PROCESS :TYPE :F VALUE'";
  uint32_t line = r->line;
  /* Lines of other loggers are skipped: the second word (up to a NUL byte,
   * which ends the line's text) names the logger. */
  const char *data = r->data;
  const char *nul = memchr (data + r->pos, '\0', end - r->pos);
  gsize text_end = nul != NULL ? (gsize) (nul - data) : end;
  gsize q = r->pos;
  while (q < text_end && g_ascii_isspace (data[q]))
    q++;
  while (q < text_end && data[q] != ' ' && data[q] != '\t')
    q++;
  while (q < text_end && (data[q] == ' ' || data[q] == '\t'))
    q++;
  gsize w1 = q;
  while (q < text_end && data[q] != ' ' && data[q] != '\t')
    q++;
  if (q - w1 >= 7 && memcmp (data + w1, "jepsen.", 7) == 0
      && !(q - w1 == 11 && memcmp (data + w1, "jepsen.util", 11) == 0)) {
    r->pos = end;
    return TRUE;
  }
  /* Walk the reader to the value: past five words. */
  int64_t process = 0;
  ChkType type = CHK_INVOKE;
  char fname_buf[128];
  g_autofree char *fname_long = NULL;
  const char *fname = NULL;
  for (int k = 0; k < 6; k++) {
    while (r->pos < end && (r->data[r->pos] == ' ' || r->data[r->pos] == '\t')) {
      r->pos++;
      r->column++;
    }
    gsize start = r->pos;
    uint32_t column = r->column;
    while (r->pos < end && r->data[r->pos] != ' ' && r->data[r->pos] != '\t') {
      r->pos++;
      r->column++;
    }
    /* The word as a C string (cut at a NUL byte); short ones on the stack. */
    char word_buf[128];
    g_autofree char *word_long = NULL;
    char *word = word_buf;
    gsize wlen = r->pos - start;
    if (wlen < sizeof word_buf) {
      memcpy (word_buf, r->data + start, wlen);
      word_buf[wlen] = '\0';
    } else {
      word = word_long = g_strndup (r->data + start, wlen);
    }
    gboolean good = TRUE;
    const char *what = expected;
    switch (k) {
    case 0: good = word[0] != '\0' && g_ascii_isupper (word[0]); break;
    case 1: good = strcmp (word, "jepsen.util") == 0; break;
    case 2: good = strcmp (word, "-") == 0; break;
    case 3: {
      char *e = NULL;
      good = word[0] != '\0' && g_ascii_isdigit (word[0]);
      if (good)
        process = g_ascii_strtoll (word, &e, 10);
      good = good && *e == '\0';
      what = "a process number";
      break;
    }
    case 4: what = "a type :invoke, :ok, :fail or :info"; good = word[0] == ':'; break;
    case 5: what = "a function :read, :write or :cas"; good = word[0] == ':'; break;
    }
    if (good && k == 4)
      good = type_from_name (word + 1, &type);
    if (good && k == 5) {
      if (strlen (word + 1) < sizeof fname_buf)
        fname = strcpy (fname_buf, word + 1);
      else
        fname = fname_long = g_strdup (word + 1);
      good = g_utf8_validate (fname, -1, NULL);
      what = "a function name of UTF-8 text";
    }
    if (!good) {
      g_set_error (error, CHK_ERROR, CHK_ERROR_PARSE, "%s:%u:%u: expected %s, found %s%s%s",
                   r->name, line, column, what, word[0] ? "'" : "end of line",
                   word, word[0] ? "'" : "");
      return FALSE;
    }
  }
  ChkEvent ev = {
    .f_name = -1, .key = -1, .value = { .kind = CHK_VAL_NONE, .s = -1 },
    .time_us = -1, .index = -1, .line = line, .column = 1,
  };
  ev.process = process;
  ev.type = type;
  ev.f = fn_from_name (fname);
  ev.f_name = chk_history_intern (h, fname);
  /* The value: one EDN value up to the end of the line. */
  ChkEdnReader sub = *r;
  sub.len = end;
  if (!chk_edn_reader_more (&sub)) {
    g_set_error (error, CHK_ERROR, CHK_ERROR_PARSE, "%s:%u:%u: expected a value after %s, "
                 "found end of line", r->name, line, sub.column, fname);
    return FALSE;
  }
  g_autoptr (ChkEdnValue) v = chk_edn_read (&sub, error);
  if (v == NULL)
    return FALSE;
  if (chk_edn_reader_more (&sub)) {
    g_autofree char *found = g_strndup (sub.data + sub.pos, MIN (20, end - sub.pos));
    g_set_error (error, CHK_ERROR, CHK_ERROR_PARSE,
                 "%s:%u:%u: expected the end of the line after the value, found '%s'",
                 r->name, sub.line, sub.column, found);
    return FALSE;
  }
  gboolean timed_out = v->kind == CHK_EDN_KEYWORD;
  if (!timed_out && !value_from (h, r->name, v, &ev.value, error))
    return FALSE;
  if (ev.type == CHK_FAIL && ev.f == CHK_F_CAS) {
    ev.is_cas_mismatch = TRUE; /* it ran and compared unequal */
  } else if (ev.type == CHK_FAIL && ev.f == CHK_F_READ && timed_out) {
    ev.type = CHK_INFO; /* a read that timed out: result unknown */
  }
  r->pos = end;
  chk_history_append (h, &ev);
  return TRUE;
}

static gboolean
load_etcd (ChkHistory *h, const char *name, TextWindow *text, gsize max_bytes, GError **error)
{
  const char *data = text->data;
  gsize len = text->len;
  ChkEdnReader r;
  chk_edn_reader_init (&r, name, data, len, CHK_EDN_SYNTAX_EDN);
  r.max_bytes = max_bytes;
  while (r.pos < len) {
    /* A log line is parsed in place, one at a time: what is counted is
     * the operations kept. */
    text_window_advance (text, r.pos);
    r.bytes = chk_history_memory_bytes (h);
    if (!within_cap (h, 0, name, r.line, max_bytes, error)
        || !reading_goes_on (text, name, r.line, error))
      return FALSE;
    const char *nl = memchr (data + r.pos, '\n', len - r.pos);
    gsize end = nl != NULL ? (gsize) (nl - data) : len;
    gboolean blank = TRUE;
    for (gsize k = r.pos; k < end && blank; k++)
      blank = g_ascii_isspace (data[k]);
    if (!blank && !load_etcd_line (h, &r, end, error))
      return FALSE;
    r.pos = end < len ? end + 1 : len;
    r.line++;
    r.column = 1;
  }
  return TRUE;
}

/* The first non-blank line, for detection. */
static const char *
first_content (const char *data, gsize len, gsize *line_len)
{
  gsize p = 0;
  while (p < len) {
    while (p < len && g_ascii_isspace (data[p]))
      p++;
    if (p < len && data[p] == ';') { /* EDN comment line */
      while (p < len && data[p] != '\n')
        p++;
      continue;
    }
    break;
  }
  if (p >= len)
    return NULL;
  const char *nl = memchr (data + p, '\n', len - p);
  *line_len = nl != NULL ? (gsize) (nl - (data + p)) : len - p;
  return data + p;
}

static gboolean
detect (const char *name, const char *data, gsize len, ChkFormat *format, GError **error)
{
  gsize n = 0;
  const char *s = first_content (data, len, &n);
  if (s == NULL) {
    *format = CHK_FORMAT_JSONL; /* empty */
    return TRUE;
  }
  g_autofree char *line = g_strndup (s, n);
  const char *after = line + 1;
  while (*after == ' ' || *after == '\t' || *after == '[' || *after == '{')
    after++;
  if (line[0] == '{' || line[0] == '[') {
    if (*after == '"' || *after == '}' || *after == ']')
      *format = CHK_FORMAT_JSONL;
    else if (g_str_has_prefix (line, "{:process ") && strstr (line, ", :key \"") != NULL)
      *format = CHK_FORMAT_PORCUPINE_KV;
    else
      *format = CHK_FORMAT_EDN;
    return TRUE;
  }
  if (line[0] == '(' || line[0] == '#') {
    *format = CHK_FORMAT_EDN;
    return TRUE;
  }
  if (strstr (line, " jepsen.") != NULL) {
    *format = CHK_FORMAT_PORCUPINE_ETCD;
    return TRUE;
  }
  /* Report the position of the first non-blank character. */
  uint32_t lineno = 1, column = 1;
  for (const char *p = data; p < s; p++) {
    if (*p == '\n') {
      lineno++;
      column = 1;
    } else {
      column++;
    }
  }
  /* A byte that would not print (a NUL ends the line's copy) is named. */
  unsigned char first = (unsigned char) *s;
  g_autofree char *found = first < 0x20 || first == 0x7f
                             ? g_strdup_printf ("byte 0x%02x", first)
                             : g_strdup_printf ("'%.20s'", line);
  g_set_error (error, CHK_ERROR, CHK_ERROR_PARSE,
               "%s:%u:%u: expected a history (JSON Lines objects, EDN operation maps, or "
               "Porcupine 'INFO  jepsen.util' log lines), found %s",
               name, lineno, column, found);
  return FALSE;
}

ChkHistory *
chk_history_load_data (const char *name, const char *data, gsize len, ChkFormat format,
                       GError **error)
{
  return chk_history_load_data_limited (name, data, len, format, 0, error);
}

static ChkHistory *
load_text (const char *name, const char *data, gsize len, ChkFormat format, gsize max_bytes,
           gboolean is_mapped, const volatile int *cancel, GError **error)
{
  if (name == NULL)
    name = "<input>";
  gsize first_len = 0;
  gboolean is_empty = first_content (data, len, &first_len) == NULL;
  if (format == CHK_FORMAT_AUTO && !detect (name, data, len, &format, error))
    return NULL;
  g_autoptr (ChkHistory) h = chk_history_new ();
  h->source = g_strdup (name);
  h->format = format;
  if (is_empty) /* blank lines and ';' comments only: an empty history */
    return g_steal_pointer (&h);
  /* Room for as many operations as the text can hold (at least 64 bytes
   * each), so the arrays are never copied while they grow; pages not
   * written are never touched.  But reserved address space counts under a
   * ulimit -v: no more than a quarter of the memory cap is reserved. */
  gsize n_reserve = MIN (len / 64, (gsize) G_MAXUINT32 / 4);
  if (max_bytes > 0)
    n_reserve = MIN (n_reserve, max_bytes / 4 / (sizeof (ChkOp) + 2 * sizeof (uint32_t)));
  chk_history_reserve (h, (guint) n_reserve);
  gboolean ok = FALSE;
  TextWindow text = { .data = data, .len = len, .is_mapped = is_mapped, .cancel = cancel };
  switch (format) {
  case CHK_FORMAT_JSONL:
    ok = load_maps (h, name, &text, CHK_EDN_SYNTAX_JSON, max_bytes, error);
    break;
  case CHK_FORMAT_EDN:
  case CHK_FORMAT_PORCUPINE_KV:
    ok = load_maps (h, name, &text, CHK_EDN_SYNTAX_EDN, max_bytes, error);
    break;
  case CHK_FORMAT_PORCUPINE_ETCD:
    ok = load_etcd (h, name, &text, max_bytes, error);
    break;
  case CHK_FORMAT_AUTO:
    g_assert_not_reached ();
  }
  return ok ? g_steal_pointer (&h) : NULL;
}

ChkHistory *
chk_history_load_data_limited (const char *name, const char *data, gsize len,
                               ChkFormat format, gsize max_bytes, GError **error)
{
  return load_text (name, data, len, format, max_bytes, FALSE, NULL, error);
}

ChkHistory *
chk_history_load (const char *path, ChkFormat format, GError **error)
{
  return chk_history_load_limited (path, format, 0, error);
}

ChkHistory *
chk_history_load_limited (const char *path, ChkFormat format, gsize max_bytes,
                          GError **error)
{
  return chk_history_load_cancellable (path, format, max_bytes, NULL, error);
}

ChkHistory *
chk_history_load_cancellable (const char *path, ChkFormat format, gsize max_bytes,
                              const volatile int *cancel, GError **error)
{
  /* A regular file is mapped, not copied: the loaders read it once, front
   * to back, so only the pages being parsed need be in memory and bad input
   * near the start is reported before the rest is touched.  The parsers may
   * look at the byte after the text, which must be NUL: a mapping gives
   * zeros up to the end of its last page, and a file that ends exactly on a
   * page boundary is mapped over the front of a zero page longer than it.
   * A mapped file may be larger than max_bytes: what counts is the window
   * of text the loader holds and the operations it keeps.  An empty file
   * is read into memory. */
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  long page = sysconf (_SC_PAGESIZE);
  if (fd >= 0 && fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0 && page > 0) {
    gsize len = (gsize) st.st_size;
    gsize span = len % (gsize) page == 0 ? len + (gsize) page : len;
    void *map = MAP_FAILED;
    if (span == len) {
      map = mmap (NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    } else {
      void *zero = mmap (NULL, span, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (zero != MAP_FAILED) {
        map = mmap (zero, len, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
        if (map == MAP_FAILED)
          munmap (zero, span);
      }
    }
    close (fd);
    if (map != MAP_FAILED) {
      (void) madvise (map, len, MADV_SEQUENTIAL);
      ChkHistory *h = load_text (path, map, len, format, max_bytes, TRUE, cancel, error);
      munmap (map, span);
      return h;
    }
  } else if (fd >= 0) {
    close (fd);
  }
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!chk_read_input_file (path, "history", max_bytes, &data, &len, error))
    return NULL;
  return load_text (path, data, len, format, max_bytes, FALSE, cancel, error);
}
