/* test_pbft_world.c: PBFT in the simulated world: the golden trace of one
 * request, the scenarios under scenarios/pbft/ end as they expect and reach
 * their branches, each seeded bug breaks only with the bug, runs are
 * deterministic, and (slow suite) 200 seeds of random Byzantine behaviour
 * on at most f replicas with network faults keep every invariant. */
#include <criterion/criterion.h>

#include "protocols/pbft/pbft.h"
#include "sim/byzantine.h"
#include "sim/fuzz.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/world_support.h"
#include "tests/support.h"

#include <glib/gstdio.h>
#include <string.h>

Test (pbft_world, golden_trace_of_one_request)
{
  g_autofree char *scn = test_source_path ("tests/data/pbft/one-request.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-pbft-XXXXXX", NULL);
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
  static const char *const phases[] = { "Request c1#1 write", "PrePrepare v0 n1", "Prepare v0 n1",
                                        "Commit v0 n1", "Reply v0 t1 ok", "committed-local",
                                        "\"kind\":\"complete\"" };
  for (size_t i = 0; i < G_N_ELEMENTS (phases); i++)
    cr_expect (strstr (actual, phases[i]) != NULL, "no %s in the trace", phases[i]);
  g_autofree char *golden_path = test_source_path ("tests/golden/pbft-one-request.trace.jsonl");
  if (g_getenv ("DSIM_UPDATE_GOLDEN") != NULL) {
    cr_assert (g_file_set_contents (golden_path, actual, -1, NULL));
    return;
  }
  g_autofree char *golden = NULL;
  cr_assert (g_file_get_contents (golden_path, &golden, NULL, NULL), "%s missing", golden_path);
  cr_expect_str_eq (actual, golden, "the trace differs from %s", golden_path);
}

/* Up to f Byzantine replicas, in every behaviour: invariants hold, the
 * history is linearizable, and the behaviour did something. */
Test (pbft_world, f_byzantine_replicas_are_tolerated)
{
  for (const char *const *b = sim_byzantine_behaviours (); *b != NULL; b++) {
    g_autofree char *rel = g_strdup_printf ("scenarios/pbft/byzantine-%s.scn", *b);
    g_autoptr (SimConfig) cfg = test_scenario_load (rel);
    for (uint64_t seed = 1; seed <= 5; seed++) {
      g_autoptr (SimWorld) w = test_world_run (cfg, seed);
      cr_expect_null (sim_world_invariant_failure (w), "%s seed %" G_GUINT64_FORMAT ": %s", rel,
                      seed, sim_world_invariant_failure (w));
      g_autofree char *why = NULL;
      cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK, "%s: %s", rel, why);
      cr_expect_gt (sim_world_stats (w)->ops_ok, 10u, "%s: no progress", rel);
    }
  }
}

Test (pbft_world, scenarios_reach_the_marks)
{
  static const struct { const char *scenario; const char *mark; } cases[] = {
    { "scenarios/pbft/normal.scn", "checkpoint-stable" },
    { "scenarios/pbft/normal.scn", "committed-local" },
    { "scenarios/pbft/faulty-primary.scn", "view-change-timer-expired" },
    { "scenarios/pbft/faulty-primary.scn", "new-view-sent" },
    { "scenarios/pbft/faulty-primary.scn", "new-view" },
    { "scenarios/pbft/byzantine-corrupt-digest.scn", "digest-mismatch" },
    { "scenarios/pbft/byzantine-equivocate.scn", "state-installed" },
    { "scenarios/pbft/byzantine-replay.scn", "byzantine-replay" },
    { "scenarios/pbft/byzantine-slow-primary.scn", "byzantine-slow" },
    { "scenarios/pbft/seven-replicas-random.scn", "view-change-started" },
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

/* f + 1 colluding replicas are too many. */
Test (pbft_world, f_plus_one_colluding_break_agreement)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/pbft/f-plus-one-equivocate.scn");
  g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
  const char *failure = sim_world_invariant_failure (w);
  cr_assert_not_null (failure);
  cr_expect (g_str_has_prefix (failure, "agreement: "), "%s", failure);
}

Test (pbft_world, bug_scenarios_break_only_with_the_bug)
{
  static const struct { const char *scenario; const char *why; } cases[] = {
    { "scenarios/pbft/bug-commit-with-2f-prepares.scn", "agreement: " },
    { "scenarios/pbft/bug-view-change-without-certificates.scn", "agreement: " },
    { "scenarios/pbft/bug-client-accepts-first-reply.scn", "client-result: " },
    { "scenarios/pbft/bug-no-digest-check.scn", "total-order: " },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (SimConfig) cfg = test_scenario_load (cases[i].scenario);
    cr_assert_neq (((const PbftConfig *) cfg->proto_config)->bug, PBFT_BUG_NONE);
    {
      g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
      const char *failure = sim_world_invariant_failure (w);
      cr_expect_not_null (failure, "%s: the bug broke nothing", cases[i].scenario);
      if (failure != NULL)
        cr_expect (g_str_has_prefix (failure, cases[i].why), "%s: %s", cases[i].scenario, failure);
    }
    g_autoptr (GError) error = NULL;
    cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "bug", "none", &error));
    for (uint64_t seed = 1; seed <= 10; seed++) {
      g_autoptr (SimWorld) w = test_world_run (cfg, seed);
      cr_expect_null (sim_world_invariant_failure (w), "%s without the bug: %s",
                      cases[i].scenario, sim_world_invariant_failure (w));
      g_autofree char *why = NULL;
      cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK,
                    "%s without the bug: %s", cases[i].scenario, why);
    }
  }
}

