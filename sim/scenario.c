/* scenario.c: scenario files: reading the text, finding every section and
 * key with its line, the [scenario], [cluster], [<protocol>] and [check]
 * sections, and the helpers the other section parsers share.
 *
 * GKeyFile parses values (escapes) but does not say on which line a key
 * is, and silently merges duplicate keys and sections.  So the text is first
 * scanned here line by line: that scan finds lines, duplicates and malformed
 * lines, and only then GKeyFile reads the values. */
#include "sim/scenario_private.h"
#include "checkers/check.h"
#include "checkers/history.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (sim-scenario-error-quark, sim_scenario_error)

/* ---- Errors and suggestions ---------------------------------------------*/

/* text, or its first `max` bytes (whole UTF-8 characters) and how long it
 * was. */
static char *
scn_shorten (const char *text, size_t max)
{
  size_t n = strlen (text);
  if (n <= max)
    return g_strdup (text);
  size_t cut = max;
  while (cut > 0 && ((unsigned char) text[cut] & 0xc0) == 0x80)
    cut--;
  return g_strdup_printf ("%.*s... (%zu bytes)", (int) cut, text, n);
}

static gboolean
scn_failv (ScnParser *p, guint line, const char *section, const char *key, const char *fmt,
           va_list ap)
{
  g_autoptr (GString) msg = g_string_new (NULL);
  g_string_append_printf (msg, "%s:%u: ", p->file, line);
  /* A name or value of megabytes is quoted by its start, not in full. */
  g_autofree char *s = section != NULL ? scn_shorten (section, 80) : NULL;
  g_autofree char *k = key != NULL ? scn_shorten (key, 80) : NULL;
  if (s != NULL)
    g_string_append_printf (msg, "[%s]%s%s: ", s, k != NULL ? " " : "", k != NULL ? k : "");
  else if (k != NULL)
    g_string_append_printf (msg, "%s: ", k);
  g_autofree char *text = g_strdup_vprintf (fmt, ap);
  g_autofree char *short_text = scn_shorten (text, 1000);
  g_string_append (msg, short_text);
  g_set_error_literal (p->error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_PARSE, msg->str);
  return FALSE;
}

gboolean
scn_fail (ScnParser *p, guint line, const char *section, const char *key, const char *fmt,
          ...)
{
  va_list ap;
  va_start (ap, fmt);
  scn_failv (p, line, section, key, fmt, ap);
  va_end (ap);
  return FALSE;
}

gboolean
scn_fail_entry (ScnParser *p, const ScnEntry *e, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  scn_failv (p, e->line, e->section, e->key, fmt, ap);
  va_end (ap);
  return FALSE;
}

static guint
edit_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);
  for (size_t j = 0; j <= lb; j++)
    row[j] = (guint) j;
  for (size_t i = 1; i <= la; i++) {
    guint diag = row[0];
    row[0] = (guint) i;
    for (size_t j = 1; j <= lb; j++) {
      guint up = row[j];
      guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diag + cost);
      diag = up;
    }
  }
  return row[lb];
}

const char *
scn_suggest (const char *word, const char *const *known)
{
  const char *best = NULL;
  guint best_d = G_MAXUINT;
  guint limit = MAX (1, (guint) strlen (word) / 3);
  for (int i = 0; known[i] != NULL; i++) {
    guint d = edit_distance (word, known[i]);
    if (d < best_d) {
      best_d = d;
      best = known[i];
    }
  }
  if (best_d <= limit)
    return best;
  /* A unique known name that starts with the word ("failover" for
   * "failover_timeout"). */
  const char *prefixed = NULL;
  for (int i = 0; known[i] != NULL; i++)
    if (strlen (word) >= 3 && g_str_has_prefix (known[i], word)) {
      if (prefixed != NULL)
        return NULL;
      prefixed = known[i];
    }
  return prefixed;
}

