/* cons_hist.c: the history as the consistency models see it: dense ids,
 * values interned per key, each read linked to the write it read from. */
#include "checkers/cons_internal.h"

#include <string.h>

static guint
event_line (const ChkHistory *h, int64_t event)
{
  if (h == NULL || event < 0 || (guint64) event >= chk_history_len (h))
    return 0;
  return chk_history_event (h, (guint) event).line;
}

static const char *
source_name (const ChkHistory *h)
{
  return h != NULL && h->source != NULL ? h->source : "history";
}

static ChkValue
op_value (const ChkOp *o)
{
  return o->f == CHK_F_WRITE ? chk_op_input (o) : chk_op_output (o);
}

static gboolean
value_is_nil (const ChkValue *v)
{
  return v->kind == CHK_VAL_NONE || v->kind == CHK_VAL_NIL;
}

/* A text that identifies (key, value) exactly. */
static char *
value_ident (int32_t key, const ChkValue *v)
{
  switch (v->kind) {
  case CHK_VAL_NONE:
  case CHK_VAL_NIL:
    return g_strdup_printf ("%d:nil", key);
  case CHK_VAL_INT:
    return g_strdup_printf ("%d:i%" G_GINT64_FORMAT, key, v->i);
  case CHK_VAL_STR:
    return g_strdup_printf ("%d:s%d", key, v->s);
  case CHK_VAL_PAIR:
  {
    g_autofree char *pair = chk_pair_text (v, "p", ",", "", "nil");
    return g_strdup_printf ("%d:%s", key, pair);
  }
  case CHK_VAL_SIBLINGS: case CHK_VAL_LIST:
    break; /* refused by chk_consistency_check */
  }
  g_assert_not_reached ();
}

void
cons_hist_free (ConsHist *c)
{
  if (c == NULL)
    return;
  g_free (c->op);
  g_free (c->proc);
  g_free (c->pos);
  g_free (c->key);
  g_free (c->val);
  g_free (c->is_write);
  g_free (c->src);
  for (guint p = 0; p < c->n_proc; p++)
    g_array_unref (c->by_proc[p]);
  g_free (c->by_proc);
  g_free (c);
}

