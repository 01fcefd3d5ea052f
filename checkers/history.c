/* history.c: the history container and its JSON Lines writer. */
#include "checkers/history.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK (chk-error-quark, chk_error)

ChkHistory *
chk_history_new (void)
{
  ChkHistory *h = g_new0 (ChkHistory, 1);
  h->events = g_array_new (FALSE, FALSE, sizeof (ChkEvent));
  h->strings = g_ptr_array_new_with_free_func (g_free);
  h->string_ids = g_hash_table_new (g_str_hash, g_str_equal);
  return h;
}

void
chk_history_free (ChkHistory *h)
{
  if (h == NULL)
    return;
  g_array_unref (h->events);
  g_hash_table_unref (h->string_ids);
  g_ptr_array_unref (h->strings);
  g_free (h->source);
  g_free (h);
}

int32_t
chk_history_intern (ChkHistory *h, const char *s)
{
  gpointer found = g_hash_table_lookup (h->string_ids, s);
  if (found != NULL)
    return GPOINTER_TO_INT (found) - 1;
  char *copy = g_strdup (s);
  int32_t id = (int32_t) h->strings->len;
  g_ptr_array_add (h->strings, copy);
  g_hash_table_insert (h->string_ids, copy, GINT_TO_POINTER (id + 1));
  return id;
}

const char *
chk_history_string (const ChkHistory *h, int32_t id)
{
  g_assert (id >= 0 && (guint) id < h->strings->len);
  return g_ptr_array_index (h->strings, id);
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
    while (*p >= 0x20 && *p != '"' && *p != '\\')
      p++;
    if (p > run)
      g_string_append_len (out, (const char *) run, p - run);
    if (*p == '\0')
      break;
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
  case CHK_VAL_PAIR:
    g_string_append_printf (out, ",\"value\":[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]",
                            ev->value.i, ev->value.j);
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
