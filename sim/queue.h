/* queue.h: the event queue of a simulated world, a binary min-heap.
 *
 * Events are ordered by (time_us, seq): the earliest virtual time first, and
 * among events at the same time the one pushed first (seq is the insertion
 * number, assigned by sim_queue_push from a counter that never repeats within
 * a queue).  So ties are broken by insertion order, never by pointers, hash
 * order or payload, and the order in which a world applies its events is a
 * function of the order in which it scheduled them.
 *
 * The queue is flat (one array of SimEvent) so a world can be cloned by
 * copying it. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct {
  int64_t time_us;  /* virtual time the event is due */
  uint64_t seq;     /* insertion number: the tie-break */
  uint32_t kind;    /* what to do (the world's event kinds) */
  int32_t a;        /* payload: an endpoint, a slot, an index */
  uint64_t b;       /* payload: an id or a generation */
} SimEvent;

typedef struct {
  SimEvent *items;  /* heap order: items[i] <= items[2i+1], items[2i+2] */
  guint len, cap;
  uint64_t next_seq;
} SimQueue;

void sim_queue_init (SimQueue *q);
void sim_queue_clear (SimQueue *q);
/* Copies src into dst (dst uninitialised or cleared). */
void sim_queue_copy (SimQueue *dst, const SimQueue *src);

/* Adds an event due at time_us; returns its seq. */
uint64_t sim_queue_push (SimQueue *q, int64_t time_us, uint32_t kind, int32_t a, uint64_t b);
/* Removes the earliest event into *ev; FALSE if the queue is empty. */
gboolean sim_queue_pop (SimQueue *q, SimEvent *ev);
/* The earliest event, or NULL if empty.  Valid until the next change. */
static inline const SimEvent *
sim_queue_peek (const SimQueue *q)
{
  return q->len > 0 ? &q->items[0] : NULL;
}
static inline guint sim_queue_len (const SimQueue *q) { return q->len; }
/* Event i in heap order (not time order), i < len: for enumerating. */
static inline const SimEvent *
sim_queue_nth (const SimQueue *q, guint i)
{
  g_assert (i < q->len);
  return &q->items[i];
}
/* Removes event i (heap position, as sim_queue_nth) and restores the heap. */
void sim_queue_remove_nth (SimQueue *q, guint i);

/* TRUE if x comes before y. */
static inline gboolean
sim_event_before (const SimEvent *x, const SimEvent *y)
{
  /* Bitwise, not short-circuit: no unpredictable branch in the heap. */
  return (x->time_us < y->time_us) | ((x->time_us == y->time_us) & (x->seq < y->seq));
}
