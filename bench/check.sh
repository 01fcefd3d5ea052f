#!/bin/sh
# bench/check.sh: dsim check against Porcupine on Porcupine's own corpus
# (../shared/corpus/porcupine), measured side by side in the same run.
#
# Both tools check every history REPS times and keep the best time, and both
# time the check alone (Porcupine: CheckEvents on parsed events, partitioning
# included; dsim: pairing the events into operations, splitting per key and
# the search, from a loaded history), so the per-file times compare like with
# like.  Prints one row per file (times, verdicts, agreement with
# VERDICTS.tsv), the totals and their ratio, then the time and peak memory of
# the largest kv history checked with and without splitting per key.
#
# Environment: BUILD (default build), REPS (default 5), NO_SPLIT_TIMEOUT
# (default 60s).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
REPS=${REPS:-5}
NO_SPLIT_TIMEOUT=${NO_SPLIT_TIMEOUT:-60s}
DSIM=$BUILD/cli/dsim
CORPUS=../shared/corpus/porcupine
ANCHOR=../shared/anchors/porcupine

if [ ! -f "$CORPUS/VERDICTS.tsv" ] || [ ! -d "$ANCHOR" ]; then
  echo "SKIPPED: bench/check.sh: $CORPUS or $ANCHOR not found (../shared is absent)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "SKIPPED: bench/check.sh: no Go toolchain to build porcupine-bench"
  exit 0
fi
[ -x "$DSIM" ] || { echo "bench/check.sh: $DSIM not built (run make build)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
top=$(pwd)
(cd "$ANCHOR" && GOFLAGS=-mod=mod GOPROXY=off go build -o "$tmp/porcupine-bench" ./cmd/porcupine-bench) \
  || { echo "bench/check.sh: cannot build porcupine-bench"; exit 1; }

files=$(cd "$CORPUS" && awk -F'\t' 'NR > 1 && NF >= 3 { print $1 }' VERDICTS.tsv)
(cd "$CORPUS" && "$tmp/porcupine-bench" -reps "$REPS" $files) > "$tmp/porcupine.tsv"
(cd "$CORPUS" && "$top/$DSIM" check --format json --bench "$REPS" $files) > "$tmp/dsim.jsonl"

python3 - "$CORPUS/VERDICTS.tsv" "$tmp/porcupine.tsv" "$tmp/dsim.jsonl" <<'EOF'
import json, sys
ref = {}
for line in open(sys.argv[1]).read().splitlines()[1:]:
    f = line.split('\t')
    if len(f) >= 3:
        ref[f[0]] = f[1]
por = {}
for line in open(sys.argv[2]):
    f = line.rstrip('\n').split('\t')
    if f[0] != 'total':
        por[f[0]] = (f[1], int(f[2]))
ds = {}
for line in open(sys.argv[3]):
    o = json.loads(line)
    if 'file' in o:
        v = {'ok': 'ok', 'violation': 'illegal'}.get(o['verdict'], o['verdict'])
        ds[o['file']] = (v, o.get('check_us', 0.0))
print('%-22s %12s %12s %7s  %-8s %-8s %-8s %s' % ('file', 'porcupine_us', 'dsim_us', 'ratio',
      'expected', 'porcup.', 'dsim', 'agree'))
tot_p = tot_d = 0.0
agree = slower = 0
for f in ref:
    pv, pt = por.get(f, ('missing', 0))
    dv, dt = ds.get(f, ('missing', 0.0))
    ok = dv == ref[f]
    agree += ok
    tot_p += pt
    tot_d += dt
    # Porcupine prints whole microseconds (truncated): compare at that grain.
    if int(dt) > pt:
        slower += 1
    ratio = pt / dt if dt > 0 else float('inf')
    print('%-22s %12d %12.1f %7.1f  %-8s %-8s %-8s %s' % (f, pt, dt, ratio, ref[f], pv, dv,
          'yes' if ok else 'NO'))
print()
print('verdicts: dsim agrees with VERDICTS.tsv on %d of %d files; porcupine on %d' %
      (agree, len(ref), sum(por.get(f, ('',))[0] == ref[f] for f in ref)))
print('total: porcupine %.1f ms, dsim %.1f ms: dsim is %.1fx faster' %
      (tot_p / 1000, tot_d / 1000, tot_p / tot_d if tot_d else float('inf')))
print('files where dsim is slower than porcupine: %d' % slower)
sys.exit(0 if agree == len(ref) else 1)
EOF
status=$?

largest=$(cd "$CORPUS" && awk -F'\t' 'NR > 1 && $1 ~ /^kv\// { print $3, $1 }' VERDICTS.tsv \
          | sort -n | tail -1 | cut -d' ' -f2)
echo
echo "largest kv history: $largest"
for mode in split no-split; do
  flag=
  [ "$mode" = no-split ] && flag=--no-split
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$DSIM" check --jobs 1 --timeout "$NO_SPLIT_TIMEOUT" \
    $flag --format json "$CORPUS/$largest" > "$tmp/one.jsonl"
  verdict=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["verdict"])' "$tmp/one.jsonl")
  # GNU time writes "Command exited with non-zero status N" first on a violation.
  read -r secs kb <<EOT
$(tail -n 1 "$tmp/time")
EOT
  echo "  $mode: verdict $verdict, $secs s, peak memory $((kb / 1024)) MiB (timeout $NO_SPLIT_TIMEOUT, one thread)"
done
exit $status