static void
append_list (GString *out, const char *const *names)
{
  for (int i = 0; names[i] != NULL; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", names[i]);
}

gboolean
scn_fail_unknown_key (ScnParser *p, const ScnEntry *e, const char *const *known)
{
  const char *near = scn_suggest (e->key, known);
  if (near != NULL)
    return scn_fail (p, e->line, e->section, e->key, "unknown key; did you mean '%s'?", near);
  g_autoptr (GString) list = g_string_new (NULL);
  append_list (list, known);
  return scn_fail (p, e->line, e->section, e->key, "unknown key; expected one of: %s",
                   list->str);
}

int
scn_key_index (const char *const *known, const char *key)
{
  for (int i = 0; known[i] != NULL; i++)
    if (strcmp (known[i], key) == 0)
      return i;
  return -1;
}

const ScnEntry *
scn_find (const ScnParser *p, const char *section, const char *key)
{
  g_autofree char *k = g_strconcat (section, "\n", key, NULL);
  return g_hash_table_lookup (p->entry_index, k);
}

const ScnSection *
scn_find_section (const ScnParser *p, const char *name)
{
  return g_hash_table_lookup (p->section_index, name);
}

guint
scn_section_line (const ScnParser *p, const char *name)
{
  const ScnSection *s = scn_find_section (p, name);
  return s != NULL ? s->line : 1;
}

/* ---- Value parsers --------------------------------------------------------*/

gboolean
scn_parse_int (const char *text, int64_t *out)
{
  if (text == NULL || *text == '\0')
    return FALSE;
  char *end = NULL;
  errno = 0;
  gint64 v = g_ascii_strtoll (text, &end, 10);
  if (end == text || *end != '\0' || errno != 0)
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean
scn_parse_double (const char *text, double *out)
{
  if (text == NULL || *text == '\0')
    return FALSE;
  char *end = NULL;
  errno = 0;
  double v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || errno != 0 || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean
scn_get_int (ScnParser *p, const ScnEntry *e, int64_t min, int64_t max, int64_t *out)
{
  int64_t v;
  if (!scn_parse_int (e->value, &v) || v < min || v > max)
    return scn_fail_entry (p, e,
                           "expected an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                           ", got '%s'", min, max, e->value);
  *out = v;
  return TRUE;
}

gboolean
scn_get_duration (ScnParser *p, const ScnEntry *e, int64_t min_us, int64_t max_us,
                  int64_t *out_us)
{
  int64_t us;
  if (!proto_parse_duration_us (e->value, &us))
    return scn_fail_entry (p, e, "expected a duration with a unit (such as 150ms, 2s, 500us), "
                           "got '%s'", e->value);
  if (us < min_us || us > max_us) {
    g_autoptr (GString) lo = g_string_new (NULL);
    g_autoptr (GString) hi = g_string_new (NULL);
    proto_format_duration (min_us, lo);
    proto_format_duration (max_us, hi);
    return scn_fail_entry (p, e, "expected a duration from %s to %s, got '%s'", lo->str,
                           hi->str, e->value);
  }
  *out_us = us;
  return TRUE;
}

gboolean
scn_get_double (ScnParser *p, const ScnEntry *e, double min, double max, double *out)
{
  double v;
  if (!scn_parse_double (e->value, &v) || v < min || v > max)
    return scn_fail_entry (p, e, "expected a number from %g to %g, got '%s'", min, max,
                           e->value);
  *out = v;
  return TRUE;
}

gboolean
scn_get_probability (ScnParser *p, const ScnEntry *e, double *out)
{
  double v;
  if (!scn_parse_double (e->value, &v) || v < 0.0 || v > 1.0)
    return scn_fail_entry (p, e, "expected a probability between 0 and 1, got '%s'", e->value);
  *out = v;
  return TRUE;
}

gboolean
scn_get_bool (ScnParser *p, const ScnEntry *e, gboolean *out)
{
  if (strcmp (e->value, "true") == 0)
    *out = TRUE;
  else if (strcmp (e->value, "false") == 0)
    *out = FALSE;
  else
    return scn_fail_entry (p, e, "expected true or false, got '%s'", e->value);
  return TRUE;
}

gboolean
scn_get_rate (ScnParser *p, const ScnEntry *e, double *out_per_s)
{
  g_autofree char *num = g_strdup (e->value);
  char *slash = strchr (num, '/');
  double v;
  if (slash != NULL) {
    *slash = '\0';
    g_strstrip (num);
  }
  if (slash == NULL || strcmp (g_strstrip (slash + 1), "s") != 0
      || !scn_parse_double (num, &v) || v < 0.0 || v > 1e9)
    return scn_fail_entry (p, e, "expected a rate per second such as 0.5/s or 100/s, got '%s'",
                           e->value);
  *out_per_s = v;
  return TRUE;
}

/* ---- Endpoints -----------------------------------------------------------*/

int
scn_endpoint_parse (const ScnParser *p, const char *text, gboolean allow_clients)
{
  if (text[0] != 'n' && text[0] != 'c')
    return -1;
  int64_t k;
  if (!g_ascii_isdigit (text[1]) || !scn_parse_int (text + 1, &k) || k < 1)
    return -1;
  if (text[0] == 'n')
    return k <= p->cfg->n_nodes ? (int) k - 1 : -1;
  if (!allow_clients || k > p->cfg->workload.n_clients)
    return -1;
  return p->cfg->n_nodes + (int) k - 1;
}

void
scn_endpoint_range (const ScnParser *p, gboolean allow_clients, GString *out)
{
  g_string_append_printf (out, "n1..n%d", p->cfg->n_nodes);
  if (allow_clients && p->cfg->workload.n_clients > 0)
    g_string_append_printf (out, " or c1..c%d", p->cfg->workload.n_clients);
}

/* ---- Scanning the text ----------------------------------------------------*/

static void
scn_entry_free (gpointer data)
{
  ScnEntry *e = data;
  g_free (e->section);
  g_free (e->key);
  g_free (e->value);
  g_free (e);
}

static void
scn_section_free (gpointer data)
{
  ScnSection *s = data;
  g_free (s->name);
  g_free (s);
}

static gboolean
is_key_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.' || c == '-' || c == ' ' || c == '+';
}

/* Finds sections and keys with their lines; rejects what GKeyFile would
 * reject or silently merge, with the line. */
static gboolean
scn_scan (ScnParser *p, const char *text, gsize len)
{
  const char *current = NULL;
  guint line_no = 0;
  gsize pos = 0;
  while (pos < len) {
    const char *nl = memchr (text + pos, '\n', len - pos);
    gsize line_len = nl != NULL ? (gsize) (nl - (text + pos)) : len - pos;
    const char *raw = text + pos;
    pos += line_len + (nl != NULL ? 1 : 0);
    line_no++;
    if (!g_utf8_validate_len (raw, line_len, NULL))
      return scn_fail (p, line_no, NULL, NULL,
                       "expected UTF-8 text, found a byte that is not (or a NUL byte)");
    g_autofree char *line = g_strndup (raw, line_len);
    g_strstrip (line);
    if (line[0] == '\0' || line[0] == '#')
      continue;
    for (const char *c = line; *c != '\0'; c++)
      if (g_ascii_iscntrl (*c) && *c != '\t')
        return scn_fail (p, line_no, NULL, NULL, "expected text, found control character 0x%02x",
                         (unsigned) (unsigned char) *c);
    if (line[0] == '[') {
      char *close = strchr (line, ']');
      if (close == NULL || close[1] != '\0' || close == line + 1
          || strchr (line + 1, '[') != NULL)
        return scn_fail (p, line_no, NULL, NULL,
                         "expected a section header such as [network], got '%s'", line);
      *close = '\0';
      g_autofree char *name = g_strstrip (g_strdup (line + 1));
      if (name[0] == '\0')
        return scn_fail (p, line_no, NULL, NULL, "expected a section name between [ and ]");
      const ScnSection *old = scn_find_section (p, name);
      if (old != NULL)
        return scn_fail (p, line_no, name, NULL,
                         "section appears twice (first at line %u); merge them", old->line);
      ScnSection *s = g_new0 (ScnSection, 1);
      s->name = g_steal_pointer (&name);
      s->line = line_no;
      g_ptr_array_add (p->sections, s);
      g_hash_table_insert (p->section_index, s->name, s);
      current = s->name;
      continue;
    }
    char *eq = strchr (line, '=');
    if (eq == NULL)
      return scn_fail (p, line_no, NULL, NULL,
                       "expected 'key = value', a [section] or a # comment, got '%s'", line);
    *eq = '\0';
    g_strchomp (line);
    if (line[0] == '\0')
      return scn_fail (p, line_no, current, NULL, "expected a key name before '='");
    for (const char *c = line; *c != '\0'; c++)
      if (!is_key_char (*c))
        return scn_fail (p, line_no, current, NULL,
                         "expected a key name (letters, digits, '_', '.', '-', spaces), got '%s'",
                         line);
    if (current == NULL)
      return scn_fail (p, line_no, NULL, line,
                       "key before any [section]; expected a section header first");
    const ScnEntry *old = scn_find (p, current, line);
    if (old != NULL)
      return scn_fail (p, line_no, current, line, "key set twice (first at line %u)", old->line);
    ScnEntry *e = g_new0 (ScnEntry, 1);
    e->section = g_strdup (current);
    e->key = g_strdup (line);
    e->line = line_no;
    g_ptr_array_add (p->entries, e);
    g_hash_table_insert (p->entry_index, g_strconcat (e->section, "\n", e->key, NULL), e);
  }
  return TRUE;
}

/* Reads every value through GKeyFile (which handles escapes such as \n). */
static gboolean
scn_read_values (ScnParser *p, const char *text, gsize len)
{
  if (p->entries->len == 0 && p->sections->len == 0)
    return TRUE; /* nothing GKeyFile could add; it also rejects empty data */
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) kf_error = NULL;
  if (!g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, &kf_error)) {
    /* The scan accepted every line, so this is rare; find the first line
     * whose prefix GKeyFile refuses. */
    guint line_no = 1;
    for (gsize end = 0; end < len; end++)
      if (text[end] == '\n') {
        g_autoptr (GKeyFile) part = g_key_file_new ();
        if (end > 0 && !g_key_file_load_from_data (part, text, end, G_KEY_FILE_NONE, NULL))
          break;
        line_no++;
      }
    return scn_fail (p, line_no, NULL, NULL, "not a valid key file line: %s",
                     kf_error->message);
  }
  for (guint i = 0; i < p->entries->len; i++) {
    ScnEntry *e = p->entries->pdata[i];
    g_autoptr (GError) value_error = NULL;
    char *value = g_key_file_get_string (kf, e->section, e->key, &value_error);
    if (value == NULL)
      return scn_fail_entry (p, e, "expected a plain text value: %s", value_error->message);
    e->value = g_strstrip (value);
  }
  return TRUE;
}

/* ---- [scenario] ----------------------------------------------------------*/

static const char *const scenario_keys[] = {
  "name", "description", "seed", "duration", "expect", NULL,
};

static gboolean
parse_expect (ScnParser *p, const ScnEntry *e)
{
  SimConfig *cfg = p->cfg;
  g_auto (GStrv) words = g_strsplit_set (e->value, " \t", -1);
  g_autoptr (GPtrArray) w = g_ptr_array_new ();
  for (int i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_ptr_array_add (w, words[i]);
  const char *first = w->len > 0 ? w->pdata[0] : "";
  if (strcmp (first, "pass") == 0 && w->len == 1) {
    cfg->expect = SIM_EXPECT_PASS;
    return TRUE;
  }
  if (strcmp (first, "any") == 0 && w->len == 1) {
    cfg->expect = SIM_EXPECT_ANY;
    return TRUE;
  }
  if (strcmp (first, "violation") == 0 && w->len <= 2) {
    cfg->expect = SIM_EXPECT_VIOLATION;
    g_clear_pointer (&cfg->expect_what, g_free);
    if (w->len == 2) {
      const char *what = w->pdata[1];
      gboolean is_invariant = strcmp (what, "invariant") == 0
                              || (g_str_has_prefix (what, "invariant:") && what[10] != '\0');
      if (!is_invariant && scn_key_index (p->models, what) < 0) {
        const char *near = scn_suggest (what, p->models);
        g_autoptr (GString) list = g_string_new (NULL);
        append_list (list, p->models);
        if (near != NULL)
          return scn_fail_entry (p, e, "unknown model '%s'; did you mean '%s'?", what, near);
        return scn_fail_entry (p, e, "expected 'violation invariant', 'violation invariant:NAME' "
                               "or 'violation MODEL' with MODEL one of: %s; got '%s'",
                               list->str, what);
      }
      const char *const *names = cfg->proto != NULL ? cfg->proto->invariant_names : NULL;
      if (g_str_has_prefix (what, "invariant:") && names != NULL
          && strcmp (what + 10, "no-progress") != 0 && scn_key_index (names, what + 10) < 0) {
        g_autoptr (GString) list = g_string_new (NULL);
        append_list (list, names);
        return scn_fail_entry (p, e, "protocol %s has no invariant '%s'; expected one of: %s, "
                               "or no-progress", cfg->proto->name, what + 10, list->str);
      }
      cfg->expect_what = g_strdup (what);
    }
    return TRUE;
  }
  return scn_fail_entry (p, e, "expected 'pass', 'any', 'violation' or 'violation WHAT' "
                         "(a model such as linearizable, or invariant[:NAME]), got '%s'",
                         e->value);
}

static gboolean
parse_scenario_section (ScnParser *p)
{
  SimConfig *cfg = p->cfg;
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, "scenario") != 0)
      continue;
    switch (scn_key_index (scenario_keys, e->key)) {
    case 0:
      if (e->value[0] == '\0')
        return scn_fail_entry (p, e, "expected a name, got nothing");
      g_free (cfg->name);
      cfg->name = g_strdup (e->value);
      break;
    case 1:
      g_free (cfg->description);
      cfg->description = g_strdup (e->value);
      break;
    case 2: {
      char *end = NULL;
      errno = 0;
      guint64 seed = g_ascii_strtoull (e->value, &end, 10);
      if (!g_ascii_isdigit (e->value[0]) || *end != '\0' || errno != 0)
        return scn_fail_entry (p, e, "expected an unsigned integer seed, got '%s'", e->value);
      cfg->seed = seed;
      break;
    }
    case 3:
      if (!scn_get_duration (p, e, 1, SCN_DAY_US, &cfg->duration_us))
        return FALSE;
      break;
    case 4:
      if (!parse_expect (p, e))
        return FALSE;
      break;
    default:
      return scn_fail_unknown_key (p, e, scenario_keys);
    }
  }
  return TRUE;
}

