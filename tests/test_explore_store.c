/* test_explore_store.c: what breadth-first `dsim explore` keeps per state
 * (sim/explore_store.c): the external sort and the sorted visited set
 * against plain references; a search whose sorts spill hundreds of runs
 * to temporary files finds the same states in the same order, the same
 * counts and the same counterexample as one that sorts in memory, on one
 * thread or several, with 64- or 128-bit fingerprints; temporary files are
 * gone when it ends; a directory that cannot be written, a write that
 * fails and --max-memory end `unknown` with the reason. */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "sim/explore.h"
#include "sim/explore_store.h"
#include "sim/scenario.h"
#include "protocols/mix64.h"
#include "tests/support.h"
#include "tests/world_support.h"

/* ---- The pieces -----------------------------------------------------------*/

static gint
cmp_ent (gconstpointer pa, gconstpointer pb)
{
  const XEnt *a = pa, *b = pb;
  if (a->k0 != b->k0)
    return a->k0 < b->k0 ? -1 : 1;
  if (a->k1 != b->k1)
    return a->k1 < b->k1 ? -1 : 1;
  return a->k2 < b->k2 ? -1 : a->k2 > b->k2;
}

/* 20000 entries with 6002 distinct (k0, k1), each with a word or two, in a
 * budget of 4 KB (hundreds of runs) and in one of 4 MB: read back, the
 * entries of each (k0, k1) start with the smallest k2 and hold, between
 * them, exactly the words common to all of that key's entries. */
Test (explore_store, sort_spills_runs_and_reads_them_back_in_order)
{
  const guint n = 20000;
  g_autoptr (GArray) ref = g_array_new (FALSE, FALSE, sizeof (XEnt));
  for (guint i = 0; i < n; i++) {
    XEnt e = { .k0 = mix64 (i % 3001), .k1 = i % 2, .k2 = mix64 (i + 7) >> 8, .n_extra = 2 };
    g_array_append_val (ref, e);
  }
  g_array_sort (ref, cmp_ent);
  for (int pass = 0; pass < 2; pass++) {
    g_autofree char *dir = g_dir_make_tmp ("dsim-store-XXXXXX", NULL);
    XStore st;
    xstore_init (&st, dir);
    XSort s;
    xsort_init (&s, &st, pass == 0 ? 4096 : 4 << 20);
    for (guint i = 0; i < n; i++) {
      XEnt e = { .k0 = mix64 (i % 3001), .k1 = i % 2, .k2 = mix64 (i + 7) >> 8, .n_extra = 2 };
      /* Each entry's words: its key's word, and one of its own. */
      uint64_t words[2] = { e.k0 ^ e.k1, 1000000 + i };
      xsort_add (&s, &e, words);
    }
    cr_expect_eq (s.count, n);
    if (pass == 0)
      cr_expect_gt (xsort_runs (&s), 100, "%u runs", xsort_runs (&s));
    else
      cr_expect_eq (xsort_runs (&s), 0);
    xsort_finish (&s);
    XEnt e;
    const uint64_t *extra;
    guint at = 0, groups = 0;
    gboolean has = xsort_next (&s, &e, &extra);
    while (has) {
      /* The reference's run of this (k0, k1). */
      const XEnt *r = &g_array_index (ref, XEnt, at);
      cr_assert (r->k0 == e.k0 && r->k1 == e.k1 && r->k2 == e.k2, "entry %u, pass %d", at, pass);
      guint run = 0;
      while (at + run < n && g_array_index (ref, XEnt, at + run).k0 == e.k0
             && g_array_index (ref, XEnt, at + run).k1 == e.k1)
        run++;
      /* Read the entries of this key, intersecting their words. */
      uint64_t common[2];
      guint n_common = MIN (e.n_extra, 2);
      memcpy (common, extra, 8 * n_common);
      XEnt first = e;
      while ((has = xsort_next (&s, &e, &extra)) && e.k0 == first.k0 && e.k1 == first.k1) {
        cr_assert (e.k2 > first.k2);
        guint kept = 0;
        for (guint a = 0; a < n_common; a++)
          for (guint b = 0; b < e.n_extra; b++)
            if (extra[b] == common[a]) {
              common[kept++] = common[a];
              break;
            }
        n_common = kept;
      }
      cr_assert_geq (n_common, 1, "the key's own word is common");
      cr_expect_eq (common[0], first.k0 ^ first.k1);
      cr_expect_eq (n_common, run == 1 ? 2u : 1u, "key run of %u", run);
      at += run;
      groups++;
    }
    cr_expect_eq (at, n, "pass %d", pass);
    cr_expect_eq (groups, 6002);
    cr_expect_eq (st.written > 0, pass == 0);
    cr_expect_null (st.error);
    xsort_clear (&s);
    xstore_clear (&st);
    g_rmdir (dir);
  }
}

