/* deliveries.c: pinned message deliveries.
 *
 * A run's message deliveries are its main source of nondeterminism: the
 * network draws each message's loss, latency and duplication from the run
 * seed.  With a [deliveries] section the rule is fixed instead: every
 * message arrives after its link's minimum latency, in the order it was
 * sent, never lost or duplicated, except the sends the section pins.  The
 * network still makes its draws, so everything else that draws from its
 * stream (message corruption) stays the same whatever is pinned.  The
 * shrinker records the fates that leave the rule in a failing run, pins
 * them all (the same run again), then removes pins while the run still
 * fails the same way: what is left are the deliveries that matter. */
#include "sim/world_internal.h"

void
sim_world_record_deliveries (SimWorld *w, GArray *log)
{
  w->delivery_log = log;
}

void
sim_deliveries_route (SimWorld *w, int from, int to, SimNetFate *fate)
{
  uint64_t send = ++w->n_sends;
  const SimConfig *cfg = w->cfg;
  if (!cfg->has_delivery_rule && w->delivery_log == NULL)
    return;
  const SimLinkConfig *link = sim_net_link (&w->net, from, to);
  int64_t now = w->stats.now_us;
  if (cfg->has_delivery_rule) {
    const GArray *pins = cfg->deliveries;
    while (w->next_pin < pins->len
           && g_array_index (pins, SimDeliveryPin, w->next_pin).send < send)
      w->next_pin++;
    const SimDeliveryPin *pin = w->next_pin < pins->len
                                    ? &g_array_index (pins, SimDeliveryPin, w->next_pin) : NULL;
    if (pin != NULL && pin->send == send) {
      fate->is_lost = pin->is_lost;
      fate->is_duplicated = pin->is_duplicated;
      fate->arrive_us[0] = now + pin->after_us[0];
      fate->arrive_us[1] = now + pin->after_us[1];
    } else {
      fate->is_lost = FALSE;
      fate->is_duplicated = FALSE;
      fate->arrive_us[0] = fate->arrive_us[1] = now + link->latency_min_us;
    }
  }
  if (w->delivery_log == NULL)
    return;
  SimDeliveryPin d = { .send = send, .is_lost = fate->is_lost,
                       .is_duplicated = fate->is_duplicated };
  if (!d.is_lost) {
    d.after_us[0] = fate->arrive_us[0] - now;
    if (d.is_duplicated)
      d.after_us[1] = fate->arrive_us[1] - now;
  }
  if (d.is_lost || d.is_duplicated || d.after_us[0] != link->latency_min_us)
    g_array_append_val (w->delivery_log, d);
}
