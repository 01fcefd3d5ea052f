/* linearizable.c: the "linearizable" model: splits a history into
 * independent parts (one per key), compiles each for the search
 * (lin_search.c), runs them, and turns the result into a report with an
 * explanation. */
#include "checkers/linearizable.h"
#include "checkers/lin_explain.h"
#include "checkers/lin_search.h"
#include "checkers/lin_coll_fast.h"
#include "checkers/lin_model_coll.h"
#include "checkers/lin_model_mutex.h"
#include "checkers/lin_zones.h"

#include <string.h>

/* A part smaller than this is checked on the calling thread: starting a
 * thread costs more than checking it. */
#define LIN_THREAD_MIN_OPS 512

typedef struct {
  int32_t key;        /* the part's key; -1: unkeyed or all keys (no_split) */
  const GArray *indices; /* int64 op indices, in invocation order (borrowed) */
  GHashTable *slot_of;   /* no_split: key -> slot (borrowed), else NULL */
  GArray *lops;       /* LinOp; compiled when the part is run */
  gboolean owns_model; /* else the model is shared by parts run one by one */
  LinModel *model;
  guint n_slots;
  LinSearch search;
  gboolean done;
  gboolean by_zones;   /* decided by the zone test, not the search */
  LinZonesWitness witness; /* by_zones violation: its proof */
  gboolean by_patterns; /* decided by lin_coll_fast, not the search */
  LinFastWitness fast_witness; /* by_patterns violation: its proof */
  volatile int cancel; /* a part with a lower key found a violation */
  gboolean is_unsearched; /* a violation found without the search */
} Part;

static void
part_free (Part *p)
{
  if (p->lops != NULL)
    g_array_unref (p->lops);
  if (p->owns_model)
    lin_model_free (p->model);
  if (p->search.order != NULL)
    g_array_unref (p->search.order);
  g_free (p);
}

/* Keys in a deterministic order: unkeyed first, then by name. */
static int
key_cmp (int32_t a, int32_t b, const ChkHistory *h)
{
  if (a == b)
    return 0;
  if (a < 0 || b < 0)
    return a < 0 ? -1 : 1;
  return strcmp (chk_history_string (h, a), chk_history_string (h, b));
}

static gint
key_sort (gconstpointer a, gconstpointer b, gpointer data)
{
  return key_cmp (*(const int32_t *) a, *(const int32_t *) b, data);
}

/* The text of a value for kv: strings as they are, numbers in decimal,
 * nil and none as "". */
static char *
kv_text (const ChkHistory *h, const ChkValue *v)
{
  switch (v->kind) {
  case CHK_VAL_STR: return g_strdup (chk_history_string (h, v->s));
  case CHK_VAL_INT: return g_strdup_printf ("%" G_GINT64_FORMAT, v->i);
  case CHK_VAL_PAIR: return chk_pair_text (v, "", " ", "", "nil");
  case CHK_VAL_NIL: case CHK_VAL_NONE: return g_strdup ("");
  case CHK_VAL_SIBLINGS: case CHK_VAL_LIST: break; /* refused by chk_linearizable_check */
  }
  g_assert_not_reached ();
}

static uint32_t
register_value (LinModel *m, const ChkValue *v)
{
  switch (v->kind) {
  case CHK_VAL_NIL: case CHK_VAL_NONE: return 0;
  case CHK_VAL_INT: return lin_model_value_id (m, CHK_LIN_VALUE_INT, v->i, 0);
  case CHK_VAL_STR: return lin_model_value_id (m, CHK_LIN_VALUE_STR, v->s, 0);
  case CHK_VAL_PAIR: return lin_model_value_id (m, CHK_LIN_VALUE_PAIR, v->i, v->j);
  case CHK_VAL_SIBLINGS: case CHK_VAL_LIST: break; /* refused by chk_linearizable_check */
  }
  g_assert_not_reached ();
}

typedef struct {
  uint8_t kind;
  uint32_t slot, a, b;
} EquivKey;

