#!/bin/sh
# bench/coll_scale.sh: dsim check on Knossos's collection models at
# 10^3 .. 10^MAX_EXP operations from 10 processes (bench/coll_gen.py), each
# linearizable (seed 1) and with one result changed (seed 2, --mutate),
# beside the search alone (--search-only) up to SEARCH_MAX operations.
#
# For each file it prints the model, operations, file size, then for the
# default check and for --search-only: verdict, method (patterns or
# search), wall time, CPU time (user + system: the machine may be shared)
# and peak RSS of the whole command (loading and checking).  A last row
# per queue model is a purely sequential history (1 process).
#
# A set read returns the whole set, so a set history of n operations is
# O(n^2) bytes (51 MB at 10^4): sets stop at SET_MAX operations.
#
# Environment: BUILD (default build), MAX_EXP (default 5), MODELS (default
# "set unordered-queue fifo-queue multi-register"), SEARCH_MAX (default
# 10000), SET_MAX (default 10000), TIMEOUT (per check, default 120s),
# MAX_MEMORY (dsim --max-memory, default 3G), TMPDIR.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MAX_EXP=${MAX_EXP:-5}
MODELS=${MODELS:-set unordered-queue fifo-queue multi-register}
SEARCH_MAX=${SEARCH_MAX:-10000}
SET_MAX=${SET_MAX:-10000}
TIMEOUT=${TIMEOUT:-120s}
MAX_MEMORY=${MAX_MEMORY:-3G}
DSIM=$BUILD/cli/dsim
[ -x "$DSIM" ] || { echo "bench/coll_scale.sh: $DSIM not built (run make build)"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/coll_scale.sh: needs /usr/bin/time (GNU time)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# run FILE MODEL [FLAGS]: "verdict method wall cpu rss"
run () {
  f=$1; m=$2; shift 2
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" \
    "$DSIM" check "$f" --kind "$m" --format json --timeout "$TIMEOUT" --max-memory "$MAX_MEMORY" "$@" \
    > "$tmp/out" 2>/dev/null
  line=$(head -1 "$tmp/out")
  v=$(echo "$line" | sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p')
  meth=$(echo "$line" | sed -n 's/.*"method":"\([a-z+]*\)".*/\1/p')
  # (GNU time writes "Command exited with non-zero status N" first)
  tail -1 "$tmp/time" | awk -v v="${v:-?}" -v m="${meth:--}" \
    '{ printf "%-9s %-8s %7.2f s %7.2f s %6.0f MB", v, m, $1, $2 + $3, $4 / 1024 }'
}

printf '%-15s %7s %5s %8s | %-44s | %s\n' model ops seed size "default: verdict method wall cpu rss" \
  "--search-only"
for model in $MODELS; do
  e=3
  while [ "$e" -le "$MAX_EXP" ]; do
    n=$(python3 -c "print(10**$e)")
    if [ "$model" = set ] && [ "$n" -gt "$SET_MAX" ]; then e=$((e + 1)); continue; fi
    for seed in 1 2 seq; do
      procs=10; s=$seed; mut=""
      [ "$seed" = 2 ] && mut=--mutate
      if [ "$seed" = seq ]; then
        case $model in *queue) ;; *) continue ;; esac
        [ "$e" -eq "$MAX_EXP" ] || continue
        procs=1; s=1
      fi
      f=$tmp/$model-$n-$seed.edn
      python3 bench/coll_gen.py "$model" "$n" "$procs" "$s" $mut > "$f"
      size=$(du -h "$f" | cut -f1)
      a=$(run "$f" "$model")
      if [ "$n" -le "$SEARCH_MAX" ]; then b=$(run "$f" "$model" --search-only); else b="(not run)"; fi
      printf '%-15s %7s %5s %8s | %s | %s\n' "$model" "$n" "$seed" "$size" "$a" "$b"
      rm -f "$f"
    done
    e=$((e + 1))
  done
done
