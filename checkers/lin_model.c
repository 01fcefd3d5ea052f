/* lin_model.c: the sequential models behind the linearizability search,
 * over small integer states.
 *
 * Register values are numbered as they are first seen (0 is nil), so a
 * register state is one uint32.  kv states are strings, numbered the same
 * way (0 is ""); an append is computed once per (state, value) and
 * remembered.  A part with several keys (no_split) numbers the vectors of
 * per-key states. */
#include "checkers/lin_model.h"
#include "checkers/lin_model_coll.h"

#include <string.h>

typedef struct {
  int kind;
  int64_t i, j;
} ValueKey;

static guint
value_key_hash (gconstpointer p)
{
  const ValueKey *k = p;
  uint64_t h = (uint64_t) k->kind * 0x9e3779b97f4a7c15u ^ (uint64_t) k->i * 0xbf58476d1ce4e5b9u
               ^ (uint64_t) k->j * 0x94d049bb133111ebu;
  return (guint) (h ^ (h >> 32));
}

static gboolean
value_key_equal (gconstpointer a, gconstpointer b)
{
  const ValueKey *x = a, *y = b;
  return x->kind == y->kind && x->i == y->i && x->j == y->j;
}

struct LinModel {
  gboolean is_kv;
  guint n_slots;
  GArray *values;          /* ValueKey by id (registers) */
  GHashTable *value_ids;   /* ValueKey* -> id + 1; lookups only */
  GPtrArray *texts;        /* char* by id (kv) */
  GHashTable *text_ids;    /* char* -> id + 1; lookups only */
  GArray *text_lens;       /* gsize by id */
  GArray *text_hashes;     /* uint64 by id: text_hash of the whole text, 0 until used */
  GPtrArray *prefix_hashes; /* by id: NULL, or text_hash of each prefix, made on demand */
  GHashTable *appends;     /* (state << 32 | text) -> result id + 1; lookups only */
  /* Vectors of per-slot states (n_slots > 1), open addressing. */
  GArray *vectors;         /* uint32 x n_slots per id */
  uint32_t *vec_table;     /* ids, UINT32_MAX empty */
  guint vec_mask, vec_count;
  uint32_t *scratch;
  gsize bytes;
  gsize limit;             /* 0: none */
  gboolean is_full;        /* an allocation would have passed limit */
  int coll;                /* LinCollKind; 0: none */
  struct LinSeqs *seqs;    /* collections: sequences by id */
};

/* TRUE if the tables may grow by `more` bytes; else marks the model full
 * (the search stops at its next step). */
static gboolean
model_may_grow (LinModel *m, gsize more)
{
  if (m->limit > 0 && m->bytes + more > m->limit) {
    m->is_full = TRUE;
    return FALSE;
  }
  return TRUE;
}

void
lin_model_set_memory_limit (LinModel *m, gsize limit)
{
  m->limit = limit;
  m->is_full = limit > 0 && m->bytes > limit;
}

gboolean
lin_model_is_full (const LinModel *m)
{
  return m->is_full;
}

/* The hash of the kv text table: a word at a time (texts run to
 * hundreds of bytes). */
static guint
text_key_hash (gconstpointer p)
{
  const char *t = p;
  gsize len = strlen (t), k = 0;
  uint64_t h = (uint64_t) len * 0x9e3779b97f4a7c15u;
  for (; k + 8 <= len; k += 8) {
    uint64_t w;
    memcpy (&w, t + k, sizeof w);
    h = (h ^ w) * 0xff51afd7ed558ccdu;
    h ^= h >> 29;
  }
  uint64_t w = 0;
  memcpy (&w, t + k, len - k);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
  return (guint) (h ^ (h >> 32));
}

