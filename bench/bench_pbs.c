/* bench_pbs.c: probabilistically bounded staleness (Bailis, Venkataraman,
 * Franklin, Hellerstein, Stoica, "Probabilistically Bounded Staleness for
 * Practical Partial Quorums", VLDB 2012): t-visibility of partial quorums,
 * measured in simulation and set beside the WARS model's prediction from
 * the same latency distribution.
 *
 *   bench_pbs [SEEDS [PLOT]]
 *
 * For each setting (N = 3 replicas on 3 nodes, last writer wins, no read
 * repair, and a W, R and latency distribution), SEEDS runs (default 20) of
 * 10 virtual seconds each: 4 clients read and write 16 keys.  From each
 * history, every read is set beside the last write of its key that had
 * completed before the read began (the last committed version); t is the
 * time from that write's completion to the read's invocation, and the read
 * is consistent if it returned that write's value or the value of a write
 * not known to precede it (still running when it began).  P(consistent | t) per 1ms bin is the measured curve.
 *
 * The model is WARS (Write, Ack, Read, reSponse latencies), mirrored on the
 * simulator's message path: the write's coordinator X is a random replica
 * and stores at once; each other replica j gets the write after W_j and
 * acknowledges after A_j; the write commits at the W-th answer (X's own
 * first) and its client hears of it one latency later.  The read is invoked
 * t after that, reaches its coordinator Y (a random replica) one latency
 * later; Y reads itself at once, asks each other replica k, which answers
 * from what it holds when the request arrives (after R_k) and whose answer
 * takes S_k; the read returns the R first answers, and is consistent if
 * one of them held the write.  Every latency is drawn independently from
 * the setting's distribution, as the simulated network does; 50,000
 * trials per t.  The writes and reads of other clients, which the model
 * leaves out, are the difference.
 *
 * Prints one table per setting and, if PLOT is given, draws the curves in
 * PLOT.svg and PLOT.png (solid: measured, dashed: model).  The random draws of the
 * model use a PCG stream seeded with a constant: the output is the same on
 * every run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkers/ops.h"
#include "sim/world.h"
#include "viz/render.h"

#define T_BINS 40       /* t from 0 to 40ms, 1ms bins */
#define MODEL_TRIALS 50000

typedef struct {
  const char *label;
  int w, r;
  SimLatencyDist dist;
  int64_t lo_us, hi_us, median_us;
  const char *colour;
} Setting;

static const Setting settings[] = {
  { "W=1 R=1, uniform 1-20ms", 1, 1, SIM_LATENCY_UNIFORM, 1000, 20000, 0, "#d62728" },
  { "W=1 R=2, uniform 1-20ms", 1, 2, SIM_LATENCY_UNIFORM, 1000, 20000, 0, "#1f77b4" },
  { "W=2 R=1, uniform 1-20ms", 2, 1, SIM_LATENCY_UNIFORM, 1000, 20000, 0, "#2ca02c" },
  { "W=1 R=1, long tail 1-100ms, median 5ms", 1, 1, SIM_LATENCY_LONGTAIL, 1000, 100000, 5000,
    "#9467bd" },
  { "W=2 R=2, uniform 1-20ms", 2, 2, SIM_LATENCY_UNIFORM, 1000, 20000, 0, "#7f7f7f" },
};

typedef struct {
  double measured[T_BINS];
  guint samples[T_BINS];
  double model[T_BINS];
} Curve;

/* ---- Measured ------------------------------------------------------------*/

typedef struct {
  int64_t call, ret, value;
} Write;

