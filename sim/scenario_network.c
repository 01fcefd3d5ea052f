/* scenario_network.c: the [network] section and the per-link [link A->B]
 * overrides.  Both take the same keys; a link starts from [network]'s
 * values and replaces the ones it sets. */
#include "sim/scenario_private.h"

#include <string.h>

static const char *const link_keys[] = {
  "latency", "latency_min", "latency_max", "distribution", "median", "tail_alpha",
  "drop", "duplicate", "reorder", "reorder_window", "bandwidth", "corrupt_msg", NULL,
};

enum {
  K_LATENCY, K_LATENCY_MIN, K_LATENCY_MAX, K_DISTRIBUTION, K_MEDIAN, K_TAIL_ALPHA,
  K_DROP, K_DUPLICATE, K_REORDER, K_REORDER_WINDOW, K_BANDWIDTH, K_CORRUPT_MSG,
};

#define MAX_LATENCY_US (SCN_HOUR_US)

/* "1ms..5ms" or a single "2ms" (min = max). */
static gboolean
parse_latency_range (ScnParser *p, const ScnEntry *e, SimLinkConfig *link)
{
  const char *dots = strstr (e->value, "..");
  g_autofree char *lo = dots != NULL ? g_strndup (e->value, (gsize) (dots - e->value))
                                     : g_strdup (e->value);
  g_autofree char *hi = g_strdup (dots != NULL ? dots + 2 : e->value);
  int64_t lo_us, hi_us;
  if (!proto_parse_duration_us (lo, &lo_us) || !proto_parse_duration_us (hi, &hi_us)
      || lo_us > MAX_LATENCY_US || hi_us > MAX_LATENCY_US)
    return scn_fail_entry (p, e, "expected a latency range such as 1ms..5ms (or one duration), "
                           "got '%s'", e->value);
  if (lo_us > hi_us)
    return scn_fail_entry (p, e, "expected the minimum before the maximum (such as 1ms..5ms), "
                           "got '%s'", e->value);
  link->latency_min_us = lo_us;
  link->latency_max_us = hi_us;
  return TRUE;
}

/* "0" or "unlimited", or a number of bytes per second with an optional unit:
 * "125000", "1000B/s", "100kB/s", "10MB/s", "1GB/s". */
static gboolean
parse_bandwidth (ScnParser *p, const ScnEntry *e, int64_t *out)
{
  if (strcmp (e->value, "unlimited") == 0) {
    *out = 0;
    return TRUE;
  }
  static const struct { const char *unit; double scale; } units[] = {
    { "kB/s", 1e3 }, { "KB/s", 1e3 }, { "MB/s", 1e6 }, { "GB/s", 1e9 }, { "B/s", 1.0 },
  };
  g_autofree char *num = g_strdup (e->value);
  double scale = 1.0;
  for (size_t i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_str_has_suffix (num, units[i].unit)) {
      num[strlen (num) - strlen (units[i].unit)] = '\0';
      scale = units[i].scale;
      break;
    }
  g_strstrip (num);
  double v;
  if (!scn_parse_double (num, &v) || v < 0 || v * scale > 1e15)
    return scn_fail_entry (p, e, "expected a bandwidth such as 10MB/s, 100kB/s, 125000 (bytes "
                           "per second) or unlimited, got '%s'", e->value);
  *out = (int64_t) (v * scale + 0.5);
  if (v > 0 && *out < 1) /* 0.4 B/s must not round to 0, which means unlimited */
    return scn_fail_entry (p, e, "expected at least 1 byte per second (0 or unlimited for no "
                           "limit), got '%s'", e->value);
  return TRUE;
}

