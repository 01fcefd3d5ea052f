/* test_quorum_world.c: whole quorum runs in the simulated world.
 *
 * The golden trace of one write and one read; determinism (same seed, same
 * bytes); the history of a run with siblings, written and read back, and
 * every checker refusing it by name; the seeded bugs against bug = none;
 * anti-entropy (Merkle trees, flat, off) and a replica that missed writes;
 * replies to an earlier incarnation, and a restart that crashes before its
 * incarnation is durable;
 * and random faults over many seeds: ABD stays linearizable, version
 * vectors lose no acknowledged write.  `quick` variants run in the fast
 * suite, the 200-seed campaign in the slow one. */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <string.h>

#include "checkers/check.h"
#include "protocols/quorum/quorum.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/support.h"
#include "tests/world_support.h"

static ChkVerdict
verdict (const ChkHistory *h, const char *model, char **why, GError **error)
{
  g_autoptr (GArray) ops = chk_history_ops (h, error);
  if (ops == NULL)
    return CHK_VERDICT_UNKNOWN;
  const ChkChecker *c = chk_checker_find (model);
  cr_assert_not_null (c, "%s", model);
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.memory_limit_bytes = (gsize) 1 << 30;
  g_autoptr (ChkReport) rep = chk_checker_run (c, h, ops, &opt, error);
  if (rep == NULL)
    return CHK_VERDICT_UNKNOWN;
  if (why != NULL)
    *why = g_strdup (rep->explanation);
  return rep->verdict;
}

/* `dsim run --trace` of one write and one read over three replicas,
 * compared byte for byte with the golden file (DSIM_UPDATE_GOLDEN=1
 * rewrites it; then read the diff). */
Test (quorum_world, golden_trace_of_one_write_and_one_read)
{
  g_autofree char *scn = test_source_path ("tests/data/quorum/write-read.scn");
  g_autofree char *dir = g_dir_make_tmp ("dsim-quorum-XXXXXX", NULL);
  cr_assert_not_null (dir);
  g_autofree char *trace = g_build_filename (dir, "trace.jsonl", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "run", scn, "--trace", trace, "--quiet", NULL },
                          &out, &err);
  cr_assert_eq (rc, 0, "dsim run: %s%s", out, err);
  g_autofree char *actual = NULL;
  cr_assert (g_file_get_contents (trace, &actual, NULL, NULL));
  g_unlink (trace);
  g_rmdir (dir);
  cr_expect (strstr (actual, "\"label\":\"write x 1: ok\"") != NULL, "the write completes");
  cr_expect (strstr (actual, "\"label\":\"read x: ok 1\"") != NULL, "the read returns it");
  g_autofree char *why = NULL;
  cr_expect (test_golden_check (actual, "tests/golden/quorum-write-read.trace.jsonl", &why),
             "%s", why);
}

static char *
history_text (const SimWorld *w)
{
  const ChkHistory *h = sim_world_history (w);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent ev = chk_history_event (h, i);
    chk_event_to_json (h, &ev, s);
    g_string_append_c (s, '\n');
  }
  return g_string_free (s, FALSE);
}

Test (quorum_world, the_same_seed_gives_the_same_run)
{
  static const char *const scenarios[] = {
    "scenarios/quorum/vv-random-faults.scn",
    "scenarios/quorum/abd-random-faults.scn",
    "scenarios/quorum/sloppy-partition.scn",
  };
  for (guint i = 0; i < G_N_ELEMENTS (scenarios); i++) {
    g_autoptr (SimConfig) cfg = test_scenario_load (scenarios[i]);
    g_autoptr (SimWorld) a = test_world_run (cfg, 7);
    g_autoptr (SimWorld) b = test_world_run (cfg, 7);
    g_autoptr (SimWorld) c = test_world_run (cfg, 8);
    g_autofree char *ha = history_text (a), *hb = history_text (b), *hc = history_text (c);
    cr_expect_str_eq (ha, hb, "%s: seed 7 twice, two histories", scenarios[i]);
    cr_expect_str_neq (ha, hc, "%s: seeds 7 and 8 gave the same history", scenarios[i]);
    cr_expect_eq (sim_world_digest (a), sim_world_digest (b), "%s", scenarios[i]);
  }
}

