#!/bin/sh
# bench/huge.sh: dsim check (and Porcupine, where it can) on large generated
# histories: linearizable cas-register histories of 10^4 .. 10^MAX_EXP
# operations from 50 clients (bench/huge_gen.py), and the same with one
# stale read near the end.  Each file is Porcupine's etcd log format, which
# both tools read.
#
# For each file it prints: operations, file size, dsim's load time and the
# memory per operation of the loaded history (bench_load: peak RSS over the
# operations), dsim check's verdict, the method that decided (zones or
# search), wall time, CPU time (user + system: the machine may be shared)
# and peak RSS (the whole command: loading and checking), and Porcupine's
# verdict, check time and
# peak RSS (porcupine-bench, built from ../shared/anchors/porcupine as
# bench/check.sh does; skipped without Go or ../shared).
#
# Environment: BUILD (default build), MIN_EXP (default 4), MAX_EXP (default 6; 7 writes a
# 10^7-operation file of about 0.9 GB), KIND (cas, register or kv; default
# cas), CLIENTS (default 50), TIMEOUT (per dsim check, default 60s), PORC_TIMEOUT
# (per Porcupine check, default 60s), MAX_MEMORY (dsim --max-memory,
# default 3G), PORCUPINE_MAX (largest size given to Porcupine, default
# 10000: Porcupine needs over 4 GB and a minute on 10^4 operations), TMPDIR.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MAX_EXP=${MAX_EXP:-6}
KIND=${KIND:-cas}
CLIENTS=${CLIENTS:-50}
TIMEOUT=${TIMEOUT:-60s}
PORC_TIMEOUT=${PORC_TIMEOUT:-60s}
MAX_MEMORY=${MAX_MEMORY:-3G}
PORCUPINE_MAX=${PORCUPINE_MAX:-10000}
DSIM=$BUILD/cli/dsim
LOAD=$BUILD/bench/bench_load
ANCHOR=../shared/anchors/porcupine
[ -x "$DSIM" ] && [ -x "$LOAD" ] || { echo "bench/huge.sh: $DSIM or $LOAD not built (run make build)"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/huge.sh: needs /usr/bin/time (GNU time) for peak memory"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
porcupine=
if [ -d "$ANCHOR" ] && command -v go >/dev/null 2>&1; then
  if (cd "$ANCHOR" && GOFLAGS=-mod=mod GOPROXY=off go build -o "$tmp/porcupine-bench" ./cmd/porcupine-bench); then
    porcupine=$tmp/porcupine-bench
  fi
fi
[ -n "$porcupine" ] || echo "SKIPPED: Porcupine columns: no Go toolchain or $ANCHOR absent"

printf '%-9s %-6s %8s %7s %7s  %-9s %-6s %8s %8s %8s  %-9s %8s %8s\n' ops stale file_MB load_s \
  B/op dsim method dsim_s dsim_cpu dsim_MiB porcupine porc_s porc_MiB
exp=${MIN_EXP:-4}
while [ "$exp" -le "$MAX_EXP" ]; do
  n=$(python3 -c "print(10**$exp)")
  for stale in no yes; do
    f=$tmp/h.log
    if [ "$stale" = yes ]; then
      python3 bench/huge_gen.py "$KIND" "$n" --clients "$CLIENTS" --stale > "$f"
    else
      python3 bench/huge_gen.py "$KIND" "$n" --clients "$CLIENTS" > "$f"
    fi
    mb=$(du -m "$f" | cut -f1)
    load=$("$LOAD" "$f") || load="- - - - - - -"
    load_s=$(echo "$load" | cut -d' ' -f4)
    bpo=$(echo "$load" | cut -d' ' -f7)
    /usr/bin/time -f '%e %M %U %S' -o "$tmp/t" timeout "$TIMEOUT" "$DSIM" check --format json \
      --max-memory "$MAX_MEMORY" "$f" > "$tmp/out" 2>/dev/null
    rc=$?
    # The verdict and method come first in the report, before a prefix or
    # linearization of millions of operations: read only the front.
    head -c 4096 "$tmp/out" > "$tmp/front"
    verdict=$(sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p' "$tmp/front" | head -1)
    [ "$rc" = 124 ] && verdict=timeout
    [ -n "$verdict" ] || verdict="exit$rc"
    method=$(sed -n 's/.*"method":"\([a-z+]*\)".*/\1/p' "$tmp/front" | head -1)
    [ -n "$method" ] || method=-
    d_s=$(tail -1 "$tmp/t" | cut -d' ' -f1)
    d_m=$(( $(tail -1 "$tmp/t" | cut -d' ' -f2) / 1024 ))
    d_cpu=$(tail -1 "$tmp/t" | awk '{ printf "%.2f", $3 + $4 }')
    p_v=- p_s=- p_m=-
    if [ -n "$porcupine" ] && [ "$n" -le "$PORCUPINE_MAX" ]; then
      /usr/bin/time -f '%e %M' -o "$tmp/pt" timeout "$PORC_TIMEOUT" "$porcupine" -reps 1 "$f" \
        > "$tmp/pout" 2>/dev/null
      prc=$?
      p_v=$(awk -F'\t' '$1 != "total" { print $2 }' "$tmp/pout" | head -1)
      p_us=$(awk -F'\t' '$1 != "total" { print $3 }' "$tmp/pout" | head -1)
      [ "$prc" = 124 ] && p_v=timeout
      [ "$prc" -gt 128 ] && [ "$prc" != 124 ] && p_v="killed$prc"
      [ -n "$p_v" ] || p_v="exit$prc"
      p_s=$(python3 -c "print('%.2f' % (int('${p_us:-0}' or 0) / 1e6))" 2>/dev/null || echo -)
      [ "$p_v" = ok ] || [ "$p_v" = illegal ] || p_s=$(tail -1 "$tmp/pt" | cut -d' ' -f1)
      p_m=$(( $(tail -1 "$tmp/pt" | cut -d' ' -f2) / 1024 ))
    fi
    printf '%-9s %-6s %8s %7s %7s  %-9s %-6s %8s %8s %8s  %-9s %8s %8s\n' "$n" "$stale" "$mb" \
      "$load_s" "$bpo" "$verdict" "$method" "$d_s" "$d_cpu" "$d_m" "$p_v" "$p_s" "$p_m"
    rm -f "$f"
  done
  exp=$((exp + 1))
done
