#!/bin/sh
# seed-rate.sh SCENARIO MODEL [FIRST LAST]: in how many of seeds FIRST..LAST
# (default 1..100) `dsim run SCENARIO --seed N` finds MODEL violated.
# The numbers in the teaching scenarios' descriptions come from here.
set -eu
scn=$1 model=$2 first=${3:-1} last=${4:-100}
dsim=${DSIM:-build/cli/dsim}
hits=0
for s in $(seq "$first" "$last"); do
  if "$dsim" run "$scn" --seed "$s" | grep -q "^$model  *VIOLATED"; then
    hits=$((hits + 1))
  fi
done
echo "$scn: $model violated in $hits of seeds $first..$last"
