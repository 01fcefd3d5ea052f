/* test_scenario.c: the scenario parser: a complete file becomes the
 * SimConfig it says, defaults fill the rest, and every malformed file under
 * tests/data/scenarios/bad/ gives exactly the message its first line names
 * ("# error: LINE: [section] key: ..."). */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/scenario.h"
#include "tests/support.h"

static SimConfig *
load_ok (const char *rel)
{
  g_autofree char *path = test_source_path (rel);
  GError *error = NULL;
  SimConfig *cfg = sim_scenario_load (path, &error);
  cr_assert_not_null (cfg, "%s: %s", rel, error != NULL ? error->message : "?");
  return cfg;
}

static const SimFault *
fault (const SimConfig *cfg, guint i)
{
  cr_assert_lt (i, cfg->faults->len);
  return &g_array_index (cfg->faults, SimFault, i);
}

Test (scenario, full_file_becomes_its_config)
{
  g_autoptr (SimConfig) cfg = load_ok ("tests/data/scenarios/good/full.scn");
  cr_expect_str_eq (cfg->name, "full");
  cr_expect_str_eq (cfg->description, "every section, parsed into SimConfig");
  cr_expect_eq (cfg->seed, 12345678901ULL);
  cr_expect_eq (cfg->duration_us, 4000000);
  cr_expect_eq (cfg->expect, SIM_EXPECT_VIOLATION);
  cr_expect_str_eq (cfg->expect_what, "linearizable");
  cr_expect_str_eq (cfg->proto->name, "pb");
  cr_expect_eq (cfg->n_nodes, 5);
  /* [pb]: heartbeat_us and failover_timeout_us are the first two fields. */
  const int64_t *knobs = cfg->proto_config;
  cr_expect_eq (knobs[0], 20000);
  cr_expect_eq (knobs[1], 150000);

  cr_expect_eq (cfg->net.dist, SIM_LATENCY_LONGTAIL);
  cr_expect_eq (cfg->net.latency_min_us, 2000);
  cr_expect_eq (cfg->net.latency_max_us, 8000);
  cr_expect_eq (cfg->net.latency_median_us, 3000);
  cr_expect_float_eq (cfg->net.tail_alpha, 2.5, 1e-12);
  cr_expect_float_eq (cfg->net.drop, 0.05, 1e-12);
  cr_expect_float_eq (cfg->net.duplicate, 0.01, 1e-12);
  cr_expect_float_eq (cfg->net.reorder, 0.1, 1e-12);
  cr_expect_eq (cfg->net.reorder_window_us, 4000);
  cr_expect_eq (cfg->net.bandwidth_bytes_per_s, 10000000);

  /* Links: n1->n2, c1->n3 and n3->c1, any->n5; each starts from [network]. */
  cr_assert_eq (cfg->link_overrides->len, 4);
  const SimLinkOverride *o = &g_array_index (cfg->link_overrides, SimLinkOverride, 0);
  cr_expect (o->from == 0 && o->to == 1);
  cr_expect_float_eq (o->link.drop, 0.5, 1e-12);
  cr_expect_eq (o->link.latency_max_us, 8000);
  o = &g_array_index (cfg->link_overrides, SimLinkOverride, 1);
  cr_expect (o->from == 5 && o->to == 2, "c1 is endpoint 5 (after 5 nodes)");
  cr_expect (o->link.latency_min_us == 30000 && o->link.latency_max_us == 30000);
  cr_expect_float_eq (o->link.drop, 0.05, 1e-12);
  o = &g_array_index (cfg->link_overrides, SimLinkOverride, 2);
  cr_expect (o->from == 2 && o->to == 5);
  o = &g_array_index (cfg->link_overrides, SimLinkOverride, 3);
  cr_expect (o->from == -1 && o->to == 4);
  cr_expect (o->link.latency_min_us == 1000 && o->link.latency_max_us == 2000);

  const SimWorkloadConfig *w = &cfg->workload;
  cr_expect_eq (w->n_clients, 3);
  cr_expect_eq (w->ops, 120);
  cr_expect_eq (w->n_keys, 3);
  cr_expect_str_eq (w->key_names[0], "a");
  cr_expect_str_eq (w->key_names[2], "c");
  cr_expect_float_eq (w->mix[PROTO_OP_READ], 2.0, 1e-12);
  cr_expect_float_eq (w->mix[PROTO_OP_WRITE], 1.0, 1e-12);
  cr_expect_float_eq (w->mix[PROTO_OP_CAS], 1.0, 1e-12);
  cr_expect_float_eq (w->mix[PROTO_OP_APPEND], 0.0, 1e-12);
  cr_expect_float_eq (w->rate_per_s, 50.0, 1e-12);
  cr_expect_eq (w->op_timeout_us, 800000);
  cr_expect_eq (w->attempt_timeout_us, 100000);
  cr_expect_eq (w->max_retries, 4);
  cr_expect_eq (w->backoff_base_us, 5000);
  cr_expect_eq (w->backoff_cap_us, 80000);
  cr_expect_not (w->idempotency);
  cr_expect_eq (w->start_us, 10000);

  /* The schedule is sorted by time; equal times keep file order. */
  cr_assert_eq (cfg->faults->len, 11);
  const SimFault *f = fault (cfg, 0);
  cr_expect (f->at_us == 500000 && f->kind == SIM_FAULT_PAUSE && f->node == 1);
  f = fault (cfg, 1);
  cr_expect (f->at_us == 500000 && f->kind == SIM_FAULT_SKEW && f->node == 2);
  cr_expect (f->skew_us == -50000 && f->drift_ppm == 100);
  f = fault (cfg, 2);
  cr_expect (f->at_us == 600000 && f->kind == SIM_FAULT_RESUME && f->node == 1);
  f = fault (cfg, 3);
  cr_expect (f->at_us == 1000000 && f->kind == SIM_FAULT_PARTITION);
  cr_expect (f->group[0] == 0 && f->group[5] == 0, "n1 and c1 together");
  cr_expect (f->group[1] == 1 && f->group[2] == 1);
  cr_expect (f->group[3] == 2 && f->group[4] == 2);
  cr_expect (f->group[6] == -1 && f->group[7] == -1, "unlisted clients are not cut");
  cr_expect_eq (f->line, 54);
  cr_expect (fault (cfg, 4)->kind == SIM_FAULT_CRASH && fault (cfg, 4)->node == 3);
  cr_expect (fault (cfg, 5)->kind == SIM_FAULT_RESTART && fault (cfg, 5)->at_us == 1500000);
  cr_expect (fault (cfg, 6)->kind == SIM_FAULT_HEAL && fault (cfg, 6)->at_us == 2000000);
  f = fault (cfg, 7);
  cr_expect (f->kind == SIM_FAULT_ONEWAY && f->from == 0 && f->to == 4);
  f = fault (cfg, 8);
  cr_expect (f->kind == SIM_FAULT_ONEWAY && f->from == 4 && f->to == 0);
  f = fault (cfg, 9);
  cr_expect (f->kind == SIM_FAULT_PARTITION && f->group[1] == 1 && f->group[0] == 0
             && f->group[4] == 0 && f->group[5] == -1);
  f = fault (cfg, 10);
  cr_expect (f->kind == SIM_FAULT_BYZANTINE && f->node == 4);
  cr_expect_str_eq (f->behaviour, "equivocate");
}

