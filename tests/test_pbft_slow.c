/* test_pbft_slow.c: the slow suite's PBFT campaign: 200 seeds of random
 * Byzantine behaviours on at most f replicas, with crashes, partitions and
 * message loss; every invariant holds and every history is linearizable. */
#include <criterion/criterion.h>

#include "protocols/pbft/pbft.h"
#include "sim/byzantine.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/world_support.h"
#include "tests/support.h"

#include <stdlib.h>
#include <string.h>

static SimConfig *
load (const char *rel)
{
  g_autofree char *path = test_source_path (rel);
  g_autoptr (GError) error = NULL;
  SimConfig *cfg = sim_scenario_load (path, &error);
  cr_assert_not_null (cfg, "%s: %s", rel, error != NULL ? error->message : "");
  return cfg;
}

static gint
fault_by_time (gconstpointer a, gconstpointer b)
{
  const SimFault *x = a, *y = b;
  return (x->at_us > y->at_us) - (x->at_us < y->at_us);
}

/* Slow suite: 200 seeds, up to f Byzantine replicas with random behaviours,
 * network loss, partitions and crashes: no invariant breaks and every
 * history is linearizable. */
Test (pbft_world_slow, random_byzantine_at_most_f, .timeout = 600)
{
  const char *const *names = sim_byzantine_behaviours ();
  guint n_behaviours = g_strv_length ((char **) names);
  int with_byzantine = 0;
  for (uint64_t seed = 1; seed <= 200; seed++) {
    g_autoptr (SimConfig) cfg = load ("scenarios/pbft/seven-replicas-random.scn");
    Pcg32 rng;
    pcg32_seed (&rng, seed, 99);
    cfg->n_nodes = 4 + 3 * (int) pcg32_below (&rng, 2); /* 4 or 7 */
    int f = pbft_f (cfg->n_nodes);
    g_array_set_size (cfg->faults, 0);
    /* Odd seeds: f scheduled Byzantine replicas; even seeds: random ones
     * (random.byzantine), at most f. */
    if (seed % 2 == 0) {
      cfg->random_faults.byzantine_per_s = 2.0;
      cfg->random_faults.byzantine_max = f;
    }
    for (int k = 0; k < f && seed % 2 == 1; k++) {
      SimFault fault;
      memset (&fault, 0, sizeof fault);
      fault.kind = SIM_FAULT_BYZANTINE;
      fault.node = (int) pcg32_below (&rng, (uint32_t) cfg->n_nodes);
      fault.at_us = (int64_t) pcg32_below (&rng, 1000000);
      g_strlcpy (fault.behaviour, names[pcg32_below (&rng, n_behaviours)], sizeof fault.behaviour);
      gboolean again = FALSE;
      for (guint j = 0; j < cfg->faults->len; j++)
        again = again || g_array_index (cfg->faults, SimFault, j).node == fault.node;
      if (!again)
        g_array_append_val (cfg->faults, fault);
    }
    g_array_sort (cfg->faults, fault_by_time);
    cfg->random_faults.crash_per_s = 0.5;
    g_autoptr (SimWorld) w = sim_world_new (cfg, seed);
    sim_world_run (w);
    cr_expect_null (sim_world_invariant_failure (w), "seed %" G_GUINT64_FORMAT ": %s", seed,
                    sim_world_invariant_failure (w));
    g_autofree char *why = NULL;
    cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK,
                  "seed %" G_GUINT64_FORMAT ": %s", seed, why);
    int faulty = 0;
    for (int n = 0; n < cfg->n_nodes; n++)
      faulty += sim_world_node_behaviour (w, n)[0] != '\0';
    cr_expect_leq (faulty, f, "seed %" G_GUINT64_FORMAT, seed);
    with_byzantine += faulty > 0;
  }
  cr_expect_geq (with_byzantine, 180, "only %d runs had a Byzantine replica", with_byzantine);
}

/* Slow suite: the liveness phase is sound for correct PBFT.  300 runs of
 * the fuzzer's PBFT scenario (n = 7, two Byzantine replicas that stay
 * Byzantine after the heal, loss and partitions before it): every run
 * passes, none fails on liveness.  Before view-change acks, relayed view
 * changes and answers to resent votes, 31 of 100 runs did. */
Test (pbft_world_slow, fuzz_liveness_phase_holds_for_correct_pbft, .timeout = 600)
{
  g_autofree char *scn = test_source_path ("scenarios/pbft/seven-replicas-random.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-pbft-fuzz-XXXXXX", NULL);
  cr_assert_not_null (dir);
  g_autofree char *out_dir = g_build_filename (dir, "out", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "fuzz", scn, "--runs", "300", "--jobs", "2",
                                             "--strategy", "random", "--out", out_dir, NULL },
                          &out, &err);
  cr_expect_eq (rc, 0, "dsim fuzz: %s%s", out, err);
  cr_expect (strstr (out, "runs         300: pass 300, failed 0 (invariant 0, model 0, "
                          "liveness 0)") != NULL, "%s", out);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);
  cr_assert_eq (system (rm), 0);
}