/* ---- [cluster] -----------------------------------------------------------*/

static const char *const cluster_keys[] = { "protocol", "nodes", NULL };

static void
append_protocol_names (GString *out)
{
  const ProtoVTable *const *reg = proto_registry ();
  for (int i = 0; reg[i] != NULL; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", reg[i]->name);
}

static gboolean
parse_cluster_section (ScnParser *p)
{
  SimConfig *cfg = p->cfg;
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, "cluster") == 0 && scn_key_index (cluster_keys, e->key) < 0)
      return scn_fail_unknown_key (p, e, cluster_keys);
  }
  const ScnEntry *proto = scn_find (p, "cluster", "protocol");
  if (proto == NULL) {
    g_autoptr (GString) names = g_string_new (NULL);
    append_protocol_names (names);
    return scn_fail (p, scn_section_line (p, "cluster"), "cluster", "protocol",
                     "missing; every scenario names its protocol (one of: %s)", names->str);
  }
  const ProtoVTable *vt = proto_find (proto->value);
  if (vt == NULL) {
    g_autoptr (GString) names = g_string_new (NULL);
    append_protocol_names (names);
    return scn_fail_entry (p, proto, "unknown protocol '%s'; expected one of: %s",
                           proto->value, names->str);
  }
  g_free (cfg->proto_config);
  cfg->proto = vt;
  cfg->proto_config = g_malloc0 (MAX (vt->config_size, 1));
  proto_config_defaults (vt, cfg->proto_config);

  const ScnEntry *nodes = scn_find (p, "cluster", "nodes");
  if (nodes != NULL) {
    int64_t n;
    int hi = MIN (vt->max_nodes, PROTO_MAX_NODES);
    if (!scn_parse_int (nodes->value, &n))
      return scn_fail_entry (p, nodes, "expected a number of nodes, got '%s'", nodes->value);
    if (n < vt->min_nodes || n > hi)
      return scn_fail_entry (p, nodes, "expected %d to %d nodes for protocol %s, got %s",
                             vt->min_nodes, hi, vt->name, nodes->value);
    cfg->n_nodes = (int) n;
  } else if (cfg->n_nodes < vt->min_nodes || cfg->n_nodes > vt->max_nodes) {
    cfg->n_nodes = vt->min_nodes;
  }
  return TRUE;
}

