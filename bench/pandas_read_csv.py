#!/usr/bin/env python3
"""Times `pandas.read_csv` on a CSV file, for comparison with the `csv_scale` example.

Prints rows, columns, the best of `--repeats` load times, MB/s and the peak RSS of this
process (`resource.getrusage`, so run one process per file). pandas reads the features as
float64 (its default); the f32 size is shown for comparison with nnc.

    python3 bench/pandas_read_csv.py FILE [--repeats 3]
"""
import argparse
import os
import resource
import time

import pandas


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    size = os.path.getsize(a.file)
    best = float("inf")
    shape = None
    for _ in range(max(1, a.repeats)):
        t = time.perf_counter()
        frame = pandas.read_csv(a.file)
        best = min(best, time.perf_counter() - t)
        shape = frame.shape
        del frame
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    f32_mb = shape[0] * (shape[1] - 1) * 4 / 1e6
    print(f"file           {a.file} ({size / 1e6:.1f} MB), pandas {pandas.__version__}")
    print(f"rows x columns {shape[0]} x {shape[1] - 1} (+ label)")
    print(f"seconds        {best:.3f} (best of {a.repeats})")
    print(f"MB/s           {size / 1e6 / best:.1f}")
    print(f"f32 data       {f32_mb:.1f} MB")
    print(f"peak RSS       {peak_mb:.1f} MB")
    print(f"peak / f32     {peak_mb / f32_mb:.2f}")


if __name__ == "__main__":
    main()
