/* ops.c: pairs invocations with completions (see ops.h). */
#include "checkers/ops.h"

G_STATIC_ASSERT (sizeof (ChkOp) <= 104); /* one per operation of a loaded history */

static const char *
fn_text (const ChkHistory *h, const ChkEvent *ev)
{
  static const char *const names[] = { "read", "write", "cas", "append", "other" };
  if (ev->f_name >= 0)
    return chk_history_string (h, ev->f_name);
  return names[ev->f];
}

static void
set_line_error (const ChkHistory *h, const ChkEvent *ev, GError **error, const char *what)
{
  const char *src = h->source != NULL ? h->source : "<history>";
  if (ev->line > 0)
    g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT, "%s:%u:%u: %s", src, ev->line,
                 ev->column > 0 ? ev->column : 1, what);
  else
    g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT, "%s: event %" G_GINT64_FORMAT ": %s", src,
                 ev->index, what);
}

GArray *
chk_history_ops (const ChkHistory *h, GError **error)
{
  g_autoptr (GArray) ops = g_array_sized_new (FALSE, FALSE, sizeof (ChkOp),
                                              chk_history_len (h) / 2 + 1);
  /* process -> index in ops + 1 of its open invocation: an array when the
   * process numbers are small, as they usually are, else a table. */
  int64_t max_process = -1;
  gboolean dense = TRUE;
  for (guint k = 0; k < chk_history_len (h) && dense; k++) {
    int64_t p = chk_history_get (h, k)->process;
    dense = p >= 0 && p < 4 * (int64_t) chk_history_len (h) + 1024;
    max_process = MAX (max_process, p);
  }
  g_autofree guint *open_by_process = dense ? g_new0 (guint, max_process + 1) : NULL;
  g_autoptr (GHashTable) open = dense ? NULL : g_hash_table_new (g_int64_hash, g_int64_equal);
  /* Line order is the order things happened; times must agree with it, or
   * the checks (which follow the lines) and their explanations (which quote
   * the times) would tell two different stories. */
  int64_t last_time = -1;
  uint32_t last_time_line = 0;
  for (guint k = 0; k < chk_history_len (h); k++) {
    const ChkEvent *ev = chk_history_get (h, k);
    if (ev->time_us >= 0 && ev->time_us < last_time) {
      g_autofree char *msg = g_strdup_printf (
        "time %" G_GINT64_FORMAT " us is before time %" G_GINT64_FORMAT " us of line %u "
        "(expected events in the order they happened, times never going back)",
        ev->time_us, last_time, last_time_line);
      set_line_error (h, ev, error, msg);
      return NULL;
    }
    if (ev->time_us >= 0) {
      last_time = ev->time_us;
      last_time_line = ev->line;
    }
    gpointer found = dense ? GUINT_TO_POINTER (open_by_process[ev->process])
                           : g_hash_table_lookup (open, &ev->process);
    if (ev->type == CHK_INVOKE) {
      if (found != NULL) {
        const ChkOp *prev = &g_array_index (ops, ChkOp, GPOINTER_TO_UINT (found) - 1);
        const ChkEvent *pev = chk_history_get (h, (guint) prev->call);
        g_autofree char *msg = g_strdup_printf (
          "process %" G_GINT64_FORMAT " invokes %s while its %s invoked at line %u has not "
          "completed (expected a completion first: one operation at a time per process)",
          ev->process, fn_text (h, ev), fn_text (h, pev), pev->line);
        set_line_error (h, ev, error, msg);
        return NULL;
      }
      ChkOp op = {
        .process = ev->process, .f = ev->f, .key = ev->key, .input = ev->value,
        .output = { .kind = CHK_VAL_NONE, .s = -1 }, .status = CHK_OP_INFO,
        .call = k, .ret = G_MAXINT64, .call_time_us = ev->time_us, .ret_time_us = -1,
        .is_final = ev->is_final, .info_event = -1,
      };
      g_array_append_val (ops, op);
      /* the key points into the event array, which outlives this table */
      if (dense)
        open_by_process[ev->process] = ops->len;
      else
        g_hash_table_insert (open, (gpointer) &ev->process, GUINT_TO_POINTER (ops->len));
      continue;
    }
    if (found == NULL) {
      g_autofree char *msg = g_strdup_printf (
        "process %" G_GINT64_FORMAT " completes %s (%s) but has no open invocation "
        "(expected an invoke before it)", ev->process, fn_text (h, ev), chk_type_name (ev->type));
      set_line_error (h, ev, error, msg);
      return NULL;
    }
    ChkOp *op = &g_array_index (ops, ChkOp, GPOINTER_TO_UINT (found) - 1);
    const ChkEvent *inv = chk_history_get (h, (guint) op->call);
    if (ev->f != inv->f || (ev->f == CHK_F_OTHER && ev->f_name != inv->f_name)) {
      g_autofree char *msg = g_strdup_printf (
        "process %" G_GINT64_FORMAT " completes %s but its open invocation at line %u is %s "
        "(expected the same function)", ev->process, fn_text (h, ev), inv->line,
        fn_text (h, inv));
      set_line_error (h, ev, error, msg);
      return NULL;
    }
    if (ev->key >= 0 && inv->key >= 0 && ev->key != inv->key) {
      g_autofree char *msg = g_strdup_printf (
        "process %" G_GINT64_FORMAT " completes %s on key %s but its open invocation at line "
        "%u is on key %s (expected the same key)", ev->process, fn_text (h, ev),
        chk_history_string (h, ev->key), inv->line, chk_history_string (h, inv->key));
      set_line_error (h, ev, error, msg);
      return NULL;
    }
    if (dense)
      open_by_process[ev->process] = 0;
    else
      g_hash_table_remove (open, &ev->process);
    op->is_final = op->is_final || ev->is_final;
    op->is_cas_mismatch = ev->is_cas_mismatch;
    if (op->key < 0)
      op->key = ev->key;
    switch (ev->type) {
    case CHK_OK:
      op->status = CHK_OP_OK;
      op->output = ev->value;
      op->ret = k;
      op->ret_time_us = ev->time_us;
      break;
    case CHK_FAIL:
      op->status = CHK_OP_FAIL;
      op->output = ev->value;
      op->ret = k;
      op->ret_time_us = ev->time_us;
      break;
    case CHK_INFO:
      op->status = CHK_OP_INFO; /* effect unknown: returns at +infinity */
      op->info_event = k;
      break;
    case CHK_INVOKE:
      g_assert_not_reached ();
    }
  }
  return g_steal_pointer (&ops);
}

