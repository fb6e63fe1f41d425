"""Writes PyTorch reference values for mtl-tui's focal loss and online hard example mining.

Run by hand (the tests need no Python):
    python3 -m venv torchenv && torchenv/bin/pip install torch==2.13.0+cpu
    torchenv/bin/python scripts/focal_fixtures.py

Writes Tests/MTLEngineTests/Fixtures/losses_focal_ohem.json:

    {"losses": [{"name", "kind", "width", "label_smoothing", "pos_weight" (or null),
                 "gamma", "alpha" (or null), "ohem" (fraction or null),
                 "logits" [B*C], "targets" (class index per row, or 0/1 [B*C]), "weights" [B],
                 "loss", "row_loss" [B], "kept" [B] (0/1), "gradient" [B*C]}]}

Each row's loss l_i (reduction='none'):
  - binary / multilabel: torchvision.ops.sigmoid_focal_loss(z, y*(1-eps) + eps/2, alpha, gamma)
    times 1 + (p-1)*y per label (the positive weight, as for the plain BCE), a multi-label row's
    loss the mean over its labels; the function body is repeated below (checked against
    torchvision when it is installed) so that torch alone suffices;
  - multiclass: -alpha * sum_c q_c (1 - p_c)^gamma log p_c with q = (1-eps)*onehot(y) + eps/K,
    from log_softmax; with gamma = 0, alpha = 1 it is F.cross_entropy(label_smoothing=eps).
L = sum_i w_i l_i / sum_i w_i over the kept rows: every row with w_i > 0, or with OHEM the
ceil(fraction * n) labelled rows with the highest l_i. "gradient" is dL/dz from autograd.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "MTLEngineTests", "Fixtures")


def sigmoid_focal_loss(inputs, targets, alpha, gamma):
    """torchvision.ops.sigmoid_focal_loss with reduction='none' (alpha None: no alpha factor)."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha is not None:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return loss


def check_against_torchvision():
    try:
        from torchvision.ops import sigmoid_focal_loss as reference
    except ImportError:
        return
    g = torch.Generator().manual_seed(1)
    z = torch.randn(8, 3, generator=g, dtype=torch.float64)
    y = (torch.rand(8, 3, generator=g) < 0.4).double()
    for alpha, gamma in [(0.25, 2.0), (0.6, 0.5)]:
        assert torch.allclose(sigmoid_focal_loss(z, y, alpha, gamma), reference(z, y, alpha, gamma, reduction="none"))


def case(name, kind, rows, width, gamma, alpha, generator, eps=0.0, pos_weight=None, ohem=None, scale=2.0):
    z = (torch.randn(rows, width, generator=generator, dtype=torch.float64) * scale).requires_grad_(True)
    w = torch.rand(rows, generator=generator, dtype=torch.float64) * 2
    w[1] = 0.0  # a row without this task's label
    if kind == "multiclass":
        y = torch.randint(0, width, (rows,), generator=generator)
        q = F.one_hot(y, width).double() * (1 - eps) + eps / width
        log_p = F.log_softmax(z, dim=1)
        row = -(q * (1 - log_p.exp()) ** gamma * log_p).sum(dim=1) * (1.0 if alpha is None else alpha)
        if gamma == 0 and alpha is None:
            assert torch.allclose(row, F.cross_entropy(z, y, label_smoothing=eps, reduction="none"))
        targets = y.tolist()
    else:
        y = (torch.rand(rows, width, generator=generator) < 0.35).double()
        pw = torch.ones(width, dtype=torch.float64) if pos_weight is None else torch.tensor(pos_weight, dtype=torch.float64)
        element = sigmoid_focal_loss(z, y * (1 - eps) + eps / 2, alpha, gamma) * (1 + (pw - 1) * y)
        row = element.mean(dim=1)
        targets = y.flatten().tolist()
    kept = (w > 0).double()
    if ohem is not None:
        labelled = [i for i in range(rows) if w[i] > 0]
        k = min(len(labelled), max(1, math.ceil(ohem * len(labelled) - 1e-9)))
        hardest = sorted(labelled, key=lambda i: -row[i].item())[:k]
        kept = torch.tensor([1.0 if i in hardest else 0.0 for i in range(rows)], dtype=torch.float64)
    used = w * kept
    loss = (used * row).sum() / used.sum()
    loss.backward()
    return {"name": name, "kind": kind, "width": width, "label_smoothing": eps, "pos_weight": pos_weight,
            "gamma": gamma, "alpha": alpha, "ohem": ohem,
            "logits": z.detach().flatten().tolist(), "targets": targets, "weights": w.tolist(),
            "loss": loss.item(), "row_loss": row.detach().tolist(), "kept": kept.tolist(),
            "gradient": z.grad.flatten().tolist()}


def main():
    check_against_torchvision()
    g = torch.Generator().manual_seed(11)
    losses = [
        case("binary_focal_default", "binary", 8, 1, 2.0, 0.25, g),
        case("binary_focal_no_alpha_smoothing", "binary", 8, 1, 2.0, None, g, eps=0.1),
        case("binary_focal_gamma_half", "binary", 8, 1, 0.5, 0.75, g),
        case("multilabel_focal_pos_weight", "multilabel", 8, 4, 1.5, 0.25, g, pos_weight=[1.0, 2.5, 10.0, 0.5]),
        case("multilabel_focal_large_logits", "multilabel", 8, 3, 2.0, 0.25, g, scale=12.0),
        case("multiclass_focal", "multiclass", 8, 4, 2.0, None, g),
        case("multiclass_focal_alpha_smoothing", "multiclass", 8, 5, 0.5, 0.5, g, eps=0.1),
        case("multiclass_focal_gamma_zero", "multiclass", 8, 3, 0.0, None, g),
        case("multiclass_ohem_half", "multiclass", 10, 3, 0.0, None, g, ohem=0.5),
        case("binary_focal_ohem_third", "binary", 10, 1, 2.0, 0.25, g, ohem=0.3),
        case("multilabel_ohem", "multilabel", 10, 3, 0.0, None, g, ohem=0.7),
    ]
    path = os.path.join(OUT, "losses_focal_ohem.json")
    with open(path, "w") as f:
        json.dump({"losses": losses}, f, indent=1)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