static guint
equiv_hash (gconstpointer p)
{
  const EquivKey *k = p;
  return (guint) (k->kind * 0x9e3779b1u ^ k->slot * 0x85ebca6bu ^ k->a * 0xc2b2ae35u
                  ^ k->b * 0x27d4eb2fu);
}

static gboolean
equiv_equal (gconstpointer x, gconstpointer y)
{
  const EquivKey *a = x, *b = y;
  return a->kind == b->kind && a->slot == b->slot && a->a == b->a && a->b == b->b;
}

/* Operations that take part in the search: a failed one never happened
 * (unless Porcupine's failed cas, which compared); a read with an unknown
 * result constrains nothing; an info cas that would write the value it
 * expects changes nothing either way. */
static gboolean
op_is_live (const ChkOp *op)
{
  if (op->status == CHK_OP_FAIL && !op->is_cas_mismatch)
    return FALSE;
  if (op->f == CHK_F_READ && (op->status != CHK_OP_OK || chk_op_output (op).kind == CHK_VAL_NONE))
    return FALSE;
  if (op->f == CHK_F_CAS && op->status == CHK_OP_INFO && chk_op_input (op).i == chk_op_input (op).j
      && chk_pair_is_nil ((ChkValue[]) { chk_op_input (op) }, CHK_PAIR_NIL_FIRST)
           == chk_pair_is_nil ((ChkValue[]) { chk_op_input (op) }, CHK_PAIR_NIL_SECOND))
    return FALSE;
  return TRUE;
}

/* What the part's completed operations observed, per key slot: an
 * operation of unknown outcome whose effect nobody could have seen need
 * not take effect, so the search leaves it out.
 *
 * kv: a get linearized after an append, with no put in between, returns a
 * value that contains the appended text; after a put, one that starts with
 * it.  So an open append whose text is in no get of its key, or an open
 * put whose value begins no get of its key, is followed by no get until
 * the value is replaced: dropping it changes no get's value.  Registers:
 * an open write of v (or cas to v) changes what a later read or cas
 * observes only if one of them reads or expects v, or if a failed cas
 * (which needs the value to differ from what it expected) could rely on
 * it; with neither, dropping it keeps every linearization valid. */
typedef struct {
  GHashTable *seen;     /* registers: (slot << 32 | value id) read or expected */
  GHashTable *mismatch; /* registers: slots with a failed cas */
  GPtrArray *gets;      /* kv: per slot, a GArray of distinct get text ids */
} Observed;

static void
observed_clear (Observed *o)
{
  g_clear_pointer (&o->seen, g_hash_table_unref);
  g_clear_pointer (&o->mismatch, g_hash_table_unref);
  g_clear_pointer (&o->gets, g_ptr_array_unref);
}

static void
observed_add_get (Observed *o, uint32_t slot, uint32_t text)
{
  while (o->gets->len <= slot)
    g_ptr_array_add (o->gets, g_array_new (FALSE, FALSE, sizeof (uint32_t)));
  uint64_t key = (uint64_t) slot << 32 | text;
  if (!g_hash_table_add (o->seen, g_memdup2 (&key, sizeof key)))
    return;
  g_array_append_val (g_ptr_array_index (o->gets, slot), text);
}

static void
observed_add_value (Observed *o, uint32_t slot, uint32_t value)
{
  uint64_t key = (uint64_t) slot << 32 | value;
  g_hash_table_add (o->seen, g_memdup2 (&key, sizeof key));
}

