/* ops.c: pairs invocations with completions (see ops.h). */
#include "checkers/ops.h"


GArray *
chk_history_ops (const ChkHistory *h, GError **error)
{
  if (h->pair_error != NULL) {
    /* chk_history_append found it; the message names the place now, with
     * the history's source as it is. */
    ChkEvent ev = chk_history_event (h, h->pair_error_event);
    const char *src = h->source != NULL ? h->source : "<history>";
    if (ev.line > 0)
      g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT, "%s:%u:%u: %s", src, ev.line,
                   ev.column > 0 ? ev.column : 1, h->pair_error);
    else
      g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT, "%s: event %" G_GINT64_FORMAT ": %s", src,
                   ev.index, h->pair_error);
    return NULL;
  }
  return g_array_ref (h->ops);
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
  ChkEvent inv_ev = chk_history_event (h, (guint) op->call);
  const ChkEvent *inv = &inv_ev;
  ChkValue op_input = chk_op_input (op), op_output = chk_op_output (op);
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "process %" G_GINT64_FORMAT " %s", op->process, chk_event_fn_text (h, inv));
  if (op->key >= 0)
    g_string_append_printf (s, " %s", chk_history_string (h, op->key));
  g_autofree char *in = chk_value_describe (h, &op_input);
  /* Other functions that return something (dequeue -> 3, a txn with the
   * values its reads returned) show what came back. */
  gboolean shows_output = op->f == CHK_F_OTHER && op->status == CHK_OP_OK
                          && op_output.kind != CHK_VAL_NONE
                          && (op_output.kind != op_input.kind || op_output.i != op_input.i
                              || op_output.j != op_input.j || op_output.s != op_input.s);
  if (shows_output && op_input.kind == CHK_VAL_LIST && op_output.kind == CHK_VAL_LIST) {
    g_autofree char *out = chk_value_describe (h, &op_output);
    g_string_append_printf (s, " %s", out);
  } else if (shows_output) {
    g_autofree char *out = chk_value_describe (h, &op_output);
    if (op_input.kind != CHK_VAL_NIL && in[0] != '\0')
      g_string_append_printf (s, " %s", in);
    g_string_append_printf (s, " -> %s", out);
  } else if (op->f != CHK_F_READ && in[0] != '\0')
    g_string_append_printf (s, " %s", in);
  if (op->f == CHK_F_READ && op->status == CHK_OP_OK) {
    g_autofree char *out = chk_value_describe (h, &op_output);
    g_string_append_printf (s, " -> %s", out);
  }
  g_string_append (s, " (");
  if (op->status == CHK_OP_FAIL)
    g_string_append (s, "failed, ");
  if (op->status == CHK_OP_INFO) {
    g_string_append_printf (s, "line %u, outcome unknown)", inv->line);
  } else {
    ChkEvent ret = chk_history_event (h, (guint) op->ret);
    g_string_append_printf (s, "lines %u-%u)", inv->line, ret.line);
  }
  return g_string_free (g_steal_pointer (&s), FALSE);
}
