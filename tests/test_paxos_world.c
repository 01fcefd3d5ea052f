/* test_paxos_world.c: Paxos in the simulated world: the scenarios under
 * scenarios/paxos/ reach the important branches, runs are deterministic,
 * dueling proposers stall without backoff and not with it, and each seeded
 * bug's scenario passes once the bug is switched off. */
#include <criterion/criterion.h>

#include "protocols/paxos/paxos.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/world_support.h"
#include "tests/support.h"

#include <glib/gstdio.h>
#include <string.h>

static uint64_t
mark_count (const SimWorld *w, const char *mark)
{
  for (guint i = 0; i < sim_world_n_marks (w); i++) {
    uint64_t count = 0;
    if (strcmp (sim_world_mark (w, i, &count), mark) == 0)
      return count;
  }
  return 0;
}

/* Every important branch is reached by some scenario. */
Test (paxos_world, scenarios_reach_the_marks)
{
  static const struct { const char *scenario; const char *mark; } cases[] = {
    { "scenarios/paxos/single-decree.scn", "promise-rejected" },
    { "scenarios/paxos/single-decree.scn", "read-before-choice" },
    { "scenarios/paxos/dueling-proposers.scn", "ballot-preempted" },
    { "scenarios/paxos/dueling-proposers.scn", "backoff" },
    { "scenarios/paxos/dueling-proposers.scn", "accepted-value-adopted" },
    { "scenarios/paxos/leader-crash.scn", "accepted-value-adopted" },
    { "scenarios/paxos/leader-crash.scn", "catch-up" },
    { "scenarios/paxos/minority-partition.scn", "stale-ballot" },
    { "scenarios/paxos/lossy-network.scn", "duplicate-request-suppressed" },
    { "scenarios/paxos/random-faults.scn", "snapshot-installed" },
    { "scenarios/paxos/leader-crash.scn", "gap-filled-noop" },
    { "scenarios/paxos/clock-skew-lease.scn", "lease-read" },
    { "scenarios/paxos/disk-faults.scn", "storage-corrupt-halt" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (SimConfig) cfg = test_scenario_load (cases[i].scenario);
    g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
    cr_expect (sim_world_reached (w, cases[i].mark), "%s never reached %s", cases[i].scenario,
               cases[i].mark);
    cr_expect_null (sim_world_invariant_failure (w), "%s: %s", cases[i].scenario,
                    sim_world_invariant_failure (w));
  }
}

/* The scenarios that expect to pass do, at their own seed: invariants hold
 * and the history is linearizable. */
Test (paxos_world, passing_scenarios_pass)
{
  static const char *const scenarios[] = {
    "scenarios/paxos/single-decree.scn", "scenarios/paxos/dueling-proposers.scn",
    "scenarios/paxos/dueling-proposers-no-backoff.scn", "scenarios/paxos/leader-crash.scn",
    "scenarios/paxos/minority-partition.scn", "scenarios/paxos/lossy-network.scn",
    "scenarios/paxos/majority-restart.scn", "scenarios/paxos/clock-skew-log.scn",
    "scenarios/paxos/random-faults.scn", "scenarios/paxos/single-random-faults.scn",
    "scenarios/paxos/disk-faults.scn",
  };
  for (size_t i = 0; i < G_N_ELEMENTS (scenarios); i++) {
    g_autoptr (SimConfig) cfg = test_scenario_load (scenarios[i]);
    g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
    cr_expect_null (sim_world_invariant_failure (w), "%s: %s", scenarios[i],
                    sim_world_invariant_failure (w));
    g_autofree char *why = NULL;
    cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK, "%s: %s", scenarios[i],
                  why);
    cr_expect_gt (sim_world_stats (w)->ops_invoked, 0, "%s", scenarios[i]);
  }
}

/* Seed 34 of the storage-faults configuration: n5 accepts slot 130 in
 * ballot 10.3 and crashes with the sync in flight (a torn write: nothing
 * of it reaches the disk), so 10.3's value was never chosen and ballot
 * 13.2 chooses another.  The check counts durable acceptances only. */
Test (paxos_world, an_acceptance_a_crash_lost_does_not_count)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("tests/data/paxos-storage-agreement.scn");
  g_autofree char *trace = test_world_trace (cfg, cfg->seed);
  cr_expect (strstr (trace, "torn write: 0 of 2 changed sectors reached the disk") != NULL);
  g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
  cr_expect_null (sim_world_invariant_failure (w), "%s", sim_world_invariant_failure (w));
  g_autofree char *why = NULL;
  cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK, "%s", why);
}

/* Section 2.4's dueling proposers: in step, without backoff, nothing is
 * chosen in a whole second; with backoff a value is chosen early. */
