"""Loads an mtl-tui checkpoint into plain PyTorch modules and prints predictions for a few texts,
to compare with `mtl-tui predict` (run by hand):

    /tmp/torchenv/bin/python scripts/check_checkpoint.py runs/vader "Loved it!" "Awful service."

Tokenisation here is a simplified copy (lowercase; letters/digits/apostrophes form words,
any other visible character is its own token), enough for plain ASCII text.
"""
import json
import re
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

directory, texts = sys.argv[1], sys.argv[2:]
info = json.load(open(f"{directory}/model.json"))
w = load_file(f"{directory}/model.safetensors")
cfg, enc = info["model"], info["encoder"]
vocab = {t: i for i, t in enumerate(enc["text"]["vocabulary"]["tokens"])}
assert cfg["trunk"] == "cnn", "this check covers the cnn trunk"
names = ["dense"] if len(cfg["hidden"]) == 1 else [f"dense{i + 1}" for i in range(len(cfg["hidden"]))]
for text in texts:
    tokens = re.findall(r"[a-z0-9']+|[^\sa-z0-9']", text.lower())
    ids = [vocab.get(t, 1) for t in tokens][: enc["text"]["maxLength"]]
    ids += [0] * max(0, cfg["kernel"] - len(ids))
    x = F.embedding(torch.tensor([ids]), w["trunk.embedding.weight"]).transpose(1, 2)
    x = torch.relu(F.conv1d(x, w["trunk.conv.weight"], w["trunk.conv.bias"])).max(dim=2).values
    for name in names:
        x = torch.relu(F.linear(x, w[f"trunk.{name}.weight"], w[f"trunk.{name}.bias"]))
    out = [text]
    for head, task in zip(cfg["heads"], enc["tasks"]):
        z = F.linear(x, w[f"head.{head['name']}.weight"], w[f"head.{head['name']}.bias"])[0]
        if head["kind"] == "multiclass":
            p = torch.softmax(z, 0)
            out += [task["classes"][int(p.argmax())], f"{float(p.max()):.4f}"]
        elif head["kind"] == "regression":
            out.append(f"{float(z[0]) * task['std'] + task['mean']:.6g}")
    print(",".join(out))
