#!/bin/sh
# The 2-atomicity decision of `dsim check --model staleness` alone, on
# the histories of three quorum scenarios run for 60 virtual seconds
# (weak quorums, strict quorums, a sloppy quorum under a partition):
# operations, verdict, search states and CPU seconds.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exe=$BUILD/bench/bench_two_atomic
if [ ! -x "$exe" ]; then
  echo "bench/two_atomic.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")
dsim=$(cd "$BUILD/cli" && pwd)/dsim
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
files=""
for s in weak-quorum-stale-reads strict-quorum-inversion sloppy-partition; do
  sed 's/^duration = .*/duration = 60s/' "scenarios/quorum/$s.scn" > "$dir/$s.scn"
  "$dsim" run "$dir/$s.scn" --out "$dir/$s" --quiet > /dev/null
  files="$files $s/history.jsonl"
done
cd "$dir" && "$exe" $files
