/* world_support.c: see world_support.h. */
#include <criterion/criterion.h>

#include "checkers/linearizable.h"
#include "tests/support.h"
#include "tests/world_support.h"

#include <stdio.h>
#include <string.h>

ChkVerdict
test_linearizable_verdict (const SimWorld *w, char **why)
{
  const ChkHistory *h = sim_world_history (w);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops, "%s", error != NULL ? error->message : "");
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.memory_limit_bytes = (gsize) 1 << 30;
  g_autoptr (ChkReport) rep = chk_linearizable_check (h, ops, &opt, &error);
  cr_assert_not_null (rep, "%s", error != NULL ? error->message : "");
  if (why != NULL)
    *why = g_strdup (rep->explanation);
  return rep->verdict;
}

SimConfig *
test_scenario_load (const char *rel)
{
  g_autofree char *path = test_source_path (rel);
  g_autoptr (GError) error = NULL;
  SimConfig *cfg = sim_scenario_load (path, &error);
  cr_assert_not_null (cfg, "%s: %s", rel, error != NULL ? error->message : "");
  return cfg;
}

SimWorld *
test_world_run (const SimConfig *cfg, uint64_t seed)
{
  SimWorld *w = sim_world_new (cfg, seed);
  sim_world_run (w);
  return w;
}

char *
test_world_trace (const SimConfig *cfg, uint64_t seed)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  cr_assert_not_null (f);
  SimWorld *w = sim_world_new (cfg, seed);
  sim_world_set_trace_output (w, f);
  sim_world_run (w);
  sim_world_free (w);
  fclose (f);
  return buf;
}

void
test_assert_same_seed_same_trace (const char *rel)
{
  g_autoptr (SimConfig) cfg = test_scenario_load (rel);
  g_autofree char *a = test_world_trace (cfg, 5);
  g_autofree char *b = test_world_trace (cfg, 5);
  g_autofree char *c = test_world_trace (cfg, 6);
  cr_assert_gt (strlen (a), 10000, "%s: a trace of only %zu bytes", rel, strlen (a));
  cr_expect (strcmp (a, b) == 0, "%s: two runs of seed 5 differ", rel);
  cr_expect (strcmp (a, c) != 0, "%s: seeds 5 and 6 gave the same run", rel);
}

SimWorld *
test_world_run_clean (const SimConfig *cfg, uint64_t seed)
{
  SimWorld *w = test_world_run (cfg, seed);
  const char *failure = sim_world_invariant_failure (w);
  cr_assert_null (failure, "seed %" G_GUINT64_FORMAT ": %s", seed, failure);
  g_autofree char *why = NULL;
  ChkVerdict v = test_linearizable_verdict (w, &why);
  cr_assert_eq (v, CHK_VERDICT_OK, "seed %" G_GUINT64_FORMAT ": not linearizable (or "
                "undecided): %s", seed, why);
  return w;
}
