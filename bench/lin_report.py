#!/usr/bin/env python3
"""bench/lin_report.py: the tables of bench/lin.sh from Porcupine's TSV and
dsim's JSON Lines.

    bench/lin_report.py PORCUPINE.tsv DSIM.jsonl [WORST]"""
import json, statistics, sys
por = {}
for line in open(sys.argv[1]):
    f = line.rstrip('\n').split('\t')
    if f[0] != 'total':
        por[f[0]] = (f[1], max(int(f[2]), 1), int(f[3]))
ds = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if 'file' in o:
        v = {'ok': 'ok', 'violation': 'illegal'}.get(o['verdict'], o['verdict'])
        ds[o['file']] = (v, max(o.get('check_cpu_us', o.get('check_us', 0.0)), 1.0), o.get('states', 0))
rows = []
for f in sorted(set(por) | set(ds)):
    pv, pt, n = por.get(f, ('missing', 1, 0))
    dv, dt, st = ds.get(f, ('missing', 1.0, 0))
    rows.append((f.split('/')[0], f, n, pv, pt, dv, dt, st))

def summary(name, rs):
    both = [r for r in rs if r[3] != 'unknown' and r[5] != 'unknown']
    agree = sum(r[3] == r[5] for r in both)
    only_d = sum(r[3] == 'unknown' and r[5] != 'unknown' for r in rs)
    only_p = sum(r[5] == 'unknown' and r[3] != 'unknown' for r in rs)
    ratios = [r[4] / r[6] for r in both]
    tp = sum(r[4] for r in both) / 1e3
    td = sum(r[6] for r in both) / 1e3
    slower = sum(x < 1 for x in ratios)
    print('%-16s %5d %5d/%-5d %6d %6d %11.1f %11.1f %7.2f %7.2f %7.2f %6d' % (
        name, len(rs), agree, len(both), only_d, only_p, tp, td, tp / td if td else 0,
        statistics.median(ratios) if ratios else 0, min(ratios) if ratios else 0, slower))
    return agree == len(both)

print('%-16s %5s %11s %6s %6s %11s %11s %7s %7s %7s %6s' % (
    'family', 'files', 'agree/both', 'dsim+', 'porc+', 'porc_ms', 'dsim_ms', 'total',
    'median', 'worst', 'slower'))
ok = True
for fam in sorted(set(r[0] for r in rows)):
    ok &= summary(fam, [r for r in rows if r[0] == fam])
print()
ok &= summary('overall', rows)
print('\n(agree/both: same verdict among files both decided; dsim+/porc+: decided by that tool')
print(' only; total: ratio of summed times; median/worst: per-file Porcupine/dsim; slower:')
print(' files where dsim took longer)\n')
both = [r for r in rows if r[3] != 'unknown' and r[5] != 'unknown']
both.sort(key=lambda r: r[4] / r[6])
print('worst files (Porcupine time / dsim time):')
print('%-40s %7s %10s %10s %7s %-8s %-8s %9s' % ('file', 'ops', 'porc_us', 'dsim_us', 'ratio',
      'porc', 'dsim', 'states'))
for r in both[:int(sys.argv[3]) if len(sys.argv) > 3 else 15]:
    print('%-40s %7d %10d %10.0f %7.2f %-8s %-8s %9d' % (r[1], r[2], r[4], r[6], r[4] / r[6],
          r[3], r[5], r[7]))
undecided = [r for r in rows if (r[3] == 'unknown') != (r[5] == 'unknown') or r[3] == r[5] == 'unknown']
if undecided:
    print('\nnot decided by both within the timeout:')
    for r in undecided:
        print('%-40s %7d porcupine %-8s %10d us  dsim %-8s %10.0f us' % (r[1], r[2], r[3], r[4],
              r[5], r[6]))
bad = [r for r in both if r[3] != r[5]]
for r in bad:
    print('DISAGREE: %s porcupine %s dsim %s' % (r[1], r[3], r[5]))
sys.exit(0 if ok else 1)