static void
measure_history (const ChkHistory *h, guint *consistent, guint *total)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  g_assert (ops != NULL);
  /* Completed writes per key, in completion order (ops are in invocation
   * order; a key has few writes, so a scan is enough). */
  for (guint i = 0; i < ops->len; i++) {
    const ChkOp *rd = &g_array_index (ops, ChkOp, i);
    if (rd->f != CHK_F_READ || rd->status != CHK_OP_OK)
      continue;
    const ChkOp *last = NULL;
    for (guint j = 0; j < ops->len; j++) {
      const ChkOp *wr = &g_array_index (ops, ChkOp, j);
      if (wr->f != CHK_F_WRITE || wr->status != CHK_OP_OK || wr->key != rd->key
          || wr->ret_time_us >= rd->call_time_us)
        continue;
      if (last == NULL || wr->ret_time_us > last->ret_time_us)
        last = wr;
    }
    if (last == NULL)
      continue;
    int64_t t_us = rd->call_time_us - last->ret_time_us;
    int bin = (int) (t_us / 1000);
    if (bin >= T_BINS)
      continue;
    /* Consistent: the last committed version, or a write not known to
     * precede it (one that had not completed when it was invoked). */
    ChkValue got = chk_op_output (rd);
    gboolean ok = got.kind == CHK_VAL_INT && got.i == chk_op_input (last).i;
    for (guint j = 0; j < ops->len && !ok && chk_op_output (rd).kind == CHK_VAL_INT; j++) {
      const ChkOp *wr = &g_array_index (ops, ChkOp, j);
      ok = wr->f == CHK_F_WRITE && wr->status != CHK_OP_FAIL && wr->key == rd->key
           && chk_op_input (wr).i == chk_op_output (rd).i
           && (wr->status == CHK_OP_INFO || wr->ret_time_us > last->call_time_us);
    }
    consistent[bin] += ok;
    total[bin]++;
  }
}

static void
measure (const Setting *s, guint seeds, Curve *c)
{
  const ProtoVTable *vt = proto_find ("quorum");
  g_assert (vt != NULL);
  g_autoptr (SimConfig) cfg = sim_config_new (vt);
  char w[8], r[8];
  g_snprintf (w, sizeof w, "%d", s->w);
  g_snprintf (r, sizeof r, "%d", s->r);
  g_autoptr (GError) error = NULL;
  if (!proto_config_set (vt, cfg->proto_config, "w", w, &error)
      || !proto_config_set (vt, cfg->proto_config, "r", r, &error))
    g_error ("%s", error->message);
  cfg->n_nodes = 3;
  cfg->duration_us = 10 * G_USEC_PER_SEC;
  cfg->net.dist = s->dist;
  cfg->net.latency_min_us = s->lo_us;
  cfg->net.latency_max_us = s->hi_us;
  if (s->median_us > 0)
    cfg->net.latency_median_us = s->median_us;
  SimWorkloadConfig *wl = &cfg->workload;
  wl->n_clients = 4;
  wl->n_keys = 16;
  wl->mix[PROTO_OP_READ] = 1;
  wl->mix[PROTO_OP_WRITE] = 1;
  wl->think_us = 5000;
  guint consistent[T_BINS] = { 0 }, total[T_BINS] = { 0 };
  for (guint seed = 1; seed <= seeds; seed++) {
    g_autoptr (SimWorld) world = sim_world_new (cfg, seed);
    sim_world_run (world);
    g_assert (sim_world_invariant_failure (world) == NULL);
    measure_history (sim_world_history (world), consistent, total);
  }
  for (int b = 0; b < T_BINS; b++) {
    c->samples[b] = total[b];
    c->measured[b] = total[b] > 0 ? (double) consistent[b] / total[b] : NAN;
  }
}

/* ---- Model ---------------------------------------------------------------*/

static double
draw (Pcg32 *rng, const Setting *s)
{
  double lo = (double) s->lo_us, hi = (double) s->hi_us;
  if (s->dist == SIM_LATENCY_UNIFORM)
    return lo + pcg32_double (rng) * (hi - lo);
  /* As sim_net_latency: min + Lomax(alpha 1.5) with the given median, capped. */
  double alpha = 1.5;
  double sc = (double) (s->median_us - s->lo_us) / (pow (2.0, 1.0 / alpha) - 1.0);
  double u = 1.0 - pcg32_double (rng);
  double x = sc * (pow (u, -1.0 / alpha) - 1.0);
  return x < hi - lo ? lo + x : hi;
}

