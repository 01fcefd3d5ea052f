/* test_explore_por.c: the partial-order reduction of `dsim explore` (sleep
 * sets, sim/explore.c) finds exactly the states the full search finds, on
 * every protocol, with fewer choices tried, and the same violations; and a
 * path cut by the timeouts budget is not reported as a deadlock. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/explore.h"
#include "sim/scenario.h"
#include "tests/support.h"

static void
collect (uint64_t fp, void *data)
{
  g_array_append_val ((GArray *) data, fp);
}

static gint
cmp_u64 (gconstpointer a, gconstpointer b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return x < y ? -1 : x > y;
}

/* Explores cfg breadth first with the reduction on or off; the states
 * found, sorted, in *states. */
static SimExploreResult *
explore (const SimConfig *cfg, gboolean por, GArray **states)
{
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  opt.bounds.por = por;
  *states = g_array_new (FALSE, FALSE, sizeof (uint64_t));
  opt.on_state = collect;
  opt.on_state_data = *states;
  SimExploreResult *r = sim_explore_run (cfg, &opt);
  g_array_sort (*states, cmp_u64);
  return r;
}

/* The same states (as sets), the same verdict, fewer choices tried. */
static void
expect_same_states (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("por.scn", text, strlen (text), &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "?");
  GArray *full_states = NULL, *por_states = NULL;
  g_autoptr (SimExploreResult) full = explore (cfg, FALSE, &full_states);
  g_autoptr (SimExploreResult) por = explore (cfg, TRUE, &por_states);
  cr_assert_eq (full->verdict, SIM_EXPLORE_PASS, "%s: %s", cfg->name, full->what);
  cr_expect_eq (por->verdict, full->verdict, "%s: %s", cfg->name, por->what);
  cr_expect (full->stats.is_complete || full->stats.depth == cfg->explore.depth);
  cr_expect_eq (por->stats.depth, full->stats.depth);
  cr_expect_eq (por->stats.distinct, full->stats.distinct, "%s: %" G_GUINT64_FORMAT " states "
                "with the reduction, %" G_GUINT64_FORMAT " without", cfg->name,
                por->stats.distinct, full->stats.distinct);
  cr_assert_eq (por_states->len, full_states->len, "%s", cfg->name);
  cr_expect (memcmp (por_states->data, full_states->data, 8 * (size_t) full_states->len) == 0,
             "%s: the reduction found other states", cfg->name);
  cr_expect (por->stats.is_reduced && !full->stats.is_reduced);
  cr_expect_eq (full->stats.slept, 0);
  cr_expect_gt (por->stats.slept, 0, "%s: nothing slept", cfg->name);
  cr_expect_lt (por->stats.generated, full->stats.generated, "%s", cfg->name);
  cr_expect_eq (por->stats.generated + por->stats.slept, full->stats.generated,
                "%s: every choice is tried or slept", cfg->name);
  g_array_unref (full_states);
  g_array_unref (por_states);
}

#define CLIENTS2 "[workload]\nclients = 2\nkeys = 1\nmix = read:1 write:1\nretries = 0\n" \
                 "timeout = 1s\nthink = 0ms\n[check]\nmodels = linearizable\n"

Test (explore_por, raft_with_clients_same_states, .timeout = 300)
{
  expect_same_states ("[scenario]\nname = por-raft\nseed = 3\n[cluster]\nprotocol = raft\n"
                      "nodes = 3\n[raft]\npre_vote = false\n" CLIENTS2
                      "[explore]\ndepth = 7\ntimeouts = 2\n");
}

Test (explore_por, raft_with_crashes_same_states, .timeout = 300)
{
  expect_same_states ("[scenario]\nname = por-raft-crash\nseed = 1\n[cluster]\nprotocol = raft\n"
                      "nodes = 3\n[raft]\npre_vote = false\n[workload]\nclients = 0\n"
                      "[explore]\ndepth = 7\ntimeouts = 2\ncrashes = 1\nrestarts = 1\n"
                      "drops = 1\n");
}

Test (explore_por, paxos_same_states, .timeout = 300)
{
  expect_same_states ("[scenario]\nname = por-paxos\nseed = 1\n[cluster]\nprotocol = paxos\n"
                      "nodes = 3\n" CLIENTS2 "[explore]\ndepth = 6\ntimeouts = 2\n");
}

Test (explore_por, quorum_same_states, .timeout = 300)
{
  expect_same_states ("[scenario]\nname = por-quorum\nseed = 1\n[cluster]\nprotocol = quorum\n"
                      "nodes = 3\n[quorum]\nn = 3\n" CLIENTS2
                      "[explore]\ndepth = 6\ntimeouts = 1\n");
}

Test (explore_por, pbft_same_states, .timeout = 300)
{
  expect_same_states ("[scenario]\nname = por-pbft\nseed = 1\n[cluster]\nprotocol = pbft\n"
                      "nodes = 4\n[workload]\nclients = 1\nkeys = 1\nmix = write:1\n"
                      "retries = 0\ntimeout = 1s\nthink = 0ms\n[check]\nmodels = linearizable\n"
                      "[explore]\ndepth = 7\ntimeouts = 1\n");
}

