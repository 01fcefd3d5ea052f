/* test_pb_seeds.c: primary-backup over many seeds.
 *
 * On a healthy network every seed must give a linearizable history; under
 * a partition or a failover the protocol's own invariants must still hold
 * on every seed (they are the ones it keeps even when it loses writes), and
 * the linearizability checker must catch the lost writes on most seeds.
 * `quick` runs a few seeds in the fast suite, `many` a few hundred in the
 * slow one. */
#include <criterion/criterion.h>

#include "checkers/check.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/support.h"

static ChkVerdict
linearizability (const ChkHistory *h)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops, "%s", error ? error->message : "");
  const ChkChecker *lin = chk_checker_find ("linearizable");
  cr_assert_not_null (lin);
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  g_autoptr (ChkReport) rep = chk_checker_run (lin, h, ops, &opt, &error);
  cr_assert_not_null (rep, "%s", error ? error->message : "");
  return rep->verdict;
}

/* Runs `scenario` with seeds 1..n; returns how many were not linearizable. */
static guint
run_seeds (const char *scenario, guint n)
{
  g_autofree char *path = test_source_path (scenario);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load (path, &error);
  cr_assert_not_null (cfg, "%s", error ? error->message : "");
  guint violations = 0;
  for (uint64_t seed = 1; seed <= n; seed++) {
    g_autoptr (SimWorld) w = sim_world_new (cfg, seed);
    sim_world_run (w);
    const char *broken = sim_world_invariant_failure (w);
    cr_assert_null (broken, "%s seed %" G_GUINT64_FORMAT ": %s", scenario, seed, broken);
    cr_assert_gt (sim_world_stats (w)->ops_ok, 100, "%s seed %" G_GUINT64_FORMAT, scenario, seed);
    ChkVerdict v = linearizability (sim_world_history (w));
    cr_assert_neq (v, CHK_VERDICT_UNKNOWN, "%s seed %" G_GUINT64_FORMAT, scenario, seed);
    if (v == CHK_VERDICT_VIOLATION)
      violations++;
  }
  return violations;
}

static void
check_seeds (guint n)
{
  cr_expect_eq (run_seeds ("scenarios/pb/healthy.scn", n), 0,
                "a healthy primary-backup run was not linearizable");
  guint split = run_seeds ("scenarios/pb/primary-isolated.scn", n);
  guint lost = run_seeds ("scenarios/pb/failover-loses-acked-writes.scn", n);
  cr_log_info ("%u seeds: split brain caught on %u, lost writes caught on %u", n, split, lost);
  cr_expect_geq (split * 2, n, "split brain caught on only %u of %u seeds", split, n);
  cr_expect_geq (lost * 2, n, "lost writes caught on only %u of %u seeds", lost, n);
}

Test (pb_seeds, quick, .timeout = 120)
{
  check_seeds (20);
}

Test (pb_seeds, many, .timeout = 600)
{
  check_seeds (1000);
}