/* Applies every key of `section` to link. */
static gboolean
parse_link_keys (ScnParser *p, const char *section, SimLinkConfig *link)
{
  const ScnEntry *range = NULL, *bound = NULL;
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, section) != 0)
      continue;
    gboolean ok = TRUE;
    switch (scn_key_index (link_keys, e->key)) {
    case K_LATENCY:
      range = e;
      ok = parse_latency_range (p, e, link);
      break;
    case K_LATENCY_MIN:
      bound = e;
      ok = scn_get_duration (p, e, 0, MAX_LATENCY_US, &link->latency_min_us);
      break;
    case K_LATENCY_MAX:
      bound = e;
      ok = scn_get_duration (p, e, 0, MAX_LATENCY_US, &link->latency_max_us);
      break;
    case K_DISTRIBUTION:
      if (strcmp (e->value, "uniform") == 0)
        link->dist = SIM_LATENCY_UNIFORM;
      else if (strcmp (e->value, "longtail") == 0)
        link->dist = SIM_LATENCY_LONGTAIL;
      else
        ok = scn_fail_entry (p, e, "expected uniform or longtail, got '%s'", e->value);
      break;
    case K_MEDIAN:
      ok = scn_get_duration (p, e, 0, MAX_LATENCY_US, &link->latency_median_us);
      break;
    case K_TAIL_ALPHA:
      ok = scn_get_double (p, e, 0.01, 100.0, &link->tail_alpha);
      break;
    case K_DROP:
      ok = scn_get_probability (p, e, &link->drop);
      break;
    case K_DUPLICATE:
      ok = scn_get_probability (p, e, &link->duplicate);
      break;
    case K_REORDER:
      ok = scn_get_probability (p, e, &link->reorder);
      break;
    case K_REORDER_WINDOW:
      ok = scn_get_duration (p, e, 0, MAX_LATENCY_US, &link->reorder_window_us);
      break;
    case K_BANDWIDTH:
      ok = parse_bandwidth (p, e, &link->bandwidth_bytes_per_s);
      break;
    case K_CORRUPT_MSG:
      ok = scn_get_probability (p, e, &link->corrupt);
      break;
    default:
      ok = scn_fail_unknown_key (p, e, link_keys);
    }
    if (!ok)
      return FALSE;
  }
  if (range != NULL && bound != NULL)
    return scn_fail_entry (p, bound, "conflicts with latency at line %u; "
                           "expected either latency = MIN..MAX or latency_min/latency_max",
                           range->line);
  if (link->latency_min_us > link->latency_max_us)
    return scn_fail (p, bound != NULL ? bound->line : scn_section_line (p, section), section,
                     bound != NULL ? bound->key : NULL,
                     "expected latency_min <= latency_max, got %" G_GINT64_FORMAT "us > %"
                     G_GINT64_FORMAT "us", link->latency_min_us, link->latency_max_us);
  /* Without a median of its own, a longtail link puts it a quarter of the
   * way into its range. */
  if (link->dist == SIM_LATENCY_LONGTAIL && scn_find (p, section, "median") == NULL)
    link->latency_median_us = link->latency_min_us
                              + (link->latency_max_us - link->latency_min_us) / 4;
  if (link->dist == SIM_LATENCY_LONGTAIL
      && (link->latency_median_us < link->latency_min_us
          || link->latency_median_us > link->latency_max_us)) {
    const ScnEntry *m = scn_find (p, section, "median");
    return scn_fail (p, m != NULL ? m->line : scn_section_line (p, section), section, "median",
                     "expected a median inside the latency range (%" G_GINT64_FORMAT "us.."
                     "%" G_GINT64_FORMAT "us) for a longtail distribution, got %"
                     G_GINT64_FORMAT "us", link->latency_min_us, link->latency_max_us,
                     link->latency_median_us);
  }
  return TRUE;
}

gboolean
scn_parse_network (ScnParser *p)
{
  return parse_link_keys (p, "network", &p->cfg->net);
}

gboolean
scn_is_link_section (const char *name)
{
  return g_str_has_prefix (name, "link") && (name[4] == ' ' || name[4] == '\t')
         && strstr (name, "->") != NULL;
}

/* One end of a link: an endpoint name or "*" (-1). */
static gboolean
parse_link_end (ScnParser *p, const ScnSection *s, const char *text, int *out)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  if (strcmp (t, "*") == 0) {
    *out = -1;
    return TRUE;
  }
  *out = scn_endpoint_parse (p, t, TRUE);
  if (*out >= 0)
    return TRUE;
  g_autoptr (GString) range = g_string_new (NULL);
  scn_endpoint_range (p, TRUE, range);
  return scn_fail (p, s->line, s->name, NULL, "expected an endpoint (%s) or *, got '%s'",
                   range->str, t);
}

static gboolean
add_override (ScnParser *p, const ScnSection *s, int from, int to, const SimLinkConfig *link)
{
  GArray *ovs = p->cfg->link_overrides;
  for (guint i = 0; i < ovs->len; i++) {
    const SimLinkOverride *o = &g_array_index (ovs, SimLinkOverride, i);
    if (o->from == from && o->to == to)
      return scn_fail (p, s->line, s->name, NULL,
                       "this direction is already set by an earlier [link] section; "
                       "expected each direction once");
  }
  SimLinkOverride o = { .from = from, .to = to, .link = *link };
  g_array_append_val (ovs, o);
  return TRUE;
}

gboolean
scn_parse_links (ScnParser *p)
{
  for (guint i = 0; i < p->sections->len; i++) {
    const ScnSection *s = p->sections->pdata[i];
    if (!scn_is_link_section (s->name))
      continue;
    const char *spec = s->name + 5;
    const char *both = strstr (spec, "<->");
    const char *arrow = both != NULL ? both : strstr (spec, "->");
    g_autofree char *left = g_strndup (spec, (gsize) (arrow - spec));
    const char *right = arrow + (both != NULL ? 3 : 2);
    if (strstr (right, "->") != NULL)
      return scn_fail (p, s->line, s->name, NULL,
                       "expected one arrow, as in [link n1->n2] or [link n1<->n2]");
    int from, to;
    if (!parse_link_end (p, s, left, &from) || !parse_link_end (p, s, right, &to))
      return FALSE;
    if (from == to && from >= 0)
      return scn_fail (p, s->line, s->name, NULL,
                       "expected two different endpoints; a node does not send to itself "
                       "over the network");
    SimLinkConfig link = p->cfg->net;
    if (!parse_link_keys (p, s->name, &link) || !add_override (p, s, from, to, &link))
      return FALSE;
    /* [link * <-> *] is one direction pattern: add it once. */
    if (both != NULL && !(from == to) && !add_override (p, s, to, from, &link))
      return FALSE;
  }
  return TRUE;
}
