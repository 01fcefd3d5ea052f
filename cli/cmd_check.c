/* cmd_check.c: `dsim check`: checks histories from files against
 * consistency models and prints one verdict per file and model. */
#include "checkers/check.h"
#include "cli/check_diagram.h"
#include "cli/cli.h"
#include "protocols/protocol.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CHECK_MEMORY_DEFAULT ((gsize) 4 << 30)
#define CHECK_PREFIX_SHOWN 8

typedef struct {
  GPtrArray *models;        /* const ChkChecker* */
  ChkCheckOptions opt;
  gboolean json;
  gboolean table;           /* --model all: one table per file */
  int64_t timeout_us;       /* 0: none */
  const char *timeout_text; /* --timeout as given */
  ChkFormat input_format;
  const char *diagram;
  int repeat;               /* --bench N: best of N runs, with times */
  gboolean show_progress;
} CheckArgs;

static void
print_help (FILE *out)
{
  fprintf (out,
"usage: dsim check HISTORY... [--model linearizable] [--kind KIND]\n"
"                  [--format text|json] [--timeout 10s] [--input-format FORMAT]\n"
"                  [--no-split] [--search-only] [--jobs N] [--max-memory 4G] [--diagram FILE]\n"
"\n"
"Checks each history file against a consistency model and prints one\n"
"verdict line per file, with a plain-words explanation of any violation,\n"
"then a summary line.\n"
"\n"
"Inputs (detected from the content; --input-format forces one):\n"
"  jsonl           dsim JSON Lines, as `dsim run --out` writes: one object per\n"
"                  line, {\"process\":2,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\",\n"
"                  \"value\":3,\"time\":1200}, time in microseconds\n"
"  edn             Jepsen/Knossos EDN: a vector of operation maps or one map per\n"
"                  line (:process :type :f :value, optional :key :time :index);\n"
"                  cas values [old new]; Jepsen independent values [key value];\n"
"                  operations of :nemesis are skipped\n"
"  porcupine-etcd  Porcupine's etcd logs: INFO  jepsen.util - P :type :f value\n"
"  porcupine-kv    Porcupine's kv logs: {:process P, :type T, :f :get, :key K, ...}\n"
"\n"
"Semantics of the operations:\n"
"  ok      took effect exactly once, between its invocation and its completion\n"
"  fail    never took effect.  Exception: in Porcupine's etcd logs a failed cas\n"
"          did run and found a value other than the expected one\n"
"  info    (and an invocation that never completes, e.g. a crashed client):\n"
"          may take effect at any point after its invocation, or never; its\n"
"          completion is at +infinity.  A read with an unknown result (info,\n"
"          or Porcupine's `:fail :read :timed-out`) constrains nothing\n"
"\n"
"Kinds (--kind; detected from the operations by default):\n"
"  register        read, write; initial value nil\n"
"  cas-register    read, write, cas [expected new]; initial value nil\n"
"  kv              get, put, append of strings per key; initial value \"\"\n"
"  mutex           acquire, release (Knossos's mutex); initially free\n"
"  set             add x, read -> the whole set (#{1 2}; an array in JSON\n"
"                  Lines); initially empty\n"
"  unordered-queue enqueue x, dequeue -> x, in any order (detected from\n"
"                  enqueue and dequeue); initially empty\n"
"  fifo-queue      the same, first in first out (only with --kind)\n"
"  multi-register  txn [[:read :x 1] [:write :y 2]] over registers that\n"
"                  start nil\n"
"  A history with keys is split per key and each key is checked on its own\n"
"  (linearizability is local); --no-split checks all keys as one object.\n"
"\n"
"Models (--model NAME, a comma-separated list, or all):\n");
  for (const ChkChecker *m = chk_checkers (); m->name != NULL; m++)
    fprintf (out, "  %-20s %s\n", m->name, m->summary);
  fprintf (out,
"\n"
"Measures (--model NAME; numbers, not verdicts; not part of all):\n"
"  staleness            register histories with times, one write per value:\n"
"                       the smallest Delta for which the history is\n"
"                       Delta-atomic (reads moved Delta earlier make it\n"
"                       linearizable), whether it is 2-atomic (every read\n"
"                       returns one of the two latest writes; if not, the\n"
"                       read and the writes it skipped), and per read how\n"
"                       many completed newer writes it missed and for how\n"
"                       long (p50, p99, max)\n"
"\n"
"Options:\n"
"  --model NAMES        models to check (default linearizable)\n"
"  --kind KIND          register, cas-register, kv, mutex, set,\n"
"                       unordered-queue, fifo-queue, multi-register or auto\n"
"                       (default auto)\n"
"  --format text|json   text (default), or one JSON object per line per file\n"
"                       and model, then a summary object\n"
"  --timeout DURATION   per file and model, e.g. 500ms, 10s (default none);\n"
"                       the first model's time includes loading the file;\n"
"                       when it expires the verdict is unknown\n"
"  --max-memory SIZE    memory per file for loading it and for the search,\n"
"                       e.g. 512M, 4G (default 4G; at most a quarter of what a\n"
"                       ulimit -v leaves free); when it is reached the verdict\n"
"                       is unknown\n"
"  --input-format F     auto (default), jsonl, edn, porcupine-etcd, porcupine-kv\n"
"  --no-split           do not split keyed histories per key\n"
"  --search-only        linearizable: always search, never the zone test for\n"
"                       differentiated registers (every value written once)\n"
"  --jobs N             threads for the independent keys of one history\n"
"                       (default: the number of processors); the output does\n"
"                       not depend on it\n"
"  --quiescent-after T  for eventual: reads invoked at or after history time T\n"
"                       (e.g. 2s) are final reads, besides those marked final\n"
"  --diagram FILE       draw the history (one HISTORY only) as a timeline, in\n"
"                       the format FILE's name ends in (.svg .png .pdf .dot):\n"
"                       one bar per operation, the longest linearizable prefix\n"
"                       numbered in linearization order, the culprit in red,\n"
"                       or a bad pattern's operations with their reads-from\n"
"                       and session-order edges; the explanation as caption.\n"
"                       With several models, the first violated one is drawn\n"
"                       (the first model if none is violated)\n"
"\n"
"With --model all the text output is one table per file: each model, its\n"
"verdict and the bad pattern found, then each violation's sentence and the\n"
"operations that witness it (models with the same witness share one).\n"
"With one model or several, a file's exit code is 1 if any model is\n"
"violated (whatever the others say), else 3 if any is unknown, else 2 if a\n"
"model refuses the history.\n"
"\n"
"On a violation the report gives the operation that cannot be linearized,\n"
"the longest linearizable prefix found (in linearization order), the\n"
"operations concurrent with the culprit, and one sentence saying why.\n"
"\n"
"Exit code: the highest over all files: 0 ok, 1 violation, 2 bad input or\n"
"usage, 3 unknown (timeout or memory limit).\n");
}

