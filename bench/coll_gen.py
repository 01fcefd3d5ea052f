#!/usr/bin/env python3
"""bench/coll_gen.py: Jepsen-style EDN histories of Knossos's collection
models, from a real execution, for dsim check and Knossos side by side.

  bench/coll_gen.py MODEL OPS PROCESSES SEED [--mutate]

MODEL: set | unordered-queue | fifo-queue | multi-register.  Each operation
takes effect at its invocation or at its completion (a coin flip), so the
history is linearizable; a dequeue that finds the queue empty fails, as
Jepsen records it.  Values are unique (1, 2, 3, ...).  multi-register
starts with a txn that writes 0 to :x, :y and :z (Knossos's own tests start
the model at {:x 0 :y 0}; dsim's registers start nil).  --mutate changes
one result in the second half of the history (a read loses an element, a
dequeue returns another enqueued value, a txn read is off by one), which
usually, not always, breaks linearizability.
"""
import random
import re
import sys


def main():
    model, n_ops, n_proc, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    mutate = '--mutate' in sys.argv[5:]
    rng = random.Random(seed)
    items, queue = set(), []
    regs = {'x': 0, 'y': 0, 'z': 0}
    counter = [0]

    def apply(op):
        f = op['f']
        if f == 'add':
            items.add(op['v'])
        elif f == 'read':
            op['r'] = sorted(items)
        elif f == 'enqueue':
            queue.append(op['v'])
        elif f == 'dequeue':
            if not queue:
                op['fail'] = True
                return
            at = 0 if model == 'fifo-queue' else rng.randrange(len(queue))
            op['r'] = queue.pop(at)
        else:
            for m in op['m']:
                if m[0] == 'write':
                    regs[m[1]] = m[2]
                else:
                    m[2] = regs[m[1]]

    def new_op():
        counter[0] += 1
        v = counter[0]
        if model == 'set':
            return {'f': 'add' if rng.random() < 0.7 else 'read', 'v': v}
        if model.endswith('queue'):
            return {'f': 'enqueue' if rng.random() < 0.55 else 'dequeue', 'v': v}
        micro = [['write', rng.choice('xyz'), v] if rng.random() < 0.5
                 else ['read', rng.choice('xyz'), None] for _ in range(rng.randint(1, 3))]
        return {'f': 'txn', 'm': micro}

    def text(v):
        return 'nil' if v is None else str(v)

    def value(op, typ):
        f = op['f']
        if f in ('add', 'enqueue'):
            return text(op['v'])
        if f == 'read':
            return '#{' + ' '.join(map(str, op['r'])) + '}' if typ == 'ok' else 'nil'
        if f == 'dequeue':
            return text(op.get('r')) if typ == 'ok' else 'nil'
        return '[' + ' '.join('[:%s :%s %s]' % (m[0], m[1], text(m[2]) if typ == 'ok' or m[0] == 'write'
                                                 else 'nil') for m in op['m']) + ']'

    out = []
    if model == 'multi-register':
        init = '[[:write :x 0] [:write :y 0] [:write :z 0]]'
        out += ['{:process %d, :type :invoke, :f :txn, :value %s}' % (n_proc, init),
                '{:process %d, :type :ok, :f :txn, :value %s}' % (n_proc, init)]
    open_ops, started = {}, 0
    while started < n_ops or open_ops:
        p = rng.randrange(n_proc)
        if p in open_ops:
            op = open_ops.pop(p)
            if not op.get('applied'):
                apply(op)
            typ = 'fail' if op.get('fail') else 'ok'
            out.append('{:process %d, :type :%s, :f :%s, :value %s}' % (p, typ, op['f'], value(op, typ)))
        elif started < n_ops:
            op = new_op()
            started += 1
            out.append('{:process %d, :type :invoke, :f :%s, :value %s}'
                       % (p, op['f'], value(op, 'invoke')))
            open_ops[p] = op
            if rng.random() < 0.5:
                apply(op)
                op['applied'] = True
    if mutate:
        enqueued = [int(x) for x in re.findall(r':f :enqueue, :value (\d+)', '\n'.join(out))]
        picks = [i for i, line in enumerate(out) if ':type :ok' in line
                 and (':f :read' in line or ':f :dequeue' in line or '[:read :' in line)]
        if picks:
            i = rng.choice(picks[len(picks) // 2:])
            line = out[i]
            if ':f :read' in line:
                line = re.sub(r'#\{([^}]*)\}', lambda m: '#{' + ' '.join(m.group(1).split()[1:]) + '}', line)
            elif ':f :dequeue' in line:
                line = re.sub(r':value (\S+)\}', ':value %d}' % rng.choice(enqueued), line)
            else:
                line = re.sub(r'\[:read :(\w) (\d+)\]',
                              lambda m: '[:read :%s %d]' % (m.group(1), int(m.group(2)) + 1), line, count=1)
            out[i] = line
    print('[' + '\n '.join(out) + ']')


if __name__ == '__main__':
    main()
