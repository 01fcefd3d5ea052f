/* test_cli_fuzz.c: mutation fuzzing of dsim's command-line arguments.
 *
 * Real command lines of every subcommand (check, run, trace, list, models)
 * are mutated: an argument replaced by a nasty one (a sign, an overflowing
 * size, a FIFO-like device, an unwritable path, invalid UTF-8, a very long
 * word), deleted, duplicated or swapped, an option inserted.  Each variant
 * runs the dsim binary under a memory limit (ulimit -v, or ASan's RSS
 * limit) and a time limit.  It must exit 0, 1, 2 or 3, never by a signal
 * or a limit; exit 2 comes with a "dsim: " message on stderr; a sanitizer
 * report is a failure.
 *
 * `quick` (fast suite, also under ASan) and `long` (slow suite) differ only
 * in the number of variants; the mutations come from a fixed Pcg32 seed. */
#include <criterion/criterion.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "protocols/pcg32.h"
#include "tests/support.h"

#define CASE_SECONDS 120
#define CASE_MEMORY_MB 2048

static const char *const nasty[] = {
  "", "-", "--", "-1", "0", "1", "18446744073709551615", "18446744073709551616",
  "17179869185G", "1K", "4G", "-4G", "1e309", "nan", "0s", "-5s", "1us", "99999h",
  "/dev/zero", "/dev/full", "/dev/null", "/nonexistent/dir/file", ".", "\xff\xfe",
  "--help", "-h", "--model=all", "--max-memory=1K", "--timeout=0", "--max-events=1",
  "--format=json", "--seed=18446744073709551615", "--quiet", "--no-split", "--jobs=1024",
  "all", "linearizable,sequential", "register", "kv", "edn", "porcupine-etcd", "svg", "png",
  "shiviz", "logical", "n1,n2,c1", "n99", ",", "=", "--out", "--trace", "--diagram",
};

static const char *const options[] = {
  "--model", "--kind", "--format", "--timeout", "--max-memory", "--input-format", "--jobs",
  "--diagram", "--seed", "--max-events", "--out", "--trace", "--history", "--time", "--from",
  "--to", "--nodes", "-o", "--quiescent-after", "--no-split", "-q",
};

/* The command lines the mutations start from; "@T" is the temporary folder. */
static const char *const *const bases[] = {
  (const char *const[]) { "check", "tests/data/histories/info-cannot-explain.edn", NULL },
  (const char *const[]) { "check", "tests/data/consistency/answer-before-question.edn",
                          "--model", "all", NULL },
  (const char *const[]) { "check", "tests/data/histories/independent.edn", "--format", "json",
                          "--timeout", "2s", "--max-memory", "64M", NULL },
  (const char *const[]) { "check", "tests/data/histories/hostile/cas-violation.edn",
                          "--model", "linearizable,sequential", "--diagram", "@T/d.svg", NULL },
  (const char *const[]) { "run", "tests/data/scenarios/good/minimal.scn", "-q", NULL },
  (const char *const[]) { "run", "scenarios/pb/healthy.scn", "--seed", "7", "--out", "@T/run",
                          "--max-events", "100000", NULL },
  (const char *const[]) { "run", "scenarios/default.scn", "--trace", "@T/t.jsonl",
                          "--history", "@T/h.jsonl", "-q", NULL },
  (const char *const[]) { "trace", "tests/data/traces/raft-small.jsonl", "-o", "@T/x.svg", NULL },
  (const char *const[]) { "trace", "tests/data/traces/hostile/int64-max-time.jsonl", "-o", "-",
                          "--format", "shiviz", "--time", "logical", NULL },
  (const char *const[]) { "list", NULL },
  (const char *const[]) { "models", NULL },
};

static char *
expand (const char *arg, const char *tmp)
{
  if (g_str_has_prefix (arg, "@T/"))
    return g_build_filename (tmp, arg + 3, NULL);
  if (g_str_has_prefix (arg, "tests/") || g_str_has_prefix (arg, "scenarios/"))
    return test_source_path (arg);
  return g_strdup (arg);
}

