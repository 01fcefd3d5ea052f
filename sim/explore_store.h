/* explore_store.h: what breadth-first `dsim explore` keeps per state,
 * compact in memory or streamed through temporary files (sim/explore.c).
 *
 * Three pieces, with delayed duplicate detection (Korf, "Delayed Duplicate
 * Detection", 2003; TLC's disk fingerprint set) in mind: a level's
 * children are written as they come and sorted afterwards, and duplicates
 * are found by merging sorted streams instead of probing a hash table.
 *
 *   XSpool   an append-only byte log: a small buffer in memory, the rest in
 *            an unlinked temporary file (so nothing is left behind, even
 *            when the process is killed).  No file is made until the
 *            buffer first fills.
 *   XSort    an external sort of fixed keys with a few words each: kept in
 *            a memory budget, spilled as sorted runs, merged back.
 *   XVisited the visited fingerprints, one sorted array (8 or 16 bytes a
 *            state) with a small index of where each range of leading bits
 *            starts.
 *
 * I/O failures (no space, a temporary directory that cannot be written)
 * are not crashes: the first is kept in the XStore as a sentence naming
 * the directory and the reason, later writes do nothing and reads give
 * zeros, and the caller checks xstore_failed at its next step. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct {
  char *dir;          /* where temporary files go */
  char *error;        /* the first failure, or NULL */
  uint64_t written;   /* bytes written to temporary files */
  int files;          /* temporary files made */
} XStore;

/* dir: NULL for $TMPDIR, or /tmp. */
void xstore_init (XStore *st, const char *dir);
void xstore_clear (XStore *st);
static inline gboolean
xstore_failed (const XStore *st)
{
  return __atomic_load_n (&st->error, __ATOMIC_ACQUIRE) != NULL;
}

/* ---- Spools ---------------------------------------------------------------*/

typedef struct {
  XStore *st;
  int fd;             /* -1 until the buffer first spills */
  uint64_t flushed;   /* bytes in the file */
  uint8_t *buf;
  size_t len, cap;
} XSpool;

void xspool_init (XSpool *s, XStore *st, size_t buf_bytes);
void xspool_clear (XSpool *s);
void xspool_append (XSpool *s, const void *data, size_t n);
static inline uint64_t
xspool_size (const XSpool *s)
{
  return s->flushed + s->len;
}
/* Reads [off, off + n) (within the size): safe from several threads at
 * once while nothing is appended.  FALSE (and zeros) on a failure. */
gboolean xspool_read (XSpool *s, uint64_t off, void *out, size_t n);
/* Empties it (the file is kept for reuse). */
void xspool_truncate (XSpool *s);
size_t xspool_memory (const XSpool *s);

/* A window over a spool for reads that move forward: one pread per
 * window's worth. */
typedef struct {
  XSpool *s;
  uint64_t lo, hi;    /* the spool's bytes now in buf */
  uint8_t *buf;
  size_t cap;
} XWindow;

void xwindow_init (XWindow *w, XSpool *s, size_t cap);
void xwindow_clear (XWindow *w);
/* n bytes at off (valid until the next call); zeros on a failure. */
const void *xwindow_at (XWindow *w, uint64_t off, size_t n);
static inline void
xwindow_forget (XWindow *w)
{
  w->lo = w->hi = 0;
}

/* ---- External sort --------------------------------------------------------*/

/* An entry: the key (k0, k1, k2), compared in that order, and n_extra
 * words that travel with it.  Keys are unique.  Entries with equal (k0,
 * k1) may come back combined (the one with the smallest k2, with the
 * words all of them hold), or not: a reader groups them itself. */
typedef struct {
  uint64_t k0, k1, k2;
  uint32_t n_extra;
  uint32_t extra_off; /* in memory: where the words are in the arena */
} XEnt;

typedef struct XSortRun XSortRun;

typedef struct {
  XStore *st;
  size_t budget;      /* bytes of entries and words held before a run spills */
  XEnt *ents;
  size_t n, cap;
  uint64_t *extra;
  size_t n_extra, cap_extra;
  XSpool runs;        /* the sorted runs, one after another */
  GArray *run_list;   /* XSortRun */
  uint64_t count;     /* entries added */
  /* Reading back: */
  gboolean is_reading;
  size_t pos;         /* in memory */
  guint *tree;        /* the runs' loser tree: tree[0] the run whose entry
                         is next, tree[i] the loser at node i */
  uint64_t *tree_k0;  /* tree[i]'s k0 (G_MAXUINT64 at its end) */
  gboolean has_last;  /* tree[0]'s entry was given: advanced at the next call */
  size_t read_bytes;  /* the runs' read buffers */
} XSort;

void xsort_init (XSort *s, XStore *st, size_t budget);
void xsort_clear (XSort *s);
void xsort_add (XSort *s, const XEnt *e, const uint64_t *extra);
/* Ends adding: then xsort_next gives the entries in key order. */
void xsort_finish (XSort *s);
/* The next entry and its words (valid until the next call); FALSE at the
 * end. */
gboolean xsort_next (XSort *s, XEnt *e, const uint64_t **extra);
/* Empties it for another sort, with a new budget. */
void xsort_reset (XSort *s, size_t budget);
size_t xsort_memory (const XSort *s);
static inline guint
xsort_runs (const XSort *s)
{
  return s->run_list->len;
}

/* ---- The visited set ------------------------------------------------------*/

typedef struct {
  uint64_t *v;        /* n fingerprints of `words` words, sorted */
  uint64_t n;
  int words;          /* 1 or 2 */
  size_t mapped;      /* bytes mapped for v */
  uint32_t *index;    /* index[b]: the first fingerprint whose top bits are >= b */
  int index_bits;
} XVisited;

void xvisited_init (XVisited *s, int words);
void xvisited_clear (XVisited *s);
gboolean xvisited_contains (const XVisited *s, uint64_t lo, uint64_t hi);
/* The same lookups for a batch: items[from, n), of `size` bytes each
 * with a fingerprint's words (lo, then hi) at fp_off, lose those in the
 * set, the rest keeping their order; the new n.  Faster than one lookup
 * at a time, whose cache misses come one after another. */
size_t xvisited_drop_known (const XVisited *s, void *items, size_t from, size_t n, size_t size,
                            size_t fp_off);
/* Merges m fingerprints (sorted, none in the set, `words` words each)
 * read from the spool; FALSE, the set as it was, if the system has no
 * memory for them. */
gboolean xvisited_merge (XVisited *s, XSpool *fresh, uint64_t m);
/* Bytes it holds (the array and its index); after a merge of m more. */
uint64_t xvisited_bytes_for (const XVisited *s, uint64_t n);
static inline uint64_t
xvisited_bytes (const XVisited *s)
{
  return xvisited_bytes_for (s, s->n);
}
