#!/bin/sh
# Engine throughput: simulated events per wall-clock second and peak memory.
#   null workload: 5 nodes, 1000 tokens each, lossless network, no trace;
#   primary-backup (pb): 5 nodes, 10 clients, default workload.
# The machine's load shows in the figures: run it on an idle machine.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exe=$BUILD/bench/bench_engine
if [ ! -x "$exe" ]; then
  echo "bench/engine.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
"$exe" null 5 1000 20 || exit 1
"$exe" null 5 1000 2 trace || exit 1
if "$BUILD/cli/dsim" list 2>/dev/null | grep -q '^pb:'; then
  "$exe" pb 5 10 600 || exit 1
else
  echo "pb: not in this build (dsim list does not show it)"
fi
