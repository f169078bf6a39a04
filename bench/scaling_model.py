#!/usr/bin/env python3
"""The scaling model of docs/scaling.md: predicted data-parallel efficiency of nnc's workloads
on 2-64 nodes over 10/25/100 Gb/s links, from the compute per step measured on one core.

    python3 bench/scaling_model.py                       # the figures measured for the doc
    python3 bench/scaling_model.py --w2-ms-128 1.9 --w2-ms-64 1.0 ...   # your own machine's

Model (per step of a global batch B on N ranks, one rank per node):

    compute(b)   = a + k*b                     fitted on two batch sizes measured on one rank
    ring(P, N)   = 2(N-1)*alpha + 2(N-1)/N * 4P / bw      the gradients, P values in f32
    small(N)     = ceil(log2 N) * alpha                   one allgather of a few values
    step(N)      = compute(B/N) + ring(P, N) + s * small(N)
    s            = 1 + 3 * (batch-norm layers)  (the losses; two forward and one backward sum each)

Strong scaling (the global batch B fixed, as `mpirun -np N nnc run` does):
    speedup(N) = step(1) / step(N), efficiency = speedup / N.
Weak scaling (a batch of b rows per rank, global batch N*b):
    efficiency(N) = compute(b) / step with compute(b).
Data parallelism pays on N ranks once compute(B) - compute(B/N) exceeds the exchanges:
    B > (ring + s*small) / (k * (1 - 1/N)).
"""

import argparse
import math

# Links: (name, bandwidth in bytes/s, one-message latency in seconds). Latencies are typical
# MPI small-message times: TCP over 10/25 GbE, RDMA (InfiniBand/RoCE) at 100 Gb/s.
LINKS = [
    ("10 Gb/s Ethernet", 10e9 / 8, 30e-6),
    ("25 Gb/s Ethernet", 25e9 / 8, 15e-6),
    ("100 Gb/s RDMA", 100e9 / 8, 2e-6),
]
NODES = [2, 4, 8, 16, 32, 64]


def ring(params, n, bw, alpha):
    """Seconds of a ring allreduce of `params` f32 values over `n` ranks."""
    if n < 2:
        return 0.0
    return 2 * (n - 1) * alpha + 2 * (n - 1) / n * 4 * params / bw


def small(n, alpha):
    """Seconds of one small sum (an allgather of a few values)."""
    return 0.0 if n < 2 else math.ceil(math.log2(n)) * alpha


def step(w, n, bw, alpha, rows):
    """Seconds of one step of `rows` global rows on `n` ranks."""
    compute = w["a"] + w["k"] * rows / n
    return compute + ring(w["params"], n, bw, alpha) + w["sums"] * small(n, alpha)


def workloads(args):
    """The workloads with a, k fitted from the two measured batch sizes (ms -> s)."""
    out = []
    for name, params, bn, b_hi, ms_hi, b_lo, ms_lo in [
        ("W2 mnist-mlp", 669_706, 0, 128, args.w2_ms_128, 64, args.w2_ms_64),
        ("W3 deep-bn", 323_850, 20, 64, args.w3_ms_64, 32, args.w3_ms_32),
    ]:
        k = (ms_hi - ms_lo) / (b_hi - b_lo) / 1e3
        a = ms_hi / 1e3 - k * b_hi
        out.append(
            dict(name=name, params=params, sums=1 + 3 * bn, batch=b_hi, a=max(a, 0.0), k=k)
        )
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # Defaults: medians measured by `nnc bench --harness trainer --threads 1` (docs/scaling.md).
    p.add_argument("--w2-ms-128", type=float, default=5.63)
    p.add_argument("--w2-ms-64", type=float, default=3.44)
    p.add_argument("--w3-ms-64", type=float, default=2.15)
    p.add_argument("--w3-ms-32", type=float, default=1.31)
    args = p.parse_args()
    for w in workloads(args):
        print(f"\n{w['name']}: {w['params']:,} parameters, {w['sums']} small sums per step, "
              f"compute {w['a'] * 1e3:.3f} ms + {w['k'] * 1e6:.2f} us/row on one core")
        print(f"  strong scaling, global batch {w['batch']}: efficiency (speedup) by nodes")
        print("  " + f"{'link':<18}" + "".join(f"{n:>14}" for n in NODES))
        for link, bw, alpha in LINKS:
            one = step(w, 1, bw, alpha, w["batch"])
            cells = []
            for n in NODES:
                t = step(w, n, bw, alpha, w["batch"])
                cells.append(f"{one / t / n:>8.0%} ({one / t:>3.1f})")
            print("  " + f"{link:<18}" + "".join(f"{c:>14}" for c in cells))
        print(f"  weak scaling, {w['batch']} rows per rank: efficiency by nodes")
        for link, bw, alpha in LINKS:
            base = w["a"] + w["k"] * w["batch"]
            cells = [
                base / (base + ring(w["params"], n, bw, alpha) + w["sums"] * small(n, alpha))
                for n in NODES
            ]
            print("  " + f"{link:<18}" + "".join(f"{c:>14.0%}" for c in cells))
        print("  global batch from which N ranks beat one (strong scaling pays)")
        for link, bw, alpha in LINKS:
            cells = []
            for n in NODES:
                exchange = ring(w["params"], n, bw, alpha) + w["sums"] * small(n, alpha)
                cells.append(f"{math.ceil(exchange / (w['k'] * (1 - 1 / n))):,}")
            print("  " + f"{link:<18}" + "".join(f"{c:>14}" for c in cells))


if __name__ == "__main__":
    main()
