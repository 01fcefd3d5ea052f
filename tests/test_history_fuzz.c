/* test_history_fuzz.c: mutation fuzzing of the history and trace loaders.
 *
 * Real inputs (tests/data/ histories, consistency catalog EDN files,
 * traces, and a few Porcupine logs from ../shared when present) are
 * mutated: byte flips, deletions, insertions of structural characters and
 * digits, truncations, duplicated and swapped lines, huge numbers and deep
 * nesting.  Each history variant is loaded with its own format forced and
 * with detection; it either loads or fails with an error that starts with
 * "NAME:LINE:".  A history that loads goes through chk_history_ops and, when
 * that succeeds, the linearizability checker with a small memory cap and a
 * state-bounded consistency checker; they must return.  Trace variants go
 * through sim_trace_viz_load_data under the same rule.
 *
 * `quick` (fast suite, also under ASan) and `long` (slow suite) differ only
 * in the number of variants; the mutations come from a fixed Pcg32 seed. */
#include <criterion/criterion.h>
#include <string.h>

#include "checkers/check.h"
#include "checkers/linearizable.h"
#include "protocols/pcg32.h"
#include "sim/trace_viz.h"
#include "tests/support.h"
#include "viz/shiviz.h"
#include "viz/spacetime.h"

/* Variants of the quick tests; the long ones run ten times more. */
#ifndef HISTORY_FUZZ_QUICK
#define HISTORY_FUZZ_QUICK 40000
#endif
#ifndef TRACE_FUZZ_QUICK
#define TRACE_FUZZ_QUICK 40000
#endif

typedef struct {
  char *name;       /* "fuzz.edn", ... : the name errors must start with */
  ChkFormat format; /* the seed's own format */
  GBytes *data;
} Seed;

static void
seed_free (Seed *s)
{
  g_free (s->name);
  g_bytes_unref (s->data);
  g_free (s);
}

static void
add_seed (GPtrArray *out, const char *path, const char *name, ChkFormat format)
{
  char *text = NULL;
  gsize len = 0;
  cr_assert (g_file_get_contents (path, &text, &len, NULL), "cannot read %s", path);
  Seed *s = g_new0 (Seed, 1);
  s->name = g_strdup (name);
  s->format = format;
  s->data = g_bytes_new_take (text, len);
  g_ptr_array_add (out, s);
}

static gint
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Every file of rel_dir (under the source root) ending in ext. */
static void
add_dir (GPtrArray *out, const char *rel_dir, const char *ext, ChkFormat format)
{
  g_autofree char *dir = test_source_path (rel_dir);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  cr_assert_not_null (d, "cannot open %s", dir);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *n;
  while ((n = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (n, ext))
      g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, cmp_names); /* sorted: deterministic */
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
    add_seed (out, path, format == CHK_FORMAT_EDN ? "fuzz.edn" : "fuzz.jsonl", format);
  }
}

static GPtrArray *
history_seeds (void)
{
  GPtrArray *seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) seed_free);
  add_dir (seeds, "tests/data/histories", ".jsonl", CHK_FORMAT_JSONL);
  add_dir (seeds, "tests/data/histories", ".edn", CHK_FORMAT_EDN);
  add_dir (seeds, "tests/data/consistency", ".edn", CHK_FORMAT_EDN);
  add_dir (seeds, "tests/data/models", ".edn", CHK_FORMAT_EDN);
  add_dir (seeds, "tests/data/models", ".jsonl", CHK_FORMAT_JSONL);
  static const struct {
    const char *rel;
    ChkFormat format;
  } shared[] = {
    { "corpus/porcupine/jepsen/etcd_000.log", CHK_FORMAT_PORCUPINE_ETCD },
    { "corpus/porcupine/jepsen/etcd_001.log", CHK_FORMAT_PORCUPINE_ETCD },
    { "corpus/porcupine/kv/c01-ok.txt", CHK_FORMAT_PORCUPINE_KV },
    { "corpus/porcupine/kv/c01-bad.txt", CHK_FORMAT_PORCUPINE_KV },
  };
  for (guint i = 0; i < G_N_ELEMENTS (shared); i++) {
    g_autofree char *path = test_shared_path (shared[i].rel, "history fuzz Porcupine seeds");
    if (path == NULL)
      break;
    if (g_file_test (path, G_FILE_TEST_EXISTS))
      add_seed (seeds, path, "fuzz.log", shared[i].format);
  }
  return seeds;
}

