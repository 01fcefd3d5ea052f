#!/usr/bin/env python3
# read-latency-by-level.py SCENARIO...: the latency of successful reads
# (invocation to completion, virtual time) over seeds 1..100 of each
# scenario, per consistency level ([workload] levels, quorum protocol):
# p50, p99 and max, in milliseconds.  The level of a read is taken from the
# trace label of its client's request ("Read k0 #1 QUORUM").  Run from the
# top folder after building (dsim at build/cli/dsim, or $DSIM).
import json, os, subprocess, sys, tempfile

dsim = os.environ.get("DSIM", "build/cli/dsim")
for scn in sys.argv[1:]:
    lat = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, 101):
            trace = os.path.join(tmp, "t%d.jsonl" % seed)
            subprocess.run([dsim, "run", scn, "--seed", str(seed), "--quiet", "--trace", trace],
                           stdout=subprocess.DEVNULL, check=False)
            start, level = {}, {}
            for line in open(trace):
                e = json.loads(line)
                c, kind, label = e.get("node"), e.get("kind"), e.get("label", "")
                if kind == "invoke":
                    start.pop(c, None)
                    level.pop(c, None)
                    if label.startswith("read "):
                        start[c] = e["time"]
                elif kind == "send" and c in start and c not in level:
                    level[c] = label.split()[-1] if label.startswith("Read ") else "?"
                elif kind == "complete" and c in start:
                    if ": ok" in label:
                        lat.setdefault(level.get(c, "?"), []).append(e["time"] - start[c])
                    start.pop(c)
    for name in sorted(lat, key=lambda k: ["ONE", "QUORUM", "ALL"].index(k)
                       if k in ("ONE", "QUORUM", "ALL") else 9):
        v = sorted(lat[name])
        def q(p):
            return v[min(len(v) - 1, int(p * len(v)))] / 1000.0
        print("%s: %s: %d reads, latency p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (scn, name, len(v), q(0.50), q(0.99), v[-1] / 1000.0))