Test (scenario, minimal_file_takes_defaults)
{
  g_autoptr (SimConfig) cfg = load_ok ("tests/data/scenarios/good/minimal.scn");
  g_autoptr (SimConfig) def = sim_config_new (proto_find ("pb"));
  cr_expect_str_eq (cfg->proto->name, "pb");
  cr_expect_eq (cfg->n_nodes, def->n_nodes);
  cr_expect_eq (cfg->seed, def->seed);
  cr_expect_eq (cfg->duration_us, def->duration_us);
  cr_expect_eq (cfg->expect, SIM_EXPECT_ANY);
  cr_expect_eq (memcmp (&cfg->net, &def->net, sizeof cfg->net), 0);
  cr_expect_eq (memcmp (&cfg->workload, &def->workload, sizeof cfg->workload), 0);
  cr_expect_eq (cfg->faults->len, 0);
  cr_expect_eq (cfg->link_overrides->len, 0);
  cr_expect_null (cfg->check_models[0]);
  cr_expect_eq (memcmp (cfg->proto_config, def->proto_config, cfg->proto->config_size), 0);
}

/* The registry's protocol names, "null, pb, ...". */
static char *
protocol_list (void)
{
  GString *s = g_string_new (NULL);
  const ProtoVTable *const *reg = proto_registry ();
  for (int i = 0; reg[i] != NULL; i++)
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", reg[i]->name);
  return g_string_free (s, FALSE);
}

