/* explore_store.c: spools, an external sort and the sorted visited set of
 * breadth-first `dsim explore` (see explore_store.h). */
#define _GNU_SOURCE
#include "sim/explore_store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- The store ------------------------------------------------------------*/

void
xstore_init (XStore *st, const char *dir)
{
  memset (st, 0, sizeof *st);
  const char *env = g_getenv ("TMPDIR");
  if (dir == NULL || dir[0] == '\0')
    dir = env != NULL && env[0] != '\0' ? env : "/tmp";
  st->dir = g_strdup (dir);
}

void
xstore_clear (XStore *st)
{
  g_free (st->dir);
  g_free (st->error);
  memset (st, 0, sizeof *st);
}

/* Keeps the first failure (from any thread). */
static void
xstore_fail (XStore *st, const char *what, int err)
{
  char *msg = g_strdup_printf ("temporary files in %s: %s: %s (set TMPDIR to a writable "
                               "directory with room)", st->dir, what, g_strerror (err));
  if (!g_atomic_pointer_compare_and_exchange (&st->error, NULL, msg))
    g_free (msg);
}

/* ---- Spools ---------------------------------------------------------------*/

void
xspool_init (XSpool *s, XStore *st, size_t buf_bytes)
{
  memset (s, 0, sizeof *s);
  s->st = st;
  s->fd = -1;
  s->cap = buf_bytes;
}

void
xspool_clear (XSpool *s)
{
  if (s->fd >= 0)
    close (s->fd);
  g_free (s->buf);
  memset (s, 0, sizeof *s);
  s->fd = -1;
}

/* An unlinked file in the store's directory: it goes when it is closed. */
static gboolean
xspool_open (XSpool *s)
{
  if (s->fd >= 0)
    return TRUE;
  if (xstore_failed (s->st))
    return FALSE;
  g_autofree char *path = g_build_filename (s->st->dir, "dsim-explore-XXXXXX", NULL);
  int fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    xstore_fail (s->st, "cannot create a file", errno);
    return FALSE;
  }
  g_unlink (path);
  s->fd = fd;
  s->st->files++;
  return TRUE;
}

static void
xspool_write (XSpool *s, const void *data, size_t n)
{
  if (!xspool_open (s)) {
    s->flushed += n;
    return;
  }
  const uint8_t *p = data;
  uint64_t off = s->flushed;
  size_t left = n;
  while (left > 0) {
    ssize_t k = pwrite (s->fd, p, left, (off_t) off);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      xstore_fail (s->st, "cannot write", k < 0 ? errno : ENOSPC);
      break;
    }
    p += k;
    off += (uint64_t) k;
    left -= (size_t) k;
  }
  s->flushed += n;
  s->st->written += n;
}

void
xspool_append (XSpool *s, const void *data, size_t n)
{
  if (s->buf == NULL)
    s->buf = g_malloc (s->cap);
  if (s->len + n > s->cap) {
    if (s->len > 0)
      xspool_write (s, s->buf, s->len);
    s->len = 0;
    if (n > s->cap) {
      xspool_write (s, data, n);
      return;
    }
  }
  memcpy (s->buf + s->len, data, n);
  s->len += n;
}

gboolean
xspool_read (XSpool *s, uint64_t off, void *out, size_t n)
{
  uint8_t *p = out;
  g_assert (off + n <= xspool_size (s));
  if (off < s->flushed) {
    size_t from_file = (size_t) MIN ((uint64_t) n, s->flushed - off);
    size_t done = 0;
    while (done < from_file) {
      ssize_t k = s->fd >= 0 ? pread (s->fd, p + done, from_file - done, (off_t) (off + done))
                             : -1;
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0) {
        if (!xstore_failed (s->st))
          xstore_fail (s->st, "cannot read back", k < 0 ? errno : EIO);
        memset (out, 0, n);
        return FALSE;
      }
      done += (size_t) k;
    }
    p += from_file;
    off += from_file;
    n -= from_file;
  }
  if (n > 0)
    memcpy (p, s->buf + (off - s->flushed), n);
  return TRUE;
}

