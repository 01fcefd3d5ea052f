/* bench_load.c: loads one history file as `dsim check` does (and pairs its
 * events into operations) and prints what that cost:
 *
 *   file ops events load_s rss_before_kib peak_rss_kib bytes_per_op
 *
 * bytes_per_op is (peak RSS after loading - RSS before) / operations: the
 * memory the loaded history and its operations take, whatever the file's
 * size.  Used by bench/huge.sh. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "checkers/history.h"
#include "checkers/ops.h"

static long
peak_rss_kib (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: bench_load FILE\n");
    return 2;
  }
  long before = peak_rss_kib ();
  /* dsim-allow-nondeterminism: a benchmark measures wall time, outside any world */
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load (argv[1], CHK_FORMAT_AUTO, &error);
  if (h == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 2;
  }
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  if (ops == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 2;
  }
  gint64 t1 = g_get_monotonic_time (); /* dsim-allow-nondeterminism: as above */
  long peak = peak_rss_kib ();
  printf ("%s %u %u %.3f %ld %ld %.1f\n", argv[1], ops->len, chk_history_len (h),
          (double) (t1 - t0) / 1e6, before, peak,
          ops->len > 0 ? (double) (peak - before) * 1024.0 / ops->len : 0.0);
  return 0;
}
