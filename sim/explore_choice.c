/* explore_choice.c: the explore model of a scenario, choices in words, and
 * replaying a pinned list of choices ([replay]). */
#include "sim/explore.h"
#include "sim/scenario.h"

#include <stdlib.h>
#include <string.h>

void
sim_explore_config_prepare (SimConfig *cfg)
{
  SimLinkConfig *net = &cfg->net;
  net->dist = SIM_LATENCY_UNIFORM;
  net->latency_min_us = net->latency_max_us = net->latency_median_us = 0;
  net->drop = net->duplicate = net->reorder = 0;
  net->bandwidth_bytes_per_s = 0;
  g_array_set_size (cfg->link_overrides, 0);
  memset (&cfg->random_faults, 0, sizeof cfg->random_faults);
  cfg->storage.torn_writes = 0; /* random; the explorer has no such choice */
  cfg->duration_us = INT64_MAX / 4;
  cfg->workload.ops = 0;
}

/* ---- Choices in words -----------------------------------------------------*/

static const char *const kind_words[] = {
  [SIM_CHOICE_START] = "start",
  [SIM_CHOICE_DELIVER] = "deliver",
  [SIM_CHOICE_TIMEOUT] = "timeout",
  [SIM_CHOICE_FAULT] = "fault",
  [SIM_CHOICE_RANDOM_FAULT] = NULL,
  [SIM_CHOICE_FAULT_END] = NULL,
  [SIM_CHOICE_INVOKE] = "invoke",
  [SIM_CHOICE_ATTEMPT_TIMEOUT] = "attempt-timeout",
  [SIM_CHOICE_RETRY] = "retry",
  [SIM_CHOICE_OP_TIMEOUT] = "op-timeout",
  [SIM_CHOICE_DROP] = "drop",
  [SIM_CHOICE_INJECT] = NULL,
  [SIM_CHOICE_DUPLICATE] = "duplicate",
  [SIM_CHOICE_SYNC_DONE] = "sync-done",
};

void
sim_pinned_of_choice (const SimChoice *c, SimPinnedChoice *out)
{
  memset (out, 0, sizeof *out);
  out->kind = c->kind;
  out->endpoint = c->endpoint;
  out->id = c->id;
  if (c->kind == SIM_CHOICE_INJECT) {
    g_assert (c->fault != NULL);
    out->id = (uint64_t) c->fault->kind;
    out->endpoint = c->fault->node;
  }
}

void
sim_pinned_format (const SimConfig *cfg, const SimPinnedChoice *c, GString *out)
{
  switch ((SimChoiceKind) c->kind) {
  case SIM_CHOICE_INJECT:
    g_string_append (out, c->id == SIM_FAULT_CRASH ? "crash " : "restart ");
    sim_endpoint_name (cfg, c->endpoint, out);
    return;
  case SIM_CHOICE_DELIVER:
  case SIM_CHOICE_DROP:
  case SIM_CHOICE_DUPLICATE:
    g_string_append_printf (out, "%s m%" G_GUINT64_FORMAT " to ", kind_words[c->kind], c->id);
    sim_endpoint_name (cfg, c->endpoint, out);
    return;
  case SIM_CHOICE_FAULT:
    g_string_append_printf (out, "fault #%" G_GUINT64_FORMAT, c->id + 1);
    return;
  case SIM_CHOICE_START:
  case SIM_CHOICE_TIMEOUT:
    g_string_append_printf (out, "%s ", kind_words[c->kind]);
    sim_endpoint_name (cfg, c->endpoint, out);
    return;
  case SIM_CHOICE_INVOKE:
  case SIM_CHOICE_ATTEMPT_TIMEOUT:
  case SIM_CHOICE_RETRY:
  case SIM_CHOICE_OP_TIMEOUT:
  case SIM_CHOICE_SYNC_DONE:
    g_string_append_printf (out, "%s ", kind_words[c->kind]);
    sim_endpoint_name (cfg, c->endpoint, out);
    g_string_append_printf (out, " #%" G_GUINT64_FORMAT, c->id);
    return;
  case SIM_CHOICE_RANDOM_FAULT:
  case SIM_CHOICE_FAULT_END:
    break;
  }
  g_assert_not_reached ();
}

/* "n2" or "c1" (clients only when allowed): the endpoint, or -1. */
static int
endpoint_parse (const SimConfig *cfg, const char *word, gboolean allow_clients)
{
  if ((word[0] != 'n' && word[0] != 'c') || word[1] < '1' || word[1] > '9')
    return -1;
  char *end = NULL;
  long k = strtol (word + 1, &end, 10);
  if (*end != '\0' || k < 1)
    return -1;
  if (word[0] == 'n')
    return k <= cfg->n_nodes ? (int) k - 1 : -1;
  if (!allow_clients || k > cfg->workload.n_clients)
    return -1;
  return cfg->n_nodes + (int) k - 1;
}

/* "m17" or "#17" (prefix given): the number. */
static gboolean
number_parse (const char *word, char prefix, uint64_t *out)
{
  if (word[0] != prefix || word[1] < '0' || word[1] > '9')
    return FALSE;
  return g_ascii_string_to_unsigned (word + 1, 10, 0, G_MAXUINT64, out, NULL);
}

