#!/usr/bin/env python3
"""huge_gen.py: writes a large linearizable history for bench/huge.sh.

usage: huge_gen.py KIND N [--clients C] [--stale] [--format etcd|jsonl|edn] [--seed S]

KIND is register, cas or kv; N the number of operations.  C clients (50)
run one operation at a time; each operation takes effect at its completion,
so the history is linearizable.  Register and cas writes are unique values;
a cas expects the current value 70% of the time (ok) and another value
otherwise (a failed cas: in etcd logs `:fail :cas`, a cas that compared
unequal).  kv uses put/get on 8 keys with string values.  --stale turns one
read near the end (after 99% of the operations) into a stale read: it
returns a value overwritten by a write that completed before the read was
invoked, the replacing write having begun after the value's write had
completed, so the history is not linearizable.

The output is Porcupine's etcd log format by default (both dsim and
Porcupine read it; kv histories use Porcupine's kv log format).
"""
import random
import sys


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    kind, n = args[0], int(float(args[1]))
    clients, stale, fmt, seed = 50, False, None, 1
    i = 2
    while i < len(args):
        a = args[i]
        if a == '--clients':
            clients = int(args[i + 1]); i += 2
        elif a == '--stale':
            stale = True; i += 1
        elif a == '--format':
            fmt = args[i + 1]; i += 2
        elif a == '--seed':
            seed = int(args[i + 1]); i += 2
        else:
            sys.exit('huge_gen.py: unknown argument %s' % a)
    if kind not in ('register', 'cas', 'kv'):
        sys.exit('huge_gen.py: KIND is register, cas or kv')
    if fmt is None:
        fmt = 'kvlog' if kind == 'kv' else 'etcd'
    rnd = random.Random(seed)
    out = sys.stdout
    buf = []

    def emit(p, typ, f, val, key=None):
        if fmt == 'etcd':
            v = 'nil' if val is None else (('[%d %d]' % val) if isinstance(val, tuple) else str(val))
            buf.append('INFO  jepsen.util - %d\t:%s\t:%s\t%s\n' % (p, typ, f, v))
        elif fmt == 'kvlog':
            v = 'nil' if val is None else '"%s"' % val
            buf.append('{:process %d, :type :%s, :f :%s, :key "%s", :value %s}\n' % (p, typ, f, key, v))
        elif fmt == 'jsonl':
            v = 'null' if val is None else (('[%d,%d]' % val) if isinstance(val, tuple)
                                          else ('"%s"' % val if isinstance(val, str) else str(val)))
            k = '' if key is None else ',"key":"%s"' % key
            buf.append('{"process":%d,"type":"%s","f":"%s"%s,"value":%s}\n' % (p, typ, f, k, v))
        elif fmt == 'edn':
            v = 'nil' if val is None else (('[%d %d]' % val) if isinstance(val, tuple)
                                         else ('"%s"' % val if isinstance(val, str) else str(val)))
            k = '' if key is None else ' :key "%s"' % key
            buf.append('{:process %d :type :%s :f :%s%s :value %s}\n' % (p, typ, f, k, v))
        if len(buf) >= 4096:
            out.write(''.join(buf))
            buf.clear()

    keys = ['k%d' % k for k in range(8)] if kind == 'kv' else [None]
    state = {k: None for k in keys}
    # per key: (value, event at which a later write certainly replaced it) history
    overwritten = {k: [] for k in keys}
    pending = {}           # client -> (f, key, arg, event number of the invocation)
    events = 0
    written_at = {k: -1 for k in keys}  # completion event of the current value's write

    def replaced_at(key, invoked):
        # The event that certainly replaced the current value: this write's
        # completion, if it was invoked after the value's write completed
        # (so every linearization puts it later); else None.
        return events if written_at[key] < invoked else None
    idle = list(range(clients))
    next_val = 1
    done = 0
    stale_at = n - max(1, n // 100) if stale else -1
    stale_done = False
    started = 0
    while done < n:
        # invoke on a random idle client, or complete a random pending one
        if idle and started < n and (not pending or rnd.random() < 0.5):
            c = idle.pop(rnd.randrange(len(idle)))
            key = rnd.choice(keys)
            r = rnd.random()
            if r < 0.5:
                f, arg = 'read', None
            elif kind == 'cas' and r < 0.75:
                cur = state[key]
                exp = cur if (cur is not None and rnd.random() < 0.7) else rnd.randrange(1, next_val + 1)
                f, arg = 'cas', (exp, next_val)
                next_val += 1
            else:
                f, arg = ('put' if kind == 'kv' else 'write'), next_val
                next_val += 1
            pending[c] = (f, key, arg, events)
            started += 1
            fname = 'get' if (kind == 'kv' and f == 'read') else f
            sval = ('v%d' % arg) if (kind == 'kv' and arg is not None) else arg
            emit(c, 'invoke', fname, sval, key)
            events += 1
        else:
            c = rnd.choice(list(pending.keys()))
            f, key, arg, invoked = pending.pop(c)
            idle.append(c)
            done += 1
            typ, val = 'ok', arg
            if f == 'read':
                val = state[key]
                if not stale_done and done >= stale_at and stale_at >= 0:
                    # the latest value overwritten by a write that completed
                    # before this read was invoked (values are unique, so
                    # it never comes back)
                    for old, replaced in reversed(overwritten[key]):
                        if replaced is not None and replaced < invoked:
                            val = old
                            stale_done = True
                            break
            elif f == 'cas':
                if state[key] == arg[0]:
                    overwritten[key].append((state[key], replaced_at(key, invoked)))
                    written_at[key] = events
                    state[key] = arg[1]
                else:
                    typ = 'fail'
            else:
                overwritten[key].append((state[key], replaced_at(key, invoked)))
                written_at[key] = events
                state[key] = arg
            fname = 'get' if (kind == 'kv' and f == 'read') else f
            if kind == 'kv' and val is not None and f == 'read':
                val = 'v%d' % val
            elif kind == 'kv' and f == 'put':
                val = 'v%d' % arg
            emit(c, typ, fname, val, key)
            events += 1
    out.write(''.join(buf))
    if stale and not stale_done:
        sys.exit('huge_gen.py: no read near the end could be made stale')


if __name__ == '__main__':
    main()
