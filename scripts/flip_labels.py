#!/usr/bin/env python3
"""Label-noise experiments for `mtl-tui suspects`.

flip:  copy a dataset directory (data file, spec.toml, the rest linked) to OUT with a
       fraction of one column's labels flipped at random, each to another class drawn
       uniformly; OUT/flipped.txt lists the flipped rows (1-based, as suspects prints them).
score: read `mtl-tui suspects ... --json --top 0` output on stdin and report precision and
       recall of the top k (k = the number of flipped rows, or --k) against OUT/flipped.txt.

  python3 scripts/flip_labels.py flip sample-data/penguins species runs/noisy --fraction 0.07 --seed 1
  mtl-tui suspects runs/noisy --task species --json --top 0 | python3 scripts/flip_labels.py score runs/noisy
"""
import argparse
import csv
import json
import os
import random
import shutil
import sys


def data_file(directory):
    files = [f for f in sorted(os.listdir(directory)) if f.endswith((".csv", ".tsv"))]
    if len(files) != 1:
        sys.exit(f"flip_labels: expected one .csv or .tsv file in {directory}, found {files}")
    return files[0]


def flip(args):
    name = data_file(args.data)
    os.makedirs(args.out, exist_ok=True)
    for entry in os.listdir(args.data):
        source, target = os.path.join(args.data, entry), os.path.join(args.out, entry)
        if entry == name or os.path.exists(target):
            continue
        if entry == "spec.toml":
            shutil.copyfile(source, target)
        else:
            os.symlink(os.path.abspath(source), target)
    delimiter = "\t" if name.endswith(".tsv") else ","
    with open(os.path.join(args.data, name), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=delimiter))
    header, body = rows[0], rows[1:]
    if args.column not in header:
        sys.exit(f"flip_labels: {name} has no column '{args.column}'")
    c = header.index(args.column)
    classes = sorted({r[c] for r in body if r[c] != ""})
    labelled = [i for i, r in enumerate(body) if r[c] != ""]
    rng = random.Random(args.seed)
    chosen = sorted(rng.sample(labelled, round(args.fraction * len(labelled))))
    for i in chosen:
        body[i][c] = rng.choice([k for k in classes if k != body[i][c]])
    with open(os.path.join(args.out, name), "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=delimiter, lineterminator="\n").writerows([header] + body)
    with open(os.path.join(args.out, "flipped.txt"), "w") as f:
        f.write("".join(f"{i + 1}\n" for i in chosen))
    print(f"flipped {len(chosen)} of {len(labelled)} labelled rows of '{args.column}' into {args.out}")


def score(args):
    flipped = {int(line) for line in open(os.path.join(args.out, "flipped.txt")) if line.strip()}
    k = args.k or len(flipped)
    for line in sys.stdin:
        if not line.strip():
            continue
        report = json.loads(line)
        rows = [s["row"] for s in report["suspects"]]
        top = rows[:k]
        hits = sum(1 for r in top if r in flipped)
        precision = hits / len(top) if top else 0.0
        print(f"{report['task']} ({report['ranking']}): {report['count']} listed of {report['labelled']} rows; "
              f"top k={k}: {len(top)} rows, {hits} flipped; precision {precision:.3f}, recall {hits / len(flipped):.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("flip")
    f.add_argument("data")
    f.add_argument("column")
    f.add_argument("out")
    f.add_argument("--fraction", type=float, default=0.07)
    f.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("score")
    s.add_argument("out")
    s.add_argument("--k", type=int, help="score the top K instead of as many as were flipped")
    args = parser.parse_args()
    flip(args) if args.command == "flip" else score(args)


if __name__ == "__main__":
    main()
