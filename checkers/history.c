/* history.c: the history container and its JSON Lines writer. */
#include "checkers/history.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A loaded history takes one operation and two 4-byte event references
 * per operation. */
G_STATIC_ASSERT (sizeof (ChkOp) == 72);
G_STATIC_ASSERT (G_ALIGNOF (ChkValue) >= 4);

G_DEFINE_QUARK (chk-error-quark, chk_error)

ChkHistory *
chk_history_new (void)
{
  ChkHistory *h = g_new0 (ChkHistory, 1);
  h->ops = g_array_new (FALSE, FALSE, sizeof (ChkOp));
  h->event_refs = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  h->fat_events = g_array_new (FALSE, FALSE, sizeof (ChkEvent));
  h->line_runs = g_array_new (FALSE, FALSE, sizeof (ChkLineRun));
  h->column_runs = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  h->value_blocks = g_ptr_array_new_with_free_func (g_free);
  h->last_time_us = -1;
  h->strings = g_ptr_array_new ();
  h->string_chunk = g_string_chunk_new (65536);
  h->string_tags = g_byte_array_new ();
  h->sibling_sets = g_array_new (FALSE, FALSE, sizeof (int64_t));
  h->lists = g_array_new (FALSE, FALSE, sizeof (ChkValue));
  return h;
}

void
chk_history_free (ChkHistory *h)
{
  if (h == NULL)
    return;
  g_array_unref (h->ops);
  g_array_unref (h->event_refs);
  g_array_unref (h->fat_events);
  g_array_unref (h->line_runs);
  g_array_unref (h->column_runs);
  g_ptr_array_unref (h->value_blocks);
  g_free (h->open_dense);
  if (h->open_sparse != NULL)
    g_hash_table_unref (h->open_sparse);
  g_free (h->pair_error);
  g_ptr_array_unref (h->strings);
  g_string_chunk_free (h->string_chunk);
  g_free (h->string_slots);
  g_byte_array_unref (h->string_tags);
  g_array_unref (h->sibling_sets);
  g_array_unref (h->lists);
  g_free (h->source);
  g_free (h);
}

/* Strings are found by the hash of their tag and text. */
static guint
string_hash (char tag, const char *s)
{
  guint x = 2166136261u ^ (guint8) tag;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    x = (x ^ *p) * 16777619u;
  return x ^ (x >> 15);
}

static void
string_slots_grow (ChkHistory *h)
{
  guint n = h->n_string_slots == 0 ? 64 : h->n_string_slots * 2;
  uint32_t *slots = g_new0 (uint32_t, n);
  for (guint id = 0; id < h->strings->len; id++) {
    guint k = string_hash ((char) h->string_tags->data[id], g_ptr_array_index (h->strings, id));
    while (slots[k & (n - 1)] != 0)
      k++;
    slots[k & (n - 1)] = id + 1;
  }
  g_free (h->string_slots);
  h->string_slots = slots;
  h->n_string_slots = n;
}

/* Texts written differently (a keyword and a string) never share an id. */
int32_t
chk_history_intern_tagged (ChkHistory *h, char tag, const char *s)
{
  if (4 * (h->strings->len + 1) > 3 * h->n_string_slots) /* at most 3/4 full */
    string_slots_grow (h);
  guint mask = h->n_string_slots - 1;
  for (guint k = string_hash (tag, s);; k++) {
    uint32_t slot = h->string_slots[k & mask];
    if (slot == 0) {
      int32_t id = (int32_t) h->strings->len;
      g_assert (h->strings->len < G_MAXINT32);
      gsize len = strlen (s);
      g_ptr_array_add (h->strings, g_string_chunk_insert_len (h->string_chunk, s, (gssize) len));
      h->string_bytes += len + 1;
      guint8 t = (guint8) tag;
      g_byte_array_append (h->string_tags, &t, 1);
      h->string_slots[k & mask] = (uint32_t) id + 1;
      return id;
    }
    if (h->string_tags->data[slot - 1] == (guint8) tag
        && strcmp (g_ptr_array_index (h->strings, slot - 1), s) == 0)
      return (int32_t) slot - 1;
  }
}

char
chk_history_string_tag (const ChkHistory *h, int32_t id)
{
  g_assert (id >= 0 && (guint) id < h->string_tags->len);
  return (char) h->string_tags->data[id];
}

int32_t
chk_history_intern (ChkHistory *h, const char *s)
{
  return chk_history_intern_tagged (h, 0, s);
}

const char *
chk_history_string (const ChkHistory *h, int32_t id)
{
  g_assert (id >= 0 && (guint) id < h->strings->len);
  return g_ptr_array_index (h->strings, id);
}