/* TRUE if the open operation `lo` may have been seen (see Observed). */
static gboolean
observed_may_see (const Observed *o, const LinModel *m, const LinOp *lo)
{
  if (lin_model_is_kv (m)) {
    if (lo->slot >= o->gets->len)
      return FALSE;
    const GArray *gets = g_ptr_array_index (o->gets, lo->slot);
    const char *text = lin_model_text (m, lo->a);
    if (text[0] == '\0')
      return TRUE;
    gsize len = strlen (text);
    for (guint k = 0; k < gets->len; k++) {
      const char *got = lin_model_text (m, g_array_index (gets, uint32_t, k));
      if (lo->kind == LIN_WRITE ? strncmp (got, text, len) == 0 : strstr (got, text) != NULL)
        return TRUE;
    }
    return FALSE;
  }
  if (g_hash_table_contains (o->mismatch, GUINT_TO_POINTER (lo->slot + 1)))
    return TRUE;
  uint64_t key = (uint64_t) lo->slot << 32 | (lo->kind == LIN_WRITE ? lo->a : lo->b);
  return g_hash_table_contains (o->seen, &key);
}

/* op_is_live, and the collection models' own rule (lin_coll_is_live). */
static gboolean
op_is_live_in (const ChkHistory *h, const ChkOp *op, ChkKind kind)
{
  return op_is_live (op)
         && (lin_coll_kind_of (kind) == LIN_COLL_NONE
             || lin_coll_is_live (h, op, lin_coll_kind_of (kind)));
}

/* A model for `kind` over n_slots keys. */
static LinModel *
model_new (ChkKind kind, guint n_slots)
{
  LinModel *m = lin_model_new (kind == CHK_KIND_KV, n_slots);
  if (lin_coll_kind_of (kind) != LIN_COLL_NONE)
    lin_model_set_coll (m, lin_coll_kind_of (kind));
  return m;
}

/* Compiles the part's operations for the search, with `model` (NULL: its
 * own). */
