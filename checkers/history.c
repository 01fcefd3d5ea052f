/* history.c: the history container and its JSON Lines writer. */
#include "checkers/history.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (chk-error-quark, chk_error)

ChkHistory *
chk_history_new (void)
{
  ChkHistory *h = g_new0 (ChkHistory, 1);
  h->events = g_array_new (FALSE, FALSE, sizeof (ChkEvent));
  h->strings = g_ptr_array_new_with_free_func (g_free);
  h->string_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  h->string_tags = g_byte_array_new ();
  h->sibling_sets = g_array_new (FALSE, FALSE, sizeof (int64_t));
  h->lists = g_array_new (FALSE, FALSE, sizeof (ChkValue));
  return h;
}

void
chk_history_free (ChkHistory *h)
{
  if (h == NULL)
    return;
  g_array_unref (h->events);
  g_hash_table_unref (h->string_ids);
  g_byte_array_unref (h->string_tags);
  g_ptr_array_unref (h->strings);
  g_array_unref (h->sibling_sets);
  g_array_unref (h->lists);
  g_free (h->source);
  g_free (h);
}

/* The lookup key is the tag byte (or '"' for a plain string) then the text,
 * so texts written differently never share an id. */
int32_t
chk_history_intern_tagged (ChkHistory *h, char tag, const char *s)
{
  g_autofree char *tagged = g_strdup_printf ("%c%s", tag != 0 ? tag : '"', s);
  gpointer found = g_hash_table_lookup (h->string_ids, tagged);
  if (found != NULL)
    return GPOINTER_TO_INT (found) - 1;
  int32_t id = (int32_t) h->strings->len;
  g_ptr_array_add (h->strings, g_strdup (s));
  guint8 t = (guint8) tag;
  g_byte_array_append (h->string_tags, &t, 1);
  g_hash_table_insert (h->string_ids, g_steal_pointer (&tagged), GINT_TO_POINTER (id + 1));
  return id;
}

char
chk_history_string_tag (const ChkHistory *h, int32_t id)
{
  g_assert (id >= 0 && (guint) id < h->string_tags->len);
  return (char) h->string_tags->data[id];
}

int32_t
chk_history_intern (ChkHistory *h, const char *s)
{
  return chk_history_intern_tagged (h, 0, s);
}

const char *
chk_history_string (const ChkHistory *h, int32_t id)
{
  g_assert (id >= 0 && (guint) id < h->strings->len);
  return g_ptr_array_index (h->strings, id);
}

int32_t
chk_history_add_siblings (ChkHistory *h, const int64_t *values, guint n)
{
  g_assert (n >= 2 && h->sibling_sets->len < G_MAXINT32 - n - 1);
  int32_t id = (int32_t) h->sibling_sets->len;
  int64_t count = n;
  g_array_append_val (h->sibling_sets, count);
  g_array_append_vals (h->sibling_sets, values, n);
  return id;
}

const int64_t *
chk_history_siblings (const ChkHistory *h, int32_t id, guint *n)
{
  g_assert (id >= 0 && (guint) id < h->sibling_sets->len);
  const int64_t *set = &g_array_index (h->sibling_sets, int64_t, id);
  *n = (guint) set[0];
  return set + 1;
}

int32_t
chk_history_add_list (ChkHistory *h, const ChkValue *items, guint n, gboolean is_set)
{
  g_assert (h->lists->len < (guint) G_MAXINT32 - n - 1);
  int32_t id = (int32_t) h->lists->len;
  ChkValue header = { .kind = CHK_VAL_LIST, .s = -1, .i = n, .j = is_set ? 1 : 0 };
  g_array_append_val (h->lists, header);
  g_array_append_vals (h->lists, items, n);
  return id;
}

const ChkValue *
chk_history_list (const ChkHistory *h, int32_t id, guint *n, gboolean *is_set)
{
  g_assert (id >= 0 && (guint) id < h->lists->len);
  const ChkValue *header = &g_array_index (h->lists, ChkValue, id);
  g_assert (header->kind == CHK_VAL_LIST);
  *n = (guint) header->i;
  if (is_set != NULL)
    *is_set = header->j != 0;
  return header + 1;
}

gboolean
chk_history_refuse_siblings (const ChkHistory *h, const char *model, GError **error)
{
  for (guint i = 0; i < h->events->len; i++) {
    const ChkEvent *ev = chk_history_get (h, i);
    if (ev->value.kind != CHK_VAL_SIBLINGS)
      continue;
    g_autoptr (GString) vals = g_string_new (NULL);
    guint n;
    const int64_t *v = chk_history_siblings (h, ev->value.s, &n);
    for (guint k = 0; k < n && k < 8; k++)
      g_string_append_printf (vals, "%s%" G_GINT64_FORMAT, k > 0 ? " " : "", v[k]);
    if (n > 8)
      g_string_append_printf (vals, " ... (%u values)", n);
    g_autofree char *where = ev->line > 0
        ? g_strdup_printf ("%s:%u", h->source != NULL ? h->source : "<history>", ev->line)
        : g_strdup_printf ("%s, event %u", h->source != NULL ? h->source : "history", i + 1);
    g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                 "%s: a read of process %" G_GINT64_FORMAT " returned siblings {%s}, "
                 "concurrent versions kept by a version-vector store; the %s model is "
                 "defined for reads that return one value, so this history cannot be "
                 "checked against it (judge such a run by its invariants: no-lost-write, "
                 "siblings-survive)",
                 where, ev->process, vals->str, model);
    return FALSE;
  }
  return TRUE;
}

