#!/bin/sh
# Diagram rendering: wall-clock time and output size of `dsim trace` for
# synthetic traces of 100, 1,000 and 10,000 messages (bench/viz_gen_trace.py:
# 5 nodes, 2 clients, losses, duplicates, a partition, a crash), in every
# output format.  Times are over 3 runs (hyperfine when installed): the
# median wall-clock time, which the machine's load inflates, and the mean CPU
# time (user + system), which it does not.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
dsim=$BUILD/cli/dsim
if [ ! -x "$dsim" ]; then
  echo "bench/viz.sh: $dsim not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-9s %-7s %-8s %10s %10s %12s\n' messages format events "wall s" "cpu s" "output bytes"
for n in 100 1000 10000; do
  python3 bench/viz_gen_trace.py "$n" > "$tmp/t$n.jsonl" || exit 1
  events=$(($(wc -l < "$tmp/t$n.jsonl") - 1))
  for f in dot svg png pdf shiviz; do
    out="$tmp/o$n.$f"
    if command -v hyperfine >/dev/null 2>&1; then
      hyperfine -N --runs 3 --export-json "$tmp/h.json" \
        "$dsim trace $tmp/t$n.jsonl -o $out --format $f" >/dev/null 2>&1 || exit 1
      secs=$(python3 -c "import json,sys; r = json.load(open(sys.argv[1]))['results'][0]; print('%.3f %.3f' % (r['median'], r['user'] + r['system']))" "$tmp/h.json")
    else
      secs=$(python3 -c "
import resource, subprocess, sys, time
ts = []
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(3):
    t = time.monotonic()
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
    ts.append(time.monotonic() - t)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / 3
print('%.3f %.3f' % (sorted(ts)[1], cpu))" "$dsim" trace "$tmp/t$n.jsonl" -o "$out" --format "$f") || exit 1
    fi
    # shellcheck disable=SC2086
    printf '%-9s %-7s %-8s %10s %10s %12s\n' "$n" "$f" "$events" $secs "$(wc -c < "$out")"
  done
done