static volatile int check_cancel;

static void
on_alarm (int sig)
{
  (void) sig;
  check_cancel = 1;
}

static void
timer_arm (int64_t us)
{
  check_cancel = 0;
  if (us <= 0)
    return;
  struct itimerval it = { .it_value = { .tv_sec = us / 1000000, .tv_usec = us % 1000000 } };
  setitimer (ITIMER_REAL, &it, NULL);
}

static void
timer_disarm (void)
{
  struct itimerval it = { 0 };
  setitimer (ITIMER_REAL, &it, NULL);
}

static gboolean
add_models (CheckArgs *a, const char *names)
{
  g_auto (GStrv) list = g_strsplit (names, ",", 0);
  if (list[0] == NULL) { /* --model '' checked the default model, as if not given */
    cli_usage_error ("check: --model '': expected a model name (see dsim models) or all");
    return FALSE;
  }
  for (int k = 0; list[k] != NULL; k++) {
    if (strcmp (list[k], "all") == 0) {
      a->table = TRUE;
      for (const ChkChecker *m = chk_checkers (); m->name != NULL; m++)
        if (!g_ptr_array_find (a->models, m, NULL))
          g_ptr_array_add (a->models, (gpointer) m);
      continue;
    }
    const ChkChecker *m = chk_checker_find (list[k]);
    if (m != NULL && g_ptr_array_find (a->models, m, NULL))
      continue; /* named twice: checked once */
    if (m == NULL) {
      GString *known = g_string_new (NULL);
      for (const ChkChecker *x = chk_checkers (); x->name != NULL; x++)
        g_string_append_printf (known, "%s, ", x->name);
      cli_usage_error ("check: unknown model '%s' (expected %sor all)", list[k], known->str);
      g_string_free (known, TRUE);
      return FALSE;
    }
    g_ptr_array_add (a->models, (gpointer) m);
  }
  return TRUE;
}

/* Parses options; the histories are left in `files`.  Returns -1 to go on,
 * or an exit code. */
