/* scenario_fuzz.c: the [fuzz] section: the ranges `dsim fuzz` draws each
 * run's configuration from (swarm testing).  `dsim run` reads and checks
 * the section but does not use it.
 *
 *   [fuzz]
 *   nodes = 3..5                 cluster sizes
 *   clients = 1..4
 *   duration = 1s..4s            the safety phase (faults on)
 *   liveness = 3s                the heal-all phase after it
 *   faults = crash partition pause skew   kinds the swarm switches on or off
 *   crash = 0.5/s..2/s           rate range of a kind (also partition, pause, skew)
 *   crash_for = 100ms..1s        how long it lasts (partition_for, pause_for;
 *   skew_max = 10ms..100ms       skew_max: the largest clock offset)
 *   drop = 0..0.1                message loss range
 *   duplicate = 0..0.1
 *   think = 10ms..300ms          clients' pause between operations
 *   raft.pre_vote = true | false        a protocol knob: one of these values
 *   raft.election_timeout_max = 150ms..300ms   or a range (integer and
 *                                       duration knobs)
 *   leader = 0..0.5              chance a crash, pause or partition targets the
 *                                current leader (crash leader, isolate leader)
 *   disk_latency = 0..5ms        the longest sync of a run (0: at once)
 *   faults = ... admin           operator commands at rate `admin = 1/s..4/s`,
 *   admin_commands = add | remove   each word given with a random node
 *   admin_burst = 1..3           commands per operator event, 1ms..10ms apart
 *   byzantine = random | equivocate   behaviours the Byzantine nodes of the
 *                                [faults] schedule take, one drawn per node and run
 * A single value (nodes = 5) is a range of one. */
#include "sim/scenario_private.h"
#include "sim/byzantine.h"

#include <string.h>

static const char *const fuzz_keys[] = {
  "nodes", "clients", "duration", "liveness", "faults", "crash", "crash_for", "partition",
  "partition_for", "pause", "pause_for", "skew", "skew_max", "drop", "duplicate", "think",
  "leader", "disk_latency", "admin", "admin_commands", "admin_burst", "byzantine", NULL,
};

enum {
  K_NODES, K_CLIENTS, K_DURATION, K_LIVENESS, K_FAULTS, K_CRASH, K_CRASH_FOR, K_PARTITION,
  K_PARTITION_FOR, K_PAUSE, K_PAUSE_FOR, K_SKEW, K_SKEW_MAX, K_DROP, K_DUPLICATE, K_THINK,
  K_LEADER, K_DISK_LATENCY, K_ADMIN, K_ADMIN_COMMANDS, K_ADMIN_BURST, K_BYZANTINE,
};

static const char *const kind_names[] = { "crash", "partition", "pause", "skew", "admin", NULL };

/* Splits "A..B" (or "A") into two strings. */
static void
split_range (const char *value, char **lo, char **hi)
{
  const char *dots = strstr (value, "..");
  if (dots == NULL) {
    *lo = g_strstrip (g_strdup (value));
    *hi = g_strdup (*lo);
    return;
  }
  *lo = g_strstrip (g_strndup (value, (gsize) (dots - value)));
  *hi = g_strstrip (g_strdup (dots + 2));
}

static gboolean
fail_order (ScnParser *p, const ScnEntry *e)
{
  return scn_fail_entry (p, e, "expected MIN..MAX with MIN at most MAX, got '%s'", e->value);
}

static gboolean
get_int_range (ScnParser *p, const ScnEntry *e, int64_t min, int64_t max, int *lo, int *hi)
{
  g_autofree char *a = NULL, *b = NULL;
  split_range (e->value, &a, &b);
  int64_t x, y;
  if (!scn_parse_int (a, &x) || !scn_parse_int (b, &y) || x < min || y > max || x < 0)
    return scn_fail_entry (p, e, "expected a range of integers from %" G_GINT64_FORMAT " to %"
                           G_GINT64_FORMAT " such as %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
                           ", got '%s'", min, max, min, max, e->value);
  if (x > y)
    return fail_order (p, e);
  *lo = (int) x;
  *hi = (int) y;
  return TRUE;
}