void
xspool_truncate (XSpool *s)
{
  if (s->fd >= 0 && s->flushed > 0 && ftruncate (s->fd, 0) != 0)
    xstore_fail (s->st, "cannot truncate", errno);
  s->flushed = 0;
  s->len = 0;
}

size_t
xspool_memory (const XSpool *s)
{
  return s->buf != NULL ? s->cap : 0;
}

void
xwindow_init (XWindow *w, XSpool *s, size_t cap)
{
  memset (w, 0, sizeof *w);
  w->s = s;
  w->cap = cap;
}

void
xwindow_clear (XWindow *w)
{
  g_free (w->buf);
  memset (w, 0, sizeof *w);
}

const void *
xwindow_at (XWindow *w, uint64_t off, size_t n)
{
  if (w->buf != NULL && off >= w->lo && off + n <= w->hi)
    return w->buf + (off - w->lo);
  if (w->buf == NULL || n > w->cap) {
    w->cap = MAX (w->cap, n);
    w->buf = g_realloc (w->buf, w->cap);
  }
  size_t len = (size_t) MIN ((uint64_t) w->cap, xspool_size (w->s) - off);
  g_assert (len >= n);
  xspool_read (w->s, off, w->buf, len);
  w->lo = off;
  w->hi = off + len;
  return w->buf;
}

/* ---- External sort --------------------------------------------------------*/

struct XSortRun {
  uint64_t off;        /* the next entry's offset in the runs spool */
  uint64_t left;       /* entries not yet read */
  XWindow win;
  XEnt cur;
  const uint64_t *cur_extra;
  gboolean done;       /* read to its end: after every entry */
};

static inline gboolean
xent_less (const XEnt *a, const XEnt *b)
{
  if (a->k0 != b->k0)
    return a->k0 < b->k0;
  if (a->k1 != b->k1)
    return a->k1 < b->k1;
  return a->k2 < b->k2;
}

/* Quicksort (median of three, Hoare's partition), insertion sort for
 * short ranges; the smaller side recursed, so the stack stays shallow. */
static void
xent_sort (XEnt *a, size_t n)
{
  while (n > 24) {
    size_t m = n / 2;
    XEnt t;
    if (xent_less (&a[m], &a[0])) { t = a[m]; a[m] = a[0]; a[0] = t; }
    if (xent_less (&a[n - 1], &a[0])) { t = a[n - 1]; a[n - 1] = a[0]; a[0] = t; }
    if (xent_less (&a[n - 1], &a[m])) { t = a[n - 1]; a[n - 1] = a[m]; a[m] = t; }
    XEnt p = a[m];
    size_t i = 0, j = n - 1;
    for (;;) {
      while (xent_less (&a[i], &p))
        i++;
      while (xent_less (&p, &a[j]))
        j--;
      if (i >= j)
        break;
      t = a[i];
      a[i] = a[j];
      a[j] = t;
      i++;
      j--;
    }
    /* [0, j] <= p <= [j + 1, n) */
    size_t left = j + 1;
    if (left < n - left) {
      xent_sort (a, left);
      a += left;
      n -= left;
    } else {
      xent_sort (a + left, n - left);
      n = left;
    }
  }
  for (size_t i = 1; i < n; i++) {
    XEnt x = a[i];
    size_t j = i;
    for (; j > 0 && xent_less (&x, &a[j - 1]); j--)
      a[j] = a[j - 1];
    a[j] = x;
  }
}

/* Ranges of at most this many entries, or whose k0 are all equal, are
 * sorted by comparison. */
#define XRADIX_SMALL 32
#define XRADIX_MAX_BITS 11

