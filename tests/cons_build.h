/* cons_build.h: small register histories written as text, for the
 * consistency tests: "1 w x 1; 2 r x 1; 3 r x nil" is process 1 writing
 * x=1, process 2 reading x=1, process 3 reading x=nil, each completing
 * before the next starts.  "i" instead of "w" or "r" makes an info write;
 * "F" after a read marks it final. */
#pragma once

#include "checkers/consistency.h"

typedef struct {
  ChkHistory *h;
  GArray *ops; /* ChkOp */
} TestHist;

static inline void
test_hist_add (TestHist *t, int64_t proc, ChkFn f, ChkOpStatus status, const char *key,
               gboolean has_value, int64_t value, gboolean is_final)
{
  ChkOp o = { 0 };
  o.process = proc;
  o.f = f;
  o.key = chk_history_intern (t->h, key);
  ChkValue v = { .kind = has_value ? CHK_VAL_INT : CHK_VAL_NIL, .i = value };
  ChkValue none = { .kind = CHK_VAL_NONE };
  o.input = chk_history_value_ref (t->h, f == CHK_F_WRITE ? &v : &none);
  o.output = chk_history_value_ref (t->h, &v);
  o.status = status;
  ChkEvent ev = { .process = proc, .type = CHK_INVOKE, .f = f, .f_name = -1, .key = o.key,
                  .value = chk_op_input (&o), .time_us = (int64_t) chk_history_len (t->h) * 10,
                  .index = -1, .line = chk_history_len (t->h) + 1 };
  o.call = chk_history_len (t->h);
  o.call_time_us = ev.time_us;
  chk_history_append (t->h, &ev);
  ev.type = status == CHK_OP_OK ? CHK_OK : status == CHK_OP_FAIL ? CHK_FAIL : CHK_INFO;
  ev.value = chk_op_output (&o);
  ev.time_us += 5;
  ev.line++;
  ev.is_final = is_final;
  o.ret = status == CHK_OP_INFO ? G_MAXINT64 : (int64_t) chk_history_len (t->h);
  o.ret_time_us = ev.time_us;
  o.is_final = is_final;
  chk_history_append (t->h, &ev);
  g_array_append_val (t->ops, o);
}

static inline TestHist
test_hist_parse (const char *spec)
{
  TestHist t = { chk_history_new (), g_array_new (FALSE, FALSE, sizeof (ChkOp)) };
  g_auto (GStrv) parts = g_strsplit (spec, ";", -1);
  for (int i = 0; parts[i] != NULL; i++) {
    g_auto (GStrv) w = g_strsplit_set (g_strstrip (parts[i]), " ", -1);
    if (w[0] == NULL || w[0][0] == '\0')
      continue;
    g_assert (w[1] && w[2] && w[3]);
    gboolean nil = g_strcmp0 (w[3], "nil") == 0;
    ChkFn f = w[1][0] == 'r' ? CHK_F_READ : CHK_F_WRITE;
    ChkOpStatus st = w[1][0] == 'i' ? CHK_OP_INFO : CHK_OP_OK;
    gboolean fin = w[4] != NULL && w[4][0] == 'F';
    test_hist_add (&t, g_ascii_strtoll (w[0], NULL, 10), f, st, w[2], !nil,
                   nil ? 0 : g_ascii_strtoll (w[3], NULL, 10), fin);
  }
  return t;
}

static inline void
test_hist_clear (TestHist *t)
{
  chk_history_free (t->h);
  g_array_unref (t->ops);
}
