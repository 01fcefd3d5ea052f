#!/usr/bin/env python3
# cap-availability.py SCENARIO: over seeds 1..100, how many operations the
# clients c1 and c2 (the minority side of the teaching CAP scenarios, which
# partition n1 n2 c1 c2 from the rest between 0.5s and 2.5s) invoked during
# the partition, and how many of them succeeded.  A client that times out
# continues as a new process (Jepsen's convention): process p belongs to
# client p % 4 + 1.  Run from the top folder after building (dsim at
# build/cli/dsim, or $DSIM).
import json, os, subprocess, sys, tempfile
scn = sys.argv[1]
dsim = os.environ.get("DSIM", "build/cli/dsim")
top = tempfile.TemporaryDirectory(prefix="dsim-cap-")
inv = ok = 0
for s in range(1, 101):
    d = f"{top.name}/{s}"
    subprocess.run([dsim, "run", scn, "--seed", str(s), "--quiet", "--out", d], stdout=subprocess.DEVNULL)
    open_ = {}
    for line in open(d + "/history.jsonl"):
        e = json.loads(line)
        if e["process"] % 4 not in (0, 1): continue
        if e["type"] == "invoke":
            open_[e["process"]] = e["time"]
        else:
            t = open_.pop(e["process"])
            if 500000 <= t < 2500000:
                inv += 1; ok += e["type"] == "ok"
    for p, t in open_.items():
        if 500000 <= t < 2500000: inv += 1
print(f"{scn}: minority clients during the partition: {ok} of {inv} operations ok ({100*ok/inv:.1f}%)")
