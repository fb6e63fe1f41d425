"""Writes PyTorch and scikit-learn reference values for mtl-tui's loss options and
multi-label metrics.

Run by hand (the tests need no Python):
    python3 -m venv torchenv && torchenv/bin/pip install torch==2.13.0+cpu scikit-learn
    torchenv/bin/python scripts/loss_fixtures.py

Writes Tests/MTLEngineTests/Fixtures/losses_options.json:

    {"losses": [{"name", "kind", "width", "label_smoothing", "pos_weight" (or null),
                 "logits" [B*C], "targets" (class index per row, or 0/1 [B*C]), "weights" [B],
                 "loss", "row_loss" [B], "gradient" [B*C]}],
     "metrics": [{"name", "labels", "probabilities" [N*C], "targets" [N*C], "thresholds" [C],
                  "micro_f1", "macro_f1", "subset_accuracy", "precision", "recall", "f1", "support"}]}

Losses follow mtl-tui's definition L = sum_i w_i l_i / sum_i w_i over rows (w_i = 0: label
missing), with each row's l_i from PyTorch with reduction='none':
  - multiclass: F.cross_entropy(z, y, label_smoothing=eps);
  - binary / multilabel: F.binary_cross_entropy_with_logits(z, y*(1-eps) + eps/2, weight=1 + (p-1)*y),
    a multi-label row's loss the mean over its labels. Without smoothing that weight is exactly
    pos_weight=p (checked below); with smoothing it weighs each label by its true value, so a
    negative's eps/2 target mass is not multiplied by p.
"gradient" is dL/dz from autograd. Metrics come from sklearn.metrics with zero_division=0.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "MTLEngineTests", "Fixtures")


def loss_case(name, kind, rows, width, eps, pos_weight, generator, scale=2.0):
    z = (torch.randn(rows, width, generator=generator, dtype=torch.float64) * scale)
    if name.endswith("large_logits"):
        z = z * 15
    z.requires_grad_(True)
    w = torch.rand(rows, generator=generator, dtype=torch.float64) * 2
    w[1] = 0.0  # a row without this task's label
    if kind == "multiclass":
        y = torch.randint(0, width, (rows,), generator=generator)
        row = F.cross_entropy(z, y, label_smoothing=eps, reduction="none")
        targets = y.tolist()
    else:
        y = (torch.rand(rows, width, generator=generator) < 0.35).double()
        smoothed = y * (1 - eps) + eps / 2
        pw = torch.ones(width, dtype=torch.float64) if pos_weight is None else torch.tensor(pos_weight, dtype=torch.float64)
        element = 1 + (pw - 1) * y
        row = F.binary_cross_entropy_with_logits(z, smoothed, weight=element, reduction="none").mean(dim=1)
        if eps == 0:
            same = F.binary_cross_entropy_with_logits(z, y, pos_weight=pw, reduction="none").mean(dim=1)
            assert torch.allclose(row, same), "weight=1+(p-1)*y equals pos_weight=p without smoothing"
        targets = y.flatten().tolist()
    loss = (w * row).sum() / w.sum()
    loss.backward()
    return {"name": name, "kind": kind, "width": width, "label_smoothing": eps, "pos_weight": pos_weight,
            "logits": z.detach().flatten().tolist(), "targets": targets, "weights": w.tolist(),
            "loss": loss.item(), "row_loss": row.detach().tolist(), "gradient": z.grad.flatten().tolist()}


def metric_case(name, rows, labels, thresholds, rng):
    truth = (rng.random((rows, labels)) < 0.3).astype(int)
    truth[:, -1] = 0  # a label with no positive: F1 0, as scikit-learn's zero_division=0
    noise = rng.random((rows, labels))
    probabilities = np.clip(0.55 * truth + 0.6 * noise, 0, 1)
    predicted = (probabilities >= np.array(thresholds)).astype(int)
    kw = {"zero_division": 0}
    return {"name": name, "labels": labels, "probabilities": probabilities.flatten().tolist(),
            "targets": truth.flatten().astype(float).tolist(), "thresholds": thresholds,
            "micro_f1": f1_score(truth, predicted, average="micro", **kw),
            "macro_f1": f1_score(truth, predicted, average="macro", **kw),
            "subset_accuracy": accuracy_score(truth, predicted),
            "precision": precision_score(truth, predicted, average=None, **kw).tolist(),
            "recall": recall_score(truth, predicted, average=None, **kw).tolist(),
            "f1": f1_score(truth, predicted, average=None, **kw).tolist(),
            "support": truth.sum(axis=0).tolist()}


def main():
    g = torch.Generator().manual_seed(7)
    losses = [
        loss_case("multiclass_smoothing", "multiclass", 6, 4, 0.1, None, g),
        loss_case("multiclass_plain", "multiclass", 6, 3, 0.0, None, g),
        loss_case("binary_pos_weight_smoothing", "binary", 6, 1, 0.2, [3.0], g),
        loss_case("multilabel_pos_weight", "multilabel", 6, 4, 0.0, [1.0, 2.5, 10.0, 0.5], g),
        loss_case("multilabel_pos_weight_smoothing", "multilabel", 6, 4, 0.15, [1.0, 2.5, 10.0, 0.5], g),
        loss_case("multilabel_smoothing_large_logits", "multilabel", 6, 3, 0.1, [4.0, 1.0, 0.25], g),
    ]
    rng = np.random.default_rng(11)
    metrics = [
        metric_case("default_thresholds", 40, 5, [0.5] * 5, rng),
        metric_case("tuned_thresholds", 40, 5, [0.3, 0.45, 0.6, 0.75, 0.5], rng),
    ]
    path = os.path.join(OUT, "losses_options.json")
    with open(path, "w") as f:
        json.dump({"losses": losses, "metrics": metrics}, f, indent=1)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
