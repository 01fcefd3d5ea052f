/* support.c: helpers shared by the test suites. */
#include "tests/support.h"

#include <stdio.h>
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