/* ---- [<protocol>] --------------------------------------------------------*/


const ProtoKnob *
scn_knob_max_of (const ProtoVTable *vt, const ProtoKnob *lo)
{
  if ((lo->type != PROTO_KNOB_INT && lo->type != PROTO_KNOB_DURATION)
      || !g_str_has_suffix (lo->name, "_min"))
    return NULL;
  g_autofree char *hi_name = g_strdup (lo->name);
  strcpy (hi_name + strlen (hi_name) - 4, "_max");
  const ProtoKnob *hi = proto_knob_find (vt, hi_name);
  return hi != NULL && hi->type == lo->type ? hi : NULL;
}

void
scn_format_knob_value (const ProtoKnob *k, int64_t v, GString *out)
{
  if (k->type == PROTO_KNOB_DURATION)
    proto_format_duration (v, out);
  else
    g_string_printf (out, "%" G_GINT64_FORMAT, v);
}

static gboolean
parse_protocol_section (ScnParser *p)
{
  SimConfig *cfg = p->cfg;
  const ProtoVTable *vt = cfg->proto;
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, vt->name) != 0)
      continue;
    if (proto_knob_find (vt, e->key) == NULL) {
      g_autoptr (GPtrArray) names = g_ptr_array_new ();
      for (const ProtoKnob *k = vt->knobs; k != NULL && k->name != NULL; k++)
        g_ptr_array_add (names, (gpointer) k->name);
      g_ptr_array_add (names, NULL);
      if (names->len == 1)
        return scn_fail_entry (p, e, "unknown key; protocol %s has no knobs", vt->name);
      return scn_fail_unknown_key (p, e, (const char *const *) names->pdata);
    }
    g_autoptr (GError) knob_error = NULL;
    if (!proto_config_set (vt, cfg->proto_config, e->key, e->value, &knob_error))
      return scn_fail_entry (p, e, "%s", knob_error->message);
  }
  /* A knob pair NAME_min / NAME_max must not be reversed: refuse it rather
   * than let the protocol quietly swap or clamp it. */
  for (const ProtoKnob *lo = vt->knobs; lo != NULL && lo->name != NULL; lo++) {
    const ProtoKnob *hi = scn_knob_max_of (vt, lo);
    if (hi == NULL)
      continue;
    int64_t a, b;
    memcpy (&a, (const char *) cfg->proto_config + lo->offset, sizeof a);
    memcpy (&b, (const char *) cfg->proto_config + hi->offset, sizeof b);
    if (a <= b)
      continue;
    const ScnEntry *at = scn_find (p, vt->name, hi->name);
    if (at == NULL)
      at = scn_find (p, vt->name, lo->name);
    g_autoptr (GString) sa = g_string_new (NULL), sb = g_string_new (NULL);
    scn_format_knob_value (lo, a, sa);
    scn_format_knob_value (lo, b, sb);
    return scn_fail (p, at != NULL ? at->line : scn_section_line (p, vt->name), vt->name,
                     at != NULL ? at->key : NULL, "expected %s (%s) at most %s (%s)", lo->name,
                     sa->str, hi->name, sb->str);
  }
  return TRUE;
}