static void
part_compile (Part *p, const ChkHistory *h, const GArray *ops, ChkKind kind, LinModel *model)
{
  const GArray *indices = p->indices;
  GHashTable *slot_of = p->slot_of;
  gboolean is_kv = kind == CHK_KIND_KV;
  gboolean is_coll = lin_coll_kind_of (kind) != LIN_COLL_NONE;
  p->owns_model = model == NULL;
  p->model = model != NULL ? model : model_new (kind, p->n_slots);
  /* Compiled in place; the operations of unknown outcome nobody could
   * have seen are taken out afterwards, if there are any. */
  p->lops = g_array_sized_new (FALSE, FALSE, sizeof (LinOp), indices->len);
  GArray *all = p->lops;
  gboolean any_open = FALSE;
  for (guint k = 0; k < indices->len; k++) {
    int64_t idx = g_array_index (indices, int64_t, k);
    const ChkOp *op = &g_array_index (ops, ChkOp, idx);
    if (!op_is_live_in (h, op, kind))
      continue;
    LinOp lo = {
      .op = idx, .call = op->call, .ret = op->status == CHK_OP_INFO ? G_MAXINT64 : op->ret,
      .prev_equiv = -1,
    };
    if (slot_of != NULL)
      lo.slot = GPOINTER_TO_UINT (g_hash_table_lookup (slot_of, GINT_TO_POINTER (op->key)));
    if (is_coll)
      lin_coll_compile (p->model, h, op, &lo);
    else switch (op->f) {
    case CHK_F_READ:
      lo.kind = LIN_READ;
      if (is_kv) {
        g_autofree char *t = kv_text (h, (ChkValue[]) { chk_op_output (op) });
        lo.a = lin_model_text_id (p->model, t);
      } else {
        lo.a = register_value (p->model, (ChkValue[]) { chk_op_output (op) });
      }
      break;
    case CHK_F_WRITE:
    case CHK_F_APPEND: {
      lo.kind = op->f == CHK_F_WRITE ? LIN_WRITE : LIN_APPEND;
      if (is_kv) {
        g_autofree char *t = kv_text (h, (ChkValue[]) { chk_op_input (op) });
        lo.a = lin_model_text_id (p->model, t);
      } else {
        lo.a = register_value (p->model, (ChkValue[]) { chk_op_input (op) });
      }
      break;
    }
    case CHK_F_CAS:
      g_assert (chk_op_input (op).kind == CHK_VAL_PAIR); /* checked before */
      { /* either side may be nil (id 0): cas [nil 3] creates the register */
        ChkValue expect = chk_pair_side ((ChkValue[]) { chk_op_input (op) }, CHK_PAIR_NIL_FIRST);
        ChkValue next = chk_pair_side ((ChkValue[]) { chk_op_input (op) }, CHK_PAIR_NIL_SECOND);
        lo.a = register_value (p->model, &expect);
        lo.b = register_value (p->model, &next);
      }
      lo.kind = op->status == CHK_OP_FAIL ? LIN_CAS_MISMATCH
                : op->status == CHK_OP_INFO ? LIN_CAS_UNKNOWN : LIN_CAS;
      break;
    case CHK_F_OTHER: /* chk_kind_detect let only the mutex's through */
      lin_mutex_compile (p->model,
                         chk_history_string (h, chk_history_event (h, (guint) op->call).f_name),
                         &lo);
      if (op->status == CHK_OP_INFO) /* it may have taken effect, or not */
        lo.kind = LIN_CAS_UNKNOWN;
      break;
    }
    any_open |= lo.ret == G_MAXINT64 && lo.kind != LIN_READ;
    g_array_append_val (all, lo);
  }
  if (!any_open)
    return; /* nothing to leave out, no identical open operations */
  Observed seen = {
    .seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL),
    .mismatch = g_hash_table_new (NULL, NULL),
    .gets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref),
  };
  for (guint k = 0; k < all->len; k++) {
    const LinOp lo = g_array_index (all, LinOp, k);
    if (lo.kind == LIN_READ && is_kv)
      observed_add_get (&seen, lo.slot, lo.a);
    else if (lo.kind == LIN_READ || lo.kind == LIN_CAS || lo.kind == LIN_CAS_UNKNOWN)
      observed_add_value (&seen, lo.slot, lo.a);
    if (lo.kind == LIN_CAS_MISMATCH)
      g_hash_table_add (seen.mismatch, GUINT_TO_POINTER (lo.slot + 1));
  }
  g_autoptr (GHashTable) last_equiv = NULL; /* made on the first open operation */
  guint kept = 0;
  for (guint k = 0; k < all->len; k++) {
    LinOp lo = g_array_index (all, LinOp, k);
    if (any_open && !is_coll && lo.ret == G_MAXINT64 && lo.kind != LIN_READ
        && !observed_may_see (&seen, p->model, &lo))
      continue;
    if (lo.ret == G_MAXINT64) {
      if (last_equiv == NULL)
        last_equiv = g_hash_table_new_full (equiv_hash, equiv_equal, g_free, NULL);
      EquivKey key = { lo.kind, lo.slot, lo.a, lo.b };
      gpointer prev = g_hash_table_lookup (last_equiv, &key);
      if (prev != NULL)
        lo.prev_equiv = GPOINTER_TO_INT (prev) - 1;
      g_hash_table_insert (last_equiv, g_memdup2 (&key, sizeof key),
                           GINT_TO_POINTER ((int) kept + 1));
    }
    g_array_index (all, LinOp, kept++) = lo;
  }
  g_array_set_size (all, kept);
  observed_clear (&seen);
}

typedef struct {
  const ChkHistory *h;
  const GArray *ops;
  ChkKind kind;
  const ChkCheckOptions *opt;
  GPtrArray *parts;
  LinModel *shared;   /* one model for parts run one by one (values and
                       * strings are the same across keys); NULL on threads */
} RunContext;