static int
parse_args (int argc, char **argv, CheckArgs *a, GPtrArray *files)
{
  for (int k = 1; k < argc; k++) {
    const char *arg = argv[k];
    if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
      print_help (stdout);
      return DSIM_EXIT_OK;
    }
    if (arg[0] != '-' || strcmp (arg, "-") == 0) {
      g_ptr_array_add (files, (gpointer) arg);
      continue;
    }
    if (strcmp (arg, "--search-only") == 0) {
      a->opt.search_only = TRUE;
      continue;
    }
    if (strcmp (arg, "--no-split") == 0) {
      a->opt.no_split = TRUE;
      continue;
    }
    /* options with a value: --name VALUE or --name=VALUE */
    g_autofree char *name = g_strdup (arg);
    const char *value = NULL;
    char *eq = strchr (name, '=');
    if (eq != NULL) {
      *eq = '\0';
      value = arg + (eq - name) + 1;
    }
    static const char *const with_value[] = {
      "--model", "--kind", "--format", "--timeout", "--input-format", "--jobs",
      "--max-memory", "--diagram", "--bench", "--quiescent-after", NULL,
    };
    gboolean known = FALSE;
    for (int j = 0; with_value[j] != NULL; j++)
      known = known || strcmp (name, with_value[j]) == 0;
    if (!known)
      return cli_usage_error ("check: unknown option '%s' (see dsim check --help)", arg);
    if (value == NULL) {
      if (k + 1 >= argc)
        return cli_usage_error ("check: %s needs a value", name);
      value = argv[++k];
    }
    if (strcmp (name, "--model") == 0) {
      if (!add_models (a, value))
        return DSIM_EXIT_USAGE;
    } else if (strcmp (name, "--kind") == 0) {
      if (!chk_kind_from_name (value, &a->opt.kind))
        return cli_usage_error ("check: --kind '%s': expected register, cas-register, kv, mutex, "
                                "set, unordered-queue, fifo-queue, multi-register or auto", value);
    } else if (strcmp (name, "--format") == 0) {
      if (strcmp (value, "json") != 0 && strcmp (value, "text") != 0)
        return cli_usage_error ("check: --format '%s': expected text or json", value);
      a->json = strcmp (value, "json") == 0;
    } else if (strcmp (name, "--timeout") == 0) {
      if (!proto_parse_duration_us (value, &a->timeout_us) || a->timeout_us <= 0)
        return cli_usage_error ("check: --timeout '%s': expected a positive duration such as "
                                "500ms or 10s (leave --timeout out for no time limit)", value);
      a->timeout_text = value;
    } else if (strcmp (name, "--input-format") == 0) {
      if (!chk_format_from_name (value, &a->input_format))
        return cli_usage_error ("check: --input-format '%s': expected auto, jsonl, edn, "
                                "porcupine-etcd or porcupine-kv", value);
    } else if (strcmp (name, "--jobs") == 0) {
      char *end = NULL;
      gint64 n = g_ascii_strtoll (value, &end, 10);
      if (end == value || *end != '\0' || n < 1 || n > 1024)
        return cli_usage_error ("check: --jobs '%s': expected a number from 1 to 1024", value);
      a->opt.jobs = (int) n;
    } else if (strcmp (name, "--max-memory") == 0) {
      if (!cli_parse_size (value, &a->opt.memory_limit_bytes) || a->opt.memory_limit_bytes == 0)
        return cli_usage_error ("check: --max-memory '%s': expected a positive size such as "
                                "512M or 4G (at most 16777215T)", value);
    } else if (strcmp (name, "--quiescent-after") == 0) {
      if (!proto_parse_duration_us (value, &a->opt.quiescent_after_us))
        return cli_usage_error ("check: --quiescent-after '%s': expected a history time such "
                                "as 2s or 1500ms", value);
    } else if (strcmp (name, "--diagram") == 0) {
      a->diagram = value;
    } else if (strcmp (name, "--bench") == 0) {
      char *end = NULL;
      gint64 n = g_ascii_strtoll (value, &end, 10);
      if (end == value || *end != '\0' || n < 1 || n > 1000)
        return cli_usage_error ("check: --bench '%s': expected a number of runs from 1 to 1000",
                                value);
      a->repeat = (int) n;
    }
  }
  if (files->len == 0)
    return cli_usage_error ("check: no history given (usage: dsim check HISTORY... "
                            "[options], see --help)");
  if (a->diagram != NULL && !cli_check_diagram_available ())
    return cli_usage_error ("check: --diagram is not available in this build");
  if (a->diagram != NULL && files->len != 1)
    return cli_usage_error ("check: --diagram draws one history; %u were given", files->len);
  if (a->models->len == 0)
    g_ptr_array_add (a->models, (gpointer) chk_checker_find ("linearizable"));
  return -1;
}

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* CPU time of the process: --bench reports it beside the elapsed time,
 * as it holds still on a loaded machine. */
static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static void
print_json (JsonBuilder *b)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static void
json_op (JsonBuilder *b, const ChkHistory *h, const GArray *ops, int64_t idx)
{
  const ChkOp *op = &g_array_index (ops, ChkOp, idx);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "op");
  json_builder_add_int_value (b, idx);
  json_builder_set_member_name (b, "process");
  json_builder_add_int_value (b, op->process);
  json_builder_set_member_name (b, "line");
  json_builder_add_int_value (b, chk_history_event (h, (guint) op->call).line);
  if (op->key >= 0) {
    json_builder_set_member_name (b, "key");
    json_builder_add_string_value (b, chk_history_string (h, op->key));
  }
  json_builder_set_member_name (b, "value");
  g_autofree char *value = chk_cons_op_value (h, ops, (guint) idx);
  json_builder_add_string_value (b, value);
  if (op->call_time_us >= 0) {
    json_builder_set_member_name (b, "time");
    json_builder_add_int_value (b, op->call_time_us);
  }
  json_builder_set_member_name (b, "text");
  g_autofree char *d = chk_op_describe (h, op);
  json_builder_add_string_value (b, d);
  json_builder_end_object (b);
}

/* Lists of operations can hold millions of entries (the prefix of a huge
 * history, its linearization): the builder gets a placeholder string for
 * each, and print_json_lists writes the list itself in its place, one
 * entry at a time, so memory does not grow with the list. */
typedef struct {
  const GArray *list;   /* int64 op indices */
  gboolean as_ops;      /* objects (json_op), else plain indices */
} JsonList;