/* ---- [check] -------------------------------------------------------------*/

static const char *const check_keys[] = { "models", NULL };

static gboolean
parse_check_section (ScnParser *p)
{
  SimConfig *cfg = p->cfg;
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, "check") != 0)
      continue;
    if (scn_key_index (check_keys, e->key) < 0)
      return scn_fail_unknown_key (p, e, check_keys);
    g_auto (GStrv) words = g_strsplit_set (e->value, ", \t", -1);
    g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func (g_free);
    for (int w = 0; words[w] != NULL; w++) {
      if (words[w][0] == '\0')
        continue;
      if (scn_key_index (p->models, words[w]) < 0) {
        const char *near = scn_suggest (words[w], p->models);
        g_autoptr (GString) list = g_string_new (NULL);
        append_list (list, p->models);
        if (near != NULL)
          return scn_fail_entry (p, e, "unknown model '%s'; did you mean '%s'?", words[w], near);
        return scn_fail_entry (p, e, "unknown model '%s'; expected any of: %s", words[w],
                               list->str);
      }
      for (guint m = 0; m < models->len; m++)
        if (strcmp (models->pdata[m], words[w]) == 0)
          return scn_fail_entry (p, e, "model '%s' listed twice", words[w]);
      g_ptr_array_add (models, g_strdup (words[w]));
    }
    g_ptr_array_add (models, NULL);
    g_strfreev (cfg->check_models);
    cfg->check_models = (GStrv) g_ptr_array_free (g_steal_pointer (&models), FALSE);
  }
  return TRUE;
}

