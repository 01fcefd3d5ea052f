/* lin_trie.h: sets of small integers ("slots") as hash-consed binary
 * tries, the states of the set and unordered-queue models in the search.
 *
 * A set is a node id: equal sets are equal ids (0 is the empty set), and
 * a step (insert, remove) makes at most one new node per level, sharing
 * the rest with the set it came from, instead of a copy of every element
 * per state.  A leaf holds 64 slots as a bit word; a node of height h
 * covers 64 << h slots, its left child the lower half.  The root of a
 * non-empty set has the smallest height that covers its largest slot
 * (at height > 0 its right child is not empty), which makes the form
 * canonical.  Nodes are counted against the model's memory limit. */
#pragma once

#include "checkers/lin_model.h"

typedef struct LinTrie LinTrie;

LinTrie *lin_trie_new (void);
void lin_trie_free (LinTrie *t);
gsize lin_trie_memory (const LinTrie *t);

/* The set `root` with `slot` added (removed). */
uint32_t lin_trie_insert (LinModel *m, LinTrie *t, uint32_t root, uint32_t slot);
uint32_t lin_trie_remove (LinModel *m, LinTrie *t, uint32_t root, uint32_t slot);
gboolean lin_trie_has (const LinTrie *t, uint32_t root, uint32_t slot);
/* The set of sorted, distinct slots[0, n), built bottom-up. */
uint32_t lin_trie_build (LinModel *m, LinTrie *t, const uint32_t *slots, guint n);
/* Appends the slots of `root` to out (uint32), ascending. */
void lin_trie_items (const LinTrie *t, uint32_t root, GArray *out);

/* Multisets: copy k (from 1) of value v is a slot of its own, made on
 * first use when `make` (else UINT32_MAX if there is none); and the value
 * of a slot. */
uint32_t lin_trie_copy_slot (LinModel *m, LinTrie *t, uint32_t v, uint32_t k, gboolean make);
uint32_t lin_trie_slot_value (const LinTrie *t, uint32_t slot);
