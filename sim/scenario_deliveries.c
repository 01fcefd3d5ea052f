/* scenario_deliveries.c: the [deliveries] section: the fixed delivery rule
 * and the sends it pins (as the fuzzer's shrinker writes them).
 *
 *   [deliveries]
 *   rule = fixed
 *   send 12 = lost
 *   send 40 = after 7300us
 *   send 41 = after 2ms, copy after 5ms
 */
#include "sim/scenario_private.h"

#include <string.h>

#define DELIVERY_MAX_US (24 * SCN_HOUR_US)

static gboolean
parse_after (const char *text, int64_t *out_us)
{
  text += strspn (text, " \t");
  if (!g_str_has_prefix (text, "after"))
    return FALSE;
  g_autofree char *d = g_strstrip (g_strdup (text + strlen ("after")));
  return proto_parse_duration_us (d, out_us) && *out_us >= 0 && *out_us <= DELIVERY_MAX_US;
}

/* "lost", "after DUR" or "after DUR, copy after DUR". */
static gboolean
parse_fate (const char *value, SimDeliveryPin *pin)
{
  if (strcmp (value, "lost") == 0) {
    pin->is_lost = TRUE;
    return TRUE;
  }
  g_auto (GStrv) parts = g_strsplit (value, ",", 3);
  guint n = g_strv_length (parts);
  if (n < 1 || n > 2 || !parse_after (parts[0], &pin->after_us[0]))
    return FALSE;
  if (n == 2) {
    const char *copy = parts[1] + strspn (parts[1], " \t");
    if (!g_str_has_prefix (copy, "copy") || !parse_after (copy + strlen ("copy"), &pin->after_us[1]))
      return FALSE;
    pin->is_duplicated = TRUE;
  }
  return TRUE;
}

gboolean
scn_parse_deliveries (ScnParser *p)
{
  SimConfig *cfg = p->cfg;
  const ScnSection *section = scn_find_section (p, "deliveries");
  if (section == NULL)
    return TRUE;
  const ScnEntry *rule = scn_find (p, "deliveries", "rule");
  if (rule == NULL)
    return scn_fail (p, section->line, "deliveries", NULL,
                     "expected 'rule = fixed' (messages not pinned arrive after their link's "
                     "minimum latency)");
  if (strcmp (rule->value, "fixed") != 0)
    return scn_fail_entry (p, rule, "expected fixed (the only rule), got '%s'", rule->value);
  if (scn_find_section (p, "replay") != NULL)
    return scn_fail (p, section->line, "deliveries", NULL,
                     "a scenario with [replay] pins every choice already; expected [deliveries] "
                     "or [replay], not both");
  cfg->has_delivery_rule = TRUE;
  uint64_t last = 0;
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, "deliveries") != 0 || e == rule)
      continue;
    uint64_t k = 0;
    if (!g_str_has_prefix (e->key, "send ")
        || !g_ascii_string_to_unsigned (e->key + 5, 10, 1, G_MAXUINT64, &k, NULL))
      return scn_fail_entry (p, e, "expected 'rule' or keys 'send K' (K from 1: the K-th "
                                   "message sent in the run)");
    if (k <= last)
      return scn_fail_entry (p, e, "expected sends in increasing order, after 'send %"
                             G_GUINT64_FORMAT "'", last);
    last = k;
    SimDeliveryPin pin = { .send = k, .line = e->line };
    if (!parse_fate (e->value, &pin))
      return scn_fail_entry (p, e, "expected 'lost', 'after DURATION' or 'after DURATION, "
                                   "copy after DURATION' (such as 'after 3ms'), got '%s'",
                             e->value);
    g_array_append_val (cfg->deliveries, pin);
  }
  return TRUE;
}