gboolean
sim_pinned_parse (const SimConfig *cfg, const char *text, SimPinnedChoice *out,
                  GString *error)
{
  memset (out, 0, sizeof *out);
  out->endpoint = -1;
  g_auto (GStrv) words = g_strsplit_set (text, " \t", -1);
  GPtrArray *w = g_ptr_array_new ();
  for (char **p = words; *p != NULL; p++)
    if (**p != '\0')
      g_ptr_array_add (w, *p);
  guint n = w->len;
  const char *verb = n > 0 ? w->pdata[0] : "";
  const char *arg1 = n > 1 ? w->pdata[1] : "";
  const char *arg2 = n > 2 ? w->pdata[2] : "";
  const char *arg3 = n > 3 ? w->pdata[3] : "";
  g_ptr_array_free (w, TRUE);
  int kind = -1;
  for (int k = 0; k < (int) G_N_ELEMENTS (kind_words); k++)
    if (kind_words[k] != NULL && strcmp (kind_words[k], verb) == 0)
      kind = k;
  gboolean is_crash = strcmp (verb, "crash") == 0, is_restart = strcmp (verb, "restart") == 0;
  if (kind < 0 && !is_crash && !is_restart) {
    g_string_assign (error, "expected a choice: start, deliver, drop, duplicate, timeout, "
                            "invoke, attempt-timeout, retry, op-timeout, fault, sync-done, "
                            "crash or restart");
    return FALSE;
  }
  if (is_crash || is_restart) {
    out->kind = SIM_CHOICE_INJECT;
    out->id = is_crash ? SIM_FAULT_CRASH : SIM_FAULT_RESTART;
    out->endpoint = endpoint_parse (cfg, arg1, FALSE);
    if (out->endpoint < 0 || n != 2) {
      g_string_printf (error, "expected '%s nK' with a node n1..n%d", verb, cfg->n_nodes);
      return FALSE;
    }
    return TRUE;
  }
  out->kind = kind;
  switch ((SimChoiceKind) kind) {
  case SIM_CHOICE_DELIVER:
  case SIM_CHOICE_DROP:
  case SIM_CHOICE_DUPLICATE:
    out->endpoint = endpoint_parse (cfg, arg3, TRUE);
    if (n != 4 || !number_parse (arg1, 'm', &out->id) || strcmp (arg2, "to") != 0
        || out->endpoint < 0) {
      g_string_printf (error, "expected '%s mID to ENDPOINT', such as '%s m3 to n2'", verb, verb);
      return FALSE;
    }
    return TRUE;
  case SIM_CHOICE_FAULT:
    if (n != 2 || !number_parse (arg1, '#', &out->id) || out->id < 1
        || out->id > cfg->faults->len) {
      g_string_printf (error, "expected 'fault #K' with K from 1 to %u, the [faults] entry",
                       cfg->faults->len);
      return FALSE;
    }
    out->id--;
    return TRUE;
  case SIM_CHOICE_START:
  case SIM_CHOICE_TIMEOUT:
    out->endpoint = endpoint_parse (cfg, arg1, kind == SIM_CHOICE_TIMEOUT);
    if (n != 2 || out->endpoint < 0) {
      g_string_printf (error, "expected '%s ENDPOINT', such as '%s n1'", verb, verb);
      return FALSE;
    }
    return TRUE;
  case SIM_CHOICE_SYNC_DONE:
    out->endpoint = endpoint_parse (cfg, arg1, FALSE);
    if (n != 3 || out->endpoint < 0 || !number_parse (arg2, '#', &out->id)) {
      g_string_printf (error, "expected 'sync-done nK #ID', such as 'sync-done n1 #1'");
      return FALSE;
    }
    return TRUE;
  default:
    out->endpoint = endpoint_parse (cfg, arg1, TRUE);
    if (n != 3 || out->endpoint < cfg->n_nodes || !number_parse (arg2, '#', &out->id)) {
      g_string_printf (error, "expected '%s cK #ID', such as '%s c1 #1'", verb, verb);
      return FALSE;
    }
    return TRUE;
  }
}

/* ---- Replay ---------------------------------------------------------------*/

gboolean
sim_world_replay (SimWorld *w, GError **error)
{
  const SimConfig *cfg = sim_world_config (w);
  for (guint i = 0; i < cfg->replay->len; i++) {
    if (sim_world_invariant_failure (w) != NULL)
      return TRUE;
    const SimPinnedChoice *p = &g_array_index (cfg->replay, SimPinnedChoice, i);
    SimFault fault = { .kind = (SimFaultKind) p->id, .node = p->endpoint, .line = p->line };
    SimChoice c = {
      .kind = (SimChoiceKind) p->kind,
      .endpoint = p->endpoint,
      .id = p->id,
      .fault = p->kind == SIM_CHOICE_INJECT ? &fault : NULL,
    };
    /* A timeout is named by its endpoint alone: which queued event stands
     * for the endpoint's deadline is the world's business. */
    if (c.kind == SIM_CHOICE_TIMEOUT) {
      g_autoptr (GArray) enabled = g_array_new (FALSE, FALSE, sizeof (SimChoice));
      sim_world_enabled (w, enabled);
      for (guint k = 0; k < enabled->len; k++) {
        const SimChoice *e = &g_array_index (enabled, SimChoice, k);
        if (e->kind == SIM_CHOICE_TIMEOUT && e->endpoint == c.endpoint)
          c.id = e->id;
      }
    }
    if (!sim_world_apply (w, &c)) {
      g_autoptr (GString) words = g_string_new (NULL);
      sim_pinned_format (cfg, p, words);
      g_set_error (error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_PARSE,
                   "%s:%u: [replay] step %u: '%s' is not enabled at this point of the run "
                   "(the scenario changed since the path was written?)",
                   cfg->path, p->line, i + 1, words->str);
      return FALSE;
    }
  }
  return TRUE;
}