static void
part_run (Part *p, const RunContext *rc)
{
  const ChkCheckOptions *opt = rc->opt;
  if (p->cancel) {
    p->search.result = LIN_RESULT_CANCELLED;
    return;
  }
  part_compile (p, rc->h, rc->ops, rc->kind, rc->shared);
  if (!opt->search_only && p->n_slots == 1
      && (rc->kind == CHK_KIND_REGISTER || rc->kind == CHK_KIND_CAS_REGISTER)) {
    LinZones z = { .ops = (const LinOp *) p->lops->data, .n_ops = p->lops->len,
                   .model = p->model, .memory_limit = opt->memory_limit_bytes };
    if (lin_zones_run (&z)) {
      p->search = (LinSearch) {
        .result = z.result, .order = z.order, .culprit = z.culprit, .state = z.state,
      };
      p->witness = z.witness;
      p->by_zones = TRUE;
      p->done = TRUE;
      return;
    }
  }
  p->search = (LinSearch) {
    .ops = (const LinOp *) p->lops->data, .n_ops = p->lops->len, .model = p->model,
    .n_slots = p->n_slots, .cancel = opt->cancel, .part_cancel = &p->cancel,
    .memory_limit = opt->memory_limit_bytes,
  };
  /* Collections: the polynomial test where it is exact, then a
   * completed operation no order can linearize, then the search. */
  gboolean is_coll = lin_model_coll (p->model) != LIN_COLL_NONE && p->n_slots == 1;
  LinCollFast fast = { .ops = (const LinOp *) p->lops->data, .n_ops = p->lops->len,
                       .model = p->model };
  if (is_coll && !opt->search_only && lin_coll_fast_run (&fast)) {
    p->search.result = fast.result;
    p->search.order = fast.order;
    p->search.culprit = fast.culprit;
    p->search.state = fast.state;
    p->fast_witness = fast.witness;
    p->by_patterns = TRUE;
    p->done = TRUE;
    return;
  }
  int32_t impossible = is_coll ? lin_coll_impossible (p->model, (const LinOp *) p->lops->data,
                                                      p->lops->len)
                               : -1;
  if (impossible >= 0) {
    /* A completed operation that no order can linearize: no search. */
    p->search.result = LIN_RESULT_VIOLATION;
    p->search.order = g_array_new (FALSE, FALSE, sizeof (uint32_t));
    p->search.culprit = impossible;
    p->search.state = 0;
    p->is_unsearched = TRUE;
  } else {
    lin_search_run (&p->search);
  }
  p->done = TRUE;
}

static void
pool_work (gpointer data, gpointer user)
{
  Part *p = data;
  const RunContext *sh = user;
  part_run (p, sh);
  if (p->search.result == LIN_RESULT_VIOLATION) {
    /* Parts with a higher key need not finish: the report names the
     * violation with the lowest key, whatever the thread timing. */
    gboolean after = FALSE;
    for (guint k = 0; k < sh->parts->len; k++) {
      Part *q = g_ptr_array_index (sh->parts, k);
      if (after)
        g_atomic_int_set (&q->cancel, 1);
      after = after || q == p;
    }
  }
}

static gint
size_desc (gconstpointer a, gconstpointer b, gpointer data)
{
  const Part *x = a, *y = b;
  return (x->indices->len < y->indices->len) - (x->indices->len > y->indices->len);
}

static void
run_parts (RunContext *rc)
{
  GPtrArray *parts = rc->parts;
  const ChkCheckOptions *opt = rc->opt;
  guint big = 0;
  for (guint k = 0; k < parts->len; k++)
    big += ((Part *) g_ptr_array_index (parts, k))->indices->len >= LIN_THREAD_MIN_OPS;
  if (opt->jobs <= 1 || big < 2) {
    for (guint k = 0; k < parts->len; k++) {
      if (rc->shared == NULL)
        rc->shared = model_new (rc->kind, ((Part *) g_ptr_array_index (parts, 0))->n_slots);
      Part *p = g_ptr_array_index (parts, k);
      part_run (p, rc);
      if (p->search.result == LIN_RESULT_VIOLATION)
        break; /* the lowest key fails: the rest cannot change the report */
    }
    return;
  }
  g_autoptr (GError) error = NULL;
  /* Worker threads around independent per-key checks; the report is
   * assembled in key order afterwards. */
  GThreadPool *pool = g_thread_pool_new (pool_work, (gpointer) rc, opt->jobs, TRUE, &error); /* dsim-allow-nondeterminism: independent per-key checks, results ordered by key */
  g_assert (pool != NULL);
  g_thread_pool_set_sort_function (pool, size_desc, NULL);
  for (guint k = 0; k < parts->len; k++)
    g_thread_pool_push (pool, g_ptr_array_index (parts, k), NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
}

typedef LinModel LinModelOwner;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LinModelOwner, lin_model_free)

