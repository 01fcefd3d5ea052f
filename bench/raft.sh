#!/bin/sh
# Raft throughput in the simulated world: 5 nodes, 10 clients, a healthy
# network (1-5ms, no loss), 60 virtual seconds, invariants checked after
# every step, no trace.  Reports delivered messages per wall second, client
# operations per wall second and simulated/wall time.  Target: at least
# 1,000,000 delivered messages per wall second on one core.
# The machine's load shows in the wall figures (the CPU figures less so).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exe=$BUILD/bench/bench_raft
if [ ! -x "$exe" ]; then
  echo "bench/raft.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
"$exe" 5 10 60 1000
