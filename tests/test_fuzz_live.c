/* test_fuzz_live.c: the liveness phase of `dsim fuzz` is sound: it heals
 * message loss too (`heal loss`), and it owes progress only while no more
 * nodes are Byzantine than the protocol tolerates. */
#include <criterion/criterion.h>

#include <string.h>

#include "sim/fuzz.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/support.h"

static SimConfig *
load_text (const char *text, GError **error)
{
  return sim_scenario_load_data ("t.scn", text, strlen (text), error);
}

/* `heal loss`: on a network that loses every message, nothing arrives
 * before it and everything after it. */
Test (fuzz_live, heal_loss_ends_message_loss)
{
  static const char text[] =
    "[scenario]\nname = t\nseed = 3\nduration = 1s\n\n"
    "[cluster]\nprotocol = raft\nnodes = 3\n\n"
    "[network]\nlatency = 1ms..3ms\ndrop = 1\nduplicate = 0.5\n\n"
    "[workload]\nclients = 1\nkeys = 1\nmix = write:1\nthink = 10ms\ntimeout = 300ms\n"
    "attempt_timeout = 50ms\nretries = 5\n\n"
    "[faults]\nat 500ms = heal loss\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = load_text (text, &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  g_autoptr (SimWorld) w = sim_world_new (cfg, cfg->seed);
  sim_world_run (w);
  const SimStats *st = sim_world_stats (w);
  cr_expect_gt (st->msgs_delivered, 0u, "delivered after the heal");
  cr_expect_eq (st->msgs_duplicated, 0u, "no copies: the heal ended duplication too");
  cr_expect_gt (st->ops_ok, 0u);
  /* A word after heal other than loss is refused, with file and line. */
  g_autoptr (GError) bad = NULL;
  g_autofree char *typo = g_strconcat (text, "at 600ms = heal lost\n", NULL);
  g_autoptr (SimConfig) none = load_text (typo, &bad);
  cr_expect_null (none);
  cr_assert_not_null (bad);
  cr_expect (strstr (bad->message, "t.scn:") != NULL, "%s", bad->message);
  cr_expect (strstr (bad->message, "'heal loss'") != NULL, "%s", bad->message);
}

/* PBFT, n = 4 (f = 1): with one silent replica the liveness phase demands
 * progress and gets it; with two it owes none (nothing can commit), so the
 * unanswered operations after the heal are no liveness failure. */
static void
judge_pbft (const char *byzantine, FuzzResult *r)
{
  g_autofree char *text = g_strdup_printf (
    "[scenario]\nname = t\nseed = 4\nduration = 3s\n\n"
    "[cluster]\nprotocol = pbft\nnodes = 4\n\n"
    "[network]\nlatency = 1ms..3ms\n\n"
    "[workload]\nclients = 2\nkeys = 1\nmix = read:1 write:1\nthink = 10ms\ntimeout = 500ms\n"
    "attempt_timeout = 100ms\nretries = 4\nstop = 2500ms\n\n"
    "[faults]\nat 0s = %s\nat 500ms = heal; heal loss\n", byzantine);
  g_autoptr (GError) error = NULL;
  cr_assert (fuzz_run_text ("t.scn", text, 500000, TRUE, r, &error), "%s",
             error != NULL ? error->message : "");
}

Test (fuzz_live, progress_is_owed_within_byzantine_tolerance)
{
  FuzzResult one, two;
  judge_pbft ("byzantine n2 silent", &one);
  cr_expect_eq (one.verdict, FUZZ_PASS, "%s", one.explanation);
  judge_pbft ("byzantine n2 silent; byzantine n3 silent", &two);
  cr_expect_eq (two.verdict, FUZZ_PASS, "%s", two.explanation);
  cr_assert_not_null (two.history_jsonl);
  cr_expect (strstr (two.history_jsonl, "\"type\":\"ok\"") == NULL,
             "two silent replicas of four: nothing completes");
  cr_expect (strstr (two.history_jsonl, "\"type\":\"info\"") != NULL);
  fuzz_result_clear (&one);
  fuzz_result_clear (&two);
}
