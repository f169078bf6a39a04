#!/usr/bin/env python3
"""Successive halving against random search at the same total epochs, on digits and wine.

For each data set and sampler seed, two searches over the same space:
  halving(eta: 3, min: 1 epoch, max: 27 epochs), 27 first-rung trials: 27 + 27 + 27 + 27 = 108 epochs
  random, 4 trials of 27 epochs:                                        108 epochs
Both winners are trained 27 epochs, so their validation metrics compare like with like. Prints,
per data set, the mean over seeds of the best metric found, of the training seconds (the trials'
own wall clock, summed) and the search's wall time.

    cargo build --release && python3 bench/halving_vs_random.py [--seeds 5]
"""
import argparse, json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NNC = os.path.join(ROOT, "target", "release", "nnc")

SPACE = """  lr       ~ loguniform(1e-3, 1)
  reg      ~ loguniform(1e-6, 1e-2)
  width    ~ choice(32, 64, 128)
  momentum ~ log1m(0.5, 0.99)
"""

def model(data, split, batch, metric, search):
    return f"""nn 0.1
param lr = 0.05
param reg = 1e-4
param width = 64
param momentum = 0.9
data {{
  source csv("{data}"{', label: "label"' if 'digits' in data else ''})
  split {split}
  preprocess center, normalize
  seed 0
}}
model m {{
  dense width -> relu
  dense data.classes, init: small(0.01)
  loss softmax
}}
train {{
  optimizer sgd(lr: lr, momentum: momentum)
  regularize l2(reg)
  batch {batch}
  epochs 27
  seed 7
}}
{search} {{
{SPACE}  metric {metric}
{'' if 'halving' in search else '  trials 4'}
}}
"""

SETS = {
    "digits": dict(data=os.path.join(ROOT, "models/data/digits.csv"),
                   split="train: 70%, val: 15%, test: 15%, stratify: true",
                   batch=64, metric="val.accuracy"),
    "wine": dict(data=os.path.join(ROOT, "models/data/wine.csv"),
                 split="train: 70%, val: 15%, test: 15%, stratify: true",
                 batch=16, metric="val.loss"),
}

def search(text, seed, out):
    with tempfile.NamedTemporaryFile("w", suffix=".nn", delete=False) as f:
        f.write(text)
    start = time.time()
    subprocess.run([NNC, "search", f.name, "--seed", str(seed), "--jobs", "1", "--threads", "1",
                    "--out", out, "-q"], check=True, capture_output=True)
    wall = time.time() - start
    os.unlink(f.name)
    summary = json.load(open(os.path.join(out, "summary.json")))
    trials = [json.loads(l) for l in open(os.path.join(out, "trials.jsonl"))]
    best = summary["best"]
    return dict(metric=best["metric"], val_accuracy=best.get("val_accuracy"),
                trials=len(trials), epochs=sum(t["epochs_run"] for t in trials),
                seconds=sum(t["seconds"] for t in trials), wall=wall)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=5)
    args = p.parse_args()
    tmp = tempfile.mkdtemp()
    print(f"{'data':7} {'strategy':8} {'metric':13} {'best (mean)':>12} {'val acc':>8} "
          f"{'trials':>6} {'epochs':>7} {'train s':>8} {'wall s':>7}")
    for name, s in SETS.items():
        for strategy, header in [("halving", "search halving(eta: 3, min: 1 epoch, max: 27 epochs)"),
                                 ("random", "search random")]:
            runs = [search(model(s["data"], s["split"], s["batch"], s["metric"], header), seed,
                           os.path.join(tmp, f"{name}-{strategy}-{seed}"))
                    for seed in range(1, args.seeds + 1)]
            mean = lambda k: sum(r[k] for r in runs) / len(runs)
            print(f"{name:7} {strategy:8} {s['metric']:13} {mean('metric'):12.4g} "
                  f"{mean('val_accuracy'):8.4f} {mean('trials'):6.1f} {mean('epochs'):7.1f} "
                  f"{mean('seconds'):8.3f} {mean('wall'):7.2f}")
            for seed, r in enumerate(runs, 1):
                print(f"  {name} {strategy} seed {seed}: best {r['metric']:.4g}, "
                      f"{r['epochs']:.0f} epochs, {r['seconds']:.3f} s", file=sys.stderr)

if __name__ == "__main__":
    main()