static int
double_cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
model (const Setting *s, Curve *c)
{
  enum { N = 3 };
  Pcg32 rng;
  pcg32_seed (&rng, 20120827, 1);
  for (int b = 0; b < T_BINS; b++) {
    double t = (b + 0.5) * 1000.0; /* the middle of the bin, in us */
    guint consistent = 0;
    for (int trial = 0; trial < MODEL_TRIALS; trial++) {
      int x = (int) pcg32_below (&rng, N), y = (int) pcg32_below (&rng, N);
      double arrive[N], acks[N];
      for (int j = 0; j < N; j++) {
        arrive[j] = j == x ? 0.0 : draw (&rng, s);
        acks[j] = j == x ? 0.0 : arrive[j] + draw (&rng, s);
      }
      qsort (acks, N, sizeof acks[0], double_cmp);
      double commit = acks[s->w - 1];
      double at_y = commit + draw (&rng, s) + t + draw (&rng, s);
      /* Answers to the read: (when it comes back, whether it held the write). */
      double back[N];
      gboolean held[N];
      for (int k = 0; k < N; k++) {
        if (k == y) {
          back[k] = 0.0;
          held[k] = arrive[k] <= at_y;
        } else {
          double req = draw (&rng, s);
          back[k] = req + draw (&rng, s);
          held[k] = arrive[k] <= at_y + req;
        }
      }
      /* The R first answers. */
      gboolean ok = FALSE;
      gboolean used[N] = { FALSE };
      for (int got = 0; got < s->r; got++) {
        int best = -1;
        for (int k = 0; k < N; k++)
          if (!used[k] && (best < 0 || back[k] < back[best]))
            best = k;
        used[best] = TRUE;
        ok = ok || held[best];
      }
      consistent += ok;
    }
    c->model[b] = (double) consistent / MODEL_TRIALS;
  }
}

/* ---- Output --------------------------------------------------------------*/

/* The curves as DOT with every position pinned, drawn by viz (Graphviz's
 * nop2 layout) to SVG and PNG: a polyline is a chain of invisible points
 * joined by edges.  y grows upwards in Graphviz. */
