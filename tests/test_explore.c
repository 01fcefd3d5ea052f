/* test_explore.c: `dsim explore`: the canonical digest it identifies states
 * by, the [explore] and [replay] sections, the search finding Raft's seeded
 * bugs with paths that replay, the same state counts for any number of
 * threads, and the command's exit codes. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/explore.h"
#include "sim/scenario.h"
#include "sim/world_internal.h"
#include "tests/support.h"
#include "tests/world_support.h"

static SimConfig *
load_text (const char *text, GError **error)
{
  return sim_scenario_load_data ("x.scn", text, strlen (text), error);
}

/* ---- Digest ---------------------------------------------------------------*/

Test (explore, digest_sees_deadlines_relative_to_now)
{
  g_autoptr (SimConfig) cfg = sim_config_new (NULL);
  g_autoptr (SimWorld) a = sim_world_new (cfg, 1);
  while (sim_world_step (a))
    ;
  g_autoptr (SimWorld) b = sim_world_clone (a);
  g_autoptr (SimWorld) c = sim_world_clone (a);
  a->stats.now_us = 100;
  a->timers[0].deadline = 300;
  b->stats.now_us = 1100; /* the same state, one millisecond later */
  b->timers[0].deadline = 1300;
  c->stats.now_us = 1100; /* the deadline 100us further away */
  c->timers[0].deadline = 1400;
  cr_expect_eq (sim_world_digest (a), sim_world_digest (b));
  cr_expect_neq (sim_world_digest (a), sim_world_digest (c));
  cr_expect_neq (sim_world_digest_seeded (a, 7), sim_world_digest (a));
  cr_expect_eq (sim_world_digest_seeded (a, 7), sim_world_digest_seeded (b, 7));
}

Test (explore, digest_sees_messages_in_flight_as_a_multiset)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-correct.scn");
  sim_explore_config_prepare (cfg);
  g_autoptr (SimWorld) w = sim_world_new (cfg, 1);
  for (int n = 0; n < 3; n++) {
    SimChoice start = { .kind = SIM_CHOICE_START, .endpoint = n };
    cr_assert (sim_world_apply (w, &start));
  }
  SimChoice timeout = { .kind = SIM_CHOICE_TIMEOUT, .endpoint = 0 };
  g_autoptr (GArray) en = g_array_new (FALSE, FALSE, sizeof (SimChoice));
  sim_world_enabled (w, en);
  for (guint i = 0; i < en->len; i++)
    if (g_array_index (en, SimChoice, i).kind == SIM_CHOICE_TIMEOUT
        && g_array_index (en, SimChoice, i).endpoint == 0)
      timeout = g_array_index (en, SimChoice, i);
  cr_assert (sim_world_apply (w, &timeout));
  cr_assert_eq (sim_world_in_flight (w), 2, "n1 asks n2 and n3 for votes");
  SimChoice to_n2 = { .kind = SIM_CHOICE_DELIVER, .endpoint = 1, .id = 1 };
  SimChoice to_n3 = { .kind = SIM_CHOICE_DELIVER, .endpoint = 2, .id = 2 };
  g_autoptr (SimWorld) x = sim_world_clone (w);
  g_autoptr (SimWorld) y = sim_world_clone (w);
  cr_assert (sim_world_apply (x, &to_n2) && sim_world_apply (x, &to_n3));
  cr_assert (sim_world_apply (y, &to_n3) && sim_world_apply (y, &to_n2));
  /* The two replies have different ids (sent in another order) but the
   * same contents: one state. */
  cr_expect_eq (sim_world_digest (x), sim_world_digest (y));
  cr_expect_neq (sim_world_digest (x), sim_world_digest (w));
  /* A duplicate is one more message of the multiset. */
  g_autoptr (SimWorld) d = sim_world_clone (w);
  SimChoice dup = to_n2;
  dup.kind = SIM_CHOICE_DUPLICATE;
  cr_assert (sim_world_apply (d, &dup));
  cr_expect_eq (sim_world_in_flight (d), 3);
  cr_expect_neq (sim_world_digest (d), sim_world_digest (w));
}

