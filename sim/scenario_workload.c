/* scenario_workload.c: the [workload] section: how many clients, which
 * operations over which keys, how fast, and how they time out and retry. */
#include "sim/scenario_private.h"

#include <string.h>

static const char *const workload_keys[] = {
  "clients", "ops", "keys", "mix", "rate", "think", "timeout", "attempt_timeout",
  "retries", "backoff_base", "backoff_cap", "idempotency", "start", "levels", "stop", NULL,
};

enum {
  K_CLIENTS, K_OPS, K_KEYS, K_MIX, K_RATE, K_THINK, K_TIMEOUT, K_ATTEMPT_TIMEOUT,
  K_RETRIES, K_BACKOFF_BASE, K_BACKOFF_CAP, K_IDEMPOTENCY, K_START,
  K_LEVELS, K_STOP,
};

static const char *const op_names[] = { "read", "write", "cas", "append", NULL };
/* Indexed by ProtoLevel. */
static const char *const level_names[] = { "default", "one", "quorum", "all", NULL };

#define MAX_WORKLOAD_US (SCN_DAY_US)

static gboolean
is_key_name (const char *s)
{
  if (s[0] == '\0' || strlen (s) >= sizeof ((SimWorkloadConfig *) NULL)->key_names[0])
    return FALSE;
  for (const char *c = s; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '-')
      return FALSE;
  return TRUE;
}

/* "3" (keys x, y, z) or a list of names "x y z" / "a,b". */
static gboolean
parse_keys (ScnParser *p, const ScnEntry *e)
{
  SimWorkloadConfig *w = &p->cfg->workload;
  int64_t n;
  if (scn_parse_int (e->value, &n)) {
    if (n < 1 || n > SIM_MAX_KEYS)
      return scn_fail_entry (p, e, "expected 1 to %d keys, got %s", SIM_MAX_KEYS, e->value);
    w->n_keys = (int) n;
    return TRUE;
  }
  g_auto (GStrv) words = g_strsplit_set (e->value, ", \t", -1);
  int count = 0;
  for (int i = 0; words[i] != NULL; i++) {
    if (words[i][0] == '\0')
      continue;
    if (!is_key_name (words[i]))
      return scn_fail_entry (p, e, "expected a number of keys or key names (letters, digits, "
                             "'_', '-'; at most 15 characters), got '%s'", words[i]);
    for (int j = 0; j < count; j++)
      if (strcmp (w->key_names[j], words[i]) == 0)
        return scn_fail_entry (p, e, "key '%s' listed twice", words[i]);
    if (count == SIM_MAX_KEYS)
      return scn_fail_entry (p, e, "expected at most %d keys", SIM_MAX_KEYS);
    g_strlcpy (w->key_names[count++], words[i], sizeof w->key_names[0]);
  }
  if (count == 0)
    return scn_fail_entry (p, e, "expected a number of keys or key names, got nothing");
  w->n_keys = count;
  return TRUE;
}

/* "read:2 write:1 cas:1": relative weights of the operations. */
static gboolean
parse_mix (ScnParser *p, const ScnEntry *e)
{
  SimWorkloadConfig *w = &p->cfg->workload;
  const ProtoVTable *vt = p->cfg->proto;
  double mix[PROTO_OP__COUNT] = { 0 };
  gboolean seen[PROTO_OP__COUNT] = { FALSE };
  double total = 0;
  g_auto (GStrv) words = g_strsplit_set (e->value, ", \t", -1);
  for (int i = 0; words[i] != NULL; i++) {
    if (words[i][0] == '\0')
      continue;
    char *colon = strchr (words[i], ':');
    if (colon == NULL)
      return scn_fail_entry (p, e, "expected OP:WEIGHT pairs such as read:2 write:1 cas:1, "
                             "got '%s'", words[i]);
    *colon = '\0';
    int op = scn_key_index (op_names, words[i]);
    if (op < 0)
      return scn_fail_entry (p, e, "expected an operation read, write, cas or append, got '%s'",
                             words[i]);
    if (!(vt->ops_supported & (1u << op)))
      return scn_fail_entry (p, e, "protocol %s does not support %s operations", vt->name,
                             words[i]);
    if (seen[op])
      return scn_fail_entry (p, e, "operation %s listed twice", words[i]);
    double weight;
    if (!scn_parse_double (colon + 1, &weight) || weight < 0 || weight > 1e6)
      return scn_fail_entry (p, e, "expected a weight from 0 to 1000000 after '%s:', got '%s'",
                             words[i], colon + 1);
    seen[op] = TRUE;
    mix[op] = weight;
    total += weight;
  }
  if (total <= 0)
    return scn_fail_entry (p, e, "expected at least one operation with a positive weight, "
                           "such as read:1 write:1");
  memcpy (w->mix, mix, sizeof mix);
  return TRUE;
}

