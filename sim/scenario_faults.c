/* scenario_faults.c: the [faults] section.
 *
 * A timed schedule, one key per instant, several actions separated by ';':
 *   at 1s    = partition n1 | n2 n3      (groups; members by space or comma)
 *   at 1s    = isolate n1                (n1 alone, the other nodes together)
 *   at 2s    = heal                      (all partitions and cuts removed)
 *   at 2.5s  = cut n1 -> n2; cut n2 <-> n3
 *   at 3s    = crash n1; restart n1
 *   at 4s    = pause n2 for 500ms        (or pause n2 ... resume n2)
 *   at 5s    = skew n3 +200ms drift 100ppm
 *   at 6s    = byzantine n4 equivocate
 *   at 7s    = corrupt n2                (or corrupt n2 3 bits)
 *   at 8s    = skew c1 -20ms drift 50ppm (clients have clocks too)
 *   at 9s    = crash leader for 200ms    (role-aware: whichever node leads
 *   at 9s    = pause leader for 100ms     when the fault fires; also
 *   at 9s    = isolate leader             crash leader, pause leader)
 * and random fault rates for fuzzing:
 *   random.crash = 0.5/s   random.crash_for = 500ms   (and partition, pause,
 *   random.skew = 0.1/s    random.skew_max = 100ms     each with _for)
 *   random.corrupt = 0.1/s
 *   random.byzantine = 1/s random.byzantine_max = 1    (sim/byzantine.h)
 * and the disks (sim/storage.c):
 *   disk_latency = 1ms..5ms   torn_writes = 0.5   corrupt = n2 at 3s; n1 at 4s */
#include "sim/scenario_private.h"
#include "sim/byzantine.h"

#include <string.h>

static const char *const random_keys[] = {
  "random.crash", "random.crash_for", "random.partition", "random.partition_for",
  "random.pause", "random.pause_for", "random.skew", "random.skew_max", "random.corrupt",
  "random.byzantine", "random.byzantine_max", NULL,
};

static const char *const storage_keys[] = { "disk_latency", "torn_writes", "corrupt", NULL };

/* For suggestions: what a [faults] key can be. */
static const char *const fault_key_forms[] = {
  "at", "random.crash", "random.crash_for", "random.partition", "random.partition_for",
  "random.pause", "random.pause_for", "random.skew", "random.skew_max", "random.corrupt",
  "random.byzantine", "random.byzantine_max", "disk_latency", "torn_writes", "corrupt", NULL,
};

static const char *const action_names[] = {
  "partition", "isolate", "heal", "cut", "crash", "restart", "pause", "resume", "skew",
  "byzantine", "corrupt", "admin", NULL,
};

enum {
  A_PARTITION, A_ISOLATE, A_HEAL, A_CUT, A_CRASH, A_RESTART, A_PAUSE, A_RESUME, A_SKEW,
  A_BYZANTINE, A_CORRUPT, A_ADMIN,
};

#define ACTION_SYNTAX                                                                      \
  "partition A | B ..., isolate N, heal, heal loss, cut A -> B, cut A <-> B, crash N, restart N, "  \
  "pause N [for DURATION], resume N, skew N OFFSET [drift PPM], byzantine N BEHAVIOUR, " \
  "corrupt N [BITS bits], admin COMMAND, or crash, pause or isolate leader"

/* Appends in file order; scn_parse_faults sorts by time at the end. */
static void
schedule_add (ScnParser *p, const SimFault *f)
{
  g_array_append_val (p->cfg->faults, *f);
}

static gint
fault_time_cmp (gconstpointer a, gconstpointer b)
{
  int64_t x = ((const SimFault *) a)->at_us, y = ((const SimFault *) b)->at_us;
  return (x > y) - (x < y);
}

static GPtrArray *
split_words (const char *text)
{
  g_auto (GStrv) parts = g_strsplit_set (text, " \t", -1);
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_ptr_array_add (words, g_strdup (parts[i]));
  return words;
}

