/* protocol.c: the outbox, knob parsing and duration syntax shared by all
 * protocols. */
#include "protocols/protocol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (proto-error-quark, proto_error)

void
proto_outbox_init (ProtoOutbox *out)
{
  memset (out, 0, sizeof *out);
  out->msgs = g_array_new (FALSE, FALSE, sizeof (ProtoOutMsg));
  out->bytes = g_byte_array_new ();
  out->notes = g_string_new (NULL);
  out->marks = g_ptr_array_new ();
  out->deadline_us = PROTO_NO_DEADLINE;
}

void
proto_outbox_clear (ProtoOutbox *out)
{
  g_array_unref (out->msgs);
  g_byte_array_unref (out->bytes);
  g_string_free (out->notes, TRUE);
  g_ptr_array_unref (out->marks);
  memset (out, 0, sizeof *out);
}

void
proto_outbox_reset (ProtoOutbox *out)
{
  /* Called before every step of every node: skip what is already empty. */
  if (out->msgs->len > 0)
    g_array_set_size (out->msgs, 0);
  if (out->bytes->len > 0)
    g_byte_array_set_size (out->bytes, 0);
  if (out->notes->len > 0)
    g_string_truncate (out->notes, 0);
  if (out->marks->len > 0)
    g_ptr_array_set_size (out->marks, 0);
  out->has_result = FALSE;
  memset (&out->result, 0, sizeof out->result);
  out->sync = FALSE;
}

void
proto_outbox_send (ProtoOutbox *out, int to, const void *msg, size_t len)
{
  g_assert (len <= G_MAXUINT32 - out->bytes->len);
  ProtoOutMsg m = { .to = to, .offset = out->bytes->len, .len = (uint32_t) len };
  g_byte_array_append (out->bytes, msg, (guint) len);
  g_array_append_val (out->msgs, m);
}

void
proto_outbox_set_deadline (ProtoOutbox *out, int64_t at_us)
{
  out->deadline_us = at_us;
}

void
proto_outbox_note (ProtoOutbox *out, const char *fmt, ...)
{
  va_list ap;
  if (out->is_quiet)
    return;
  if (out->notes->len > 0)
    g_string_append_c (out->notes, '\n');
  va_start (ap, fmt);
  g_string_append_vprintf (out->notes, fmt, ap);
  va_end (ap);
}

void
proto_outbox_mark (ProtoOutbox *out, const char *mark)
{
  g_ptr_array_add (out->marks, (gpointer) mark);
}

void
proto_outbox_complete (ProtoOutbox *out, ProtoResultKind kind,
                       gboolean has_value, int64_t value)
{
  out->has_result = TRUE;
  out->result.kind = kind;
  out->result.has_value = has_value;
  out->result.value = has_value ? value : 0;
  out->result.n_siblings = 0;
}

static int
value_cmp (gconstpointer a, gconstpointer b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

void
proto_outbox_complete_values (ProtoOutbox *out, const int64_t *values, uint32_t n)
{
  g_assert (n <= PROTO_MAX_SIBLINGS);
  int64_t sorted[PROTO_MAX_SIBLINGS];
  memcpy (sorted, values, n * sizeof *values);
  qsort (sorted, n, sizeof *sorted, value_cmp);
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++)
    if (k == 0 || sorted[k - 1] != sorted[i])
      sorted[k++] = sorted[i];
  proto_outbox_complete (out, PROTO_RESULT_OK, k > 0, k > 0 ? sorted[0] : 0);
  if (k >= 2) {
    out->result.n_siblings = k;
    memcpy (out->result.siblings, sorted, k * sizeof *sorted);
  }
}

void
proto_outbox_sync (ProtoOutbox *out)
{
  out->sync = TRUE;
}

/* ---- Durations ----------------------------------------------------------*/

gboolean
proto_parse_duration_us (const char *text, int64_t *out_us)
{
  if (text == NULL)
    return FALSE;
  while (g_ascii_isspace (*text))
    text++;
  if (*text == '\0' || *text == '-' || *text == '+')
    return FALSE;
  char *end = NULL;
  errno = 0;
  double v = g_ascii_strtod (text, &end);
  if (end == text || errno != 0 || !(v >= 0.0))
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  double scale;
  if (*end == '\0')
    scale = (v == 0.0) ? 1.0 : -1.0; /* a bare number needs a unit, but 0 */
  else if (strcmp (end, "us") == 0)
    scale = 1.0;
  else if (strcmp (end, "ms") == 0)
    scale = 1e3;
  else if (strcmp (end, "s") == 0)
    scale = 1e6;
  else if (strcmp (end, "m") == 0 || strcmp (end, "min") == 0)
    scale = 60e6;
  else if (strcmp (end, "h") == 0)
    scale = 3600e6;
  else
    return FALSE;
  if (scale < 0)
    return FALSE;
  double us = v * scale;
  if (us > 9.0e15) /* about 285 years: surely a typo */
    return FALSE;
  *out_us = (int64_t) (us + 0.5);
  return TRUE;
}

