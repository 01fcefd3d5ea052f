/* test_paxos_fuzz.c (slow suite): correct Multi-Paxos under random faults for 200
 * seeds of 20 virtual seconds each: no invariant may break and every
 * history must be linearizable. */
#include <criterion/criterion.h>

#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/world_support.h"
#include "tests/support.h"

Test (paxos_fuzz, two_hundred_seeds_of_random_faults, .timeout = 600)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/paxos/random-faults.scn");
  cfg->duration_us = 20 * G_USEC_PER_SEC; /* longer than the catalog run */
  uint64_t ops_ok = 0, crashes = 0;
  for (uint64_t seed = 1; seed <= 200; seed++) {
    g_autoptr (SimWorld) w = test_world_run_clean (cfg, seed);
    ops_ok += sim_world_stats (w)->ops_ok;
    crashes += sim_world_stats (w)->crashes;
  }
  cr_log_info ("200 seeds: %" G_GUINT64_FORMAT " operations ok, %" G_GUINT64_FORMAT " crashes",
               ops_ok, crashes);
  /* The campaign exercised something: faults happened and work got done. */
  cr_expect_gt (crashes, 1000);
  cr_expect_gt (ops_ok, 200 * 500);
}

/* Single-decree Paxos the same way: 200 seeds of random faults, every
 * history linearizable as a write-once register. */
Test (paxos_fuzz, single_decree_two_hundred_seeds_of_random_faults, .timeout = 600)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/paxos/single-random-faults.scn");
  uint64_t ops_ok = 0, runs_with_a_lost_write = 0;
  for (uint64_t seed = 1; seed <= 200; seed++) {
    g_autoptr (SimWorld) w = test_world_run_clean (cfg, seed);
    ops_ok += sim_world_stats (w)->ops_ok;
    runs_with_a_lost_write += sim_world_stats (w)->ops_fail > 0;
  }
  cr_expect_gt (ops_ok, 200 * 20, "work got done");
  cr_expect_gt (runs_with_a_lost_write, 150, "runs where some write lost to the decree");
}

/* Multi-Paxos on disks that lie: 100 seeds of 10 virtual seconds of random
 * faults with slow syncs, torn writes, bits flipped in durable images and
 * in messages.  Torn writes must lose only what no message promised, and
 * a damaged node must stop rather than answer: no invariant may break and
 * every history must be linearizable. */
Test (paxos_fuzz, storage_faults, .timeout = 600)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/paxos/random-faults.scn");
  cfg->duration_us = 10 * G_USEC_PER_SEC;
  cfg->storage.disk_latency_min_us = 1000;
  cfg->storage.disk_latency_max_us = 5000;
  cfg->storage.torn_writes = 0.5;
  cfg->random_faults.corrupt_per_s = 0.1;
  cfg->net.corrupt = 0.01;
  uint64_t ops_ok = 0, torn = 0, corruptions = 0, halts = 0;
  for (uint64_t seed = 1; seed <= 100; seed++) {
    g_autoptr (SimWorld) w = test_world_run_clean (cfg, seed);
    const SimStats *st = sim_world_stats (w);
    ops_ok += st->ops_ok;
    torn += st->torn_writes;
    corruptions += st->corruptions;
    halts += sim_world_reached (w, "storage-corrupt-halt");
  }
  cr_log_info ("100 seeds: %" G_GUINT64_FORMAT " ops ok, %" G_GUINT64_FORMAT " torn writes, %"
               G_GUINT64_FORMAT " corruptions, %" G_GUINT64_FORMAT " runs with a halt", ops_ok,
               torn, corruptions, halts);
  cr_expect_gt (torn, 100, "torn writes happened");
  cr_expect_gt (corruptions, 50, "images were corrupted");
  cr_expect_gt (halts, 20, "damaged nodes stopped");
  cr_expect_gt (ops_ok, 100 * 200, "work got done");
}