/* ---- Scenario sections ----------------------------------------------------*/

static const char base[] = "[cluster]\nprotocol = raft\nnodes = 3\n"
                           "[workload]\nclients = 1\n";

static void
expect_error (const char *tail, const char *message)
{
  g_autofree char *text = g_strconcat (base, tail, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = load_text (text, &error);
  cr_assert_null (cfg, "accepted:\n%s", text);
  cr_expect_str_eq (error->message, message);
}

Test (explore, explore_section_sets_the_bounds)
{
  g_autofree char *text = g_strconcat (base, "[explore]\nstrategy = dfs\ndepth = 9\nstates = 500\n"
                                       "drops = 1\nduplicates = 2\ncrashes = 3\nrestarts = 4\n"
                                       "ops = 2\nwalks = 77\nfingerprint = 128\n"
                                       "deadlock = false\ntimeouts = 5\n", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = load_text (text, &error);
  cr_assert_not_null (cfg, "%s", error->message);
  const SimExploreConfig *x = &cfg->explore;
  cr_expect_eq (x->strategy, SIM_EXPLORE_DFS);
  cr_expect_eq (x->depth, 9);
  cr_expect_eq (x->max_states, 500);
  cr_expect (x->drops == 1 && x->duplicates == 2 && x->crashes == 3 && x->restarts == 4);
  cr_expect (x->ops == 2 && x->walks == 77 && x->fingerprint_bits == 128 && !x->deadlock);
  cr_expect_eq (x->timeouts, 5);
}

Test (explore, bad_bounds_name_file_line_and_key)
{
  expect_error ("[explore]\ndepth = 0\n",
                "x.scn:7: [explore] depth: expected an integer from 1 to 10000, got '0'");
  expect_error ("[explore]\nstrategy = sideways\n",
                "x.scn:7: [explore] strategy: expected bfs, dfs or random-walk, got 'sideways'");
  expect_error ("[explore]\nfingerprint = 96\n",
                "x.scn:7: [explore] fingerprint: expected 64 or 128 (bits), got '96'");
  expect_error ("[explore]\ndrops = -1\n",
                "x.scn:7: [explore] drops: expected an integer from 0 to 1000, got '-1'");
  expect_error ("[explore]\ndept = 3\n",
                "x.scn:7: [explore] dept: unknown key; did you mean 'depth'?");
  expect_error ("[replay]\nstep 2 = start n1\n",
                "x.scn:7: [replay] step 2: expected 'step 1' here (steps are numbered from 1, "
                "in order)");
  expect_error ("[replay]\nstep 1 = deliver m1 to n9\n",
                "x.scn:7: [replay] step 1: expected 'deliver mID to ENDPOINT', such as "
                "'deliver m3 to n2', got 'deliver m1 to n9'");
  expect_error ("[replay]\nstep 1 = fly n1\n",
                "x.scn:7: [replay] step 1: expected a choice: start, deliver, drop, duplicate, "
                "timeout, invoke, attempt-timeout, retry, op-timeout, fault, sync-done, crash or "
                "restart, got 'fly n1'");
  expect_error ("[replay]\n", "x.scn:6: [replay]: expected at least one 'step 1 = CHOICE' line");
}

Test (explore, choices_in_words_read_back)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = load_text (base, &error);
  cr_assert_not_null (cfg);
  const char *words[] = {
    "start n1", "deliver m4 to n2", "drop m4 to c1", "duplicate m12 to n3", "timeout n3",
    "timeout c1", "invoke c1 #1", "attempt-timeout c1 #16777216", "retry c1 #16777217",
    "op-timeout c1 #1", "sync-done n3 #2", "crash n2", "restart n2",
  };
  g_autoptr (GString) why = g_string_new (NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (words); i++) {
    SimPinnedChoice c;
    cr_assert (sim_pinned_parse (cfg, words[i], &c, why), "%s: %s", words[i], why->str);
    g_autoptr (GString) back = g_string_new (NULL);
    sim_pinned_format (cfg, &c, back);
    cr_expect_str_eq (back->str, words[i]);
  }
}

/* ---- Search ---------------------------------------------------------------*/

static SimExploreResult *
explore (const SimConfig *cfg, int threads)
{
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  opt.threads = threads;
  return sim_explore_run (cfg, &opt);
}

/* The path replays in a fresh world (as `dsim run` does) to the same
 * broken invariant. */
static void
expect_replays_to (const SimConfig *cfg, const SimExploreResult *r, const char *invariant)
{
  g_autoptr (SimConfig) again = sim_config_copy (cfg);
  g_array_append_vals (again->replay, r->path->data, r->path->len);
  sim_explore_config_prepare (again);
  g_autoptr (SimWorld) w = sim_world_new (again, again->seed);
  g_autoptr (GError) error = NULL;
  cr_assert (sim_world_replay (w, &error), "%s", error != NULL ? error->message : "");
  const char *failure = sim_world_invariant_failure (w);
  cr_assert_not_null (failure, "the replayed path breaks nothing");
  cr_expect (g_str_has_prefix (failure, invariant), "%s", failure);
}

Test (explore, finds_vote_without_log_check_and_the_path_replays)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-vote-without-log-check.scn");
  g_autoptr (SimExploreResult) r = explore (cfg, 1);
  cr_assert_eq (r->verdict, SIM_EXPLORE_VIOLATION, "%s", r->what ? r->what : "pass");
  cr_expect (g_str_has_prefix (r->what, "invariant: leader-completeness"), "%s", r->what);
  /* Three boots, then the shortest path: 8 choices (breadth first). */
  cr_expect_eq (r->path->len, 11);
  expect_replays_to (cfg, r, "leader-completeness");
}

