/* test_pcg.c: PCG32 against the reference implementation's output, and the
 * bounded and floating-point helpers. */
#include <criterion/criterion.h>

#include <glib.h>

#include "protocols/pcg32.h"

Test (pcg, reference_vectors)
{
  /* pcg32-demo from the reference C implementation: seed 42, sequence 54. */
  static const uint32_t expect[] = {
    0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e,
  };
  Pcg32 rng;
  pcg32_seed (&rng, 42u, 54u);
  for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
    cr_expect_eq (pcg32_next (&rng), expect[i], "output %zu", i);
}

Test (pcg, streams_differ)
{
  Pcg32 a, b;
  pcg32_seed (&a, 42u, 1u);
  pcg32_seed (&b, 42u, 2u);
  int same = 0;
  for (int i = 0; i < 100; i++)
    same += pcg32_next (&a) == pcg32_next (&b);
  cr_expect_lt (same, 3);
}

Test (pcg, below_is_in_range_and_unbiased)
{
  Pcg32 rng;
  pcg32_seed (&rng, 7u, 3u);
  int counts[6] = { 0 };
  const int n = 600000;
  for (int i = 0; i < n; i++) {
    uint32_t v = pcg32_below (&rng, 6);
    cr_assert_lt (v, 6u);
    counts[v]++;
  }
  for (int i = 0; i < 6; i++)
    cr_expect (counts[i] > n / 6 - 1500 && counts[i] < n / 6 + 1500,
               "bucket %d has %d", i, counts[i]);
}

Test (pcg, range_inclusive_bounds)
{
  Pcg32 rng;
  pcg32_seed (&rng, 1u, 1u);
  gboolean saw_lo = FALSE, saw_hi = FALSE;
  for (int i = 0; i < 10000; i++) {
    int64_t v = pcg32_range (&rng, -3, 3);
    cr_assert (v >= -3 && v <= 3);
    saw_lo |= v == -3;
    saw_hi |= v == 3;
  }
  cr_expect (saw_lo && saw_hi);
  int64_t wide = pcg32_range (&rng, INT64_MIN / 2, INT64_MAX / 2);
  cr_expect (wide >= INT64_MIN / 2 && wide <= INT64_MAX / 2);
}

Test (pcg, double_in_unit_interval)
{
  Pcg32 rng;
  pcg32_seed (&rng, 99u, 5u);
  double sum = 0;
  for (int i = 0; i < 100000; i++) {
    double d = pcg32_double (&rng);
    cr_assert (d >= 0.0 && d < 1.0);
    sum += d;
  }
  cr_expect (sum / 100000 > 0.49 && sum / 100000 < 0.51);
}

Test (pcg, derive_separates_sources)
{
  cr_expect_neq (pcg32_derive (1, 1, 0), pcg32_derive (1, 1, 1));
  cr_expect_neq (pcg32_derive (1, 1, 0), pcg32_derive (1, 2, 0));
  cr_expect_neq (pcg32_derive (1, 1, 0), pcg32_derive (2, 1, 0));
  cr_expect_eq (pcg32_derive (5, 3, 9), pcg32_derive (5, 3, 9));
}
