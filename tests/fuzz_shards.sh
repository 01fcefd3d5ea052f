#!/bin/sh
# Slow suite: N shards of a random campaign, run by a plain shell loop as a
# job-array runner would, cover exactly the runs of the unsharded campaign
# (the same run numbers, seeds, configurations and verdicts), and the merge
# of their directories equals the unsharded directory's runs and coverage.
set -eu
dsim=${DSIM_EXE:?}
root=${DSIM_SOURCE_ROOT:-.}
scn=$root/scenarios/raft/random-faults.scn
runs=${RUNS:-300}
n=${SHARDS:-4}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$dsim" fuzz "$scn" --runs "$runs" --strategy random --seed 11 --out "$tmp/whole" > /dev/null || [ $? -eq 1 ]
i=1
while [ "$i" -le "$n" ]; do
  "$dsim" fuzz "$scn" --runs "$runs" --strategy random --seed 11 --shard "$i/$n" \
    --out "$tmp/shard-$i" > /dev/null || [ $? -eq 1 ]
  i=$((i + 1))
done
"$dsim" fuzz --merge "$tmp"/shard-* --out "$tmp/merged" > "$tmp/merge.log" || [ $? -eq 1 ]
# Every run once: the shards are disjoint and together make the whole.
total=$(cat "$tmp"/shard-*/runs.tsv | grep -vc '^run')
[ "$total" -eq "$runs" ] || { echo "shards ran $total runs, expected $runs"; exit 1; }
cmp "$tmp/whole/runs.tsv" "$tmp/merged/runs.tsv" || { echo "merged runs differ"; exit 1; }
cmp "$tmp/whole/coverage.txt" "$tmp/merged/coverage.txt" || { echo "merged coverage differs"; exit 1; }
grep -q "^runs         $runs:" "$tmp/merge.log" || { cat "$tmp/merge.log"; exit 1; }
echo "$n shards of $runs runs: the same runs and coverage as one campaign"