static gboolean
get_duration_range (ScnParser *p, const ScnEntry *e, int64_t min_us, int64_t *lo, int64_t *hi)
{
  g_autofree char *a = NULL, *b = NULL;
  split_range (e->value, &a, &b);
  int64_t x, y;
  if (!proto_parse_duration_us (a, &x) || !proto_parse_duration_us (b, &y) || x < min_us
      || y > SCN_DAY_US) {
    g_autoptr (GString) least = g_string_new (NULL);
    proto_format_duration (min_us, least);
    return scn_fail_entry (p, e, "expected a range of durations with units such as "
                           "100ms..1s, from %s to 24h, got '%s'", min_us > 0 ? least->str : "0",
                           e->value);
  }
  if (x > y)
    return fail_order (p, e);
  *lo = x;
  *hi = y;
  return TRUE;
}

static gboolean
get_rate_range (ScnParser *p, const ScnEntry *e, double *lo, double *hi)
{
  g_autofree char *a = NULL, *b = NULL;
  split_range (e->value, &a, &b);
  double r[2];
  const char *part[2] = { a, b };
  for (int i = 0; i < 2; i++) {
    g_autofree char *num = g_strdup (part[i]);
    char *slash = strchr (num, '/');
    if (slash == NULL || strcmp (g_strstrip (slash + 1), "s") != 0)
      return scn_fail_entry (p, e, "expected a range of rates such as 0.5/s..2/s, got '%s'",
                             e->value);
    *slash = '\0';
    if (!scn_parse_double (g_strstrip (num), &r[i]) || r[i] < 0 || r[i] > 1e6)
      return scn_fail_entry (p, e, "expected a range of rates such as 0.5/s..2/s, got '%s'",
                             e->value);
  }
  if (r[0] > r[1])
    return fail_order (p, e);
  *lo = r[0];
  *hi = r[1];
  return TRUE;
}

static gboolean
get_probability_range (ScnParser *p, const ScnEntry *e, double *lo, double *hi)
{
  g_autofree char *a = NULL, *b = NULL;
  split_range (e->value, &a, &b);
  double x, y;
  if (!scn_parse_double (a, &x) || !scn_parse_double (b, &y) || x < 0 || y > 1)
    return scn_fail_entry (p, e, "expected a range of probabilities between 0 and 1 such as "
                           "0..0.1, got '%s'", e->value);
  if (x > y)
    return fail_order (p, e);
  *lo = x;
  *hi = y;
  return TRUE;
}

static gboolean
get_kinds (ScnParser *p, const ScnEntry *e, unsigned *kinds)
{
  g_auto (GStrv) words = g_strsplit_set (e->value, ", \t", -1);
  *kinds = 0;
  for (int i = 0; words[i] != NULL; i++) {
    if (words[i][0] == '\0')
      continue;
    int k = scn_key_index (kind_names, words[i]);
    if (k < 0) {
      const char *near = scn_suggest (words[i], kind_names);
      if (near != NULL)
        return scn_fail_entry (p, e, "unknown fault kind '%s'; did you mean '%s'?", words[i],
                               near);
      return scn_fail_entry (p, e, "unknown fault kind '%s'; expected any of: crash, "
                             "partition, pause, skew, admin", words[i]);
    }
    *kinds |= 1u << k;
  }
  return TRUE;
}

/* "PROTOCOL.KNOB = V1 | V2" or "= A..B": every value must be one the knob
 * takes. */
