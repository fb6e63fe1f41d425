"""A PyTorch multi-task model on the bundled VADER sample, watched and steered by mtl-tui.

    python3 python/examples/torch_multitask.py --events runs/torch.jsonl   # needs torch
    mtl-tui watch runs/torch.jsonl                                          # another terminal

A hashed bag of words feeds a shared layer and three heads (domain, polarity, score). Before
each step `Controls.apply` takes the workbench's commands: pause, step, loss weights, learning
rate (every param group), freeze/unfreeze by parameter-name prefix (`shared`, `head_domain`…).
"""

import argparse
import csv
import os
import re
import sys
import time
import zlib

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mtl_tui import Controls, Run  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BUCKETS = 1 << 15
DOMAINS = ["movie_review", "news_editorial", "product_review", "tweet"]
POLARITY = ["negative", "neutral", "positive"]


def tokens(text):
    """Word ids by a stable hash (zlib.crc32), so runs and processes agree."""
    return [zlib.crc32(w.encode()) % BUCKETS for w in re.findall(r"[a-z']+", text.lower())] or [0]


def load(path):
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    rows.sort(key=lambda r: zlib.crc32(r["id"].encode()))   # a fixed shuffle
    return rows


def batches(rows, size):
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        ids, offsets = [], []
        for r in chunk:
            offsets.append(len(ids))
            ids.extend(tokens(r["text"]))
        yield (torch.tensor(ids), torch.tensor(offsets),
               torch.tensor([DOMAINS.index(r["domain"]) for r in chunk]),
               torch.tensor([POLARITY.index(r["polarity"]) for r in chunk]),
               torch.tensor([float(r["score"]) for r in chunk]))


class MultiTask(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.embedding = nn.EmbeddingBag(BUCKETS, width, mode="mean")
        self.shared = nn.Sequential(nn.Linear(width, width), nn.ReLU())
        self.head_domain = nn.Linear(width, len(DOMAINS))
        self.head_polarity = nn.Linear(width, len(POLARITY))
        self.head_score = nn.Linear(width, 1)

    def forward(self, ids, offsets):
        h = self.shared(self.embedding(ids, offsets))
        return self.head_domain(h), self.head_polarity(h), self.head_score(h).squeeze(1)


def evaluate(model, rows, weights):
    model.eval()
    totals = {"domain": [0.0, 0], "polarity": [0.0, 0], "score": [0.0, 0.0]}
    loss_sum = {t: 0.0 for t in weights}
    with torch.no_grad():
        for ids, offsets, domain, polarity, score in batches(rows, 256):
            d, p, s = model(ids, offsets)
            n = len(score)
            loss_sum["domain"] += nn.functional.cross_entropy(d, domain, reduction="sum").item()
            loss_sum["polarity"] += nn.functional.cross_entropy(p, polarity, reduction="sum").item()
            loss_sum["score"] += nn.functional.huber_loss(s, score, reduction="sum").item()
            totals["domain"][0] += (d.argmax(1) == domain).sum().item()
            totals["polarity"][0] += (p.argmax(1) == polarity).sum().item()
            totals["score"][0] += (s - score).abs().sum().item()
            for t in totals:
                totals[t][1] += n
    model.train()
    count = len(rows)
    metrics = {
        "domain": {"count": count, "loss": loss_sum["domain"] / count, "accuracy": totals["domain"][0] / count},
        "polarity": {"count": count, "loss": loss_sum["polarity"] / count, "accuracy": totals["polarity"][0] / count},
        "score": {"count": count, "loss": loss_sum["score"] / count, "mae": totals["score"][0] / count},
    }
    return metrics, sum(weights[t] * metrics[t]["loss"] for t in weights)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", default="runs/torch.jsonl", help="the event stream to write (commands: FILE.commands)")
    parser.add_argument("--data", default=os.path.join(ROOT, "sample-data", "vader-domains", "vader_domains.csv"))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--log-every", type=int, default=10)
    args = parser.parse_args()

    torch.manual_seed(0)
    rows = load(args.data)
    cut = len(rows) * 9 // 10
    train, val = rows[:cut], rows[cut:]
    model = MultiTask()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    weights = {"domain": 1.0, "polarity": 1.0, "score": 1.0}
    os.makedirs(os.path.dirname(os.path.abspath(args.events)), exist_ok=True)
    steps_per_epoch = (len(train) + args.batch_size - 1) // args.batch_size
    run = Run(args.events, [("domain", ("multiclass", DOMAINS)), ("polarity", ("multiclass", POLARITY)), ("score", "regression")],
              epochs=args.epochs, model=model, steps_per_epoch=steps_per_epoch, lr=args.lr,
              rows={"train": len(train), "val": len(val)})
    controls = Controls(run, model=model, optimizer=optimizer, loss_weights=weights,
                        save=lambda path: torch.save(model.state_dict(), path))
    step, state = 0, "finished"
    for epoch in range(1, args.epochs + 1):
        started = time.time()
        for ids, offsets, domain, polarity, score in batches(train, args.batch_size):
            if not controls.apply(step):
                state = "stopped"
                break
            d, p, s = model(ids, offsets)
            losses = {"domain": nn.functional.cross_entropy(d, domain),
                      "polarity": nn.functional.cross_entropy(p, polarity),
                      "score": nn.functional.huber_loss(s, score)}
            total = sum(weights[t] * losses[t] for t in losses)
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            step += 1
            if step % args.log_every == 0:
                run.step(step, epoch, {t: l.item() for t, l in losses.items()}, total=total.item(),
                         lr=optimizer.param_groups[0]["lr"])
        metrics, val_total = evaluate(model, val, weights)
        run.epoch(epoch, step, {"val": metrics}, total_val_loss=val_total, seconds=time.time() - started)
        if state == "stopped":
            break
    run.done(state, step, {"val": metrics}, epoch=epoch)


if __name__ == "__main__":
    main()
