#!/usr/bin/env python3
"""Writes a synthetic dsim trace (sim/trace.h) with N messages to stdout.

5 nodes and 2 clients; every message takes 1 to 5 ms; about 2% are lost
(at the sender), 1% are delivered twice; a partition, a crash and a restart
happen on the way.  A fixed-seed LCG makes it the same trace every time.
"""
import json
import sys

n_msgs = int(sys.argv[1])
nodes = ["n1", "n2", "n3", "n4", "n5"]
clients = ["c1", "c2"]
eps = nodes + clients
state = 12345


def rnd(k):
    global state
    state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    return (state >> 33) % k


out = [json.dumps({"kind": "meta", "protocol": "synthetic", "seed": 1,
                   "nodes": nodes, "clients": clients}, separators=(",", ":"))]
events = []  # (time, order, dict)
seq = 0


def ev(t, d):
    global seq
    events.append((t, seq, d))
    seq += 1


t = 0
mid = 0
for i in range(n_msgs):
    t += 200 + rnd(800)
    a = eps[rnd(len(eps))]
    b = eps[rnd(len(eps))]
    while b == a:
        b = eps[rnd(len(eps))]
    mid += 1
    label = "AppendEntries(t=%d, idx=%d)" % (i // 50 + 1, i)
    ev(t, {"time": t, "node": a, "kind": "send", "msg": mid, "peer": b, "label": label})
    r = rnd(100)
    arrive = t + 1000 + rnd(4000)
    if r < 2:
        ev(t, {"time": t, "node": a, "kind": "drop", "msg": mid, "peer": b,
               "reason": "loss", "label": label})
        continue
    ev(arrive, {"time": arrive, "node": b, "kind": "recv", "msg": mid, "peer": a, "label": label})
    if r < 3:
        orig = mid
        mid += 1
        ev(t, {"time": t, "node": a, "kind": "dup", "msg": mid, "dup_of": orig, "peer": b,
               "label": label})
        ev(arrive + 700, {"time": arrive + 700, "node": b, "kind": "recv", "msg": mid,
                          "peer": a, "label": label})
end = t
ev(end // 3, {"time": end // 3, "kind": "partition", "label": "n1 n2 | n3 n4 n5"})
ev(end // 2, {"time": end // 2, "kind": "heal"})
ev(end // 4, {"time": end // 4, "node": "n3", "kind": "crash"})
ev(end // 4 + 20000, {"time": end // 4 + 20000, "node": "n3", "kind": "restart"})
events.sort(key=lambda e: (e[0], e[1]))
# a crashed node neither sends nor receives: keep the trace consistent by
# leaving the crash span empty of n3's own events is not needed for drawing.
for _, _, d in events:
    out.append(json.dumps(d, separators=(",", ":")))
sys.stdout.write("\n".join(out) + "\n")