static gboolean
get_knob (ScnParser *p, const ScnEntry *e, const char *knob_name)
{
  SimConfig *cfg = p->cfg;
  SimFuzzSpec *f = &cfg->fuzz;
  const ProtoVTable *vt = cfg->proto;
  const ProtoKnob *k = proto_knob_find (vt, knob_name);
  if (k == NULL) {
    g_autoptr (GPtrArray) names = g_ptr_array_new ();
    for (const ProtoKnob *q = vt->knobs; q != NULL && q->name != NULL; q++)
      g_ptr_array_add (names, (gpointer) q->name);
    g_ptr_array_add (names, NULL);
    const char *near = scn_suggest (knob_name, (const char *const *) names->pdata);
    if (near != NULL)
      return scn_fail_entry (p, e, "protocol %s has no knob '%s'; did you mean '%s.%s'?",
                             vt->name, knob_name, vt->name, near);
    return scn_fail_entry (p, e, "protocol %s has no knob '%s' (dsim list %s shows its knobs)",
                           vt->name, knob_name, vt->name);
  }
  if (f->n_knobs >= SIM_FUZZ_MAX_KNOBS)
    return scn_fail_entry (p, e, "at most %d protocol knobs can be varied", SIM_FUZZ_MAX_KNOBS);
  if (strlen (knob_name) >= sizeof f->knobs[0].name
      || strlen (e->value) >= sizeof f->knobs[0].values)
    return scn_fail_entry (p, e, "expected a shorter list of values");
  g_autofree void *scratch = g_memdup2 (cfg->proto_config, MAX (vt->config_size, 1));
  gboolean is_range = strstr (e->value, "..") != NULL;
  if (is_range) {
    if (k->type != PROTO_KNOB_INT && k->type != PROTO_KNOB_DURATION)
      return scn_fail_entry (p, e, "knob %s takes a list of values such as 'a | b', not a "
                             "range", knob_name);
    g_autofree char *a = NULL, *b = NULL;
    split_range (e->value, &a, &b);
    int64_t x, y;
    gboolean ok = k->type == PROTO_KNOB_INT
                    ? scn_parse_int (a, &x) && scn_parse_int (b, &y)
                    : proto_parse_duration_us (a, &x) && proto_parse_duration_us (b, &y);
    if (!ok)
      return scn_fail_entry (p, e, "expected a range such as %s, got '%s'",
                             k->type == PROTO_KNOB_INT ? "1..8" : "150ms..300ms", e->value);
    if (x > y)
      return fail_order (p, e);
    const char *ends[2] = { a, b };
    for (int i = 0; i < 2; i++) {
      g_autoptr (GError) error = NULL;
      if (!proto_config_set (vt, scratch, knob_name, ends[i], &error))
        return scn_fail_entry (p, e, "%s: %s", knob_name, error->message);
    }
  } else {
    g_auto (GStrv) values = g_strsplit (e->value, "|", -1);
    int n = 0;
    for (int i = 0; values[i] != NULL; i++) {
      g_strstrip (values[i]);
      g_autoptr (GError) error = NULL;
      if (values[i][0] == '\0' || !proto_config_set (vt, scratch, knob_name, values[i], &error))
        return scn_fail_entry (p, e, "%s: %s", knob_name,
                               error != NULL ? error->message : "expected a value between '|'");
      n++;
    }
    if (n == 0)
      return scn_fail_entry (p, e, "expected values separated by '|'");
  }
  int i = f->n_knobs++;
  g_strlcpy (f->knobs[i].name, knob_name, sizeof f->knobs[i].name);
  g_strlcpy (f->knobs[i].values, e->value, sizeof f->knobs[i].values);
  f->knobs[i].is_range = is_range;
  f->knobs[i].line = e->line;
  return TRUE;
}