gboolean
chk_history_refuse_lists (const ChkHistory *h, const char *model, GError **error)
{
  for (guint i = 0; i < h->events->len; i++) {
    const ChkEvent *ev = chk_history_get (h, i);
    if (ev->value.kind != CHK_VAL_LIST)
      continue;
    g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                 "%s:%u:%u: process %" G_GINT64_FORMAT " has a collection value (a set, a "
                 "queue's or a txn's list); the %s model is defined for registers (expected "
                 "nil, an integer, a string or a pair [a b]; check collections with --model "
                 "linearizable --kind set, unordered-queue, fifo-queue or multi-register)",
                 h->source != NULL ? h->source : "<history>", ev->line, MAX (ev->column, 1),
                 ev->process, model);
    return FALSE;
  }
  return TRUE;
}

void
chk_history_append (ChkHistory *h, const ChkEvent *ev)
{
  ChkEvent copy = *ev;
  if (copy.index < 0)
    copy.index = h->events->len;
  g_array_append_val (h->events, copy);
}

const char *
chk_type_name (ChkType t)
{
  switch (t) {
  case CHK_INVOKE: return "invoke";
  case CHK_OK: return "ok";
  case CHK_FAIL: return "fail";
  case CHK_INFO: return "info";
  }
  g_assert_not_reached ();
}

static const char *
fn_default_name (ChkFn f)
{
  switch (f) {
  case CHK_F_READ: return "read";
  case CHK_F_WRITE: return "write";
  case CHK_F_CAS: return "cas";
  case CHK_F_APPEND: return "append";
  case CHK_F_OTHER: return "other";
  }
  g_assert_not_reached ();
}

void
chk_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  const unsigned char *p = (const unsigned char *) s;
  while (*p) {
    /* Copy the run of characters that need no escape in one go. */
    const unsigned char *run = p;
    while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
      p++;
    if (p > run)
      g_string_append_len (out, (const char *) run, p - run);
    if (*p == '\0')
      break;
    if (*p >= 0x80) {
      /* Valid UTF-8 passes through; a byte that starts no valid sequence
       * becomes U+FFFD, so the output is always valid JSON text. */
      gunichar u = g_utf8_get_char_validated ((const char *) p, -1);
      if (u == (gunichar) -1 || u == (gunichar) -2) {
        g_string_append (out, "\\ufffd");
        p++;
      } else {
        const unsigned char *next = (const unsigned char *) g_utf8_next_char (p);
        g_string_append_len (out, (const char *) p, next - p);
        p = next;
      }
      continue;
    }
    switch (*p) {
    case '"': g_string_append (out, "\\\""); break;
    case '\\': g_string_append (out, "\\\\"); break;
    case '\n': g_string_append (out, "\\n"); break;
    case '\r': g_string_append (out, "\\r"); break;
    case '\t': g_string_append (out, "\\t"); break;
    default: {
      static const char hex[] = "0123456789abcdef";
      char esc[7] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0 };
      g_string_append (out, esc);
    }
    }
    p++;
  }
  g_string_append_c (out, '"');
}

/* A list as a JSON array, its items as values are written below. */
static void
json_list (const ChkHistory *h, int32_t id, GString *out)
{
  guint n;
  const ChkValue *items = chk_history_list (h, id, &n, NULL);
  g_string_append_c (out, '[');
  for (guint k = 0; k < n; k++) {
    const ChkValue *v = &items[k];
    if (k > 0)
      g_string_append_c (out, ',');
    switch (v->kind) {
    case CHK_VAL_INT: g_string_append_printf (out, "%" G_GINT64_FORMAT, v->i); break;
    case CHK_VAL_STR: chk_json_string (out, chk_history_string (h, v->s)); break;
    case CHK_VAL_PAIR: {
      g_autofree char *pair = chk_pair_text (v, "[", ",", "]", "null");
      g_string_append (out, pair);
      break;
    }
    case CHK_VAL_LIST: json_list (h, v->s, out); break;
    case CHK_VAL_NONE: case CHK_VAL_NIL: case CHK_VAL_SIBLINGS: /* not in a list */
      g_string_append (out, "null");
      break;
    }
  }
  g_string_append_c (out, ']');
}