#define JSON_LIST_MAX 3

static void
json_list_defer (JsonBuilder *b, const char *name, const GArray *list, gboolean as_ops,
                 JsonList *lists, guint *n_lists)
{
  g_assert (*n_lists < JSON_LIST_MAX);
  lists[*n_lists] = (JsonList) { list, as_ops };
  g_autofree char *token = g_strdup_printf ("\001dsim-list-%u\001", *n_lists);
  (*n_lists)++;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, token);
}

/* Longer lists are written without the builder: the same members, each
 * string escaped by chk_json_string (five times faster). */
#define JSON_LIST_DIRECT 1000

static void
json_op_direct (const ChkHistory *h, const GArray *ops, int64_t idx)
{
  const ChkOp *op = &g_array_index (ops, ChkOp, idx);
  g_autoptr (GString) out = g_string_new (NULL);
  g_string_append_printf (out, "{\"op\":%" G_GINT64_FORMAT ",\"process\":%" G_GINT64_FORMAT
                          ",\"line\":%u", idx, op->process,
                          chk_history_event (h, (guint) op->call).line);
  if (op->key >= 0) {
    g_string_append (out, ",\"key\":");
    chk_json_string (out, chk_history_string (h, op->key));
  }
  g_autofree char *value = chk_cons_op_value (h, ops, (guint) idx);
  g_string_append (out, ",\"value\":");
  chk_json_string (out, value);
  if (op->call_time_us >= 0)
    g_string_append_printf (out, ",\"time\":%" G_GINT64_FORMAT, op->call_time_us);
  g_autofree char *d = chk_op_describe (h, op);
  g_string_append (out, ",\"text\":");
  chk_json_string (out, d);
  g_string_append_c (out, '}');
  fwrite (out->str, 1, out->len, stdout);
}

static void
print_json_lists (JsonBuilder *b, const ChkHistory *h, const GArray *ops,
                  const JsonList *lists, guint n_lists)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  const char *rest = text;
  for (guint k = 0; k < n_lists; k++) {
    g_autofree char *token = g_strdup_printf ("\"\\u0001dsim-list-%u\\u0001\"", k);
    const char *at = strstr (rest, token);
    g_assert (at != NULL);
    fwrite (rest, 1, (gsize) (at - rest), stdout);
    putchar ('[');
    for (guint j = 0; j < lists[k].list->len; j++) {
      int64_t idx = g_array_index (lists[k].list, int64_t, j);
      if (j > 0)
        putchar (',');
      if (!lists[k].as_ops) {
        printf ("%" G_GINT64_FORMAT, idx);
        continue;
      }
      if (lists[k].list->len > JSON_LIST_DIRECT) {
        json_op_direct (h, ops, idx);
        continue;
      }
      g_autoptr (JsonBuilder) one = json_builder_new ();
      json_op (one, h, ops, idx);
      g_autoptr (JsonGenerator) g1 = json_generator_new ();
      g_autoptr (JsonNode) r1 = json_builder_get_root (one);
      json_generator_set_root (g1, r1);
      g_autofree char *t1 = json_generator_to_data (g1, NULL);
      fputs (t1, stdout);
    }
    putchar (']');
    rest = at + strlen (token);
  }
  printf ("%s\n", rest);
}