/* Sorts by key: a most-significant-digit radix sort on the bits of k0
 * that differ within the range, in place (the American flag sort of
 * McIlroy, Bostic and McIlroy, "Engineering Radix Sort", 1993), with a
 * digit of up to XRADIX_MAX_BITS bits, 4 to 8 entries a digit value;
 * then xent_sort within small ranges and ranges of one k0.  Fingerprints are uniform, so one digit leaves ranges of a few
 * entries; the states' keys (parent << 32 | choice index) are not, which
 * the differing bits, found afresh in each range, allow for.  Keys are
 * unique, so the order is exactly the comparison sort's. */
static void
xent_radix_sort (XEnt *a, size_t n)
{
  if (n <= XRADIX_SMALL || n > G_MAXUINT32) {
    xent_sort (a, n);
    return;
  }
  uint64_t diff = 0;
  for (size_t i = 1; i < n; i++)
    diff |= a[i].k0 ^ a[0].k0;
  if (diff == 0) {
    xent_sort (a, n);
    return;
  }
  /* The digit: the bits just below the highest that differs. */
  int top = 64 - __builtin_clzll (diff);
  int want = CLAMP (61 - __builtin_clzll ((uint64_t) n), 4, XRADIX_MAX_BITS);
  int bits = MIN (top, want);
  int sh = top - bits;
  const uint64_t mask = ((uint64_t) 1 << bits) - 1;
  const size_t nb = (size_t) 1 << bits;
  /* head[d], tail[d]: digit d's range, the entries before head[d] in
   * place (as large as the digit: a deeper range's are small). */
  uint32_t head[nb], tail[nb];
  memset (tail, 0, sizeof tail);
  for (size_t i = 0; i < n; i++)
    tail[(a[i].k0 >> sh) & mask]++;
  uint32_t at = 0;
  for (size_t d = 0; d < nb; d++) {
    head[d] = at;
    at += tail[d];
    tail[d] = at;
  }
  /* Each entry not in its digit's range goes there, and the one it
   * displaces moves on, until the cycle comes back. */
  for (size_t d = 0; d < nb; d++) {
    while (head[d] < tail[d]) {
      XEnt v = a[head[d]];
      size_t vd = (v.k0 >> sh) & mask;
      while (vd != d) {
        XEnt t = a[head[vd]];
        a[head[vd]++] = v;
        v = t;
        vd = (v.k0 >> sh) & mask;
      }
      a[head[d]++] = v;
    }
  }
  at = 0;
  for (size_t d = 0; d < nb; d++) {
    if (tail[d] - at > 1)
      xent_radix_sort (a + at, tail[d] - at);
    at = tail[d];
  }
}

void
xsort_init (XSort *s, XStore *st, size_t budget)
{
  memset (s, 0, sizeof *s);
  s->st = st;
  s->budget = budget;
  xspool_init (&s->runs, st, 64 << 10);
  s->run_list = g_array_new (FALSE, FALSE, sizeof (XSortRun));
}

static void
xsort_drop_readers (XSort *s)
{
  for (guint i = 0; i < s->run_list->len; i++)
    xwindow_clear (&g_array_index (s->run_list, XSortRun, i).win);
  g_free (s->tree);
  g_free (s->tree_k0);
  s->tree = NULL;
  s->tree_k0 = NULL;
  s->has_last = FALSE;
  s->read_bytes = 0;
}

void
xsort_clear (XSort *s)
{
  xsort_drop_readers (s);
  g_free (s->ents);
  g_free (s->extra);
  xspool_clear (&s->runs);
  g_array_unref (s->run_list);
  memset (s, 0, sizeof *s);
}

void
xsort_reset (XSort *s, size_t budget)
{
  xsort_drop_readers (s);
  g_array_set_size (s->run_list, 0);
  xspool_truncate (&s->runs);
  s->n = s->n_extra = 0;
  s->count = 0;
  s->pos = 0;
  s->is_reading = FALSE;
  s->budget = budget;
  g_clear_pointer (&s->ents, g_free);
  g_clear_pointer (&s->extra, g_free);
  s->cap = s->cap_extra = 0;
}

/* Sorts the entries held and combines those with equal (k0, k1): the
 * one with the smallest k2 stays, with the words all of them hold. */
