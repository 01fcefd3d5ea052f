/* staleness.c: how stale the reads of a register history are, as numbers
 * (`dsim check --model staleness`).
 *
 * Golab, Li and Shah, "Analyzing consistency properties for fun and
 * profit" (PODC 2011): a history is Delta-atomic when it becomes atomic
 * (linearizable) once the start of every read is moved Delta earlier, so a
 * read may return a value up to Delta stale.  The smallest such Delta is
 * found exactly, by the linearizability checker itself: moving reads'
 * starts earlier only widens their intervals, so if H is Delta-atomic it is
 * Delta'-atomic for every Delta' > Delta, and real-time order changes only
 * at the values r.start - x.end (a read r, an operation x that ended before
 * r began).  A binary search over those values needs O(log n) checks.
 *
 * Per read, two lower bounds on how far behind it was: the writes of its
 * key that were invoked after the write it read had completed and that
 * completed before it began (each certainly newer, each certainly visible
 * to a linearizable read), their number ("versions behind") and how long
 * the first of them had been complete ("time behind").  Reported as p50,
 * p99 and max over the successful reads.
 *
 * Whether the history is 2-atomic (every read returns one of the two
 * latest writes in some order that keeps real time) is decided exactly by
 * two_atomic.c, with the read and the writes it skipped when it is not.
 *
 * Registers only (read, write), with event times, and every write of a key
 * writing a distinct value (differentiated): otherwise "the write a read
 * returned" is not defined.  Reads that returned siblings are refused. */
#include "checkers/check.h"
#include "checkers/linearizable.h"
#include "checkers/lin_explain.h"
#include "checkers/two_atomic.h"

#include <string.h>

static int
int64_cmp (gconstpointer a, gconstpointer b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

typedef struct {
  int64_t time;
  guint index;
} ShiftedEvent;

static int
shifted_cmp (gconstpointer a, gconstpointer b)
{
  const ShiftedEvent *x = a, *y = b;
  if (x->time != y->time)
    return x->time < y->time ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* h with every read's invocation delta_us earlier, events reordered by
 * time.  Every operation gets a process of its own: a moved invocation may
 * now come before its process's previous completion, and linearizability
 * looks only at real-time order. */
static ChkHistory *
shifted_history (const ChkHistory *h, const GArray *ops, int64_t delta_us)
{
  guint n = chk_history_len (h);
  g_autofree ShiftedEvent *order = g_new (ShiftedEvent, n);
  g_autofree int64_t *process = g_new (int64_t, n);
  for (guint i = 0; i < n; i++) {
    order[i] = (ShiftedEvent) { chk_history_event (h, i).time_us, i };
    process[i] = -1;
  }
  for (guint k = 0; k < ops->len; k++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, k);
    if (op->f == CHK_F_READ)
      order[op->call].time -= delta_us;
    process[op->call] = k;
    if (op->status != CHK_OP_INFO || op->info_event >= 0) {
      int64_t end = op->status == CHK_OP_INFO ? op->info_event : op->ret;
      if (end >= 0 && end < (int64_t) n)
        process[end] = k;
    }
  }
  if (n > 0)
    qsort (order, n, sizeof *order, shifted_cmp);
  ChkHistory *c = chk_history_new ();
  for (guint i = 0; i < h->strings->len; i++)
    chk_history_intern (c, g_ptr_array_index (h->strings, i));
  for (guint i = 0; i < n; i++) {
    ChkEvent ev = chk_history_event (h, (guint) order[i].index);
    if (process[order[i].index] < 0)
      continue; /* not part of an operation */
    ev.process = process[order[i].index];
    ev.time_us = order[i].time;
    ev.index = -1;
    chk_history_append (c, &ev);
  }
  c->source = g_strdup (h->source);
  return c;
}

/* The linearizability verdict of h with reads moved delta_us earlier. */
static ChkVerdict
atomic_after_shift (const ChkHistory *h, const GArray *ops, int64_t delta_us,
                    const ChkCheckOptions *opt, char **why, GError **error)
{
  g_autoptr (ChkHistory) s = shifted_history (h, ops, delta_us);
  g_autoptr (GArray) sops = chk_history_ops (s, error);
  if (sops == NULL)
    return CHK_VERDICT_UNKNOWN;
  ChkCheckOptions o = *opt;
  o.kind = CHK_KIND_REGISTER;
  g_autoptr (ChkReport) r = chk_linearizable_check (s, sops, &o, error);
  if (r == NULL)
    return CHK_VERDICT_UNKNOWN;
  if (why != NULL)
    *why = g_strdup (r->explanation);
  return r->verdict;
}

static gboolean
refuse (const ChkHistory *h, const ChkOp *op, const char *what, GError **error)
{
  ChkEvent ev_ev = chk_history_event (h, (guint) op->call);
  const ChkEvent *ev = &ev_ev;
  g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT, "%s:%u: the staleness measure needs %s",
               h->source != NULL ? h->source : "<history>", ev->line, what);
  return FALSE;
}

