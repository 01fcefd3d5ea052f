/* test_explore_slow.c: `dsim explore` on Raft's seeded bugs that need a
 * crash and a restart (volatile-vote), and correct Raft passing the same
 * bounds: every state within them (about 600 000) is explored. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/explore.h"
#include "sim/scenario.h"
#include "tests/support.h"

static SimExploreResult *
explore_file (const char *rel, SimConfig **cfg_out)
{
  g_autofree char *path = test_source_path (rel);
  g_autoptr (GError) error = NULL;
  SimConfig *cfg = sim_scenario_load (path, &error);
  cr_assert_not_null (cfg, "%s: %s", rel, error != NULL ? error->message : "?");
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  opt.threads = 2;
  *cfg_out = cfg;
  return sim_explore_run (cfg, &opt);
}

Test (explore_slow, finds_volatile_vote_and_the_path_replays, .timeout = 600)
{
  SimConfig *cfg = NULL;
  g_autoptr (SimExploreResult) r = explore_file ("scenarios/explore/raft-volatile-vote.scn", &cfg);
  cr_assert_eq (r->verdict, SIM_EXPLORE_VIOLATION, "%s", r->what ? r->what : "pass");
  cr_expect (g_str_has_prefix (r->what, "invariant: election-safety"), "%s", r->what);
  g_array_append_vals (cfg->replay, r->path->data, r->path->len);
  sim_explore_config_prepare (cfg);
  g_autoptr (SimWorld) w = sim_world_new (cfg, cfg->seed);
  g_autoptr (GError) error = NULL;
  cr_assert (sim_world_replay (w, &error));
  cr_expect (g_str_has_prefix (sim_world_invariant_failure (w), "election-safety"));
  sim_config_free (cfg);
}

Test (explore_slow, correct_raft_passes_the_same_bounds, .timeout = 900)
{
  SimConfig *cfg = NULL;
  g_autoptr (SimExploreResult) r = explore_file ("scenarios/explore/raft-correct.scn", &cfg);
  cr_expect_eq (r->verdict, SIM_EXPLORE_PASS, "%s", r->what ? r->what : "");
  cr_expect_gt (r->stats.distinct, 100000);
  cr_expect_eq (r->stats.depth, 12);
  /* The bug scenarios use these bounds (and no more). */
  cr_expect_eq (cfg->explore.depth, 12);
  cr_expect (cfg->explore.crashes == 1 && cfg->explore.restarts == 1
             && cfg->explore.timeouts == 2);
  sim_config_free (cfg);
}
