/* test_levels.c: per-operation consistency levels ([workload] levels) and
 * Raft's unclean_election knob.
 *
 * The parser takes OP:LEVEL pairs and refuses bad ones with file and line;
 * a protocol without levels refuses the key.  In the world, reads at ONE
 * are stale under the same schedule where reads at ALL (with writes at
 * ALL) stay linearizable, and a run with a mix of levels is deterministic.
 * unclean_election lets an out-of-date Raft node lead (Leader Completeness
 * broken); without it, the same schedule keeps every invariant. */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <string.h>

#include "checkers/check.h"
#include "protocols/raft/raft.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/support.h"

static SimConfig *
parse (const char *text, GError **error)
{
  return sim_scenario_load_data ("levels.scn", text, strlen (text), error);
}

static char *
quorum_text (const char *levels)
{
  return g_strdup_printf ("[scenario]\nname = levels\nduration = 2s\n"
                          "[cluster]\nprotocol = quorum\nnodes = 3\n"
                          "[quorum]\nn = 3\nw = 1\nr = 1\n"
                          "[network]\nlatency = 1ms..30ms\n"
                          "[workload]\nclients = 4\nkeys = 1\nmix = read:2 write:1\n"
                          "think = 5ms\ntimeout = 1s\nattempt_timeout = 1s\nretries = 0\n"
                          "levels = %s\n",
                          levels);
}

Test (levels, parser_takes_op_level_pairs)
{
  g_autofree char *text = quorum_text ("read:one|quorum|all, write:quorum");
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = parse (text, &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  const SimWorkloadConfig *w = &cfg->workload;
  cr_expect_eq (w->levels[PROTO_OP_READ],
                (1u << PROTO_LEVEL_ONE) | (1u << PROTO_LEVEL_QUORUM) | (1u << PROTO_LEVEL_ALL));
  cr_expect_eq (w->levels[PROTO_OP_WRITE], 1u << PROTO_LEVEL_QUORUM);
  /* Without the key: the knobs decide. */
  g_autoptr (SimConfig) plain =
    parse ("[cluster]\nprotocol = quorum\nnodes = 3\n[workload]\nclients = 1\n", &error);
  cr_assert_not_null (plain, "%s", error != NULL ? error->message : "");
  cr_expect_eq (plain->workload.levels[PROTO_OP_READ], 0u);
  cr_expect_eq (plain->workload.levels[PROTO_OP_WRITE], 0u);
}

Test (levels, parser_refuses_bad_values_with_file_and_line)
{
  static const struct { const char *levels; const char *message; } cases[] = {
    { "read:some", "levels.scn:21: [workload] levels: expected a level one, quorum or all after 'read:', got 'some'" },
    { "read", "levels.scn:21: [workload] levels: expected OP:LEVEL pairs such as read:one|quorum|all write:quorum, got 'read'" },
    { "fetch:one", "levels.scn:21: [workload] levels: expected an operation read, write, cas or append, got 'fetch'" },
    { "cas:one", "levels.scn:21: [workload] levels: protocol quorum does not support cas operations" },
    { "read:one read:all", "levels.scn:21: [workload] levels: operation read listed twice" },
    { "read:one|one", "levels.scn:21: [workload] levels: level one listed twice for read" },
    { "read:one|", "levels.scn:21: [workload] levels: expected a level one, quorum or all after 'read:', got ''" },
    { ",", "levels.scn:21: [workload] levels: expected OP:LEVEL pairs such as read:one write:quorum, got nothing" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *text = quorum_text (cases[i].levels);
    g_autoptr (GError) error = NULL;
    g_autoptr (SimConfig) cfg = parse (text, &error);
    cr_expect_null (cfg, "%s was taken", cases[i].levels);
    cr_assert_not_null (error);
    cr_expect_str_eq (error->message, cases[i].message);
  }
}

Test (levels, protocols_without_levels_refuse_the_key)
{
  static const char text[] = "[cluster]\nprotocol = raft\nnodes = 3\n"
                             "[workload]\nclients = 1\nlevels = read:one\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = parse (text, &error);
  cr_expect_null (cfg);
  cr_assert_not_null (error);
  cr_expect_str_eq (error->message, "levels.scn:6: [workload] levels: protocol raft does not support "
                    "per-operation consistency levels (quorum does); expected no levels key");
  /* And through the command line: exit 2, file and line. */
  g_autofree char *dir = g_dir_make_tmp ("dsim-levels-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "raft-levels.scn", NULL);
  cr_assert (g_file_set_contents (path, text, -1, NULL));
  g_autofree char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "run", path, "--quiet", NULL }, &out, &err);
  g_unlink (path);
  g_rmdir (dir);
  cr_expect_eq (rc, 2, "%s%s", out, err);
  cr_expect (strstr (err, "raft-levels.scn:6: [workload] levels: protocol raft does not support") != NULL,
             "%s", err);
}

static ChkVerdict
linearizable (const SimWorld *w)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (sim_world_history (w), &error);
  cr_assert_not_null (ops, "%s", error != NULL ? error->message : "");
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.memory_limit_bytes = (gsize) 1 << 30;
  g_autoptr (ChkReport) rep =
    chk_checker_run (chk_checker_find ("linearizable"), sim_world_history (w), ops, &opt, &error);
  cr_assert_not_null (rep, "%s", error != NULL ? error->message : "");
  return rep->verdict;
}