/* The staleness measure's numbers, and the 2-atomicity witness. */
static void
json_staleness (JsonBuilder *b, const ChkHistory *h, const GArray *ops, const ChkStaleness *st)
{
  json_builder_set_member_name (b, "staleness");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "delta_us");
  if (st->delta_us >= 0)
    json_builder_add_int_value (b, st->delta_us);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "two_atomic");
  json_builder_add_string_value (b, st->two_atomic == CHK_VERDICT_OK ? "yes"
                                 : st->two_atomic == CHK_VERDICT_VIOLATION ? "no" : "unknown");
  if (st->two_atomic != CHK_VERDICT_OK) {
    json_builder_set_member_name (b, "two_atomic_why");
    json_builder_add_string_value (b, st->two_atomic_why != NULL ? st->two_atomic_why : "");
  }
  if (st->witness_read >= 0) {
    json_builder_set_member_name (b, "witness_read");
    json_op (b, h, ops, st->witness_read);
    json_builder_set_member_name (b, "witness_write");
    if (st->witness_write >= 0)
      json_op (b, h, ops, st->witness_write);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "witness_skipped");
    json_builder_begin_array (b);
    for (int i = 0; i < 2; i++)
      if (st->witness_skipped[i] >= 0)
        json_op (b, h, ops, st->witness_skipped[i]);
    json_builder_end_array (b);
  }
  json_builder_set_member_name (b, "reads");
  json_builder_add_int_value (b, st->reads);
  json_builder_set_member_name (b, "reads_behind");
  json_builder_add_int_value (b, st->reads_behind);
  static const char *const names[3] = { "p50", "p99", "max" };
  json_builder_set_member_name (b, "versions_behind");
  json_builder_begin_object (b);
  for (int i = 0; i < 3; i++) {
    json_builder_set_member_name (b, names[i]);
    json_builder_add_int_value (b, st->versions_behind[i]);
  }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "time_behind_us");
  json_builder_begin_object (b);
  for (int i = 0; i < 3; i++) {
    json_builder_set_member_name (b, names[i]);
    json_builder_add_int_value (b, st->time_behind_us[i]);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
report_json (const char *file, const ChkHistory *h, const GArray *ops, const ChkReport *r,
             double seconds, gboolean timed, double cpu_s)
{
  JsonList lists[JSON_LIST_MAX];
  guint n_lists = 0;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, file);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, r->model);
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, chk_verdict_name (r->verdict));
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, chk_format_name (h->format));
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, chk_kind_name (r->kind));
  json_builder_set_member_name (b, "ops");
  json_builder_add_int_value (b, r->n_ops);
  json_builder_set_member_name (b, "parts");
  json_builder_add_int_value (b, r->n_parts);
  json_builder_set_member_name (b, "states");
  json_builder_add_int_value (b, (gint64) r->states_explored);
  if (r->method != NULL) {
    json_builder_set_member_name (b, "method");
    json_builder_add_string_value (b, r->method);
  }
  if (r->explanation != NULL) {
    json_builder_set_member_name (b, "explanation");
    json_builder_add_string_value (b, r->explanation);
  }
  if (r->staleness != NULL)
    json_staleness (b, h, ops, r->staleness);
  if (r->verdict == CHK_VERDICT_VIOLATION) {
    if (r->key >= 0) {
      json_builder_set_member_name (b, "key");
      json_builder_add_string_value (b, chk_history_string (h, r->key));
    }
    if (r->culprit >= 0) {
      json_builder_set_member_name (b, "culprit");
      json_op (b, h, ops, r->culprit);
    }
    json_list_defer (b, r->culprit >= 0 ? "prefix" : "involved", r->order, TRUE, lists,
                     &n_lists);
    json_list_defer (b, "concurrent", r->concurrent, TRUE, lists, &n_lists);
    if (r->state_before != NULL) {
      json_builder_set_member_name (b, "value_after_prefix");
      json_builder_add_string_value (b, r->state_before);
    }
  } else if (r->verdict == CHK_VERDICT_OK) {
    json_list_defer (b, "linearization", r->order, FALSE, lists, &n_lists);
  }
  if (timed) {
    json_builder_set_member_name (b, "check_us");
    json_builder_add_double_value (b, seconds * 1e6);
    json_builder_set_member_name (b, "check_cpu_us");
    json_builder_add_double_value (b, cpu_s * 1e6);
    json_builder_set_member_name (b, "memory_bytes");
    json_builder_add_int_value (b, (gint64) r->memory_bytes);
  }
  json_builder_end_object (b);
  print_json_lists (b, h, ops, lists, n_lists);
}

static void
print_op_lines (const ChkHistory *h, const GArray *ops, const GArray *list, guint from)
{
  for (guint k = from; k < list->len; k++) {
    g_autofree char *d = chk_op_describe (h, &g_array_index (ops, ChkOp, g_array_index (list, int64_t, k)));
    printf ("      %s\n", d);
  }
}

static void
report_text (const char *file, const ChkHistory *h, const GArray *ops, const ChkReport *r,
             double seconds, gboolean timed)
{
  printf ("%s: %s %s (%s, %u operation%s", file, r->model, chk_verdict_name (r->verdict),
          chk_kind_name (r->kind), r->n_ops, r->n_ops == 1 ? "" : "s");
  if (r->n_parts > 1)
    printf (", %u keys", r->n_parts);
  if (timed)
    printf (", %.1f us", seconds * 1e6);
  printf (")\n");
  if (r->explanation != NULL
      && (r->verdict == CHK_VERDICT_UNKNOWN
          || (r->verdict == CHK_VERDICT_OK && chk_checker_is_measure (r->model))))
    printf ("  %s\n", r->explanation);
  if (r->verdict != CHK_VERDICT_VIOLATION)
    return;
  if (r->explanation != NULL)
    printf ("  why: %s\n", r->explanation);
  if (r->culprit >= 0) {
    g_autofree char *d = chk_op_describe (h, &g_array_index (ops, ChkOp, r->culprit));
    printf ("  cannot be linearized: %s\n", d);
  }
  guint n = r->order->len;
  if (n == 0) {
    printf ("  %s: none\n", r->order_label);
  } else {
    guint from = n > CHECK_PREFIX_SHOWN ? n - CHECK_PREFIX_SHOWN : 0;
    printf ("  %s: %u operation%s%s, in order", r->order_label, n, n == 1 ? "" : "s",
            from > 0 ? " (the last 8 shown)" : "");
    if (r->state_before != NULL)
      printf (", leaving %s", r->state_before);
    printf (":\n");
    print_op_lines (h, ops, r->order, from);
  }
  if (r->concurrent->len > 0) {
    printf ("  concurrent with it:\n");
    print_op_lines (h, ops, r->concurrent, 0);
  }
}

/* ok, violation and unknown count verdicts (one per file and model); bad
 * counts files, once each: the file could not be read, or some model
 * refused it. */