static void
xsort_sort_held (XSort *s)
{
  xent_radix_sort (s->ents, s->n);
  size_t w = 0;
  for (size_t i = 0; i < s->n;) {
    XEnt first = s->ents[i];
    uint64_t *keep = s->extra + first.extra_off;
    size_t j = i + 1;
    for (; j < s->n && s->ents[j].k0 == first.k0 && s->ents[j].k1 == first.k1; j++) {
      const uint64_t *other = s->extra + s->ents[j].extra_off;
      uint32_t kept = 0;
      for (uint32_t a = 0; a < first.n_extra; a++) {
        gboolean has = FALSE;
        for (uint32_t b = 0; b < s->ents[j].n_extra && !has; b++)
          has = other[b] == keep[a];
        if (has)
          keep[kept++] = keep[a];
      }
      first.n_extra = kept;
    }
    s->ents[w++] = first;
    i = j;
  }
  s->n = w;
}

/* Writes the entries held as one sorted run. */
static void
xsort_spill (XSort *s)
{
  xsort_sort_held (s);
  XSortRun run = { .off = xspool_size (&s->runs), .left = s->n };
  for (size_t i = 0; i < s->n; i++) {
    XEnt e = s->ents[i];
    uint32_t at = e.extra_off;
    e.extra_off = 0;
    xspool_append (&s->runs, &e, sizeof e);
    if (e.n_extra > 0)
      xspool_append (&s->runs, s->extra + at, 8 * (size_t) e.n_extra);
  }
  g_array_append_val (s->run_list, run);
  s->n = s->n_extra = 0;
}

void
xsort_add (XSort *s, const XEnt *e, const uint64_t *extra)
{
  g_assert (!s->is_reading);
  if (s->n > 0 && (s->n + 1) * sizeof (XEnt) + (s->n_extra + e->n_extra) * 8 > s->budget)
    xsort_spill (s);
  /* The arrays grow by doubling, up to what the budget holds. */
  if (s->n == s->cap) {
    s->cap = MAX (MIN (s->cap * 2, s->budget / sizeof (XEnt)), s->cap + 1);
    s->ents = g_renew (XEnt, s->ents, s->cap);
  }
  if (s->n_extra + e->n_extra > s->cap_extra) {
    s->cap_extra = MAX (MIN (s->cap_extra * 2, s->budget / 16), s->n_extra + e->n_extra);
    s->extra = g_renew (uint64_t, s->extra, s->cap_extra);
  }
  XEnt *d = &s->ents[s->n++];
  *d = *e;
  d->extra_off = (uint32_t) s->n_extra;
  if (e->n_extra > 0)
    memcpy (s->extra + s->n_extra, extra, 8 * (size_t) e->n_extra);
  s->n_extra += e->n_extra;
  s->count++;
}

/* Reads run r's next entry into r->cur; FALSE at its end. */
static gboolean
xsort_run_advance (XSort *s, XSortRun *r)
{
  if (r->left == 0) {
    r->done = TRUE;
    return FALSE;
  }
  r->cur = *(const XEnt *) xwindow_at (&r->win, r->off, sizeof (XEnt));
  r->off += sizeof (XEnt);
  if (r->cur.n_extra > 64) /* only after a failed read */
    r->cur.n_extra = 0;
  r->cur_extra = NULL;
  if (r->cur.n_extra > 0) {
    r->cur_extra = xwindow_at (&r->win, r->off, 8 * (size_t) r->cur.n_extra);
    r->off += 8 * (uint64_t) r->cur.n_extra;
  }
  r->left--;
  (void) s;
  return TRUE;
}

/* Whether run i's entry comes before run j's (a run at its end comes
 * after every other). */
static inline gboolean
xsort_run_less (const XSortRun *runs, guint i, guint j)
{
  if (runs[i].done || runs[j].done)
    return !runs[i].done && runs[j].done;
  return xent_less (&runs[i].cur, &runs[j].cur);
}