static gboolean
fail_endpoint (ScnParser *p, const ScnEntry *e, const char *action, const char *got,
               gboolean allow_clients)
{
  g_autoptr (GString) range = g_string_new (NULL);
  scn_endpoint_range (p, allow_clients, range);
  return scn_fail_entry (p, e, "%s: expected a %s (%s), got '%s'", action,
                         allow_clients ? "node or client" : "node", range->str, got);
}

static gboolean
parse_node_word (ScnParser *p, const ScnEntry *e, const char *action, GPtrArray *words,
                 int *node)
{
  if (words->len < 2)
    return scn_fail_entry (p, e, "%s: expected a node name after '%s'", action, action);
  *node = scn_endpoint_parse (p, words->pdata[1], FALSE);
  if (*node < 0)
    return fail_endpoint (p, e, action, words->pdata[1], FALSE);
  return TRUE;
}

static gboolean
parse_partition (ScnParser *p, const ScnEntry *e, const char *groups_text, SimFault *f)
{
  memset (f->group, -1, sizeof f->group);
  g_auto (GStrv) groups = g_strsplit (groups_text, "|", -1);
  int n_groups = 0;
  for (int g = 0; groups[g] != NULL; g++) {
    g_auto (GStrv) members = g_strsplit_set (groups[g], ", \t", -1);
    int n_members = 0;
    for (int m = 0; members[m] != NULL; m++) {
      if (members[m][0] == '\0')
        continue;
      int ep = scn_endpoint_parse (p, members[m], TRUE);
      if (ep < 0)
        return fail_endpoint (p, e, "partition", members[m], TRUE);
      if (f->group[ep] >= 0)
        return scn_fail_entry (p, e, "partition: %s is in two groups", members[m]);
      f->group[ep] = (SimGroupId) g;
      n_members++;
    }
    if (n_members == 0)
      return scn_fail_entry (p, e, "partition: expected groups of endpoints separated by '|', "
                             "such as 'partition n1 | n2 n3'; group %d is empty", g + 1);
    n_groups++;
  }
  if (n_groups < 2)
    return scn_fail_entry (p, e, "partition: expected at least two groups separated by '|', "
                           "such as 'partition n1 | n2 n3'");
  return TRUE;
}

/* "+200ms", "-50ms", "0". */
static gboolean
parse_signed_duration (const char *text, int64_t *out)
{
  int sign = 1;
  if (text[0] == '+' || text[0] == '-') {
    sign = text[0] == '-' ? -1 : 1;
    text++;
  }
  int64_t us;
  if (!proto_parse_duration_us (text, &us) || us > SCN_HOUR_US)
    return FALSE;
  *out = sign * us;
  return TRUE;
}

static gboolean
parse_skew (ScnParser *p, const ScnEntry *e, GPtrArray *words, SimFault *f)
{
  if (words->len != 3 && words->len != 5)
    return scn_fail_entry (p, e, "skew: expected 'skew N OFFSET [drift PPM]' such as "
                           "'skew n3 +200ms drift 100ppm'");
  if (!parse_signed_duration (words->pdata[2], &f->skew_us))
    return scn_fail_entry (p, e, "skew: expected a clock offset such as +200ms or -50ms "
                           "(at most 1h), got '%s'", (char *) words->pdata[2]);
  if (words->len == 5) {
    const char *ppm = words->pdata[4];
    int64_t v;
    g_autofree char *num = g_strdup (ppm);
    if (g_str_has_suffix (num, "ppm"))
      num[strlen (num) - 3] = '\0';
    if (strcmp (words->pdata[3], "drift") != 0 || !g_str_has_suffix (ppm, "ppm")
        || !scn_parse_int (num, &v) || v < -1000000 || v > 1000000)
      return scn_fail_entry (p, e, "skew: expected 'drift PPM' such as 'drift 100ppm' or "
                             "'drift -20ppm' (at most 1000000ppm), got '%s %s'",
                             (char *) words->pdata[3], ppm);
    f->drift_ppm = v;
  }
  return TRUE;
}

/* "crash leader [for D]", "pause leader [for D]", "isolate leader": a
 * role-aware fault, resolved when it fires (sim/faults.c).  FALSE with
 * *handled TRUE: an error was reported. */
