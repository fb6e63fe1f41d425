"""The bench models as a PyTorch user writes them."""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from models import SHAPES, data, report

model_name, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
s = SHAPES[model_name]
x, y3, y10 = (torch.from_numpy(a) for a in data(model_name))
x = x.long() if model_name in ("cnn", "gru") else x
y3, y10 = y3.long(), y10.long()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        if model_name == "cnn":
            self.embedding = nn.Embedding(s["vocabulary"], 64)
            self.conv = nn.Conv1d(64, 128, 5)
            self.dense = nn.Linear(128, 64)
            width = 64
        elif model_name == "gru":
            self.embedding = nn.Embedding(s["vocabulary"], 64)
            self.gru = nn.GRU(64, 128, batch_first=True)
            width = 256
        else:
            self.dense1 = nn.Linear(s["vocabulary"], 256)
            self.dense2 = nn.Linear(256, 128)
            width = 128
        self.a = nn.Linear(width, 3)
        self.b = nn.Linear(width, 10)

    def forward(self, x):
        if model_name == "cnn":
            h = torch.relu(self.conv(self.embedding(x).transpose(1, 2))).max(dim=2).values
            h = torch.relu(self.dense(h))
        elif model_name == "gru":
            out, _ = self.gru(self.embedding(x))                                # [B, L, 128]
            h = torch.cat([out.max(dim=1).values, out.mean(dim=1)], dim=1)    # [B, 256]
        else:
            h = torch.relu(self.dense2(torch.relu(self.dense1(x))))
        return self.a(h), self.b(h)


net = Net()
optim = torch.optim.Adam(net.parameters(), lr=1e-3)
b = s["batch"]


def train_epoch():
    for i in range(0, len(x), b):
        optim.zero_grad()
        a, c = net(x[i:i + b])
        loss = F.cross_entropy(a, y3[i:i + b]) + F.cross_entropy(c, y10[i:i + b])
        loss.backward()
        optim.step()


def infer_epoch():
    with torch.no_grad():
        for i in range(0, len(x), b):
            a, c = net(x[i:i + b])
            torch.softmax(a, 1), torch.softmax(c, 1)


train_epoch()
infer_epoch()
train, infer, train_cpu, infer_cpu = [], [], [], []
for _ in range(repeats):
    start, cpu = time.perf_counter(), time.process_time()
    train_epoch()
    train.append(len(x) / (time.perf_counter() - start))
    train_cpu.append(len(x) / (time.process_time() - cpu))
    start, cpu = time.perf_counter(), time.process_time()
    infer_epoch()
    infer.append(len(x) / (time.perf_counter() - start))
    infer_cpu.append(len(x) / (time.process_time() - cpu))
report("pytorch", model_name, threads, train, infer, train_cpu, infer_cpu)
