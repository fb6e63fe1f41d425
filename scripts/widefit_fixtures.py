"""Writes scikit-learn reference solutions for mtl-tui's linear fit of the wide path (--wide-fit linear).

Run by hand (the tests need no Python):
    python3 -m venv skenv && skenv/bin/pip install scikit-learn numpy
    skenv/bin/python scripts/widefit_fixtures.py

Writes Tests/MTLEngineTests/Fixtures/wide_fit.json:

    {"columns": 8, "rows": [{"columns": [...], "values": [...]}], "weights": [...], "c": C,
     "cases": [{"kind", "outputs", "targets" (class index / 0-1 / value per row, or 0/1 [rows*K]),
                "weight" [columns*outputs] (row-major [in, out], as mtl-tui stores it), "bias" [outputs]}]}

The same small, nearly separable sparse problem (60 rows over 8 columns, 2-4 non-zeros each, a
seeded stream) and sample weights for each task kind, fitted with C:
  - multiclass: LogisticRegression(C, lbfgs) — multinomial softmax with a coefficient vector
    per class and an unpenalised intercept;
  - binary: LogisticRegression(C, lbfgs);
  - multilabel: one LogisticRegression(C, lbfgs) per label (one-vs-rest);
  - regression: Ridge(alpha=1/C).
Each minimises C * sum_i w_i loss_i + 1/2 ||W||^2 (Ridge: sum_i w_i (y_i - x_i W - b)^2 + ||W||^2 / C),
the problem mtl-tui's WideProblem states as a weighted mean plus lambda/2 ||W||^2.
"""
import json
import os

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression, Ridge

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "MTLEngineTests", "Fixtures", "wide_fit.json")
ROWS, COLUMNS, C = 60, 8, 2.0

rng = np.random.default_rng(11)
rows, dense = [], np.zeros((ROWS, COLUMNS))
for r in range(ROWS):
    ids = sorted(rng.choice(COLUMNS, size=2 + r % 3, replace=False).tolist())
    values = np.round(rng.uniform(0.2, 1.2, size=len(ids)), 3).tolist()
    rows.append({"columns": ids, "values": values})
    dense[r, ids] = values
x = csr_matrix(dense)
weights = np.where(np.arange(ROWS) % 4 == 0, 2.0, 1.0)
# Labels from the columns a row holds, a few flipped, so that no class is separable outright.
score = dense @ np.array([1.0, -0.5, 0.8, 0.0, -1.0, 0.4, 0.2, -0.3])
flip = np.arange(ROWS) % 7 == 3


def logistic(y):
    model = LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(x, y, sample_weight=weights)
    return model


cases = []
y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
y = np.where(flip, (y + 1) % 3, y)
m = logistic(y)
cases.append({"kind": "multiclass", "outputs": 3, "targets": y.astype(float).tolist(),
              "weight": m.coef_.T.reshape(-1).tolist(), "bias": m.intercept_.tolist()})

y = ((score > np.median(score)) != flip).astype(int)
m = logistic(y)
cases.append({"kind": "binary", "outputs": 1, "targets": y.astype(float).tolist(),
              "weight": m.coef_.T.reshape(-1).tolist(), "bias": m.intercept_.tolist()})

labels = np.stack([(dense[:, 0] > 0) != flip, (score > 0) != flip, (dense[:, 5] + dense[:, 6] > 0.5) != flip], axis=1).astype(int)
coef, intercept = [], []
for k in range(labels.shape[1]):
    m = logistic(labels[:, k])
    coef.append(m.coef_[0])
    intercept.append(m.intercept_[0])
cases.append({"kind": "multilabel", "outputs": 3, "targets": labels.astype(float).reshape(-1).tolist(),
              "weight": np.array(coef).T.reshape(-1).tolist(), "bias": intercept})

y = score + np.where(flip, 0.5, 0.0)
m = Ridge(alpha=1 / C, tol=1e-12, solver="auto").fit(x, y, sample_weight=weights)
cases.append({"kind": "regression", "outputs": 1, "targets": y.tolist(),
              "weight": np.asarray(m.coef_).reshape(-1).tolist(), "bias": [float(m.intercept_)]})

with open(OUT, "w") as f:
    json.dump({"columns": COLUMNS, "rows": rows, "weights": weights.tolist(), "c": C, "cases": cases}, f, indent=1)
    f.write("\n")
print("wrote", OUT)