static int
violations (const char *levels, uint64_t seeds)
{
  g_autofree char *text = quorum_text (levels);
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = parse (text, &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  int count = 0;
  for (uint64_t seed = 1; seed <= seeds; seed++) {
    g_autoptr (SimWorld) w = sim_world_new (cfg, seed);
    sim_world_run (w);
    cr_expect_null (sim_world_invariant_failure (w), "%s seed %" G_GUINT64_FORMAT ": %s",
                    levels, seed, sim_world_invariant_failure (w));
    count += linearizable (w) == CHK_VERDICT_VIOLATION;
  }
  return count;
}

/* The knobs say w = r = 1 in both runs; only the levels differ.  Writes at
 * ALL reach every replica before they are acknowledged; a read at ONE still
 * sees a write in flight at one replica and misses it at the next (a
 * new-old inversion), a read at ALL cannot. */
Test (levels, one_reads_are_stale_where_all_reads_are_not)
{
  int one = violations ("read:one write:all", 10);
  int all = violations ("read:all write:all", 10);
  cr_expect_gt (one, 0, "reads at ONE were never stale in seeds 1..10");
  cr_expect_eq (all, 0, "reads at ALL broke linearizability in %d of seeds 1..10", all);
}

static char *
history_of (const SimConfig *cfg, uint64_t seed)
{
  g_autoptr (SimWorld) w = sim_world_new (cfg, seed);
  sim_world_run (w);
  g_autoptr (GString) s = g_string_new (NULL);
  const ChkHistory *h = sim_world_history (w);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops);
  for (guint i = 0; i < ops->len; i++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, i);
    g_string_append_printf (s, "%d %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %d %" G_GINT64_FORMAT
                            "\n", (int) op->process, op->call_time_us, op->ret_time_us, (int) op->f,
                            chk_op_output (op).i);
  }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Same seed, same mix of levels: the same history. */
Test (levels, a_mix_of_levels_is_deterministic)
{
  g_autofree char *text = quorum_text ("read:one|quorum|all write:one|all");
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = parse (text, &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  g_autofree char *a = history_of (cfg, 7);
  g_autofree char *b = history_of (cfg, 7);
  g_autofree char *c = history_of (cfg, 8);
  cr_expect_gt (strlen (a), 100u);
  cr_expect_str_eq (a, b);
  cr_expect_str_neq (a, c);
}

/* unclean_election: the Kafka scenario breaks Leader Completeness with the
 * knob on; the same schedule and seed with it off keeps every invariant. */
Test (levels, raft_unclean_election_loses_committed_entries)
{
  g_autofree char *path = test_source_path ("scenarios/famous/kafka-unclean-leader-election.scn");
  g_autoptr (GError) error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load (path, &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  const RaftConfig *rc = cfg->proto_config;
  cr_assert (rc->unclean_election);
  cr_assert_eq (rc->bug, RAFT_BUG_NONE);
  {
    g_autoptr (SimWorld) w = sim_world_new (cfg, cfg->seed);
    sim_world_run (w);
    const char *failure = sim_world_invariant_failure (w);
    cr_assert_not_null (failure, "unclean election broke nothing");
    cr_expect (g_str_has_prefix (failure, "leader-completeness: "), "%s", failure);
  }
  cr_assert (proto_config_set (cfg->proto, cfg->proto_config, "unclean_election", "false",
                               &error), "%s", error != NULL ? error->message : "");
  g_autoptr (SimWorld) w = sim_world_new (cfg, cfg->seed);
  sim_world_run (w);
  cr_expect_null (sim_world_invariant_failure (w), "%s", sim_world_invariant_failure (w));
}
