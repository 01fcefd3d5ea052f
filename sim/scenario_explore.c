/* scenario_explore.c: the [explore] section (the bounds of `dsim explore`)
 * and the [replay] section (a pinned list of choices that `dsim run`
 * applies in order, as `dsim explore` writes its counterexamples). */
#include "sim/explore.h"
#include "sim/scenario_private.h"

#include <string.h>

static const char *const explore_keys[] = {
  "strategy", "depth", "states", "drops", "duplicates", "crashes", "restarts", "ops",
  "walks", "fingerprint", "deadlock", "timeouts", "por", "from_replay", NULL,
};

static gboolean
get_budget (ScnParser *p, const ScnEntry *e, int max, int *out)
{
  int64_t v;
  if (!scn_get_int (p, e, 0, max, &v))
    return FALSE;
  *out = (int) v;
  return TRUE;
}

static gboolean
parse_explore (ScnParser *p)
{
  SimExploreConfig *x = &p->cfg->explore;
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, "explore") != 0)
      continue;
    int64_t v;
    switch (scn_key_index (explore_keys, e->key)) {
    case 0:
      if (strcmp (e->value, "bfs") == 0)
        x->strategy = SIM_EXPLORE_BFS;
      else if (strcmp (e->value, "dfs") == 0)
        x->strategy = SIM_EXPLORE_DFS;
      else if (strcmp (e->value, "random-walk") == 0)
        x->strategy = SIM_EXPLORE_RANDOM_WALK;
      else
        return scn_fail_entry (p, e, "expected bfs, dfs or random-walk, got '%s'", e->value);
      break;
    case 1:
      if (!scn_get_int (p, e, 1, 10000, &v))
        return FALSE;
      x->depth = (int) v;
      break;
    case 2:
      if (!scn_get_int (p, e, 0, (int64_t) 1 << 32, &x->max_states))
        return FALSE;
      break;
    case 3:
      if (!get_budget (p, e, 1000, &x->drops))
        return FALSE;
      break;
    case 4:
      if (!get_budget (p, e, 1000, &x->duplicates))
        return FALSE;
      break;
    case 5:
      if (!get_budget (p, e, 1000, &x->crashes))
        return FALSE;
      break;
    case 6:
      if (!get_budget (p, e, 1000, &x->restarts))
        return FALSE;
      break;
    case 7:
      if (!get_budget (p, e, 1000, &x->ops))
        return FALSE;
      break;
    case 8:
      if (!scn_get_int (p, e, 1, G_MAXINT64, &x->walks))
        return FALSE;
      break;
    case 9:
      if (!scn_parse_int (e->value, &v) || (v != 64 && v != 128))
        return scn_fail_entry (p, e, "expected 64 or 128 (bits), got '%s'", e->value);
      x->fingerprint_bits = (int) v;
      break;
    case 10:
      if (!scn_get_bool (p, e, &x->deadlock))
        return FALSE;
      break;
    case 11:
      if (!get_budget (p, e, 1000, &x->timeouts))
        return FALSE;
      break;
    case 12:
      if (!scn_get_bool (p, e, &x->por))
        return FALSE;
      break;
    case 13:
      if (!scn_get_bool (p, e, &x->from_replay))
        return FALSE;
      break;
    default:
      return scn_fail_unknown_key (p, e, explore_keys);
    }
  }
  return TRUE;
}

/* [replay]: "step 1 = start n1", "step 2 = deliver m1 to n2", ... in order. */
static gboolean
parse_replay (ScnParser *p)
{
  SimConfig *cfg = p->cfg;
  g_autoptr (GString) why = g_string_new (NULL);
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, "replay") != 0)
      continue;
    uint64_t k = 0;
    if (!g_str_has_prefix (e->key, "step ")
        || !g_ascii_string_to_unsigned (e->key + 5, 10, 1, G_MAXUINT32, &k, NULL))
      return scn_fail_entry (p, e, "expected keys 'step 1', 'step 2', ...");
    if (k != cfg->replay->len + 1)
      return scn_fail_entry (p, e, "expected 'step %u' here (steps are numbered from 1, in order)",
                             cfg->replay->len + 1);
    SimPinnedChoice c;
    if (!sim_pinned_parse (cfg, e->value, &c, why))
      return scn_fail_entry (p, e, "%s, got '%s'", why->str, e->value);
    c.line = e->line;
    g_array_append_val (cfg->replay, c);
  }
  if (scn_find_section (p, "replay") != NULL && cfg->replay->len == 0)
    return scn_fail (p, scn_section_line (p, "replay"), "replay", NULL,
                     "expected at least one 'step 1 = CHOICE' line");
  return TRUE;
}

gboolean
scn_parse_explore (ScnParser *p)
{
  if (!parse_explore (p) || !parse_replay (p))
    return FALSE;
  if (p->cfg->explore.from_replay && p->cfg->replay->len == 0)
    for (guint i = 0; i < p->entries->len; i++) {
      const ScnEntry *e = p->entries->pdata[i];
      if (strcmp (e->section, "explore") == 0 && strcmp (e->key, "from_replay") == 0)
        return scn_fail_entry (p, e, "expected a [replay] section to start from");
    }
  return TRUE;
}
