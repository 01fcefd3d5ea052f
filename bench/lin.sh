#!/bin/sh
# bench/lin.sh: dsim check against Porcupine on generated histories
# (bench/lin_gen.py: etcd-style cas registers and kv logs in Porcupine's
# formats, by family), measured side by side in one run, one thread each.
#
# Both tools check every file REPS times and keep the best CPU time of the
# check alone (as bench/check.sh: parsing excluded, pairing and
# partitioning included), with the same TIMEOUT per file; Porcupine runs
# with GOMAXPROCS=1 and dsim with --jobs 1.  CPU time, not elapsed time:
# on a machine shared with other work, elapsed time varies several fold
# from run to run.  Prints, per family and
# overall, the number of files, verdict agreement, the total times and
# their ratio, the median and the worst per-file ratio
# (Porcupine time / dsim time: above 1 dsim is faster), then the worst
# files.  A file that one tool decides and the other does not within
# TIMEOUT is listed apart.
#
#   bench/lin.sh [GENERATED_DIR]
#
# Environment: BUILD (default build), REPS (default 3), TIMEOUT (default
# 60s), SCALE (small|full, default full), SEED (default 1), FAMILY (only
# these families, space separated), WORST (rows, default 15).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
REPS=${REPS:-3}
TIMEOUT=${TIMEOUT:-60s}
SCALE=${SCALE:-full}
SEED=${SEED:-1}
WORST=${WORST:-15}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
DSIM=$BUILD/cli/dsim
ANCHOR=../shared/anchors/porcupine

if [ ! -d "$ANCHOR" ]; then
  echo "SKIPPED: bench/lin.sh: $ANCHOR not found (../shared is absent)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "SKIPPED: bench/lin.sh: no Go toolchain to build porcupine-bench"
  exit 0
fi
[ -x "$DSIM" ] || { echo "bench/lin.sh: $DSIM not built (run make build)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
top=$(pwd)
gen=${1:-$tmp/gen}
# Porcupine's driver, built from a copy whose clock is the process's CPU
# time (as dsim's check_cpu_us): elapsed time on a shared machine measures
# the neighbours.  The copy lives in the temporary directory only.
cp -r "$ANCHOR" "$tmp/porcupine"
python3 - "$tmp/porcupine/cmd/porcupine-bench/main.go" <<'PY' || exit 1
import sys
p = sys.argv[1]
s = open(p).read()
for a, b in (('\t"time"\n', '\t"syscall"\n\t"time"\n\t"unsafe"\n'),
             ('start := time.Now()', 'start := cpuNow()'),
             ('time.Since(start)', 'cpuNow() - start')):
    if a not in s:
        sys.exit('bench/lin.sh: porcupine-bench main.go changed: %r not found' % a)
    s = s.replace(a, b)
s += """
func cpuNow() time.Duration {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 2 /* CLOCK_PROCESS_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
"""
open(p, 'w').write(s)
PY
(cd "$tmp/porcupine" && GOFLAGS=-mod=mod GOPROXY=off go build -o "$tmp/porcupine-bench" ./cmd/porcupine-bench) \
  || { echo "bench/lin.sh: cannot build porcupine-bench"; exit 1; }
if [ ! -d "$gen" ]; then
  fam=
  for f in ${FAMILY:-}; do fam="$fam --family $f"; done
  python3 bench/lin_gen.py "$gen" --scale "$SCALE" --seed "$SEED" $fam > "$tmp/files.tsv" \
    || { echo "bench/lin.sh: lin_gen.py failed"; exit 1; }
fi
files=$(cd "$gen" && ls */*.log | sort)
# Pass 1: every file once; pass 2: REPS times, only the files that tool
# decided in pass 1 (a timeout is not worth repeating).
por() { (cd "$gen" && GOMAXPROCS=1 "$tmp/porcupine-bench" -reps "$1" -timeout "$TIMEOUT" $2); }
dsim() { (cd "$gen" && "$DSIM" check --jobs 1 --format json --bench "$1" --timeout "$TIMEOUT" $2); }
por 1 "$files" > "$tmp/porcupine1.tsv"
dsim 1 "$files" > "$tmp/dsim1.jsonl"
if [ "$REPS" -gt 1 ]; then
  por "$REPS" "$(awk -F'\t' '$2 == "ok" || $2 == "illegal" { print $1 }' "$tmp/porcupine1.tsv")" \
    > "$tmp/porcupine2.tsv"
  dsim "$REPS" "$(python3 -c 'import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("verdict") in ("ok", "violation"):
        print(o["file"])' "$tmp/dsim1.jsonl")" > "$tmp/dsim2.jsonl"
fi
cat "$tmp/porcupine1.tsv" "$tmp/porcupine2.tsv" 2>/dev/null > "$tmp/porcupine.tsv"
cat "$tmp/dsim1.jsonl" "$tmp/dsim2.jsonl" 2>/dev/null > "$tmp/dsim.jsonl"

python3 bench/lin_report.py "$tmp/porcupine.tsv" "$tmp/dsim.jsonl" "$WORST"