void
proto_format_duration (int64_t us, GString *out)
{
  if (us == 0)
    g_string_append (out, "0s");
  else if (us % 1000000 == 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT "s", us / 1000000);
  else if (us % 1000 == 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT "ms", us / 1000);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT "us", us);
}

/* ---- Knobs --------------------------------------------------------------*/

const ProtoKnob *
proto_knob_find (const ProtoVTable *vt, const char *key)
{
  for (const ProtoKnob *k = vt->knobs; k != NULL && k->name != NULL; k++)
    if (strcmp (k->name, key) == 0)
      return k;
  return NULL;
}

static gboolean
knob_set (const ProtoKnob *k, void *config, const char *value, GError **error)
{
  char *base = (char *) config + k->offset;
  switch (k->type) {
  case PROTO_KNOB_INT: {
    char *end = NULL;
    errno = 0;
    gint64 v = g_ascii_strtoll (value, &end, 10);
    if (end == value || *end != '\0' || errno != 0) {
      g_set_error (error, PROTO_ERROR, PROTO_ERROR_VALUE,
                   "expected an integer, got '%s'", value);
      return FALSE;
    }
    if (v < k->min || v > k->max) {
      g_set_error (error, PROTO_ERROR, PROTO_ERROR_VALUE,
                   "expected an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                   ", got %" G_GINT64_FORMAT, k->min, k->max, v);
      return FALSE;
    }
    memcpy (base, &v, sizeof (int64_t));
    return TRUE;
  }
  case PROTO_KNOB_DURATION: {
    int64_t us;
    if (!proto_parse_duration_us (value, &us)) {
      g_set_error (error, PROTO_ERROR, PROTO_ERROR_VALUE,
                   "expected a duration with a unit (such as 150ms, 2s, 500us), got '%s'",
                   value);
      return FALSE;
    }
    if (us < k->min || us > k->max) {
      g_autoptr (GString) lo = g_string_new (NULL);
      g_autoptr (GString) hi = g_string_new (NULL);
      proto_format_duration (k->min, lo);
      proto_format_duration (k->max, hi);
      g_set_error (error, PROTO_ERROR, PROTO_ERROR_VALUE,
                   "expected a duration from %s to %s, got '%s'", lo->str, hi->str, value);
      return FALSE;
    }
    memcpy (base, &us, sizeof (int64_t));
    return TRUE;
  }
  case PROTO_KNOB_BOOL: {
    gboolean b;
    if (strcmp (value, "true") == 0)
      b = TRUE;
    else if (strcmp (value, "false") == 0)
      b = FALSE;
    else {
      g_set_error (error, PROTO_ERROR, PROTO_ERROR_VALUE,
                   "expected true or false, got '%s'", value);
      return FALSE;
    }
    memcpy (base, &b, sizeof b);
    return TRUE;
  }
  case PROTO_KNOB_CHOICE: {
    g_auto (GStrv) choices = g_strsplit (k->choices, "|", -1);
    for (int i = 0; choices[i] != NULL; i++)
      if (strcmp (choices[i], value) == 0) {
        memcpy (base, &i, sizeof i);
        return TRUE;
      }
    g_autofree char *list = g_strjoinv (", ", choices);
    g_set_error (error, PROTO_ERROR, PROTO_ERROR_VALUE,
                 "expected one of %s, got '%s'", list, value);
    return FALSE;
  }
  }
  g_assert_not_reached ();
}

void
proto_config_defaults (const ProtoVTable *vt, void *config)
{
  memset (config, 0, vt->config_size);
  for (const ProtoKnob *k = vt->knobs; k != NULL && k->name != NULL; k++) {
    g_autoptr (GError) error = NULL;
    if (!knob_set (k, config, k->fallback, &error))
      g_error ("protocol %s: default of knob %s is invalid: %s", vt->name, k->name,
               error->message);
  }
}

gboolean
proto_config_set (const ProtoVTable *vt, void *config, const char *key,
                  const char *value, GError **error)
{
  const ProtoKnob *k = proto_knob_find (vt, key);
  if (k == NULL) {
    g_autoptr (GString) names = g_string_new (NULL);
    for (const ProtoKnob *j = vt->knobs; j != NULL && j->name != NULL; j++)
      g_string_append_printf (names, "%s%s", names->len ? ", " : "", j->name);
    g_set_error (error, PROTO_ERROR, PROTO_ERROR_KEY,
                 "unknown key '%s' for protocol %s (expected one of: %s)", key,
                 vt->name, names->len ? names->str : "none");
    return FALSE;
  }
  g_autofree char *trimmed = g_strstrip (g_strdup (value));
  return knob_set (k, config, trimmed, error);
}

gboolean
proto_admin_word_known (const ProtoVTable *vt, const char *word, gsize len)
{
  if (vt->admin_words == NULL)
    return TRUE;
  for (int i = 0; vt->admin_words[i] != NULL; i++)
    if (strlen (vt->admin_words[i]) == len && strncmp (vt->admin_words[i], word, len) == 0)
      return TRUE;
  return FALSE;
}