typedef struct {
  guint files, ok, violation, unknown, bad;
  gboolean any_output_failed;
} CheckTally;

/* "WriteCOInitRead" from "WriteCOInitRead: process 3 read ...", or NULL. */
static char *
explanation_pattern (const char *text)
{
  if (text == NULL || !g_ascii_isupper (text[0]))
    return NULL;
  const char *colon = strstr (text, ": ");
  if (colon == NULL || memchr (text, ' ', (gsize) (colon - text)) != NULL)
    return NULL;
  return g_strndup (text, (gsize) (colon - text));
}

/* One row of the --model all table: a report, or why the model could not
 * check this history. */
typedef struct {
  const char *model;
  ChkReport *report; /* NULL when error is set */
  char *error;
} TableRow;

static void
table_row_free (TableRow *row)
{
  chk_report_free (row->report);
  g_free (row->error);
  g_free (row);
}

/* --model all: a table of every model's verdict, then one block per
 * distinct violation with the models that share it, its sentence and its
 * witness operations. */
static void
report_table (const char *file, const ChkHistory *h, const GArray *ops, GPtrArray *rows)
{
  printf ("%s: %u operations, %u models\n", file, ops->len, rows->len);
  printf ("  %-20s %-10s %s\n", "model", "verdict", "pattern / note");
  g_autoptr (GPtrArray) reports = g_ptr_array_new ();
  for (guint k = 0; k < rows->len; k++) {
    const TableRow *row = g_ptr_array_index (rows, k);
    if (row->report == NULL) {
      printf ("  %-20s %-10s %s\n", row->model, "refused", "cannot check this history (below)");
      continue;
    }
    g_ptr_array_add (reports, row->report);
    const ChkReport *r = row->report;
    g_autofree char *pattern = explanation_pattern (r->explanation);
    g_autofree char *culprit = r->culprit >= 0
      ? chk_op_describe (h, &g_array_index (ops, ChkOp, r->culprit)) : NULL;
    const char *note = "";
    if (r->verdict == CHK_VERDICT_VIOLATION)
      note = pattern != NULL ? pattern : culprit != NULL ? culprit : "";
    else if (r->verdict == CHK_VERDICT_UNKNOWN && r->explanation != NULL)
      note = r->explanation;
    g_autofree char *line = g_strdup_printf (
      "  %-20s %-10s %s%s", r->model, chk_verdict_name (r->verdict),
      culprit != NULL && pattern == NULL && r->verdict == CHK_VERDICT_VIOLATION
        ? "cannot linearize: " : "", note);
    printf ("%s\n", g_strchomp (line));
  }
  /* Each distinct reason for refusing, once, with the models it stopped. */
  g_autofree gboolean *said = g_new0 (gboolean, rows->len);
  for (guint k = 0; k < rows->len; k++) {
    const TableRow *row = g_ptr_array_index (rows, k);
    if (row->report != NULL || said[k])
      continue;
    g_autoptr (GString) names = g_string_new (row->model);
    for (guint j = k + 1; j < rows->len; j++) {
      const TableRow *o = g_ptr_array_index (rows, j);
      if (o->report == NULL && strcmp (o->error, row->error) == 0) {
        g_string_append_printf (names, ", %s", o->model);
        said[j] = TRUE;
      }
    }
    printf ("\n  %s cannot check: %s\n", names->str, row->error);
  }
  g_autofree gboolean *told = g_new0 (gboolean, reports->len);
  for (guint k = 0; k < reports->len; k++) {
    const ChkReport *r = g_ptr_array_index (reports, k);
    if (told[k] || r->verdict != CHK_VERDICT_VIOLATION)
      continue;
    g_autoptr (GString) names = g_string_new (r->model);
    for (guint j = k + 1; j < reports->len; j++) {
      const ChkReport *o = g_ptr_array_index (reports, j);
      if (o->verdict == CHK_VERDICT_VIOLATION && g_strcmp0 (o->explanation, r->explanation) == 0
          && o->order->len == r->order->len
          && memcmp (o->order->data, r->order->data, r->order->len * sizeof (int64_t)) == 0) {
        g_string_append_printf (names, ", %s", o->model);
        told[j] = TRUE;
      }
    }
    printf ("\n  %s: %s\n", names->str, r->explanation != NULL ? r->explanation : "");
    if (r->culprit >= 0) {
      g_autofree char *d = chk_op_describe (h, &g_array_index (ops, ChkOp, r->culprit));
      printf ("    cannot be linearized: %s\n", d);
    }
    if (r->order->len > 0) {
      printf ("    %s:\n", r->order_label);
      guint from = r->order->len > CHECK_PREFIX_SHOWN ? r->order->len - CHECK_PREFIX_SHOWN : 0;
      print_op_lines (h, ops, r->order, from);
    }
  }
}

