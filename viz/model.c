/* model.c: building a VizModel and deriving its logical clocks. */
#include "viz/model.h"

#include <string.h>

static void
process_clear (gpointer p)
{
  g_free (((VizProcess *) p)->name);
}

static void
event_clear (gpointer p)
{
  VizEvent *e = p;
  g_free (e->label);
  g_free (e->role);
}

static void
message_clear (gpointer p)
{
  g_free (((VizMessage *) p)->label);
}

VizModel *
viz_model_new (const char *title)
{
  VizModel *m = g_new0 (VizModel, 1);
  m->title = g_strdup (title);
  m->processes = g_array_new (FALSE, TRUE, sizeof (VizProcess));
  g_array_set_clear_func (m->processes, process_clear);
  m->events = g_array_new (FALSE, TRUE, sizeof (VizEvent));
  g_array_set_clear_func (m->events, event_clear);
  m->messages = g_array_new (FALSE, TRUE, sizeof (VizMessage));
  g_array_set_clear_func (m->messages, message_clear);
  return m;
}

void
viz_model_free (VizModel *m)
{
  if (m == NULL)
    return;
  g_free (m->title);
  g_array_unref (m->processes);
  g_array_unref (m->events);
  g_array_unref (m->messages);
  g_free (m);
}

int
viz_model_add_process (VizModel *m, const char *name, VizProcessKind kind)
{
  VizProcess p = { g_strdup (name), kind };
  g_array_append_val (m->processes, p);
  return (int) m->processes->len - 1;
}

int
viz_model_find_process (const VizModel *m, const char *name)
{
  for (guint i = 0; i < m->processes->len; i++)
    if (strcmp (viz_model_process (m, i)->name, name) == 0)
      return (int) i;
  return -1;
}

int
viz_model_add_event (VizModel *m, int process, VizEventKind kind,
                     int64_t time_us, const char *label)
{
  g_assert (process >= -1 && process < (int) m->processes->len);
  VizEvent e = {
    .process = process,
    .kind = kind,
    .time_us = time_us,
    .message = -1,
    .label = g_strdup (label),
  };
  g_array_append_val (m->events, e);
  return (int) m->events->len - 1;
}

void
viz_model_set_role (VizModel *m, int ev, const char *role)
{
  VizEvent *e = viz_model_event (m, (guint) ev);
  g_free (e->role);
  e->role = g_strdup (role);
}

int
viz_model_add_message (VizModel *m, int send, int from, int to,
                       const char *label, gboolean is_duplicate)
{
  g_assert (send >= 0 && send < (int) m->events->len);
  VizMessage msg = {
    .send = send,
    .recv = -1,
    .drop = -1,
    .from = from,
    .to = to,
    .is_duplicate = is_duplicate,
    .label = g_strdup (label),
  };
  g_array_append_val (m->messages, msg);
  int id = (int) m->messages->len - 1;
  VizEvent *s = viz_model_event (m, (guint) send);
  if (s->message < 0)
    s->message = id; /* a duplicate shares the original's send */
  return id;
}

void
viz_model_end_message (VizModel *m, int msg, int ev)
{
  VizMessage *mm = viz_model_message (m, (guint) msg);
  VizEvent *e = viz_model_event (m, (guint) ev);
  g_assert (ev > mm->send);
  if (e->kind == VIZ_EV_DROP)
    mm->drop = ev;
  else
    mm->recv = ev;
  e->message = msg;
}

void
viz_model_compute_clocks (VizModel *m)
{
  guint np = m->processes->len;
  g_autofree int64_t *last = g_new0 (int64_t, np + 1);
  int64_t max_seen = 0;
  for (guint i = 0; i < m->events->len; i++) {
    VizEvent *e = viz_model_event (m, i);
    if (e->process < 0) {
      e->lamport = max_seen;
      continue;
    }
    int64_t l = last[e->process];
    if ((e->kind == VIZ_EV_RECV || e->kind == VIZ_EV_DROP) && e->message >= 0) {
      const VizMessage *msg = viz_model_message (m, (guint) e->message);
      l = MAX (l, viz_model_event (m, (guint) msg->send)->lamport);
    }
    e->lamport = l + 1;
    last[e->process] = e->lamport;
    max_seen = MAX (max_seen, e->lamport);
  }
}

uint32_t *
viz_model_vector_clocks (const VizModel *m, const gboolean *included)
{
  guint np = m->processes->len, ne = m->events->len;
  uint32_t *vc = g_new0 (uint32_t, (gsize) ne * np + np);
  g_autofree uint32_t *cur = g_new0 (uint32_t, (gsize) np * np + 1);
  for (guint i = 0; i < ne; i++) {
    const VizEvent *e = viz_model_event (m, i);
    if (e->process < 0 || (included != NULL && !included[i]))
      continue;
    uint32_t *mine = cur + (gsize) e->process * np;
    if (e->kind == VIZ_EV_RECV && e->message >= 0) {
      int s = viz_model_message (m, (guint) e->message)->send;
      if (included == NULL || included[s]) {
        const uint32_t *theirs = vc + (gsize) s * np;
        for (guint k = 0; k < np; k++)
          mine[k] = MAX (mine[k], theirs[k]);
      }
    }
    mine[e->process]++;
    memcpy (vc + (gsize) i * np, mine, np * sizeof (uint32_t));
  }
  return vc;
}

const char *
viz_event_kind_name (VizEventKind k)
{
  static const char *const names[VIZ_EV__COUNT] = {
    [VIZ_EV_SEND] = "send",         [VIZ_EV_RECV] = "recv",
    [VIZ_EV_DROP] = "drop",         [VIZ_EV_NOTE] = "note",
    [VIZ_EV_TIMEOUT] = "timeout",   [VIZ_EV_CRASH] = "crash",
    [VIZ_EV_RESTART] = "restart",   [VIZ_EV_PAUSE] = "pause",
    [VIZ_EV_RESUME] = "resume",     [VIZ_EV_INVOKE] = "invoke",
    [VIZ_EV_COMPLETE] = "complete", [VIZ_EV_PARTITION] = "partition",
    [VIZ_EV_HEAL] = "heal",
  };
  g_assert ((unsigned) k < VIZ_EV__COUNT);
  return names[k];
}