static const char *const tokens[] = {
  "{", "}", "[", "]", "(", ")", "\"", ":", ",", "\\", "#", "#_", "#{", "#inst ", ";", "\n",
  "0", "1", "7", "-", "-1", "1N", "1.5", "1e309", "99999999999999999999",
  "-9223372036854775809", "9223372036854775807", "\\u0000", "\\ud800", "\xff", "\xc3",
  " nil", " null", "true", ":ok", ":fail", ":info", ":invoke", ":cas", ":read", ":write",
  ":process", ":value", ":key", ":type", ":f", "\"process\":", "\"type\":\"ok\"",
  "\"value\":[1,2]", "\"f\":\"cas\"", "[1 2]", "[1 [2 3]]", ":nemesis", "INFO  jepsen.util - ",
  "\"time\":-5", "\"final\":true", "\"mismatch\":true",
  /* values that must stay apart, keys that must match, times that go back */
  "\"true\"", "\":ok\"", "\"a\\u0000b\"", "\"\\udc00\"", ":true", "\"key\":\"y\"",
  "\"key\":7", ":key :x", ":key \":x\"", "\"time\":0", "\"time\":9223372036854775807",
  ":time 0", "\xe2\x82", "\xed\xa0\x80",
};

static void
insert_at (GByteArray *b, guint at, const char *t, gsize n)
{
  GByteArray *rest = g_byte_array_new ();
  g_byte_array_append (rest, b->data + at, b->len - at);
  g_byte_array_set_size (b, at);
  g_byte_array_append (b, (const guint8 *) t, (guint) n);
  g_byte_array_append (b, rest->data, rest->len);
  g_byte_array_unref (rest);
}

/* The [start, end) of every line of b. */
static GArray *
line_starts (const GByteArray *b)
{
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (guint));
  guint s = 0;
  g_array_append_val (starts, s);
  for (guint i = 0; i < b->len; i++)
    if (b->data[i] == '\n') {
      guint n = i + 1;
      g_array_append_val (starts, n);
    }
  guint end = b->len;
  g_array_append_val (starts, end);
  return starts;
}

static void
mutate (GByteArray *b, Pcg32 *rng)
{
  guint kind = pcg32_below (rng, 10);
  guint at = b->len > 0 ? pcg32_below (rng, b->len + 1) : 0;
  switch (kind) {
  case 0: /* byte flip */
    if (at < b->len)
      b->data[at] = (guint8) pcg32_next (rng);
    return;
  case 1: /* truncation */
    g_byte_array_set_size (b, at);
    return;
  case 2: /* deletion of a few bytes */
    if (at < b->len) {
      guint n = 1 + pcg32_below (rng, 8); /* not inside MIN: it evaluates twice */
      g_byte_array_remove_range (b, at, MIN (b->len - at, n));
    }
    return;
  case 3:
  case 4: { /* token insertion */
    const char *t = tokens[pcg32_below (rng, G_N_ELEMENTS (tokens))];
    insert_at (b, at, t, strlen (t));
    return;
  }
  case 5: { /* deep nesting, or a long run of a structural token */
    static const char *const deep[] = { "[", "[", "(", "{", "#{", "#_", "#_1 ", "#a ", ":", "\"" };
    const char *t = deep[pcg32_below (rng, G_N_ELEMENTS (deep))];
    guint pick = pcg32_below (rng, 16);
    guint reps = pick == 0 && pcg32_below (rng, 16) == 0 ? 200000 : pick < 8 ? 10000 : 150 + pcg32_below (rng, 100);
    g_autoptr (GString) run = g_string_new (NULL);
    for (guint k = 0; k < reps; k++)
      g_string_append (run, t);
    insert_at (b, at, run->str, run->len);
    return;
  }
  case 6: { /* a huge number */
    guint n = 18 + pcg32_below (rng, 40);
    g_autofree char *digits = g_malloc (n);
    for (guint i = 0; i < n; i++)
      digits[i] = (char) ('0' + pcg32_below (rng, 10));
    insert_at (b, at, digits, n);
    return;
  }
  default: { /* line duplication, deletion, swap */
    g_autoptr (GArray) st = line_starts (b);
    guint n = st->len - 1;
    guint i = pcg32_below (rng, n), j = pcg32_below (rng, n);
    guint is = g_array_index (st, guint, i), ie = g_array_index (st, guint, i + 1);
    g_autofree char *li = g_strndup ((const char *) b->data + is, ie - is);
    gsize li_len = ie - is;
    if (kind == 7) {
      insert_at (b, g_array_index (st, guint, j), li, li_len);
    } else if (kind == 8) {
      g_byte_array_remove_range (b, is, ie - is);
    } else if (i != j) { /* swap lines i < j */
      if (i > j) {
        guint t = i;
        i = j;
        j = t;
        is = g_array_index (st, guint, i);
        ie = g_array_index (st, guint, i + 1);
      }
      guint js = g_array_index (st, guint, j), je = g_array_index (st, guint, j + 1);
      g_autoptr (GByteArray) out = g_byte_array_new ();
      g_byte_array_append (out, b->data, is);
      g_byte_array_append (out, b->data + js, je - js);
      g_byte_array_append (out, b->data + ie, js - ie);
      g_byte_array_append (out, b->data + is, ie - is);
      g_byte_array_append (out, b->data + je, b->len - je);
      g_byte_array_set_size (b, 0);
      g_byte_array_append (b, out->data, out->len);
    }
  }
  }
}