static inline uint64_t
xsort_run_k0 (const XSortRun *r)
{
  return r->done ? G_MAXUINT64 : r->cur.k0;
}

/* The loser tree (Knuth, TAOCP vol. 3, 5.4.1) over k runs: leaf k + i is
 * run i, node m's children are 2m and 2m + 1, and each node keeps the
 * run that lost there, with its k0; tree[0] is the overall winner.
 * After the winner advances, the path from its leaf up is replayed: one
 * comparison a level, against the loser kept there, where a heap takes
 * two. */
static void
xsort_tree_build (XSort *s)
{
  const guint k = s->run_list->len;
  const XSortRun *runs = (const XSortRun *) (const void *) s->run_list->data;
  s->tree = g_new (guint, k);
  s->tree_k0 = g_new (uint64_t, k);
  if (k == 1) {
    s->tree[0] = 0;
    return;
  }
  /* The winner at each node, bottom up; leaves are k .. 2k - 1. */
  guint *win = g_new (guint, 2 * (size_t) k);
  for (guint i = 0; i < k; i++)
    win[k + i] = i;
  for (guint m = k - 1; m >= 1; m--) {
    guint l = win[2 * m], r = win[2 * m + 1];
    gboolean l_wins = !xsort_run_less (runs, r, l);
    win[m] = l_wins ? l : r;
    s->tree[m] = l_wins ? r : l;
    s->tree_k0[m] = xsort_run_k0 (&runs[s->tree[m]]);
  }
  s->tree[0] = win[1];
  g_free (win);
}

static void
xsort_tree_replay (XSort *s)
{
  const guint k = s->run_list->len;
  const XSortRun *runs = (const XSortRun *) (const void *) s->run_list->data;
  guint w = s->tree[0];
  uint64_t wk = xsort_run_k0 (&runs[w]);
  for (guint m = (k + w) / 2; m >= 1; m /= 2) {
    guint t = s->tree[m];
    uint64_t tk = s->tree_k0[m];
    /* Which of two uniform keys is smaller is a coin toss: selected
     * without a branch, which would be mispredicted half the time. */
    gboolean swap = G_UNLIKELY (tk == wk) ? xsort_run_less (runs, t, w) : tk < wk;
    guint up = swap ? t : w;
    uint64_t up_k0 = swap ? tk : wk;
    s->tree[m] = swap ? w : t;
    s->tree_k0[m] = swap ? wk : tk;
    w = up;
    wk = up_k0;
  }
  s->tree[0] = w;
}

void
xsort_finish (XSort *s)
{
  g_assert (!s->is_reading);
  s->is_reading = TRUE;
  s->pos = 0;
  if (s->run_list->len == 0) {
    xsort_sort_held (s);
    return;
  }
  if (s->n > 0)
    xsort_spill (s);
  /* The runs are read back through windows that share the budget. */
  g_clear_pointer (&s->ents, g_free);
  g_clear_pointer (&s->extra, g_free);
  s->cap = s->cap_extra = 0;
  guint k = s->run_list->len;
  size_t win = MAX ((size_t) 4096, s->budget / k) & ~(size_t) 7;
  for (guint i = 0; i < k; i++) {
    XSortRun *r = &g_array_index (s->run_list, XSortRun, i);
    xwindow_init (&r->win, &s->runs, win);
    s->read_bytes += win;
    r->done = FALSE;
    xsort_run_advance (s, r);
  }
  xsort_tree_build (s);
}

gboolean
xsort_next (XSort *s, XEnt *e, const uint64_t **extra)
{
  g_assert (s->is_reading);
  if (s->run_list->len == 0) {
    if (s->pos >= s->n)
      return FALSE;
    *e = s->ents[s->pos++];
    *extra = e->n_extra > 0 ? s->extra + e->extra_off : NULL;
    return TRUE;
  }
  XSortRun *runs = (XSortRun *) (void *) s->run_list->data;
  if (s->has_last) {
    xsort_run_advance (s, &runs[s->tree[0]]);
    xsort_tree_replay (s);
    s->has_last = FALSE;
  }
  const XSortRun *r = &runs[s->tree[0]];
  if (r->done)
    return FALSE;
  s->has_last = TRUE;
  *e = r->cur;
  *extra = r->cur_extra;
  return TRUE;
}