int32_t
chk_history_add_siblings (ChkHistory *h, const int64_t *values, guint n)
{
  g_assert (n >= 2 && h->sibling_sets->len < G_MAXINT32 - n - 1);
  int32_t id = (int32_t) h->sibling_sets->len;
  int64_t count = n;
  g_array_append_val (h->sibling_sets, count);
  g_array_append_vals (h->sibling_sets, values, n);
  return id;
}

const int64_t *
chk_history_siblings (const ChkHistory *h, int32_t id, guint *n)
{
  g_assert (id >= 0 && (guint) id < h->sibling_sets->len);
  const int64_t *set = &g_array_index (h->sibling_sets, int64_t, id);
  *n = (guint) set[0];
  return set + 1;
}

int32_t
chk_history_add_list (ChkHistory *h, const ChkValue *items, guint n, gboolean is_set)
{
  g_assert (h->lists->len < (guint) G_MAXINT32 - n - 1);
  int32_t id = (int32_t) h->lists->len;
  ChkValue header = { .kind = CHK_VAL_LIST, .s = -1, .i = n, .j = is_set ? 1 : 0 };
  g_array_append_val (h->lists, header);
  g_array_append_vals (h->lists, items, n);
  return id;
}

const ChkValue *
chk_history_list (const ChkHistory *h, int32_t id, guint *n, gboolean *is_set)
{
  g_assert (id >= 0 && (guint) id < h->lists->len);
  const ChkValue *header = &g_array_index (h->lists, ChkValue, id);
  g_assert (header->kind == CHK_VAL_LIST);
  *n = (guint) header->i;
  if (is_set != NULL)
    *is_set = header->j != 0;
  return header + 1;
}

gboolean
chk_history_refuse_siblings (const ChkHistory *h, const char *model, GError **error)
{
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent ev_i = chk_history_event (h, i);
    const ChkEvent *ev = &ev_i;
    if (ev->value.kind != CHK_VAL_SIBLINGS)
      continue;
    g_autoptr (GString) vals = g_string_new (NULL);
    guint n;
    const int64_t *v = chk_history_siblings (h, ev->value.s, &n);
    for (guint k = 0; k < n && k < 8; k++)
      g_string_append_printf (vals, "%s%" G_GINT64_FORMAT, k > 0 ? " " : "", v[k]);
    if (n > 8)
      g_string_append_printf (vals, " ... (%u values)", n);
    g_autofree char *where = ev->line > 0
        ? g_strdup_printf ("%s:%u", h->source != NULL ? h->source : "<history>", ev->line)
        : g_strdup_printf ("%s, event %u", h->source != NULL ? h->source : "history", i + 1);
    g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                 "%s: a read of process %" G_GINT64_FORMAT " returned siblings {%s}, "
                 "concurrent versions kept by a version-vector store; the %s model is "
                 "defined for reads that return one value, so this history cannot be "
                 "checked against it (judge such a run by its invariants: no-lost-write, "
                 "siblings-survive)",
                 where, ev->process, vals->str, model);
    return FALSE;
  }
  return TRUE;
}

gboolean
chk_history_refuse_lists (const ChkHistory *h, const char *model, GError **error)
{
  for (guint i = 0; i < chk_history_len (h); i++) {
    ChkEvent ev_i = chk_history_event (h, i);
    const ChkEvent *ev = &ev_i;
    if (ev->value.kind != CHK_VAL_LIST)
      continue;
    g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                 "%s:%u:%u: process %" G_GINT64_FORMAT " has a collection value (a set, a "
                 "queue's or a txn's list); the %s model is defined for registers (expected "
                 "nil, an integer, a string or a pair [a b]; check collections with --model "
                 "linearizable --kind set, unordered-queue, fifo-queue or multi-register)",
                 h->source != NULL ? h->source : "<history>", ev->line, MAX (ev->column, 1),
                 ev->process, model);
    return FALSE;
  }
  return TRUE;
}

/* ---- values ---- */

static gboolean
fits (int64_t x, int width)
{
  return x >= -((int64_t) 1 << (width - 1)) && x < ((int64_t) 1 << (width - 1));
}

static gboolean
value_same (const ChkValue *a, const ChkValue *b)
{
  return a->kind == b->kind && a->s == b->s && a->i == b->i && a->j == b->j;
}

