/* lin_trie.c: hash-consed binary tries of slots (see lin_trie.h). */
#include "checkers/lin_trie.h"

#include <string.h>

typedef struct {
  uint32_t l, r;  /* leaf: the low and high halves of its bit word */
  uint32_t h;     /* height, 0 for a leaf */
} TrieNode;

struct LinTrie {
  GArray *nodes;       /* TrieNode; node 0 is the empty set at any height */
  uint32_t *table;     /* node ids, UINT32_MAX empty; open addressing */
  guint mask;
  GHashTable *slot_of; /* multisets: int64 (v << 32 | k) -> slot + 1 */
  GArray *slot_value;  /* multisets: uint32 value of each slot */
};

static guint
node_hash (uint32_t h, uint32_t l, uint32_t r)
{
  uint64_t x = ((uint64_t) l << 32 | r) ^ ((uint64_t) h * 0x9e3779b97f4a7c15u);
  x = (x ^ (x >> 33)) * 0xff51afd7ed558ccdu;
  x = (x ^ (x >> 33)) * 0xc4ceb9fe1a85ec53u;
  return (guint) (x ^ (x >> 33));
}

/* (g_int64_hash keeps only the low half: copy 1 of every value would
 * collide.) */
static guint
copy_hash (gconstpointer key)
{
  uint64_t x = *(const uint64_t *) key;
  x = (x ^ (x >> 33)) * 0xff51afd7ed558ccdu;
  return (guint) (x ^ (x >> 33));
}

LinTrie *
lin_trie_new (void)
{
  LinTrie *t = g_new0 (LinTrie, 1);
  t->nodes = g_array_new (FALSE, FALSE, sizeof (TrieNode));
  TrieNode empty = { 0, 0, 0 };
  g_array_append_val (t->nodes, empty);
  t->mask = 255;
  t->table = g_new (uint32_t, t->mask + 1);
  memset (t->table, 0xff, sizeof (uint32_t) * (t->mask + 1));
  t->slot_of = g_hash_table_new_full (copy_hash, g_int64_equal, g_free, NULL);
  t->slot_value = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  return t;
}

void
lin_trie_free (LinTrie *t)
{
  if (t == NULL)
    return;
  g_array_unref (t->nodes);
  g_free (t->table);
  g_hash_table_unref (t->slot_of);
  g_array_unref (t->slot_value);
  g_free (t);
}

gsize
lin_trie_memory (const LinTrie *t)
{
  return (t->mask + 1) * sizeof (uint32_t) + 256;
}

static inline const TrieNode *
node (const LinTrie *t, uint32_t id)
{
  return &g_array_index (t->nodes, TrieNode, id);
}

static void
table_grow (LinTrie *t)
{
  guint size = (t->mask + 1) * 2;
  g_free (t->table);
  t->table = g_new (uint32_t, size);
  memset (t->table, 0xff, sizeof (uint32_t) * size);
  t->mask = size - 1;
  for (uint32_t id = 1; id < t->nodes->len; id++) {
    const TrieNode *x = node (t, id);
    guint at = node_hash (x->h, x->l, x->r) & t->mask;
    while (t->table[at] != UINT32_MAX)
      at = (at + 1) & t->mask;
    t->table[at] = id;
  }
}

/* The node (h, l, r); 0 if it is empty. */
static uint32_t
intern (LinModel *m, LinTrie *t, uint32_t h, uint32_t l, uint32_t r)
{
  if (l == 0 && r == 0)
    return 0;
  guint at = node_hash (h, l, r) & t->mask;
  for (;;) {
    uint32_t id = t->table[at];
    if (id == UINT32_MAX)
      break;
    const TrieNode *x = node (t, id);
    if (x->h == h && x->l == l && x->r == r)
      return id;
    at = (at + 1) & t->mask;
  }
  /* Counted before it is made; a full model stops the search at its next
   * step, and the node is still made so that the step completes. */
  lin_model_account (m, sizeof (TrieNode) + 2 * sizeof (uint32_t));
  uint32_t id = t->nodes->len;
  TrieNode x = { l, r, h };
  g_array_append_val (t->nodes, x);
  t->table[at] = id;
  if (t->nodes->len * 2 > t->mask && !lin_model_is_full (m)
      && lin_model_may_grow (m, sizeof (uint32_t) * (t->mask + 1))) {
    lin_model_account (m, sizeof (uint32_t) * (t->mask + 1));
    table_grow (t);
  }
  g_assert (t->nodes->len <= t->mask);
  return id;
}

static inline uint64_t
leaf_word (const TrieNode *x)
{
  return (uint64_t) x->r << 32 | x->l;
}

/* The height whose node covers `slot`. */
static uint32_t
height_for (uint32_t slot)
{
  uint32_t h = 0;
  while (h < 26 && (uint64_t) slot >= (uint64_t) 64 << h)
    h++;
  return h;
}