size_t
xsort_memory (const XSort *s)
{
  return s->cap * sizeof (XEnt) + s->cap_extra * 8 + s->read_bytes + xspool_memory (&s->runs)
         + s->run_list->len * sizeof (XSortRun);
}

/* ---- The visited set ------------------------------------------------------*/

static size_t
page_round (size_t n)
{
  size_t page = 4096;
  return (n + page - 1) / page * page;
}

/* The array grows by remapping its pages, not copying them, where the
 * system allows. */
static uint64_t *
big_resize (uint64_t *p, size_t old_bytes, size_t new_bytes)
{
#if defined(__linux__) && defined(MREMAP_MAYMOVE)
  if (new_bytes == 0) {
    if (p != NULL)
      munmap (p, old_bytes);
    return NULL;
  }
  void *q = p == NULL ? mmap (NULL, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                              -1, 0)
                      : mremap (p, old_bytes, new_bytes, MREMAP_MAYMOVE);
  return q == MAP_FAILED ? NULL : q;
#else
  (void) old_bytes;
  return g_try_realloc (p, new_bytes);
#endif
}

void
xvisited_init (XVisited *s, int words)
{
  memset (s, 0, sizeof *s);
  s->words = words;
  s->index = g_new0 (uint32_t, 2);
}

void
xvisited_clear (XVisited *s)
{
  big_resize (s->v, s->mapped, 0);
  g_free (s->index);
  memset (s, 0, sizeof *s);
}

/* Leading bits indexed for n fingerprints: 32 to 64 fingerprints a range. */
static int
index_bits_for (uint64_t n)
{
  int b = 0;
  while (b < 40 && (n >> (b + 1)) >= 32)
    b++;
  return b;
}

uint64_t
xvisited_bytes_for (const XVisited *s, uint64_t n)
{
  return n * (uint64_t) s->words * 8 + (((uint64_t) 1 << index_bits_for (n)) + 1) * 4;
}

static inline int
fp_cmp (const uint64_t *a, uint64_t lo, uint64_t hi, int words)
{
  if (a[0] != lo)
    return a[0] < lo ? -1 : 1;
  if (words == 1 || a[1] == hi)
    return 0;
  return a[1] < hi ? -1 : 1;
}

/* Where a lookup of lo starts: its range of leading bits is [*a, *e),
 * and fingerprints are uniform, so lo's remaining bits say where in it. */
static inline uint64_t
xvisited_guess (const XVisited *s, uint64_t lo, uint64_t *a, uint64_t *e)
{
  int b = s->index_bits;
  uint64_t bucket = b == 0 ? 0 : lo >> (64 - b);
  *a = s->index[bucket];
  *e = s->index[bucket + 1];
  uint64_t rest = b == 0 ? lo : lo << b;
  return *a + (uint64_t) (((unsigned __int128) rest * (*e - *a)) >> 64);
}

gboolean
xvisited_contains (const XVisited *s, uint64_t lo, uint64_t hi)
{
  if (s->n == 0)
    return FALSE;
  uint64_t a, e;
  uint64_t i = xvisited_guess (s, lo, &a, &e);
  if (a == e)
    return FALSE;
  /* Then walk (a few steps on average). */
  const int w = s->words;
  int c = fp_cmp (s->v + i * w, lo, hi, w);
  if (c == 0)
    return TRUE;
  if (c < 0) {
    for (i++; i < e; i++) {
      c = fp_cmp (s->v + i * w, lo, hi, w);
      if (c >= 0)
        return c == 0;
    }
    return FALSE;
  }
  while (i > a) {
    i--;
    c = fp_cmp (s->v + i * w, lo, hi, w);
    if (c <= 0)
      return c == 0;
  }
  return FALSE;
}