ConsHist *
cons_hist_new (const ChkHistory *h, const GArray *ops, gboolean need_diff, GError **error)
{
  guint n_ops = ops->len;
  g_autoptr (GHashTable) val_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) key_ids = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr (GHashTable) proc_ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree int *op_val = g_new0 (int, n_ops);
  g_autofree gboolean *val_read = NULL;
  guint n_val = 1; /* 0: nil, the initial value of every key */
  guint n_key = 0;

  /* Pass 1: which operations take part, and their values. */
  for (guint i = 0; i < n_ops; i++) {
    const ChkOp *o = &g_array_index (ops, ChkOp, i);
    op_val[i] = -1;
    if (o->status == CHK_OP_FAIL)
      continue;
    if (o->f != CHK_F_READ && o->f != CHK_F_WRITE) {
      static const char *names[] = { "read", "write", "cas", "append", "other" };
      ChkEvent ev_ev = chk_history_event (h, (guint) o->call);
      const ChkEvent *ev = &ev_ev;
      const char *name = ev->f_name >= 0 && (guint) ev->f_name < h->strings->len
        ? chk_history_string (h, ev->f_name) : names[o->f];
      g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                   "%s:%u: operation '%s' of process %" G_GINT64_FORMAT ": the consistency "
                   "models other than linearizability take reads and writes only",
                   source_name (h), event_line (h, o->call), name, ev->process);
      return NULL;
    }
    if (o->f == CHK_F_READ && o->status != CHK_OP_OK)
      continue; /* an info read carries no information */
    if (!g_hash_table_contains (key_ids, GINT_TO_POINTER (o->key + 1)))
      g_hash_table_insert (key_ids, GINT_TO_POINTER (o->key + 1), GUINT_TO_POINTER (n_key++));
    ChkValue ov = op_value (o);
    const ChkValue *v = &ov;
    if (value_is_nil (v)) {
      if (o->f == CHK_F_WRITE && need_diff) {
        g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                     "%s:%u: a write of nil cannot be told apart from the initial "
                     "value nil: this model needs a differentiated history "
                     "(each write of a key has its own value)",
                     source_name (h), event_line (h, o->call));
        return NULL;
      }
      op_val[i] = 0;
      continue;
    }
    char *ident = value_ident (o->key, v);
    gpointer found = g_hash_table_lookup (val_ids, ident);
    if (found != NULL) {
      op_val[i] = GPOINTER_TO_INT (found);
      g_free (ident);
    } else {
      op_val[i] = (int) n_val;
      g_hash_table_insert (val_ids, ident, GINT_TO_POINTER (n_val));
      n_val++;
    }
  }
  val_read = g_new0 (gboolean, n_val);
  for (guint i = 0; i < n_ops; i++) {
    const ChkOp *o = &g_array_index (ops, ChkOp, i);
    if (op_val[i] >= 0 && o->f == CHK_F_READ)
      val_read[op_val[i]] = TRUE;
  }

  ConsHist *c = g_new0 (ConsHist, 1);
  c->h = h;
  c->ops = ops;
  c->op = g_new (guint, n_ops);
  c->proc = g_new (int, n_ops);
  c->pos = g_new (int, n_ops);
  c->key = g_new (int, n_ops);
  c->val = g_new (int, n_ops);
  c->is_write = g_new (gboolean, n_ops);
  c->src = g_new (int, n_ops);
  c->n_val = n_val;
  c->n_key = n_key;
  c->is_differentiated = TRUE;
  g_autofree int *writer = g_new (int, n_val); /* value -> kept write */
  for (guint v = 0; v < n_val; v++)
    writer[v] = -1;
  GArray *procs = g_array_new (FALSE, FALSE, sizeof (GArray *));

  /* Pass 2: keep them; an info write counts only if its value was read. */
  for (guint i = 0; i < n_ops; i++) {
    const ChkOp *o = &g_array_index (ops, ChkOp, i);
    if (op_val[i] < 0)
      continue;
    gboolean is_write = o->f == CHK_F_WRITE;
    if (is_write && o->status != CHK_OP_OK && !val_read[op_val[i]])
      continue;
    guint k = c->n++;
    c->op[k] = i;
    c->key[k] = GPOINTER_TO_INT (g_hash_table_lookup (key_ids, GINT_TO_POINTER (o->key + 1)));
    c->val[k] = op_val[i];
    c->is_write[k] = is_write;
    c->src[k] = -1;
    gpointer pid = g_hash_table_lookup (proc_ids, &o->process);
    guint p;
    if (pid == NULL) {
      p = procs->len;
      int64_t *keyp = g_new (int64_t, 1);
      *keyp = o->process;
      g_hash_table_insert (proc_ids, keyp, GUINT_TO_POINTER (p + 1));
      GArray *list = g_array_new (FALSE, FALSE, sizeof (guint));
      g_array_append_val (procs, list);
    } else {
      p = GPOINTER_TO_UINT (pid) - 1;
    }
    GArray *list = g_array_index (procs, GArray *, p);
    c->proc[k] = (int) p;
    c->pos[k] = (int) list->len;
    g_array_append_val (list, k);
    if (is_write && op_val[i] > 0) {
      if (writer[op_val[i]] >= 0) {
        c->is_differentiated = FALSE;
        if (need_diff) {
          const ChkOp *first = &g_array_index (ops, ChkOp, c->op[writer[op_val[i]]]);
          g_autofree char *kv = cons_kv (c, (int) k);
          g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                       "%s:%u: %s was already written at line %u: this model needs a "
                       "differentiated history (each write of a key has its own "
                       "value); the sequential and eventual models accept this one",
                       source_name (h), event_line (h, o->call), kv,
                       event_line (h, first->call));
          c->n_proc = procs->len;
          c->by_proc = (GArray **) g_array_free (procs, FALSE);
          cons_hist_free (c);
          return NULL;
        }
      } else {
        writer[op_val[i]] = (int) k;
      }
    }
  }
  c->n_proc = procs->len;
  c->by_proc = (GArray **) g_array_free (procs, FALSE);
  for (guint k = 0; k < c->n; k++) {
    if (c->is_write[k])
      continue;
    if (c->val[k] == 0)
      c->src[k] = CONS_SRC_INIT;
    else
      c->src[k] = writer[c->val[k]] >= 0 ? writer[c->val[k]] : CONS_SRC_THIN_AIR;
  }
  return c;
}
