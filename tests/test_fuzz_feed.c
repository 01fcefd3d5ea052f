/* test_fuzz_feed.c: the feedback fuzzer's mutation operators and the
 * shrinker's pinned deliveries.
 *
 * Mutants, splices and swarm draws are valid inputs (within the campaign's
 * bounds, faults in time and on existing nodes) whose scenario text
 * parses; [deliveries] rejects bad sections with file and line; pinning
 * every delivery a run made off the fixed rule replays that run byte for
 * byte; and a seeded-bug failure shrinks to a scenario with the rule on
 * and fewer pinned deliveries than events, which fails with the same
 * invariant, the same way every time. */
#include <criterion/criterion.h>

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fuzz.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/support.h"

/* scenarios/raft/random-faults.scn, with `bug = NAME` added unless NULL. */
static FuzzBase *
raft_base (const char *bug)
{
  g_autofree char *base = test_source_path ("scenarios/raft/random-faults.scn");
  g_autofree char *text = NULL;
  cr_assert (g_file_get_contents (base, &text, NULL, NULL));
  g_autofree char *line = g_strdup_printf ("[raft]\nbug = %s", bug != NULL ? bug : "none");
  g_auto (GStrv) parts = g_strsplit (text, "[raft]", 2);
  cr_assert_not_null (parts[1]);
  g_autofree char *with_bug = bug != NULL ? g_strconcat (parts[0], line, parts[1], NULL)
                                          : g_strdup (text);
  g_autofree char *dir = g_dir_make_tmp ("dsim-fuzz-feed-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "raft.scn", NULL);
  cr_assert (g_file_set_contents (path, with_bug, -1, NULL));
  g_autoptr (GError) error = NULL;
  FuzzBase *b = fuzz_base_load (path, &error);
  cr_assert_not_null (b, "%s", error != NULL ? error->message : "");
  g_remove (path);
  g_rmdir (dir);
  return b;
}

static void
assert_valid_input (const FuzzBase *b, const FuzzInput *in)
{
  cr_assert (in->n_nodes >= b->nodes_min && in->n_nodes <= b->nodes_max, "nodes %d",
             in->n_nodes);
  cr_assert (in->n_clients >= b->clients_min && in->n_clients <= b->clients_max);
  cr_assert (in->duration_us >= b->duration_min_us && in->duration_us <= b->duration_max_us);
  cr_assert (in->drop >= 0 && in->drop <= b->drop_max + 1e-12);
  cr_assert (in->duplicate >= 0 && in->duplicate <= b->duplicate_max + 1e-12);
  gboolean any_op = FALSE;
  for (int op = 0; op < PROTO_OP__COUNT; op++)
    any_op |= in->mix[op] > 0;
  cr_assert (any_op, "every operation switched off");
  uint32_t full = (1u << in->n_nodes) - 1;
  for (guint i = 0; i < in->faults->len; i++) {
    const FuzzFault *f = &g_array_index (in->faults, FuzzFault, i);
    cr_assert (i == 0 || g_array_index (in->faults, FuzzFault, i - 1).at_us <= f->at_us,
               "faults out of order");
    cr_assert (f->at_us >= 0 && f->at_us < in->duration_us, "fault at %" G_GINT64_FORMAT,
               f->at_us);
    cr_assert (f->node >= 0 && f->node < in->n_nodes, "fault on node %d of %d", f->node,
               in->n_nodes);
    cr_assert (b->kinds & (1u << f->kind), "a kind the campaign does not allow");
    cr_assert (in->kinds & (1u << f->kind), "a fault of a kind switched off");
    if (f->kind == SIM_FUZZ_PARTITION)
      cr_assert (f->mask != 0 && (f->mask & full) != full && (f->mask & ~full) == 0,
                 "partition mask %x for %d nodes", f->mask, in->n_nodes);
  }
}

static void
assert_parses (const FuzzBase *b, const FuzzInput *in)
{
  FuzzPlan plan;
  fuzz_plan_init (&plan);
  fuzz_plan_from_input (b, in, &plan);
  g_autofree char *text = fuzz_plan_text (b, &plan, "any", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("mutant", text, strlen (text), &error);
  cr_assert_not_null (cfg, "%s\n%s", error != NULL ? error->message : "", text);
  cr_assert_eq (cfg->n_nodes, in->n_nodes);
  fuzz_plan_clear (&plan);
}

Test (fuzz_feed, mutants_and_splices_are_valid_inputs)
{
  g_autoptr (FuzzBase) b = raft_base (NULL);
  Pcg32 rng;
  pcg32_seed (&rng, 7, 1);
  FuzzInput corpus[8];
  for (int i = 0; i < 8; i++) {
    fuzz_input_init (&corpus[i]);
    fuzz_input_swarm (b, &rng, &corpus[i]);
    corpus[i].new_at_us = (int64_t) pcg32_below (&rng, 2000000);
    assert_valid_input (b, &corpus[i]);
  }
  FuzzInput m;
  fuzz_input_init (&m);
  gboolean nodes_changed = FALSE, kinds_changed = FALSE, duration_changed = FALSE;
  for (int i = 0; i < 2000; i++) {
    const FuzzInput *parent = &corpus[pcg32_below (&rng, 8)];
    if (i % 5 == 0)
      fuzz_input_splice (b, &rng, parent, &corpus[pcg32_below (&rng, 8)], &m);
    else
      fuzz_input_mutate (b, &rng, parent, &m);
    assert_valid_input (b, &m);
    nodes_changed |= m.n_nodes != parent->n_nodes;
    kinds_changed |= m.kinds != parent->kinds;
    duration_changed |= m.duration_us != parent->duration_us;
    if (i % 50 == 0)
      assert_parses (b, &m);
    /* Mutants of mutants stay valid too. */
    if (i % 7 == 0)
      fuzz_input_copy (&corpus[pcg32_below (&rng, 8)], &m);
  }
  /* The swarm configuration itself is mutated, not only the schedule. */
  cr_expect (nodes_changed && kinds_changed && duration_changed);
  fuzz_input_clear (&m);
  for (int i = 0; i < 8; i++)
    fuzz_input_clear (&corpus[i]);
}

/* ---- [deliveries] ----------------------------------------------------------*/

static const char small_raft[] =
  "[scenario]\nname = d\nseed = 5\nduration = 2s\n"
  "[cluster]\nprotocol = raft\nnodes = 3\n"
  "[network]\nlatency = 1ms..10ms\ndrop = 0.05\nduplicate = 0.05\n"
  "[workload]\nclients = 2\nkeys = 2\nmix = read:1 write:1\nthink = 10ms\n"
  "[check]\nmodels = linearizable\n";

static void
expect_error (const char *extra, const char *needle)
{
  g_autofree char *text = g_strconcat (small_raft, extra, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("d.scn", text, strlen (text), &error);
  cr_assert_null (cfg, "accepted: %s", extra);
  cr_expect (strstr (error->message, needle) != NULL, "'%s' not in: %s", needle, error->message);
}

Test (fuzz_feed, deliveries_section_errors_name_the_line)
{
  expect_error ("[deliveries]\nsend 1 = lost\n", "d.scn:19: [deliveries]: expected 'rule = fixed'");
  expect_error ("[deliveries]\nrule = random\n", "d.scn:20: [deliveries] rule: expected fixed");
  expect_error ("[deliveries]\nrule = fixed\nsend 3 = lost\nsend 2 = lost\n",
                "d.scn:22: [deliveries] send 2: expected sends in increasing order");
  expect_error ("[deliveries]\nrule = fixed\nsend 1 = soon\n",
                "d.scn:21: [deliveries] send 1: expected 'lost', 'after DURATION'");
  expect_error ("[deliveries]\nrule = fixed\nsend 1 = after 2ms, after 3ms\n",
                "d.scn:21: [deliveries] send 1: expected 'lost'");
  expect_error ("[deliveries]\nrule = fixed\nmessage 1 = lost\n",
                "d.scn:21: [deliveries] message 1: expected 'rule' or keys 'send K'");
  g_autofree char *ok = g_strconcat (small_raft, "[deliveries]\nrule = fixed\nsend 2 = lost\n"
                                     "send 9 = after 3ms, copy after 4ms\n", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("d.scn", ok, strlen (ok), &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  cr_assert (cfg->has_delivery_rule);
  cr_assert_eq (cfg->deliveries->len, 2);
  const SimDeliveryPin *p = &g_array_index (cfg->deliveries, SimDeliveryPin, 1);
  cr_expect (p->send == 9 && p->is_duplicated && p->after_us[0] == 3000 && p->after_us[1] == 4000);
}

static char *
run_history (const char *text, uint64_t *events, GArray *log)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("d.scn", text, strlen (text), &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  g_autoptr (SimWorld) w = sim_world_new (cfg, cfg->seed);
  if (log != NULL)
    sim_world_record_deliveries (w, log);
  sim_world_run (w);
  *events = sim_world_stats (w)->events;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  chk_history_write_jsonl (sim_world_history (w), f, NULL);
  fclose (f);
  char *out = g_strndup (buf, len);
  free (buf);
  return out;
}

Test (fuzz_feed, pinning_every_delivery_off_the_rule_replays_the_run)
{
  g_autoptr (GArray) log = g_array_new (FALSE, TRUE, sizeof (SimDeliveryPin));
  uint64_t events = 0, pinned_events = 0, rule_events = 0;
  g_autofree char *history = run_history (small_raft, &events, log);
  guint lost = 0, copied = 0;
  for (guint i = 0; i < log->len; i++) {
    lost += g_array_index (log, SimDeliveryPin, i).is_lost;
    copied += g_array_index (log, SimDeliveryPin, i).is_duplicated;
  }
  cr_assert (log->len > 100 && lost > 0 && copied > 0, "%u off the rule, %u lost, %u copied",
             log->len, lost, copied);
  g_autoptr (GString) pins = g_string_new ("[deliveries]\nrule = fixed\n");
  for (guint i = 0; i < log->len; i++) {
    const SimDeliveryPin *d = &g_array_index (log, SimDeliveryPin, i);
    g_string_append_printf (pins, "send %" G_GUINT64_FORMAT " = ", d->send);
    if (d->is_lost)
      g_string_append (pins, "lost\n");
    else if (d->is_duplicated)
      g_string_append_printf (pins, "after %" G_GINT64_FORMAT "us, copy after %" G_GINT64_FORMAT
                              "us\n", d->after_us[0], d->after_us[1]);
    else
      g_string_append_printf (pins, "after %" G_GINT64_FORMAT "us\n", d->after_us[0]);
  }
  g_autofree char *pinned = g_strconcat (small_raft, pins->str, NULL);
  g_autofree char *again = run_history (pinned, &pinned_events, NULL);
  cr_expect_eq (pinned_events, events);
  cr_expect_str_eq (again, history);
  /* The rule alone is another run: every message after 1ms, none lost. */
  g_autofree char *rule = g_strconcat (small_raft, "[deliveries]\nrule = fixed\n", NULL);
  g_autoptr (GArray) none = g_array_new (FALSE, TRUE, sizeof (SimDeliveryPin));
  g_autofree char *ruled = run_history (rule, &rule_events, none);
  cr_expect_eq (none->len, 0, "the rule left %u deliveries off itself", none->len);
  cr_expect_str_neq (ruled, history);
}

/* ---- Shrinking pins deliveries -------------------------------------------*/

Test (fuzz_feed, a_seeded_bug_shrinks_to_few_pinned_deliveries, .timeout = 240)
{
  g_autoptr (FuzzBase) b = raft_base ("vote-without-log-check");
  Pcg32 rng;
  pcg32_seed (&rng, 1, 1);
  FuzzInput in;
  fuzz_input_init (&in);
  FuzzPlan plan;
  fuzz_plan_init (&plan);
  FuzzResult r = { 0 };
  /* The first failing swarm run of a fixed stream (the bug shows in about
   * one run in six). */
  int tries = 0;
  for (; tries < 200; tries++) {
    fuzz_input_swarm (b, &rng, &in);
    fuzz_plan_from_input (b, &in, &plan);
    g_autofree char *text = fuzz_plan_text (b, &plan, "any", NULL);
    cr_assert (fuzz_run_text ("t", text, plan.heal_at_us, FALSE, &r, NULL));
    if (r.verdict == FUZZ_INVARIANT)
      break;
    fuzz_result_clear (&r);
  }
  cr_assert (tries < 200, "no failure in 200 swarm runs");
  g_autofree char *what = g_strdup (r.what);
  fuzz_result_clear (&r);

  FuzzPlan small;
  fuzz_plan_init (&small);
  fuzz_plan_copy (&small, &plan);
  guint spent = fuzz_shrink (b, &small, what, 1500);
  cr_assert (spent > 0 && spent <= 1500);
  cr_assert (small.has_delivery_rule, "the shrunk plan does not pin deliveries");
  g_autofree char *expect = g_strdup_printf ("violation invariant:%s", what);
  g_autofree char *text = fuzz_plan_text (b, &small, expect, NULL);
  cr_assert (strstr (text, "[deliveries]\nrule = fixed\n") != NULL);

  /* It fails with the same invariant, with fewer pins than events. */
  g_autoptr (GArray) off = g_array_new (FALSE, TRUE, sizeof (SimDeliveryPin));
  cr_assert (fuzz_run_text_recording ("shrunk", text, small.heal_at_us, TRUE, off, &r, NULL));
  cr_assert_str_eq (r.what, what);
  cr_expect (small.deliveries->len < r.events, "%u pins, %" G_GUINT64_FORMAT " events",
             small.deliveries->len, r.events);
  /* Under the rule, only the pinned deliveries leave it. */
  cr_expect_eq (off->len, small.deliveries->len);
  /* Byte for byte the same run each time, as `dsim run` runs it. */
  FuzzResult r2;
  cr_assert (fuzz_run_text ("shrunk", text, small.heal_at_us, TRUE, &r2, NULL));
  cr_expect_str_eq (r2.history_jsonl, r.history_jsonl);
  cr_expect_eq (r2.events, r.events);
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("shrunk", text, strlen (text), NULL);
  cr_assert_not_null (cfg);
  g_autoptr (SimWorld) w = sim_world_new (cfg, cfg->seed);
  sim_world_run (w);
  const char *failure = sim_world_invariant_failure (w);
  cr_assert_not_null (failure);
  cr_expect (g_str_has_prefix (failure, what), "%s", failure);
  fuzz_result_clear (&r);
  fuzz_result_clear (&r2);
  fuzz_plan_clear (&small);
  fuzz_plan_clear (&plan);
  fuzz_input_clear (&in);
}
