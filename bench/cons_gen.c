/* cons_gen.c: writes a differentiated read/write history as dsim JSON
 * Lines, for the consistency benchmarks.
 *
 *   cons_gen N [--processes P] [--keys K] [--seed S] [--convergent]
 *
 * P replicas, one client process each, on K keys.  A write gets a fresh
 * value (so the history is differentiated) and is applied at its own
 * replica at once; other replicas receive it by causal broadcast, after a
 * random delay, only once they hold everything it depends on.  A read
 * returns the local replica's value.  By default a replica keeps the last
 * write it applied (causal memory: every causal model holds, convergence
 * usually not); with --convergent it keeps the write with the highest
 * (Lamport time, process) (causal convergence). */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/pcg32.h"

typedef struct {
  int origin, key;
  int64_t value;
  int64_t lamport;
  int *deps; /* vector clock: writes of each origin it depends on */
} Write;

typedef struct {
  int *applied;      /* per origin: how many of its writes are applied */
  int64_t *val;      /* per key: current value (0: nil) */
  int64_t *stamp;    /* per key: lamport * P + origin of the current write */
  int64_t clock;
} Replica;

int
main (int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0) {
    fprintf (stderr, "usage: cons_gen N [--processes P] [--keys K] [--seed S] [--convergent]\n");
    return argc < 2 ? 2 : 0;
  }
  long n = strtol (argv[1], NULL, 10);
  int P = 10, K = 100;
  uint64_t seed = 1;
  gboolean convergent = FALSE;
  for (int i = 2; i < argc; i++) {
    if (strcmp (argv[i], "--processes") == 0 && i + 1 < argc)
      P = atoi (argv[++i]);
    else if (strcmp (argv[i], "--keys") == 0 && i + 1 < argc)
      K = atoi (argv[++i]);
    else if (strcmp (argv[i], "--seed") == 0 && i + 1 < argc)
      seed = strtoull (argv[++i], NULL, 10);
    else if (strcmp (argv[i], "--convergent") == 0)
      convergent = TRUE;
    else {
      fprintf (stderr, "cons_gen: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (n <= 0 || P <= 0 || K <= 0) {
    fprintf (stderr, "cons_gen: N, P and K must be positive\n");
    return 2;
  }
  Pcg32 rng;
  pcg32_seed (&rng, seed, 7u);
  GPtrArray *writes = g_ptr_array_new ();          /* all writes, in issue order */
  GArray **by_origin = g_new (GArray *, P);         /* origin -> write ids */
  Replica *rep = g_new0 (Replica, P);
  for (int p = 0; p < P; p++) {
    by_origin[p] = g_array_new (FALSE, FALSE, sizeof (guint));
    rep[p].applied = g_new0 (int, P);
    rep[p].val = g_new0 (int64_t, K);
    rep[p].stamp = g_new0 (int64_t, K);
  }
  int64_t next_value = 1, time_us = 0;
  GString *line = g_string_new (NULL);
  for (long op = 0; op < n; op++) {
    /* Deliver a few pending writes somewhere. */
    for (int d = 0; d < 2; d++) {
      int q = (int) pcg32_below (&rng, (uint32_t) P);
      int o = (int) pcg32_below (&rng, (uint32_t) P);
      if (o == q || (guint) rep[q].applied[o] >= by_origin[o]->len)
        continue;
      Write *w = g_ptr_array_index (writes, g_array_index (by_origin[o], guint, rep[q].applied[o]));
      gboolean ready = TRUE;
      for (int x = 0; x < P && ready; x++)
        ready = x == o || rep[q].applied[x] >= w->deps[x];
      if (!ready)
        continue;
      rep[q].applied[o]++;
      int64_t stamp = w->lamport * P + w->origin;
      if (!convergent || stamp > rep[q].stamp[w->key]) {
        rep[q].val[w->key] = w->value;
        rep[q].stamp[w->key] = stamp;
      }
      if (w->lamport > rep[q].clock)
        rep[q].clock = w->lamport;
    }
    int p = (int) pcg32_below (&rng, (uint32_t) P);
    int key = (int) pcg32_below (&rng, (uint32_t) K);
    gboolean is_write = pcg32_below (&rng, 100) < 40;
    int64_t value;
    if (is_write) {
      Write *w = g_new (Write, 1);
      w->origin = p;
      w->key = key;
      w->value = value = next_value++;
      w->lamport = ++rep[p].clock;
      w->deps = g_memdup2 (rep[p].applied, sizeof (int) * P);
      g_ptr_array_add (writes, w);
      guint id = writes->len - 1;
      g_array_append_val (by_origin[p], id);
      rep[p].applied[p]++;
      rep[p].val[key] = value;
      rep[p].stamp[key] = w->lamport * P + p;
    } else {
      value = rep[p].val[key];
    }
    const char *f = is_write ? "write" : "read";
    g_string_truncate (line, 0);
    g_string_append_printf (line, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"%s\",\"key\":\"k%d\"",
                            p, f, key);
    if (is_write)
      g_string_append_printf (line, ",\"value\":%" G_GINT64_FORMAT, value);
    g_string_append_printf (line, ",\"time\":%" G_GINT64_FORMAT "}\n", time_us++);
    g_string_append_printf (line, "{\"process\":%d,\"type\":\"ok\",\"f\":\"%s\",\"key\":\"k%d\",",
                            p, f, key);
    if (value == 0)
      g_string_append (line, "\"value\":null");
    else
      g_string_append_printf (line, "\"value\":%" G_GINT64_FORMAT, value);
    g_string_append_printf (line, ",\"time\":%" G_GINT64_FORMAT "}\n", time_us++);
    fputs (line->str, stdout);
  }
  g_string_free (line, TRUE);
  return 0;
}
