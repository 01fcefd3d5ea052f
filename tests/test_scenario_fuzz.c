/* test_scenario_fuzz.c: mutation fuzzing of the scenario parser.
 *
 * Every real scenario file (scenarios/ and tests/data/scenarios/) is
 * mutated thousands of times: byte flips, truncations, duplicated and
 * deleted lines, values and keys swapped between lines, tokens inserted
 * and values replaced by nasty ones.  The parser must never crash; it
 * either loads a config that is internally consistent, or gives an error
 * that starts with "fuzz.scn:LINE: ".  A sample of the configs that load is
 * also run in a world for a short while.
 *
 * `quick` (fast suite, also under ASan) and `long` (slow suite) differ only
 * in the number of variants; the mutations come from a fixed Pcg32 seed. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/support.h"

/* The contents of every scenario file under rel_dir. */
static void
collect (const char *rel_dir, GPtrArray *out)
{
  g_autoptr (GPtrArray) paths = test_scenario_files (rel_dir);
  for (guint i = 0; i < paths->len; i++) {
    char *text = NULL;
    gsize len = 0;
    cr_assert (g_file_get_contents (paths->pdata[i], &text, &len, NULL));
    g_ptr_array_add (out, g_bytes_new_take (text, len));
  }
}

static const char *const tokens[] = {
  "[", "]", "=", "\n", "..", "->", "<->", "|", ";", ",", "n99", "c99", "n0", "-1", "1e309",
  "99999999999999999999", "\xff", "\xc3", "ms", "s", "us", "at 1s = ", "at 0 = heal", "[link ",
  "*", "#", "\\", "\\s", " ", "\t", "\r", "[scenario]\n", "[faults]\n", "[workload]\n",
  "random.crash = 3/s\n", "pause n1 for ", "skew n2 ", "drift ", "ppm", "partition n1 | ",
  "nodes = 16\n", "clients = 128\n", "keys = 64\n", "protocol = null\n", "protocol = pb\n",
  "[link * <-> *]\n", "latency = 0\n", "think = 0s\n", "duplicate = 1\n", "tokens = 1000000\n",
  "bandwidth = 1B/s\n", "[null]\n", "election_timeout_max = 1ms\n",
};

static const char *const values[] = {
  "", "0", "-0", "nan", "inf", "-inf", "1.5", "0/s", "1e9/s", "1ms..0ms", "0ms..0ms", "partition |",
  "partition n1 | n1", "skew n1 +1h drift 1000000ppm", "skew n1 -1h drift -1000000ppm",
  "18446744073709551615", "18446744073709551616", "-9223372036854775808", "1h", "24h", "25h",
  "pause n3 for 1us", "cut c1 <-> n1", "isolate n16", "violation invariant:", "violation x y",
  "read:0 write:0", "read:1e300", "a b c d e f g h i j k l m n o p q", "unlimited", "1GB/s",
  "x,x", "crash n1; restart n1; crash n1", "byzantine n1 " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  /* inputs that once ran for hours or without memory bound, or answered wrong */
  "0s", "1us", "0.4", "1B/s", "0.4B/s", "1000000", "skew n1 +0ms drift -999999ppm",
  "violation invariant:nonexistent", "violation invariant:no-progress",
  "partition n1 | n2 | n3 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10",
};

/* Splits text into lines (keeping no '\n'). */
static GPtrArray *
lines_of (const GByteArray *b)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  gsize start = 0;
  for (gsize i = 0; i <= b->len; i++)
    if (i == b->len || b->data[i] == '\n') {
      g_ptr_array_add (lines, g_strndup ((const char *) b->data + start, i - start));
      start = i + 1;
    }
  return lines;
}

static void
join_lines (GByteArray *b, GPtrArray *lines)
{
  g_byte_array_set_size (b, 0);
  for (guint i = 0; i < lines->len; i++) {
    const char *l = lines->pdata[i];
    g_byte_array_append (b, (const guint8 *) l, (guint) strlen (l));
    if (i + 1 < lines->len)
      g_byte_array_append (b, (const guint8 *) "\n", 1);
  }
}

