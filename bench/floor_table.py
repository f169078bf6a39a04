#!/usr/bin/env python3
"""The workloads against their products' floor, before and after a change, in one run.

Runs `nnc bench models/bench/wN.nn --compare-floor --format json` with each given `nnc`
binary (interleaved, ROUNDS rounds, each process only once both cores have been idle), and
optionally PyTorch through bench/pytorch_workloads.py, then prints a Markdown table: median
ms/step (best round), the step over the floor, and the ratio to PyTorch. The floor is the one
measured by the first binary that reports it (`--compare-floor` is newer than some binaries),
from the same round, so every ratio in a row shares one product rate.

    python3 bench/floor_table.py --nnc before=/path/to/old/nnc --nnc now=target/release/nnc \
        [--rounds 3] [--repeats 9] [--pytorch] [--cases w1:1,w2:2,w2:1,w3:1]
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_idle_fraction(seconds=1.0):
    """The fraction of the machine's CPU time that was idle over `seconds`."""
    def read():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)
    i0, t0 = read()
    time.sleep(seconds)
    i1, t1 = read()
    return (i1 - i0) / max(1, t1 - t0)


def wait_until_idle(threshold=0.92, needed=3, limit=120):
    """Waits until the machine has been idle for `needed` consecutive seconds (or `limit`)."""
    start, quiet = time.time(), 0
    while quiet < needed and time.time() - start < limit:
        quiet = quiet + 1 if cpu_idle_fraction() >= threshold else 0


def nnc_bench(binary, workload, threads, repeats, floor):
    args = [binary, "bench", f"models/bench/{workload}.nn", "--threads", str(threads),
            "--repeats", str(repeats), "--format", "json"]
    if floor:
        args.append("--compare-floor")
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return next(r for r in map(json.loads, out.splitlines()) if r.get("type") == "bench")


def pytorch_bench(workload, threads, repeats):
    out = subprocess.run(
        [sys.executable, "bench/pytorch_workloads.py", "--workload", workload, "--threads",
         str(threads), "--repeats", str(repeats), "--json"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--nnc", action="append", required=True, metavar="NAME=PATH",
                   help="an nnc binary and its column name; repeat, oldest first (the last "
                        "one's floor is used)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--repeats", type=int, default=9,
                   help="timed windows per benchmark (default 9)")
    p.add_argument("--pytorch", action="store_true",
                   help="also run bench/pytorch_workloads.py in each round")
    p.add_argument("--cases", default="w1:1,w2:2,w2:1,w3:1",
                   help="workload:threads pairs (default w1:1,w2:2,w2:1,w3:1)")
    a = p.parse_args()
    binaries = []
    for spec in a.nnc:
        name, sep, path = spec.partition("=")
        if not sep or not name or not os.access(path, os.X_OK):
            p.error(f"--nnc {spec}: give NAME=PATH to an nnc binary, e.g. "
                    "now=target/release/nnc")
        binaries.append((name, os.path.abspath(path)))
    try:
        cases = [(w, int(t)) for w, t in (c.split(":") for c in a.cases.split(","))]
    except ValueError:
        p.error(f"--cases {a.cases}: give workload:threads pairs, e.g. w1:1,w2:2")
    for w, _ in cases:
        if not os.path.exists(os.path.join(ROOT, "models", "bench", f"{w}.nn")):
            p.error(f"--cases: no models/bench/{w}.nn")
    if a.rounds < 1 or a.repeats < 1:
        p.error("--rounds and --repeats must be at least 1")
    # results[(w, t)][name] = list over rounds of (median_ms, floor_ms or None, json)
    results = {c: {n: [] for n, _ in binaries} for c in cases}
    torch = {c: [] for c in cases}
    for r in range(a.rounds):
        for (w, t) in cases:
            for name, path in binaries:
                wait_until_idle()
                try:
                    rec = nnc_bench(path, w, t, a.repeats, floor=True)
                except subprocess.CalledProcessError:
                    rec = nnc_bench(path, w, t, a.repeats, floor=False)
                results[(w, t)][name].append(rec)
                print(f"round {r + 1} {w} {t} thr {name}: {rec['median_ms']:.4f} ms "
                      f"checksum {rec['checksum']}", file=sys.stderr, flush=True)
            if a.pytorch:
                wait_until_idle()
                torch[(w, t)].append(pytorch_bench(w, t, a.repeats))
    names = [n for n, _ in binaries]
    head = ["workload", "thr", "GFLOP/step", "512³ GFLOP/s", "floor ms"]
    head += [f"{n} ms (× floor)" for n in names]
    if a.pytorch:
        head += ["PyTorch ms", f"PyTorch / {names[-1]}"]
    head += ["checksums"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for (w, t) in cases:
        runs = results[(w, t)]
        # The round whose floor-reporting run measured the median product rate.
        floored = [x for x in runs[names[-1]] if x.get("floor")] or \
            [x for n in names for x in runs[n] if x.get("floor")]
        floored.sort(key=lambda x: x["floor"]["product_gflops"])
        f = floored[len(floored) // 2]
        gflop, rate = f["product_gflop_per_step"], f["floor"]["product_gflops"]
        floor_ms = gflop / rate * 1e3
        row = [w, str(t), f"{gflop:.4f}", f"{rate:.0f}", f"{floor_ms:.4f}"]
        best = {}
        for n in names:
            b = min(runs[n], key=lambda x: x["median_ms"])
            best[n] = b["median_ms"]
            row.append(f"{b['median_ms']:.4f} ({b['median_ms'] / floor_ms:.2f}×)")
        if a.pytorch:
            pt = min(x["median_ms"] for x in torch[(w, t)])
            row += [f"{pt:.4f}", f"{pt / best[names[-1]]:.1f}×"]
        sums = {x["checksum"] for n in names for x in runs[n]}
        row.append(", ".join(sorted(sums)))
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
