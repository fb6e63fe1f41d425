"""Shared pieces of the dataset build scripts: the split, label checks, CSV and spec writing.

Every builder calls these so that all datasets are split and written the same way: one seeded
hash decides each row's split, and the key hashed is chosen by the builder (normalised text, or
a group such as a Debian source package) so that duplicates never straddle splits.
"""

import csv
import hashlib
import os
import re
import sys
from collections import Counter

SPLIT_SEED = "mtl-datasets-1"
SPLIT_COLUMN = "split"


def normalise(text):
    """The duplicate key of a text: lower case, runs of whitespace as one space."""
    return re.sub(r"\s+", " ", text).strip().lower()


def split_of(key, seed=SPLIT_SEED):
    """train / val / test at 80 / 10 / 10 from a seeded SHA-256 of the key (stable across runs and machines)."""
    bucket = int(hashlib.sha256(f"{seed}:{key}".encode("utf-8")).hexdigest()[:8], 16) % 1000
    if bucket < 800:
        return "train"
    return "val" if bucket < 900 else "test"


def drop_rare_and_unseen(rows, tasks, min_count=20):
    """Blank (mark missing) labels that are rare or never occur in train.

    mtl-tui refuses a val/test label it has not seen in training, and a class with a handful of
    rows gives no stable score; both are cleared for that task only, the row stays for the others.
    `tasks` maps a column to its kind. Returns the blanked labels per task for the report.
    """
    blanked = {}
    for column, kind in tasks.items():
        if kind in ("multiclass", "binary"):
            counts = Counter(r[column] for r in rows if r[column])
            train = Counter(r[column] for r in rows if r[column] and r[SPLIT_COLUMN] == "train")
            bad = {label for label, n in counts.items() if n < min_count or train[label] == 0}
            for r in rows:
                if r[column] in bad:
                    r[column] = ""
        elif kind == "multilabel":
            counts = Counter(l for r in rows if r[column] for l in r[column].split("|"))
            train = Counter(l for r in rows if r[column] and r[SPLIT_COLUMN] == "train"
                            for l in r[column].split("|"))
            bad = {label for label, n in counts.items() if n < min_count or train[label] == 0}
            for r in rows:
                if r[column]:
                    r[column] = "|".join(l for l in r[column].split("|") if l not in bad)
        else:
            bad = set()
        if bad:
            blanked[column] = sorted(bad)
    return blanked


def write_csv(path, header, rows):
    """RFC 4180 CSV with a header line; rows are dicts keyed by the header."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k, "") for k in header})


def write_spec(path, comment, text_column, tasks, max_length=200, id_column="id"):
    """A spec.toml for mtl-tui: one text input, the split column, one [[task]] per (name, kind, labels).

    An empty multi-label cell in these builds means "not labelled" (a row with none of the kept
    labels gets `other`), so multi-label tasks say `empty = "missing"`: mtl-tui would otherwise
    read it as the empty set, and the linear baseline skips such rows.
    """
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [f'id = "{id_column}"', f'split_column = "{SPLIT_COLUMN}"', "",
              "[[input]]", f'column = "{text_column}"', 'kind = "text"', f"max_length = {max_length}"]
    for name, kind, labels in tasks:
        lines += ["", "[[task]]", f'name = "{name}"', f'kind = "{kind}"']
        if labels:
            lines.append("labels = [" + ", ".join(f'"{l}"' for l in labels) + "]")
        if kind == "multilabel":
            lines.append('empty = "missing"')
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def report(name, rows, tasks):
    """Print sizes per split and label counts per task to stderr (what the README quotes)."""
    splits = Counter(r[SPLIT_COLUMN] for r in rows)
    print(f"{name}: {len(rows)} rows (train {splits['train']}, val {splits['val']}, test {splits['test']})",
          file=sys.stderr)
    for column, kind in tasks.items():
        if kind == "multilabel":
            labelled = [r[column] for r in rows if r[column]]
            labels = Counter(l for v in labelled for l in v.split("|"))
            mean = sum(len(v.split("|")) for v in labelled) / max(1, len(labelled))
            print(f"  {column} ({kind}): {len(labels)} labels, {len(labelled)} labelled rows, "
                  f"{mean:.2f} labels per row", file=sys.stderr)
        else:
            labels = Counter(r[column] for r in rows if r[column])
            top = ", ".join(f"{l} {n}" for l, n in labels.most_common(5))
            print(f"  {column} ({kind}): {len(labels)} classes, {sum(labels.values())} labelled rows; "
                  f"largest: {top}", file=sys.stderr)


def output_dir(argv, name):
    """OUTDIR/NAME, OUTDIR being the first argument or datasets-build/ in the current directory.

    mtl-tui takes a spec as `spec.toml` beside the one data file of a directory (it has no
    --spec option), so each dataset gets its own directory: NAME/NAME.csv and NAME/spec.toml.
    """
    out = os.path.join(argv[1] if len(argv) > 1 else "datasets-build", name)
    os.makedirs(out, exist_ok=True)
    return out