/* Swaps the parts before (want_key) or after '=' of two lines. */
static void
swap_parts (GPtrArray *lines, guint a, guint b, gboolean want_key)
{
  char *la = lines->pdata[a], *lb = lines->pdata[b];
  char *ea = strchr (la, '='), *eb = strchr (lb, '=');
  if (a == b || ea == NULL || eb == NULL)
    return;
  char *na, *nb;
  if (want_key) {
    na = g_strdup_printf ("%.*s%s", (int) (eb - lb), lb, ea);
    nb = g_strdup_printf ("%.*s%s", (int) (ea - la), la, eb);
  } else {
    na = g_strdup_printf ("%.*s%s", (int) (ea - la), la, eb);
    nb = g_strdup_printf ("%.*s%s", (int) (eb - lb), lb, ea);
  }
  g_free (lines->pdata[a]);
  g_free (lines->pdata[b]);
  lines->pdata[a] = na;
  lines->pdata[b] = nb;
}

static void
mutate (GByteArray *b, Pcg32 *rng)
{
  guint kind = pcg32_below (rng, 8);
  if (kind <= 1 && b->len > 0) {
    guint at = pcg32_below (rng, b->len);
    if (kind == 0)
      b->data[at] = (guint8) pcg32_next (rng); /* byte flip */
    else
      g_byte_array_set_size (b, at);           /* truncation */
    return;
  }
  if (kind == 6) {                            /* token insertion */
    const char *t = tokens[pcg32_below (rng, G_N_ELEMENTS (tokens))];
    guint at = b->len > 0 ? pcg32_below (rng, b->len + 1) : 0;
    GByteArray *rest = g_byte_array_new ();
    g_byte_array_append (rest, b->data + at, b->len - at);
    g_byte_array_set_size (b, at);
    g_byte_array_append (b, (const guint8 *) t, (guint) strlen (t));
    g_byte_array_append (b, rest->data, rest->len);
    g_byte_array_unref (rest);
    return;
  }
  g_autoptr (GPtrArray) lines = lines_of (b);
  guint n = lines->len;
  if (n == 0)
    return;
  guint i = pcg32_below (rng, n), j = pcg32_below (rng, n);
  switch (kind) {
  case 2: /* line duplication */
    g_ptr_array_insert (lines, (gint) j, g_strdup (lines->pdata[i]));
    break;
  case 3: /* line deletion */
    g_ptr_array_remove_index (lines, i);
    break;
  case 4: /* swap values */
  case 5: /* swap keys */
    swap_parts (lines, i, j, kind == 5);
    break;
  default: { /* nasty value */
    char *eq = strchr (lines->pdata[i], '=');
    if (eq != NULL) {
      const char *v = values[pcg32_below (rng, G_N_ELEMENTS (values))];
      char *nl = g_strdup_printf ("%.*s= %s", (int) (eq - (char *) lines->pdata[i]),
                                  (char *) lines->pdata[i], v);
      g_free (lines->pdata[i]);
      lines->pdata[i] = nl;
    }
  }
  }
  join_lines (b, lines);
}

/* A config that loaded must be one the world can trust. */
static void
expect_consistent (const SimConfig *cfg)
{
  int n_ep = cfg->n_nodes + cfg->workload.n_clients;
  cr_assert (cfg->n_nodes >= cfg->proto->min_nodes && cfg->n_nodes <= cfg->proto->max_nodes);
  cr_assert (n_ep <= PROTO_MAX_ENDPOINTS);
  cr_assert (cfg->workload.n_keys >= 1 && cfg->workload.n_keys <= SIM_MAX_KEYS);
  cr_assert (cfg->net.latency_min_us <= cfg->net.latency_max_us);
  cr_assert (cfg->workload.backoff_base_us <= cfg->workload.backoff_cap_us);
  int64_t last = 0;
  for (guint i = 0; i < cfg->faults->len; i++) {
    const SimFault *f = &g_array_index (cfg->faults, SimFault, i);
    cr_assert_geq (f->at_us, last, "fault schedule out of order");
    last = f->at_us;
    if (f->kind == SIM_FAULT_ONEWAY)
      cr_assert (f->from >= 0 && f->from < n_ep && f->to >= 0 && f->to < n_ep);
    else if (f->kind == SIM_FAULT_SKEW) /* nodes and clients have clocks */
      cr_assert (f->node >= 0 && f->node < n_ep);
    else if ((f->kind == SIM_FAULT_CRASH || f->kind == SIM_FAULT_PAUSE)
             && f->node == SIM_NODE_LEADER) /* crash leader, pause leader */
      cr_assert (cfg->proto->leader_term != NULL, "a leader fault on a leaderless protocol");
    else if (f->kind != SIM_FAULT_PARTITION && f->kind != SIM_FAULT_HEAL
             && f->kind != SIM_FAULT_ADMIN)
      cr_assert (f->node >= 0 && f->node < cfg->n_nodes, "fault %u (kind %d) names node %d", i,
                 (int) f->kind, f->node);
  }
  for (guint i = 0; i < cfg->link_overrides->len; i++) {
    const SimLinkOverride *o = &g_array_index (cfg->link_overrides, SimLinkOverride, i);
    cr_assert (o->from >= -1 && o->from < n_ep && o->to >= -1 && o->to < n_ep);
    cr_assert (o->link.latency_min_us <= o->link.latency_max_us);
  }
}

