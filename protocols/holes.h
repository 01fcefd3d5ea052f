/* holes.h: a protocol's state_holes (protocol.h) from the zero ranges it
 * knows of, given in increasing order: adjacent ranges join into one run,
 * and the PROTO_MAX_HOLES longest runs are kept, in order. */
#pragma once

#include "protocols/protocol.h"

typedef struct {
  size_t (*holes)[2];
  int n;
  size_t from, to;   /* the run being built (from == to: none) */
} ProtoHoles;

static inline ProtoHoles
proto_holes_start (size_t holes[][2])
{
  return (ProtoHoles) { .holes = holes };
}

/* Keeps the run [from, to) if it is among the longest so far. */
static inline void
proto_holes_keep (ProtoHoles *b, size_t from, size_t to)
{
  if (from >= to)
    return;
  if (b->n < PROTO_MAX_HOLES) {
    b->holes[b->n][0] = from;
    b->holes[b->n][1] = to;
    b->n++;
    return;
  }
  /* Replace the shortest run kept, then keep the runs in order. */
  int s = 0;
  for (int i = 1; i < b->n; i++)
    if (b->holes[i][1] - b->holes[i][0] < b->holes[s][1] - b->holes[s][0])
      s = i;
  if (to - from <= b->holes[s][1] - b->holes[s][0])
    return;
  for (int i = s; i + 1 < b->n; i++) {
    b->holes[i][0] = b->holes[i + 1][0];
    b->holes[i][1] = b->holes[i + 1][1];
  }
  b->holes[b->n - 1][0] = from;
  b->holes[b->n - 1][1] = to;
}

/* [from, to) is zero; from is at or past every range given before. */
static inline void
proto_holes_zero (ProtoHoles *b, size_t from, size_t to)
{
  if (from == b->to && b->from < b->to) {
    b->to = to;
    return;
  }
  proto_holes_keep (b, b->from, b->to);
  b->from = from;
  b->to = to;
}

/* How many holes were kept. */
static inline int
proto_holes_end (ProtoHoles *b)
{
  proto_holes_keep (b, b->from, b->to);
  b->from = b->to = 0;
  return b->n;
}
