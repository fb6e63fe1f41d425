"""Writes scikit-learn reference curves for mtl-tui's ROC and precision-recall pictures.

Run by hand (the tests need no Python):
    python3 -m venv sklenv && sklenv/bin/pip install scikit-learn
    sklenv/bin/python scripts/curve_fixtures.py

Writes Tests/MTLEngineTests/Fixtures/curves.json:

    [{"name", "scores" [N], "labels" [N] (0/1),
      "roc": {"fpr", "tpr", "thresholds"}          roc_curve(labels, scores), drop_intermediate=True
      "pr": {"precision", "recall", "thresholds"}  precision_recall_curve(labels, scores)
      "auc", "ap"}]

roc_curve's first threshold is +inf (written as null); precision_recall_curve's last
(precision 1, recall 0) point has no threshold. Scores are multiples of 1/64, exact in float32,
and some repeat so that tied scores are checked.
"""
import json
import os

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

rng = np.random.default_rng(23)


def case(name, s, y):
    fpr, tpr, roc_t = roc_curve(y, s)
    precision, recall, pr_t = precision_recall_curve(y, s)
    return {"name": name, "scores": s.tolist(), "labels": y.tolist(),
            "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(),
                    "thresholds": [None if np.isinf(t) else float(t) for t in roc_t]},
            "pr": {"precision": precision.tolist(), "recall": recall.tolist(), "thresholds": pr_t.tolist()},
            "auc": float(roc_auc_score(y, s)), "ap": float(average_precision_score(y, s))}


cases = []
for name, n, p, levels in [("balanced", 60, 0.5, 65), ("rare positives", 80, 0.1, 65), ("ties", 40, 0.4, 5),
                           ("tiny", 6, 0.5, 65), ("separable", 20, 0.5, 0)]:
    y = (rng.random(n) < p).astype(int)
    y[0], y[1] = 1, 0  # both outcomes
    if levels == 0:
        s = np.where(y == 1, 0.75, 0.25) + rng.integers(0, 8, size=n) / 64.0
    else:
        s = rng.integers(0, levels, size=n) / float(levels - 1)
    cases.append(case(name, s, y))

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "MTLEngineTests", "Fixtures", "curves.json")
with open(path, "w") as f:
    json.dump(cases, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(path))
