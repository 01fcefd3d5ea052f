/* test_net.c: the network's fates: loss and duplication rates, latency
 * distributions, reordering, bandwidth, per-link overrides, partitions. */
#include <criterion/criterion.h>

#include <string.h>

#include "sim/net.h"

static SimNet
net_new (SimConfig *cfg, int n)
{
  SimNet net;
  sim_net_init (&net, cfg, n, 1234);
  return net;
}

Test (net, drop_and_duplicate_rates_over_100000_messages)
{
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  cfg->net.drop = 0.1;
  cfg->net.duplicate = 0.1;
  SimNet net = net_new (cfg, 3);
  int lost = 0, dup = 0, delivered = 0;
  for (int i = 0; i < 100000; i++) {
    SimNetFate fate;
    sim_net_route (&net, i % 3, (i + 1) % 3, 16, 0, &fate);
    if (fate.is_lost) {
      lost++;
      continue;
    }
    delivered++;
    dup += fate.is_duplicated;
  }
  double drop_rate = lost / 100000.0, dup_rate = (double) dup / delivered;
  cr_expect (drop_rate >= 0.09 && drop_rate <= 0.11, "drop rate %f", drop_rate);
  cr_expect (dup_rate >= 0.09 && dup_rate <= 0.11, "duplicate rate %f", dup_rate);
  sim_net_clear (&net);
}

Test (net, uniform_latency_stays_in_range)
{
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  cfg->net.latency_min_us = 1000;
  cfg->net.latency_max_us = 3000;
  SimNet net = net_new (cfg, 2);
  int64_t lo = INT64_MAX, hi = 0;
  double sum = 0;
  for (int i = 0; i < 50000; i++) {
    SimNetFate fate;
    sim_net_route (&net, 0, 1, 8, 100, &fate);
    int64_t lat = fate.arrive_us[0] - 100;
    cr_assert (lat >= 1000 && lat <= 3000, "latency %ld", (long) lat);
    lo = MIN (lo, lat);
    hi = MAX (hi, lat);
    sum += (double) lat;
  }
  cr_expect_eq (lo, 1000);
  cr_expect_eq (hi, 3000);
  cr_expect (sum / 50000 > 1980 && sum / 50000 < 2020, "mean %f", sum / 50000);
  sim_net_clear (&net);
}

static int
cmp_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

Test (net, long_tail_latency_has_its_median_and_a_capped_tail)
{
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  cfg->net.dist = SIM_LATENCY_LONGTAIL;
  cfg->net.latency_min_us = 1000;
  cfg->net.latency_median_us = 3000;
  cfg->net.latency_max_us = 100000;
  cfg->net.tail_alpha = 1.5;
  SimNet net = net_new (cfg, 2);
  enum { N = 40001 };
  int64_t *lat = g_new (int64_t, N);
  for (int i = 0; i < N; i++) {
    SimNetFate fate;
    sim_net_route (&net, 0, 1, 8, 0, &fate);
    lat[i] = fate.arrive_us[0];
    cr_assert (lat[i] >= 1000 && lat[i] <= 100000, "latency %ld", (long) lat[i]);
  }
  qsort (lat, N, sizeof *lat, cmp_i64);
  cr_expect (lat[N / 2] > 2850 && lat[N / 2] < 3150, "median %ld", (long) lat[N / 2]);
  cr_expect_gt (lat[N * 99 / 100], 10000, "p99 %ld: the tail is long", (long) lat[N * 99 / 100]);
  cr_expect_eq (lat[N - 1], 100000, "the tail is capped at max");
  g_free (lat);
  sim_net_clear (&net);
}

Test (net, reordering_adds_delay_within_the_window)
{
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  cfg->net.latency_min_us = cfg->net.latency_max_us = 1000;
  cfg->net.reorder = 0.5;
  cfg->net.reorder_window_us = 20000;
  SimNet net = net_new (cfg, 2);
  int held = 0;
  for (int i = 0; i < 10000; i++) {
    SimNetFate fate;
    sim_net_route (&net, 0, 1, 8, 0, &fate);
    cr_assert (fate.arrive_us[0] >= 1000 && fate.arrive_us[0] <= 21000);
    held += fate.arrive_us[0] > 1000;
  }
  cr_expect (held > 4700 && held < 5300, "held back: %d of 10000", held);
  sim_net_clear (&net);
}