Test (explore, iterative_deepening_finds_a_path_as_short)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-vote-without-log-check.scn");
  cfg->explore.strategy = SIM_EXPLORE_DFS;
  g_autoptr (SimExploreResult) r = explore (cfg, 1);
  cr_assert_eq (r->verdict, SIM_EXPLORE_VIOLATION);
  cr_expect_eq (r->path->len, 11);
  expect_replays_to (cfg, r, "leader-completeness");
}

Test (explore, random_walks_find_it_or_say_unknown)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-vote-without-log-check.scn");
  cfg->explore.strategy = SIM_EXPLORE_RANDOM_WALK;
  cfg->explore.walks = 3000;
  g_autoptr (SimExploreResult) r = explore (cfg, 1);
  cr_assert_eq (r->verdict, SIM_EXPLORE_VIOLATION, "%s", r->what);
  expect_replays_to (cfg, r, "leader-completeness");
  cfg->explore.walks = 1;
  cfg->explore.depth = 2;
  g_autoptr (SimExploreResult) none = explore (cfg, 1);
  cr_expect_eq (none->verdict, SIM_EXPLORE_UNKNOWN);
  cr_expect (strstr (none->what, "do not cover") != NULL, "%s", none->what);
}

Test (explore, a_state_bound_ends_unknown_with_the_reason)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-correct.scn");
  cfg->explore.max_states = 1000;
  g_autoptr (SimExploreResult) r = explore (cfg, 1);
  cr_assert_eq (r->verdict, SIM_EXPLORE_UNKNOWN);
  cr_expect (strstr (r->what, "bound of 1000 distinct states") != NULL, "%s", r->what);
}

/* Breadth first asks expired() before each round of a level: true from
 * call `at` on (0: never); `calls` counts the questions. */
typedef struct {
  int calls, at;
} Expiry;

static gboolean
expire_at (void *data)
{
  Expiry *e = data;
  return ++e->calls >= e->at && e->at > 0;
}

/* Stopped by the time limit before the last round of its last level, a
 * search counts as distinct only the states it found: its children of
 * the rounds done, each once, on top of the levels done.  So no more than
 * the whole search finds, and more than the levels done. */