/* A read that returned siblings is in the history as {"siblings":[...]},
 * comes back the same from the file, and every model refuses it, naming
 * the read; `dsim check` exits 2. */
Test (quorum_world, sibling_reads_are_recorded_and_every_checker_refuses_them)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/quorum/vv-siblings.scn");
  g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
  cr_assert_null (sim_world_invariant_failure (w), "%s", sim_world_invariant_failure (w));
  cr_assert (sim_world_reached (w, "read-returned-siblings"));
  g_autofree char *text = history_text (w);
  cr_assert (strstr (text, "\"value\":{\"siblings\":[") != NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) back = chk_history_load_data ("vv.jsonl", text, strlen (text),
                                                       CHK_FORMAT_AUTO, &error);
  cr_assert_not_null (back, "%s", error ? error->message : "");
  GString *again = g_string_new (NULL);
  for (guint i = 0; i < chk_history_len (back); i++) {
    ChkEvent ev = chk_history_event (back, i);
    chk_event_to_json (back, &ev, again);
    g_string_append_c (again, '\n');
  }
  cr_expect_str_eq (again->str, text, "written, read and written again: the same lines");
  g_string_free (again, TRUE);
  for (const ChkChecker *c = chk_checkers (); c->name != NULL; c++) {
    g_clear_error (&error);
    ChkVerdict v = verdict (back, c->name, NULL, &error);
    cr_expect_eq (v, CHK_VERDICT_UNKNOWN, "%s gave a verdict on sibling reads", c->name);
    cr_assert_not_null (error, "%s: no error", c->name);
    cr_expect_eq (error->code, CHK_ERROR_INPUT, "%s: %s", c->name, error->message);
    cr_expect (strstr (error->message, "vv.jsonl:") != NULL
               && strstr (error->message, "returned siblings {") != NULL
               && strstr (error->message, c->name) != NULL,
               "%s: %s", c->name, error->message);
  }
  /* The command line: bad input for the model, exit 2. */
  g_autofree char *dir = g_dir_make_tmp ("dsim-quorum-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.jsonl", NULL);
  cr_assert (g_file_set_contents (path, text, -1, NULL));
  g_autofree char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "check", path, "--model", "linearizable", NULL },
                          &out, &err);
  g_unlink (path);
  g_rmdir (dir);
  cr_expect_eq (rc, 2, "dsim check exit %d: %s%s", rc, out, err);
  cr_expect (strstr (err, "returned siblings") != NULL, "%s", err);
}

Test (quorum_world, a_malformed_sibling_set_is_refused)
{
  static const char *const bad[] = {
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":{\"siblings\":[3]}}\n",
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":{\"siblings\":[3,\"a\"]}}\n",
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":{\"other\":[3,4]}}\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ChkHistory) h = chk_history_load_data ("bad.jsonl", bad[i], strlen (bad[i]),
                                                      CHK_FORMAT_AUTO, &error);
    cr_expect_null (h, "case %u loaded", i);
    cr_expect (error != NULL && strstr (error->message, "bad.jsonl:2:") != NULL, "case %u: %s",
               i, error ? error->message : "");
  }
}

/* Each seeded bug breaks what its scenario expects on its own seed, and
 * the same run without the bug keeps every invariant and model. */