ChkValRef
chk_history_value_ref (ChkHistory *h, const ChkValue *v)
{
  ChkValRef r = { 0 };
  switch (v->kind) {
  case CHK_VAL_INT:
    if (fits (v->i, 61) && (v->s == -1 || v->s == 0) && v->j == 0)
      r.bits = CHK_REF_INT | (uint64_t) (v->s + 1) << 2 | (uint64_t) v->i << 3;
    break;
  case CHK_VAL_PAIR:
    if (fits (v->i, 29) && fits (v->j, 30) && v->s >= -1 && v->s <= 3)
      r.bits = CHK_REF_PAIR | (uint64_t) (v->s + 1) << 2
               | ((uint64_t) v->i & (((uint64_t) 1 << 29) - 1)) << 5 | (uint64_t) v->j << 34;
    break;
  default:
    if (v->i == 0 && v->j == 0 && (unsigned) v->kind < 64)
      r.bits = CHK_REF_SMALL | (uint64_t) v->kind << 2 | (uint64_t) (uint32_t) v->s << 32;
    break;
  }
  if (r.bits != 0 || v->kind == CHK_VAL_NONE) {
    ChkValue back = chk_value_from_ref (r);
    if (value_same (&back, v))
      return r;
  }
  /* Kept whole, in blocks that never move. */
  if (h->value_blocks->len == 0 || h->n_block_values == CHK_VALUE_BLOCK) {
    g_ptr_array_add (h->value_blocks, g_new (ChkValue, CHK_VALUE_BLOCK));
    h->n_block_values = 0;
  }
  ChkValue *slot = (ChkValue *) g_ptr_array_index (h->value_blocks, h->value_blocks->len - 1)
                   + h->n_block_values++;
  *slot = *v;
  r.bits = (uint64_t) (uintptr_t) slot | CHK_REF_HEAP;
  return r;
}

/* ---- events ---- */

static uint32_t
event_line (const ChkHistory *h, guint i)
{
  const GArray *runs = h->line_runs;
  guint lo = 0, hi = runs->len; /* the last run that starts at or before i */
  while (hi - lo > 1) {
    guint mid = (lo + hi) / 2;
    if (g_array_index (runs, ChkLineRun, mid).event <= i)
      lo = mid;
    else
      hi = mid;
  }
  const ChkLineRun *r = &g_array_index (runs, ChkLineRun, lo);
  return r->line + r->step * (i - r->event);
}

static uint32_t
event_column (const ChkHistory *h, guint i)
{
  const uint32_t *runs = (const uint32_t *) h->column_runs->data;
  guint lo = 0, hi = h->column_runs->len / 2;
  while (hi - lo > 1) {
    guint mid = (lo + hi) / 2;
    if (runs[2 * mid] <= i)
      lo = mid;
    else
      hi = mid;
  }
  return runs[2 * lo + 1];
}

/* The event the operation gives back for its invocation (or completion),
 * at position i. */
static ChkEvent
event_of_op (const ChkHistory *h, const ChkOp *op, gboolean is_completion, guint i)
{
  ChkEvent ev = {
    .process = op->process, .type = CHK_INVOKE, .f = op->f, .is_final = op->is_final,
    .f_name = op->f_name, .key = op->key, .line = event_line (h, i),
    .value = chk_op_input (op), .time_us = op->call_time_us, .index = i,
    .column = event_column (h, i),
  };
  if (!is_completion)
    return ev;
  ev.is_cas_mismatch = op->is_cas_mismatch;
  switch ((ChkOpStatus) op->status) {
  case CHK_OP_OK:
  case CHK_OP_FAIL:
    ev.type = op->status == CHK_OP_OK ? CHK_OK : CHK_FAIL;
    ev.value = chk_op_output (op);
    ev.time_us = op->ret_time_us;
    break;
  case CHK_OP_INFO: /* as Jepsen writes it: the invocation's value, here no time */
    ev.type = CHK_INFO;
    ev.time_us = -1;
    break;
  }
  return ev;
}

ChkEvent
chk_history_event (const ChkHistory *h, guint i)
{
  g_assert (i < h->event_refs->len);
  uint32_t ref = g_array_index (h->event_refs, uint32_t, i);
  if (ref & CHK_EVENT_FAT) {
    ChkEvent ev = g_array_index (h->fat_events, ChkEvent, ref & ~CHK_EVENT_FAT);
    ev.index = i;
    return ev;
  }
  return event_of_op (h, &g_array_index (h->ops, ChkOp, ref >> 1), ref & 1, i);
}

static gboolean
event_same (const ChkEvent *a, const ChkEvent *b)
{
  return a->process == b->process && a->type == b->type && a->f == b->f
         && a->is_final == b->is_final && a->is_cas_mismatch == b->is_cas_mismatch
         && a->f_name == b->f_name && a->key == b->key && a->line == b->line
         && a->column == b->column && value_same (&a->value, &b->value)
         && a->time_us == b->time_us;
}

