/* test_raft_world.c: Raft in the simulated world: the scenarios under
 * scenarios/raft/ reach the important branches, runs are deterministic, and
 * each seeded bug's scenario passes once the bug is switched off. */
#include <criterion/criterion.h>

#include "protocols/raft/raft.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/world_support.h"
#include "tests/support.h"

#include <glib/gstdio.h>
#include <string.h>

/* Every important branch is reached by some scenario. */
Test (raft_world, scenarios_reach_the_marks)
{
  static const struct { const char *scenario; const char *mark; } cases[] = {
    { "scenarios/raft/paused-node.scn", "pre-vote-rejected" },
    { "scenarios/raft/paused-node.scn", "stale-term" },
    { "scenarios/raft/flapping-partitions.scn", "log-conflict-backtrack" },
    { "scenarios/raft/compacting-log.scn", "snapshot-installed" },
    { "scenarios/raft/lossy-five-nodes.scn", "duplicate-request-suppressed" },
    { "scenarios/raft/leader-isolated.scn", "check-quorum-step-down" },
    { "scenarios/raft/disk-faults.scn", "log-suffix-discarded" },
    { "scenarios/raft/disk-faults.scn", "snapshot-discarded" },
    { "scenarios/raft/reordered-answers.scn", "stale-answer-ignored" },
    { "scenarios/raft/membership.scn", "config-change" },
    { "scenarios/raft/membership.scn", "removed-leader-steps-down" },
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

Test (raft_world, same_seed_same_trace)
{
  test_assert_same_seed_same_trace ("scenarios/raft/lossy-five-nodes.scn");
}

/* Grown from n1..n3 to n1..n5 and shrunk to n3..n5: at the end every node
 * that is up and in the configuration agrees that it is n3 n4 n5, and the
 * history is linearizable. */
Test (raft_world, membership_grows_and_shrinks)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/raft/membership.scn");
  g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
  cr_assert_null (sim_world_invariant_failure (w));
  for (int n = 2; n < 5; n++) {
    const RaftNode *node = sim_world_node_state (w, n);
    cr_expect_eq (node->config, 0x1cu, "n%d's configuration is %#x", n + 1, node->config);
  }
  int leaders = 0;
  for (int n = 0; n < 5; n++)
    leaders += ((const RaftNode *) sim_world_node_state (w, n))->role == RAFT_LEADER;
  cr_expect_eq (leaders, 1);
  cr_expect_neq (((const RaftNode *) sim_world_node_state (w, 0))->role, RAFT_LEADER);
  cr_expect_neq (((const RaftNode *) sim_world_node_state (w, 1))->role, RAFT_LEADER);
  g_autofree char *why = NULL;
  cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK, "%s", why);
}

/* The seeded-bug scenarios: the bug breaks the expected invariant (or
 * linearizability); the same schedule and seed with bug = none keeps every
 * invariant and a linearizable history. */
Test (raft_world, bug_scenarios_break_only_with_the_bug)
{
  static const struct { const char *scenario; const char *why; } cases[] = {
    { "scenarios/raft/bug-vote-without-log-check.scn", "leader-completeness: " },
    { "scenarios/raft/bug-commit-previous-term.scn", "leader-completeness: " },
    { "scenarios/raft/bug-volatile-vote.scn", "election-safety: " },
    { "scenarios/raft/bug-stale-leader-read.scn", NULL }, /* linearizability */
    { "scenarios/raft/bug-reply-before-sync.scn", "leader-completeness: " },
    { "scenarios/raft/bug-two-changes-at-once.scn", "leader-completeness: " },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (SimConfig) cfg = test_scenario_load (cases[i].scenario);
    cr_assert_neq (((const RaftConfig *) cfg->proto_config)->bug, RAFT_BUG_NONE);
    {
      g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
      const char *failure = sim_world_invariant_failure (w);
      if (cases[i].why != NULL) {
        cr_expect_not_null (failure, "%s: the bug broke nothing", cases[i].scenario);
        if (failure != NULL)
          cr_expect (g_str_has_prefix (failure, cases[i].why), "%s: %s", cases[i].scenario,
                     failure);
      } else {
        cr_expect_null (failure, "%s: %s", cases[i].scenario, failure);
        cr_expect_eq (test_linearizable_verdict (w, NULL), CHK_VERDICT_VIOLATION,
                      "%s: the bug kept the history linearizable", cases[i].scenario);
      }
    }
    g_autoptr (GError) error = NULL;
    cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "bug", "none", &error));
    g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
    cr_expect_null (sim_world_invariant_failure (w), "%s without the bug: %s",
                    cases[i].scenario, sim_world_invariant_failure (w));
    g_autofree char *why = NULL;
    cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK, "%s without the bug: %s",
                  cases[i].scenario, why);
  }
}

