"""The VADER multi-task example trained data-parallel with torchrun, watched and steered by mtl-tui.

    torchrun --nproc_per_node=2 python/examples/torch_ddp.py --events runs/ddp.jsonl   # needs torch
    mtl-tui watch runs/ddp.jsonl                                                       # another terminal

Every rank trains the model of `torch_multitask.py` on its own slice of each batch (gloo backend,
CPU) and averages the gradients. Rank 0 alone writes the event stream and reads the command file;
at each step boundary it broadcasts the commands it found, so a pause, a loss-weight or a
learning-rate change takes effect on every rank at the same step. Each rank appends the step at
which it applied each command to `EVENTS.rank<N>.log`.
"""

import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from mtl_tui import Controls, Run  # noqa: E402
from torch_multitask import DOMAINS, POLARITY, ROOT, MultiTask, batches, evaluate, load  # noqa: E402


class BroadcastRun:
    """What `Controls` needs from a run, shared by all ranks: rank 0 polls the real command file
    and broadcasts the commands; every rank applies the same list, so all stay in lockstep (a pause
    polls collectively too). Acks and messages go to the stream from rank 0 only."""

    def __init__(self, run, rank, log_path, tasks):
        self.run, self.rank, self.tasks = run, rank, tasks
        self.log = open(log_path, "w", encoding="utf-8")

    def poll_commands(self):
        box = [self.run.poll_commands() if self.run is not None else None]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def ack(self, command, step):
        self.log.write(json.dumps({"rank": self.rank, "step": step, "command": command.name, "fields": command.fields}) + "\n")
        self.log.flush()
        if self.run is not None:
            self.run.ack(command, step)

    def command_error(self, error):
        if self.run is not None:
            self.run.command_error(error)

    def message(self, kind, step, text):
        if self.run is not None:
            self.run.message(kind, step, text)


def average_gradients(model, world):
    """All-reduce by hand rather than DistributedDataParallel: a parameter frozen by a command
    (on every rank at the same step) simply has no gradient, which DDP's hooks do not allow."""
    for parameter in model.parameters():
        if parameter.grad is not None:
            dist.all_reduce(parameter.grad)
            parameter.grad /= world


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", default="runs/ddp.jsonl", help="the event stream rank 0 writes (commands: FILE.commands)")
    parser.add_argument("--data", default=os.path.join(ROOT, "sample-data", "vader-domains", "vader_domains.csv"))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32, help="the global batch, split across ranks")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N rows only (0: all)")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after N steps (0: no limit)")
    parser.add_argument("--log-every", type=int, default=10)
    args = parser.parse_args()

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)   # the same initial weights on every rank
    rows = load(args.data)
    if args.limit:
        rows = rows[:args.limit]
    cut = len(rows) * 9 // 10
    train, val = rows[:cut], rows[cut:]
    model = MultiTask()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    weights = {"domain": 1.0, "polarity": 1.0, "score": 1.0}
    steps_per_epoch = (len(train) + args.batch_size - 1) // args.batch_size
    run = None
    if rank == 0:
        os.makedirs(os.path.dirname(os.path.abspath(args.events)), exist_ok=True)
        run = Run(args.events, [("domain", ("multiclass", DOMAINS)), ("polarity", ("multiclass", POLARITY)),
                                ("score", "regression")],
                  epochs=args.epochs, model=model, steps_per_epoch=steps_per_epoch, lr=args.lr,
                  rows={"train": len(train), "val": len(val)}, world_size=world)
    shared = BroadcastRun(run, rank, "%s.rank%d.log" % (args.events, rank), list(weights))
    controls = Controls(shared, model=model, optimizer=optimizer, loss_weights=weights)
    part = train[:len(train) - len(train) % world][rank::world]   # equal slices: ranks step in lockstep
    step, state, metrics, epoch = 0, "finished", {}, 0
    for epoch in range(1, args.epochs + 1):
        started = time.time()
        for ids, offsets, domain, polarity, score in batches(part, max(1, args.batch_size // world)):
            if not controls.apply(step) or (args.max_steps and step >= args.max_steps):
                state = "stopped"
                break
            d, p, s = model(ids, offsets)
            losses = {"domain": nn.functional.cross_entropy(d, domain),
                      "polarity": nn.functional.cross_entropy(p, polarity),
                      "score": nn.functional.huber_loss(s, score)}
            total = sum(weights[t] * losses[t] for t in losses)
            optimizer.zero_grad()
            total.backward()
            average_gradients(model, world)
            optimizer.step()
            step += 1
            if run is not None and step % args.log_every == 0:
                run.step(step, epoch, {t: l.item() for t, l in losses.items()}, total=total.item(),
                         lr=optimizer.param_groups[0]["lr"])
        if rank == 0:
            metrics, val_total = evaluate(model, val, weights)
            run.epoch(epoch, step, {"val": metrics}, total_val_loss=val_total, seconds=time.time() - started)
        if state == "stopped":
            break
    if run is not None:
        run.done(state, step, {"val": metrics}, epoch=epoch)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
