#!/bin/sh
# Raft and Multi-Paxos side by side (bench/bench_consensus.c): the same
# workload (10 clients, read/write/cas 2:2:1 on 5 keys, 1ms think time) and
# network (1-5ms, no loss), 3 and 5 nodes, 60 virtual seconds, invariants
# checked after every step.  Columns: delivered messages per completed
# operation; virtual latency per operation (median, p99); time without a
# leader after the leader crashes at 2s (median and worst of 50 seeds; for
# Paxos until the new leader has started phase 2); delivered messages per
# wall second and per CPU second (the machine's load shows in the first).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exe=$BUILD/bench/bench_consensus
if [ ! -x "$exe" ]; then
  echo "bench/consensus.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
echo "proto  nodes  msgs/op  lat p50ms lat p99ms  no-leader p50  no-leader max  deliv/wall s  deliv/cpu s"
for n in 3 5; do
  for p in raft paxos; do
    "$exe" $p $n 60 || exit 1
  done
done