Test (quorum_world, seeded_bugs_show_and_vanish_without_them, .timeout = 120)
{
  static const struct { const char *scenario; const char *invariant; } cases[] = {
    { "scenarios/quorum/bug-ack-before-store.scn", "no-lost-write" },
    { "scenarios/quorum/bug-hint-dropped-on-restart.scn", "no-lost-write" },
    { "scenarios/quorum/bug-read-repair-overwrites-newer.scn", "version-monotonic" },
    { "scenarios/quorum/bug-abd-skip-write-back.scn", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (SimConfig) cfg = test_scenario_load (cases[i].scenario);
    {
      g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
      const char *failure = sim_world_invariant_failure (w);
      if (cases[i].invariant != NULL) {
        cr_expect (failure != NULL && g_str_has_prefix (failure, cases[i].invariant), "%s: %s",
                   cases[i].scenario, failure ? failure : "all invariants held");
      } else {
        cr_expect_null (failure, "%s: %s", cases[i].scenario, failure);
        cr_expect_eq (verdict (sim_world_history (w), "linearizable", NULL, NULL),
                      CHK_VERDICT_VIOLATION, "%s: the bug kept the history linearizable",
                      cases[i].scenario);
      }
    }
    g_autoptr (GError) error = NULL;
    cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "bug", "none", &error));
    g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
    cr_expect_null (sim_world_invariant_failure (w), "%s without the bug: %s",
                    cases[i].scenario, sim_world_invariant_failure (w));
    if (cases[i].invariant == NULL) {
      g_autofree char *why = NULL;
      cr_expect_eq (verdict (sim_world_history (w), "linearizable", &why, NULL), CHK_VERDICT_OK,
                    "%s without the bug: %s", cases[i].scenario, why);
    }
  }
}

/* Runs seeds 1..n of the two random-fault scenarios: ABD must stay
 * linearizable and keep its invariants; version vectors must keep theirs
 * (no acknowledged write lost, no sibling dropped unmerged). */
static void
random_fault_seeds (guint n)
{
  g_autoptr (SimConfig) abd = test_scenario_load ("scenarios/quorum/abd-random-faults.scn");
  g_autoptr (SimConfig) vv = test_scenario_load ("scenarios/quorum/vv-random-faults.scn");
  guint siblings = 0, handoffs = 0;
  for (uint64_t seed = 1; seed <= n; seed++) {
    g_autoptr (SimWorld) a = test_world_run (abd, seed);
    cr_assert_null (sim_world_invariant_failure (a), "abd seed %" G_GUINT64_FORMAT ": %s", seed,
                    sim_world_invariant_failure (a));
    cr_assert_gt (sim_world_stats (a)->ops_ok, 50, "abd seed %" G_GUINT64_FORMAT, seed);
    g_autofree char *why = NULL;
    ChkVerdict v = verdict (sim_world_history (a), "linearizable", &why, NULL);
    cr_assert_eq (v, CHK_VERDICT_OK, "abd seed %" G_GUINT64_FORMAT ": %s", seed, why);
    g_autoptr (SimWorld) b = test_world_run (vv, seed);
    cr_assert_null (sim_world_invariant_failure (b), "vv seed %" G_GUINT64_FORMAT ": %s", seed,
                    sim_world_invariant_failure (b));
    cr_assert_gt (sim_world_stats (b)->ops_ok, 50, "vv seed %" G_GUINT64_FORMAT, seed);
    siblings += sim_world_reached (b, "read-returned-siblings");
    handoffs += sim_world_reached (b, "hint-handed-off");
  }
  cr_log_info ("%u seeds: siblings read on %u, hints handed off on %u", n, siblings, handoffs);
  cr_expect_geq (siblings * 2, n, "siblings read on only %u of %u seeds", siblings, n);
  cr_expect_geq (handoffs * 2, n, "hints handed off on only %u of %u seeds", handoffs, n);
}

Test (quorum_seeds, quick, .timeout = 120)
{
  random_fault_seeds (10);
}

Test (quorum_seeds, many, .timeout = 600)
{
  random_fault_seeds (200);
}

/* The linearizability checker names the new-old inversion: a read returns
 * an older value than a read that ended before it began. */
