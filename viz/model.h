/* model.h: viz's own picture of a run: processes, events, messages.
 *
 * viz never sees the simulator's types.  Whoever has a run (sim/trace_viz.c
 * reads a trace file; a test builds one by hand) fills a VizModel, and the
 * drawing code (viz/spacetime.h, viz/shiviz.h) reads it.
 *
 * Processes are the lanes of the diagram: nodes first, then clients, in the
 * order they were added.  Events are kept in the order they happened (the
 * order a trace lists them), so a message's send always comes before its
 * receive.  Partitions and heals belong to no process (process = -1).
 *
 * A message links its send event to at most one end: the receive, or the
 * drop event where it was lost.  A duplicated delivery is a message of its
 * own with is_duplicate set, sharing the original's send event.
 *
 * Lamport times are not given by the caller: viz_model_compute_clocks()
 * derives them from the process order and the messages. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
  VIZ_PROC_NODE,
  VIZ_PROC_CLIENT,
} VizProcessKind;

typedef struct {
  char *name;
  VizProcessKind kind;
} VizProcess;

typedef enum {
  VIZ_EV_SEND,
  VIZ_EV_RECV,
  VIZ_EV_DROP,      /* a message was lost here */
  VIZ_EV_NOTE,      /* anything else local: a protocol note */
  VIZ_EV_TIMEOUT,
  VIZ_EV_CRASH,
  VIZ_EV_RESTART,
  VIZ_EV_PAUSE,
  VIZ_EV_RESUME,
  VIZ_EV_INVOKE,    /* a client operation starts */
  VIZ_EV_COMPLETE,  /* a client operation ends */
  VIZ_EV_PARTITION, /* global (process -1); label names the groups */
  VIZ_EV_HEAL,      /* global (process -1) */
  VIZ_EV__COUNT,
} VizEventKind;

typedef struct {
  int process;          /* index into processes; -1 for partition and heal */
  VizEventKind kind;
  int64_t time_us;      /* virtual time */
  int64_t lamport;      /* set by viz_model_compute_clocks; 0 before */
  int message;          /* index into messages, or -1 */
  char *label;          /* plain words, or NULL */
  char *role;           /* role annotation from this event on ("leader t=2"),
                           or NULL */
  gboolean is_highlighted;
  uint32_t line;        /* source line (of a trace), 0 if none */
} VizEvent;

typedef struct {
  int send;             /* event index */
  int recv;             /* receive event, or -1 */
  int drop;             /* drop event, or -1 */
  int from, to;         /* processes */
  gboolean is_duplicate;
  gboolean is_highlighted;
  char *label;          /* format_msg text, or NULL */
} VizMessage;

typedef struct {
  char *title;          /* "raft seed=7", or NULL */
  GArray *processes;    /* VizProcess */
  GArray *events;       /* VizEvent, in the order they happened */
  GArray *messages;     /* VizMessage */
} VizModel;

VizModel *viz_model_new (const char *title);
void viz_model_free (VizModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VizModel, viz_model_free)

/* Returns the new process's index. */
int viz_model_add_process (VizModel *m, const char *name, VizProcessKind kind);
/* Index of the process called name, or -1. */
int viz_model_find_process (const VizModel *m, const char *name);

/* Appends an event (label copied, may be NULL); returns its index.  Events
 * must be added in the order they happened. */
int viz_model_add_event (VizModel *m, int process, VizEventKind kind,
                         int64_t time_us, const char *label);
/* Sets the role annotation of event ev (copied). */
void viz_model_set_role (VizModel *m, int ev, const char *role);

/* Adds a message sent at event `send` from process `from` to `to`; its end is
 * set later with viz_model_end_message.  Returns its index. */
int viz_model_add_message (VizModel *m, int send, int from, int to,
                           const char *label, gboolean is_duplicate);
/* Ends message msg at event ev (a RECV or a DROP event), linking both. */
void viz_model_end_message (VizModel *m, int msg, int ev);

static inline guint viz_model_n_processes (const VizModel *m) { return m->processes->len; }
static inline guint viz_model_n_events (const VizModel *m) { return m->events->len; }
static inline guint viz_model_n_messages (const VizModel *m) { return m->messages->len; }
static inline const VizProcess *
viz_model_process (const VizModel *m, guint i)
{
  return &g_array_index (m->processes, VizProcess, i);
}
static inline VizEvent *
viz_model_event (const VizModel *m, guint i)
{
  return &g_array_index (m->events, VizEvent, i);
}
static inline VizMessage *
viz_model_message (const VizModel *m, guint i)
{
  return &g_array_index (m->messages, VizMessage, i);
}

/* Sets every event's Lamport time: one more than the larger of the previous
 * event's on its process and, for a receive or a drop, its send's (so a
 * drawn arrow never runs backwards).  A partition or
 * heal gets the largest Lamport time seen so far. */
void viz_model_compute_clocks (VizModel *m);

/* Vector clocks of the events, computed the same way: n_events rows of
 * n_processes counters (row e at [e * n_processes]); an event increments its
 * own process's counter, a receive first merges its send's clock.  Only the
 * events with included[e] count (included NULL: all): the others, and global
 * events, get a row of zeros, and a receive whose send is left out merges
 * nothing.  Free with g_free. */
uint32_t *viz_model_vector_clocks (const VizModel *m, const gboolean *included);

const char *viz_event_kind_name (VizEventKind k);
