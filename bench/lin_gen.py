#!/usr/bin/env python3
"""bench/lin_gen.py: generated histories for the linearizability benchmark
(bench/lin.sh), written in Porcupine's two log formats so that dsim and
Porcupine read the same files.

Every history comes from a simulated run: clients invoke operations on a
true object (an etcd-style cas register, or a kv store with get, put and
append), each operation takes effect at one instant between its invocation
and its completion, and the log records invocations and completions in
real time order.  The knobs of a family decide the shape: clients, how
often an idle client starts an operation (the concurrency), the mix of
reads, writes and cas, timed-out writes and cas (:info, outcome unknown,
which may take effect later or never), reads that time out, crashed kv
clients whose put or append never completes, and injected anomalies (a
read or get altered after the run, usually making the history
non-linearizable).  Deterministic: the same seed writes the same files.

    bench/lin_gen.py OUTDIR [--scale small|full] [--seed N]

writes OUTDIR/<family>/<family>-<k>.log and prints one line per file
(family, file, operations)."""

import argparse
import os
import random


class Op:
    __slots__ = ("proc", "f", "arg", "key", "done", "out", "ok", "timeout")

    def __init__(self, proc, f, arg, key=None):
        self.proc, self.f, self.arg, self.key = proc, f, arg, key
        self.done = False     # took effect
        self.out = None
        self.ok = True
        self.timeout = False


def pick_weighted(rng, weights):
    total = sum(w for _, w in weights)
    x = rng.random() * total
    for item, w in weights:
        x -= w
        if x < 0:
            return item
    return weights[-1][0]


class Run:
    """One simulated run.  `start_rate` is the rate at which an idle client
    starts an operation relative to the rate at which a pending operation
    advances (takes effect, then completes): small is lightly concurrent."""

    def __init__(self, rng, n_clients, n_ops, start_rate, seq_runs=False):
        self.rng = rng
        self.n_clients = n_clients
        self.n_ops = n_ops
        self.start_rate = start_rate
        self.seq_runs = seq_runs
        self.lines = []
        self.next_proc = n_clients

    def simulate(self, new_op, take_effect, complete):
        rng = self.rng
        idle = list(range(self.n_clients))
        pending = []        # ops invoked, not completed
        ghosts = []         # timed out without effect: may take effect later
        started = 0
        rate = self.start_rate
        while started < self.n_ops or pending:
            if self.seq_runs and rng.random() < 0.002:
                rate = 0.02 if rate > 0.1 else 1.0
            w_start = rate * len(idle) if started < self.n_ops else 0.0
            total = w_start + len(pending) + (0.05 * len(ghosts))
            x = rng.random() * total
            if x < w_start:
                c = idle.pop(rng.randrange(len(idle)))
                op = new_op(c)
                started += 1
                pending.append(op)
                self.lines.append(("invoke", op))
            elif x < w_start + len(pending):
                k = rng.randrange(len(pending))
                op = pending[k]
                if not op.done and rng.random() < 0.8:
                    take_effect(op)
                    op.done = True
                    continue
                pending[k] = pending[-1]
                pending.pop()
                kind = complete(op)
                self.lines.append((kind, op))
                if kind == "info":
                    # A crashed client comes back under a new process id.
                    idle.append(self.next_proc)
                    self.next_proc += 1
                    if not op.done:
                        ghosts.append(op)
                elif kind == "crash":
                    self.lines.pop()
                    idle.append(self.next_proc)
                    self.next_proc += 1
                    if not op.done:
                        ghosts.append(op)
                else:
                    idle.append(op.proc)
            else:
                op = ghosts.pop(rng.randrange(len(ghosts)))
                if rng.random() < 0.5:
                    take_effect(op)
                op.done = True