/* An expected model violation must be one the run checks. */
static gboolean
check_expectation (ScnParser *p)
{
  SimConfig *cfg = p->cfg;
  if (cfg->expect != SIM_EXPECT_VIOLATION || cfg->expect_what == NULL
      || g_str_has_prefix (cfg->expect_what, "invariant"))
    return TRUE;
  const ScnEntry *e = scn_find (p, "scenario", "expect");
  /* A measure reports numbers, never a violation: the run could not match. */
  if (strcmp (cfg->expect_what, "staleness") == 0)
    return scn_fail_entry (p, e, "staleness is a measure (numbers), never violated; expected "
                           "'violation MODEL' with a consistency model, or 'any'");
  if (g_strv_contains ((const char *const *) cfg->check_models, cfg->expect_what))
    return TRUE;
  return scn_fail_entry (p, e, "expects a %s violation, but [check] models does not list %s",
                         cfg->expect_what, cfg->expect_what);
}

/* ---- Sections and the whole file -----------------------------------------*/

static const char *const fixed_sections[] = {
  "scenario", "cluster", "network", "workload", "faults", "check", "fuzz", "explore", "replay",
  "deliveries", NULL,
};

static gboolean
check_section_names (ScnParser *p)
{
  const char *proto = p->cfg->proto->name;
  for (guint i = 0; i < p->sections->len; i++) {
    const ScnSection *s = p->sections->pdata[i];
    if (scn_key_index (fixed_sections, s->name) >= 0 || strcmp (s->name, proto) == 0
        || scn_is_link_section (s->name))
      continue;
    if (proto_find (s->name) != NULL)
      return scn_fail (p, s->line, s->name, NULL,
                       "knobs of protocol %s, but [cluster] protocol is %s; "
                       "expected [%s]", s->name, proto, proto);
    if (g_str_has_prefix (s->name, "link"))
      return scn_fail (p, s->line, s->name, NULL,
                       "expected a link such as [link n1->n2], [link n1<->n2] or [link * -> n3]");
    const char *names[G_N_ELEMENTS (fixed_sections) + 1];
    for (size_t k = 0; k + 1 < G_N_ELEMENTS (fixed_sections); k++)
      names[k] = fixed_sections[k];
    names[G_N_ELEMENTS (fixed_sections) - 1] = proto;
    names[G_N_ELEMENTS (fixed_sections)] = NULL;
    const char *near = scn_suggest (s->name, names);
    if (near != NULL)
      return scn_fail (p, s->line, s->name, NULL, "unknown section; did you mean [%s]?", near);
    return scn_fail (p, s->line, s->name, NULL,
                     "unknown section; expected [scenario], [cluster], [%s], [network], "
                     "[link A->B], [workload], [faults], [check], [fuzz], [explore], [replay] or "
                     "[deliveries]", proto);
  }
  return TRUE;
}