static gint
cmp_fp2 (gconstpointer pa, gconstpointer pb)
{
  const uint64_t *a = pa, *b = pb;
  if (a[0] != b[0])
    return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* Fingerprints merged level by level (10 levels of up to 30000, 64 and
 * 128 bits): every one is found, and none of a disjoint set is. */
Test (explore_store, visited_set_finds_exactly_what_was_merged)
{
  for (int words = 1; words <= 2; words++) {
    XStore st;
    xstore_init (&st, NULL);
    XVisited v;
    xvisited_init (&v, words);
    XSpool fresh;
    xspool_init (&fresh, &st, 1 << 20);
    uint64_t total = 0;
    for (int level = 0; level < 10; level++) {
      guint m = level == 0 ? 1 : 3000 * (guint) level;
      g_autoptr (GArray) add = g_array_new (FALSE, FALSE, sizeof (uint64_t) * 2);
      for (guint i = 0; i < m; i++) {
        uint64_t f[2] = { mix64 (2 * (total + i)), words == 2 ? mix64 (total + i + 99) : 0 };
        if (words == 2 && i % 7 == 0 && total + i > 0)
          f[0] = mix64 (2 * (total + i - 1)); /* the same first word, another second */
        g_array_append_val (add, f);
      }
      g_array_sort (add, cmp_fp2);
      xspool_truncate (&fresh);
      for (guint i = 0; i < m; i++)
        xspool_append (&fresh, &g_array_index (add, uint64_t, 2 * i), 8 * (size_t) words);
      cr_assert (xvisited_merge (&v, &fresh, m));
      total += m;
    }
    cr_assert_eq (v.n, total);
    for (uint64_t i = 1; i < v.n; i++) {
      const uint64_t *a = v.v + (i - 1) * words, *b = v.v + i * words;
      cr_assert (a[0] < b[0] || (a[0] == b[0] && words == 2 && a[1] < b[1]), "sorted at %lu",
                 (unsigned long) i);
    }
    for (uint64_t i = 0; i < v.n; i++) {
      const uint64_t *a = v.v + i * words;
      cr_assert (xvisited_contains (&v, a[0], words == 2 ? a[1] : 0), "member %lu",
                 (unsigned long) i);
    }
    for (uint64_t i = 0; i < 100000; i++)
      cr_assert (!xvisited_contains (&v, mix64 (2 * i + 1), words == 2 ? mix64 (i + 99) : 0));
    if (words == 2)
      cr_assert (!xvisited_contains (&v, v.v[0], v.v[1] + 1));
    cr_expect_eq (xvisited_bytes (&v), total * 8 * words + (((uint64_t) 1 << v.index_bits) + 1) * 4);
    cr_expect_lt (xvisited_bytes (&v), total * (8 * words + 1));
    xspool_clear (&fresh);
    xvisited_clear (&v);
    xstore_clear (&st);
  }
}

/* Keys meant to trip a radix sort on k0, which the sort must still put in
 * exactly the comparison's order: uniform fingerprints; k0 all equal (the
 * order is k1's, then k2's); a few k0 values; k0 equal in their high 40
 * bits; k0 differing only in the top bit, or at both ends (0 and all
 * ones); the states' keys, parent << 32 | choice index, with parents in
 * a narrow range and indices small. */
static XEnt
adversarial_ent (int kind, guint i)
{
  uint64_t h = mix64 (i + 1000 * (uint64_t) kind);
  XEnt e = { .k0 = h, .k1 = 0, .k2 = mix64 (h) };
  switch (kind) {
  case 0:
    break;
  case 1:
    e.k0 = 0x1234;
    e.k1 = h % 97;
    break;
  case 2:
    e.k0 = mix64 (h % 5);
    e.k1 = h % 3;
    break;
  case 3:
    e.k0 = 0xabcdef1234ull << 24 | (h & 0xffffff);
    break;
  case 4:
    e.k0 = (h & 1) << 63;
    e.k1 = h >> 40;
    break;
  case 5:
    e.k0 = h % 3 == 0 ? 0 : h % 3 == 1 ? G_MAXUINT64 : h;
    e.k1 = h >> 50;
    break;
  default:
    e.k0 = (uint64_t) (70000 + h % 3000) << 32 | (h >> 32) % 6;
    e.k1 = h;
    break;
  }
  return e;
}

/* The adversarial keys, 1 to 40000 of them, in memory and in budgets that
 * spill 2 to 7 runs, or hundreds (loser trees of many shapes): read
 * back, the keys come in strictly increasing order, each (k0, k1) group
 * is the reference's and starts with its smallest k2, and the words of a
 * group's first entry are its own. */
Test (explore_store, sort_orders_adversarial_keys_as_the_comparison_does, .timeout = 120)
{
  const guint sizes[] = { 1, 2, 33, 1000, 40000 };
  for (int kind = 0; kind <= 6; kind++)
    for (guint si = 0; si < G_N_ELEMENTS (sizes); si++) {
      const guint n = sizes[si];
      g_autoptr (GArray) ref = g_array_new (FALSE, FALSE, sizeof (XEnt));
      for (guint i = 0; i < n; i++) {
        XEnt e = adversarial_ent (kind, i);
        g_array_append_val (ref, e);
      }
      g_array_sort (ref, cmp_ent);
      /* The reference's (k0, k1) groups: their first entries. */
      g_autoptr (GArray) firsts = g_array_new (FALSE, FALSE, sizeof (XEnt));
      for (guint i = 0; i < n; i++) {
        const XEnt *r = &g_array_index (ref, XEnt, i);
        if (i == 0 || r->k0 != r[-1].k0 || r->k1 != r[-1].k1)
          g_array_append_val (firsts, *r);
      }
      const size_t budgets[] = { 64 << 20, (size_t) n * 20, (size_t) n * 12, (size_t) n * 7, 4096 };
      for (guint bi = 0; bi < G_N_ELEMENTS (budgets); bi++) {
        XStore st;
        xstore_init (&st, NULL);
        XSort s;
        xsort_init (&s, &st, MAX (budgets[bi], sizeof (XEnt) + 8));
        for (guint i = 0; i < n; i++) {
          XEnt e = adversarial_ent (kind, i);
          e.n_extra = 1;
          uint64_t word = e.k2 ^ 0x5555;
          xsort_add (&s, &e, &word);
        }
        guint runs = xsort_runs (&s);
        if (bi == 0)
          cr_expect_eq (runs, 0);
        xsort_finish (&s);
        XEnt e, prev = { 0 };
        const uint64_t *extra;
        guint got = 0, groups = 0;
        while (xsort_next (&s, &e, &extra)) {
          if (got > 0)
            cr_assert (cmp_ent (&prev, &e) < 0, "kind %d, n %u, %u runs: out of order at %u",
                       kind, n, runs, got);
          if (got == 0 || e.k0 != prev.k0 || e.k1 != prev.k1) {
            cr_assert_lt (groups, firsts->len, "kind %d, n %u, %u runs", kind, n, runs);
            const XEnt *f = &g_array_index (firsts, XEnt, groups);
            cr_assert (f->k0 == e.k0 && f->k1 == e.k1 && f->k2 == e.k2,
                       "kind %d, n %u, %u runs: group %u", kind, n, runs, groups);
            cr_assert (e.n_extra <= 1);
            if (e.n_extra == 1)
              cr_assert_eq (extra[0], e.k2 ^ 0x5555);
            groups++;
          }
          prev = e;
          got++;
        }
        cr_expect_eq (groups, firsts->len, "kind %d, n %u, %u runs", kind, n, runs);
        cr_expect_null (st.error);
        xsort_clear (&s);
        xstore_clear (&st);
      }
    }
}

/* Items with a fingerprint inside (at an offset, with other fields
 * around it). */
typedef struct {
  uint32_t tag;
  uint64_t fp[2];
  uint32_t more;
} Item;

/* A batch of lookups drops exactly the items xvisited_contains finds,
 * keeps the others in their order, and leaves the items before `from`
 * alone: 64 and 128 bits, an empty set, a set of one, batches shorter
 * and longer than the lookahead. */
Test (explore_store, batched_lookups_drop_exactly_the_known)
{
  for (int words = 1; words <= 2; words++)
    for (int size = 0; size < 3; size++) {
      XStore st;
      xstore_init (&st, NULL);
      XVisited v;
      xvisited_init (&v, words);
      XSpool fresh;
      xspool_init (&fresh, &st, 1 << 20);
      guint m = size == 0 ? 0 : size == 1 ? 1 : 50000;
      g_autoptr (GArray) add = g_array_new (FALSE, FALSE, sizeof (uint64_t) * 2);
      for (guint i = 0; i < m; i++) {
        uint64_t f[2] = { mix64 (3 * i), words == 2 ? mix64 (i + 7) : 0 };
        g_array_append_val (add, f);
      }
      g_array_sort (add, cmp_fp2);
      for (guint i = 0; i < m; i++)
        xspool_append (&fresh, &g_array_index (add, uint64_t, 2 * i), 8 * (size_t) words);
      cr_assert (xvisited_merge (&v, &fresh, m));
      const guint batches[] = { 0, 1, 5, 17, 3000 };
      for (guint bi = 0; bi < G_N_ELEMENTS (batches); bi++) {
        guint n = batches[bi], from = n / 3;
        g_autofree Item *items = g_new0 (Item, n);
        for (guint i = 0; i < n; i++) {
          guint j = (guint) (mix64 (i + 11 * n) % (m + 1));
          items[i].tag = i;
          items[i].more = ~i;
          if (i % 2 == 0 && m > 0) { /* a member */
            items[i].fp[0] = g_array_index (add, uint64_t, 2 * (j % m));
            items[i].fp[1] = g_array_index (add, uint64_t, 2 * (j % m) + 1);
          } else { /* not one: another first word, or the same and another second */
            items[i].fp[0] = mix64 (3 * (uint64_t) j + 1);
            items[i].fp[1] = words == 2 ? mix64 (j) : 0;
            if (words == 2 && m > 0 && i % 4 == 1) {
              items[i].fp[0] = g_array_index (add, uint64_t, 2 * (j % m));
              items[i].fp[1] = g_array_index (add, uint64_t, 2 * (j % m) + 1) + 1;
            }
          }
        }
        g_autofree Item *expect = g_new0 (Item, MAX (n, 1));
        guint n_expect = 0;
        for (guint i = 0; i < n; i++)
          if (i < from || !xvisited_contains (&v, items[i].fp[0], items[i].fp[1]))
            expect[n_expect++] = items[i];
        size_t kept = xvisited_drop_known (&v, items, from, n, sizeof (Item),
                                           G_STRUCT_OFFSET (Item, fp));
        cr_assert_eq (kept, n_expect, "words %d, set of %u, batch %u", words, m, n);
        for (guint i = 0; i < n_expect; i++)
          cr_assert (items[i].tag == expect[i].tag && items[i].more == expect[i].more
                       && items[i].fp[0] == expect[i].fp[0] && items[i].fp[1] == expect[i].fp[1],
                     "words %d, set of %u, batch %u: item %u", words, m, n, i);
        if (m == 50000 && n == 3000)
          cr_expect (n_expect > from + 700 && n_expect < n - 700, "kept %u of %u", n_expect, n);
      }
      xspool_clear (&fresh);
      xvisited_clear (&v);
      xstore_clear (&st);
    }
}

/* ---- Searches -------------------------------------------------------------*/

static void
collect (uint64_t fp, void *data)
{
  g_array_append_val ((GArray *) data, fp);
}

/* A search of cfg; the states found, in the order they were numbered. */
static SimExploreResult *
search (const SimConfig *cfg, int threads, uint64_t buffer, const char *dir, GArray **states)
{
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  opt.threads = threads;
  opt.buffer_bytes = buffer;
  opt.tmp_dir = dir;
  if (states != NULL) {
    *states = g_array_new (FALSE, FALSE, sizeof (uint64_t));
    opt.on_state = collect;
    opt.on_state_data = *states;
  }
  return sim_explore_run (cfg, &opt);
}

static gboolean
dir_is_empty (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  return d != NULL && g_dir_read_name (d) == NULL;
}

/* 3-node Raft to depth 8 (53782 states, pinned in test_explore_speed.c):
 * sorts of 4 KB spill hundreds of runs a level, and the search finds the
 * same states in the same order, generates as many, sleeps as many, on
 * one thread and on two, with and without the reduction, with 128-bit
 * fingerprints too; its temporary files are gone when it ends. */
Test (explore_store, spilled_runs_find_the_same_states_in_the_same_order, .timeout = 300)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-correct.scn");
  cfg->explore.depth = 8;
  g_autofree char *dir = g_dir_make_tmp ("dsim-explore-test-XXXXXX", NULL);
  for (int por = 1; por >= 0; por--) {
    cfg->explore.por = por;
    GArray *mem_states = NULL;
    g_autoptr (SimExploreResult) mem = search (cfg, 1, 64 << 20, dir, &mem_states);
    cr_assert_eq (mem->verdict, SIM_EXPLORE_PASS, "%s", mem->what);
    cr_expect_eq (mem->stats.distinct, 53782);
    cr_expect_eq (mem->stats.generated, por ? 101967 : 113047);
    cr_expect_eq (mem_states->len, mem->stats.distinct - 1);
    for (int threads = 1; threads <= 2; threads++) {
      GArray *states = NULL;
      g_autoptr (SimExploreResult) r = search (cfg, threads, 4096, dir, &states);
      cr_assert_eq (r->verdict, SIM_EXPLORE_PASS, "%s", r->what);
      cr_expect_eq (r->stats.distinct, mem->stats.distinct);
      cr_expect_eq (r->stats.generated, mem->stats.generated, "por %d, %d threads", por, threads);
      cr_expect_eq (r->stats.slept, mem->stats.slept);
      cr_expect_gt (r->stats.disk_bytes, 4 << 20, "%" G_GUINT64_FORMAT " bytes spilled",
                    r->stats.disk_bytes);
      cr_assert_eq (states->len, mem_states->len);
      cr_expect (memcmp (states->data, mem_states->data, 8 * (size_t) states->len) == 0,
                 "por %d, %d threads: other states or another order", por, threads);
      cr_expect (dir_is_empty (dir), "temporary files left in %s", dir);
      g_array_unref (states);
    }
    g_array_unref (mem_states);
  }
  cfg->explore.por = TRUE;
  cfg->explore.fingerprint_bits = 128;
  g_autoptr (SimExploreResult) wide = search (cfg, 2, 4096, dir, NULL);
  cr_expect_eq (wide->stats.distinct, 53782);
  cr_expect_eq (wide->stats.generated, 101967);
  cr_expect (dir_is_empty (dir));
  g_rmdir (dir);
}

