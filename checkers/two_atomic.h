/* two_atomic.h: is a differentiated register history 2-atomic?
 *
 * k-atomicity (Aiyer, Alvisi, Bazzi, "On the availability of non-strict
 * quorum systems", DISC 2005; verification: Golab, Li, Shah, "Analyzing
 * consistency properties for fun and profit", PODC 2011, and Golab,
 * Hurwitz, Li, "On the k-atomicity-verification problem", ICDCS 2013):
 * there is one total order of the operations of each key, consistent with
 * real time, in which every read returns the value of one of the k latest
 * writes before it (the initial nil counts as a write before all others).
 * 1-atomic is linearizable; 2-atomic lets a read be one version behind.
 *
 * Exact for histories where every write of a key writes a distinct value
 * (the caller checks that).  Internal to checkers/ and its tests. */
#pragma once

#include "checkers/check.h"

typedef struct {
  ChkVerdict verdict;   /* ok: 2-atomic; violation: not; unknown: gave up */
  /* Violation: the read, the write it returned (-1: the initial nil, or a
   * value never written) and the writes it skipped (up to two; -1 none),
   * all op indices.  -1 when not a violation. */
  int64_t read, write, skipped[2];
  char *explanation;    /* violation: why, in words; unknown: the limit */
  guint64 states;       /* search states visited */
} ChkTwoAtomic;

/* Decides 2-atomicity of every key of ops (reads and writes only; fail
 * operations did not happen; an info write may take effect at any time
 * after its invocation, or never).  max_states bounds the search (0: a
 * default of 1,000,000 states per search); reaching it, or cancel (may be
 * NULL) turning non-zero, is unknown.  out->explanation
 * is the caller's to free. */
void chk_two_atomic_check (const ChkHistory *h, const GArray *ops, guint64 max_states,
                           const volatile int *cancel, ChkTwoAtomic *out);