/* A seeded bug: found with and without the reduction, by a path as short. */
Test (explore_por, finds_the_same_violation, .timeout = 300)
{
  g_autofree char *path = test_source_path ("scenarios/explore/raft-vote-without-log-check.scn");
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load (path, &error);
  cr_assert_not_null (cfg);
  GArray *a = NULL, *b = NULL;
  g_autoptr (SimExploreResult) full = explore (cfg, FALSE, &a);
  g_autoptr (SimExploreResult) por = explore (cfg, TRUE, &b);
  cr_assert_eq (full->verdict, SIM_EXPLORE_VIOLATION);
  cr_assert_eq (por->verdict, SIM_EXPLORE_VIOLATION);
  cr_expect_str_eq (por->what, full->what);
  cr_expect_eq (por->path->len, full->path->len);
  cr_expect_lt (por->stats.generated, full->stats.generated);
  g_array_unref (a);
  g_array_unref (b);
}

/* The client's request is dropped and both timeouts of the budget are
 * spent on nodes: only the client's timers are left, held back by the
 * budget.  That is the bound cutting the path, not a deadlock (the client
 * would time out in any run). */
Test (explore_por, a_timer_held_back_by_the_budget_is_no_deadlock, .timeout = 300)
{
  const char *text = "[scenario]\nname = budget-cut\nseed = 1\n[cluster]\nprotocol = pbft\n"
                     "nodes = 4\n[workload]\nclients = 1\nkeys = 1\nmix = write:1\n"
                     "retries = 0\ntimeout = 1s\nthink = 0ms\n"
                     "[explore]\ndepth = 5\ntimeouts = 2\ndrops = 1\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("cut.scn", text, strlen (text), &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "?");
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  g_autoptr (SimExploreResult) r = sim_explore_run (cfg, &opt);
  cr_expect_eq (r->verdict, SIM_EXPLORE_PASS, "%s", r->what ? r->what : "");
  cr_expect_eq (r->stats.depth, 5);
}

/* ---- Directed searches: from_replay ---------------------------------------*/

#define VOTE_BUG "[scenario]\nname = directed\nseed = 1\n[cluster]\nprotocol = raft\nnodes = 3\n" \
                 "[raft]\nbug = vote-without-log-check\npre_vote = false\n[workload]\n" \
                 "clients = 0\n[explore]\ndepth = 12\ntimeouts = 2\n"

Test (explore_por, from_replay_starts_every_path_at_the_prefix, .timeout = 300)
{
  const char *text = VOTE_BUG "from_replay = true\n[replay]\nstep 1 = start n1\n"
                     "step 2 = start n2\nstep 3 = start n3\nstep 4 = timeout n1\n"
                     "step 5 = deliver m1 to n2\nstep 6 = deliver m3 to n1\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("d.scn", text, strlen (text), &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "?");
  cr_assert (cfg->explore.from_replay);
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  g_autoptr (SimExploreResult) r = sim_explore_run (cfg, &opt);
  cr_assert_eq (r->verdict, SIM_EXPLORE_VIOLATION, "%s", r->what ? r->what : "pass");
  cr_expect (g_str_has_prefix (r->what, "invariant: leader-completeness"), "%s", r->what);
  /* The path starts with the prefix, and the budgets counted what
   * followed: two more timeouts were allowed after the prefix's one. */
  cr_assert_geq (r->path->len, cfg->replay->len);
  for (guint i = 0; i < cfg->replay->len; i++) {
    const SimPinnedChoice *a = &g_array_index (r->path, SimPinnedChoice, i);
    const SimPinnedChoice *b = &g_array_index (cfg->replay, SimPinnedChoice, i);
    cr_expect (a->kind == b->kind && a->endpoint == b->endpoint && a->id == b->id, "step %u", i);
  }
  /* The same bug from the boots: a longer path, more states. */
  g_autoptr (SimConfig) boots = sim_scenario_load_data ("b.scn", VOTE_BUG, strlen (VOTE_BUG),
                                                        &error);
  sim_explore_options_init (&opt, boots);
  g_autoptr (SimExploreResult) full = sim_explore_run (boots, &opt);
  cr_assert_eq (full->verdict, SIM_EXPLORE_VIOLATION);
  cr_expect_lt (r->stats.distinct, full->stats.distinct);
}

Test (explore_por, from_replay_needs_a_replay_section)
{
  const char *text = VOTE_BUG "from_replay = true\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("d.scn", text, strlen (text), &error);
  cr_assert_null (cfg);
  cr_expect (strstr (error->message, "d.scn:") != NULL, "%s", error->message);
  cr_expect (strstr (error->message, "[replay]") != NULL, "%s", error->message);
}

Test (explore_por, a_prefix_that_does_not_replay_ends_unknown)
{
  const char *text = VOTE_BUG "from_replay = true\n[replay]\nstep 1 = start n1\n"
                     "step 2 = deliver m9 to n2\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("d.scn", text, strlen (text), &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "?");
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  g_autoptr (SimExploreResult) r = sim_explore_run (cfg, &opt);
  cr_expect_eq (r->verdict, SIM_EXPLORE_UNKNOWN);
  cr_expect (r->what != NULL && strstr (r->what, "step 2") != NULL, "%s", r->what);
}

Test (explore_por, command_from_replay_without_a_prefix_exits_2)
{
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-correct.scn");
  char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "explore", scn, "--from-replay", NULL }, &out, &err);
  cr_expect_eq (rc, 2);
  cr_expect (strstr (err, "--from-replay") != NULL && strstr (err, "no [replay] section") != NULL,
             "%s", err);
  g_free (out);
  g_free (err);
}
