#!/bin/sh
# Anti-entropy: what one exchange between two replicas costs, flat (one
# digest per key) against Merkle trees of several depths, for 16, 1,000
# and 100,000 keys of which 1 or 10 differ.  Runs the protocol's own tree
# code (protocols/quorum/merkle.c) on key sets larger than a simulated
# node holds.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exe=$BUILD/bench/bench_merkle
if [ ! -x "$exe" ]; then
  echo "bench/merkle.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
"$exe"