static uint32_t
fat_ref (ChkHistory *h, const ChkEvent *ev)
{
  g_assert (h->fat_events->len < CHK_EVENT_FAT);
  g_array_append_val (h->fat_events, *ev);
  return CHK_EVENT_FAT | (h->fat_events->len - 1);
}

const char *
chk_event_fn_text (const ChkHistory *h, const ChkEvent *ev)
{
  static const char *const names[] = { "read", "write", "cas", "append", "other" };
  if (ev->f_name >= 0)
    return chk_history_string (h, ev->f_name);
  return names[ev->f];
}

/* The open operation of a process: op + 1, 0 if none. */
static guint
open_get (const ChkHistory *h, int64_t process)
{
  if (process >= 0 && process < (int64_t) h->n_open_dense)
    return h->open_dense[process];
  if (h->open_sparse == NULL)
    return 0;
  return GPOINTER_TO_UINT (g_hash_table_lookup (h->open_sparse, &process));
}

static void
open_set (ChkHistory *h, int64_t process, guint op1)
{
  /* Small process numbers (the usual ones) index an array. */
  if (process >= 0 && process < (int64_t) h->n_open_dense) {
    h->open_dense[process] = op1;
    return;
  }
  if (process >= 0 && process < 65536) {
    guint n = MAX ((guint) process + 1, MAX (64u, 2 * h->n_open_dense));
    n = MIN (n, 65536u);
    h->open_dense = g_renew (guint, h->open_dense, n);
    memset (h->open_dense + h->n_open_dense, 0, sizeof (guint) * (n - h->n_open_dense));
    h->n_open_dense = n;
    h->open_dense[process] = op1;
    return;
  }
  if (h->open_sparse == NULL)
    h->open_sparse = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  if (op1 == 0)
    g_hash_table_remove (h->open_sparse, &process);
  else
    g_hash_table_insert (h->open_sparse, g_memdup2 (&process, sizeof process),
                         GUINT_TO_POINTER (op1));
}

static void
note_position (ChkHistory *h, guint i, const ChkEvent *ev)
{
  GArray *runs = h->line_runs;
  gboolean same = FALSE;
  if (runs->len > 0) {
    ChkLineRun *r = &g_array_index (runs, ChkLineRun, runs->len - 1);
    if (r->event == i - 1 && (ev->line == r->line + 1 || ev->line == r->line)) {
      r->step = ev->line - r->line; /* a run's second event sets its step */
      same = TRUE;
    } else {
      same = r->line + (uint64_t) r->step * (i - r->event) == ev->line;
    }
  }
  if (!same) {
    ChkLineRun r = { .event = i, .line = ev->line, .step = 0 };
    g_array_append_val (runs, r);
  }
  guint nc = h->column_runs->len;
  if (nc == 0 || g_array_index (h->column_runs, uint32_t, nc - 1) != ev->column) {
    uint32_t run[2] = { i, ev->column };
    g_array_append_vals (h->column_runs, run, 2);
  }
}

/* Records the first event that pairs with nothing: every event from it on
 * is kept whole, and chk_history_ops reports it. */
static void
pair_fail (ChkHistory *h, guint i, char *what)
{
  h->pair_error = what;
  h->pair_error_event = i;
}

