#!/bin/sh
# The price of Byzantine tolerance: messages and bytes sent per completed
# client operation, PBFT with n = 4, 7, 10, 13, 16 (f = 1..5) against Raft
# (5 nodes, f = 2 crash faults) on the same workload: 4 clients, 5ms think
# time, 10 virtual seconds, lossless network.  Deterministic (seed 1).
# With SVG=FILE, also writes a bar chart of messages per operation to FILE
# (the README's is docs/pbft-price.svg).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exe=$BUILD/bench/bench_pbft
if [ ! -x "$exe" ]; then
  echo "bench/pbft.sh: $exe not built (run: ninja -C $BUILD)" >&2
  exit 1
fi
rows=$(mktemp)
echo "| protocol | nodes |      ops | msgs / op  |  bytes / op  |"
echo "|----------|-------|----------|------------|--------------|"
for n in 4 7 10 13 16; do "$exe" pbft $n; done | tee "$rows"
"$exe" raft 5 | tee -a "$rows"
"$exe" raft 16 | tee -a "$rows"
# Multi-Paxos, once registered (under either name): the same workload.
for p in paxos multi-paxos; do "$exe" $p 5 2>/dev/null | tee -a "$rows"; done
if [ -n "${SVG:-}" ]; then
  awk -F'|' 'BEGIN { y = 30 }
    { name[NR] = $2 " n=" $3; gsub(/ +/, " ", name[NR]); v[NR] = $5 + 0; if (v[NR] > max) max = v[NR] }
    END {
      h = 30 + NR * 28
      printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n", h
      printf "<text x=\"10\" y=\"18\">messages per completed operation (bench/pbft.sh)</text>\n"
      for (i = 1; i <= NR; i++) {
        w = 400 * v[i] / max
        printf "<text x=\"10\" y=\"%d\">%s</text>", y + 14, name[i]
        printf "<rect x=\"130\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>", y, w, (name[i] ~ /pbft/) ? "#c0504d" : "#4f81bd"
        printf "<text x=\"%.1f\" y=\"%d\">%.1f</text>\n", 135 + w, y + 14, v[i]
        y += 28
      }
      print "</svg>"
    }' "$rows" > "$SVG"
fi
rm -f "$rows"
