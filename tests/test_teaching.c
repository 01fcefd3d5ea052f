/* test_teaching.c: the teaching catalog (scenarios/teaching/) and the
 * famous failures (scenarios/famous/).  run.every_scenario_ends_as_it_expects
 * already runs each one against its `expect`; here: every scenario checks
 * every model and states its seed rate, the verdict tables that teach
 * something (which models a stale read breaks, that a strict quorum's twin
 * holds), and the two sides of CAP. */
#include <criterion/criterion.h>

#include <string.h>

#include "checkers/check.h"
#include "sim/scenario.h"
#include "tests/support.h"

static char *
run_scenario (const char *rel, int want_rc)
{
  g_autofree char *path = test_source_path (rel);
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "run", path, NULL };
  int rc = test_run_dsim (args, &out, &err);
  cr_assert_eq (rc, want_rc, "%s: exit %d\n%s%s", rel, rc, out, err);
  return g_steal_pointer (&out);
}

/* The verdict word printed for model in a dsim run summary. */
static char *
verdict (const char *out, const char *model)
{
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], model) && lines[i][strlen (model)] == ' ') {
      const char *p = lines[i] + strlen (model);
      while (*p == ' ')
        p++;
      return g_strndup (p, strcspn (p, " :"));
    }
  return g_strdup ("(missing)");
}

static void
expect_verdicts (const char *out, const char *const *violated, const char *const *hold)
{
  for (int i = 0; violated[i] != NULL; i++) {
    g_autofree char *v = verdict (out, violated[i]);
    cr_expect_str_eq (v, "VIOLATED", "%s\n%s", violated[i], out);
  }
  for (int i = 0; hold[i] != NULL; i++) {
    g_autofree char *v = verdict (out, hold[i]);
    cr_expect_str_eq (v, "holds", "%s\n%s", hold[i], out);
  }
}

static void
check_catalog_dir (const char *dir, guint at_least)
{
  g_autoptr (GPtrArray) paths = test_scenario_files (dir);
  cr_assert_geq (paths->len, at_least, "%s", dir);
  for (guint i = 0; i < paths->len; i++) {
    const char *path = paths->pdata[i];
    g_autoptr (GError) error = NULL;
    g_autoptr (SimConfig) cfg = sim_scenario_load (path, &error);
    cr_assert_not_null (cfg, "%s", error ? error->message : "");
    cr_expect (cfg->description != NULL && strstr (cfg->description, "of seeds 1..100") != NULL,
               "%s: the description states how often it shows over seeds 1..100", path);
    /* Every model dsim check decides on a run's history (eventual needs
     * final reads, which a run does not mark). */
    for (const ChkChecker *c = chk_checkers (); c->name != NULL; c++)
      if (strcmp (c->name, "eventual") != 0)
        cr_expect (g_strv_contains ((const char *const *) cfg->check_models, c->name),
                   "%s: [check] models lacks %s", path, c->name);
  }
}

Test (teaching, every_scenario_checks_every_model_and_states_its_rate)
{
  check_catalog_dir ("scenarios/teaching", 16);
  check_catalog_dir ("scenarios/famous", 5);
}

/* A stale read from a lagging replica, and the session anomalies: each
 * breaks the guarantee it is named after, and monotonic-writes holds in
 * all of them (the writes themselves are never reordered). */
Test (teaching, session_anomalies_break_what_they_are_named_after, .timeout = 60)
{
  g_autofree char *ryw = run_scenario ("scenarios/teaching/read-your-writes-load-balancer.scn", 1);
  expect_verdicts (ryw, (const char *[]) { "read-your-writes", "pram", "session", "linearizable", NULL },
                   (const char *[]) { "monotonic-writes", NULL });
  g_autofree char *mr = run_scenario ("scenarios/teaching/monotonic-reads-across-replicas.scn", 1);
  expect_verdicts (mr, (const char *[]) { "monotonic-reads", "pram", "session", NULL },
                   (const char *[]) { "monotonic-writes", NULL });
  g_autofree char *abq = run_scenario ("scenarios/teaching/answer-before-question.scn", 1);
  expect_verdicts (abq, (const char *[]) { "causal", "causal-memory", "sequential", NULL },
                   (const char *[]) { "monotonic-writes", NULL });
}

