/* test_raft_fuzz.c (slow suite): correct Raft under random faults for 200
 * seeds of 20 virtual seconds each, storage faults included (slow disks,
 * torn writes, bits flipped in durable images and in messages): no
 * invariant may break and every history must be linearizable.  Then
 * membership changes under the same kinds of faults. */
#include <criterion/criterion.h>

#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/world_support.h"
#include "tests/support.h"

Test (raft_fuzz, two_hundred_seeds_of_random_faults, .timeout = 600)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/raft/random-faults.scn");
  cfg->duration_us = 20 * G_USEC_PER_SEC; /* longer than the catalog run */
  cfg->storage.disk_latency_min_us = 1000;
  cfg->storage.disk_latency_max_us = 5000;
  cfg->storage.torn_writes = 0.5;
  cfg->random_faults.corrupt_per_s = 0.3;
  cfg->net.corrupt = 0.01;
  uint64_t ops_ok = 0, crashes = 0, lost = 0, torn = 0, corruptions = 0, msgs_corrupted = 0;
  guint repaired = 0;
  for (uint64_t seed = 1; seed <= 200; seed++) {
    g_autoptr (SimWorld) w = test_world_run_clean (cfg, seed);
    const SimStats *st = sim_world_stats (w);
    ops_ok += st->ops_ok;
    crashes += st->crashes;
    lost += st->unsynced_crashes;
    torn += st->torn_writes;
    corruptions += st->corruptions;
    msgs_corrupted += st->msgs_corrupted;
    repaired += sim_world_reached (w, "log-suffix-discarded")
                || sim_world_reached (w, "snapshot-discarded");
  }
  cr_log_info ("storage: %" G_GUINT64_FORMAT " crashes lost unsynced writes (%" G_GUINT64_FORMAT
               " torn), %" G_GUINT64_FORMAT " images corrupted, %" G_GUINT64_FORMAT
               " messages corrupted; %u runs repaired a damaged image", lost, torn, corruptions,
               msgs_corrupted, repaired);
  cr_expect_gt (lost, 100);
  cr_expect_gt (torn, 50);
  cr_expect_gt (repaired, 20);
  cr_log_info ("200 seeds: %" G_GUINT64_FORMAT " operations ok, %" G_GUINT64_FORMAT " crashes",
               ops_ok, crashes);
  /* The campaign exercised something: faults happened and work got done. */
  cr_expect_gt (crashes, 1000);
  cr_expect_gt (ops_ok, 200 * 500);
}

/* Membership changes (3 to 5 to 3 nodes) under random crashes, partitions
 * and storage faults, 100 seeds: invariants hold and every history is
 * linearizable. */
Test (raft_fuzz, membership_under_random_faults, .timeout = 600)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/raft/membership.scn");
  cfg->duration_us = 8 * G_USEC_PER_SEC;
  cfg->random_faults.crash_per_s = 1;
  cfg->random_faults.crash_down_us = 300000;
  cfg->random_faults.partition_per_s = 1;
  cfg->random_faults.partition_us = 400000;
  cfg->random_faults.corrupt_per_s = 0.5;
  cfg->storage.disk_latency_min_us = 1000;
  cfg->storage.disk_latency_max_us = 3000;
  cfg->storage.torn_writes = 0.5;
  guint changed = 0;
  for (uint64_t seed = 1; seed <= 100; seed++) {
    g_autoptr (SimWorld) w = test_world_run_clean (cfg, seed);
    changed += sim_world_reached (w, "config-change");
  }
  cr_expect_gt (changed, 90, "membership changed in only %u runs", changed);
}