static gboolean
has_line_prefix (const char *msg)
{
  if (!g_str_has_prefix (msg, "fuzz.scn:"))
    return FALSE;
  const char *p = msg + strlen ("fuzz.scn:");
  if (!g_ascii_isdigit (*p) || *p == '0')
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  return p[0] == ':' && p[1] == ' ';
}

static void
fuzz (guint variants)
{
  g_autoptr (GPtrArray) seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  collect ("scenarios", seeds);
  collect ("tests/data/scenarios", seeds);
  cr_assert_geq (seeds->len, 10);
  Pcg32 rng;
  pcg32_seed (&rng, 20261125, 7);
  guint loaded = 0, ran = 0, limited = 0;
  test_limit_memory ((gsize) 3 << 30);
  for (guint v = 0; v < variants; v++) {
    GBytes *seed = seeds->pdata[v % seeds->len];
    gsize len = 0;
    const guint8 *d = g_bytes_get_data (seed, &len);
    g_autoptr (GByteArray) b = g_byte_array_new ();
    g_byte_array_append (b, d, (guint) len);
    guint n_mut = 1 + pcg32_below (&rng, 3);
    for (guint m = 0; m < n_mut; m++)
      mutate (b, &rng);
    GError *error = NULL;
    g_autoptr (SimConfig) cfg = sim_scenario_load_data ("fuzz.scn", (const char *) b->data, b->len,
                                                        &error);
    if (cfg == NULL) {
      cr_assert_not_null (error, "variant %u: NULL without an error", v);
      cr_assert (has_line_prefix (error->message), "variant %u: '%s' lacks 'fuzz.scn:LINE: '",
                 v, error->message);
      g_error_free (error);
      continue;
    }
    cr_assert_null (error);
    expect_consistent (cfg);
    loaded++;
    /* Every 16th loadable variant runs for up to 200ms of virtual time,
     * under the run's guards (as dsim run sets them, smaller): it must end
     * in bounded time and memory, stopped by a limit or not. */
    if (loaded % 16 == 0) {
      cfg->duration_us = MIN (cfg->duration_us, 200000);
      g_autoptr (SimWorld) w = sim_world_new (cfg, cfg->seed);
      sim_world_set_limits (w, 2000000, (uint64_t) 256 << 20);
      sim_world_run (w);
      /* Bounded work, counted in events rather than by a clock: the guard
       * stops the run at its event limit (plus the event in hand). */
      cr_assert_leq (sim_world_stats (w)->events, 2000001, "variant %u ran past its event limit",
                     v);
      cr_assert_leq (sim_world_memory_bytes (w), ((uint64_t) 256 << 20) + (64u << 20),
                     "variant %u: memory past its cap", v);
      ran++;
      limited += sim_world_limit_reason (w) != NULL;
    }
  }
  cr_log_info ("%u variants: %u loaded (%u run, %u stopped by a limit), %u rejected with a "
               "line", variants, loaded, ran, limited, variants - loaded);
  cr_expect_gt (loaded, variants / 50, "mutations too destructive to test the loaded path");
  cr_expect_lt (loaded, variants, "mutations never produced an error");
}

Test (scenario_fuzz, quick, .timeout = 120)
{
  fuzz (20000);
}

Test (scenario_fuzz, long, .timeout = 600)
{
  fuzz (400000);
}
