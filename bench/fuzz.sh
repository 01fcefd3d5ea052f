#!/bin/sh
# Time to bug: for every seeded bug of every protocol listed in
# bench/fuzz-targets.txt, the runs and the wall time `dsim fuzz` needs to
# its first safety failure, random swarm against the default guided
# strategy (heavy: half feedback mutants, half fault-heavy or fault-dense
# swarm draws), median over SEEDS campaign seeds.  Each campaign starts
# from the random-faults scenario bench/fuzz-targets.txt names for the
# bug, with only `bug = NAME` added, and stops at the first broken
# invariant or [check] model (--stop-on safety, no shrinking) or after
# RUNS runs.  Every seeded bug is a safety bug, and a liveness failure is
# no evidence of one (correct PBFT fails the liveness phase of its
# Byzantine scenario in about a third of runs), so liveness failures do
# not end a campaign.
#
#   RUNS=10000 SEEDS=5 JOBS=2 sh bench/fuzz.sh [PROTOCOL...]
#
# BUGS="a b" limits the table to those bugs; FIRST_SEED=S numbers the
# campaign seeds S..S+SEEDS-1 (default 1); STRATEGIES="feedback" runs one
# strategy only (its speedup column then shows "-"); FEEDBACK=feedback (or
# adaptive) runs that --strategy in the guided column.
# Runs to the first failure do not depend on JOBS; wall time does, and on
# the machine's load.  A bug not found in RUNS runs shows as ">RUNS".
# The last lines give the median speedup (random runs / feedback runs)
# over all bugs, and over the bugs random needs more than 16 runs for: the
# first 16 runs of a feedback campaign are fresh swarm runs, the same as
# random's (the corpus fills after the first batch), so on bugs found
# within them the two strategies tie by construction.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-10000}
SEEDS=${SEEDS:-5}
FIRST_SEED=${FIRST_SEED:-1}
STRATEGIES=${STRATEGIES:-random feedback}
JOBS=${JOBS:-2}
FEEDBACK=${FEEDBACK:-heavy}
exe=$BUILD/cli/dsim
if [ ! -x "$exe" ]; then
  echo "bench/fuzz.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

targets=bench/fuzz-targets.txt
protocols=${*:-$(grep -v '^#' "$targets" | awk 'NF { print $1 }' | uniq)}

# the scenario bench/fuzz-targets.txt names for PROTOCOL BUG
scenario_for() {
  grep -v '^#' "$targets" | awk -v p="$1" -v b="$2" \
    '$1 == p && ($2 == b || $2 == "*") { print $3; exit }'
}

# median of the numbers on stdin: the middle one, or the mean of the
# middle two for an even count (SEEDS=10); with a limit ($1, RUNS for runs
# to a failure), a value above it (a campaign that found nothing) among
# the middle ones makes it ">LIMIT"
median() {
  sort -n | awk -v limit="${1:-}" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
    lo = v[int((NR + 1) / 2)]; hi = v[int(NR / 2) + 1]
    if (limit != "" && hi > limit + 0) { print ">" limit; exit }
    m = (lo + hi) / 2; if (m == int(m)) print m; else printf "%.10g\n", m }'
}

now() { date +%s.%N; }

printf '%-6s %-32s %16s %16s %9s\n' protocol bug "random runs/s" "$FEEDBACK runs/s" speedup
status=0
for proto in $protocols; do
  bugs=$("$exe" list "$proto" | tr '\n' ' ' | sed -n 's/.*seeded bugs: *\(.*\) *(set bug.*/\1/p' | tr -d ',' | tr -s ' ')
  for bug in $bugs; do
    if [ -n "${BUGS:-}" ] && ! echo " $BUGS " | grep -q " $bug "; then
      continue
    fi
    base=$(scenario_for "$proto" "$bug")
    if [ -z "$base" ] || [ ! -f "$base" ]; then
      echo "bench/fuzz.sh: no scenario for $proto $bug in $targets" >&2
      status=1
      continue
    fi
    scn=$tmp/$proto-$bug.scn
    if grep -q "^\[$proto\]" "$base"; then
      sed "s/^\[$proto\]\$/[$proto]\nbug = $bug/" "$base" > "$scn"
    else
      { cat "$base"; printf '\n[%s]\nbug = %s\n' "$proto" "$bug"; } > "$scn"
    fi
    random_runs=- random_secs=- random_all="- " feedback_runs=- feedback_secs=- feedback_all="- "
    for strategy in $STRATEGIES; do
      : > "$tmp/runs" ; : > "$tmp/secs"
      run_as=$strategy
      [ "$strategy" = feedback ] && run_as=$FEEDBACK
      seed=$FIRST_SEED
      while [ "$seed" -lt $((FIRST_SEED + SEEDS)) ]; do
        t0=$(now)
        "$exe" fuzz "$scn" --runs "$RUNS" --stop-on safety --shrink-runs 0 \
          --strategy "$run_as" --seed "$seed" --jobs "$JOBS" --out "$tmp/out" > "$tmp/log" 2>&1
        t1=$(now)
        n=$(sed -n 's/^first safety *after \([0-9]*\) runs.*/\1/p' "$tmp/log")
        [ -n "$n" ] || n=$((RUNS + 1))
        echo "$n" >> "$tmp/runs"
        echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }' >> "$tmp/secs"
        seed=$((seed + 1))
      done
      r=$(median "$RUNS" < "$tmp/runs")
      s=$(median < "$tmp/secs" | awk '{ printf "%.2f", $1 }')
      case $r in ">"*) status=1 ;; esac
      eval "${strategy}_runs=\$r; ${strategy}_secs=\$s"
      eval "${strategy}_all=\"\$(tr '\n' ' ' < "\$tmp/runs")\""
    done
    speed=$(echo "$random_runs $feedback_runs" | tr -d '>' | awk '{ if ($1 != "-" && $2 != "-" && $2 > 0) printf "%.1fx", $1 / $2; else print "-" }')
    echo "$random_runs $feedback_runs" | tr -d '>' | awk '$1 != "-" && $2 != "-" && $2 > 0 { print $1 / $2, $1 }' >> "$tmp/speedups"
    printf '%-6s %-32s %9s %5ss %9s %5ss %9s\n' "$proto" "$bug" "$random_runs" "$random_secs" \
      "$feedback_runs" "$feedback_secs" "$speed"
    printf '%-6s %-32s   runs per seed: random %s| %s %s   (%s)\n' "" "" "$random_all" "$FEEDBACK" "$feedback_all" "$base"
  done
done
if [ -s "$tmp/speedups" ]; then
  all=$(awk '{ print $1 }' "$tmp/speedups" | median)
  n_all=$(wc -l < "$tmp/speedups")
  hard=$(awk '$2 > 16 { print $1 }' "$tmp/speedups" | median)
  n_hard=$(awk '$2 > 16' "$tmp/speedups" | wc -l)
  printf 'median speedup %sx over %s bugs; %sx over the %s bugs random needs more than 16 runs for\n' \
    "$(printf '%.2f' "$all")" "$n_all" "$( [ "$hard" = - ] && echo - || printf '%.2f' "$hard")" "$n_hard"
fi
exit $status