/* Times, registers, one write per value and key. */
static gboolean
staleness_input_ok (const ChkHistory *h, const GArray *ops, GError **error)
{
  g_autoptr (GHashTable) written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint k = 0; k < ops->len; k++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, k);
    if (op->f != CHK_F_READ && op->f != CHK_F_WRITE)
      return refuse (h, op, "a register history (read and write only)", error);
    if (op->call_time_us < 0 || (op->ret != G_MAXINT64 && op->ret_time_us < 0))
      return refuse (h, op, "the time of every event", error);
    if (op->f == CHK_F_READ && op->status == CHK_OP_OK && chk_op_output (op).kind != CHK_VAL_INT
        && chk_op_output (op).kind != CHK_VAL_NIL && chk_op_output (op).kind != CHK_VAL_NONE)
      return refuse (h, op, "integer values", error);
    if (op->f != CHK_F_WRITE || op->status == CHK_OP_FAIL)
      continue;
    if (chk_op_input (op).kind != CHK_VAL_INT)
      return refuse (h, op, "integer values", error);
    char *ident = g_strdup_printf ("%d:%" G_GINT64_FORMAT, op->key, chk_op_input (op).i);
    if (!g_hash_table_add (written, ident))
      return refuse (h, op, "every value written once per key (a differentiated history)",
                     error);
  }
  return TRUE;
}

/* The two per-read lower bounds; FALSE for reads that say nothing. */
static gboolean
read_behind (const GArray *ops, const ChkOp *rd, int64_t *versions, int64_t *time_us)
{
  if (rd->f != CHK_F_READ || rd->status != CHK_OP_OK)
    return FALSE;
  /* The write the read returned: its completion (nil: before everything). */
  int64_t read_write_ret = G_MININT64;
  if (chk_op_output (rd).kind == CHK_VAL_INT) {
    read_write_ret = G_MAXINT64; /* never written, or with unknown outcome */
    for (guint j = 0; j < ops->len; j++) {
      const ChkOp *wr = &g_array_index (ops, ChkOp, j);
      if (wr->f == CHK_F_WRITE && wr->key == rd->key && wr->status == CHK_OP_OK
          && chk_op_input (wr).i == chk_op_output (rd).i)
        read_write_ret = wr->ret_time_us;
    }
  }
  *versions = 0;
  int64_t first_ret = G_MAXINT64;
  for (guint j = 0; j < ops->len; j++) {
    const ChkOp *wr = &g_array_index (ops, ChkOp, j);
    if (wr->f != CHK_F_WRITE || wr->key != rd->key || wr->status != CHK_OP_OK
        || wr->call_time_us <= read_write_ret || wr->ret_time_us >= rd->call_time_us)
      continue;
    (*versions)++;
    first_ret = MIN (first_ret, wr->ret_time_us);
  }
  *time_us = *versions > 0 ? rd->call_time_us - first_ret : 0;
  return TRUE;
}

static int64_t
percentile (const GArray *sorted, double p)
{
  if (sorted->len == 0)
    return 0;
  guint i = (guint) (p * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, int64_t, MIN (i, sorted->len - 1));
}

