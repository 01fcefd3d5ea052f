/* test_fuzz_find.c: what lets `dsim fuzz` reach every seeded bug from a
 * generic scenario: role-aware faults (crash, pause, isolate the leader,
 * resolved when they fire), their scenario text and replay, and the
 * liveness phase's convergence check. */
#include <criterion/criterion.h>

#include <string.h>

#include "sim/fuzz.h"
#include "sim/scenario.h"
#include "sim/world_internal.h"
#include "tests/support.h"

static const char raft_base[] =
  "[scenario]\nname = t\nseed = 5\nduration = 2s\n\n"
  "[cluster]\nprotocol = raft\nnodes = 3\n\n"
  "[network]\nlatency = 1ms..3ms\n\n"
  "[workload]\nclients = 2\nkeys = 1\nmix = read:1 write:1\nthink = 10ms\ntimeout = 500ms\n"
  "attempt_timeout = 50ms\nretries = 8\nbackoff_base = 10ms\nbackoff_cap = 40ms\n\n";

static SimWorld *
world_of (const char *faults)
{
  g_autofree char *text = g_strconcat (raft_base, "[faults]\n", faults, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("t.scn", text, strlen (text), &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  return sim_world_new (cfg, cfg->seed);
}

static void
run_until (SimWorld *w, int64_t t_us)
{
  SimChoice ch;
  while (sim_world_next_choice (w, &ch) && ch.time_us < t_us)
    sim_world_step (w);
}

/* `crash leader for 300ms` crashes the node leading when it fires and
 * restarts that node 300ms later; `pause leader` pauses the new leader. */
Test (fuzz_find, crash_leader_hits_the_leader_of_the_moment)
{
  g_autoptr (SimWorld) w = world_of ("at 1s = crash leader for 300ms\n"
                                     "at 1.6s = pause leader for 100ms\n");
  run_until (w, 1000000);
  int leader = sim_world_leader (w);
  cr_assert_geq (leader, 0, "a leader by 1s");
  run_until (w, 1000001);
  cr_expect_not (w->nodes[leader].is_up, "n%d, the leader, crashed", leader + 1);
  for (int n = 0; n < w->n_nodes; n++)
    if (n != leader)
      cr_expect (w->nodes[n].is_up);
  run_until (w, 1300001);
  cr_expect (w->nodes[leader].is_up, "and restarted 300ms later");
  run_until (w, 1600000);
  int second = sim_world_leader (w);
  cr_assert_geq (second, 0);
  cr_expect_neq (second, leader, "a new leader was elected meanwhile");
  run_until (w, 1600001);
  cr_expect (w->nodes[second].is_paused);
  run_until (w, 1700001);
  cr_expect_not (w->nodes[second].is_paused, "resumed 100ms later");
}

/* Without a leader, a role-aware fault does nothing. */
Test (fuzz_find, crash_leader_without_a_leader_does_nothing)
{
  g_autoptr (SimWorld) w = world_of ("at 1us = crash leader for 300ms\n");
  run_until (w, 2);
  for (int n = 0; n < w->n_nodes; n++)
    cr_expect (w->nodes[n].is_up);
  cr_expect_eq (w->stats.crashes, 0u);
}

/* A plan with leader-targeted faults writes them as such; the text parses
 * and the run is the same run twice (replay is exact). */
Test (fuzz_find, leader_faults_are_written_in_the_scenario_text)
{
  g_autofree char *path = test_source_path ("scenarios/raft/random-faults.scn");
  g_autoptr (GError) error = NULL;
  g_autoptr (FuzzBase) b = fuzz_base_load (path, &error);
  cr_assert_not_null (b, "%s", error != NULL ? error->message : "");
  FuzzInput in;
  fuzz_input_init (&in);
  Pcg32 rng;
  pcg32_seed (&rng, 42, 1);
  fuzz_input_swarm (b, &rng, &in);
  g_array_set_size (in.faults, 0);
  FuzzFault crash = { .kind = SIM_FUZZ_CRASH, .at_us = 500000, .for_us = 200000,
                      .is_leader = TRUE };
  FuzzFault isolate = { .kind = SIM_FUZZ_PARTITION, .at_us = 900000, .for_us = 300000,
                        .is_leader = TRUE };
  g_array_append_val (in.faults, crash);
  g_array_append_val (in.faults, isolate);
  in.duration_us = 2000000;
  FuzzPlan plan;
  fuzz_plan_init (&plan);
  fuzz_plan_from_input (b, &in, &plan);
  g_autofree char *text = fuzz_plan_text (b, &plan, "any", NULL);
  cr_expect (strstr (text, "at 500000us = crash leader for 200000us\n") != NULL, "%s", text);
  cr_expect (strstr (text, "at 900000us = isolate leader\n") != NULL, "%s", text);
  cr_expect (strstr (text, "at 1200000us = heal\n") != NULL, "%s", text);
  cr_expect (strstr (text, "stop = ") != NULL, "the liveness phase ends quiet: %s", text);
  FuzzResult r1, r2;
  cr_assert (fuzz_run_text ("t.scn", text, plan.heal_at_us, TRUE, &r1, &error));
  cr_assert (fuzz_run_text ("t.scn", text, plan.heal_at_us, TRUE, &r2, &error));
  cr_expect_eq (r1.verdict, FUZZ_PASS, "%s", r1.explanation);
  cr_expect_str_eq (r1.history_jsonl, r2.history_jsonl);
  cr_expect_eq (r1.events, r2.events);
  fuzz_result_clear (&r1);
  fuzz_result_clear (&r2);
  fuzz_plan_clear (&plan);
  fuzz_input_clear (&in);
}

/* The liveness phase's convergence check: a replica cut off after the heal
 * (a schedule the fuzzer itself never draws) misses entries; the run fails
 * on liveness, and the explanation names the replica and what it applied.
 * The same run without the cut passes. */
static void
judge (const char *faults, FuzzResult *r)
{
  g_autofree char *text = g_strconcat (raft_base, "[faults]\n", faults, NULL);
  /* The liveness phase: heal at 500ms, clients quiet from 1.5s. */
  g_auto (GStrv) parts = g_strsplit (text, "[workload]\n", 2);
  g_autofree char *with_stop = g_strconcat (parts[0], "[workload]\nstop = 1.5s\n", parts[1], NULL);
  g_autoptr (GError) error = NULL;
  cr_assert (fuzz_run_text ("t.scn", with_stop, 500000, FALSE, r, &error), "%s",
             error != NULL ? error->message : "");
}

Test (fuzz_find, liveness_phase_checks_that_replicas_converge)
{
  FuzzResult ok, cut;
  judge ("at 500ms = heal\n", &ok);
  cr_expect_eq (ok.verdict, FUZZ_PASS, "%s", ok.explanation);
  judge ("at 500ms = heal\nat 800ms = partition n1 n2 c1 c2 | n3\n", &cut);
  cr_expect_eq (cut.verdict, FUZZ_LIVENESS);
  cr_expect_str_eq (cut.what, "liveness");
  cr_assert_not_null (cut.explanation);
  cr_expect (strstr (cut.explanation, "the replicas had not converged: n3 applied ") != NULL,
             "%s", cut.explanation);
  cr_expect (strstr (cut.explanation, "; the nodes:\n  n1: ") != NULL, "%s", cut.explanation);
  fuzz_result_clear (&ok);
  fuzz_result_clear (&cut);
}

/* [fuzz] admin_burst = 1..3 (scenarios/raft/random-faults.scn): operator
 * commands come in bursts, each command 1ms..10ms after the one before,
 * so a leader hears a second change before the first is committed. */
Test (fuzz_find, admin_commands_come_in_bursts)
{
  g_autofree char *path = test_source_path ("scenarios/raft/random-faults.scn");
  g_autoptr (GError) error = NULL;
  g_autoptr (FuzzBase) b = fuzz_base_load (path, &error);
  cr_assert_not_null (b, "%s", error != NULL ? error->message : "");
  cr_expect_eq (b->admin_burst_min, 1);
  cr_expect_eq (b->admin_burst_max, 3);
  FuzzInput in;
  fuzz_input_init (&in);
  Pcg32 rng;
  pcg32_seed (&rng, 7, 1);
  int admin = 0, close = 0;
  for (int run = 0; run < 200; run++) {
    fuzz_input_swarm (b, &rng, &in);
    int64_t last = -1;
    for (guint i = 0; i < in.faults->len; i++) {
      const FuzzFault *f = &g_array_index (in.faults, FuzzFault, i);
      if (f->kind != SIM_FUZZ_ADMIN)
        continue;
      admin++;
      close += last >= 0 && f->at_us - last >= 1000 && f->at_us - last <= 10000;
      last = f->at_us;
    }
  }
  /* Without bursts, at most 4/s, about one command in a hundred would
   * follow another within 10ms. */
  cr_expect_gt (admin, 100);
  cr_expect_gt (close * 4, admin, "%d of %d commands within 10ms of the one before", close,
                admin);
  fuzz_input_clear (&in);
}

/* [fuzz] byzantine (scenarios/pbft/seven-replicas-random.scn): each
 * Byzantine node of the schedule takes a behaviour drawn per run, written
 * into the run's scenario text, and a mutation may change it. */
Test (fuzz_find, byzantine_behaviour_is_drawn_per_node_and_run)
{
  g_autofree char *path = test_source_path ("scenarios/pbft/seven-replicas-random.scn");
  g_autoptr (GError) error = NULL;
  g_autoptr (FuzzBase) b = fuzz_base_load (path, &error);
  cr_assert_not_null (b, "%s", error != NULL ? error->message : "");
  cr_assert_eq (b->n_byzantine, 2, "n1 and n5");
  guint n_how = g_strv_length (b->byzantine);
  cr_assert_eq (n_how, 7);
  gboolean seen[2][8] = { { FALSE } };
  FuzzInput in, mutant;
  fuzz_input_init (&in);
  fuzz_input_init (&mutant);
  Pcg32 rng;
  pcg32_seed (&rng, 11, 1);
  for (int run = 0; run < 100; run++) {
    fuzz_input_swarm (b, &rng, &in);
    for (int k = 0; k < 2; k++) {
      cr_assert_lt (in.byzantine[k], n_how);
      seen[k][in.byzantine[k]] = TRUE;
    }
  }
  for (int k = 0; k < 2; k++)
    for (guint h = 0; h < n_how; h++)
      cr_expect (seen[k][h], "%s never drawn for Byzantine node %d", b->byzantine[h], k);
  gboolean changed = FALSE;
  for (int m = 0; m < 200 && !changed; m++) {
    fuzz_input_mutate (b, &rng, &in, &mutant);
    changed = memcmp (in.byzantine, mutant.byzantine, sizeof in.byzantine) != 0;
  }
  cr_expect (changed, "a mutation changes a behaviour");
  in.byzantine[0] = 2; /* corrupt-digest */
  in.byzantine[1] = 4; /* replay */
  FuzzPlan plan;
  fuzz_plan_init (&plan);
  fuzz_plan_from_input (b, &in, &plan);
  g_autofree char *text = fuzz_plan_text (b, &plan, "any", NULL);
  cr_expect (strstr (text, "byzantine n1 corrupt-digest; byzantine n5 replay") != NULL, "%s",
             text);
  fuzz_plan_clear (&plan);
  fuzz_input_clear (&in);
  fuzz_input_clear (&mutant);
}