static void
mutate (GPtrArray *args, Pcg32 *rng)
{
  guint n = args->len;
  guint i = 1 + (n > 1 ? pcg32_below (rng, n - 1) : 0); /* never the subcommand */
  switch (pcg32_below (rng, 6)) {
  case 0:
  case 1: /* replace */
    if (i < n) {
      g_free (args->pdata[i]);
      args->pdata[i] = g_strdup (nasty[pcg32_below (rng, G_N_ELEMENTS (nasty))]);
    }
    break;
  case 2: /* delete */
    if (i < n)
      g_ptr_array_remove_index (args, i);
    break;
  case 3: /* duplicate */
    if (i < n)
      g_ptr_array_insert (args, (gint) i, g_strdup (args->pdata[i]));
    break;
  case 4: { /* insert an option with a nasty value */
    guint at = MIN (i, args->len);
    g_ptr_array_insert (args, (gint) at,
                        g_strdup (nasty[pcg32_below (rng, G_N_ELEMENTS (nasty))]));
    g_ptr_array_insert (args, (gint) at,
                        g_strdup (options[pcg32_below (rng, G_N_ELEMENTS (options))]));
    break;
  }
  default: { /* swap, or a very long word */
    guint j = 1 + (n > 1 ? pcg32_below (rng, n - 1) : 0);
    if (i < n && j < n && i != j) {
      gpointer t = args->pdata[i];
      args->pdata[i] = args->pdata[j];
      args->pdata[j] = t;
    } else if (i < n) {
      g_free (args->pdata[i]);
      args->pdata[i] = g_strnfill (20000, 'x');
    }
  }
  }
}

static void
fuzz (guint variants)
{
  const char *exe = g_getenv ("DSIM_EXE");
  cr_assert_not_null (exe);
  g_autofree char *tmp = g_dir_make_tmp ("dsim-cli-fuzz-XXXXXX", NULL);
  Pcg32 rng;
  pcg32_seed (&rng, 20261129, 17);
  guint by_code[4] = { 0 };
  for (guint v = 0; v < variants; v++) {
    const char *const *base = bases[v % G_N_ELEMENTS (bases)];
    g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
    for (int k = 0; base[k] != NULL; k++)
      g_ptr_array_add (args, expand (base[k], tmp));
    guint n_mut = 1 + pcg32_below (&rng, 2);
    for (guint m = 0; m < n_mut; m++)
      mutate (args, &rng);
    g_autoptr (GPtrArray) argv = test_limited_argv (CASE_MEMORY_MB, CASE_SECONDS);
    g_ptr_array_add (argv, g_strdup (exe));
    g_autoptr (GString) shown = g_string_new ("dsim");
    for (guint k = 0; k < args->len; k++) {
      g_ptr_array_add (argv, g_strdup (args->pdata[k]));
      g_autofree char *valid = g_utf8_make_valid (args->pdata[k], -1);
      g_string_append_printf (shown, " '%.60s'", valid);
    }
    g_ptr_array_add (argv, NULL);
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    g_autoptr (GError) error = NULL;
    cr_assert (g_spawn_sync (tmp, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                             &out, &err, &status, &error), "%s", error ? error->message : "");
    cr_assert (WIFEXITED (status), "variant %u: %s: killed by signal %d (time or memory "
               "limit, or a crash)\n%s", v, shown->str, WTERMSIG (status), err);
    int rc = WEXITSTATUS (status);
    cr_assert (rc >= 0 && rc <= 3, "variant %u: %s: exit %d\n%s", v, shown->str, rc, err);
    cr_assert (strstr (err, "Sanitizer") == NULL && strstr (err, "runtime error") == NULL,
               "variant %u: %s\n%s", v, shown->str, err);
    if (rc == 2)
      cr_assert (strstr (err, "dsim: ") != NULL, "variant %u: %s: exit 2 without a message",
                 v, shown->str);
    by_code[rc]++;
    /* Keep the folder small: remove what the run wrote. */
    g_autofree char *rm = g_strdup_printf ("rm -rf '%s'/*", tmp);
    cr_assert_eq (system (rm), 0);
  }
  g_rmdir (tmp);
  cr_log_info ("%u command lines: %u exit 0, %u exit 1, %u exit 2, %u exit 3", variants,
               by_code[0], by_code[1], by_code[2], by_code[3]);
  cr_expect_gt (by_code[2], 0, "no mutation was refused");
  cr_expect_gt (by_code[0] + by_code[1] + by_code[3], 0, "every mutation was refused");
}

Test (cli_fuzz, quick, .timeout = 600)
{
  fuzz (60);
}

Test (cli_fuzz, long, .timeout = 3600)
{
  fuzz (1500);
}