static gboolean
parse_leader_action (ScnParser *p, const ScnEntry *e, GPtrArray *words, SimFault *f,
                     gboolean *handled)
{
  *handled = words->len >= 2 && strcmp (words->pdata[1], "leader") == 0;
  if (!*handled)
    return FALSE;
  const char *verb = words->pdata[0];
  gboolean takes_for = strcmp (verb, "isolate") != 0;
  if (p->cfg->proto->leader_term == NULL)
    return scn_fail_entry (p, e, "%s leader: protocol %s has no leader to pick", verb,
                           p->cfg->proto->name);
  if (words->len == 4 && takes_for && strcmp (words->pdata[2], "for") == 0) {
    if (!proto_parse_duration_us (words->pdata[3], &f->for_us) || f->for_us <= 0
        || f->for_us > SCN_DAY_US)
      return scn_fail_entry (p, e, "%s leader: expected a duration after 'for' such as "
                             "'%s leader for 200ms', got '%s'", verb, verb,
                             (char *) words->pdata[3]);
  } else if (words->len != 2) {
    return scn_fail_entry (p, e, takes_for ? "%s leader: expected '%s leader' or '%s leader for "
                                             "DURATION'"
                                           : "%s leader: expected '%s leader'%.0s", verb, verb,
                           verb);
  }
  f->node = SIM_NODE_LEADER;
  if (strcmp (verb, "isolate") == 0) {
    f->kind = SIM_FAULT_PARTITION;
    f->is_isolate_leader = TRUE;
    memset (f->group, -1, sizeof f->group);
  } else {
    f->kind = strcmp (verb, "crash") == 0 ? SIM_FAULT_CRASH : SIM_FAULT_PAUSE;
  }
  schedule_add (p, f);
  *handled = FALSE;
  return TRUE;
}

