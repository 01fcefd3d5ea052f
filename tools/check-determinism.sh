#!/bin/sh
# Fails if code inside the simulated world (sim/, protocols/, checkers/) uses
# a wall clock, a global random source or a thread.  A line outside any world
# (a progress display, a pool of worker threads around worlds) may carry the
# comment `dsim-allow-nondeterminism: <why>`.
set -u
top=${1:-$(dirname "$0")/..}
cd "$top" || exit 2
hits=$(grep -rnE '\b(rand|srand|random|drand48|lrand48)\s*\(|g_random_|\btime\s*\(\s*(NULL|0)?\s*\)|gettimeofday|clock_gettime|g_get_(real|monotonic)_time|g_timer_|pthread_create|g_thread_(new|try_new|pool_new)' \
  sim protocols checkers --include='*.c' --include='*.h' 2>/dev/null | grep -v 'dsim-allow-nondeterminism')
if [ -n "$hits" ]; then
  echo "determinism: these lines use a wall clock, a global random source or a thread"
  echo "inside the simulated world; use virtual time and Pcg32 streams, or mark a line"
  echo "that is outside any world with 'dsim-allow-nondeterminism: why':"
  echo "$hits"
  exit 1
fi
echo "determinism: no wall clock, global random source or thread inside sim/, protocols/, checkers/"
exit 0
