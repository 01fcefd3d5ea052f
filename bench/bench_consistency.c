/* bench_consistency.c: times one consistency check on a history file.
 *
 *   bench_consistency FILE MODEL
 *
 * Prints one line: operations, model, verdict, seconds to load the file
 * and pair operations (CPU), seconds for the check alone (wall clock and
 * CPU: on a busy machine the CPU time is the steadier number), and the
 * process's peak resident memory (VmHWM) in MiB. */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "checkers/consistency.h"

static long
peak_rss_kib (void)
{
  FILE *f = fopen ("/proc/self/status", "r");
  if (f == NULL)
    return -1;
  char line[256];
  long kib = -1;
  while (fgets (line, sizeof line, f) != NULL)
    if (strncmp (line, "VmHWM:", 6) == 0)
      kib = strtol (line + 6, NULL, 10);
  fclose (f);
  return kib;
}

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: bench_consistency FILE MODEL\n");
    return 2;
  }
  ChkModel model;
  if (!chk_model_from_name (argv[2], &model)) {
    fprintf (stderr, "bench_consistency: no model '%s'\n", argv[2]);
    return 2;
  }
  g_autoptr (GError) error = NULL;
  double c0 = cpu_seconds ();
  g_autoptr (ChkHistory) h = chk_history_load (argv[1], CHK_FORMAT_AUTO, &error);
  g_autoptr (GArray) ops = h != NULL ? chk_history_ops (h, &error) : NULL;
  if (ops == NULL) {
    fprintf (stderr, "bench_consistency: %s\n", error->message);
    return 2;
  }
  double c1 = cpu_seconds ();
  gint64 t1 = g_get_monotonic_time ();
  g_autoptr (ChkConsResult) r = chk_consistency_check (h, ops, model, NULL, &error);
  gint64 t2 = g_get_monotonic_time ();
  double c2 = cpu_seconds ();
  if (r == NULL) {
    fprintf (stderr, "bench_consistency: %s\n", error->message);
    return 2;
  }
  printf ("%8u  %-20s %-9s %10.3f %8.3f %10.3f %8.1f\n", ops->len, chk_model_name (model),
          chk_verdict_name (r->verdict), c1 - c0, (t2 - t1) / 1e6, c2 - c1,
          peak_rss_kib () / 1024.0);
  return 0;
}