size_t
xvisited_drop_known (const XVisited *s, void *items, size_t from, size_t n, size_t size,
                     size_t fp_off)
{
  if (s->n == 0 || from >= n)
    return n;
  uint8_t *base = items;
#define XV_FP(k) ((const uint64_t *) (const void *) (base + (k) * size + fp_off))
  /* A lookup is a cache miss or two (the index, then the array): they
   * are asked for AHEAD items early, the index's twice as early, so
   * several are fetched at once instead of one after another. */
  enum { AHEAD = 8 };
  const int b = s->index_bits;
  for (size_t k = from; k < MIN (n, from + AHEAD); k++)
    __builtin_prefetch (&s->index[b == 0 ? 0 : XV_FP (k)[0] >> (64 - b)]);
  size_t kept = from;
  for (size_t k = from; k < n; k++) {
    if (k + 2 * AHEAD < n)
      __builtin_prefetch (&s->index[b == 0 ? 0 : XV_FP (k + 2 * AHEAD)[0] >> (64 - b)]);
    if (k + AHEAD < n) {
      uint64_t a, e;
      uint64_t i = xvisited_guess (s, XV_FP (k + AHEAD)[0], &a, &e);
      if (i < s->n)
        __builtin_prefetch (s->v + i * (uint64_t) s->words);
    }
    const uint64_t *f = XV_FP (k);
    if (xvisited_contains (s, f[0], s->words == 2 ? f[1] : 0))
      continue;
    if (kept != k)
      memcpy (base + kept * size, base + k * size, size);
    kept++;
  }
#undef XV_FP
  return kept;
}

static void
xvisited_reindex (XVisited *s)
{
  int b = index_bits_for (s->n);
  uint64_t nb = (uint64_t) 1 << b;
  g_free (s->index);
  s->index = g_new (uint32_t, nb + 1);
  s->index_bits = b;
  uint64_t i = 0;
  for (uint64_t k = 0; k < nb; k++) {
    /* The first fingerprint whose top b bits are >= k. */
    while (i < s->n && (b == 0 ? 0 : s->v[i * s->words] >> (64 - b)) < k)
      i++;
    s->index[k] = (uint32_t) i;
  }
  s->index[nb] = (uint32_t) s->n;
}

gboolean
xvisited_merge (XVisited *s, XSpool *fresh, uint64_t m)
{
  if (m == 0)
    return TRUE;
  const int w = s->words;
  uint64_t total = s->n + m;
  size_t need = page_round ((size_t) (total * (uint64_t) w * 8));
  if (need > s->mapped) {
    uint64_t *v = big_resize (s->v, s->mapped, need);
    if (v == NULL)
      return FALSE;
    s->v = v;
    s->mapped = need;
  }
  /* From the back: the largest of what is left of each goes last, so
   * the array's own fingerprints move up without being overwritten
   * first, and the new ones are read back in chunks from the end. */
  enum { CHUNK = 4096 };
  uint64_t *buf = g_new (uint64_t, CHUNK * (size_t) w);
  uint64_t i = s->n, j = m, k = total, in_buf = 0;
  while (j > 0) {
    if (in_buf == 0) {
      in_buf = MIN ((uint64_t) CHUNK, j);
      xspool_read (fresh, (j - in_buf) * (uint64_t) w * 8, buf, (size_t) in_buf * w * 8);
    }
    const uint64_t *f = buf + (in_buf - 1) * w;
    if (i > 0 && fp_cmp (s->v + (i - 1) * w, f[0], w == 2 ? f[1] : 0, w) > 0) {
      i--;
      k--;
      memcpy (s->v + k * w, s->v + i * w, 8 * (size_t) w);
    } else {
      k--;
      memcpy (s->v + k * w, f, 8 * (size_t) w);
      in_buf--;
      j--;
    }
  }
  g_free (buf);
  s->n = total;
  xvisited_reindex (s);
  return TRUE;
}