Test (quorum_world, the_checker_names_the_new_old_inversion)
{
  static const char history[] =
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\",\"value\":1}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"x\",\"value\":1}\n"
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\",\"value\":2}\n"
    "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\",\"value\":null}\n"
    "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"x\",\"value\":2}\n"
    "{\"process\":2,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\",\"value\":null}\n"
    "{\"process\":2,\"type\":\"ok\",\"f\":\"read\",\"key\":\"x\",\"value\":1}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"x\",\"value\":2}\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (ChkHistory) h = chk_history_load_data ("inversion.jsonl", history,
                                                    sizeof history - 1, CHK_FORMAT_AUTO, &error);
  cr_assert_not_null (h, "%s", error ? error->message : "");
  g_autofree char *why = NULL;
  cr_assert_eq (verdict (h, "linearizable", &why, &error), CHK_VERDICT_VIOLATION);
  cr_expect (strstr (why, "a new-old inversion: ") != NULL, "%s", why);
  cr_expect (strstr (why, "newer 2") != NULL && strstr (why, "older 1") != NULL, "%s", why);
  /* The strict-quorum scenario's run is explained the same way. */
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/quorum/strict-quorum-inversion.scn");
  g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
  g_autofree char *run_why = NULL;
  cr_assert_eq (verdict (sim_world_history (w), "linearizable", &run_why, NULL),
                CHK_VERDICT_VIOLATION);
  cr_expect (strstr (run_why, "new-old inversion") != NULL, "%s", run_why);
}

/* Anti-entropy in a whole run: n3 misses every write of the first 600ms
 * (w = 1, no read repair); after the partition heals, Merkle-tree and flat
 * anti-entropy both bring it up to date, and without anti-entropy it stays
 * behind. */
Test (quorum_world, anti_entropy_brings_a_partitioned_replica_up_to_date)
{
  static const char *const depths[] = { "4", "0", NULL };
  for (int i = 0; i < 3; i++) {
    g_autoptr (SimConfig) cfg = test_scenario_load ("tests/data/quorum/anti-entropy.scn");
    g_autoptr (GError) error = NULL;
    if (depths[i] != NULL)
      cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "merkle_depth", depths[i],
                                   &error));
    else
      cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "anti_entropy", "0", &error));
    g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
    cr_assert_null (sim_world_invariant_failure (w));
    const QuorumNode *n1 = sim_world_node_state (w, 0), *n3 = sim_world_node_state (w, 2);
    gboolean equal = TRUE;
    for (int k = 0; k < 4; k++)
      equal &= memcmp (&n1->persist.store[k], &n3->persist.store[k],
                       sizeof n1->persist.store[k]) == 0;
    if (depths[i] != NULL) {
      cr_expect (equal, "merkle_depth = %s: n3 is still behind n1", depths[i]);
      cr_expect (sim_world_reached (w, "anti-entropy-repaired"));
      cr_expect (strcmp (depths[i], "0") == 0 || sim_world_reached (w, "merkle-leaf-differs"));
    } else {
      cr_expect (!equal, "without anti-entropy n3 should have stayed behind");
    }
  }
}

/* A coordinator's or replica's write that only its memory held when it
 * crashed (the sync in flight, its Puts, acks and replies waiting for it)
 * is undone unseen: the invariants take a crashed node's store as its disk
 * gave it back, so neither siblings-survive (vv) nor version-monotonic
 * (abd, lww) breaks, and an acknowledgement counts only once it can have
 * left: with w = 1 the coordinator answers in the step that stores the
 * write, and a crash before the sync loses the answer too, so no
 * acknowledged write is lost.  ABD stays linearizable. */
Test (quorum_world, a_write_a_crash_undid_unseen_is_no_violation)
{
  static const char *const variants[][3][2] = {
    { { "mode", "dynamo" } },
    { { "mode", "abd" } },
    { { "w", "1" }, { "r", "3" } },
    { { "w", "1" }, { "r", "3" }, { "conflict", "lww" } },
  };
  for (guint v = 0; v < G_N_ELEMENTS (variants); v++) {
    g_autoptr (SimConfig) cfg = test_scenario_load ("tests/data/quorum/unsynced-write.scn");
    for (int k = 0; k < 3 && variants[v][k][0] != NULL; k++) {
      g_autoptr (GError) error = NULL;
      cr_assert (proto_config_set (cfg->proto, cfg->proto_config, variants[v][k][0],
                                   variants[v][k][1], &error), "%s",
                 error != NULL ? error->message : "");
    }
    int lost = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
      g_autofree char *trace = test_world_trace (cfg, seed);
      lost += strstr (trace, "unsynced writes lost") != NULL;
      g_autoptr (SimWorld) w = test_world_run (cfg, seed);
      cr_expect_null (sim_world_invariant_failure (w), "variant %u, seed %" G_GUINT64_FORMAT
                      ": %s", v, seed, sim_world_invariant_failure (w));
      if (v == 1) {
        g_autofree char *why = NULL;
        cr_expect_eq (test_linearizable_verdict (w, &why), CHK_VERDICT_OK,
                      "abd, seed %" G_GUINT64_FORMAT ": %s", seed, why);
      }
    }
    /* Measured: 8 of 8 seeds (dynamo, abd, w = 1 lww), 6 of 8 (w = 1 vv). */
    cr_expect_geq (lost, 5, "variant %u: the crash comes with a sync in flight in %d of 8 seeds",
                   v, lost);
  }
}