void
chk_history_append (ChkHistory *h, const ChkEvent *ev)
{
  guint i = h->event_refs->len;
  g_assert (i < CHK_EVENT_FAT && h->ops->len < (CHK_EVENT_FAT >> 1));
  note_position (h, i, ev);
  uint32_t ref;
  if (h->pair_error != NULL) {
    ref = fat_ref (h, ev);
    g_array_append_val (h->event_refs, ref);
    return;
  }
  /* Line order is the order things happened; times must agree with it, or
   * the checks (which follow the lines) and their explanations (which quote
   * the times) would tell two different stories. */
  if (ev->time_us >= 0 && ev->time_us < h->last_time_us) {
    pair_fail (h, i, g_strdup_printf (
      "time %" G_GINT64_FORMAT " us is before time %" G_GINT64_FORMAT " us of line %u "
      "(expected events in the order they happened, times never going back)",
      ev->time_us, h->last_time_us, h->last_time_line));
    ref = fat_ref (h, ev);
    g_array_append_val (h->event_refs, ref);
    return;
  }
  if (ev->time_us >= 0) {
    h->last_time_us = ev->time_us;
    h->last_time_line = ev->line;
  }
  guint found = open_get (h, ev->process);
  if (ev->type == CHK_INVOKE) {
    if (found != 0) {
      const ChkOp *prev = &g_array_index (h->ops, ChkOp, found - 1);
      ChkEvent pev = chk_history_event (h, (guint) prev->call);
      pair_fail (h, i, g_strdup_printf (
        "process %" G_GINT64_FORMAT " invokes %s while its %s invoked at line %u has not "
        "completed (expected a completion first: one operation at a time per process)",
        ev->process, chk_event_fn_text (h, ev), chk_event_fn_text (h, &pev), pev.line));
      ref = fat_ref (h, ev);
      g_array_append_val (h->event_refs, ref);
      return;
    }
    ChkOp op = {
      .process = ev->process, .f = ev->f, .key = ev->key, .f_name = ev->f_name,
      .input = chk_history_value_ref (h, &ev->value), .status = CHK_OP_INFO,
      .call = i, .ret = G_MAXINT64, .call_time_us = ev->time_us, .ret_time_us = -1,
      .is_final = ev->is_final, .info_event = -1,
    };
    g_array_append_val (h->ops, op);
    open_set (h, ev->process, h->ops->len);
    ref = (h->ops->len - 1) << 1;
    g_array_append_val (h->event_refs, ref);
    ChkEvent back = event_of_op (h, &op, FALSE, i);
    if (!event_same (&back, ev))
      g_array_index (h->event_refs, uint32_t, i) = fat_ref (h, ev);
    return;
  }
  if (found == 0) {
    pair_fail (h, i, g_strdup_printf (
      "process %" G_GINT64_FORMAT " completes %s (%s) but has no open invocation "
      "(expected an invoke before it)", ev->process, chk_event_fn_text (h, ev), chk_type_name (ev->type)));
    ref = fat_ref (h, ev);
    g_array_append_val (h->event_refs, ref);
    return;
  }
  ChkOp *op = &g_array_index (h->ops, ChkOp, found - 1);
  ChkEvent inv = chk_history_event (h, (guint) op->call);
  if (ev->f != inv.f || (ev->f == CHK_F_OTHER && ev->f_name != inv.f_name)) {
    pair_fail (h, i, g_strdup_printf (
      "process %" G_GINT64_FORMAT " completes %s but its open invocation at line %u is %s "
      "(expected the same function)", ev->process, chk_event_fn_text (h, ev), inv.line,
      chk_event_fn_text (h, &inv)));
    ref = fat_ref (h, ev);
    g_array_append_val (h->event_refs, ref);
    return;
  }
  if (ev->key >= 0 && inv.key >= 0 && ev->key != inv.key) {
    pair_fail (h, i, g_strdup_printf (
      "process %" G_GINT64_FORMAT " completes %s on key %s but its open invocation at line "
      "%u is on key %s (expected the same key)", ev->process, chk_event_fn_text (h, ev),
      chk_history_string (h, ev->key), inv.line, chk_history_string (h, inv.key)));
    ref = fat_ref (h, ev);
    g_array_append_val (h->event_refs, ref);
    return;
  }
  open_set (h, ev->process, 0);
  op->is_final = op->is_final || ev->is_final;
  op->is_cas_mismatch = ev->is_cas_mismatch;
  if (op->key < 0)
    op->key = ev->key;
  switch (ev->type) {
  case CHK_OK:
  case CHK_FAIL:
    op->status = ev->type == CHK_OK ? CHK_OP_OK : CHK_OP_FAIL;
    op->output = chk_history_value_ref (h, &ev->value);
    op->ret = i;
    op->ret_time_us = ev->time_us;
    break;
  case CHK_INFO:
    op->status = CHK_OP_INFO; /* effect unknown: returns at +infinity */
    op->info_event = (int32_t) i;
    break;
  case CHK_INVOKE:
    g_assert_not_reached ();
  }
  ref = (found - 1) << 1 | 1;
  g_array_append_val (h->event_refs, ref);
  ChkEvent back = event_of_op (h, op, TRUE, i);
  if (!event_same (&back, ev))
    g_array_index (h->event_refs, uint32_t, i) = fat_ref (h, ev);
  /* The completion may have changed what the invocation gives back. */
  uint32_t *inv_ref = &g_array_index (h->event_refs, uint32_t, (guint) op->call);
  if (!(*inv_ref & CHK_EVENT_FAT)) {
    ChkEvent inv_back = event_of_op (h, op, FALSE, (guint) op->call);
    if (!event_same (&inv_back, &inv))
      *inv_ref = fat_ref (h, &inv);
  }
}

