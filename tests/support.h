/* support.h: small helpers shared by the test suites. */
#pragma once

#include <glib.h>

/* $DSIM_SOURCE_ROOT/rel (the project's top folder when unset: "."). */
char *test_source_path (const char *rel);
/* $DSIM_SHARED/rel, or NULL if ../shared is absent; in that case prints a
 * loud "SKIPPED: ... (../shared is absent)" line to stderr, naming `what`. */
char *test_shared_path (const char *rel, const char *what);

/* Runs the dsim binary ($DSIM_EXE) with argv (NULL-terminated, without
 * "dsim"), captures stdout and stderr, returns the exit status. */
int test_run_dsim (const char *const *args, char **out, char **err);

/* Every *.scn file under $DSIM_SOURCE_ROOT/rel_dir, recursively, as full
 * paths in sorted order (a GPtrArray of char*, owned). */
GPtrArray *test_scenario_files (const char *rel_dir);

/* Compares text with the golden file rel (under $DSIM_SOURCE_ROOT) byte for
 * byte.  With DSIM_UPDATE_GOLDEN=1 in the environment it rewrites the file
 * instead (review the diff before committing it).  On a difference it
 * writes the text beside it as rel.got and returns FALSE with *why (g_free)
 * saying where to look. */
gboolean test_golden_check (const char *text, const char *rel, char **why);

/* One row of Porcupine's VERDICTS.tsv. */
typedef struct {
  char *file;     /* relative to the corpus: "jepsen/etcd_000.log" */
  char *path;     /* full path */
  char *expected; /* "ok" or "illegal" */
  guint ops;      /* operations, as Porcupine counts them */
} TestVerdictRow;

/* The rows of ../shared/corpus/porcupine/VERDICTS.tsv (a GPtrArray of
 * TestVerdictRow*, owned), or NULL with a loud SKIPPED line naming `what`
 * if ../shared is absent. */
GPtrArray *test_porcupine_verdicts (const char *what);

/* Caps this test process's address space at `bytes` (setrlimit RLIMIT_AS),
 * so a fuzz case that grows without bound fails instead of taking the
 * machine.  Under AddressSanitizer (which reserves terabytes of shadow
 * address space) it does nothing and returns FALSE; the sanitizer's own
 * allocation checks apply there. */
gboolean test_limit_memory (gsize bytes);

/* The shell prefix that runs a command with a memory limit (ulimit -v, or
 * ASan's hard_rss_limit_mb under AddressSanitizer) and a CPU-time limit
 * (ulimit -t: the process's own CPU seconds, so a loaded machine does not
 * trip it): argv for g_spawn with the command appended. */
GPtrArray *test_limited_argv (guint memory_mb, guint seconds);
