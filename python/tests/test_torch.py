"""Controls on a real PyTorch module and optimizer (skipped where torch is not installed)."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mtl_tui import Controls, Run  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


@unittest.skipIf(torch is None, "PyTorch is not installed: the torch tests are skipped")
class TorchControlsTests(unittest.TestCase):
    def test_rate_freezing_and_weights_act_on_the_next_step(self):
        torch.manual_seed(0)
        model = torch.nn.Sequential()
        model.add_module("shared", torch.nn.Linear(4, 3))
        model.add_module("head", torch.nn.Linear(3, 1))
        optimizer = torch.optim.SGD([{"params": model.shared.parameters()}, {"params": model.head.parameters()}], lr=0.1)
        weights = {"y": 1.0}
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "run.jsonl")
            run = Run(path, {"y": "regression"}, model=model)
            with open(path, encoding="utf-8") as stream:
                layers = json.loads(stream.readline())["layers"]
            self.assertEqual([layer["name"] for layer in layers], ["shared", "head"])
            controls = Controls(run, model=model, optimizer=optimizer, loss_weights=weights)
            with open(path + ".commands", "a") as f:
                for command in ({"command": "set_lr", "lr": 0.05}, {"command": "freeze", "name": "shared"},
                                {"command": "set_loss_weight", "task": "y", "weight": 0.5}):
                    f.write(json.dumps(command) + "\n")
            self.assertTrue(controls.apply(0))
            self.assertEqual([g["lr"] for g in optimizer.param_groups], [0.05, 0.05])
            self.assertEqual({n: p.requires_grad for n, p in model.named_parameters()},
                             {"shared.weight": False, "shared.bias": False, "head.weight": True, "head.bias": True})
            before = {n: p.detach().clone() for n, p in model.named_parameters()}
            x, y = torch.randn(8, 4), torch.randn(8)
            loss = weights["y"] * torch.nn.functional.mse_loss(model(x).squeeze(1), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            for name, parameter in model.named_parameters():
                changed = not torch.equal(before[name], parameter.detach())
                self.assertEqual(changed, name.startswith("head"), name)
            run.close()


if __name__ == "__main__":
    unittest.main()