void
chk_history_reserve (ChkHistory *h, guint n_ops)
{
  g_assert (h->event_refs->len == 0);
  if (n_ops <= h->ops->len)
    return;
  g_array_unref (h->ops);
  h->ops = g_array_sized_new (FALSE, FALSE, sizeof (ChkOp), n_ops);
  g_array_unref (h->event_refs);
  h->event_refs = g_array_sized_new (FALSE, FALSE, sizeof (uint32_t), 2 * n_ops);
}

gsize
chk_history_memory_bytes (const ChkHistory *h)
{
  return (gsize) h->ops->len * sizeof (ChkOp) + (gsize) h->event_refs->len * sizeof (uint32_t)
         + (gsize) h->fat_events->len * sizeof (ChkEvent)
         + (gsize) h->line_runs->len * sizeof (ChkLineRun)
         + (gsize) h->column_runs->len * sizeof (uint32_t)
         + (gsize) h->value_blocks->len * CHK_VALUE_BLOCK * sizeof (ChkValue)
         + h->string_bytes + (gsize) h->strings->len * (sizeof (gpointer) + 1)
         + (gsize) h->n_string_slots * sizeof (uint32_t)
         + (gsize) h->sibling_sets->len * sizeof (int64_t)
         + (gsize) h->lists->len * sizeof (ChkValue);
}

/* Values kept whole are re-kept in the copy. */
static void
copy_ops (ChkHistory *dst, const ChkHistory *src)
{
  g_array_set_size (dst->ops, src->ops->len);
  if (src->ops->len > 0)
    memcpy (dst->ops->data, src->ops->data, (gsize) src->ops->len * sizeof (ChkOp));
  if (src->value_blocks->len == 0)
    return;
  for (guint k = 0; k < dst->ops->len; k++) {
    ChkOp *op = &g_array_index (dst->ops, ChkOp, k);
    if ((op->input.bits & 3) == CHK_REF_HEAP) {
      ChkValue v = chk_op_input (op);
      op->input = chk_history_value_ref (dst, &v);
    }
    if ((op->output.bits & 3) == CHK_REF_HEAP) {
      ChkValue v = chk_op_output (op);
      op->output = chk_history_value_ref (dst, &v);
    }
  }
}

static void
array_assign (GArray *dst, const GArray *src)
{
  g_array_set_size (dst, src->len);
  if (src->len > 0)
    memcpy (dst->data, src->data, (gsize) src->len * g_array_get_element_size ((GArray *) src));
}

void
chk_history_assign (ChkHistory *dst, const ChkHistory *src)
{
  gboolean same_strings = dst->strings->len == src->strings->len;
  for (guint i = 0; same_strings && i < src->strings->len; i++)
    same_strings = dst->string_tags->data[i] == src->string_tags->data[i]
                   && strcmp (g_ptr_array_index (dst->strings, i),
                              g_ptr_array_index (src->strings, i)) == 0;
  if (!same_strings) {
    g_ptr_array_set_size (dst->strings, 0);
    g_string_chunk_clear (dst->string_chunk);
    g_byte_array_set_size (dst->string_tags, 0);
    g_clear_pointer (&dst->string_slots, g_free);
    dst->n_string_slots = 0;
    dst->string_bytes = 0;
    /* Interning in the same order gives the same ids. */
    for (guint i = 0; i < src->strings->len; i++)
      chk_history_intern_tagged (dst, (char) src->string_tags->data[i],
                                 g_ptr_array_index (src->strings, i));
  }
  g_ptr_array_set_size (dst->value_blocks, 0);
  dst->n_block_values = 0;
  copy_ops (dst, src);
  array_assign (dst->event_refs, src->event_refs);
  array_assign (dst->fat_events, src->fat_events);
  array_assign (dst->line_runs, src->line_runs);
  array_assign (dst->column_runs, src->column_runs);
  g_free (dst->open_dense);
  dst->open_dense = src->n_open_dense > 0 ? g_memdup2 (src->open_dense, sizeof (guint)
                                                        * src->n_open_dense) : NULL;
  dst->n_open_dense = src->n_open_dense;
  g_clear_pointer (&dst->open_sparse, g_hash_table_unref);
  if (src->open_sparse != NULL) {
    dst->open_sparse = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
    GHashTableIter it; /* copied whole: the order does not matter */
    gpointer k, v;
    g_hash_table_iter_init (&it, src->open_sparse);
    while (g_hash_table_iter_next (&it, &k, &v))
      g_hash_table_insert (dst->open_sparse, g_memdup2 (k, sizeof (int64_t)), v);
  }
  dst->last_time_us = src->last_time_us;
  dst->last_time_line = src->last_time_line;
  g_free (dst->pair_error);
  dst->pair_error = g_strdup (src->pair_error);
  dst->pair_error_event = src->pair_error_event;
  array_assign (dst->sibling_sets, src->sibling_sets);
  array_assign (dst->lists, src->lists);
  if (g_strcmp0 (dst->source, src->source) != 0) {
    g_free (dst->source);
    dst->source = g_strdup (src->source);
  }
  dst->format = src->format;
}