static uint32_t
set_bit (LinModel *m, LinTrie *t, uint32_t id, uint32_t h, uint32_t slot, gboolean on)
{
  const TrieNode *x = node (t, id);
  if (h == 0) {
    uint64_t w = id == 0 ? 0 : leaf_word (x);
    uint64_t bit = (uint64_t) 1 << (slot & 63);
    w = on ? w | bit : w & ~bit;
    return intern (m, t, 0, (uint32_t) w, (uint32_t) (w >> 32));
  }
  uint32_t half = (uint32_t) 64 << (h - 1);
  uint32_t l = id == 0 ? 0 : x->l, r = id == 0 ? 0 : x->r;
  /* x may move when a node is added: read it first */
  if (slot < half)
    l = set_bit (m, t, l, h - 1, slot, on);
  else
    r = set_bit (m, t, r, h - 1, slot - half, on);
  return intern (m, t, h, l, r);
}

uint32_t
lin_trie_insert (LinModel *m, LinTrie *t, uint32_t root, uint32_t slot)
{
  uint32_t h = root == 0 ? 0 : node (t, root)->h;
  uint32_t need = height_for (slot);
  if (root != 0)
    while (h < need)
      root = intern (m, t, ++h, root, 0);
  h = MAX (h, need);
  return set_bit (m, t, root, h, slot, TRUE);
}

uint32_t
lin_trie_remove (LinModel *m, LinTrie *t, uint32_t root, uint32_t slot)
{
  if (!lin_trie_has (t, root, slot))
    return root;
  root = set_bit (m, t, root, node (t, root)->h, slot, FALSE);
  /* canonical: the smallest height that covers the largest slot */
  while (root != 0 && node (t, root)->h > 0 && node (t, root)->r == 0)
    root = node (t, root)->l;
  return root;
}

gboolean
lin_trie_has (const LinTrie *t, uint32_t root, uint32_t slot)
{
  if (root == 0)
    return FALSE;
  uint32_t h = node (t, root)->h;
  if ((uint64_t) slot >= (uint64_t) 64 << h)
    return FALSE;
  uint32_t id = root;
  while (id != 0 && h > 0) {
    uint32_t half = (uint32_t) 64 << (h - 1);
    const TrieNode *x = node (t, id);
    if (slot < half) {
      id = x->l;
    } else {
      id = x->r;
      slot -= half;
    }
    h--;
  }
  return id != 0 && (leaf_word (node (t, id)) >> (slot & 63) & 1);
}

/* The node of height h over slots [base, base + (64 << h)) holding
 * slots[0, n) (all inside). */
static uint32_t
build (LinModel *m, LinTrie *t, uint32_t h, uint32_t base, const uint32_t *slots, guint n)
{
  if (n == 0)
    return 0;
  if (h == 0) {
    uint64_t w = 0;
    for (guint k = 0; k < n; k++)
      w |= (uint64_t) 1 << (slots[k] - base);
    return intern (m, t, 0, (uint32_t) w, (uint32_t) (w >> 32));
  }
  uint32_t half = (uint32_t) 64 << (h - 1);
  guint split = 0;
  while (split < n && slots[split] < base + half)
    split++;
  uint32_t l = build (m, t, h - 1, base, slots, split);
  uint32_t r = build (m, t, h - 1, base + half, slots + split, n - split);
  return intern (m, t, h, l, r);
}

uint32_t
lin_trie_build (LinModel *m, LinTrie *t, const uint32_t *slots, guint n)
{
  if (n == 0)
    return 0;
  return build (m, t, height_for (slots[n - 1]), 0, slots, n);
}

static void
items (const LinTrie *t, uint32_t id, uint32_t h, uint32_t base, GArray *out)
{
  if (id == 0)
    return;
  const TrieNode *x = node (t, id);
  if (h == 0) {
    uint64_t w = leaf_word (x);
    for (uint32_t b = 0; b < 64; b++)
      if (w >> b & 1) {
        uint32_t slot = base + b;
        g_array_append_val (out, slot);
      }
    return;
  }
  uint32_t half = (uint32_t) 64 << (h - 1);
  items (t, x->l, h - 1, base, out);
  items (t, x->r, h - 1, base + half, out);
}

void
lin_trie_items (const LinTrie *t, uint32_t root, GArray *out)
{
  if (root != 0)
    items (t, root, node (t, root)->h, 0, out);
}

uint32_t
lin_trie_copy_slot (LinModel *m, LinTrie *t, uint32_t v, uint32_t k, gboolean make)
{
  int64_t key = (int64_t) ((uint64_t) v << 32 | k);
  gpointer found = g_hash_table_lookup (t->slot_of, &key);
  if (found != NULL)
    return GPOINTER_TO_UINT (found) - 1;
  if (!make)
    return UINT32_MAX;
  uint32_t slot = t->slot_value->len;
  g_array_append_val (t->slot_value, v);
  g_hash_table_insert (t->slot_of, g_memdup2 (&key, sizeof key), GUINT_TO_POINTER (slot + 1));
  lin_model_account (m, 48);
  return slot;
}

uint32_t
lin_trie_slot_value (const LinTrie *t, uint32_t slot)
{
  g_assert (slot < t->slot_value->len);
  return g_array_index (t->slot_value, uint32_t, slot);
}