/* `dsim run --trace` of a 3-node election and one replicated write, compared
 * byte for byte with the golden file (DSIM_UPDATE_GOLDEN=1 rewrites it;
 * then read the diff). */
Test (raft_world, golden_trace_of_election_and_one_write)
{
  g_autofree char *scn = test_source_path ("tests/data/raft/election-write.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-raft-XXXXXX", NULL);
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
  cr_expect (strstr (actual, "candidate -> leader, term 1") != NULL);
  cr_expect (strstr (actual, "\"kind\":\"complete\"") != NULL, "the write completes");
  g_autofree char *golden_path = test_source_path ("tests/golden/raft-election-write.trace.jsonl");
  if (g_getenv ("DSIM_UPDATE_GOLDEN") != NULL) {
    cr_assert (g_file_set_contents (golden_path, actual, -1, NULL));
    return;
  }
  g_autofree char *golden = NULL;
  cr_assert (g_file_get_contents (golden_path, &golden, NULL, NULL), "%s missing", golden_path);
  cr_expect_str_eq (actual, golden, "the trace differs from %s", golden_path);
}

/* A leader counts its own copy of an entry before its sync completes; a
 * crash before the sync undoes the commit, and nothing of it was seen (the
 * step's messages wait for the sync).  The invariants remember only what
 * the disk holds, so the restarted node may commit other entries at those
 * indices. */
Test (raft_world, a_commit_a_crash_undid_unseen_is_no_violation)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("tests/data/raft-unsynced-commit.scn");
  int lost = 0;
  for (uint64_t seed = 1; seed <= 8; seed++) {
    g_autofree char *trace = test_world_trace (cfg, seed);
    lost += strstr (trace, "unsynced writes lost") != NULL;
    g_autoptr (SimWorld) w = test_world_run (cfg, seed);
    cr_expect_null (sim_world_invariant_failure (w), "seed %" G_GUINT64_FORMAT ": %s", seed,
                    sim_world_invariant_failure (w));
    const RaftNode *node = sim_world_node_state (w, 0);
    cr_expect_geq (node->persist.current_term, 2, "seed %" G_GUINT64_FORMAT ": leads again",
                   seed);
    g_autofree char *why = NULL;
    cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK, "seed %" G_GUINT64_FORMAT
                  ": %s", seed, why);
  }
  cr_expect_geq (lost, 6, "the crash comes with a sync in flight in %d of 8 seeds", lost);
}

/* The same through a membership change, shrunk from a random campaign
 * (random-faults, seed 4, run 1289): two removals leave n2 alone in the
 * configuration, it crashes with entry 85 committed in memory and its sync
 * in flight, and leads term 6 with another entry at index 85.  Counted
 * before it was durable, the commit raised leader-completeness here. */
Test (raft_world, a_one_member_configuration_commit_a_crash_undid_is_no_violation)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("tests/data/raft/removed-to-one-unsynced-commit.scn");
  g_autofree char *trace = test_world_trace (cfg, cfg->seed);
  cr_expect (strstr (trace, "\"label\":\"remove n3: configuration n2 at entry 54\"") != NULL);
  cr_expect (strstr (trace, "{\"time\":2119844,\"node\":\"n2\",\"kind\":\"disk\",") != NULL
             && strstr (trace, "unsynced writes lost: 2 changed sectors, 1 sync in flight, "
                               "1 message never sent") != NULL,
             "n2 crashes with its sync in flight");
  cr_expect (strstr (trace, "{\"time\":2126424,\"node\":\"n2\",\"kind\":\"note\",\"vc\":"
                            "[449,622,624,411,401],\"label\":\"candidate -> leader, term 6\"}")
             != NULL, "n2 leads term 6 at its restart");
  g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
  cr_expect_null (sim_world_invariant_failure (w), "%s", sim_world_invariant_failure (w));
  const RaftNode *n2 = sim_world_node_state (w, 1);
  cr_expect_eq (n2->role, RAFT_LEADER);
  cr_expect_eq (n2->persist.current_term, 6);
  cr_expect_gt (n2->commit_index, 85, "n2 commits past index 85 again");
  cr_assert (raft_log_has (n2, 85));
  cr_expect_eq (raft_log_term (n2, 85), 6, "index 85 holds an entry of term 6");
  g_autofree char *why = NULL;
  cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK, "%s", why);
}
