"""Writes scikit-learn reference values for mtl-tui's average precision (PR-AUC) and ROC-AUC.

Run by hand (the tests need no Python):
    python3 -m venv sklenv && sklenv/bin/pip install scikit-learn
    sklenv/bin/python scripts/ap_fixtures.py

Writes Tests/MTLEngineTests/Fixtures/average_precision.json:

    {"binary": [{"name", "scores" [N], "labels" [N] (0/1), "ap", "auc"}],
     "multilabel": [{"name", "labels" (count C), "scores" [N*C], "targets" [N*C], "ap", "auc"}]}

Binary: average_precision_score(labels, scores) and roc_auc_score. Multi-label: the macro mean
over labels (average="macro"); every label has both outcomes, since mtl-tui leaves out labels
that lack one and scikit-learn cannot score them. Scores are multiples of 1/64, exact in
float32, and some repeat so that tied scores are checked.
"""
import json
import os

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

rng = np.random.default_rng(11)


def scores(n):
    return rng.integers(0, 65, size=n) / 64.0


binary = []
for name, n, p in [("balanced", 40, 0.5), ("rare positives", 60, 0.1), ("ties", 30, 0.4), ("tiny", 5, 0.5)]:
    s = scores(n) if name != "ties" else rng.integers(0, 5, size=n) / 4.0
    y = (rng.random(n) < p).astype(int)
    y[0], y[1] = 1, 0  # both outcomes
    binary.append({"name": name, "scores": s.tolist(), "labels": y.tolist(),
                   "ap": float(average_precision_score(y, s)), "auc": float(roc_auc_score(y, s))})

multilabel = []
for name, n, c in [("three labels", 50, 3), ("five labels with ties", 40, 5)]:
    s = scores(n * c).reshape(n, c) if "ties" not in name else (rng.integers(0, 8, size=(n, c)) / 8.0)
    y = (rng.random((n, c)) < 0.3).astype(int)
    y[0, :], y[1, :] = 1, 0
    multilabel.append({"name": name, "labels": c, "scores": s.reshape(-1).tolist(), "targets": y.reshape(-1).tolist(),
                       "ap": float(average_precision_score(y, s, average="macro")),
                       "auc": float(roc_auc_score(y, s, average="macro"))})

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "MTLEngineTests", "Fixtures", "average_precision.json")
with open(out, "w") as f:
    json.dump({"binary": binary, "multilabel": multilabel}, f, indent=1)
print("wrote", os.path.normpath(out))