Test (explore, a_time_limit_counts_each_state_found_once, .timeout = 120)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-correct.scn");
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  opt.bounds.depth = 9;
  Expiry all = { 0, 0 };
  opt.expired = expire_at;
  opt.expired_data = &all;
  g_autoptr (SimExploreResult) whole = sim_explore_run (cfg, &opt);
  cr_assert_eq (whole->verdict, SIM_EXPLORE_PASS, "%s", whole->what);
  cr_assert_gt (all.calls, 10);
  Expiry last = { 0, all.calls };
  opt.bounds.depth = 8;
  g_autoptr (SimExploreResult) levels = sim_explore_run (cfg, &opt);

  opt.bounds.depth = 9;
  opt.expired_data = &last;
  g_autoptr (SimExploreResult) cut = sim_explore_run (cfg, &opt);
  cr_assert_eq (cut->verdict, SIM_EXPLORE_UNKNOWN);
  cr_expect (strstr (cut->what, "time limit") != NULL, "%s", cut->what);
  cr_expect_eq (cut->stats.depth, 8);
  cr_expect_lt (cut->stats.generated, whole->stats.generated);
  cr_expect_leq (cut->stats.distinct, whole->stats.distinct,
                 "%" G_GUINT64_FORMAT " distinct found before the limit, %" G_GUINT64_FORMAT
                 " in the whole search", cut->stats.distinct, whole->stats.distinct);
  cr_expect_gt (cut->stats.distinct, levels->stats.distinct);
}

/* A fixed bound of 3-node Raft: correct Raft, depth 7 after the boots. */
Test (explore, distinct_states_do_not_depend_on_threads, .timeout = 300)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-correct.scn");
  cfg->explore.depth = 7;
  g_autoptr (SimExploreResult) one = explore (cfg, 1);
  g_autoptr (SimExploreResult) again = explore (cfg, 1);
  g_autoptr (SimExploreResult) three = explore (cfg, 3);
  cr_assert_eq (one->verdict, SIM_EXPLORE_PASS, "%s", one->what);
  cr_expect_gt (one->stats.distinct, 1000);
  cr_expect_eq (one->stats.distinct, again->stats.distinct, "%" G_GUINT64_FORMAT " then %" G_GUINT64_FORMAT, one->stats.distinct, again->stats.distinct);
  cr_expect_eq (one->stats.distinct, three->stats.distinct);
  cr_expect_eq (one->stats.generated, three->stats.generated);
  cr_expect_eq (three->verdict, SIM_EXPLORE_PASS);
  /* 128-bit fingerprints find the same states (no collision here). */
  cfg->explore.fingerprint_bits = 128;
  g_autoptr (SimExploreResult) wide = explore (cfg, 2);
  cr_expect_eq (wide->stats.distinct, one->stats.distinct);
}

/* ---- The command ----------------------------------------------------------*/

Test (explore, command_writes_a_path_that_dsim_run_replays, .timeout = 120)
{
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-vote-without-log-check.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-explore-XXXXXX", NULL);
  char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "explore", scn, "--out", dir, NULL }, &out, &err);
  cr_expect_eq (rc, 1, "%s%s", out, err);
  cr_expect (strstr (out, "violation    invariant: leader-completeness") != NULL, "%s", out);
  cr_expect (strstr (out, "outcome      violation") != NULL, "%s", out);
  g_free (out);
  g_free (err);
  g_autofree char *path = g_build_filename (dir, "path.scn", NULL);
  g_autofree char *svg = g_build_filename (dir, "diagram.svg", NULL);
  cr_expect (g_file_test (svg, G_FILE_TEST_EXISTS));
  rc = test_run_dsim ((const char *[]) { "run", path, NULL }, &out, &err);
  cr_expect_eq (rc, 1, "%s%s", out, err);
  cr_expect (strstr (out, "invariants   BROKEN: leader-completeness") != NULL, "%s", out);
  g_free (out);
  g_free (err);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  cr_expect_eq (system (cmd), 0);
}