/* "add | remove": command words, each given with a random node. */
static gboolean
get_admin_commands (ScnParser *p, const ScnEntry *e)
{
  SimFuzzSpec *f = &p->cfg->fuzz;
  if (p->cfg->proto->admin == NULL)
    return scn_fail_entry (p, e, "protocol %s takes no operator commands",
                           p->cfg->proto->name);
  g_auto (GStrv) words = g_strsplit (e->value, "|", -1);
  int n = 0;
  for (int i = 0; words[i] != NULL; i++) {
    g_strstrip (words[i]);
    gboolean ok = words[i][0] != '\0';
    for (const char *c = words[i]; *c != '\0'; c++)
      ok = ok && (g_ascii_isalnum (*c) || *c == '-' || *c == '_');
    if (!ok)
      return scn_fail_entry (p, e, "expected command words separated by '|', such as "
                             "'add | remove', got '%s'", e->value);
    if (!proto_admin_word_known (p->cfg->proto, words[i], strlen (words[i])))
      return scn_fail_entry (p, e, "protocol %s has no command '%s'", p->cfg->proto->name,
                             words[i]);
    n++;
  }
  if (n == 0 || strlen (e->value) >= sizeof f->admin_commands)
    return scn_fail_entry (p, e, "expected 1 to %zu characters of command words separated by "
                           "'|', such as 'add | remove'", sizeof f->admin_commands - 1);
  g_strlcpy (f->admin_commands, e->value, sizeof f->admin_commands);
  return TRUE;
}

/* "random | equivocate": behaviours of sim/byzantine.h, for the Byzantine
 * nodes the [faults] schedule names. */
static gboolean
get_byzantine (ScnParser *p, const ScnEntry *e)
{
  SimFuzzSpec *f = &p->cfg->fuzz;
  g_auto (GStrv) words = g_strsplit (e->value, "|", -1);
  int n = 0;
  for (int i = 0; words[i] != NULL; i++) {
    g_strstrip (words[i]);
    if (!sim_byzantine_is_known (words[i])) {
      const char *near = scn_suggest (words[i], sim_byzantine_behaviours ());
      if (near != NULL)
        return scn_fail_entry (p, e, "unknown Byzantine behaviour '%s'; did you mean '%s'?",
                               words[i], near);
      g_autofree char *list = g_strjoinv (", ", (char **) sim_byzantine_behaviours ());
      return scn_fail_entry (p, e, "unknown Byzantine behaviour '%s'; expected behaviours "
                             "separated by '|', from: %s", words[i], list);
    }
    n++;
  }
  if (n == 0 || strlen (e->value) >= sizeof f->byzantine)
    return scn_fail_entry (p, e, "expected 1 to %zu characters of Byzantine behaviours "
                           "separated by '|', such as 'random | equivocate'",
                           sizeof f->byzantine - 1);
  gboolean has_byzantine = FALSE;
  for (guint i = 0; i < p->cfg->faults->len; i++)
    has_byzantine |= g_array_index (p->cfg->faults, SimFault, i).kind == SIM_FAULT_BYZANTINE;
  if (!has_byzantine)
    return scn_fail_entry (p, e, "the [faults] schedule names no Byzantine node "
                           "(such as 'at 0s = byzantine n1 random') whose behaviour to vary");
  g_strlcpy (f->byzantine, e->value, sizeof f->byzantine);
  return TRUE;
}

/* The smallest and largest value a numeric knob can take in a run: its
 * [fuzz] list or range if it has one, else the scenario's value. */
static void
knob_bounds (const SimConfig *cfg, const ProtoKnob *k, int64_t *lo, int64_t *hi, int *line)
{
  const ProtoVTable *vt = cfg->proto;
  const SimFuzzSpec *f = &cfg->fuzz;
  int64_t v;
  memcpy (&v, (const char *) cfg->proto_config + k->offset, sizeof v);
  *lo = *hi = v;
  *line = 0;
  for (int i = 0; i < f->n_knobs; i++) {
    if (strcmp (f->knobs[i].name, k->name) != 0)
      continue;
    *line = f->knobs[i].line;
    g_autofree void *scratch = g_memdup2 (cfg->proto_config, MAX (vt->config_size, 1));
    g_auto (GStrv) values = f->knobs[i].is_range ? NULL : g_strsplit (f->knobs[i].values, "|", -1);
    g_autofree char *a = NULL, *b = NULL;
    if (f->knobs[i].is_range)
      split_range (f->knobs[i].values, &a, &b);
    const char *ends[2] = { a, b };
    gboolean first = TRUE;
    for (int j = 0; values != NULL ? values[j] != NULL : j < 2; j++) {
      const char *text = values != NULL ? g_strstrip (values[j]) : ends[j];
      /* Each value parsed when the key was read. */
      if (!proto_config_set (vt, scratch, k->name, text, NULL))
        continue;
      memcpy (&v, (const char *) scratch + k->offset, sizeof v);
      *lo = first ? v : MIN (*lo, v);
      *hi = first ? v : MAX (*hi, v);
      first = FALSE;
    }
  }
}