def gen_register(rng, n_ops, n_clients, start_rate, mix, n_values=5, p_timeout=0.05,
                 p_read_timeout=0.0, anomalies=0, seq_runs=False):
    """An etcd-style cas register log (Porcupine's jepsen format)."""
    run = Run(rng, n_clients, n_ops, start_rate, seq_runs)
    state = [None]
    pr, pw, pc = mix

    def new_op(proc):
        f = pick_weighted(rng, [("read", pr), ("write", pw), ("cas", pc)])
        if f == "read":
            return Op(proc, f, None)
        if f == "write":
            return Op(proc, f, rng.randrange(n_values))
        return Op(proc, f, (rng.randrange(n_values), rng.randrange(n_values)))

    def take_effect(op):
        if op.f == "read":
            op.out = state[0]
        elif op.f == "write":
            state[0] = op.arg
        else:
            op.ok = state[0] == op.arg[0]
            if op.ok:
                state[0] = op.arg[1]

    def complete(op):
        if op.f in ("write", "cas") and rng.random() < p_timeout:
            op.timeout = True
            return "info"
        if op.f == "read" and rng.random() < p_read_timeout:
            return "read-timeout"
        if not op.done:
            take_effect(op)
            op.done = True
        if op.f == "cas" and not op.ok:
            return "fail"
        return "ok"

    run.simulate(new_op, take_effect, complete)
    reads = [k for k, (kind, op) in enumerate(run.lines) if kind == "ok" and op.f == "read"]
    for _ in range(anomalies):
        if not reads:
            break
        k = rng.choice(reads)
        kind, op = run.lines[k]
        old = op.out
        op2 = Op(op.proc, "read", None)
        op2.out = rng.choice([v for v in list(range(n_values)) + [None] if v != old])
        run.lines[k] = ("ok", op2)

    out = []
    for kind, op in run.lines:
        p = "INFO  jepsen.util - %d\t" % op.proc
        if op.f == "read":
            if kind == "invoke":
                out.append(p + ":invoke\t:read\tnil")
            elif kind == "read-timeout":
                out.append(p + ":fail\t:read\t:timed-out")
            else:
                out.append(p + ":ok\t:read\t%s" % ("nil" if op.out is None else op.out))
        elif op.f == "write":
            if kind == "info":
                out.append(p + ":info\t:write\t:timed-out")
            else:
                out.append(p + ":%s\t:write\t%d" % (kind, op.arg))
        else:
            if kind == "info":
                out.append(p + ":info\t:cas\t:timed-out")
            else:
                out.append(p + ":%s\t:cas\t[%d %d]" % (kind, op.arg[0], op.arg[1]))
    return out


def gen_kv(rng, n_ops, n_clients, start_rate, mix, n_keys, p_crash=0.0, anomalies=0,
           max_len=600, seq_runs=False):
    """A kv log (Porcupine's kv format): get, put, append on string values."""
    run = Run(rng, n_clients, n_ops, start_rate, seq_runs)
    store = {}
    count = [0]
    pg, pp, pa = mix

    def new_op(proc):
        key = str(rng.randrange(n_keys))
        f = pick_weighted(rng, [("get", pg), ("put", pp), ("append", pa)])
        if f == "append" and len(store.get(key, "")) > max_len:
            f = "put"
        count[0] += 1
        return Op(proc, f, None if f == "get" else "x %d %d y" % (proc, count[0]), key)

    def take_effect(op):
        if op.f == "get":
            op.out = store.get(op.key, "")
        elif op.f == "put":
            store[op.key] = op.arg
        else:
            store[op.key] = store.get(op.key, "") + op.arg

    def complete(op):
        if op.f != "get" and rng.random() < p_crash:
            op.timeout = True
            return "crash"
        if not op.done:
            take_effect(op)
            op.done = True
        return "ok"

    run.simulate(new_op, take_effect, complete)
    gets = [k for k, (kind, op) in enumerate(run.lines) if kind == "ok" and op.f == "get"]
    for _ in range(anomalies):
        if not gets:
            break
        k = rng.choice(gets)
        kind, op = run.lines[k]
        op2 = Op(op.proc, "get", None, op.key)
        v = op.out or ""
        # a lost append, a stale value, or a value never written
        choice = rng.randrange(3)
        if choice == 0 and " y" in v[:-2]:
            op2.out = v[: v.rfind("x ", 0, len(v) - 1)]
        elif choice == 1:
            op2.out = ""
        else:
            op2.out = v + "x 999 %d y" % k
        run.lines[k] = ("ok", op2)

    out = []
    for kind, op in run.lines:
        if kind == "invoke":
            val = "nil" if op.f == "get" else '"%s"' % op.arg
        else:
            val = '"%s"' % (op.out if op.f == "get" else op.arg)
        out.append('{:process %d, :type :%s, :f :%s, :key "%s", :value %s}'
                   % (op.proc, kind, op.f, op.key, val))
    return out


def sizes(rng, lo, hi):
    """A size spread log-uniformly over [lo, hi]."""
    import math
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


