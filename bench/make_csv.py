#!/usr/bin/env python3
"""Writes a seeded random numeric CSV: R rows of C feature columns and an integer label.

Features are normal draws (each column with its own scale) written with `%.6g`, like real
data; the label is a linear rule of the features (so a model can learn it) cut into
`--classes` classes at quantiles, written as an integer in the last column `label`.

    python3 bench/make_csv.py ROWS COLUMNS OUT.csv [--seed 0] [--classes 2]
"""
import argparse

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rows", type=int)
    p.add_argument("columns", type=int)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--classes", type=int, default=2)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    scales = rng.uniform(0.1, 100.0, a.columns)
    weights = rng.normal(size=a.columns) / scales
    cuts = None
    chunk = 100_000
    with open(a.out, "w") as f:
        f.write(",".join(f"f{j}" for j in range(a.columns)) + ",label\n")
        for start in range(0, a.rows, chunk):
            n = min(chunk, a.rows - start)
            x = rng.normal(size=(n, a.columns)) * scales
            score = x @ weights
            if cuts is None:
                # Quantiles of the first chunk fix the class boundaries for the whole file.
                cuts = np.quantile(score, np.linspace(0, 1, a.classes + 1)[1:-1])
            y = np.searchsorted(cuts, score)
            table = np.column_stack([x, y])
            fmt = ["%.6g"] * a.columns + ["%d"]
            np.savetxt(f, table, fmt=fmt, delimiter=",")


if __name__ == "__main__":
    main()