static void
report_bad (const CheckArgs *a, const char *file, const char *model, const GError *error)
{
  if (a->json) {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "file");
    json_builder_add_string_value (b, file);
    if (model != NULL) {
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, model);
    }
    json_builder_set_member_name (b, "verdict");
    json_builder_add_string_value (b, "bad-input");
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, error->message);
    json_builder_end_object (b);
    print_json (b);
  } else if (model != NULL) {
    printf ("%s: %s cannot check: %s\n", file, model, error->message);
  } else {
    printf ("%s: bad input: %s\n", file, error->message);
  }
  fprintf (stderr, "dsim: %s\n", error->message);
}

static int
check_file (const CheckArgs *a, const char *path, CheckTally *tally)
{
  /* Reports name the file in valid UTF-8, so --format json stays valid. */
  g_autofree char *file = g_utf8_make_valid (path, -1);
  g_autoptr (GError) error = NULL;
  /* A regular file is mapped while it is read, and under a ulimit -v the
   * mapping takes address space the cap did not leave for it: the cap for
   * loading is at most a quarter of what the mapping leaves free. */
  gsize load_cap = a->opt.memory_limit_bytes;
  GStatBuf st;
  if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode)) {
    load_cap = MIN (load_cap, cli_default_memory_cap_beside (load_cap, (guint64) st.st_size));
    if (load_cap == 0)
      g_set_error (&error, CHK_ERROR, CHK_ERROR_LIMIT, "%s: the history (%" G_GUINT64_FORMAT
                   " bytes) leaves less than %" G_GUINT64_FORMAT " MiB of the address space "
                   "free under the ulimit -v (%" G_GUINT64_FORMAT " bytes free)", file,
                   (guint64) st.st_size, CLI_ROOM_BESIDE_MIN >> 20, cli_address_space_free ());
  }
  /* --timeout covers loading: the first model's time starts before the
   * file is read, and its timer runs on (see below). */
  gint64 load_deadline = a->timeout_us > 0 ? g_get_monotonic_time () + a->timeout_us : 0;
  timer_arm (a->timeout_us);
  g_autoptr (ChkHistory) h = error != NULL ? NULL
    : chk_history_load_cancellable (path, a->input_format, load_cap, &check_cancel, &error);
  g_autoptr (GArray) ops = NULL;
  gboolean is_timed_out = h == NULL && check_cancel != 0; /* before the timer is disarmed */
  if (h != NULL)
    ops = chk_history_ops (h, &error);
  if (error != NULL)
    timer_disarm ();
  if (error != NULL && g_error_matches (error, CHK_ERROR, CHK_ERROR_LIMIT)) {
    /* Which limit: --timeout, --max-memory, or a ulimit -v that leaves no
     * room for the file (the message says so itself). */
    g_autofree char *limit = NULL;
    if (is_timed_out)
      limit = g_strdup_printf (" (--timeout %s)", a->timeout_text);
    else if (load_cap > 0)
      limit = g_strdup (" (--max-memory)");
    /* A limit, not bad input: every model's verdict is unknown. */
    for (guint k = 0; k < a->models->len; k++) {
      const ChkChecker *model = g_ptr_array_index (a->models, k);
      tally->unknown++;
      if (a->json) {
        g_autoptr (JsonBuilder) b = json_builder_new ();
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "file");
        json_builder_add_string_value (b, file);
        json_builder_set_member_name (b, "model");
        json_builder_add_string_value (b, model->name);
        json_builder_set_member_name (b, "verdict");
        json_builder_add_string_value (b, "unknown");
        json_builder_set_member_name (b, "explanation");
        json_builder_add_string_value (b, error->message);
        json_builder_end_object (b);
        print_json (b);
      } else {
        printf ("%s: %s unknown (not loaded)\n  %s%s\n", file, model->name, error->message,
                limit != NULL ? limit : "");
      }
    }
    return DSIM_EXIT_UNKNOWN;
  }
  if (error != NULL) {
    tally->bad++;
    report_bad (a, file, NULL, error);
    return DSIM_EXIT_USAGE;
  }
  int worst = DSIM_EXIT_OK;
  gboolean as_table = a->table && !a->json;
  g_autoptr (GPtrArray) table = g_ptr_array_new_with_free_func ((GDestroyNotify) table_row_free);
  gboolean any_violation = FALSE, any_unknown = FALSE, any_refused = FALSE;
  gboolean drew_violation = FALSE; /* --diagram shows a violation already */
  for (guint k = 0; k < a->models->len; k++) {
    const ChkChecker *model = g_ptr_array_index (a->models, k);
    g_autoptr (ChkReport) report = NULL;
    double best = -1, best_cpu = -1;
    for (int run = 0; error == NULL && run < MAX (a->repeat, 1); run++) {
      chk_report_free (g_steal_pointer (&report));
      ChkCheckOptions opt = a->opt;
      if (k == 0 && run == 0) {
        opt.deadline_us = load_deadline; /* the timer armed before loading runs on */
      } else {
        if (a->timeout_us > 0) /* for checkers that poll the clock themselves */
          opt.deadline_us = g_get_monotonic_time () + a->timeout_us;
        timer_arm (a->timeout_us);
      }
      double t0 = now_seconds (), c0 = cpu_seconds ();
      /* Timed runs pair the operations again: Porcupine's time includes
       * turning its events into entries, so ours includes the pairing. */
      g_autoptr (GArray) fresh = a->repeat > 0 ? chk_history_ops (h, NULL) : NULL;
      report = chk_checker_run (model, h, fresh != NULL ? fresh : ops, &opt, &error);
      double t = now_seconds () - t0, c = cpu_seconds () - c0;
      timer_disarm ();
      if (best < 0 || t < best)
        best = t;
      if (best_cpu < 0 || c < best_cpu)
        best_cpu = c;
    }
    if (error != NULL) {
      any_refused = TRUE;
      if (as_table) {
        TableRow *row = g_new0 (TableRow, 1);
        row->model = model->name;
        row->error = g_strdup (error->message);
        g_ptr_array_add (table, row);
      } else {
        report_bad (a, file, model->name, error);
      }
      g_clear_error (&error);
      worst = MAX (worst, DSIM_EXIT_USAGE);
      continue;
    }
    switch (report->verdict) {
    case CHK_VERDICT_OK: tally->ok++; break;
    case CHK_VERDICT_VIOLATION: tally->violation++; break;
    case CHK_VERDICT_UNKNOWN: tally->unknown++; break;
    }
    if (a->json)
      report_json (file, h, ops, report, best, a->repeat > 0, best_cpu);
    else if (!as_table)
      report_text (file, h, ops, report, best, a->repeat > 0);
    any_violation |= report->verdict == CHK_VERDICT_VIOLATION;
    any_unknown |= report->verdict == CHK_VERDICT_UNKNOWN;
    if (a->diagram != NULL
        && (k == 0 || (report->verdict == CHK_VERDICT_VIOLATION && !drew_violation))) {
      if (!cli_check_diagram_write (a->diagram, h, ops, report, &error)) {
        /* The verdicts and the summary are still printed; the exit code
         * says the diagram was not written. */
        fprintf (stderr, "dsim: %s\n", error->message);
        g_clear_error (&error);
        tally->any_output_failed = TRUE;
      }
      drew_violation = report->verdict == CHK_VERDICT_VIOLATION;
    }
    if (as_table) {
      TableRow *row = g_new0 (TableRow, 1);
      row->model = model->name;
      row->report = g_steal_pointer (&report);
      g_ptr_array_add (table, row);
    }
  }
  if (as_table)
    report_table (file, h, ops, table);
  /* One rule for one model, several or all: a violation found is a definite
   * answer (1), whatever the other models said; else a refused model (2),
   * else an unknown one (3). */
  tally->bad += any_refused;
  if (any_violation)
    return DSIM_EXIT_VIOLATION;
  if (any_unknown)
    worst = MAX (worst, DSIM_EXIT_UNKNOWN);
  return worst;
}