/* A knob pair NAME_min / NAME_max (the scenario loader refuses one
 * reversed) must stay in order in every run the ranges can draw. */
static gboolean
check_knob_pairs (ScnParser *p)
{
  const SimConfig *cfg = p->cfg;
  const ProtoVTable *vt = cfg->proto;
  for (const ProtoKnob *lo = vt->knobs; lo != NULL && lo->name != NULL; lo++) {
    const ProtoKnob *hi = scn_knob_max_of (vt, lo);
    if (hi == NULL)
      continue;
    int64_t lo_lo, lo_hi, hi_lo, hi_hi;
    int lo_line, hi_line;
    knob_bounds (cfg, lo, &lo_lo, &lo_hi, &lo_line);
    knob_bounds (cfg, hi, &hi_lo, &hi_hi, &hi_line);
    if (lo_hi <= hi_lo || (lo_line == 0 && hi_line == 0))
      continue;
    g_autoptr (GString) sa = g_string_new (NULL), sb = g_string_new (NULL);
    scn_format_knob_value (lo, lo_hi, sa);
    scn_format_knob_value (lo, hi_lo, sb);
    g_autofree char *key = g_strdup_printf ("%s.%s", vt->name, hi_line != 0 ? hi->name : lo->name);
    return scn_fail (p, hi_line != 0 ? hi_line : lo_line, "fuzz", key,
                     "a run could draw %s = %s with %s = %s; every draw must keep %s at most %s",
                     lo->name, sa->str, hi->name, sb->str, lo->name, hi->name);
  }
  return TRUE;
}

/* A run keeps the scenario's [link] sections as written (a run of fewer
 * nodes drops the faults that name a node beyond it, but a link section
 * naming one would not load): every size a [fuzz] nodes or clients range
 * draws must hold the endpoints the links name. */
static gboolean
check_link_sizes (ScnParser *p)
{
  const SimConfig *cfg = p->cfg;
  const SimFuzzSpec *f = &cfg->fuzz;
  for (guint i = 0; i < cfg->link_overrides->len; i++) {
    const SimLinkOverride *o = &g_array_index (cfg->link_overrides, SimLinkOverride, i);
    for (int end = 0; end < 2; end++) {
      int ep = end == 0 ? o->from : o->to;
      gboolean is_node = ep >= 0 && ep < cfg->n_nodes;
      int k = ep - (is_node ? 0 : cfg->n_nodes) + 1;
      int least = is_node ? f->nodes_min : f->clients_min;
      if (ep < 0 || least == 0 || k <= least)
        continue;
      const ScnEntry *e = scn_find (p, "fuzz", is_node ? "nodes" : "clients");
      return scn_fail_entry (p, e, "a [link] section names %c%d; expected a range from %d, "
                             "so that every run has %c%d", is_node ? 'n' : 'c', k, k,
                             is_node ? 'n' : 'c', k);
    }
  }
  return TRUE;
}

/* Byzantine nodes of the [faults] schedule among the first n nodes (a run
 * of n nodes drops the faults that name a node beyond it). */
static int
byzantine_among (const SimConfig *cfg, int n)
{
  int count = 0;
  for (int node = 0; node < n; node++)
    for (guint i = 0; i < cfg->faults->len; i++) {
      const SimFault *x = &g_array_index (cfg->faults, SimFault, i);
      if (x->kind == SIM_FAULT_BYZANTINE && x->node == node) {
        count++;
        break;
      }
    }
  return count;
}

