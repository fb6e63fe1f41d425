"""Writes the PyTorch parity fixtures for the GRU text trunk (Tests/MTLEngineTests/Fixtures/gru_*.json).

Run by hand (the tests need no Python):
    python3 -m venv VENV && VENV/bin/pip install torch==2.13.0+cpu     (VENV: any new directory)
    VENV/bin/python scripts/gru_fixtures.py

Each case is Embedding -> nn.GRU (batch_first, one layer, packed by the samples' lengths so each
direction runs exactly over a sample's own tokens) -> [max over time || mean over time] of the
GRU outputs, with parameters named as mtl-tui names them. It stores the padded tokens, the
lengths, the parameters, the pooled output, the gradient fed back at the pooled output (a fixed
random matrix C, the loss being sum(C * pooled)) and every parameter's gradient.
"""
import json
import os

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "MTLEngineTests", "Fixtures")


class Trunk(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embedding = nn.Embedding(c["vocabulary"], c["embedding"])
        self.gru = nn.GRU(c["embedding"], c["hidden"], batch_first=True, bidirectional=c["bidirectional"])

    def forward(self, tokens, lengths):
        x = self.embedding(tokens)                                                  # [B, L, E]
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])  # [B, L, D*H], zero padded
        valid = (torch.arange(tokens.shape[1])[None, :] < lengths[:, None])[:, :, None]
        maxima = out.masked_fill(~valid, float("-inf")).max(dim=1).values           # [B, D*H]
        means = out.sum(dim=1) / lengths[:, None].to(out.dtype)                     # [B, D*H]
        return torch.cat([maxima, means], dim=1)                                    # [B, 2*D*H]


def make_case(name, c, lengths, seed):
    g = torch.Generator().manual_seed(seed)
    net = Trunk(c)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_((torch.rand(p.shape, generator=g) - 0.5) * 1.2)
    lengths = torch.tensor(lengths)
    batch, length = len(lengths), int(lengths.max())
    tokens = torch.randint(2, c["vocabulary"], (batch, length), generator=g)
    tokens[torch.arange(length)[None, :] >= lengths[:, None]] = 0                  # padding id, as Batch pads
    pooled = net(tokens, lengths)
    gradient = torch.randn(pooled.shape, generator=g)
    (pooled * gradient).sum().backward()
    params = {f"trunk.{k}": v.detach().clone() for k, v in net.state_dict().items()}
    grads = {f"trunk.{k}": p.grad.detach().clone() for k, p in net.named_parameters()}

    flat = lambda t: [float(v) for v in t.reshape(-1).tolist()]
    tensors = lambda d: {k: {"shape": list(v.shape), "values": flat(v)} for k, v in d.items()}
    fixture = {
        "config": c, "batch": batch, "length": length, "lengths": lengths.tolist(),
        "tokens": tokens.reshape(-1).tolist(), "parameters": tensors(params),
        "pooled": flat(pooled), "output_gradient": flat(gradient), "gradients": tensors(grads),
    }
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f)
    print(f"{name}: pooled width {pooled.shape[1]}, sum {float(pooled.detach().sum()):.6f}")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    # 12 hidden units: one full eight-lane block and a tail of four.
    make_case("gru_bidirectional", {"vocabulary": 40, "embedding": 8, "hidden": 12, "bidirectional": True},
              lengths=[9, 4, 1, 9, 6, 2], seed=11)
    make_case("gru_unidirectional", {"vocabulary": 30, "embedding": 6, "hidden": 5, "bidirectional": False},
              lengths=[3, 7, 7, 1, 5], seed=12)
