/* queue.c: a binary min-heap of events keyed by (time_us, seq). */
#include "sim/queue.h"

#include <string.h>

void
sim_queue_init (SimQueue *q)
{
  memset (q, 0, sizeof *q);
}

void
sim_queue_clear (SimQueue *q)
{
  g_free (q->items);
  memset (q, 0, sizeof *q);
}

void
sim_queue_copy (SimQueue *dst, const SimQueue *src)
{
  *dst = *src;
  dst->items = src->cap > 0 ? g_memdup2 (src->items, src->cap * sizeof (SimEvent)) : NULL;
}

static void
sift_up (SimEvent *items, guint i, SimEvent ev)
{
  while (i > 0) {
    guint parent = (i - 1) / 2;
    if (!sim_event_before (&ev, &items[parent]))
      break;
    items[i] = items[parent];
    i = parent;
  }
  items[i] = ev;
}

static void
sift_down (SimEvent *items, guint len, guint i, SimEvent ev)
{
  for (;;) {
    guint child = 2 * i + 1;
    if (child >= len)
      break;
    if (child + 1 < len && sim_event_before (&items[child + 1], &items[child]))
      child++;
    if (!sim_event_before (&items[child], &ev))
      break;
    items[i] = items[child];
    i = child;
  }
  items[i] = ev;
}

uint64_t
sim_queue_push (SimQueue *q, int64_t time_us, uint32_t kind, int32_t a, uint64_t b)
{
  if (q->len == q->cap) {
    q->cap = q->cap > 0 ? q->cap * 2 : 64;
    q->items = g_renew (SimEvent, q->items, q->cap);
  }
  SimEvent ev = { .time_us = time_us, .seq = q->next_seq++, .kind = kind, .a = a, .b = b };
  sift_up (q->items, q->len++, ev);
  return ev.seq;
}

/* Pop moves the hole left at the root down to a leaf along the smaller
 * children (one comparison per level), then sifts the last element up from
 * there: the last element of a heap is usually large, so this costs about
 * half the comparisons of a plain sift-down. */
gboolean
sim_queue_pop (SimQueue *q, SimEvent *ev)
{
  if (q->len == 0)
    return FALSE;
  SimEvent *items = q->items;
  *ev = items[0];
  guint len = --q->len;
  if (len == 0)
    return TRUE;
  guint i = 0;
  for (;;) {
    guint child = 2 * i + 1;
    if (child >= len)
      break;
    if (child + 1 < len)
      child += sim_event_before (&items[child + 1], &items[child]);
    items[i] = items[child];
    i = child;
  }
  sift_up (items, i, items[len]);
  return TRUE;
}

void
sim_queue_remove_nth (SimQueue *q, guint i)
{
  g_assert (i < q->len);
  q->len--;
  if (i == q->len)
    return;
  SimEvent last = q->items[q->len];
  if (i > 0 && sim_event_before (&last, &q->items[(i - 1) / 2]))
    sift_up (q->items, i, last);
  else
    sift_down (q->items, q->len, i, last);
}