static int
tolerated (const ProtoVTable *vt, int n)
{
  return vt->byzantine_tolerated != NULL ? vt->byzantine_tolerated (n) : 0;
}

/* If the scenario's own cluster tolerates its Byzantine nodes, so must
 * every size a [fuzz] nodes range draws: otherwise the runs of the
 * smaller sizes break the invariants with no bug in the protocol. */
static gboolean
check_byzantine_sizes (ScnParser *p)
{
  const SimConfig *cfg = p->cfg;
  const SimFuzzSpec *f = &cfg->fuzz;
  const ProtoVTable *vt = cfg->proto;
  const ScnEntry *e = scn_find (p, "fuzz", "nodes");
  if (e == NULL || byzantine_among (cfg, cfg->n_nodes) > tolerated (vt, cfg->n_nodes))
    return TRUE;
  int first_bad = 0, last_bad = 0;
  for (int n = f->nodes_min; n <= f->nodes_max; n++)
    if (byzantine_among (cfg, n) > tolerated (vt, n)) {
      first_bad = first_bad != 0 ? first_bad : n;
      last_bad = n;
    }
  if (first_bad == 0)
    return TRUE;
  int b = byzantine_among (cfg, first_bad);
  return scn_fail_entry (p, e, "a run of %d nodes would keep %d Byzantine node%s of the [faults] "
                         "schedule, more than %s tolerates in %d (%d); expected a range from %d",
                         first_bad, b, b == 1 ? "" : "s", vt->name, first_bad,
                         tolerated (vt, first_bad), last_bad + 1);
}

