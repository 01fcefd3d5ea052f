#!/bin/sh
# dsim explore, breadth first with the default partial-order reduction.
#
# 1. 3-node Raft (scenarios/explore/raft-correct.scn: correct Raft, no
#    clients, one crash, one restart, two timeouts per path) to depth 10 on
#    one thread, then on two: the explorer's own lines (distinct and
#    generated states, states per second of wall clock, memory and bytes
#    per distinct state), then the user CPU seconds, which the machine's
#    load does not inflate as it does the wall clock.
# 2. One line per protocol: the seeded-bug scenarios of scenarios/explore/
#    with bug = none (and without their [replay] prefix, so the search
#    starts at boot), one thread: distinct states, CPU seconds (user +
#    system), distinct states per CPU second, bytes per distinct state.
#
# 3. Memory on a search large enough that the fixed costs (a world per
#    depth, the sorts' smallest buffers) do not dominate: raft-correct.scn
#    with three timeouts per path to depth 10 (3.3 million distinct
#    states), one thread: the explorer's lines, then the peak resident
#    set of the whole process, per distinct state.
#
# Target: 1,000,000 distinct states per CPU second on 3-node Raft, 8 bytes
# per distinct state.
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

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
echo
echo "== per protocol, 1 thread (bug = none, from boot)"
printf '%-8s %-34s %5s %10s %8s %12s %8s\n' protocol scenario depth distinct "cpu s" "states/cpu-s" "B/state"
# protocol scenario depth
while read -r proto scn depth; do
  src=scenarios/explore/$scn.scn
  [ -f "$src" ] || continue
  sed -e 's/^bug = .*/bug = none/' -e '/^from_replay/d' "$src" > "$tmp/$scn.scn"
  /usr/bin/env time -o "$tmp/time" -f "%U %S" \
    "$exe" explore "$tmp/$scn.scn" --depth "$depth" > "$tmp/out" 2>&1
  distinct=$(awk '/^states/ { print $2 }' "$tmp/out")
  bytes=$(awk '/^memory/ { print $4 }' "$tmp/out")
  awk -v p="$proto" -v s="$scn" -v d="$depth" -v n="${distinct:-0}" -v b="${bytes:-?}" \
    '{ cpu = $1 + $2; r = cpu > 0 ? n / cpu : 0
       printf "%-8s %-34s %5d %10d %8.2f %12.0f %8s\n", p, s, d, n, cpu, r, b }' "$tmp/time"
done <<EOF
raft raft-correct 10
paxos paxos-volatile-promise 9
quorum quorum-abd-skip-write-back 7
pbft pbft-no-digest-check 8
EOF

MEMDEPTH=${MEMDEPTH:-10}
echo
echo "== memory: raft-correct.scn, 3 timeouts, depth $MEMDEPTH, 1 thread"
/usr/bin/env time -o "$tmp/time" -f "%U %S %M" \
  "$exe" explore scenarios/explore/raft-correct.scn --depth "$MEMDEPTH" --timeouts 3 \
  > "$tmp/out" 2>&1
grep -E '^(states|speed|memory|outcome)' "$tmp/out"
distinct=$(awk '/^states/ { print $2 }' "$tmp/out")
awk -v n="${distinct:-0}" '{ printf "cpu          %.2f s user, %.2f s system, %d KB peak resident, %.1f resident bytes per distinct state\n", $1, $2, $3, (n > 0 ? $3 * 1024 / n : 0) }' "$tmp/time"