SimConfig *
sim_scenario_load_data (const char *name, const char *text, gsize len, GError **error)
{
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  g_free (cfg->path);
  cfg->path = g_strdup (name);
  g_autoptr (GPtrArray) sections = g_ptr_array_new_with_free_func (scn_section_free);
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func (scn_entry_free);
  /* The models [check] accepts are the checkers dsim has. */
  g_autoptr (GPtrArray) models = g_ptr_array_new ();
  for (const ChkChecker *c = chk_checkers (); c->name != NULL; c++)
    g_ptr_array_add (models, (gpointer) c->name);
  g_ptr_array_add (models, (gpointer) "staleness"); /* a measure (check.h) */
  g_ptr_array_add (models, NULL);
  g_autoptr (GHashTable) entry_index = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                              g_free, NULL);
  g_autoptr (GHashTable) section_index = g_hash_table_new (g_str_hash, g_str_equal);
  ScnParser parser = {
    .file = name, .cfg = cfg, .sections = sections, .entries = entries, .error = error,
    .models = (const char *const *) models->pdata,
    .entry_index = entry_index, .section_index = section_index,
  };
  ScnParser *p = &parser;
  if (!scn_scan (p, text, len) || !scn_read_values (p, text, len)
      || !parse_cluster_section (p) || !check_section_names (p)
      || !parse_scenario_section (p) || !parse_protocol_section (p)
      || !scn_parse_workload (p) || !scn_parse_network (p) || !scn_parse_links (p)
      || !scn_parse_faults (p) || !parse_check_section (p) || !check_expectation (p)
      || !scn_parse_fuzz (p)
      || !scn_parse_explore (p)
      || !scn_parse_deliveries (p))
    return NULL;
  return g_steal_pointer (&cfg);
}

