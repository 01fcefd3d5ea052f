/* world_limits.c: the guards of a run against work without end: an event
 * count and a memory cap (see world.h, "Limits"). */
#include "sim/world_internal.h"

/* How often (in events) all of the memory is counted (it walks the keys
 * and the nodes); the big arrays are counted after every event. */
#define SIM_MEMORY_CHECK_EVERY 64u

void
sim_world_set_limits (SimWorld *w, uint64_t max_events, uint64_t max_memory_bytes)
{
  w->max_events = max_events;
  w->max_memory_bytes = max_memory_bytes;
}

const char *
sim_world_limit_reason (const SimWorld *w)
{
  return w->limit != NULL ? w->limit->str : NULL;
}

/* The big arrays: the queue, the message slots, the history. */
static uint64_t
memory_bytes_fast (const SimWorld *w)
{
  const SimNet *net = &w->net;
  uint64_t bytes = (uint64_t) w->queue.cap * sizeof (SimEvent);
  bytes += (uint64_t) net->cap_slots * (sizeof (SimMsg) + sizeof (guint)
                                        + (uint64_t) net->vc_len * sizeof (uint64_t));
  const ChkHistory *h = w->history;
  bytes += (uint64_t) chk_history_len (h) * sizeof (ChkEvent);
  bytes += (uint64_t) h->strings->len * 64;
  return bytes;
}

uint64_t
sim_world_memory_bytes (const SimWorld *w)
{
  uint64_t bytes = memory_bytes_fast (w);
  for (int k = 0; k < w->cfg->workload.n_keys; k++)
    bytes += (uint64_t) w->written[k]->len * sizeof (int64_t);
  for (int n = 0; n < w->n_nodes; n++)
    bytes += (uint64_t) w->nodes[n].held->len * g_array_get_element_size (w->nodes[n].held);
  return bytes;
}

static void
stop (SimWorld *w, const char *what)
{
  w->limit = g_string_new (NULL);
  g_string_append_printf (w->limit, "%s at virtual time %" G_GINT64_FORMAT "us, after %"
                          G_GUINT64_FORMAT " events (%" G_GUINT64_FORMAT " messages in "
                          "flight, %u history events)", what, w->stats.now_us,
                          w->stats.events, (uint64_t) w->net.n_in_flight,
                          chk_history_len (w->history));
  w->is_over = TRUE;
}

gboolean
sim_world_within_limits (SimWorld *w)
{
  if (w->limit != NULL)
    return FALSE;
  if (w->max_events > 0 && w->stats.events >= w->max_events) {
    g_autofree char *what = g_strdup_printf ("the event limit (%" G_GUINT64_FORMAT
                                             " events) was reached", w->max_events);
    stop (w, what);
    return FALSE;
  }
  /* The big arrays after every event (one event may send a million
   * messages), everything every SIM_MEMORY_CHECK_EVERY events. */
  if (w->max_memory_bytes > 0
      && (w->stats.events % SIM_MEMORY_CHECK_EVERY == 0
          || memory_bytes_fast (w) > w->max_memory_bytes)) {
    uint64_t bytes = sim_world_memory_bytes (w);
    if (bytes > w->max_memory_bytes) {
      g_autofree char *what = g_strdup_printf (
          "the memory limit (%" G_GUINT64_FORMAT " bytes) was reached: the run holds %"
          G_GUINT64_FORMAT " bytes", w->max_memory_bytes, bytes);
      stop (w, what);
      return FALSE;
    }
  }
  return TRUE;
}
