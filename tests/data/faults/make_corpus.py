"""Writes the planted-fault CSV files of the babysitter corpus from the shipped real data sets
(models/data/wine.csv and digits.csv). Deterministic: run it again and the files do not change.

    python3 tests/data/faults/make_corpus.py
"""
import csv
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "models", "data")


def read(name):
    with open(os.path.join(DATA, name), newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write(name, header, rows):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    header, wine = read("wine.csv")
    # A constant column among real features (a "batch" code that never changes).
    write("wine_constant.csv", header[:-1] + ["batch", header[-1]],
          [r[:-1] + ["7", r[-1]] for r in wine])

    # The label in another form: a cultivar code column (1, 2, 3) among the features.
    write("wine_label_copy.csv", header[:-1] + ["cultivar_code", header[-1]],
          [r[:-1] + [str(int(r[-1]) + 1), r[-1]] for r in wine])
    # Leakage: 30 rows of the file appear twice.
    rng0 = random.Random(3)
    write("wine_duplicates.csv", header, wine + rng0.sample(wine, 30))
    # A separate test file that holds one class only, and its training file without those rows.
    train_rows = [r for i, r in enumerate(wine) if i % 4 != 0]
    test_rows = [r for i, r in enumerate(wine) if i % 4 == 0 and r[-1] == "0"]
    write("wine_train_part.csv", header, train_rows)
    write("wine_test_class0.csv", header, test_rows)

    header, digits = read("digits.csv")
    label = header.index("label")
    rng = random.Random(14)
    threes = [r for r in digits if r[label] == "3"]
    others = [r for r in digits if r[label] != "3"]
    # "Is it a 3?": 5 % positives (majority class 95 %) and a balanced twin.
    def binary(rows, name):
        out = [r[:label] + ["three" if r[label] == "3" else "other"] + r[label + 1:] for r in rows]
        rng.shuffle(out)
        write(name, header, out)
    n_pos = round(len(others) * 5 / 95)
    binary(others + rng.sample(threes, n_pos), "threes_rare.csv")
    binary(rng.sample(others, len(threes)) + threes, "threes_balanced.csv")


if __name__ == "__main__":
    main()