gboolean
sim_scenario_read (const char *path, char **text, gsize *len, GError **error)
{
  g_autoptr (GError) io_error = NULL;
  if (!chk_read_input_file (path, "scenario", SIM_SCENARIO_MAX_BYTES, text, len, &io_error)) {
    const char *why = io_error->message;
    /* "cannot read PATH: why" -> "PATH: cannot read the scenario: why" */
    g_autofree char *prefix = g_strdup_printf ("cannot read %s: ", path);
    if (g_str_has_prefix (why, prefix))
      why += strlen (prefix);
    g_set_error (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_IO,
                 "%s: cannot read the scenario: %s", path, why);
    return FALSE;
  }
  return TRUE;
}

SimConfig *
sim_scenario_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!sim_scenario_read (path, &text, &len, error))
    return NULL;
  return sim_scenario_load_data (path, text, len, error);
}

void
sim_scenario_format_expect (const SimConfig *cfg, GString *out)
{
  switch (cfg->expect) {
  case SIM_EXPECT_ANY:
    g_string_append (out, "any");
    break;
  case SIM_EXPECT_PASS:
    g_string_append (out, "pass");
    break;
  case SIM_EXPECT_VIOLATION:
    g_string_append (out, "violation");
    if (cfg->expect_what != NULL)
      g_string_append_printf (out, " %s", cfg->expect_what);
    break;
  }
}