LinModel *
lin_model_new (gboolean is_kv, guint n_slots)
{
  g_assert (n_slots >= 1);
  LinModel *m = g_new0 (LinModel, 1);
  m->is_kv = is_kv;
  m->n_slots = n_slots;
  if (is_kv) {
    m->texts = g_ptr_array_new_with_free_func (g_free);
    m->text_ids = g_hash_table_new (text_key_hash, g_str_equal);
    m->text_lens = g_array_new (FALSE, FALSE, sizeof (gsize));
    m->text_hashes = g_array_new (FALSE, FALSE, sizeof (uint64_t));
    m->prefix_hashes = g_ptr_array_new_with_free_func (g_free);
    m->appends = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
    lin_model_text_id (m, "");
  } else {
    m->values = g_array_new (FALSE, FALSE, sizeof (ValueKey));
    m->value_ids = g_hash_table_new_full (value_key_hash, value_key_equal, g_free, NULL);
    lin_model_value_id (m, CHK_LIN_VALUE_NIL, 0, 0);
  }
  if (n_slots > 1) {
    m->vectors = g_array_new (FALSE, TRUE, sizeof (uint32_t));
    m->vec_mask = 1023;
    m->vec_table = g_new (uint32_t, m->vec_mask + 1);
    memset (m->vec_table, 0xff, sizeof (uint32_t) * (m->vec_mask + 1));
    m->scratch = g_new0 (uint32_t, n_slots);
    uint32_t initial;
    lin_model_vector_id (m, m->scratch, &initial); /* all slots 0: id 0 */
  }
  return m;
}

void
lin_model_free (LinModel *m)
{
  if (m == NULL)
    return;
  if (m->values != NULL) {
    g_array_unref (m->values);
    g_hash_table_unref (m->value_ids);
  }
  if (m->texts != NULL) {
    g_hash_table_unref (m->text_ids);
    g_ptr_array_unref (m->texts);
    g_array_unref (m->text_lens);
    g_array_unref (m->text_hashes);
    g_ptr_array_unref (m->prefix_hashes);
    g_hash_table_unref (m->appends);
  }
  if (m->vectors != NULL)
    g_array_unref (m->vectors);
  g_free (m->vec_table);
  g_free (m->scratch);
  lin_seqs_free (m->seqs);
  g_free (m);
}

uint32_t
lin_model_value_id (LinModel *m, int kind, int64_t i, int64_t j)
{
  ValueKey key = { kind, i, j };
  gpointer found = g_hash_table_lookup (m->value_ids, &key);
  if (found != NULL)
    return GPOINTER_TO_UINT (found) - 1;
  uint32_t id = m->values->len;
  model_may_grow (m, sizeof key * 3);
  g_array_append_val (m->values, key);
  g_hash_table_insert (m->value_ids, g_memdup2 (&key, sizeof key), GUINT_TO_POINTER (id + 1));
  m->bytes += sizeof key * 3;
  return id;
}

void
lin_model_value (const LinModel *m, uint32_t id, int *kind, int64_t *i, int64_t *j)
{
  g_assert (id < m->values->len);
  const ValueKey *k = &g_array_index (m->values, ValueKey, id);
  *kind = k->kind;
  *i = k->i;
  *j = k->j;
}

/* A polynomial hash, so that the hash of every prefix of a text comes
 * from one pass over it. */
#define TEXT_HASH_BASE UINT64_C (0x100000001b3)

static uint64_t
text_hash (const char *t, gsize len)
{
  uint64_t h = 0;
  for (gsize k = 0; k < len; k++)
    h = h * TEXT_HASH_BASE + (uint8_t) t[k] + 1;
  return h;
}

/* The id of text `owned` (taken); `is_new`: known not to be in the
 * table yet. */
static uint32_t
text_intern (LinModel *m, char *owned, gboolean is_new)
{
  gpointer found = is_new ? NULL : g_hash_table_lookup (m->text_ids, owned);
  if (found != NULL) {
    g_free (owned);
    return GPOINTER_TO_UINT (found) - 1;
  }
  uint32_t id = m->texts->len;
  gsize len = strlen (owned);
  model_may_grow (m, len + 1 + 56);
  g_ptr_array_add (m->texts, owned);
  g_array_append_val (m->text_lens, len);
  uint64_t hash = 0; /* made on first use: most texts are never compared */
  g_array_append_val (m->text_hashes, hash);
  g_ptr_array_add (m->prefix_hashes, NULL);
  g_hash_table_insert (m->text_ids, owned, GUINT_TO_POINTER (id + 1));
  m->bytes += len + 1 + 56;
  return id;
}