static void
free_key_lists (GArray **by_key, guint n)
{
  for (guint k = 0; k < n; k++)
    if (by_key[k] != NULL)
      g_array_unref (by_key[k]);
}

ChkReport *
chk_linearizable_check (const ChkHistory *h, const GArray *ops, const ChkCheckOptions *opt,
                        GError **error)
{
  ChkKind kind;
  if (!chk_history_refuse_siblings (h, "linearizable", error))
    return NULL;
  if (!chk_kind_detect (h, ops, opt->kind, &kind, error))
    return NULL;
  if (lin_coll_kind_of (kind) != LIN_COLL_NONE
        ? !lin_coll_validate (h, ops, lin_coll_kind_of (kind), error)
        : !chk_history_refuse_lists (h, chk_kind_name (kind), error))
    return NULL;
  for (guint i = 0; i < ops->len; i++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, i);
    if (op->f == CHK_F_CAS && chk_op_input (op).kind != CHK_VAL_PAIR) {
      ChkEvent ev_ev = chk_history_event (h, (guint) op->call);
      const ChkEvent *ev = &ev_ev;
      g_set_error (error, CHK_ERROR, CHK_ERROR_INPUT,
                   "%s:%u:%u: expected a cas value [expected new] for process %" G_GINT64_FORMAT,
                   h->source != NULL ? h->source : "<history>", ev->line, MAX (ev->column, 1),
                   op->process);
      return NULL;
    }
  }
  g_autoptr (ChkReport) report = chk_report_new ("linearizable");
  report->kind = kind;

  /* Group op indices by key (key ids are small: index by key + 1), keys
   * sorted. */
  guint n_ids = h->strings->len + 1;
  g_autofree GArray **by_key = g_new0 (GArray *, n_ids);
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (int32_t));
  for (guint i = 0; i < ops->len; i++) {
    const ChkOp *op = &g_array_index (ops, ChkOp, i);
    g_assert (op->key >= -1 && (guint) (op->key + 1) < n_ids);
    GArray *list = by_key[op->key + 1];
    if (list == NULL) {
      list = by_key[op->key + 1] = g_array_new (FALSE, FALSE, sizeof (int64_t));
      g_array_append_val (keys, op->key);
    }
    int64_t idx = i;
    g_array_append_val (list, idx);
  }
  g_array_sort_with_data (keys, key_sort, (gpointer) h);

  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) part_free);
  g_autoptr (GHashTable) slot_of = NULL;
  g_autoptr (GArray) all = NULL;
  if (opt->no_split && keys->len > 1) {
    slot_of = g_hash_table_new (NULL, NULL);
    all = g_array_sized_new (FALSE, FALSE, sizeof (int64_t), ops->len);
    for (guint k = 0; k < keys->len; k++)
      g_hash_table_insert (slot_of, GINT_TO_POINTER (g_array_index (keys, int32_t, k)),
                           GUINT_TO_POINTER (k));
    for (guint i = 0; i < ops->len; i++) {
      int64_t idx = i;
      g_array_append_val (all, idx);
    }
    Part *p = g_new0 (Part, 1);
    p->key = -1;
    p->n_slots = keys->len;
    p->indices = all;
    p->slot_of = slot_of;
    g_ptr_array_add (parts, p);
  } else {
    for (guint k = 0; k < keys->len; k++) {
      int32_t key = g_array_index (keys, int32_t, k);
      Part *p = g_new0 (Part, 1);
      p->key = key;
      p->n_slots = 1;
      p->indices = by_key[key + 1];
      g_ptr_array_add (parts, p);
    }
  }
  report->n_parts = parts->len;
  for (guint i = 0; i < ops->len; i++)
    report->n_ops += op_is_live_in (h, &g_array_index (ops, ChkOp, i), kind);

  /* One cap for the whole check: the zone test and the search get what
   * the loaded history and the operation lists by key leave of it. */
  ChkCheckOptions capped = *opt;
  if (opt->memory_limit_bytes > 0) {
    gsize held = chk_history_memory_bytes (h) + (gsize) ops->len * sizeof (int64_t);
    capped.memory_limit_bytes = opt->memory_limit_bytes > held ? opt->memory_limit_bytes - held : 1;
  }
  RunContext rc = { .h = h, .ops = ops, .kind = kind, .opt = &capped, .parts = parts };
  run_parts (&rc);
  g_autoptr (LinModelOwner) shared = rc.shared;

  /* The report: the violation with the lowest key, else unknown if any part
   * did not finish, else ok. */
  const Part *failed = NULL, *unfinished = NULL;
  guint n_zones = 0, n_patterns = 0, n_search = 0;
  for (guint k = 0; k < parts->len; k++) {
    const Part *p = g_ptr_array_index (parts, k);
    n_zones += p->done && p->by_zones;
    n_patterns += p->done && p->by_patterns;
    n_search += p->done && !p->by_zones && !p->by_patterns;
    if (p->done) {
      report->states_explored += p->search.explored;
      report->memory_bytes = MAX (report->memory_bytes, p->search.memory_peak);
    }
    if (p->done && p->search.result == LIN_RESULT_VIOLATION && failed == NULL)
      failed = p;
    if (p->done && p->search.result != LIN_RESULT_OK && p->search.result != LIN_RESULT_VIOLATION
        && unfinished == NULL)
      unfinished = p;
  }
  if (failed != NULL) {
    report->verdict = CHK_VERDICT_VIOLATION;
    LinExplainPart ep = {
      .h = h, .ops = ops, .lops = (const LinOp *) failed->lops->data,
      .n_lops = failed->lops->len, .model = failed->model, .kind = kind, .key = failed->key,
      .order = failed->search.order, .culprit = failed->search.culprit,
      .state = failed->search.state,
    };
    if (failed->by_zones)
      lin_explain_zones (&ep, &failed->witness, report);
    else if (failed->by_patterns)
      lin_explain_coll_fast (&ep, &failed->fast_witness, report);
    else
      lin_explain (&ep, report);
    if (failed->is_unsearched)
      report->order_label = "prefix searched (not needed: no order linearizes it)";
    report->method = failed->by_zones ? "zones" : failed->by_patterns ? "patterns" : "search";
  } else if (unfinished != NULL) {
    report->verdict = CHK_VERDICT_UNKNOWN;
    report->method = "search";
    report->explanation = g_strdup (
      unfinished->search.result == LIN_RESULT_MEMORY
        ? "the search reached its memory limit before a verdict"
        : "the search was stopped (timeout) before a verdict");
  } else {
    report->verdict = CHK_VERDICT_OK;
    report->method = n_patterns > 0 ? (n_search == 0 ? "patterns" : "patterns+search")
                     : n_search == 0 && n_zones > 0 ? "zones" : n_zones == 0 ? "search"
                     : "zones+search";
    for (guint k = 0; k < parts->len; k++) {
      const Part *p = g_ptr_array_index (parts, k);
      for (guint j = 0; j < p->search.order->len; j++) {
        uint32_t li = g_array_index (p->search.order, uint32_t, j);
        int64_t idx = g_array_index (p->lops, LinOp, li).op;
        g_array_append_val (report->order, idx);
      }
    }
  }
  free_key_lists (by_key, n_ids);
  return g_steal_pointer (&report);
}