ChkHistory *
chk_history_copy (const ChkHistory *h)
{
  ChkHistory *c = chk_history_new ();
  chk_history_assign (c, h);
  return c;
}

const char *
chk_type_name (ChkType t)
{
  switch (t) {
  case CHK_INVOKE: return "invoke";
  case CHK_OK: return "ok";
  case CHK_FAIL: return "fail";
  case CHK_INFO: return "info";
  }
  g_assert_not_reached ();
}

static const char *
fn_default_name (ChkFn f)
{
  switch (f) {
  case CHK_F_READ: return "read";
  case CHK_F_WRITE: return "write";
  case CHK_F_CAS: return "cas";
  case CHK_F_APPEND: return "append";
  case CHK_F_OTHER: return "other";
  }
  g_assert_not_reached ();
}

void
chk_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  const unsigned char *p = (const unsigned char *) s;
  while (*p) {
    /* Copy the run of characters that need no escape in one go. */
    const unsigned char *run = p;
    while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
      p++;
    if (p > run)
      g_string_append_len (out, (const char *) run, p - run);
    if (*p == '\0')
      break;
    if (*p >= 0x80) {
      /* Valid UTF-8 passes through; a byte that starts no valid sequence
       * becomes U+FFFD, so the output is always valid JSON text. */
      gunichar u = g_utf8_get_char_validated ((const char *) p, -1);
      if (u == (gunichar) -1 || u == (gunichar) -2) {
        g_string_append (out, "\\ufffd");
        p++;
      } else {
        const unsigned char *next = (const unsigned char *) g_utf8_next_char (p);
        g_string_append_len (out, (const char *) p, next - p);
        p = next;
      }
      continue;
    }
    switch (*p) {
    case '"': g_string_append (out, "\\\""); break;
    case '\\': g_string_append (out, "\\\\"); break;
    case '\n': g_string_append (out, "\\n"); break;
    case '\r': g_string_append (out, "\\r"); break;
    case '\t': g_string_append (out, "\\t"); break;
    default: {
      static const char hex[] = "0123456789abcdef";
      char esc[7] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0 };
      g_string_append (out, esc);
    }
    }
    p++;
  }
  g_string_append_c (out, '"');
}

/* A list as a JSON array, its items as values are written below. */
static void
json_list (const ChkHistory *h, int32_t id, GString *out)
{
  guint n;
  const ChkValue *items = chk_history_list (h, id, &n, NULL);
  g_string_append_c (out, '[');
  for (guint k = 0; k < n; k++) {
    const ChkValue *v = &items[k];
    if (k > 0)
      g_string_append_c (out, ',');
    switch (v->kind) {
    case CHK_VAL_INT: g_string_append_printf (out, "%" G_GINT64_FORMAT, v->i); break;
    case CHK_VAL_STR: chk_json_string (out, chk_history_string (h, v->s)); break;
    case CHK_VAL_PAIR: {
      g_autofree char *pair = chk_pair_text (v, "[", ",", "]", "null");
      g_string_append (out, pair);
      break;
    }
    case CHK_VAL_LIST: json_list (h, v->s, out); break;
    case CHK_VAL_NONE: case CHK_VAL_NIL: case CHK_VAL_SIBLINGS: /* not in a list */
      g_string_append (out, "null");
      break;
    }
  }
  g_string_append_c (out, ']');
}