/* One action of an "at TIME" entry. */
static gboolean
parse_action (ScnParser *p, const ScnEntry *e, int64_t at_us, const char *text)
{
  g_autoptr (GPtrArray) words = split_words (text);
  if (words->len == 0)
    return scn_fail_entry (p, e, "expected an action (%s)", ACTION_SYNTAX);
  const char *verb = words->pdata[0];
  SimFault f = { .at_us = at_us, .line = e->line, .node = -1, .from = -1, .to = -1 };
  int action = scn_key_index (action_names, verb);
  if (action == A_CRASH || action == A_PAUSE || action == A_ISOLATE) {
    gboolean failed = FALSE;
    if (parse_leader_action (p, e, words, &f, &failed))
      return TRUE;
    if (failed)
      return FALSE;
  }
  switch (action) {
  case A_PARTITION: {
    f.kind = SIM_FAULT_PARTITION;
    const char *rest = strstr (text, "partition") + strlen ("partition");
    if (!parse_partition (p, e, rest, &f))
      return FALSE;
    break;
  }
  case A_ISOLATE: {
    int node;
    if (!parse_node_word (p, e, verb, words, &node))
      return FALSE;
    if (words->len != 2)
      return scn_fail_entry (p, e, "isolate: expected one node, as in 'isolate n1'");
    f.kind = SIM_FAULT_PARTITION;
    memset (f.group, -1, sizeof f.group);
    for (int i = 0; i < p->cfg->n_nodes; i++)
      f.group[i] = i == node ? 1 : 0;
    break;
  }
  case A_HEAL:
    if (words->len == 2 && strcmp (words->pdata[1], "loss") == 0)
      f.is_heal_loss = TRUE;
    else if (words->len != 1)
      return scn_fail_entry (p, e, "heal: expected 'heal' (partitions and cuts) or 'heal loss' "
                             "(message loss and duplication), got '%s'", text);
    f.kind = SIM_FAULT_HEAL;
    break;
  case A_CUT: {
    const char *arrow = words->len == 4 ? words->pdata[2] : "";
    gboolean both = strcmp (arrow, "<->") == 0;
    if (!both && strcmp (arrow, "->") != 0)
      return scn_fail_entry (p, e, "cut: expected 'cut A -> B' (one way) or 'cut A <-> B', "
                             "with spaces around the arrow");
    f.kind = SIM_FAULT_ONEWAY;
    f.from = scn_endpoint_parse (p, words->pdata[1], TRUE);
    f.to = scn_endpoint_parse (p, words->pdata[3], TRUE);
    if (f.from < 0)
      return fail_endpoint (p, e, verb, words->pdata[1], TRUE);
    if (f.to < 0)
      return fail_endpoint (p, e, verb, words->pdata[3], TRUE);
    if (f.from == f.to)
      return scn_fail_entry (p, e, "cut: expected two different endpoints");
    if (both) {
      SimFault back = f;
      back.from = f.to;
      back.to = f.from;
      schedule_add (p, &f);
      f = back;
    }
    break;
  }
  case A_CRASH:
  case A_RESTART:
  case A_RESUME:
    if (!parse_node_word (p, e, verb, words, &f.node))
      return FALSE;
    if (words->len != 2)
      return scn_fail_entry (p, e, "%s: expected one node, as in '%s n1'", verb, verb);
    f.kind = action == A_CRASH ? SIM_FAULT_CRASH
             : action == A_RESTART ? SIM_FAULT_RESTART : SIM_FAULT_RESUME;
    break;
  case A_PAUSE: {
    if (!parse_node_word (p, e, verb, words, &f.node))
      return FALSE;
    f.kind = SIM_FAULT_PAUSE;
    if (words->len == 2)
      break;
    int64_t for_us;
    if (words->len != 4 || strcmp (words->pdata[2], "for") != 0
        || !proto_parse_duration_us (words->pdata[3], &for_us) || for_us <= 0
        || for_us > SCN_DAY_US)
      return scn_fail_entry (p, e, "pause: expected 'pause N' or 'pause N for DURATION' such "
                             "as 'pause n2 for 500ms'");
    SimFault resume = f;
    resume.kind = SIM_FAULT_RESUME;
    resume.at_us = at_us + for_us;
    schedule_add (p, &f);
    f = resume;
    break;
  }
  case A_SKEW:
    /* Nodes and clients both have clocks. */
    if (words->len < 2)
      return scn_fail_entry (p, e, "skew: expected a node or client name after 'skew'");
    f.node = scn_endpoint_parse (p, words->pdata[1], TRUE);
    if (f.node < 0)
      return fail_endpoint (p, e, verb, words->pdata[1], TRUE);
    if (!parse_skew (p, e, words, &f))
      return FALSE;
    f.kind = SIM_FAULT_SKEW;
    break;
  case A_ADMIN: {
    if (p->cfg->proto->admin == NULL)
      return scn_fail_entry (p, e, "admin: protocol %s takes no operator commands",
                             p->cfg->proto->name);
    g_autoptr (GString) cmd = g_string_new (NULL);
    for (guint i = 1; i < words->len; i++)
      g_string_append_printf (cmd, "%s%s", i > 1 ? " " : "", (char *) words->pdata[i]);
    if (cmd->len == 0 || cmd->len >= sizeof f.behaviour)
      return scn_fail_entry (p, e, "admin: expected a command of 1 to %zu characters, such as "
                             "'admin add n4'", sizeof f.behaviour - 1);
    if (!proto_admin_word_known (p->cfg->proto, words->pdata[1], strlen (words->pdata[1])))
      return scn_fail_entry (p, e, "admin: protocol %s has no command '%s'",
                             p->cfg->proto->name, (char *) words->pdata[1]);
    f.kind = SIM_FAULT_ADMIN;
    g_strlcpy (f.behaviour, cmd->str, sizeof f.behaviour);
    break;
  }
  case A_CORRUPT: {
    if (!parse_node_word (p, e, verb, words, &f.node))
      return FALSE;
    f.kind = SIM_FAULT_CORRUPT;
    f.bits = 1;
    int64_t bits;
    if (words->len == 2)
      break;
    if (words->len != 4 || (strcmp (words->pdata[3], "bits") != 0
                            && strcmp (words->pdata[3], "bit") != 0)
        || !scn_parse_int (words->pdata[2], &bits) || bits < 1 || bits > 4096)
      return scn_fail_entry (p, e, "corrupt: expected 'corrupt N' or 'corrupt N BITS bits' "
                             "such as 'corrupt n2 3 bits' (1 to 4096 bits)");
    f.bits = (int) bits;
    break;
  }
  case A_BYZANTINE: {
    if (!parse_node_word (p, e, verb, words, &f.node))
      return FALSE;
    const char *how = words->len == 3 ? words->pdata[2] : "";
    gboolean ok = how[0] != '\0' && strlen (how) < sizeof f.behaviour;
    for (const char *c = how; *c != '\0'; c++)
      ok = ok && (g_ascii_isalnum (*c) || *c == '-' || *c == '_');
    if (!ok)
      return scn_fail_entry (p, e, "byzantine: expected 'byzantine N BEHAVIOUR' such as "
                             "'byzantine n4 equivocate'");
    if (!sim_byzantine_is_known (how)) {
      g_autofree char *list = g_strjoinv (", ", (char **) sim_byzantine_behaviours ());
      return scn_fail_entry (p, e, "byzantine: unknown behaviour '%s'; expected one of %s", how,
                             list);
    }
    f.kind = SIM_FAULT_BYZANTINE;
    g_strlcpy (f.behaviour, how, sizeof f.behaviour);
    break;
  }
  default: {
    const char *near = scn_suggest (verb, action_names);
    if (near != NULL)
      return scn_fail_entry (p, e, "unknown action '%s'; did you mean '%s'?", verb, near);
    return scn_fail_entry (p, e, "unknown action '%s'; expected %s", verb, ACTION_SYNTAX);
  }
  }
  schedule_add (p, &f);
  return TRUE;
}

