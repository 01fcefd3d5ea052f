/* bench_two_atomic.c: time of the 2-atomicity decision alone
 * (checkers/two_atomic.c) on each history file given: operations,
 * verdict, search states, CPU seconds. */
#include <stdio.h>
#include <time.h>

#include "checkers/check.h"
#include "checkers/two_atomic.h"

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts); /* dsim-allow-nondeterminism: benchmark timing */
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  int status = 0;
  printf ("%-40s %8s %10s %10s %8s\n", "history", "ops", "2-atomic", "states", "cpu s");
  for (int i = 1; i < argc; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkHistory) h = chk_history_load (argv[i], CHK_FORMAT_AUTO, &error);
    g_autoptr (GArray) ops = h != NULL ? chk_history_ops (h, &error) : NULL;
    if (ops == NULL) {
      fprintf (stderr, "bench_two_atomic: %s\n", error->message);
      status = 2;
      continue;
    }
    double t0 = cpu_seconds ();
    ChkTwoAtomic r;
    chk_two_atomic_check (h, ops, 0, NULL, &r);
    double t = cpu_seconds () - t0;
    printf ("%-40s %8u %10s %10" G_GUINT64_FORMAT " %8.3f\n", argv[i], ops->len,
            r.verdict == CHK_VERDICT_OK ? "yes" : r.verdict == CHK_VERDICT_VIOLATION ? "no"
            : "unknown", r.states, t);
    g_free (r.explanation);
  }
  return status;
}