void
chk_event_to_json (const ChkHistory *h, const ChkEvent *ev, GString *out)
{
  g_string_append_printf (out, "{\"process\":%" G_GINT64_FORMAT ",\"type\":\"%s\",\"f\":",
                          ev->process, chk_type_name (ev->type));
  chk_json_string (out, ev->f_name >= 0 && (guint) ev->f_name < h->strings->len
                        ? chk_history_string (h, ev->f_name)
                        : fn_default_name (ev->f));
  if (ev->key >= 0) {
    g_string_append (out, ",\"key\":");
    chk_json_string (out, chk_history_string (h, ev->key));
  }
  switch (ev->value.kind) {
  case CHK_VAL_NONE:
    break;
  case CHK_VAL_NIL:
    g_string_append (out, ",\"value\":null");
    break;
  case CHK_VAL_INT:
    g_string_append_printf (out, ",\"value\":%" G_GINT64_FORMAT, ev->value.i);
    break;
  case CHK_VAL_STR:
    g_string_append (out, ",\"value\":");
    chk_json_string (out, chk_history_string (h, ev->value.s));
    break;
  case CHK_VAL_PAIR: {
    g_autofree char *pair = chk_pair_text (&ev->value, "[", ",", "]", "null");
    g_string_append_printf (out, ",\"value\":%s", pair);
    break;
  }
  case CHK_VAL_SIBLINGS: {
    guint n;
    const int64_t *v = chk_history_siblings (h, ev->value.s, &n);
    g_string_append (out, ",\"value\":{\"siblings\":[");
    for (guint k = 0; k < n; k++)
      g_string_append_printf (out, "%s%" G_GINT64_FORMAT, k > 0 ? "," : "", v[k]);
    g_string_append (out, "]}");
    break;
  }
  case CHK_VAL_LIST:
    g_string_append (out, ",\"value\":");
    json_list (h, ev->value.s, out);
    break;
  }
  if (ev->time_us >= 0)
    g_string_append_printf (out, ",\"time\":%" G_GINT64_FORMAT, ev->time_us);
  if (ev->is_final)
    g_string_append (out, ",\"final\":true");
  if (ev->is_cas_mismatch)
    g_string_append (out, ",\"mismatch\":true");
  g_string_append_c (out, '}');
}

gboolean
chk_history_write_jsonl (const ChkHistory *h, FILE *out, GError **error)
{
  g_autoptr (GString) line = g_string_new (NULL);
  for (guint i = 0; i < h->events->len; i++) {
    g_string_truncate (line, 0);
    chk_event_to_json (h, chk_history_get (h, i), line);
    g_string_append_c (line, '\n');
    if (fwrite (line->str, 1, line->len, out) != line->len) {
      g_set_error (error, CHK_ERROR, CHK_ERROR_IO, "cannot write history: %s",
                   g_strerror (errno));
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
chk_read_input_file (const char *path, const char *what, gsize max_bytes, char **data,
                     gsize *len, GError **error)
{
  *data = NULL;
  *len = 0;
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error (error, CHK_ERROR, CHK_ERROR_IO, "cannot read %s: %s", path, g_strerror (e));
    return FALSE;
  }
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
    close (fd);
    g_set_error (error, CHK_ERROR, CHK_ERROR_IO, "cannot read %s: not a regular file "
                 "(a FIFO, a device or a directory); the %s must be a file", path, what);
    return FALSE;
  }
  if (max_bytes > 0 && (guint64) st.st_size > max_bytes) {
    close (fd);
    g_set_error (error, CHK_ERROR, CHK_ERROR_LIMIT, "%s %s is %" G_GUINT64_FORMAT
                 " bytes, over the limit of %" G_GSIZE_FORMAT " bytes", what, path,
                 (guint64) st.st_size, max_bytes);
    return FALSE;
  }
  /* Read what is there, never more than the cap (a file may grow). */
  gsize cap = max_bytes > 0 ? max_bytes : G_MAXSIZE - 1;
  GString *buf = g_string_sized_new (MIN ((gsize) st.st_size, cap) + 1);
  char chunk[65536];
  for (;;) {
    ssize_t n = read (fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close (fd);
      g_string_free (buf, TRUE);
      g_set_error (error, CHK_ERROR, CHK_ERROR_IO, "cannot read %s: %s", path, g_strerror (e));
      return FALSE;
    }
    if (n == 0)
      break;
    if (buf->len + (gsize) n > cap) {
      close (fd);
      g_string_free (buf, TRUE);
      g_set_error (error, CHK_ERROR, CHK_ERROR_LIMIT, "%s %s is over the limit of %"
                   G_GSIZE_FORMAT " bytes", what, path, max_bytes);
      return FALSE;
    }
    g_string_append_len (buf, chunk, n);
  }
  close (fd);
  *len = buf->len;
  *data = g_string_free (buf, FALSE);
  return TRUE;
}

char *
chk_pair_text (const ChkValue *v, const char *open, const char *sep, const char *close,
               const char *nil)
{
  GString *out = g_string_new (open);
  if (chk_pair_is_nil (v, CHK_PAIR_NIL_FIRST))
    g_string_append (out, nil);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT, v->i);
  g_string_append (out, sep);
  if (chk_pair_is_nil (v, CHK_PAIR_NIL_SECOND))
    g_string_append (out, nil);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT, v->j);
  g_string_append (out, close);
  return g_string_free (out, FALSE);
}