/* "read:one|quorum|all write:quorum": the consistency levels of each
 * operation kind; an operation draws one of its kind's levels uniformly. */
static gboolean
parse_levels (ScnParser *p, const ScnEntry *e)
{
  SimWorkloadConfig *w = &p->cfg->workload;
  const ProtoVTable *vt = p->cfg->proto;
  unsigned levels[PROTO_OP__COUNT] = { 0 };
  if (!vt->has_levels)
    return scn_fail_entry (p, e, "protocol %s does not support per-operation consistency "
                           "levels (quorum does); expected no levels key", vt->name);
  g_auto (GStrv) words = g_strsplit_set (e->value, ", \t", -1);
  gboolean any = FALSE;
  for (int i = 0; words[i] != NULL; i++) {
    if (words[i][0] == '\0')
      continue;
    char *colon = strchr (words[i], ':');
    if (colon == NULL)
      return scn_fail_entry (p, e, "expected OP:LEVEL pairs such as read:one|quorum|all "
                             "write:quorum, got '%s'", words[i]);
    *colon = '\0';
    int op = scn_key_index (op_names, words[i]);
    if (op < 0)
      return scn_fail_entry (p, e, "expected an operation read, write, cas or append, got '%s'",
                             words[i]);
    if (!(vt->ops_supported & (1u << op)))
      return scn_fail_entry (p, e, "protocol %s does not support %s operations", vt->name,
                             words[i]);
    if (levels[op] != 0)
      return scn_fail_entry (p, e, "operation %s listed twice", words[i]);
    g_auto (GStrv) names = g_strsplit (colon + 1, "|", -1);
    if (names[0] == NULL) /* "read:" alone left reads at the knobs' level */
      return scn_fail_entry (p, e, "expected a level one, quorum or all after '%s:', got ''",
                             words[i]);
    for (int j = 0; names[j] != NULL; j++) {
      int level = scn_key_index (level_names, names[j]);
      if (level <= PROTO_LEVEL_DEFAULT)
        return scn_fail_entry (p, e, "expected a level one, quorum or all after '%s:', got '%s'",
                               words[i], names[j]);
      if (levels[op] & (1u << level))
        return scn_fail_entry (p, e, "level %s listed twice for %s", names[j], words[i]);
      levels[op] |= 1u << level;
    }
    any = TRUE;
  }
  if (!any)
    return scn_fail_entry (p, e, "expected OP:LEVEL pairs such as read:one write:quorum, "
                           "got nothing");
  memcpy (w->levels, levels, sizeof levels);
  return TRUE;
}

