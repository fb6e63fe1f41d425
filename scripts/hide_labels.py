#!/usr/bin/env python3
"""Semi-supervised experiments for `--unlabeled FILE --pseudo-label RULE`.

Splits a dataset directory (one .csv data file and spec.toml) deterministically into:
  OUT/test.csv         a held-out fraction of the rows, with labels (for `eval`; never trained on)
  OUT/labelled/        the data file with --keep of the other rows, and the spec (what `train` reads)
  OUT/unlabeled.csv    the rest of the rows without their task columns (what --unlabeled reads)

  python3 scripts/hide_labels.py sample-data/digits-8x8 runs/digits-semi --keep 0.1 --seed 1
  mtl-tui train runs/digits-semi/labelled --unlabeled runs/digits-semi/unlabeled.csv --pseudo-label 0.95:5 --save R
  mtl-tui eval R runs/digits-semi/test.csv --json
"""
import argparse
import csv
import os
import random
import re
import shutil
import sys


def data_file(directory):
    files = [f for f in sorted(os.listdir(directory)) if f.endswith(".csv")]
    if len(files) != 1:
        sys.exit(f"hide_labels: expected one .csv file in {directory}, found {files}")
    return files[0]


def task_columns(spec_path):
    """The task columns spec.toml names: each [[task]]'s column, else its name."""
    columns, current = [], None
    with open(spec_path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line.startswith("["):
                if current is not None:
                    columns.append(current.get("column", current.get("name")))
                current = {} if line == "[[task]]" else None
                continue
            match = re.match(r'(\w+)\s*=\s*"([^"]*)"', line)
            if current is not None and match:
                current[match.group(1)] = match.group(2)
    if current is not None:
        columns.append(current.get("column", current.get("name")))
    return columns


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="dataset directory: one .csv file and spec.toml")
    parser.add_argument("out", help="output directory (created; must not exist)")
    parser.add_argument("--test", type=float, default=0.3, help="fraction of rows held out with labels (default 0.3)")
    parser.add_argument("--keep", type=float, default=0.1, help="fraction of the other rows that keep their labels (default 0.1)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not (0 < args.test < 1 and 0 < args.keep < 1):
        sys.exit("hide_labels: --test and --keep must be in (0, 1)")
    if os.path.exists(args.out):
        sys.exit(f"hide_labels: {args.out} exists; choose a new directory")
    name = data_file(args.data)
    with open(os.path.join(args.data, name), newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    tasks = set(task_columns(os.path.join(args.data, "spec.toml")))
    order = list(range(len(rows)))
    random.Random(args.seed).shuffle(order)
    n_test = round(len(rows) * args.test)
    test, rest = sorted(order[:n_test]), order[n_test:]
    n_keep = round(len(rest) * args.keep)
    keep, hide = sorted(rest[:n_keep]), sorted(rest[n_keep:])
    os.makedirs(os.path.join(args.out, "labelled"))
    shutil.copy(os.path.join(args.data, "spec.toml"), os.path.join(args.out, "labelled", "spec.toml"))
    write(os.path.join(args.out, "labelled", name), header, [rows[i] for i in keep])
    write(os.path.join(args.out, "test.csv"), header, [rows[i] for i in test])
    inputs = [c for c, column in enumerate(header) if column not in tasks]
    write(os.path.join(args.out, "unlabeled.csv"), [header[c] for c in inputs], [[rows[i][c] for c in inputs] for i in hide])
    print(f"{len(keep)} labelled, {len(hide)} unlabeled, {len(test)} held out ({', '.join(sorted(tasks))} hidden)")


if __name__ == "__main__":
    main()