Test (pbft_world, same_seed_same_trace)
{
  test_assert_same_seed_same_trace ("scenarios/pbft/seven-replicas-random.scn");
}

/* n = 16 (f = 5) works: every replica executes, and checkpoints hold. */
Test (pbft_world, sixteen_replicas)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/pbft/normal.scn");
  cfg->n_nodes = 16;
  cfg->duration_us = G_USEC_PER_SEC;
  g_autoptr (SimWorld) w = test_world_run (cfg, 1);
  cr_expect_null (sim_world_invariant_failure (w), "%s", sim_world_invariant_failure (w));
  cr_expect_gt (sim_world_stats (w)->ops_ok, 20u);
  for (int i = 0; i < 16; i++)
    cr_expect_gt (((const PbftNode *) sim_world_node_state (w, i))->last_exec, 8u, "n%d", i + 1);
}

/* The Byzantine behaviours work for every protocol: with the generic byte
 * flips where a protocol has no tamper hook.  Each one changes what the
 * node sends (a mark) without crashing the run, and a node that is never
 * made Byzantine sends as it would have. */
Test (pbft_world, behaviours_work_for_every_protocol)
{
  static const char *const scenarios[] = { "scenarios/raft/leader-crash.scn",
                                            "scenarios/pb/healthy.scn",
                                            "scenarios/pbft/normal.scn" };
  for (size_t i = 0; i < G_N_ELEMENTS (scenarios); i++)
    for (const char *const *b = sim_byzantine_behaviours (); *b != NULL; b++) {
      g_autoptr (SimConfig) cfg = test_scenario_load (scenarios[i]);
      g_array_set_size (cfg->faults, 0);
      SimFault f;
      memset (&f, 0, sizeof f);
      f.kind = SIM_FAULT_BYZANTINE;
      f.node = 0;
      f.at_us = 0;
      g_strlcpy (f.behaviour, *b, sizeof f.behaviour);
      g_array_append_val (cfg->faults, f);
      g_autoptr (SimWorld) w = test_world_run (cfg, 1);
      cr_expect_str_eq (sim_world_node_behaviour (w, 0), *b);
      const char *mark = strcmp (*b, "silent") == 0       ? "byzantine-silent"
                         : strcmp (*b, "replay") == 0     ? "byzantine-replay"
                         : strcmp (*b, "slow-primary") == 0 ? "byzantine-slow"
                                                          : "byzantine-tampered";
      if (strcmp (*b, "lie-in-view-change") == 0)
        continue; /* only a protocol's own tamper knows its view changes */
      cr_expect (sim_world_reached (w, mark), "%s with %s: %s never reached", scenarios[i], *b,
                 mark);
    }
}

/* Two runs of the fuzzer's PBFT scenario that failed its liveness phase
 * (an operation unanswered within its timeout after the heal) pass it now,
 * judged as the fuzzer judges them. */
Test (pbft_world, runs_that_stalled_after_the_heal_make_progress)
{
  static const struct { const char *file; int64_t heal_at_us; } runs[] = {
    { "tests/data/pbft/liveness-after-heal.scn", 1767000 },
    { "tests/data/pbft/liveness-replica-ahead.scn", 1858000 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (runs); i++) {
    g_autofree char *path = test_source_path (runs[i].file);
    g_autofree char *text = NULL;
    cr_assert (g_file_get_contents (path, &text, NULL, NULL), "%s", path);
    FuzzResult r;
    g_autoptr (GError) error = NULL;
    cr_assert (fuzz_run_text (runs[i].file, text, runs[i].heal_at_us, FALSE, &r, &error), "%s",
               error != NULL ? error->message : "");
    cr_expect_eq (r.verdict, FUZZ_PASS, "%s: %s", runs[i].file, r.explanation);
    fuzz_result_clear (&r);
  }
}

/* A replica cut off from the others (with a client that can reach only
 * it, so it waits for a request) moves to view 1 and stays there: its
 * new-view timer waits for 2f+1 view-change messages (OSDI 4.5.2).  Before,
 * it climbed to view 4 alone in the 2s it was cut off. */
Test (pbft_world, a_cut_off_replica_waits_in_one_view)
{
  static const char text[] =
    "[scenario]\nname = t\nseed = 3\nduration = 4s\n\n"
    "[cluster]\nprotocol = pbft\nnodes = 4\n\n"
    "[network]\nlatency = 1ms..3ms\n\n"
    "[faults]\nat 300ms = partition n1 n2 n3 c1 | n4 c2\nat 2300ms = heal\n\n"
    "[workload]\nclients = 2\nkeys = 2\nmix = read:1 write:1\nthink = 10ms\ntimeout = 1s\n"
    "attempt_timeout = 100ms\nretries = 8\nbackoff_base = 10ms\nbackoff_cap = 80ms\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("t.scn", text, strlen (text), &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
  cr_expect_null (sim_world_invariant_failure (w), "%s", sim_world_invariant_failure (w));
  const PbftNode *n4 = sim_world_node_state (w, 3);
  cr_expect_eq (n4->view, 1u);
  cr_expect (sim_world_reached (w, "view-change-started"));
  for (int i = 0; i < 3; i++)
    cr_expect_eq (((const PbftNode *) sim_world_node_state (w, i))->view, 0u,
                  "n%d: the others never needed a view change", i + 1);
  cr_expect_gt (sim_world_stats (w)->ops_ok, 200u);
}