/* A counterexample found with spilled sorts is the one found in memory:
 * the same path, at the same count of distinct states. */
Test (explore_store, spilled_runs_find_the_same_counterexample, .timeout = 300)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-vote-without-log-check.scn");
  g_autoptr (SimExploreResult) mem = search (cfg, 1, 64 << 20, NULL, NULL);
  g_autoptr (SimExploreResult) disk = search (cfg, 2, 4096, NULL, NULL);
  cr_assert_eq (mem->verdict, SIM_EXPLORE_VIOLATION);
  cr_assert_eq (disk->verdict, SIM_EXPLORE_VIOLATION);
  cr_expect_str_eq (disk->what, mem->what);
  cr_expect_eq (disk->stats.distinct, mem->stats.distinct);
  cr_expect_eq (disk->stats.generated, mem->stats.generated);
  cr_assert_eq (disk->path->len, mem->path->len);
  cr_expect (memcmp (disk->path->data, mem->path->data,
                     sizeof (SimPinnedChoice) * mem->path->len) == 0);
}

/* A temporary directory that is not one (a file): unknown, naming it. */
Test (explore_store, an_unusable_temporary_directory_ends_unknown, .timeout = 120)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-correct.scn");
  cfg->explore.depth = 6;
  g_autofree char *dir = g_dir_make_tmp ("dsim-explore-test-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "not-a-dir", NULL);
  cr_assert (g_file_set_contents (file, "x", 1, NULL));
  g_autoptr (SimExploreResult) r = search (cfg, 1, 4096, file, NULL);
  cr_assert_eq (r->verdict, SIM_EXPLORE_UNKNOWN);
  cr_expect (strstr (r->what, file) != NULL, "%s", r->what);
  cr_expect (strstr (r->what, "cannot create a file") != NULL, "%s", r->what);
  cr_expect (strstr (r->what, "TMPDIR") != NULL, "%s", r->what);
  g_unlink (file);
  g_rmdir (dir);

  /* The command: exit 3, the reason on the why line. */
  g_autofree char *scn = test_source_path ("scenarios/explore/raft-correct.scn");
  g_setenv ("TMPDIR", "/nonexistent/dsim", TRUE);
  char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "explore", scn, "--depth", "9", NULL }, &out, &err);
  cr_expect_eq (rc, 3, "%s%s", out, err);
  cr_expect (strstr (out, "why          temporary files in /nonexistent/dsim: cannot create a "
                     "file") != NULL, "%s", out);
  cr_expect (strstr (out, "outcome      unknown") != NULL, "%s", out);
  g_free (out);
  g_free (err);
}