ChkReport *
chk_staleness_check (const ChkHistory *h, const GArray *ops, const ChkCheckOptions *opt,
                     GError **error)
{
  if (!chk_history_refuse_siblings (h, "staleness", error)
      || !chk_history_refuse_lists (h, "staleness", error)
      || !staleness_input_ok (h, ops, error))
    return NULL;
  ChkReport *r = chk_report_new ("staleness");
  r->kind = CHK_KIND_REGISTER;
  r->n_ops = ops->len;
  r->n_parts = 1;
  r->order_label = "operations involved";
  ChkStaleness *st = r->staleness = g_new0 (ChkStaleness, 1);
  st->delta_us = -1;

  /* 2-atomic? */
  ChkTwoAtomic two;
  chk_two_atomic_check (h, ops, opt->max_states, opt->cancel, &two);
  st->two_atomic = two.verdict;
  st->two_atomic_why = two.explanation;
  st->witness_read = two.read;
  st->witness_write = two.write;
  st->witness_skipped[0] = two.skipped[0];
  st->witness_skipped[1] = two.skipped[1];
  r->states_explored += two.states;
  g_autofree char *two_text = two.verdict == CHK_VERDICT_OK ? g_strdup ("2-atomic: yes")
    : g_strdup_printf ("2-atomic: %s: %s", two.verdict == CHK_VERDICT_VIOLATION ? "no"
                       : "unknown", two.explanation);

  /* Per read. */
  g_autoptr (GArray) versions = g_array_new (FALSE, FALSE, sizeof (int64_t));
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (int64_t));
  guint behind = 0;
  for (guint k = 0; k < ops->len; k++) {
    int64_t v, t;
    if (!read_behind (ops, &g_array_index (ops, ChkOp, k), &v, &t))
      continue;
    g_array_append_val (versions, v);
    g_array_append_val (times, t);
    behind += v > 0;
  }
  g_array_sort (versions, int64_cmp);
  g_array_sort (times, int64_cmp);
  st->reads = versions->len;
  st->reads_behind = behind;
  static const double at[3] = { 0.5, 0.99, 1.0 };
  for (int i = 0; i < 3; i++) {
    st->versions_behind[i] = percentile (versions, at[i]);
    st->time_behind_us[i] = percentile (times, at[i]);
  }

  /* The smallest Delta: the candidates are 0 and every r.start - x.end + 1.
   * Precedence between a moved read and another operation changes only at
   * a candidate, so the verdict is constant from one candidate up to the
   * next, and the smallest atomic integer Delta in [0, largest candidate]
   * is a candidate.  Searching that integer range needs only the largest
   * candidate (the latest read start minus the earliest end), not the
   * reads x operations candidates themselves, which on long histories
   * took gigabytes to list and sort. */
  int64_t first_end = G_MAXINT64, last_start = G_MININT64;
  for (guint k = 0; k < ops->len; k++) {
    const ChkOp *x = &g_array_index (ops, ChkOp, k);
    if (x->ret != G_MAXINT64 && x->status != CHK_OP_FAIL)
      first_end = MIN (first_end, x->ret_time_us);
    if (x->f == CHK_F_READ && x->status != CHK_OP_FAIL)
      last_start = MAX (last_start, x->call_time_us);
  }
  /* Moved by the gap, the read starts when x ends and x still comes first
   * (events at one instant keep their order); one microsecond more and
   * they overlap. */
  int64_t max_delta = first_end != G_MAXINT64 && last_start != G_MININT64
    && first_end < last_start ? last_start - first_end + 1 : 0;

  g_autofree char *why_top = NULL;
  ChkVerdict top = atomic_after_shift (h, ops, max_delta, opt, &why_top, error);
  if (top == CHK_VERDICT_UNKNOWN && error != NULL && *error != NULL) {
    chk_report_free (r);
    return NULL;
  }
  g_autoptr (GString) text = g_string_new (NULL);
  if (top != CHK_VERDICT_OK) {
    r->verdict = top;
    g_string_append_printf (text, "%s: %s",
                            top == CHK_VERDICT_VIOLATION
                              ? "not Delta-atomic for any Delta (moving reads earlier cannot "
                                "explain it)" : "the search gave up",
                            why_top != NULL ? why_top : "");
  } else {
    /* max_delta is atomic; find the first atomic Delta. */
    int64_t lo = 0, hi = max_delta;
    g_autofree char *why = NULL;
    ChkVerdict v = atomic_after_shift (h, ops, 0, opt, &why, error);
    if (v == CHK_VERDICT_OK)
      hi = 0;
    while (v != CHK_VERDICT_UNKNOWN && lo + 1 < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      g_clear_pointer (&why, g_free);
      v = atomic_after_shift (h, ops, mid, opt, &why, error);
      if (v == CHK_VERDICT_OK)
        hi = mid;
      else
        lo = mid;
    }
    if (v == CHK_VERDICT_UNKNOWN) {
      r->verdict = CHK_VERDICT_UNKNOWN;
      r->explanation = g_strdup_printf ("the linearizability search gave up while looking for "
                                        "the smallest Delta%s%s; %s",
                                        error != NULL && *error != NULL ? ": "
                                        : why != NULL ? ": " : "",
                                        error != NULL && *error != NULL ? (*error)->message
                                        : why != NULL ? why : "",
                                        two_text);
      g_clear_error (error);
      return r;
    }
    int64_t delta = hi;
    st->delta_us = delta;
    g_autofree char *d = lin_explain_seconds (delta);
    r->verdict = CHK_VERDICT_OK;
    if (delta == 0)
      g_string_append (text, "smallest Delta 0: linearizable");
    else
      g_string_append_printf (text, "smallest Delta %s: atomic once every read starts %s "
                              "earlier, not linearizable", d, d);
  }
  g_autofree char *t50 = lin_explain_seconds (percentile (times, 0.5));
  g_autofree char *t99 = lin_explain_seconds (percentile (times, 0.99));
  g_autofree char *tmax = lin_explain_seconds (percentile (times, 1.0));
  g_string_append_printf (text, "; %u of %u reads behind a newer completed write; versions "
                          "behind p50 %" G_GINT64_FORMAT ", p99 %" G_GINT64_FORMAT ", max %"
                          G_GINT64_FORMAT "; time behind p50 %s, p99 %s, max %s; %s", behind,
                          versions->len, percentile (versions, 0.5),
                          percentile (versions, 0.99), percentile (versions, 1.0), t50, t99,
                          tmax, two_text);
  r->explanation = g_strdup (text->str);
  return r;
}
