/* raft_world_support.c: see raft_world_support.h. */
#include <criterion/criterion.h>

#include "checkers/linearizable.h"
#include "tests/raft_world_support.h"

ChkVerdict
test_linearizable_verdict (const SimWorld *w, char **why)
{
  const ChkHistory *h = sim_world_history (w);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ops = chk_history_ops (h, &error);
  cr_assert_not_null (ops, "%s", error != NULL ? error->message : "");
  ChkCheckOptions opt;
  chk_check_options_init (&opt);
  opt.memory_limit_bytes = (gsize) 1 << 30;
  g_autoptr (ChkReport) rep = chk_linearizable_check (h, ops, &opt, &error);
  cr_assert_not_null (rep, "%s", error != NULL ? error->message : "");
  if (why != NULL)
    *why = g_strdup (rep->explanation);
  return rep->verdict;
}