/* A write that fails half way (the file size limit stands in for a full
 * disk): unknown with the system's reason, no crash. */
Test (explore_store, a_failed_write_ends_unknown, .timeout = 120)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-correct.scn");
  cfg->explore.depth = 8;
  signal (SIGXFSZ, SIG_IGN);
  struct rlimit lim = { 256 << 10, 256 << 10 };
  cr_assert (setrlimit (RLIMIT_FSIZE, &lim) == 0);
  g_autoptr (SimExploreResult) r = search (cfg, 2, 4096, NULL, NULL);
  cr_assert_eq (r->verdict, SIM_EXPLORE_UNKNOWN);
  cr_expect (strstr (r->what, "cannot write: File too large") != NULL, "%s", r->what);
}

/* --max-memory ends the search before the visited array would outgrow
 * it: unknown, the reason, the peak within the bound. */
Test (explore_store, max_memory_ends_unknown_within_the_bound, .timeout = 120)
{
  g_autoptr (SimConfig) cfg = test_scenario_load ("scenarios/explore/raft-correct.scn");
  cfg->explore.depth = 10;
  SimExploreOptions opt;
  sim_explore_options_init (&opt, cfg);
  opt.max_memory_bytes = 2 << 20;
  g_autoptr (SimExploreResult) r = sim_explore_run (cfg, &opt);
  cr_assert_eq (r->verdict, SIM_EXPLORE_UNKNOWN);
  cr_expect (strstr (r->what, "reached --max-memory (2 MB) after depth") != NULL, "%s", r->what);
  cr_expect_lt (r->stats.depth, 10);
  cr_expect_leq (r->stats.memory_bytes, opt.max_memory_bytes, "%" G_GUINT64_FORMAT " bytes",
                 r->stats.memory_bytes);

  g_autofree char *scn = test_source_path ("scenarios/explore/raft-correct.scn");
  char *out = NULL, *err = NULL;
  int rc = test_run_dsim ((const char *[]) { "explore", scn, "--depth", "10", "--max-memory",
                                             "2M", NULL }, &out, &err);
  cr_expect_eq (rc, 3, "%s%s", out, err);
  cr_expect (strstr (out, "why          reached --max-memory (2 MB)") != NULL, "%s", out);
  g_free (out);
  g_free (err);
  /* A limit below a megabyte is said as given, not rounded to "0 MB". */
  rc = test_run_dsim ((const char *[]) { "explore", scn, "--depth", "10", "--max-memory", "300K",
                                         NULL }, &out, &err);
  cr_expect_eq (rc, 3, "%s%s", out, err);
  cr_expect (strstr (out, "reached --max-memory (300 KB)") != NULL, "%s", out);
  g_free (out);
  g_free (err);
}
