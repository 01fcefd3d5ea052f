#!/bin/sh
# Probabilistically bounded staleness: t-visibility of partial quorums
# (N=3; W, R and the latency distribution vary), measured over 100 seeds
# of 10 virtual seconds each and set beside the WARS model's prediction
# from the same distributions.  Prints the tables and draws the curves in
# docs/pbs.svg and docs/pbs.png (or the path given as $1, without suffix).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exe=$BUILD/bench/bench_pbs
if [ ! -x "$exe" ]; then
  echo "bench/pbs.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
"$exe" 100 "${1:-docs/pbs}"
