#!/bin/sh
# One dsim fuzz campaign split over N processes with GNU parallel, on one
# machine or many (parallel --sshloginfile).  Each shard runs the runs r
# with r mod N = I-1 of the same campaign seed and writes its own
# directory; the merge joins them into one summary and one directory.
#
#   sh contrib/fuzz-parallel.sh SCENARIO [RUNS] [SHARDS] [SEED]
set -eu
scenario=$1
runs=${2:-100000}
shards=${3:-$(nproc)}
seed=${4:-1}
out=${OUT:-fuzz-shards}
mkdir -p "$out"
seq 1 "$shards" | parallel --halt never --line-buffer \
  dsim fuzz "$scenario" --runs "$runs" --seed "$seed" --jobs 1 \
    --shard {}/"$shards" --out "$out/shard-{}" '>' "$out/shard-{}.log" || true
dsim fuzz --merge "$out"/shard-* --out "$out/merged"