/* Each bad file's first line: "# error: LINE: MESSAGE"; PROTOCOLS in it
 * stands for the list of registered protocols. */
static char *
expected_error (const char *path, const char *text)
{
  const char *tag = "# error: ";
  cr_assert (g_str_has_prefix (text, tag), "%s lacks its '# error: ' line", path);
  const char *start = text + strlen (tag);
  const char *nl = strchr (start, '\n');
  g_autofree char *rest = g_strndup (start, nl != NULL ? (gsize) (nl - start) : strlen (start));
  g_autofree char *names = protocol_list ();
  g_auto (GStrv) parts = g_strsplit (rest, "PROTOCOLS", -1);
  g_autofree char *msg = g_strjoinv (names, parts);
  return g_strdup_printf ("%s:%s", path, msg);
}

Test (scenario, every_bad_file_gives_its_message)
{
  g_autofree char *dir_path = test_source_path ("tests/data/scenarios/bad");
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  cr_assert_not_null (dir);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".scn"))
      g_ptr_array_add (names, g_strdup (name));
  cr_assert_geq (names->len, 15, "at least 15 malformed scenarios");
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename (dir_path, names->pdata[i], NULL);
    g_autofree char *text = NULL;
    cr_assert (g_file_get_contents (path, &text, NULL, NULL));
    g_autofree char *want = expected_error (path, text);
    GError *error = NULL;
    SimConfig *cfg = sim_scenario_load (path, &error);
    cr_expect_null (cfg, "%s loaded", path);
    sim_config_free (cfg);
    if (error == NULL)
      continue;
    cr_expect_str_eq (error->message, want);
    g_error_free (error);
  }
}

static char *
load_data_error (const char *text, gsize len)
{
  GError *error = NULL;
  SimConfig *cfg = sim_scenario_load_data ("t.scn", text, len, &error);
  if (cfg != NULL) {
    sim_config_free (cfg);
    return NULL;
  }
  char *msg = g_strdup (error->message);
  g_error_free (error);
  return msg;
}

Test (scenario, odd_text_is_an_error_with_a_line)
{
  g_autofree char *empty = load_data_error ("", 0);
  g_autofree char *names = protocol_list ();
  g_autofree char *want = g_strdup_printf ("t.scn:1: [cluster] protocol: missing; every "
                                           "scenario names its protocol (one of: %s)", names);
  cr_expect_str_eq (empty, want);
  static const char nul[] = "[cluster]\nprotocol = p\0b\n";
  g_autofree char *with_nul = load_data_error (nul, sizeof nul - 1);
  cr_expect_str_eq (with_nul, "t.scn:2: expected UTF-8 text, found a byte that is not (or a "
                    "NUL byte)");
  g_autofree char *ctl = load_data_error ("[cluster]\nprotocol = pb\x01\n", 24);
  cr_expect_str_eq (ctl, "t.scn:2: expected text, found control character 0x01");
  g_autofree char *crlf = load_data_error ("[cluster]\r\nprotocol = pb\r\n", 26);
  cr_expect_null (crlf, "CRLF line ends are accepted: %s", crlf);
  g_autofree char *no_nl = load_data_error ("[cluster]\nprotocol = pb", 23);
  cr_expect_null (no_nl, "%s", no_nl);
  static const char esc[] = "[cluster]\nprotocol = pb\n[scenario]\nname = a\\sb\n";
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("t.scn", esc, sizeof esc - 1, NULL);
  cr_assert_not_null (cfg);
  cr_expect_str_eq (cfg->name, "a b", "GKeyFile escapes are decoded");
}

