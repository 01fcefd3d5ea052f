#!/bin/sh
# Leaderless quorum replication beside Raft: messages per client operation
# and simulated events per second, 5 nodes, 10 clients, a healthy network,
# 20 virtual seconds each, invariants checked after every step.
# The machine's load shows in the wall figures (the CPU figures less so).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exe=$BUILD/bench/bench_quorum
if [ ! -x "$exe" ]; then
  echo "bench/quorum.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
"$exe" 20