/* The seed's bytes with one to three mutations. */
static GByteArray *
mutated_copy (const Seed *s, Pcg32 *rng)
{
  gsize len = 0;
  const guint8 *d = g_bytes_get_data (s->data, &len);
  GByteArray *b = g_byte_array_new ();
  g_byte_array_append (b, d, (guint) len);
  guint n_mut = 1 + pcg32_below (rng, 3);
  for (guint m = 0; m < n_mut; m++)
    mutate (b, rng);
  return b;
}

/* "NAME:LINE:" with LINE a positive number. */
static gboolean
has_line_prefix (const char *msg, const char *name)
{
  gsize n = strlen (name);
  if (strncmp (msg, name, n) != 0 || msg[n] != ':')
    return FALSE;
  const char *p = msg + n + 1;
  if (!g_ascii_isdigit (*p) || *p == '0')
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  return *p == ':';
}

/* The checks on a loaded history must return, with a report or an error. */
static void
check_loaded (const ChkHistory *h, guint v)
{
  GError *error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  if (ops == NULL) {
    cr_assert_not_null (error, "variant %u: chk_history_ops NULL without an error", v);
    g_error_free (error);
    return;
  }
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.memory_limit_bytes = 256 * 1024;
  opt.max_states = 2000;
  const ChkChecker *checkers = chk_checkers ();
  guint n_checkers = 0;
  while (checkers[n_checkers].name != NULL)
    n_checkers++;
  /* Linearizability always; one of the other models in turn. */
  const ChkChecker *picked[] = { chk_checker_find ("linearizable"),
                                 &checkers[1 + v % (n_checkers - 1)] };
  for (guint c = 0; c < G_N_ELEMENTS (picked); c++) {
    g_autoptr (ChkReport) r = chk_checker_run (picked[c], h, ops, &opt, &error);
    if (r == NULL) {
      cr_assert_not_null (error, "variant %u: %s NULL without an error", v, picked[c]->name);
      g_clear_error (&error);
    }
  }
}

static void
fuzz_histories (guint variants)
{
  test_limit_memory ((gsize) 3 << 30);
  g_autoptr (GPtrArray) seeds = history_seeds ();
  cr_assert_geq (seeds->len, 20);
  Pcg32 rng;
  pcg32_seed (&rng, 20261125, 11);
  guint loaded = 0, rejected = 0, capped = 0;
  for (guint v = 0; v < variants; v++) {
    const Seed *s = seeds->pdata[v % seeds->len];
    g_autoptr (GByteArray) b = mutated_copy (s, &rng);
    guint own_len = G_MAXUINT; /* the history in its own format, if it loads */
    const ChkFormat formats[] = { s->format, CHK_FORMAT_AUTO };
    for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
      GError *error = NULL;
      g_autoptr (ChkHistory) h = chk_history_load_data (s->name, (const char *) b->data, b->len,
                                                        formats[f], &error);
      if (h == NULL) {
        cr_assert_not_null (error, "variant %u: NULL without an error", v);
        cr_assert (has_line_prefix (error->message, s->name), "variant %u (%s): '%s' lacks '%s:LINE:'",
                   v, chk_format_name (formats[f]), error->message, s->name);
        g_error_free (error);
        rejected++;
        continue;
      }
      cr_assert_null (error);
      loaded++;
      if (f == 0)
        own_len = chk_history_len (h);
      check_loaded (h, v);
    }
    /* Under a memory cap the loader gives the same history, or stops with
     * a limit error that names the line: never more memory, never a guess. */
    if (v % 32 == 0) {
      gsize cap = 1 + pcg32_below (&rng, (guint) MIN ((gsize) b->len * 16 + 64, G_MAXUINT32));
      GError *error = NULL;
      g_autoptr (ChkHistory) limited = chk_history_load_data_limited (
        s->name, (const char *) b->data, b->len, s->format, cap, &error);
      if (limited != NULL) {
        cr_assert_neq (own_len, G_MAXUINT, "variant %u: loads only under a cap", v);
        cr_assert_eq (chk_history_len (limited), own_len);
      } else if (g_error_matches (error, CHK_ERROR, CHK_ERROR_LIMIT)) {
        cr_assert (has_line_prefix (error->message, s->name), "variant %u: '%s'", v,
                   error->message);
        capped++;
      }
      g_clear_error (&error);
    }
  }
  cr_log_info ("%u history variants, twice: %u loaded, %u rejected with a line, %u stopped by "
               "a memory cap", variants, loaded, rejected, capped);
  cr_expect_gt (capped, 0, "the memory cap was never reached");
  cr_expect_gt (loaded, variants / 20, "mutations too destructive to test the loaded path");
  cr_expect_gt (rejected, variants / 20, "mutations never produced an error");
}