/* W + R <= N against W + R > N on the same cluster: the weak one is not
 * linearizable and its reads are measured behind; the strict one with
 * read repair holds every model and no read is behind. */
Test (teaching, quorum_overlap_weak_against_strict, .timeout = 60)
{
  g_autofree char *weak = run_scenario ("scenarios/teaching/quorum-overlap-weak.scn", 1);
  g_autofree char *strict = run_scenario ("scenarios/teaching/quorum-overlap-strict.scn", 0);
  expect_verdicts (weak, (const char *[]) { "linearizable", NULL }, (const char *[]) { NULL });
  cr_expect (strstr (weak, "not linearizable;") != NULL, "%s", weak);
  expect_verdicts (strict, (const char *[]) { NULL },
                   (const char *[]) { "linearizable", "sequential", "causal", "session", NULL });
  cr_expect (strstr (strict, "measured: smallest Delta 0: linearizable; 0 of ") != NULL, "%s", strict);
}

static guint
count_after (const char *out, const char *what)
{
  const char *p = strstr (out, what);
  cr_assert_not_null (p, "no '%s' in\n%s", what, out);
  return (guint) g_ascii_strtoull (p + strlen (what), NULL, 10);
}

/* CAP: under the same partition the CP configuration (ABD) leaves
 * operations unanswered and stays linearizable; the AP one (sloppy,
 * w = r = 1) answers more and is not linearizable. */
Test (teaching, cap_trades_availability_for_consistency, .timeout = 60)
{
  g_autofree char *cp = run_scenario ("scenarios/teaching/cap-partition-cp.scn", 0);
  g_autofree char *ap = run_scenario ("scenarios/teaching/cap-partition-ap.scn", 1);
  expect_verdicts (cp, (const char *[]) { NULL }, (const char *[]) { "linearizable", NULL });
  expect_verdicts (ap, (const char *[]) { "linearizable", NULL }, (const char *[]) { NULL });
  guint cp_info = count_after (cp, "info "), ap_info = count_after (ap, "info ");
  cr_expect_gt (cp_info, ap_info, "CP leaves more operations unanswered: %u against %u", cp_info, ap_info);
}

/* The famous failures that lose acknowledged writes break linearizability
 * through a lost write; the deposed leader's reads are stale. */
Test (teaching, famous_failures_show_their_mechanism, .timeout = 60)
{
  g_autofree char *redis = run_scenario ("scenarios/famous/redis-sentinel-failover.scn", 1);
  cr_expect (strstr (redis, "pb-stepped-down") != NULL, "the old master steps down:\n%s", redis);
  g_autofree char *mongo = run_scenario ("scenarios/famous/mongodb-w1-rollback.scn", 1);
  cr_expect (strstr (mongo, "pb-promoted") != NULL, "%s", mongo);
  g_autofree char *cass = run_scenario ("scenarios/famous/cassandra-lww-skew.scn", 1);
  cr_expect (strstr (cass, "linearizable        VIOLATED") != NULL, "%s", cass);
  g_autofree char *raft = run_scenario ("scenarios/famous/deposed-leader-read.scn", 1);
  cr_expect (strstr (raft, "linearizable        VIOLATED: read of key") != NULL, "%s", raft);
}

/* PACELC: on a healthy network reads at ONE break linearizability, ABD's
 * hold it (the latency side is measured by tools/read-latency.py). */
Test (teaching, pacelc_one_against_linearizable, .timeout = 60)
{
  g_autofree char *one = run_scenario ("scenarios/teaching/pacelc-one.scn", 1);
  g_autofree char *abd = run_scenario ("scenarios/teaching/pacelc-linearizable.scn", 0);
  expect_verdicts (one, (const char *[]) { "linearizable", NULL }, (const char *[]) { NULL });
  expect_verdicts (abd, (const char *[]) { NULL },
                   (const char *[]) { "linearizable", "sequential", "session", NULL });
}