uint32_t
lin_model_text_id (LinModel *m, const char *text)
{
  gpointer found = g_hash_table_lookup (m->text_ids, text);
  if (found != NULL)
    return GPOINTER_TO_UINT (found) - 1;
  return text_intern (m, g_strdup (text), TRUE);
}

const char *
lin_model_text (const LinModel *m, uint32_t id)
{
  g_assert (id < m->texts->len);
  return g_ptr_array_index (m->texts, id);
}

uint32_t
lin_model_append (LinModel *m, uint32_t state, uint32_t text)
{
  int64_t key = (int64_t) ((uint64_t) state << 32 | text);
  gpointer found = g_hash_table_lookup (m->appends, &key);
  if (found != NULL)
    return GPOINTER_TO_UINT (found) - 1;
  char *joined = g_strconcat (lin_model_text (m, state), lin_model_text (m, text), NULL);
  uint32_t id = text_intern (m, joined, FALSE);
  g_hash_table_insert (m->appends, g_memdup2 (&key, sizeof key), GUINT_TO_POINTER (id + 1));
  m->bytes += 64;
  return id;
}

static guint
vector_hash (const uint32_t *v, guint n)
{
  uint64_t h = 0x9e3779b97f4a7c15u;
  for (guint k = 0; k < n; k++)
    h = (h ^ v[k]) * 0xff51afd7ed558ccdu;
  return (guint) (h ^ (h >> 29));
}

static void
vector_table_grow (LinModel *m)
{
  guint size = (m->vec_mask + 1) * 2;
  g_free (m->vec_table);
  m->vec_table = g_new (uint32_t, size);
  memset (m->vec_table, 0xff, sizeof (uint32_t) * size);
  m->vec_mask = size - 1;
  guint n = m->n_slots;
  for (uint32_t id = 0; id < m->vec_count; id++) {
    guint h = vector_hash (&g_array_index (m->vectors, uint32_t, (gsize) id * n), n) & m->vec_mask;
    while (m->vec_table[h] != UINT32_MAX)
      h = (h + 1) & m->vec_mask;
    m->vec_table[h] = id;
  }
  m->bytes += sizeof (uint32_t) * size / 2;
}

gboolean
lin_model_vector_id (LinModel *m, const uint32_t *v, uint32_t *id)
{
  guint n = m->n_slots;
  guint h = vector_hash (v, n) & m->vec_mask;
  for (;;) {
    uint32_t cand = m->vec_table[h];
    if (cand == UINT32_MAX)
      break;
    if (memcmp (&g_array_index (m->vectors, uint32_t, (gsize) cand * n), v,
                n * sizeof (uint32_t)) == 0) {
      *id = cand;
      return FALSE;
    }
    h = (h + 1) & m->vec_mask;
  }
  *id = m->vec_count++;
  g_array_append_vals (m->vectors, v, n);
  m->vec_table[h] = *id;
  m->bytes += n * sizeof (uint32_t) + sizeof (uint32_t);
  /* A full table stays usable up to its last slot: the search stops at
   * its next step. */
  if (m->vec_count * 2 > m->vec_mask
      && model_may_grow (m, sizeof (uint32_t) * (m->vec_mask + 1) * 2
                            + (gsize) m->vec_count * n * sizeof (uint32_t)))
    vector_table_grow (m);
  g_assert (m->vec_count <= m->vec_mask);
  return TRUE;
}

uint32_t
lin_model_slot_state (const LinModel *m, uint32_t state, uint32_t slot)
{
  if (m->n_slots == 1)
    return state;
  return g_array_index (m->vectors, uint32_t, (gsize) state * m->n_slots + slot);
}