Test (net, bandwidth_serialises_messages_on_a_link)
{
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  cfg->net.latency_min_us = cfg->net.latency_max_us = 1000;
  cfg->net.bandwidth_bytes_per_s = 1000000; /* 1 byte per us */
  SimNet net = net_new (cfg, 3);
  SimNetFate a, b, c;
  sim_net_route (&net, 0, 1, 500, 0, &a);
  sim_net_route (&net, 0, 1, 500, 0, &b);
  sim_net_route (&net, 0, 2, 500, 0, &c);
  cr_expect_eq (a.arrive_us[0], 1500);
  cr_expect_eq (b.arrive_us[0], 2000, "the second waits for the first on the same link");
  cr_expect_eq (c.arrive_us[0], 1500, "another link is free");
  sim_net_clear (&net);
}

Test (net, override_applies_to_matching_links_only)
{
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  SimLinkOverride o = { .from = 1, .to = -1, .link = cfg->net };
  o.link.drop = 1.0;
  g_array_append_val (cfg->link_overrides, o);
  SimLinkOverride back = { .from = 1, .to = 0, .link = cfg->net };
  g_array_append_val (cfg->link_overrides, back);
  SimNet net = net_new (cfg, 3);
  for (int from = 0; from < 3; from++)
    for (int to = 0; to < 3; to++) {
      gboolean expect_lost = from == 1 && to != 0; /* the later override wins for 1 -> 0 */
      for (int i = 0; i < 100; i++) {
        SimNetFate fate;
        sim_net_route (&net, from, to, 8, 0, &fate);
        cr_assert_eq (fate.is_lost, expect_lost, "%d -> %d", from, to);
      }
    }
  sim_net_clear (&net);
}

Test (net, partitions_and_oneway_cuts)
{
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  SimNet net = net_new (cfg, 5);
  SimGroupId group[5] = { 0, 0, 1, 1, -1 }; /* endpoint 4 is not cut from anyone */
  sim_net_partition (&net, group);
  for (int a = 0; a < 5; a++)
    for (int b = 0; b < 5; b++) {
      gboolean cut = a != 4 && b != 4 && (a < 2) != (b < 2);
      cr_expect_eq (sim_net_is_cut (&net, a, b), cut, "%d -> %d", a, b);
    }
  sim_net_heal (&net);
  sim_net_cut_oneway (&net, 0, 3);
  for (int a = 0; a < 5; a++)
    for (int b = 0; b < 5; b++)
      cr_expect_eq (sim_net_is_cut (&net, a, b), a == 0 && b == 3, "%d -> %d", a, b);
  sim_net_heal (&net);
  for (int a = 0; a < 5; a++)
    for (int b = 0; b < 5; b++)
      cr_expect_not (sim_net_is_cut (&net, a, b));
  sim_net_clear (&net);
}

Test (net, store_copies_and_releases)
{
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  SimNet net = net_new (cfg, 2);
  char small[8] = "abcdefg", big[300];
  memset (big, 'z', sizeof big);
  guint s1 = sim_net_store (&net, 1, 0, 0, 1, 0, small, sizeof small);
  guint s2 = sim_net_store (&net, 2, 0, 0, 1, 0, big, sizeof big);
  small[0] = 'X';
  big[0] = 'X';
  cr_expect_eq (memcmp (sim_msg_data (sim_net_msg (&net, s1)), "abcdefg", 8), 0);
  cr_expect_eq (((const char *) sim_msg_data (sim_net_msg (&net, s2)))[0], 'z');
  cr_expect_eq (net.n_in_flight, 2u);
  sim_net_release (&net, s1);
  guint s3 = sim_net_store (&net, 3, 0, 1, 0, 0, big, sizeof big);
  cr_expect_eq (s3, s1, "a freed slot is reused");
  cr_expect_eq (sim_net_msg (&net, s3)->len, 300u);
  sim_net_clear (&net);
}
