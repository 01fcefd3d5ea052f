/* support.c: helpers shared by the test suites. */
#include "tests/support.h"

#include <sys/resource.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

char *
test_source_path (const char *rel)
{
  const char *root = g_getenv ("DSIM_SOURCE_ROOT");
  return g_build_filename (root != NULL ? root : ".", rel, NULL);
}

char *
test_shared_path (const char *rel, const char *what)
{
  const char *shared = g_getenv ("DSIM_SHARED");
  g_autofree char *root = shared != NULL ? g_strdup (shared) : test_source_path ("../shared");
  char *path = g_build_filename (root, rel, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    fprintf (stderr, "SKIPPED: %s: %s not found (../shared is absent)\n", what, path);
    g_free (path);
    return NULL;
  }
  return path;
}

int
test_run_dsim (const char *const *args, char **out, char **err)
{
  const char *exe = g_getenv ("DSIM_EXE");
  g_assert (exe != NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) exe);
  for (int i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status = 0;
  g_autoptr (GError) error = NULL;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     out, err, &status, &error))
    g_error ("cannot run %s: %s", exe, error->message);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + WTERMSIG (status);
}

static void
collect_scenario_files (const char *dir, GPtrArray *out)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      collect_scenario_files (path, out);
    else if (g_str_has_suffix (path, ".scn"))
      g_ptr_array_add (out, g_steal_pointer (&path));
  }
}

GPtrArray *
test_scenario_files (const char *rel_dir)
{
  g_autofree char *root = test_source_path (rel_dir);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  collect_scenario_files (root, out);
  return out;
}

gboolean
test_golden_check (const char *text, const char *rel, char **why)
{
  g_autofree char *path = test_source_path (rel);
  *why = NULL;
  if (g_getenv ("DSIM_UPDATE_GOLDEN") != NULL)
    return g_file_set_contents (path, text, -1, NULL);
  g_autofree char *golden = NULL;
  if (!g_file_get_contents (path, &golden, NULL, NULL)) {
    *why = g_strdup_printf ("cannot read %s", path);
    return FALSE;
  }
  if (strcmp (golden, text) == 0)
    return TRUE;
  g_autofree char *got = g_strconcat (path, ".got", NULL);
  g_file_set_contents (got, text, -1, NULL);
  *why = g_strdup_printf ("%s differs from the output (written to %s; diff them)", rel, got);
  return FALSE;
}

static void
verdict_row_free (TestVerdictRow *row)
{
  g_free (row->file);
  g_free (row->path);
  g_free (row->expected);
  g_free (row);
}

GPtrArray *
test_porcupine_verdicts (const char *what)
{
  g_autofree char *tsv_path = test_shared_path ("corpus/porcupine/VERDICTS.tsv", what);
  if (tsv_path == NULL)
    return NULL;
  g_autofree char *tsv = NULL;
  g_assert (g_file_get_contents (tsv_path, &tsv, NULL, NULL));
  g_autofree char *root = g_path_get_dirname (tsv_path);
  g_auto (GStrv) lines = g_strsplit (tsv, "\n", 0);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) verdict_row_free);
  for (int k = 1; lines[k] != NULL; k++) {
    g_auto (GStrv) f = g_strsplit (lines[k], "\t", 0);
    if (g_strv_length (f) < 3)
      continue;
    TestVerdictRow *row = g_new0 (TestVerdictRow, 1);
    row->file = g_strdup (f[0]);
    row->path = g_build_filename (root, f[0], NULL);
    row->expected = g_strdup (f[1]);
    row->ops = (guint) g_ascii_strtoull (f[2], NULL, 10);
    g_ptr_array_add (rows, row);
  }
  return rows;
}

gboolean
test_limit_memory (gsize bytes)
{
#if defined(__SANITIZE_ADDRESS__)
  (void) bytes;
  return FALSE;
#else
  struct rlimit rl = { .rlim_cur = bytes, .rlim_max = bytes };
  struct rlimit old;
  if (getrlimit (RLIMIT_AS, &old) == 0 && old.rlim_max != RLIM_INFINITY && old.rlim_max < bytes)
    rl.rlim_cur = rl.rlim_max = old.rlim_max;
  return setrlimit (RLIMIT_AS, &rl) == 0;
#endif
}

GPtrArray *
test_limited_argv (guint memory_mb, guint seconds)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup ("sh"));
  g_ptr_array_add (argv, g_strdup ("-c"));
#if defined(__SANITIZE_ADDRESS__)
  g_ptr_array_add (argv, g_strdup_printf (
    "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=%u\" "
    "ulimit -t %u; exec \"$@\"", memory_mb, seconds));
#else
  g_ptr_array_add (argv, g_strdup_printf ("ulimit -v %u; ulimit -t %u; exec \"$@\"",
                                          memory_mb * 1024, seconds));
#endif
  g_ptr_array_add (argv, g_strdup ("limited"));
  return argv;
}
