"""Writes the PyTorch parity fixtures the Swift tests compare against.

Run by hand (the tests need no Python):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0+cpu
    /tmp/torchenv/bin/python scripts/pytorch_fixtures.py

For each case it builds the same network as mtl-tui in PyTorch (names match mtl-tui's
checkpoints), runs one batch, and stores the inputs, the parameters, every activation, each
task's loss, the total, every gradient and the parameters after one Adam step.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "MTLEngineTests", "Fixtures")


class Net(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        trunk = {}
        if c["trunk"] == "cnn":
            trunk["embedding"] = nn.Embedding(c["vocabulary"], c["embedding"])
            trunk["conv"] = nn.Conv1d(c["embedding"], c["filters"], c["kernel"])
            width = c["filters"] + c["features"]
        else:
            width = c["vocabulary"] + c["features"]
        names = ["dense"] if len(c["hidden"]) == 1 else [f"dense{i + 1}" for i in range(len(c["hidden"]))]
        for name, units in zip(names, c["hidden"]):
            trunk[name] = nn.Linear(width, units)
            width = units
        self.names = names
        self.trunk = nn.ModuleDict(trunk)
        self.head = nn.ModuleDict({h["name"]: nn.Linear(width, h["outputs"]) for h in c["heads"]})

    def forward(self, tokens, features, tfidf):
        acts = {}
        if self.c["trunk"] == "cnn":
            x = self.trunk["embedding"](tokens).transpose(1, 2)        # [B, E, L]
            x = torch.relu(self.trunk["conv"](x))                       # [B, F, L-K+1]
            x = x.max(dim=2).values                                     # [B, F]
            acts["pooled"] = x
            x = torch.cat([x, features], dim=1)
        else:
            x = torch.cat([tfidf, features], dim=1)
        for name in self.names:
            x = torch.relu(self.trunk[name](x))
            acts[name] = x
        logits = {h["name"]: self.head[h["name"]](x) for h in self.c["heads"]}
        return acts, logits


def task_loss(head, z, y, w):
    kind = head["kind"]
    if kind == "multiclass":
        rows = F.cross_entropy(z, y.long(), reduction="none")
    elif kind == "binary":
        rows = F.binary_cross_entropy_with_logits(z[:, 0], y, reduction="none")
    elif kind == "multilabel":
        rows = F.binary_cross_entropy_with_logits(z, y, reduction="none").mean(dim=1)
    elif head.get("loss") == "huber":
        rows = F.huber_loss(z[:, 0], y, reduction="none", delta=1.0)
    else:
        rows = (z[:, 0] - y) ** 2
    return (rows * w).sum() / w.sum()


def make_case(name, c, batch, length, seed):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = Net(c)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.rand(p.shape, generator=g) - 0.5)
    tokens = torch.randint(2, c["vocabulary"], (batch, length), generator=g) if c["vocabulary"] else torch.zeros(batch, 0, dtype=torch.long)
    features = torch.randn(batch, c["features"], generator=g)
    tfidf = torch.zeros(batch, c["vocabulary"] if c["trunk"] == "mlp" else 0)
    idf = []
    if c["trunk"] == "mlp" and c["vocabulary"]:
        idf = (torch.rand(c["vocabulary"], generator=g) + 1).tolist()
        for b in range(batch):
            for t in tokens[b].tolist():
                tfidf[b, t] += idf[t]
            tfidf[b] /= tfidf[b].norm()
    targets, weights = {}, {}
    for h in c["heads"]:
        if h["kind"] == "multiclass":
            y = torch.randint(0, h["outputs"], (batch,), generator=g).float()
        elif h["kind"] == "binary":
            y = torch.randint(0, 2, (batch,), generator=g).float()
        elif h["kind"] == "multilabel":
            y = torch.randint(0, 2, (batch, h["outputs"]), generator=g).float()
        else:
            y = torch.randn(batch, generator=g) * 2
        w = torch.rand(batch, generator=g) + 0.5
        w[1] = 0.0  # row 1 lacks this task's label
        targets[h["name"]], weights[h["name"]] = y, w

    acts, logits = net(tokens, features, tfidf)
    losses = {h["name"]: task_loss(h, logits[h["name"]], targets[h["name"]], weights[h["name"]]) for h in c["heads"]}
    total = sum(h["task_weight"] * losses[h["name"]] for h in c["heads"])
    params = {k: v.detach().clone() for k, v in net.state_dict().items()}
    total.backward()
    grads = {k: p.grad.detach().clone() for k, p in net.named_parameters()}
    optim = torch.optim.Adam(net.parameters(), lr=0.01)
    optim.step()
    after = {k: v.detach().clone() for k, v in net.state_dict().items()}

    flat = lambda t: [float(v) for v in t.reshape(-1).tolist()]
    tensors = lambda d: {k: {"shape": list(v.shape), "values": flat(v)} for k, v in d.items()}
    fixture = {
        "config": c, "batch": batch, "length": length,
        "tokens": tokens.reshape(-1).tolist(), "features": flat(features), "idf": idf,
        "targets": {k: flat(v) for k, v in targets.items()}, "weights": {k: flat(v) for k, v in weights.items()},
        "parameters": tensors(params),
        "activations": tensors({**acts, **{f"logits.{k}": v for k, v in logits.items()}}),
        "losses": {k: float(v) for k, v in losses.items()}, "total": float(total),
        "gradients": tensors(grads), "after_adam": tensors(after), "adam_lr": 0.01,
    }
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f)
    print(f"{name}: total loss {float(total):.6f}")


def head(name, kind, outputs, loss="mse", weight=1.0):
    return {"name": name, "kind": kind, "outputs": outputs, "loss": loss, "task_weight": weight}


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    make_case("cnn_all_heads", {"trunk": "cnn", "vocabulary": 30, "embedding": 6, "filters": 8, "kernel": 3,
                                "hidden": [7], "features": 0,
                                "heads": [head("domain", "multiclass", 3), head("spam", "binary", 1, weight=0.5),
                                          head("tags", "multilabel", 4, weight=2.0), head("score", "regression", 1)]},
              batch=5, length=10, seed=1)
    make_case("cnn_features_huber", {"trunk": "cnn", "vocabulary": 25, "embedding": 5, "filters": 6, "kernel": 4,
                                     "hidden": [6, 5], "features": 3,
                                     "heads": [head("topic", "multiclass", 4), head("stars", "regression", 1, "huber", 0.7)]},
              batch=6, length=8, seed=2)
    make_case("mlp_text", {"trunk": "mlp", "vocabulary": 40, "embedding": 0, "filters": 0, "kernel": 1,
                           "hidden": [8, 6], "features": 2,
                           "heads": [head("domain", "multiclass", 3), head("polarity", "binary", 1, weight=1.5)]},
              batch=5, length=7, seed=3)
    make_case("mlp_features", {"trunk": "mlp", "vocabulary": 0, "embedding": 0, "filters": 0, "kernel": 1,
                               "hidden": [8], "features": 5,
                               "heads": [head("labels", "multilabel", 3), head("value", "regression", 1)]},
              batch=6, length=0, seed=4)
