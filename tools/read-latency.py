#!/usr/bin/env python3
# read-latency.py SCENARIO...: the latency of successful reads (invocation
# to completion, virtual time) over seeds 1..100 of each scenario: p50,
# p99 and max, in milliseconds.  The PACELC teaching scenarios are compared
# with it.  Run from the top folder after building (dsim at build/cli/dsim,
# or $DSIM).
import json, os, subprocess, sys, tempfile

dsim = os.environ.get("DSIM", "build/cli/dsim")
for scn in sys.argv[1:]:
    lat = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, 101):
            hist = os.path.join(tmp, "h%d.jsonl" % seed)
            subprocess.run([dsim, "run", scn, "--seed", str(seed), "--quiet", "--history", hist],
                           stdout=subprocess.DEVNULL, check=False)
            start = {}
            for line in open(hist):
                e = json.loads(line)
                if e["f"] != "read":
                    continue
                if e["type"] == "invoke":
                    start[e["process"]] = e["time"]
                elif e["type"] == "ok":
                    lat.append(e["time"] - start.pop(e["process"]))
    lat.sort()
    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] / 1000.0
    print("%s: %d reads, latency p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (scn, len(lat), q(0.50), q(0.99), lat[-1] / 1000.0))
