#!/usr/bin/env python3
"""Checks the files `nnc export` writes against nnc's own outputs, with onnxruntime and PyTorch.

A run directory to check holds, besides `weights.safetensors`:

* `model.onnx`                    (`nnc export ... --to onnx`)
* `model.pt.safetensors`, `model.py` (`nnc export ... --to pytorch`)
* `inputs.csv`                    raw feature rows, one per line, no header
* `nnc_logits.csv`                nnc's logits for those rows (same order)

`cargo test -p nnc --test export` leaves such directories under the system's temporary
directory: `nnc-cli-<pid>-export-onnx/<model>/` (every example, trained briefly),
`nnc-cli-<pid>-export-full/<model>/` (digits, wine, deep_bn, maxout, spiral, trained fully),
`nnc-cli-<pid>-export-activations/<k>/` and `nnc-cli-<pid>-export-options/<case>/`.

Usage:
    python3 tools/export_check.py DIR [DIR ...]

Prints, per directory, the max absolute difference of the probabilities and the logits from
onnxruntime and from the PyTorch module versus nnc; exits 1 if one exceeds --tolerance.
Either runtime is skipped (with a note) when its package is not installed.
"""

import argparse
import importlib.util
import os
import sys

import numpy as np


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def load_csv(path):
    return np.atleast_2d(np.loadtxt(path, delimiter=",", dtype=np.float64))


def onnx_outputs(path, x):
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    probabilities, logits = session.run(["probabilities", "logits"], {"input": x.astype(np.float32)})
    return probabilities.astype(np.float64), logits.astype(np.float64)


def torch_outputs(directory, x):
    import torch

    spec = importlib.util.spec_from_file_location("exported_model", os.path.join(directory, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.load(os.path.join(directory, "model.pt.safetensors"))
    with torch.no_grad():
        logits = model(torch.tensor(x, dtype=torch.float32)).double().numpy()
    return softmax(logits), logits


def check(directory, tolerance):
    x = load_csv(os.path.join(directory, "inputs.csv"))
    logits = load_csv(os.path.join(directory, "nnc_logits.csv"))
    probabilities = softmax(logits)
    ok = True
    for name, run in (("onnxruntime", onnx_outputs), ("pytorch", torch_outputs)):
        try:
            if name == "onnxruntime":
                p, z = run(os.path.join(directory, "model.onnx"), x)
            else:
                p, z = run(directory, x)
        except ImportError as e:
            print(f"{directory}: {name} skipped ({e})")
            continue
        dp = float(np.abs(p - probabilities).max())
        dz = float(np.abs(z - logits).max())
        ok &= dp <= tolerance
        print(f"{directory}: {name:11s} rows {len(x):4d}  max|dp| {dp:.2e}  max|dlogits| {dz:.2e}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", help="run directories with the exported files")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="on probabilities")
    args = parser.parse_args()
    results = [check(d, args.tolerance) for d in args.dirs]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