/* The stale acknowledgement: n1's PutAck for the write n3 ran before its
 * crash reaches the restarted n3 while it runs the client's retry, and
 * counts for nothing (it broke no-lost-write while tags started from 1 in
 * every incarnation). */
Test (quorum_world, an_ack_from_before_a_restart_does_not_count)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("tests/data/quorum/stale-ack-after-restart.scn");
  g_autofree char *trace = test_world_trace (cfg, cfg->seed);
  cr_expect (strstr (trace, "\"time\":31000,\"node\":\"n3\",\"kind\":\"restart\"") != NULL);
  cr_expect (strstr (trace, "\"time\":222375,\"node\":\"n3\",\"kind\":\"recv\",\"msg\":7,"
                            "\"peer\":\"c1\"") != NULL, "the retry reaches the restarted n3");
  cr_expect (strstr (trace, "\"time\":226592,\"node\":\"n3\",\"kind\":\"recv\",\"msg\":4,"
                            "\"peer\":\"n1\"") != NULL, "then the stale PutAck");
  g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
  cr_expect_null (sim_world_invariant_failure (w), "%s", sim_world_invariant_failure (w));
  cr_expect (sim_world_reached (w, "reply-to-earlier-incarnation"));
}

/* A restart that crashes again before its incarnation is durable: the
 * read it started under that incarnation waited for the sync and is lost
 * with it, so the next start can take the same number again without any
 * request tag leaving the node twice; the GetReply to the first
 * incarnation answers nothing. */
Test (quorum_world, a_crash_before_the_incarnation_is_durable_sends_nothing_under_it)
{
  g_autoptr (SimConfig) cfg
      = test_scenario_load ("tests/data/quorum/crash-before-incarnation-durable.scn");
  g_autofree char *trace = test_world_trace (cfg, cfg->seed);
  cr_expect (strstr (trace, "\"time\":93524,\"node\":\"n3\",\"kind\":\"recv\",\"msg\":10,"
                            "\"peer\":\"c1\"") != NULL, "the retry reaches n3 mid-sync");
  cr_expect (strstr (trace, "\"time\":95000,\"node\":\"n3\",\"kind\":\"disk\",\"vc\":[0,0,13,24],"
                            "\"label\":\"unsynced writes lost: 1 changed sector, 1 sync in "
                            "flight, 2 messages never sent\"") != NULL,
             "its Gets wait for the incarnation's sync and are lost with it");
  cr_expect (strstr (trace, "\"time\":171000,\"node\":\"n3\",\"kind\":\"recv\",\"msg\":5,"
                            "\"peer\":\"n1\"") != NULL, "the stale GetReply arrives");
  g_autoptr (SimWorld) w = test_world_run (cfg, cfg->seed);
  cr_expect_null (sim_world_invariant_failure (w), "%s", sim_world_invariant_failure (w));
  cr_expect (sim_world_reached (w, "reply-to-earlier-incarnation"));
  cr_expect_eq (sim_world_node_incarnation (w, 2), 3, "n3 booted three times");
  const QuorumPersist *disk = sim_world_node_image (w, 2);
  const QuorumNode *n3 = sim_world_node_state (w, 2);
  cr_expect_eq (disk->incarnation, 2, "incarnation 2 twice: the first was never durable");
  cr_expect_eq (n3->persist.incarnation, 2);
  cr_expect_eq (sim_world_stats (w)->ops_ok, 1);
}
