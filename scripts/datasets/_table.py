"""The markdown table of mtl_table.sh: per task, the linear baseline and each trunk's test metrics.

Usage (from mtl_table.sh): _table.py OUTDIR "NAME NAME ..." TRUNK...
Reads OUTDIR/NAME.baseline.json and OUTDIR/runs/NAME.TRUNK.{jsonl,seconds}; stdlib only.
A cell is macro-F1 / accuracy for classification (accuracy is label-wise for multi-label, as
mtl-tui computes it), RMSE for regression; a trunk cell below the baseline's macro-F1 (or above
its RMSE) is marked with "▼".
"""

import json
import os
import sys


def done_event(path):
    """The run's `done` event, or None if the run failed before it."""
    if not os.path.exists(path):
        return None
    last = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith('{"') and '"event":"done"' in line:
                last = json.loads(line)
    return last


def cell(kind, metrics):
    if metrics is None:
        return "error"
    if kind == "regression":
        return f"RMSE {metrics['rmse']:.3f}"
    return f"{metrics['macro_f1']:.3f} / {metrics['accuracy']:.3f}"


def worse(kind, metrics, baseline):
    if metrics is None:
        return False
    if kind == "regression":
        return metrics["rmse"] > baseline["rmse"]
    return metrics["macro_f1"] < baseline["macro_f1"]


def main():
    out, names, trunks = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
    head = "| dataset | task | kind | linear (C) | " + " | ".join(trunks) + " |"
    print("Test split, macro-F1 / accuracy (RMSE for regression); ▼ below the linear baseline.\n")
    print(head)
    print("|" + "---|" * (4 + len(trunks)))
    footer = []
    for name in names:
        with open(os.path.join(out, f"{name}.baseline.json"), encoding="utf-8") as f:
            baseline = {t["task"]: t for t in json.load(f)["tasks"]}
        runs = {t: done_event(os.path.join(out, "runs", f"{name}.{t}.jsonl")) for t in trunks}
        for task, b in baseline.items():
            cells = []
            for t in trunks:
                m = runs[t]["metrics"]["test"].get(task) if runs[t] else None
                mark = " ▼" if worse(b["kind"], m, b["test"]) else ""
                cells.append(cell(b["kind"], m) + mark)
            print(f"| {name} | {task} | {b['kind']} | {cell(b['kind'], b['test'])} ({b['C']}) | "
                  + " | ".join(cells) + " |")
        for t in trunks:
            seconds_file = os.path.join(out, "runs", f"{name}.{t}.seconds")
            seconds = open(seconds_file).read().strip() if os.path.exists(seconds_file) else "?"
            epoch = runs[t].get("epoch", "?") if runs[t] else "failed"
            footer.append(f"- {name} {t}: {seconds} s wall, kept epoch {epoch}")
    print("\n" + "\n".join(footer))


if __name__ == "__main__":
    main()
