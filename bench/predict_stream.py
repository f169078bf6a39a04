#!/usr/bin/env python3
"""`nnc predict` on a long table: rows per second and peak memory, for 10^4 .. 10^6 rows.

Trains digits (10 epochs) once, writes tables of digits rows (the 1,797 rows repeated, with the
label column, columns in the file's order) and predicts each into a file, reporting the
wall time, rows/s and the peak resident memory of the `nnc predict` process (getrusage of the
child). Memory that stays flat as the table grows 100x is the streaming at work.

    cargo build --release && python3 bench/predict_stream.py [--rows 10000,100000,1000000]
"""
import argparse, csv, os, resource, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NNC = os.path.join(ROOT, "target", "release", "nnc")


def table(path, rows):
    with open(os.path.join(ROOT, "models", "data", "digits.csv")) as f:
        lines = f.read().splitlines()
    header, data = lines[0], lines[1:]
    with open(path, "w") as f:
        f.write(header + "\n")
        for i in range(rows):
            f.write(data[i % len(data)] + "\n")


def peak_rss_of(cmd):
    """Runs cmd in a fresh process; returns (seconds, peak RSS in MiB, stdout)."""
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execv(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return seconds, usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="10000,100000,1000000")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="nnc-predict-")
    run = os.path.join(tmp, "run")
    subprocess.run([NNC, "run", "models/digits.nn", "--set", "n_epochs=10", "--quiet",
                    "--out", run], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    weights = os.path.join(run, "weights.safetensors")
    print(f"{'rows':>9} {'MB in':>7} {'seconds':>8} {'rows/s':>9} {'peak RSS MiB':>13}")
    for rows in [int(r) for r in args.rows.split(",")]:
        path = os.path.join(tmp, f"rows{rows}.csv")
        table(path, rows)
        out = os.path.join(tmp, "pred.csv")
        seconds, rss = peak_rss_of([NNC, "predict", os.path.join(ROOT, "models/digits.nn"), path,
                                    "--weights", weights, "--out", out, "--quiet"])
        size = os.path.getsize(path) / 1e6
        print(f"{rows:>9} {size:>7.0f} {seconds:>8.2f} {rows / seconds:>9.0f} {rss:>13.1f}")
        os.remove(path)


if __name__ == "__main__":
    main()
