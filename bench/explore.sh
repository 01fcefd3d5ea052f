#!/bin/sh
# dsim explore on 3-node Raft (scenarios/explore/raft-correct.scn: correct
# Raft, no clients, one crash, one restart, two timeouts per path), breadth
# first to depth 10 on one thread, then on two.  Prints the explorer's own
# lines: distinct and generated states, states per second (wall clock),
# memory and bytes per distinct state; then the user CPU seconds, which
# the machine's load does not inflate.
# Target: 1,000,000 distinct states per second per core, 8 bytes per state.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exe=$BUILD/cli/dsim
if [ ! -x "$exe" ]; then
  echo "bench/explore.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
DEPTH=${DEPTH:-10}
for threads in 1 2; do
  echo "== raft-correct.scn, depth $DEPTH, $threads thread(s)"
  /usr/bin/env time -f "cpu          %U s user, %S s system, %M KB peak resident" \
    "$exe" explore scenarios/explore/raft-correct.scn --depth "$DEPTH" --threads "$threads" \
    2>&1 | grep -E '^(states|speed|memory|fingerprints|cpu|outcome)'
done
