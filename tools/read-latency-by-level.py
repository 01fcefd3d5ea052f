#!/usr/bin/env python3
# read-latency-by-level.py SCENARIO...: the latency of successful reads
# (invocation to completion, virtual time) over seeds 1..100 of each
# scenario, per consistency level ([workload] levels, quorum protocol):
# p50, p99 and max, in milliseconds.  The level of a read is taken from the
# trace label of its client's request ("Read k0 #1 QUORUM").  Run from the
# top folder after building (dsim at build/cli/dsim, or $DSIM).
#
# --svg FILE also draws each level's latency distribution (the share of
# reads answered within t milliseconds, one line per level) as an SVG chart.
import json, os, subprocess, sys, tempfile

ORDER = ["ONE", "QUORUM", "ALL"]
COLOURS = {"ONE": "#1b9e77", "QUORUM": "#d95f02", "ALL": "#7570b3"}


def level_key(k):
    return ORDER.index(k) if k in ORDER else 9


def draw_svg(path, title, lat):
    """One step line per level: x latency (ms), y share of reads done."""
    w, h, left, right, top, bottom = 640, 400, 60, 120, 40, 50
    xmax = max(max(v) for v in lat.values()) / 1000.0
    xmax = (int(xmax / 20) + 1) * 20
    def x(ms):
        return left + (w - left - right) * ms / xmax
    def y(share):
        return h - bottom - (h - top - bottom) * share
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="22" font-size="14">%s</text>' % (left, title)]
    for i in range(0, 11):
        share = i / 10.0
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                   % (left, y(share), w - right, y(share)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%d%%</text>'
                   % (left - 6, y(share) + 4, i * 10))
    for ms in range(0, xmax + 1, 20):
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                   % (x(ms), top, x(ms), h - bottom))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>'
                   % (x(ms), h - bottom + 16, ms))
    out.append('<text x="%d" y="%d" text-anchor="middle">read latency (ms, virtual time)</text>'
               % ((left + w - right) / 2, h - 12))
    out.append('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">'
               'reads answered</text>' % ((top + h - bottom) / 2, (top + h - bottom) / 2))
    for k, name in enumerate(sorted(lat, key=level_key)):
        v = sorted(lat[name])
        pts = ["%.1f,%.1f" % (x(0), y(0))]
        steps = min(len(v), 200)  # the distribution at 200 quantiles
        for i in range(steps):
            us = v[min(len(v) - 1, (i + 1) * len(v) // steps - 1)]
            pts.append("%.1f,%.1f" % (x(us / 1000.0), y(i / steps)))
            pts.append("%.1f,%.1f" % (x(us / 1000.0), y((i + 1) / steps)))
        colour = COLOURS.get(name, "#666")
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                   % (colour, " ".join(pts)))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>'
                   % (w - right + 12, top + 20 * k + 10, w - right + 32, top + 20 * k + 10, colour))
        out.append('<text x="%d" y="%d">%s</text>' % (w - right + 38, top + 20 * k + 14, name))
    out.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


args = sys.argv[1:]
svg = None
if len(args) >= 2 and args[0] == "--svg":
    svg, args = args[1], args[2:]
if not args:
    sys.exit("usage: read-latency-by-level.py [--svg FILE] SCENARIO...")
dsim = os.environ.get("DSIM", "build/cli/dsim")
for scn in args:
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
    for name in sorted(lat, key=level_key):
        v = sorted(lat[name])
        def q(p):
            return v[min(len(v) - 1, int(p * len(v)))] / 1000.0
        print("%s: %s: %d reads, latency p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (scn, name, len(v), q(0.50), q(0.99), v[-1] / 1000.0))
    if svg is not None and lat:
        draw_svg(svg, "Read latency by consistency level: %s, seeds 1..100"
                 % os.path.basename(scn), lat)
