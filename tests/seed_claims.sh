#!/bin/sh
# Slow suite: a scenario whose description says how often it shows what it
# expects ("... in K of seeds 1..100") is run on seeds 1..100, and the
# number of runs whose summary says "as expected" must be K.  So a change
# that makes a scenario show its anomaly more or less often cannot leave
# its description stale; the message says what to write instead.
set -eu
dsim=${DSIM_EXE:?}
root=${DSIM_SOURCE_ROOT:-.}
status=0
checked=0
for f in "$root"/scenarios/*/*.scn; do
  claim=$(grep -m1 '^description' "$f" | grep -o '[0-9]* of seeds 1\.\.100' | head -1 | cut -d' ' -f1)
  [ -n "$claim" ] || continue
  n=0
  seed=1
  while [ "$seed" -le 100 ]; do
    if "$dsim" run "$f" --seed "$seed" 2>/dev/null | grep -q '^expected .*: as expected$'; then
      n=$((n + 1))
    fi
    seed=$((seed + 1))
  done
  checked=$((checked + 1))
  if [ "$n" -ne "$claim" ]; then
    echo "FAIL ${f#"$root"/}: the description says $claim of seeds 1..100; $n runs show what it expects" >&2
    status=1
  fi
done
if [ "$checked" -lt 20 ]; then
  echo "FAIL only $checked scenarios state how often they show what they expect" >&2
  status=1
fi
echo "seed_claims: $checked scenario descriptions checked against seeds 1..100"
exit $status
