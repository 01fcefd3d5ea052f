/* timeline.h: a client history drawn as a timeline, for `dsim check
 * --diagram`.
 *
 * One lane per process, one bar per operation from its invocation to its
 * completion; an operation with no completion (info) is open-ended: its bar
 * runs to the right edge and fades out.  Bars are placed by the order of the
 * invocation and completion times (equal times share a column), which is
 * all real-time order needs and keeps short operations readable.
 *
 * What the checkers mark (callers convert their reports into this):
 *   - linearizability: the longest linearizable prefix (green bars, each
 *     with its linearization point, a dot numbered in linearization order),
 *     the operation that could not be placed (red), the operations
 *     concurrent with it (blue outline), and the explanation as caption;
 *   - causal and session models: the witness operations (orange) and the
 *     relation edges between them (reads-from, session order, or any other
 *     named relation) that form the bad pattern.
 * The DOT text has every position pinned (render with the nop2 layout,
 * viz/render.h) and depends only on the timeline. */
#pragma once

#include <glib.h>
#include <stdint.h>

#define VIZ_OP_OPEN G_MAXINT64 /* end of an operation that never completed */

typedef enum {
  VIZ_OP_OK,
  VIZ_OP_FAIL, /* certainly did not happen: dashed grey */
  VIZ_OP_INFO, /* unknown: end is VIZ_OP_OPEN */
} VizOpStatus;

typedef enum {
  VIZ_MARK_NONE,
  VIZ_MARK_PREFIX,     /* in the linearizable prefix (give `order`) */
  VIZ_MARK_CULPRIT,    /* could not be placed */
  VIZ_MARK_CONCURRENT, /* concurrent with the culprit */
  VIZ_MARK_WITNESS,    /* part of a causal or session bad pattern */
} VizOpMark;

typedef struct {
  int lane;
  char *label;         /* "write x=3", "read x: 2" */
  int64_t start;       /* invocation time (any unit) */
  int64_t end;         /* completion time, or VIZ_OP_OPEN */
  VizOpStatus status;
  VizOpMark mark;
  int order;           /* 1, 2, ... in linearization order; 0: none */
} VizOp;

typedef enum {
  VIZ_REL_READS_FROM,  /* write -> the read that returned its value */
  VIZ_REL_SESSION,     /* earlier -> later operation of one process */
  VIZ_REL_OTHER,       /* any other relation, named by its label */
} VizRelation;

typedef struct {
  int from, to;        /* op indices */
  VizRelation rel;
  char *label;         /* "rf", "so", "hb" ... */
} VizOpEdge;

typedef struct {
  char *title;
  GPtrArray *lanes;    /* char* lane names, top to bottom */
  GArray *ops;         /* VizOp */
  GArray *edges;       /* VizOpEdge */
  char *caption;       /* the explanation, or NULL */
} VizTimeline;

VizTimeline *viz_timeline_new (const char *title);
void viz_timeline_free (VizTimeline *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VizTimeline, viz_timeline_free)

int viz_timeline_add_lane (VizTimeline *t, const char *name);
/* Appends an operation (label copied); returns its index. */
int viz_timeline_add_op (VizTimeline *t, int lane, const char *label, int64_t start,
                         int64_t end, VizOpStatus status);
static inline VizOp *
viz_timeline_op (const VizTimeline *t, guint i)
{
  return &g_array_index (t->ops, VizOp, i);
}
/* Adds a relation edge; label NULL gives "rf" / "so". */
void viz_timeline_add_edge (VizTimeline *t, int from, int to, VizRelation rel,
                            const char *label);
void viz_timeline_set_caption (VizTimeline *t, const char *caption);

/* The timeline as DOT text. */
char *viz_timeline_dot (const VizTimeline *t);