Test (scenario, expect_forms)
{
  static const struct { const char *text; SimExpect expect; const char *what; } cases[] = {
    { "pass", SIM_EXPECT_PASS, NULL },
    { "any", SIM_EXPECT_ANY, NULL },
    { "violation", SIM_EXPECT_VIOLATION, NULL },
    { "violation invariant", SIM_EXPECT_VIOLATION, "invariant" },
    { "violation invariant:apply-order", SIM_EXPECT_VIOLATION, "invariant:apply-order" },
    { "violation  linearizable", SIM_EXPECT_VIOLATION, "linearizable" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *text = g_strdup_printf ("[scenario]\nexpect = %s\n[cluster]\nprotocol = pb\n"
                                             "[check]\nmodels = linearizable\n", cases[i].text);
    GError *error = NULL;
    g_autoptr (SimConfig) cfg = sim_scenario_load_data ("e.scn", text, strlen (text), &error);
    cr_assert_not_null (cfg, "%s: %s", cases[i].text, error->message);
    cr_expect_eq (cfg->expect, cases[i].expect, "%s", cases[i].text);
    cr_expect_str_eq (cfg->expect_what ? cfg->expect_what : "-",
                      cases[i].what ? cases[i].what : "-");
    g_autoptr (GString) back = g_string_new (NULL);
    sim_scenario_format_expect (cfg, back);
    g_autofree char *norm = g_strjoinv (" ", (char *[]) { "violation", "linearizable", NULL });
    cr_expect_str_eq (back->str, i == 5 ? norm : cases[i].text);
  }
}

Test (scenario, missing_file_is_an_io_error)
{
  GError *error = NULL;
  cr_expect_null (sim_scenario_load ("no/such/file.scn", &error));
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_IO));
  cr_expect (g_str_has_prefix (error->message, "no/such/file.scn: cannot read the scenario: "),
             "%s", error->message);
  g_error_free (error);
}

/* The storage keys and the corrupt schedule (both forms), corrupt_msg, and
 * skew of a client. */
Test (scenario, storage_keys_become_its_config)
{
  static const char text[] =
    "[cluster]\nprotocol = raft\n"
    "[workload]\nclients = 2\n"
    "[network]\ncorrupt_msg = 0.001\n"
    "[faults]\ndisk_latency = 1ms..5ms\ntorn_writes = 0.25\nrandom.corrupt = 0.5/s\n"
    "corrupt = n2 at 3s; n1 at 4s 8 bits\n"
    "at 2s = corrupt n3; skew c2 -20ms drift 50ppm\n";
  GError *error = NULL;
  g_autoptr (SimConfig) cfg = sim_scenario_load_data ("t.scn", text, sizeof text - 1, &error);
  cr_assert_not_null (cfg, "%s", error != NULL ? error->message : "");
  cr_expect_eq (cfg->storage.disk_latency_min_us, 1000);
  cr_expect_eq (cfg->storage.disk_latency_max_us, 5000);
  cr_expect_float_eq (cfg->storage.torn_writes, 0.25, 1e-12);
  cr_expect_float_eq (cfg->random_faults.corrupt_per_s, 0.5, 1e-12);
  cr_expect_float_eq (cfg->net.corrupt, 0.001, 1e-12);
  cr_assert_eq (cfg->faults->len, 4u);
  const SimFault *f = fault (cfg, 0);
  cr_expect (f->kind == SIM_FAULT_CORRUPT && f->node == 2 && f->bits == 1 && f->at_us == 2000000);
  f = fault (cfg, 1);
  cr_expect (f->kind == SIM_FAULT_SKEW && f->node == 4 && f->skew_us == -20000
             && f->drift_ppm == 50);
  f = fault (cfg, 2);
  cr_expect (f->kind == SIM_FAULT_CORRUPT && f->node == 1 && f->bits == 1 && f->at_us == 3000000);
  f = fault (cfg, 3);
  cr_expect (f->kind == SIM_FAULT_CORRUPT && f->node == 0 && f->bits == 8 && f->at_us == 4000000);
}