gboolean
lin_model_step_vector (LinModel *m, uint32_t state, const LinOp *op, uint32_t *next)
{
  guint n = m->n_slots;
  uint32_t c = lin_model_slot_state (m, state, op->slot), c2;
  if (!lin_model_step_slot (m, c, op, &c2))
    return FALSE;
  if (c2 == c) {
    *next = state;
    return TRUE;
  }
  memcpy (m->scratch, &g_array_index (m->vectors, uint32_t, (gsize) state * n),
          n * sizeof (uint32_t));
  m->scratch[op->slot] = c2;
  lin_model_vector_id (m, m->scratch, next);
  return TRUE;
}

gsize
lin_model_memory (const LinModel *m)
{
  return m->bytes;
}

gboolean
lin_model_is_kv (const LinModel *m)
{
  return m->is_kv;
}

guint
lin_model_n_slots (const LinModel *m)
{
  return m->n_slots;
}

gboolean
lin_model_text_is_prefix (const LinModel *m, uint32_t prefix, uint32_t whole)
{
  if (prefix == whole || prefix == 0)
    return TRUE;
  gsize a = g_array_index (m->text_lens, gsize, prefix);
  gsize b = g_array_index (m->text_lens, gsize, whole);
  return a <= b
         && memcmp (g_ptr_array_index (m->texts, prefix), g_ptr_array_index (m->texts, whole), a) == 0;
}

const uint64_t *
lin_model_text_prefix_hashes (LinModel *m, uint32_t id)
{
  uint64_t *hashes = g_ptr_array_index (m->prefix_hashes, id);
  if (hashes == NULL) {
    gsize b = g_array_index (m->text_lens, gsize, id);
    model_may_grow (m, (b + 1) * sizeof (uint64_t));
    m->bytes += (b + 1) * sizeof (uint64_t);
    hashes = g_new (uint64_t, b + 1);
    const char *t = g_ptr_array_index (m->texts, id);
    hashes[0] = 0;
    for (gsize k = 0; k < b; k++)
      hashes[k + 1] = hashes[k] * TEXT_HASH_BASE + (uint8_t) t[k] + 1;
    g_ptr_array_index (m->prefix_hashes, id) = hashes;
    g_array_index (m->text_hashes, uint64_t, id) = hashes[b];
  }
  return hashes;
}

gsize
lin_model_text_len (const LinModel *m, uint32_t id)
{
  return g_array_index (m->text_lens, gsize, id);
}

uint64_t
lin_model_text_hash (LinModel *m, uint32_t id)
{
  uint64_t *h = &g_array_index (m->text_hashes, uint64_t, id);
  if (*h == 0) /* not made yet, or a text whose hash is 0 */
    *h = text_hash (g_ptr_array_index (m->texts, id), g_array_index (m->text_lens, gsize, id));
  return *h;
}

gboolean
lin_model_text_may_be_prefix (LinModel *m, uint32_t prefix, uint32_t whole)
{
  if (prefix == whole || prefix == 0)
    return TRUE;
  gsize a = g_array_index (m->text_lens, gsize, prefix);
  gsize b = g_array_index (m->text_lens, gsize, whole);
  if (a > b)
    return FALSE;
  return lin_model_text_prefix_hashes (m, whole)[a] == lin_model_text_hash (m, prefix);
}

guint
lin_model_n_values (const LinModel *m)
{
  return m->values->len;
}

int
lin_model_coll (const LinModel *m)
{
  return m->coll;
}

void
lin_model_set_coll (LinModel *m, int coll)
{
  g_assert (m->coll == 0 && !m->is_kv);
  m->coll = coll;
  m->seqs = lin_seqs_new ();
  m->bytes += lin_seqs_memory (m->seqs);
}

struct LinSeqs *
lin_model_seqs (const LinModel *m)
{
  return m->seqs;
}

gboolean
lin_model_account (LinModel *m, gsize more)
{
  gboolean ok = model_may_grow (m, more);
  m->bytes += more;
  return ok;
}

gboolean
lin_model_may_grow (LinModel *m, gsize more)
{
  return model_may_grow (m, more);
}