static gboolean
parse_timed (ScnParser *p, const ScnEntry *e)
{
  int64_t at_us;
  const char *when = e->key + 2;
  if (!proto_parse_duration_us (when, &at_us))
    return scn_fail_entry (p, e, "expected 'at TIME' with a unit, such as 'at 1.5s', got '%s'",
                           e->key);
  if (at_us > p->cfg->duration_us) {
    g_autoptr (GString) d = g_string_new (NULL);
    proto_format_duration (p->cfg->duration_us, d);
    return scn_fail_entry (p, e, "expected a time within the scenario's duration (%s)", d->str);
  }
  g_auto (GStrv) actions = g_strsplit (e->value, ";", -1);
  if (actions[0] == NULL) /* "at 1s =" scheduled nothing, silently */
    return parse_action (p, e, at_us, "");
  for (int i = 0; actions[i] != NULL; i++) {
    g_strstrip (actions[i]);
    if (actions[i][0] == '\0' && actions[i + 1] == NULL && i > 0)
      break; /* a trailing ';' */
    if (!parse_action (p, e, at_us, actions[i]))
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_random (ScnParser *p, const ScnEntry *e, int which)
{
  SimRandomFaults *r = &p->cfg->random_faults;
  const int64_t max_us = SCN_DAY_US;
  switch (which) {
  case 0: return scn_get_rate (p, e, &r->crash_per_s);
  case 1: return scn_get_duration (p, e, 1, max_us, &r->crash_down_us);
  case 2: return scn_get_rate (p, e, &r->partition_per_s);
  case 3: return scn_get_duration (p, e, 1, max_us, &r->partition_us);
  case 4: return scn_get_rate (p, e, &r->pause_per_s);
  case 5: return scn_get_duration (p, e, 1, max_us, &r->pause_us);
  case 6: return scn_get_rate (p, e, &r->skew_per_s);
  case 7: return scn_get_duration (p, e, 1, SCN_HOUR_US, &r->skew_max_us);
  case 8: return scn_get_rate (p, e, &r->corrupt_per_s);
  case 9: return scn_get_rate (p, e, &r->byzantine_per_s);
  case 10: return scn_get_int (p, e, 0, PROTO_MAX_NODES, &r->byzantine_max);
  }
  g_assert_not_reached ();
}

/* "corrupt = n2 at 3s; n1 at 4s 8 bits": the same schedule as 'at 3s =
 * corrupt n2'. */
static gboolean
parse_corrupt_list (ScnParser *p, const ScnEntry *e)
{
  g_auto (GStrv) items = g_strsplit (e->value, ";", -1);
  for (int i = 0; items[i] != NULL; i++) {
    g_autoptr (GPtrArray) words = split_words (items[i]);
    if (words->len == 0 && items[i + 1] == NULL && i > 0)
      break;
    int64_t at_us;
    if ((words->len != 3 && words->len != 5) || strcmp (words->pdata[1], "at") != 0
        || !proto_parse_duration_us (words->pdata[2], &at_us))
      return scn_fail_entry (p, e, "expected 'NODE at TIME [BITS bits]' items separated by "
                             "';', such as 'n2 at 3s; n1 at 4s 8 bits', got '%s'",
                             g_strstrip (items[i]));
    if (at_us > p->cfg->duration_us) {
      g_autoptr (GString) d = g_string_new (NULL);
      proto_format_duration (p->cfg->duration_us, d);
      return scn_fail_entry (p, e, "expected a time within the scenario's duration (%s)",
                             d->str);
    }
    g_autofree char *action = words->len == 5
        ? g_strdup_printf ("corrupt %s %s %s", (char *) words->pdata[0],
                           (char *) words->pdata[3], (char *) words->pdata[4])
        : g_strdup_printf ("corrupt %s", (char *) words->pdata[0]);
    if (!parse_action (p, e, at_us, action))
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_storage (ScnParser *p, const ScnEntry *e, int which)
{
  SimStorageConfig *sc = &p->cfg->storage;
  switch (which) {
  case 0: {
    const char *dots = strstr (e->value, "..");
    g_autofree char *lo = dots != NULL ? g_strndup (e->value, (gsize) (dots - e->value))
                                       : g_strdup (e->value);
    const char *hi = dots != NULL ? dots + 2 : e->value;
    int64_t lo_us, hi_us;
    if (!proto_parse_duration_us (g_strstrip (lo), &lo_us) || !proto_parse_duration_us (hi, &hi_us)
        || lo_us > SCN_HOUR_US || hi_us > SCN_HOUR_US || lo_us > hi_us)
      return scn_fail_entry (p, e, "expected a disk latency such as 2ms or 1ms..5ms (minimum "
                             "first, at most 1h), got '%s'", e->value);
    sc->disk_latency_min_us = lo_us;
    sc->disk_latency_max_us = hi_us;
    return TRUE;
  }
  case 1:
    return scn_get_probability (p, e, &sc->torn_writes);
  case 2:
    return parse_corrupt_list (p, e);
  }
  g_assert_not_reached ();
}

gboolean
scn_parse_faults (ScnParser *p)
{
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, "faults") != 0)
      continue;
    int which = scn_key_index (random_keys, e->key);
    int storage = scn_key_index (storage_keys, e->key);
    gboolean ok;
    if (which >= 0)
      ok = parse_random (p, e, which);
    else if (storage >= 0)
      ok = parse_storage (p, e, storage);
    else if (g_str_has_prefix (e->key, "at ") || strcmp (e->key, "at") == 0)
      ok = parse_timed (p, e);
    else if (g_str_has_prefix (e->key, "random."))
      ok = scn_fail_unknown_key (p, e, random_keys);
    else {
      const char *near = scn_suggest (e->key, fault_key_forms);
      ok = near != NULL && strcmp (near, "at") != 0
             ? scn_fail_unknown_key (p, e, random_keys)
             : scn_fail_entry (p, e, "unknown key; expected 'at TIME = ACTION' (such as "
                               "'at 1s = crash n1') or random.crash, random.partition, "
                               "random.pause, random.skew (with _for / _max), "
                               "random.corrupt, random.byzantine (with _max), disk_latency, "
                               "torn_writes, corrupt");
    }
    if (!ok)
      return FALSE;
  }
  /* Sorted by time, equal times in file order: g_array_sort is stable. */
  g_array_sort (p->cfg->faults, fault_time_cmp);
  return TRUE;
}
