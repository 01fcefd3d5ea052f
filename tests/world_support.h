/* world_support.h: what the tests that run whole worlds share. */
#pragma once

#include "checkers/check.h"
#include "sim/scenario.h"
#include "sim/world.h"

/* The linearizability checker's verdict on the world's history (1 GiB
 * search memory at most); *why (if not NULL) gets its explanation. */
ChkVerdict test_linearizable_verdict (const SimWorld *w, char **why);

/* The scenario at rel (from the project's top folder); fails the test
 * with the loader's message if it does not load. */
SimConfig *test_scenario_load (const char *rel);
/* A world of cfg with this seed, run to its end. (transfer full) */
SimWorld *test_world_run (const SimConfig *cfg, uint64_t seed);
/* The trace (JSON Lines) of a run of cfg with this seed. (transfer full) */
char *test_world_trace (const SimConfig *cfg, uint64_t seed);
/* Determinism: two runs of the scenario with seed 5 write the same trace
 * (of at least 10,000 bytes), and seed 6 a different one. */
void test_assert_same_seed_same_trace (const char *rel);
/* A campaign's run: the world of cfg with this seed, run to its end; fails
 * the test (naming the seed) if an invariant broke or the history is not
 * linearizable.  (transfer full) */
SimWorld *test_world_run_clean (const SimConfig *cfg, uint64_t seed);
