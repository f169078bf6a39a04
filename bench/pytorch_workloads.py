#!/usr/bin/env python3
"""PyTorch (eager, CPU) on nnc's benchmark workloads W1-W3 (issue 9, DESIGN.md section 8).

The same shapes, data sizes, batch order (a fresh permutation every epoch), loss, penalty and
optimiser as `crates/bench` (`cargo bench -p nnc-bench --bench workloads`), and the same
method: untimed warm-up steps, then REPEATS timed windows of STEPS steps; the median, min and
max milliseconds per step over the windows; peak RSS as VmHWM after resetting it
(/proc/self/clear_refs) once the data and model are built.

    python3 bench/pytorch_workloads.py [--workload w1,w2,w3] [--threads 1,2] [--repeats 5]
                                       [--steps N] [--warmup N] [--json]

Each (workload, threads) pair runs in its own process (torch's thread count is fixed per
process, and the RSS figure is then that benchmark's alone).

A step is what a PyTorch training loop does and what nnc's step harness does:
    zero_grad; forward; cross-entropy (+ 0.5 * 1e-3 * sum ||W||^2 for W1); backward;
    optimiser step; loss.item().
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

DEFAULT_STEPS = {"w1": 1000, "w2": 200, "w3": 300}


def peak_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def build(workload, torch):
    nn = torch.nn
    g = torch.Generator().manual_seed(0)
    if workload == "w1":
        # CS231n spiral: 3 arms of 100 points, noise 0.2.
        n, k = 100, 3
        xs, ys = [], []
        for j in range(k):
            r = torch.linspace(0.0, 1.0, n)
            t = torch.linspace(4.0 * j, 4.0 * (j + 1), n) + 0.2 * torch.randn(n, generator=g)
            xs.append(torch.stack([r * torch.sin(t), r * torch.cos(t)], dim=1))
            ys.append(torch.full((n,), j, dtype=torch.long))
        x, y = torch.cat(xs), torch.cat(ys)
        model = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))
        for m in model:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.01, generator=g)
                nn.init.zeros_(m.bias)
        opt = torch.optim.SGD(model.parameters(), lr=1.0)
        batch, l2 = 300, 1e-3
    elif workload == "w2":
        x = torch.randn(1024, 784, generator=g)
        y = torch.randint(0, 10, (1024,), generator=g)
        model = nn.Sequential(
            nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
        )
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        batch, l2 = 128, 0.0
    elif workload == "w3":
        x = torch.randn(640, 32, generator=g)
        y = torch.randint(0, 10, (640,), generator=g)
        layers, width = [], 32
        for _ in range(20):
            layers += [nn.Linear(width, 128), nn.BatchNorm1d(128), nn.ReLU()]
            width = 128
        layers.append(nn.Linear(128, 10))
        model = nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        batch, l2 = 64, 0.0
    else:
        raise SystemExit(f"unknown workload {workload}")
    model.train()
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    return x, y, model, opt, batch, l2, weights


def run_one(workload, threads, steps, warmup, repeats):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y, model, opt, batch, l2, weights = build(workload, torch)
    n = x.shape[0]
    per_epoch = math.ceil(n / batch)
    total = warmup + steps * repeats

    def batches():
        while True:
            perm = torch.randperm(n)
            for b in range(per_epoch):
                idx = perm[b * batch:(b + 1) * batch]
                yield x[idx], y[idx]

    reset_peak_rss()
    marks = []
    loss_value = float("nan")
    it = batches()
    for step in range(total + 1):
        if step >= warmup and (step - warmup) % steps == 0:
            marks.append(time.perf_counter())
        if step == total:
            break
        xb, yb = next(it)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        if l2 > 0:
            loss = loss + 0.5 * l2 * sum((w * w).sum() for w in weights)
        loss.backward()
        opt.step()
        loss_value = loss.item()
    per_step = sorted((b - a) * 1e3 / steps for a, b in zip(marks, marks[1:]))
    median = per_step[len(per_step) // 2]
    return {
        "workload": workload,
        "harness": "pytorch",
        "threads": threads,
        "steps": steps,
        "warmup": warmup,
        "repeats": repeats,
        "median_ms": median,
        "min_ms": per_step[0],
        "max_ms": per_step[-1],
        "steps_per_s": 1e3 / median,
        "peak_rss_kib": peak_rss_kib(),
        "allocs_per_step": None,
        "final_loss": loss_value,
        "torch": torch.__version__,
    }


def row(r):
    rss = "-" if r["peak_rss_kib"] is None else f"{r['peak_rss_kib'] / 1024:.1f}"
    return (
        f"{r['workload']:<8} {r['harness']:<7} {r['threads']:>3} {r['median_ms']:>11.4f} "
        f"{r['min_ms']:>8.4f} {r['max_ms']:>8.4f} {r['steps_per_s']:>10.1f} {rss:>13} "
        f"{'-':>12}"
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workload", default="w1,w2,w3")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--steps", type=int)
    p.add_argument("--warmup", type=int)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    workloads = a.workload.split(",")
    threads = [int(t) for t in a.threads.split(",")]
    if a.single:
        w, t = workloads[0], threads[0]
        steps = a.steps or DEFAULT_STEPS[w]
        warmup = a.warmup if a.warmup is not None else max(steps // 10, 3)
        print(json.dumps(run_one(w, t, steps, warmup, a.repeats)))
        return
    if not a.json:
        print("workload harness thr   median ms      min      max    steps/s  peak RSS MiB  allocs/step")
    for w in workloads:
        for t in threads:
            cmd = [sys.executable, os.path.abspath(__file__), "--single", "--workload", w,
                   "--threads", str(t), "--repeats", str(a.repeats)]
            if a.steps:
                cmd += ["--steps", str(a.steps)]
            if a.warmup is not None:
                cmd += ["--warmup", str(a.warmup)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(json.dumps(r) if a.json else row(r), flush=True)


if __name__ == "__main__":
    main()