void
chk_event_to_json (const ChkHistory *h, const ChkEvent *ev, GString *out)
{
  g_string_append_printf (out, "{\"process\":%" G_GINT64_FORMAT ",\"type\":\"%s\",\"f\":",
                          ev->process, chk_type_name (ev->type));
  chk_json_string (out, ev->f_name >= 0 && (guint) ev->f_name < h->strings->len
                        ? chk_history_string (h, ev->f_name)
                        : fn_default_name (ev->f));
  if (ev->key >= 0) {
    g_string_append (out, ",\"key\":");
    chk_json_string (out, chk_history_string (h, ev->key));
  }
  switch (ev->value.kind) {
  case CHK_VAL_NONE:
    break;
  case CHK_VAL_NIL:
    g_string_append (out, ",\"value\":null");
    break;
  case CHK_VAL_INT:
    g_string_append_printf (out, ",\"value\":%" G_GINT64_FORMAT, ev->value.i);
    break;
  case CHK_VAL_STR:
    g_string_append (out, ",\"value\":");
    chk_json_string (out, chk_history_string (h, ev->value.s));
    break;
  case CHK_VAL_PAIR: {
    g_autofree char *pair = chk_pair_text (&ev->value, "[", ",", "]", "null");
    g_string_append_printf (out, ",\"value\":%s", pair);
    break;
  }
  case CHK_VAL_SIBLINGS: {
    guint n;
    const int64_t *v = chk_history_siblings (h, ev->value.s, &n);
    g_string_append (out, ",\"value\":{\"siblings\":[");
    for (guint k = 0; k < n; k++)
      g_string_append_printf (out, "%s%" G_GINT64_FORMAT, k > 0 ? "," : "", v[k]);
    g_string_append (out, "]}");
    break;
  }
  case CHK_VAL_LIST:
    g_string_append (out, ",\"value\":");
    json_list (h, ev->value.s, out);
    break;
  }
  if (ev->time_us >= 0)
    g_string_append_printf (out, ",\"time\":%" G_GINT64_FORMAT, ev->time_us);
  if (ev->is_final)
    g_string_append (out, ",\"final\":true");
  if (ev->is_cas_mismatch)
    g_string_append (out, ",\"mismatch\":true");
  g_string_append_c (out, '}');
}

gboolean
chk_history_write_jsonl (const ChkHistory *h, FILE *out, GError **error)
{
  g_autoptr (GString) line = g_string_new (NULL);
  for (guint i = 0; i < chk_history_len (h); i++) {
    g_string_truncate (line, 0);
    ChkEvent ev = chk_history_event (h, i);
    chk_event_to_json (h, &ev, line);
    g_string_append_c (line, '\n');
    if (fwrite (line->str, 1, line->len, out) != line->len) {
      g_set_error (error, CHK_ERROR, CHK_ERROR_IO, "cannot write history: %s",
                   g_strerror (errno));
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
chk_read_input_file (const char *path, const char *what, gsize max_bytes, char **data,
                     gsize *len, GError **error)
{
  *data = NULL;
  *len = 0;
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error (error, CHK_ERROR, CHK_ERROR_IO, "cannot read %s: %s", path, g_strerror (e));
    return FALSE;
  }
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
    close (fd);
    g_set_error (error, CHK_ERROR, CHK_ERROR_IO, "cannot read %s: not a regular file "
                 "(a FIFO, a device or a directory); the %s must be a file", path, what);
    return FALSE;
  }
  if (max_bytes > 0 && (guint64) st.st_size > max_bytes) {
    close (fd);
    g_set_error (error, CHK_ERROR, CHK_ERROR_LIMIT, "%s %s is %" G_GUINT64_FORMAT
                 " bytes, over the limit of %" G_GSIZE_FORMAT " bytes", what, path,
                 (guint64) st.st_size, max_bytes);
    return FALSE;
  }
  /* Read what is there, never more than the cap (a file may grow). */
  gsize cap = max_bytes > 0 ? max_bytes : G_MAXSIZE - 1;
  GString *buf = g_string_sized_new (MIN ((gsize) st.st_size, cap) + 1);
  char chunk[65536];
  for (;;) {
    ssize_t n = read (fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close (fd);
      g_string_free (buf, TRUE);
      g_set_error (error, CHK_ERROR, CHK_ERROR_IO, "cannot read %s: %s", path, g_strerror (e));
      return FALSE;
    }
    if (n == 0)
      break;
    if (buf->len + (gsize) n > cap) {
      close (fd);
      g_string_free (buf, TRUE);
      g_set_error (error, CHK_ERROR, CHK_ERROR_LIMIT, "%s %s is over the limit of %"
                   G_GSIZE_FORMAT " bytes", what, path, max_bytes);
      return FALSE;
    }
    g_string_append_len (buf, chunk, n);
  }
  close (fd);
  *len = buf->len;
  *data = g_string_free (buf, FALSE);
  return TRUE;
}

char *
chk_pair_text (const ChkValue *v, const char *open, const char *sep, const char *close,
               const char *nil)
{
  GString *out = g_string_new (open);
  if (chk_pair_is_nil (v, CHK_PAIR_NIL_FIRST))
    g_string_append (out, nil);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT, v->i);
  g_string_append (out, sep);
  if (chk_pair_is_nil (v, CHK_PAIR_NIL_SECOND))
    g_string_append (out, nil);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT, v->j);
  g_string_append (out, close);
  return g_string_free (out, FALSE);
}