Test (paxos_world, dueling_proposers_stall_without_backoff_only)
{
  g_autoptr (SimConfig) stall_cfg = test_scenario_load ("scenarios/paxos/dueling-proposers-no-backoff.scn");
  g_autoptr (SimWorld) stall = test_world_run (stall_cfg, stall_cfg->seed);
  cr_expect_eq (sim_world_stats (stall)->ops_ok + sim_world_stats (stall)->ops_fail, 0,
                "without backoff no value is ever chosen");
  cr_expect_gt (mark_count (stall, "ballot-preempted"), 50);
  cr_expect_not (sim_world_reached (stall, "backoff"));
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/paxos/dueling-proposers.scn");
  for (uint64_t seed = 1; seed <= 20; seed++) {
    g_autoptr (SimWorld) w = test_world_run (cfg, seed);
    cr_expect_eq (sim_world_stats (w)->ops_ok, 1, "seed %" G_GUINT64_FORMAT
                  ": exactly one write wins", seed);
    cr_expect_gt (sim_world_stats (w)->ops_fail, 50, "seed %" G_GUINT64_FORMAT
                  ": the later writes fail at once", seed);
    cr_expect (sim_world_reached (w, "backoff"), "seed %" G_GUINT64_FORMAT, seed);
    cr_expect_null (sim_world_invariant_failure (w));
  }
}

Test (paxos_world, same_seed_same_trace)
{
  test_assert_same_seed_same_trace ("scenarios/paxos/random-faults.scn");
}

/* dsim run twice on the same scenario and seed: the same bytes out. */
Test (paxos_world, dsim_run_twice_same_bytes)
{
  g_autofree char *scn = test_source_path ("scenarios/paxos/leader-crash.scn");
  g_autofree char *out1 = NULL, *err1 = NULL, *out2 = NULL, *err2 = NULL;
  int rc1 = test_run_dsim ((const char *[]) { "run", scn, "--seed", "3", NULL }, &out1, &err1);
  int rc2 = test_run_dsim ((const char *[]) { "run", scn, "--seed", "3", NULL }, &out2, &err2);
  cr_expect_eq (rc1, 0, "%s%s", out1, err1);
  cr_expect_eq (rc2, rc1);
  cr_expect_str_eq (out1, out2);
  cr_expect (strstr (out1, "seed=3\n") == out1, "the seed comes first: %s", out1);
}

/* The seeded-bug scenarios: the bug breaks the expected invariant (or
 * linearizability); with bug = none the same runs keep every invariant and
 * a linearizable history.  Each over ten seeds, not only its own. */
Test (paxos_world, bug_scenarios_break_only_with_the_bug, .timeout = 120)
{
  static const struct { const char *scenario; const char *why; int min_hits; } cases[] = {
    { "scenarios/paxos/bug-accept-without-promise-check.scn", "promises-respected: ", 6 },
    { "scenarios/paxos/bug-ignore-accepted-in-promise.scn", "agreement: ", 4 },
    { "scenarios/paxos/bug-volatile-promise.scn", "promises-respected: ", 10 },
    { "scenarios/paxos/bug-lease-read-without-wait.scn", NULL, 6 }, /* linearizability */
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (SimConfig) cfg = test_scenario_load (cases[i].scenario);
    cr_assert_neq (((const PaxosConfig *) cfg->proto_config)->bug, PAXOS_BUG_NONE);
    int hits = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
      g_autoptr (SimWorld) w = test_world_run (cfg, seed);
      const char *failure = sim_world_invariant_failure (w);
      if (cases[i].why != NULL) {
        if (failure != NULL) {
          cr_expect (g_str_has_prefix (failure, cases[i].why), "%s seed %" G_GUINT64_FORMAT
                     ": %s", cases[i].scenario, seed, failure);
          hits++;
        }
      } else {
        cr_expect_null (failure, "%s: %s", cases[i].scenario, failure);
        hits += test_linearizable_verdict (w, NULL) == CHK_VERDICT_VIOLATION;
      }
      if (seed == cfg->seed)
        cr_expect (failure != NULL || cases[i].why == NULL, "%s: its own seed shows nothing",
                   cases[i].scenario);
    }
    cr_expect_geq (hits, cases[i].min_hits, "%s: the bug showed in %d of seeds 1..10",
                   cases[i].scenario, hits);
    g_autoptr (GError) error = NULL;
    cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "bug", "none", &error));
    for (uint64_t seed = 1; seed <= 10; seed++) {
      g_autoptr (SimWorld) w = test_world_run (cfg, seed);
      cr_expect_null (sim_world_invariant_failure (w), "%s seed %" G_GUINT64_FORMAT
                      " without the bug: %s", cases[i].scenario, seed,
                      sim_world_invariant_failure (w));
      g_autofree char *why = NULL;
      cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK, "%s seed %"
                    G_GUINT64_FORMAT " without the bug: %s", cases[i].scenario, seed, why);
    }
  }
}

