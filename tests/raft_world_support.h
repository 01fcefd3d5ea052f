/* raft_world_support.h: what the Raft world tests share. */
#pragma once

#include "checkers/check.h"
#include "sim/world.h"

/* The linearizability checker's verdict on the world's history (1 GiB
 * search memory at most); *why (if not NULL) gets its explanation. */
ChkVerdict test_linearizable_verdict (const SimWorld *w, char **why);
