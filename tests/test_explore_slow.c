/* test_explore_slow.c: `dsim explore` on Raft's seeded bugs that need a
 * crash and a restart (volatile-vote), and correct Raft passing the same
 * bounds: every state within them (about 600 000) is explored; then every
 * seeded bug with an explore target (Raft, Paxos, quorum, PBFT) found, its path
 * replayed, and the correct protocol passing the same bounds. */
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

/* ---- Every seeded bug with an explore target ------------------------------
 *
 * Each scenario of scenarios/explore/ that seeds a bug: the explorer finds
 * it (the violation named below), the path replays, and the same scenario
 * with bug = none passes the same bounds. */

typedef struct {
  const char *file;
  const char *bug;      /* the scenario's "bug = NAME" */
  const char *what;     /* how the violation starts */
} BugTarget;

static void
expect_found_and_correct_passes (const BugTarget *t)
{
  g_autofree char *path = test_source_path (t->file);
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (path, &text, NULL, NULL), "%s", t->file);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data (t->file, text, strlen (text), &error);
  cr_assert_not_null (cfg, "%s: %s", t->file, error != NULL ? error->message : "?");
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  g_autoptr (SimExploreResult) r = sim_explore_run (cfg, &opt);
  cr_assert_eq (r->verdict, SIM_EXPLORE_VIOLATION, "%s: %s", t->file, r->what ? r->what : "pass");
  cr_expect (g_str_has_prefix (r->what, t->what), "%s: %s", t->file, r->what);
  /* The path replays to the same broken invariant. */
  g_autoptr (SimConfig) again = sim_config_copy (cfg);
  g_array_set_size (again->replay, 0);
  g_array_append_vals (again->replay, r->path->data, r->path->len);
  sim_explore_config_prepare (again);
  g_autoptr (SimWorld) w = sim_world_new (again, again->seed);
  cr_assert (sim_world_replay (w, &error), "%s: %s", t->file, error ? error->message : "");
  if (g_str_has_prefix (t->what, "invariant: "))
    cr_expect (g_str_has_prefix (sim_world_invariant_failure (w) ? sim_world_invariant_failure (w)
                                                                 : "",
                                 t->what + strlen ("invariant: ")),
               "%s: the replay does not break %s", t->file, t->what);

  /* The correct protocol, the same bounds. */
  /* The knob's own line (comments above it may name the bug too). */
  g_autofree char *knob = g_strdup_printf ("\nbug = %s\n", t->bug);
  char *at = strstr (text, knob);
  cr_assert_not_null (at, "%s has no line 'bug = %s'", t->file, t->bug);
  g_autoptr (GString) fixed = g_string_new (NULL);
  g_string_append_len (fixed, text, at - text);
  g_string_append (fixed, "\nbug = none\n");
  g_string_append (fixed, at + strlen (knob));
  cr_assert (strstr (fixed->str, "\nbug = none\n") != NULL);
  g_autoptr (SimConfig) good = sim_scenario_load_data (t->file, fixed->str, fixed->len, &error);
  cr_assert_not_null (good, "%s: %s", t->file, error != NULL ? error->message : "?");
  sim_explore_options_init (&opt, good);
  g_autoptr (SimExploreResult) pass = sim_explore_run (good, &opt);
  cr_expect_eq (pass->verdict, SIM_EXPLORE_PASS, "%s with bug = none: %s", t->file,
                pass->what ? pass->what : "");
  cr_expect_eq (pass->stats.depth, good->explore.depth, "%s with bug = none", t->file);
}

static const BugTarget bug_targets[] = {
  { "scenarios/explore/raft-stale-leader-read.scn", "stale-leader-read", "linearizable: " },
  { "scenarios/explore/raft-commit-previous-term.scn", "commit-previous-term",
    "invariant: leader-completeness" },
  { "scenarios/explore/paxos-accept-without-promise-check.scn", "accept-without-promise-check",
    "invariant: promises-respected" },
  { "scenarios/explore/paxos-ignore-accepted-in-promise.scn", "ignore-accepted-in-promise",
    "invariant: agreement" },
  { "scenarios/explore/paxos-volatile-promise.scn", "volatile-promise",
    "invariant: promises-respected" },
  { "scenarios/explore/quorum-ack-before-store.scn", "ack-before-store",
    "invariant: no-lost-write" },
  { "scenarios/explore/pbft-no-digest-check.scn", "no-digest-check", "invariant: total-order" },
  { "scenarios/explore/pbft-client-accepts-first-reply.scn", "client-accepts-first-reply",
    "invariant: client-result" },
  { "scenarios/explore/quorum-abd-skip-write-back.scn", "abd-skip-write-back", "linearizable: " },
  { "scenarios/explore/quorum-read-repair-overwrites-newer.scn", "read-repair-overwrites-newer",
    "invariant: version-monotonic" },
  { "scenarios/explore/quorum-hint-dropped-on-restart.scn", "hint-dropped-on-restart",
    "invariant: no-lost-write" },
  { "scenarios/explore/raft-reply-before-sync.scn", "reply-before-sync",
    "invariant: leader-completeness" },
  { "scenarios/explore/raft-two-changes-at-once.scn", "two-changes-at-once",
    "invariant: leader-completeness" },
};

/* The targets whose search goes through a view change (PBFT) or a second
 * leader's election inside the first one's lease (Paxos): a test of their
 * own, so the two tables run side by side. */
static const BugTarget view_change_targets[] = {
  { "scenarios/explore/paxos-lease-read-without-wait.scn", "lease-read-without-wait",
    "linearizable: " },
  { "scenarios/explore/pbft-commit-with-2f-prepares.scn", "commit-with-2f-prepares",
    "invariant: agreement" },
  { "scenarios/explore/pbft-view-change-without-certificates.scn",
    "view-change-without-certificates", "invariant: agreement" },
};

Test (explore_slow, every_seeded_bug_target_is_found_and_correct_passes, .timeout = 900)
{
  for (guint i = 0; i < G_N_ELEMENTS (bug_targets); i++)
    expect_found_and_correct_passes (&bug_targets[i]);
}

Test (explore_slow, view_change_and_lease_targets_are_found_and_correct_passes, .timeout = 900)
{
  for (guint i = 0; i < G_N_ELEMENTS (view_change_targets); i++)
    expect_found_and_correct_passes (&view_change_targets[i]);
}