static char *
plot_dot (const Curve *curves)
{
  const double W = 720, H = 440, left = 60, right = 300, top = 40, bottom = 50;
  double pw = W - left - right, ph = H - top - bottom;
  double ymin = 1.0;
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    for (int b = 0; b < T_BINS; b++) {
      if (!isnan (curves[i].measured[b]) && curves[i].samples[b] >= 20)
        ymin = MIN (ymin, curves[i].measured[b]);
      ymin = MIN (ymin, curves[i].model[b]);
    }
  ymin = floor (ymin * 10) / 10;
#define PX(ms) (left + pw * (ms) / T_BINS)
#define PY(v) (bottom + ph * ((v) - ymin) / (1.0 - ymin))
  GString *s = g_string_new (NULL);
  g_string_append (s, "/* dsim PBS t-visibility plot; positions pinned: neato -n2 */\n"
                      "digraph pbs {\n"
                      "  graph [splines=line, outputorder=edgesfirst, bgcolor=white, pad=0.2,\n"
                      "         fontname=\"Helvetica\"];\n"
                      "  node [shape=point, width=0, height=0, label=\"\", style=invis,\n"
                      "        fontname=\"Helvetica\", fontsize=11];\n"
                      "  edge [arrowhead=none, penwidth=2];\n");
  int id = 0;
  /* Text centred on a point (callers shift left-aligned text by half its
   * estimated width). */
#define TEXT(x, y, just, ...)                                                                \
  do {                                                                                       \
    g_autofree char *t_ = g_strdup_printf (__VA_ARGS__);                                     \
    g_string_append_printf (s, "  t%d [shape=plaintext, style=solid, label=\"%s\", "          \
                            "labeljust=%s, pos=\"%.1f,%.1f!\"];\n", id++, t_, just, x, y);   \
  } while (0)
  /* A line from (x1, y1) to (x2, y2). */
#define LINE(x1, y1, x2, y2, attrs)                                                          \
  do {                                                                                       \
    g_string_append_printf (s, "  p%d [pos=\"%.1f,%.1f!\"]; p%d [pos=\"%.1f,%.1f!\"]; "        \
                            "p%d -> p%d [%s];\n", id, x1, y1, id + 1, x2, y2, id, id + 1,    \
                            attrs);                                                          \
    id += 2;                                                                                 \
  } while (0)
  TEXT (left + pw / 2 + 60, H - 15, "c",
        "t-visibility: P(a read t ms after a write commits returns it), N=3");
  for (int k = 0; k <= 4; k++) {
    double v = ymin + (1.0 - ymin) * k / 4;
    LINE (left, PY (v), left + pw, PY (v), "color=\"#dddddd\", penwidth=1");
    TEXT (left - 22, PY (v), "r", "%.3g", v);
  }
  for (int ms = 0; ms <= T_BINS; ms += 5) {
    LINE (PX (ms), bottom, PX (ms), bottom + ph, "color=\"#dddddd\", penwidth=1");
    TEXT (PX (ms), bottom - 14, "c", "%d", ms);
  }
  TEXT (left + pw / 2, bottom - 34, "c", "t (ms) after the write commits");
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++) {
    for (int pass = 0; pass < 2; pass++) {
      double px = -1, py = 0;
      for (int b = 0; b < T_BINS; b++) {
        double v = pass == 0 ? curves[i].measured[b] : curves[i].model[b];
        if (pass == 0 && (isnan (v) || curves[i].samples[b] < 20))
          continue;
        double x = PX (b + 0.5), y = PY (v);
        if (px >= 0) {
          g_autofree char *attrs = g_strdup_printf ("color=\"%s\"%s", settings[i].colour,
                                                    pass == 0 ? "" : ", style=dashed");
          LINE (px, py, x, y, attrs);
        }
        px = x, py = y;
      }
    }
    double ly = H - top - 10 - 22 * i;
    g_autofree char *attrs = g_strdup_printf ("color=\"%s\"", settings[i].colour);
    LINE (W - right + 15, ly, W - right + 45, ly, attrs);
    TEXT (W - right + 50 + 3.1 * strlen (settings[i].label), ly, "l", "%s", settings[i].label);
  }
  static const char legend[] = "solid: measured in dsim; dashed: WARS model";
  TEXT (W - right + 15 + 3.1 * strlen (legend), H - top - 10 - 22 * G_N_ELEMENTS (settings) - 6,
        "l", "%s", legend);
  g_string_append (s, "}\n");
#undef PX
#undef PY
#undef TEXT
#undef LINE
  return g_string_free (s, FALSE);
}

int
main (int argc, char **argv)
{
  guint seeds = argc > 1 ? (guint) atoi (argv[1]) : 20;
  const char *plot = argc > 2 ? argv[2] : NULL;
  if (seeds < 1) {
    fprintf (stderr, "usage: bench_pbs [SEEDS [PLOT]]\n");
    return 2;
  }
  Curve *curves = g_new0 (Curve, G_N_ELEMENTS (settings));
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++) {
    const Setting *s = &settings[i];
    measure (s, seeds, &curves[i]);
    model (s, &curves[i]);
    printf ("%s (N=3, %u seeds x 10s)\n  t(ms)  measured  (reads)   model\n", s->label, seeds);
    for (int b = 0; b < T_BINS; b += (b < 10 ? 1 : 5)) {
      if (isnan (curves[i].measured[b]))
        printf ("  %2d-%-2d        -  (%5u)  %6.4f\n", b, b + 1, curves[i].samples[b],
                curves[i].model[b]);
      else
        printf ("  %2d-%-2d   %6.4f  (%5u)  %6.4f\n", b, b + 1, curves[i].measured[b],
                curves[i].samples[b], curves[i].model[b]);
    }
  }
  if (plot != NULL) {
    g_autofree char *dot = plot_dot (curves);
    static const char *const formats[] = { "svg", "png" };
    for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
      g_autofree char *file = g_strdup_printf ("%s.%s", plot, formats[f]);
      g_autoptr (GError) error = NULL;
      if (!viz_render_file (dot, formats[f], file, 0, NULL, &error)) {
        fprintf (stderr, "bench_pbs: %s\n", error->message);
        return 1;
      }
    }
  }
  g_free (curves);
  return 0;
}