# family -> (count small, count full, generator of one history from rng and k)
def families():
    R = gen_register
    K = gen_kv
    return {
        # etcd-style cas register, the mix of Jepsen's etcd test
        "reg-mixed": (8, 30, lambda r, k: R(r, sizes(r, 50, 5000), r.randint(3, 30),
                                            r.uniform(0.05, 1.0), (0.4, 0.3, 0.3))),
        "reg-read-heavy": (5, 15, lambda r, k: R(r, sizes(r, 50, 5000), r.randint(3, 30),
                                                 r.uniform(0.05, 1.0), (0.85, 0.1, 0.05))),
        "reg-write-heavy": (5, 15, lambda r, k: R(r, sizes(r, 50, 3000), r.randint(3, 20),
                                                  r.uniform(0.05, 0.6), (0.15, 0.6, 0.25))),
        "reg-unknown": (5, 15, lambda r, k: R(r, sizes(r, 50, 2000), r.randint(3, 12),
                                              r.uniform(0.05, 0.5), (0.4, 0.3, 0.3),
                                              p_timeout=0.3, p_read_timeout=0.1)),
        "reg-anomaly": (5, 15, lambda r, k: R(r, sizes(r, 50, 5000), r.randint(3, 30),
                                              r.uniform(0.05, 1.0), (0.5, 0.25, 0.25),
                                              anomalies=r.randint(1, 3))),
        "reg-sequential": (4, 10, lambda r, k: R(r, sizes(r, 500, 5000), r.randint(3, 30),
                                                 0.02, (0.4, 0.3, 0.3), seq_runs=True)),
        "reg-many-values": (4, 10, lambda r, k: R(r, sizes(r, 50, 3000), r.randint(3, 30),
                                                  r.uniform(0.05, 1.0), (0.4, 0.3, 0.3),
                                                  n_values=100)),
        # kv logs (Porcupine's kv format)
        "kv-few-keys": (6, 20, lambda r, k: K(r, sizes(r, 50, 3000), r.randint(3, 30),
                                              r.uniform(0.05, 1.0), (0.45, 0.1, 0.45),
                                              r.randint(1, 3))),
        "kv-many-keys": (5, 15, lambda r, k: K(r, sizes(r, 200, 5000), r.randint(3, 30),
                                               r.uniform(0.05, 1.0), (0.45, 0.1, 0.45),
                                               r.randint(10, 100))),
        "kv-read-heavy": (4, 10, lambda r, k: K(r, sizes(r, 50, 5000), r.randint(3, 30),
                                                r.uniform(0.05, 1.0), (0.85, 0.05, 0.1),
                                                r.randint(1, 20))),
        # read-heavy keys under many clients: long runs of gets between
        # puts, each state's lookahead over many pending gets
        "kv-read-many-clients": (4, 12, lambda r, k: K(r, sizes(r, 200, 5000), r.randint(30, 80),
                                                       r.uniform(0.05, 0.6), (0.9, 0.03, 0.07),
                                                       r.randint(1, 4))),
        "kv-write-heavy": (4, 10, lambda r, k: K(r, sizes(r, 50, 3000), r.randint(3, 30),
                                                 r.uniform(0.05, 1.0), (0.15, 0.25, 0.6),
                                                 r.randint(1, 20))),
        "kv-crash": (5, 15, lambda r, k: K(r, sizes(r, 50, 3000), r.randint(3, 30),
                                           r.uniform(0.05, 1.0), (0.45, 0.15, 0.4),
                                           r.randint(1, 10), p_crash=0.08)),
        "kv-anomaly": (5, 15, lambda r, k: K(r, sizes(r, 50, 3000), r.randint(3, 30),
                                             r.uniform(0.05, 1.0), (0.45, 0.1, 0.45),
                                             r.randint(1, 10), anomalies=r.randint(1, 3))),
        "kv-sequential": (3, 8, lambda r, k: K(r, sizes(r, 500, 5000), r.randint(3, 30), 0.02,
                                               (0.45, 0.1, 0.45), r.randint(1, 10),
                                               seq_runs=True)),
        # long lightly concurrent single-register histories, 10 clients
        "reg-long": (3, 6, lambda r, k: R(r, [1000, 5000, 20000, 50000, 100000, 200000][k],
                                          10, 0.05, (0.4, 0.3, 0.3), p_timeout=0.01)),
        # high concurrency: 1,000 operations, 50 and 200 clients
        "reg-high-conc": (2, 4, lambda r, k: R(r, 1000, [50, 200][k % 2], 1.0,
                                               (0.4, 0.3, 0.3), p_timeout=0.02)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--scale", choices=["small", "full"], default="full")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--family", action="append", help="only these families")
    args = ap.parse_args()
    for name, (n_small, n_full, gen) in families().items():
        if args.family and name not in args.family:
            continue
        n = n_small if args.scale == "small" else n_full
        os.makedirs(os.path.join(args.outdir, name), exist_ok=True)
        for k in range(n):
            rng = random.Random("%s/%d/%d" % (name, args.seed, k))
            lines = gen(rng, k)
            path = os.path.join(args.outdir, name, "%s-%02d.log" % (name, k))
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            print("%s\t%s\t%d" % (name, path, sum(1 for l in lines if ":invoke" in l)))


if __name__ == "__main__":
    main()