Test (explore, command_rejects_bad_flags)
{
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-correct.scn");
  const char *cases[][3] = {
    { "--depth", "0", "explore: --depth: expected an integer from 1 to 10000, got '0'" },
    { "--shard", "3/2", "explore: --shard: expected I/N with 1 <= I <= N, got '3/2'" },
    { "--max-memory", "lots", "explore: --max-memory: expected a size such as 512M or 4G, "
                              "got 'lots'" },
    { "--fingerprint", "32", "explore: --fingerprint: expected 64 or 128, got '32'" },
    { "--timeout", "0s", "explore: --timeout: expected a positive duration such as 30s or 10m, "
                         "got '0s'" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    char *out = NULL, *err = NULL;
    int rc = test_run_dsim ((const char *[]) { "explore", scn, cases[i][0], cases[i][1], NULL },
                            &out, &err);
    cr_expect_eq (rc, 2);
    cr_expect (strstr (err, cases[i][2]) != NULL, "%s", err);
    g_free (out);
    g_free (err);
  }
}

Test (explore, command_ends_unknown_at_the_state_bound)
{
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-correct.scn");
  char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "explore", scn, "--max-states", "500", NULL }, &out,
                          &err);
  cr_expect_eq (rc, 3, "%s%s", out, err);
  cr_expect (strstr (out, "outcome      unknown") != NULL, "%s", out);
  cr_expect (strstr (out, "bound of 500 distinct states") != NULL, "%s", out);
  g_free (out);
  g_free (err);
}

/* Each strategy stops at the time limit with the reason; the state bound
 * is only a guard, far beyond what a millisecond explores. */
Test (explore, command_ends_unknown_at_the_time_limit, .timeout = 120)
{
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-correct.scn");
  const char *strategies[][2] = {
    { "bfs", "after depth" }, { "dfs", "at depth limit" }, { "random-walk", "random walks" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (strategies); i++) {
    char *out = NULL, *err = NULL;
    int rc = test_run_dsim ((const char *[]) { "explore", scn, "--strategy", strategies[i][0],
                                               "--depth", "40", "--timeouts", "0", "--walks",
                                               "100000000", "--max-states", "50000000",
                                               "--timeout", "1ms", NULL },
                            &out, &err);
    cr_expect_eq (rc, 3, "%s: %s%s", strategies[i][0], out, err);
    /* The reason is wrapped over lines: compare it with single spaces. */
    g_autofree char *squeezed = g_strdup (out);
    char *to = squeezed;
    for (const char *c = out; *c != '\0'; c++)
      if (!g_ascii_isspace (*c) || (to > squeezed && to[-1] != ' '))
        *to++ = g_ascii_isspace (*c) ? ' ' : *c;
    *to = '\0';
    cr_expect (strstr (squeezed, "reached the time limit (--timeout 1ms)") != NULL, "%s", out);
    cr_expect (strstr (squeezed, strategies[i][1]) != NULL, "%s: %s", strategies[i][0], out);
    g_free (out);
    g_free (err);
  }
}

Test (explore, shards_split_the_search)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-correct.scn");
  cfg->explore.depth = 5;
  g_autoptr (SimExploreResult) all = explore (cfg, 1);
  uint64_t sum = 0;
  for (int i = 0; i < 2; i++) {
    SimExploreOptions opt;
    sim_explore_options_init (&opt, cfg);
    opt.shard_index = i;
    opt.shard_count = 2;
    g_autoptr (SimExploreResult) part = sim_explore_run (cfg, &opt);
    cr_expect_eq (part->verdict, SIM_EXPLORE_PASS);
    cr_expect_lt (part->stats.distinct, all->stats.distinct, "shard %d/2 explores less", i + 1);
    sum += part->stats.distinct;
  }
  /* States reachable from both slices are counted in each. */
  cr_expect_geq (sum, all->stats.distinct);
}