gboolean
scn_parse_fuzz (ScnParser *p)
{
  SimFuzzSpec *f = &p->cfg->fuzz;
  memset (f, 0, sizeof *f);
  const ScnSection *s = scn_find_section (p, "fuzz");
  if (s == NULL)
    return TRUE;
  f->has_section = TRUE;
  f->line = s->line;
  const ProtoVTable *vt = p->cfg->proto;
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, "fuzz") != 0)
      continue;
    int key = scn_key_index (fuzz_keys, e->key);
    gboolean ok = TRUE;
    const char *proto = p->cfg->proto->name;
    if (key < 0 && g_str_has_prefix (e->key, proto) && e->key[strlen (proto)] == '.') {
      if (!get_knob (p, e, e->key + strlen (proto) + 1))
        return FALSE;
      continue;
    }
    switch (key) {
    case K_NODES:
      ok = get_int_range (p, e, vt->min_nodes, MIN (vt->max_nodes, PROTO_MAX_NODES),
                          &f->nodes_min, &f->nodes_max);
      break;
    case K_CLIENTS:
      ok = get_int_range (p, e, 1, SIM_MAX_CLIENTS, &f->clients_min, &f->clients_max);
      break;
    case K_DURATION:
      ok = get_duration_range (p, e, 1000, &f->duration_min_us, &f->duration_max_us);
      break;
    case K_LIVENESS: {
      int64_t lo, hi;
      ok = get_duration_range (p, e, 1000, &lo, &hi);
      if (ok && lo != hi)
        ok = scn_fail_entry (p, e, "expected one duration such as 3s, got '%s'", e->value);
      f->liveness_us = lo;
      break;
    }
    case K_FAULTS:
      ok = get_kinds (p, e, &f->kinds);
      f->has_kinds = TRUE;
      break;
    case K_CRASH:
    case K_PARTITION:
    case K_PAUSE:
    case K_SKEW: {
      int k = (key - K_CRASH) / 2;
      ok = get_rate_range (p, e, &f->rate_min[k], &f->rate_max[k]);
      f->has_rate[k] = TRUE;
      break;
    }
    case K_CRASH_FOR:
    case K_PARTITION_FOR:
    case K_PAUSE_FOR:
    case K_SKEW_MAX: {
      int k = (key - K_CRASH_FOR) / 2;
      ok = get_duration_range (p, e, 1, &f->for_min_us[k], &f->for_max_us[k]);
      f->has_for[k] = TRUE;
      break;
    }
    case K_DROP:
      ok = get_probability_range (p, e, &f->drop_min, &f->drop_max);
      f->has_drop = TRUE;
      break;
    case K_DUPLICATE:
      ok = get_probability_range (p, e, &f->duplicate_min, &f->duplicate_max);
      f->has_duplicate = TRUE;
      break;
    case K_THINK:
      ok = get_duration_range (p, e, 1, &f->think_min_us, &f->think_max_us);
      break;
    case K_LEADER:
      ok = get_probability_range (p, e, &f->leader_min, &f->leader_max);
      if (ok && vt->leader_term == NULL)
        ok = scn_fail_entry (p, e, "protocol %s has no leader for faults to target", vt->name);
      f->has_leader = TRUE;
      break;
    case K_DISK_LATENCY:
      ok = get_duration_range (p, e, 0, &f->disk_latency_min_us, &f->disk_latency_max_us);
      f->has_disk_latency = TRUE;
      break;
    case K_ADMIN:
      ok = get_rate_range (p, e, &f->rate_min[SIM_FUZZ_ADMIN], &f->rate_max[SIM_FUZZ_ADMIN]);
      f->has_rate[SIM_FUZZ_ADMIN] = TRUE;
      break;
    case K_ADMIN_COMMANDS:
      ok = get_admin_commands (p, e);
      break;
    case K_ADMIN_BURST:
      ok = get_int_range (p, e, 1, 8, &f->admin_burst_min, &f->admin_burst_max);
      if (ok && vt->admin == NULL)
        ok = scn_fail_entry (p, e, "protocol %s takes no operator commands", vt->name);
      break;
    case K_BYZANTINE:
      ok = get_byzantine (p, e);
      break;
    default:
      ok = scn_fail_unknown_key (p, e, fuzz_keys);
      break;
    }
    if (!ok)
      return FALSE;
  }
  if (f->kinds & (1u << SIM_FUZZ_ADMIN)) {
    const ScnEntry *k = scn_find (p, "fuzz", "faults");
    if (vt->admin == NULL)
      return scn_fail_entry (p, k, "fault kind admin: protocol %s takes no operator commands",
                             vt->name);
    if (f->admin_commands[0] == '\0')
      return scn_fail_entry (p, k, "fault kind admin needs admin_commands, such as "
                             "'admin_commands = add | remove'");
  }
  const char *needs_clients = f->clients_max > 0 ? "clients" : f->think_max_us > 0 ? "think" : NULL;
  if (needs_clients != NULL && p->cfg->workload.n_clients == 0)
    return scn_fail_entry (p, scn_find (p, "fuzz", needs_clients),
                           "expected a [workload] with clients for the fuzzer to vary");
  if (f->think_max_us > 0 && p->cfg->workload.rate_per_s > 0)
    return scn_fail_entry (p, scn_find (p, "fuzz", "think"),
                           "[workload] sets a rate; think ranges need a think time instead");
  /* A run lasts its safety phase and its liveness phase, and its scenario
   * at most 24h (the loader refuses a longer one). */
  int64_t liveness = f->liveness_us > 0 ? f->liveness_us : SIM_FUZZ_DEFAULT_LIVENESS_US;
  if (f->duration_max_us > 0 && f->duration_max_us > SCN_DAY_US - liveness) {
    g_autoptr (GString) live = g_string_new (NULL);
    proto_format_duration (liveness, live);
    return scn_fail_entry (p, scn_find (p, "fuzz", "duration"),
                           "with a liveness phase of %s, a run would last past 24h; expected "
                           "the two phases to last at most 24h together", live->str);
  }
  if (f->liveness_us > SCN_DAY_US - 1000)
    return scn_fail_entry (p, scn_find (p, "fuzz", "liveness"),
                           "expected a liveness phase that leaves a safety phase of at least "
                           "1ms in 24h, got '%s'", scn_find (p, "fuzz", "liveness")->value);
  return check_knob_pairs (p) && check_byzantine_sizes (p) && check_link_sizes (p);
}