gboolean
scn_parse_workload (ScnParser *p)
{
  SimWorkloadConfig *w = &p->cfg->workload;
  const ProtoVTable *vt = p->cfg->proto;
  const ScnEntry *rate = NULL, *think = NULL, *mix = NULL;
  for (guint i = 0; i < p->entries->len; i++) {
    const ScnEntry *e = p->entries->pdata[i];
    if (strcmp (e->section, "workload") != 0)
      continue;
    int64_t v;
    gboolean ok = TRUE;
    switch (scn_key_index (workload_keys, e->key)) {
    case K_CLIENTS: {
      int hi = MIN (SIM_MAX_CLIENTS, PROTO_MAX_ENDPOINTS - p->cfg->n_nodes);
      ok = scn_get_int (p, e, 0, hi, &v);
      w->n_clients = (int) v;
      break;
    }
    case K_OPS:
      ok = scn_get_int (p, e, 0, G_MAXINT32, &w->ops);
      break;
    case K_KEYS:
      ok = parse_keys (p, e);
      break;
    case K_MIX:
      mix = e;
      ok = parse_mix (p, e);
      break;
    case K_RATE:
      rate = e;
      ok = scn_get_rate (p, e, &w->rate_per_s);
      break;
    case K_THINK:
      think = e;
      ok = scn_get_duration (p, e, 0, MAX_WORKLOAD_US, &w->think_us);
      break;
    case K_TIMEOUT:
      ok = scn_get_duration (p, e, 1, MAX_WORKLOAD_US, &w->op_timeout_us);
      break;
    case K_ATTEMPT_TIMEOUT:
      ok = scn_get_duration (p, e, 1, MAX_WORKLOAD_US, &w->attempt_timeout_us);
      break;
    case K_RETRIES:
      ok = scn_get_int (p, e, 0, 1000, &v);
      w->max_retries = (int) v;
      break;
    case K_BACKOFF_BASE:
      ok = scn_get_duration (p, e, 0, MAX_WORKLOAD_US, &w->backoff_base_us);
      break;
    case K_BACKOFF_CAP:
      ok = scn_get_duration (p, e, 0, MAX_WORKLOAD_US, &w->backoff_cap_us);
      break;
    case K_IDEMPOTENCY:
      ok = scn_get_bool (p, e, &w->idempotency);
      break;
    case K_START:
      ok = scn_get_duration (p, e, 0, MAX_WORKLOAD_US, &w->start_us);
      break;
    case K_LEVELS:
      ok = parse_levels (p, e);
      break;
    case K_STOP:
      ok = scn_get_duration (p, e, 1, MAX_WORKLOAD_US, &w->stop_us);
      break;
    default:
      ok = scn_fail_unknown_key (p, e, workload_keys);
    }
    if (!ok)
      return FALSE;
  }
  if (rate != NULL && think != NULL)
    return scn_fail_entry (p, rate->line > think->line ? rate : think,
                           "conflicts with %s at line %u; expected either rate (a target "
                           "total rate) or think (a pause per client)",
                           rate->line > think->line ? think->key : rate->key,
                           MIN (rate->line, think->line));
  if (w->backoff_cap_us < w->backoff_base_us) {
    const ScnEntry *e = scn_find (p, "workload", "backoff_cap");
    if (e == NULL)
      e = scn_find (p, "workload", "backoff_base");
    return scn_fail_entry (p, e, "expected backoff_cap >= backoff_base, got %" G_GINT64_FORMAT
                           "us < %" G_GINT64_FORMAT "us", w->backoff_cap_us,
                           w->backoff_base_us);
  }
  if (w->stop_us > 0 && w->stop_us <= w->start_us)
    return scn_fail_entry (p, scn_find (p, "workload", "stop"), "expected stop after start (%"
                           G_GINT64_FORMAT "us), got %" G_GINT64_FORMAT "us", w->start_us,
                           w->stop_us);
  if (w->n_clients > 0 && vt->ops_supported == 0) {
    const ScnEntry *e = scn_find (p, "workload", "clients");
    return scn_fail_entry (p, e, "protocol %s has no client operations; expected clients = 0",
                           vt->name);
  }
  /* The default mix (read and write) must fit the protocol too. */
  if (mix == NULL && w->n_clients > 0) {
    for (int op = 0; op < PROTO_OP__COUNT; op++)
      if (w->mix[op] > 0 && !(vt->ops_supported & (1u << op)))
        w->mix[op] = 0;
  }
  return TRUE;
}
