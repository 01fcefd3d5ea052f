#!/bin/sh
# Consistency checks on generated differentiated histories of 1,000, 10,000
# and 100,000 operations (10 processes, 100 keys, causal broadcast; see
# bench/cons_gen.c): CPU seconds to load the file, wall and CPU seconds for
# the check alone, peak memory of the process.
# Target: the 100,000-operation causal check under 10 s and 2 GiB.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
gen=$BUILD/bench/cons_gen
run=$BUILD/bench/bench_consistency
for exe in "$gen" "$run"; do
  if [ ! -x "$exe" ]; then
    echo "bench/consistency.sh: $exe not built (run: ninja -C $BUILD)" >&2
    exit 1
  fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SIZES=${SIZES:-"1000 10000 100000"}
printf '%8s  %-20s %-9s %10s %8s %10s %8s\n' ops model verdict load_cpu_s check_s check_cpu_s peak_MiB
for n in $SIZES; do
  "$gen" "$n" > "$tmp/cm-$n.jsonl" || exit 1
  "$gen" "$n" --convergent > "$tmp/ccv-$n.jsonl" || exit 1
  for m in causal causal-memory session pram; do
    "$run" "$tmp/cm-$n.jsonl" "$m" || exit 1
  done
  "$run" "$tmp/ccv-$n.jsonl" causal-convergence || exit 1
  for m in read-your-writes monotonic-reads monotonic-writes writes-follow-reads; do
    "$run" "$tmp/cm-$n.jsonl" "$m" || exit 1
  done
done