int
cmd_check_main (int argc, char **argv)
{
  CheckArgs a = { .models = g_ptr_array_new (), .input_format = CHK_FORMAT_AUTO };
  chk_check_options_init (&a.opt);
  a.opt.jobs = (int) g_get_num_processors ();
  a.opt.memory_limit_bytes = cli_default_memory_cap (CHECK_MEMORY_DEFAULT);
  a.opt.cancel = &check_cancel;
  g_autoptr (GPtrArray) models = a.models;
  g_autoptr (GPtrArray) files = g_ptr_array_new ();
  int rc = parse_args (argc, argv, &a, files);
  if (rc >= 0)
    return rc;
  /* Threads for independent keys: as many as a ulimit -v leaves room for
   * (their stacks and allocation arenas), at least one; and no more memory
   * than a quarter of what it leaves free, --max-memory 4G or not. */
  a.opt.jobs = cli_threads_that_fit (a.opt.jobs);
  a.opt.memory_limit_bytes = MIN (a.opt.memory_limit_bytes,
                                  cli_default_memory_cap (a.opt.memory_limit_bytes));
  a.show_progress = files->len > 1 && isatty (STDERR_FILENO) && !isatty (STDOUT_FILENO);

  struct sigaction sa = { 0 };
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGALRM, &sa, NULL);

  CheckTally tally = { 0 };
  int worst = DSIM_EXIT_OK;
  for (guint k = 0; k < files->len; k++) {
    int rc_file = check_file (&a, g_ptr_array_index (files, k), &tally);
    worst = MAX (worst, rc_file);
    tally.files++;
    if (a.show_progress)
      fprintf (stderr, "\rchecked %u/%u histories", k + 1, files->len);
    fflush (stdout);
  }
  if (a.show_progress)
    fprintf (stderr, "\n");
  if (tally.any_output_failed)
    worst = DSIM_EXIT_USAGE;     /* a file asked for was not written */
  if (a.json) {
    printf ("{\"summary\":{\"files\":%u,\"ok\":%u,\"violation\":%u,\"unknown\":%u,"
            "\"bad_input\":%u,\"exit\":%d}}\n", tally.files, tally.ok, tally.violation,
            tally.unknown, tally.bad, worst);
  } else {
    printf ("checked %u histor%s: %u ok, %u violation, %u unknown, %u bad input\n", tally.files,
            tally.files == 1 ? "y" : "ies", tally.ok, tally.violation, tally.unknown, tally.bad);
  }
  return worst;
}