/* Items of a list shown before the rest is counted. */
#define CHK_DESCRIBE_ITEMS 24

char *
chk_value_describe (const ChkHistory *h, const ChkValue *v)
{
  switch (v->kind) {
  case CHK_VAL_NONE: return g_strdup ("");
  case CHK_VAL_NIL: return g_strdup ("nil");
  case CHK_VAL_INT: return g_strdup_printf ("%" G_GINT64_FORMAT, v->i);
  case CHK_VAL_STR: /* keywords and booleans as written, strings quoted */
    if (chk_history_string_tag (h, v->s) != 0)
      return g_strdup (chk_history_string (h, v->s));
    return g_strdup_printf ("\"%s\"", chk_history_string (h, v->s));
  case CHK_VAL_PAIR:
    return chk_pair_text (v, "[", " ", "]", "nil");
  case CHK_VAL_SIBLINGS: {
    guint n;
    const int64_t *vals = chk_history_siblings (h, v->s, &n);
    GString *s = g_string_new ("siblings {");
    for (guint k = 0; k < n; k++)
      g_string_append_printf (s, "%s%" G_GINT64_FORMAT, k > 0 ? " " : "", vals[k]);
    g_string_append_c (s, '}');
    return g_string_free (s, FALSE);
  }
  case CHK_VAL_LIST: { /* #{1 2} or [[:read :x 1] [:write :y 2]] */
    guint n;
    gboolean is_set;
    const ChkValue *items = chk_history_list (h, v->s, &n, &is_set);
    GString *s = g_string_new (is_set ? "#{" : "[");
    for (guint k = 0; k < n; k++) {
      /* A read of a million elements stays one readable line. */
      if (k == CHK_DESCRIBE_ITEMS && n > CHK_DESCRIBE_ITEMS + 1) {
        g_string_append_printf (s, " ... (%u %s)", n, is_set ? "elements" : "items");
        break;
      }
      g_autofree char *item = chk_value_describe (h, &items[k]);
      g_string_append_printf (s, "%s%s", k > 0 ? " " : "", item);
    }
    g_string_append_c (s, is_set ? '}' : ']');
    return g_string_free (s, FALSE);
  }
  }
  g_assert_not_reached ();
}

char *
chk_op_describe (const ChkHistory *h, const ChkOp *op)
{
  const ChkEvent *inv = chk_history_get (h, (guint) op->call);
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "process %" G_GINT64_FORMAT " %s", op->process, fn_text (h, inv));
  if (op->key >= 0)
    g_string_append_printf (s, " %s", chk_history_string (h, op->key));
  g_autofree char *in = chk_value_describe (h, &op->input);
  /* Other functions that return something (dequeue -> 3, a txn with the
   * values its reads returned) show what came back. */
  gboolean shows_output = op->f == CHK_F_OTHER && op->status == CHK_OP_OK
                          && op->output.kind != CHK_VAL_NONE
                          && (op->output.kind != op->input.kind || op->output.i != op->input.i
                              || op->output.j != op->input.j || op->output.s != op->input.s);
  if (shows_output && op->input.kind == CHK_VAL_LIST && op->output.kind == CHK_VAL_LIST) {
    g_autofree char *out = chk_value_describe (h, &op->output);
    g_string_append_printf (s, " %s", out);
  } else if (shows_output) {
    g_autofree char *out = chk_value_describe (h, &op->output);
    if (op->input.kind != CHK_VAL_NIL && in[0] != '\0')
      g_string_append_printf (s, " %s", in);
    g_string_append_printf (s, " -> %s", out);
  } else if (op->f != CHK_F_READ && in[0] != '\0')
    g_string_append_printf (s, " %s", in);
  if (op->f == CHK_F_READ && op->status == CHK_OP_OK) {
    g_autofree char *out = chk_value_describe (h, &op->output);
    g_string_append_printf (s, " -> %s", out);
  }
  g_string_append (s, " (");
  if (op->status == CHK_OP_FAIL)
    g_string_append (s, "failed, ");
  if (op->status == CHK_OP_INFO) {
    g_string_append_printf (s, "line %u, outcome unknown)", inv->line);
  } else {
    const ChkEvent *ret = chk_history_get (h, (guint) op->ret);
    g_string_append_printf (s, "lines %u-%u)", inv->line, ret->line);
  }
  return g_string_free (g_steal_pointer (&s), FALSE);
}
