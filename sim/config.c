/* config.c: SimConfig defaults, copy and free. */
#include "sim/config.h"

#include <string.h>

SimConfig *
sim_config_new (const ProtoVTable *protocol)
{
  SimConfig *cfg = g_new0 (SimConfig, 1);
  cfg->name = g_strdup ("unnamed");
  cfg->description = g_strdup ("");
  cfg->seed = 1;
  cfg->duration_us = 10 * G_USEC_PER_SEC;
  cfg->expect = SIM_EXPECT_ANY;
  cfg->proto = protocol != NULL ? protocol : proto_find ("null");
  g_assert (cfg->proto != NULL);
  cfg->proto_config = g_malloc0 (MAX (cfg->proto->config_size, 1));
  proto_config_defaults (cfg->proto, cfg->proto_config);
  cfg->n_nodes = 3;

  cfg->net.dist = SIM_LATENCY_UNIFORM;
  cfg->net.latency_min_us = 1000;
  cfg->net.latency_max_us = 5000;
  cfg->net.latency_median_us = 2000;
  cfg->net.tail_alpha = 1.5;
  cfg->net.reorder_window_us = 10000;
  cfg->link_overrides = g_array_new (FALSE, TRUE, sizeof (SimLinkOverride));

  SimWorkloadConfig *w = &cfg->workload;
  w->n_clients = 0;
  w->n_keys = 1;
  for (int i = 0; i < SIM_MAX_KEYS; i++) {
    static const char letters[] = "xyzwuvpqrs";
    if (i < (int) sizeof letters - 1)
      g_snprintf (w->key_names[i], sizeof w->key_names[i], "%c", letters[i]);
    else
      g_snprintf (w->key_names[i], sizeof w->key_names[i], "k%d", i);
  }
  w->mix[PROTO_OP_READ] = 1.0;
  w->mix[PROTO_OP_WRITE] = 1.0;
  w->think_us = 10000;
  w->op_timeout_us = G_USEC_PER_SEC;
  w->attempt_timeout_us = 200000;
  w->max_retries = 3;
  w->backoff_base_us = 10000;
  w->backoff_cap_us = 200000;
  w->idempotency = TRUE;

  cfg->faults = g_array_new (FALSE, TRUE, sizeof (SimFault));
  cfg->random_faults.crash_down_us = 500000;
  cfg->random_faults.partition_us = 500000;
  cfg->random_faults.pause_us = 300000;
  cfg->random_faults.skew_max_us = 100000;
  cfg->random_faults.byzantine_max = 1;
  cfg->check_models = g_new0 (char *, 1);

  cfg->explore.strategy = SIM_EXPLORE_BFS;
  cfg->explore.depth = 20;
  cfg->explore.max_states = 10000000;
  cfg->explore.ops = 1;
  cfg->explore.walks = 1000;
  cfg->explore.fingerprint_bits = 64;
  cfg->explore.deadlock = TRUE;
  cfg->explore.por = TRUE;
  cfg->replay = g_array_new (FALSE, TRUE, sizeof (SimPinnedChoice));
  cfg->deliveries = g_array_new (FALSE, TRUE, sizeof (SimDeliveryPin));
  return cfg;
}

SimConfig *
sim_config_copy (const SimConfig *cfg)
{
  SimConfig *c = g_new (SimConfig, 1);
  *c = *cfg;
  c->path = g_strdup (cfg->path);
  c->name = g_strdup (cfg->name);
  c->description = g_strdup (cfg->description);
  c->expect_what = g_strdup (cfg->expect_what);
  c->proto_config = g_memdup2 (cfg->proto_config, MAX (cfg->proto->config_size, 1));
  c->link_overrides = g_array_copy (cfg->link_overrides);
  c->faults = g_array_copy (cfg->faults);
  c->check_models = g_strdupv (cfg->check_models);
  c->replay = g_array_copy (cfg->replay);
  c->deliveries = g_array_copy (cfg->deliveries);
  return c;
}

void
sim_config_free (SimConfig *cfg)
{
  if (cfg == NULL)
    return;
  g_free (cfg->path);
  g_free (cfg->name);
  g_free (cfg->description);
  g_free (cfg->expect_what);
  g_free (cfg->proto_config);
  g_array_unref (cfg->link_overrides);
  g_array_unref (cfg->faults);
  g_strfreev (cfg->check_models);
  g_array_unref (cfg->replay);
  g_array_unref (cfg->deliveries);
  g_free (cfg);
}

void
sim_endpoint_name (const SimConfig *cfg, int endpoint, GString *out)
{
  if (endpoint < cfg->n_nodes)
    g_string_append_printf (out, "n%d", endpoint + 1);
  else
    g_string_append_printf (out, "c%d", endpoint - cfg->n_nodes + 1);
}