/* Leases break under clocks that run fast (a violation the scenario
 * expects); reads through the log do not. */
Test (paxos_world, clock_skew_breaks_leases_not_log_reads)
{
  g_autoptr (SimConfig) lease = test_scenario_load ("scenarios/paxos/clock-skew-lease.scn");
  g_autoptr (SimWorld) w = test_world_run (lease, lease->seed);
  cr_expect_null (sim_world_invariant_failure (w));
  cr_expect_eq (test_linearizable_verdict (w, NULL), CHK_VERDICT_VIOLATION);
  g_autoptr (SimConfig) log = test_scenario_load ("scenarios/paxos/clock-skew-log.scn");
  g_autoptr (SimWorld) v = test_world_run (log, log->seed);
  cr_expect_eq (test_linearizable_verdict (v, NULL), CHK_VERDICT_OK);
}

/* `dsim run --trace` of a scenario, compared byte for byte with a golden
 * file (DSIM_UPDATE_GOLDEN=1 rewrites it; then read the diff). */
static void
expect_golden_trace (const char *scenario, const char *golden_rel, const char *must_contain)
{
  g_autofree char *scn = test_source_path (scenario);
  g_autofree char *dir = g_dir_make_tmp ("dsim-paxos-XXXXXX", NULL);
  cr_assert_not_null (dir);
  g_autofree char *trace = g_build_filename (dir, "trace.jsonl", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "run", scn, "--trace", trace, "--quiet", NULL },
                          &out, &err);
  cr_assert_eq (rc, 0, "dsim run: %s%s", out, err);
  g_autofree char *actual = NULL;
  cr_assert (g_file_get_contents (trace, &actual, NULL, NULL));
  g_unlink (trace);
  g_rmdir (dir);
  cr_expect (strstr (actual, must_contain) != NULL, "%s lacks %s", scenario, must_contain);
  cr_expect (strstr (actual, "\"kind\":\"complete\"") != NULL, "the write completes");
  g_autofree char *golden_path = test_source_path (golden_rel);
  if (g_getenv ("DSIM_UPDATE_GOLDEN") != NULL) {
    cr_assert (g_file_set_contents (golden_path, actual, -1, NULL));
    return;
  }
  g_autofree char *golden = NULL;
  cr_assert (g_file_get_contents (golden_path, &golden, NULL, NULL), "%s missing", golden_path);
  cr_expect_str_eq (actual, golden, "the trace differs from %s", golden_path);
}

Test (paxos_world, golden_trace_of_a_single_decree_round)
{
  expect_golden_trace ("tests/data/paxos/single-round.scn",
                       "tests/golden/paxos-single-round.trace.jsonl", "Chosen(1=c1#1");
}

Test (paxos_world, golden_trace_of_a_multi_paxos_write)
{
  expect_golden_trace ("tests/data/paxos/multi-write.scn",
                       "tests/golden/paxos-multi-write.trace.jsonl", "candidate -> leader");
}

static char *
first_line (const char *s)
{
  return g_strndup (s, strcspn (s, "\n"));
}

/* A world cloned half way to the violation, its original freed, reports
 * the same violation: the clone's ghost holds its own copy of what was
 * chosen before the clone (the value the second choice contradicts). */
Test (paxos_world, clone_keeps_the_ghost)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/paxos/bug-ignore-accepted-in-promise.scn");
  int checked = 0;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    g_autoptr (SimWorld) whole = test_world_run (cfg, seed);
    const char *failure = sim_world_invariant_failure (whole);
    if (failure == NULL)
      continue;
    int64_t at = sim_world_stats (whole)->now_us;
    SimWorld *orig = sim_world_new (cfg, seed);
    while (sim_world_stats (orig)->now_us < at / 2 && sim_world_step (orig))
      ;
    cr_assert_null (sim_world_invariant_failure (orig));
    g_autoptr (SimWorld) clone = sim_world_clone (orig);
    sim_world_free (orig);
    sim_world_run (clone);
    cr_assert_not_null (sim_world_invariant_failure (clone), "seed %" G_GUINT64_FORMAT, seed);
    g_autofree char *want = first_line (failure);
    g_autofree char *got = first_line (sim_world_invariant_failure (clone));
    cr_expect_str_eq (got, want, "seed %" G_GUINT64_FORMAT, seed);
    cr_expect_eq (sim_world_stats (clone)->now_us, at);
    checked++;
  }
  cr_expect_geq (checked, 3);
}