/* A loaded trace is drawn, as dsim trace would: every format and axis must
 * return (a diagram or an error), whatever the times and lanes. */
static void
draw_loaded (const VizModel *m, guint v)
{
  VizSpacetimeOptions opt;
  viz_spacetime_options_init (&opt);
  opt.axis = v % 2 ? VIZ_TIME_LOGICAL : VIZ_TIME_VIRTUAL;
  GError *error = NULL;
  char *dot = viz_spacetime_dot (m, &opt, &error);
  cr_assert (dot != NULL || error != NULL, "trace variant %u: no diagram and no error", v);
  g_free (dot);
  g_clear_error (&error);
  char *log = viz_shiviz_log (m, &opt, &error);
  cr_assert (log != NULL || error != NULL, "trace variant %u: no log and no error", v);
  g_free (log);
  g_clear_error (&error);
}

static void
fuzz_traces (guint variants)
{
  test_limit_memory ((gsize) 3 << 30);
  g_autoptr (GPtrArray) seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) seed_free);
  add_dir (seeds, "tests/data/traces", ".jsonl", CHK_FORMAT_JSONL);
  add_dir (seeds, "tests/data/traces/hostile", ".jsonl", CHK_FORMAT_JSONL);
  cr_assert_geq (seeds->len, 4);
  Pcg32 rng;
  pcg32_seed (&rng, 20261125, 13);
  guint loaded = 0;
  for (guint v = 0; v < variants; v++) {
    const Seed *s = seeds->pdata[v % seeds->len];
    g_autoptr (GByteArray) b = mutated_copy (s, &rng);
    GError *error = NULL;
    g_autoptr (VizModel) m = sim_trace_viz_load_data (s->name, (const char *) b->data, b->len,
                                                      &error);
    if (m == NULL) {
      cr_assert_not_null (error, "trace variant %u: NULL without an error", v);
      cr_assert (has_line_prefix (error->message, s->name), "trace variant %u: '%s' lacks '%s:LINE:'",
                 v, error->message, s->name);
      g_error_free (error);
      continue;
    }
    cr_assert_null (error);
    loaded++;
    if (loaded % 32 == 0)
      draw_loaded (m, v);
  }
  cr_log_info ("%u trace variants: %u loaded", variants, loaded);
  cr_expect_gt (loaded, variants / 50, "mutations too destructive to test the loaded path");
  cr_expect_lt (loaded, variants, "mutations never produced an error");
}

/* Inputs the fuzz found crashing, kept as they were reduced. */
Test (history_fuzz, regressions)
{
  /* 100,000 discards in a row: the EDN reader recursed once per "#_" and
   * overflowed the stack. */
  g_autoptr (GString) edn = g_string_new (NULL);
  for (guint k = 0; k < 100000; k++)
    g_string_append (edn, "#_1 ");
  g_string_append (edn, "[{:process 0 :type :invoke :f :read :value nil}]");
  GError *error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load_data ("fuzz.edn", edn->str, edn->len,
                                                    CHK_FORMAT_EDN, &error);
  cr_assert_not_null (h, "%s", error != NULL ? error->message : "");
  cr_assert_eq (chk_history_len (h), 1);

  /* A NUL byte in a Porcupine etcd line: the line was split into fewer
   * words than the reader had walked, and the fields were read past the
   * end of the word array. */
  static const char etcd[] = "I\0FO  jepsen.util - 16\t:invoke\t:read\tnil\n";
  g_autoptr (ChkHistory) e = chk_history_load_data ("fuzz.log", etcd, sizeof etcd - 1,
                                                    CHK_FORMAT_PORCUPINE_ETCD, &error);
  cr_assert_not_null (e, "%s", error != NULL ? error->message : "");
  cr_assert_eq (chk_history_len (e), 1);
  cr_assert_eq (chk_history_event (e, 0).process, 16);
}

Test (history_fuzz, quick, .timeout = 300)
{
  fuzz_histories (HISTORY_FUZZ_QUICK);
}

Test (history_fuzz, long, .timeout = 600)
{
  fuzz_histories (HISTORY_FUZZ_QUICK * 10);
}

Test (trace_fuzz, quick, .timeout = 300)
{
  fuzz_traces (TRACE_FUZZ_QUICK);
}

Test (trace_fuzz, long, .timeout = 600)
{
  fuzz_traces (TRACE_FUZZ_QUICK * 10);
}
