"""The Lightning and Keras callbacks driven through their hooks, with stand-ins for the
frameworks (registered in sys.modules only when the real one is not installed)."""

import importlib
import json
import os
import sys
import tempfile
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read_events(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def stand_in(name, **attributes):
    """A module `name` (and its parents) holding `attributes`, unless the real one imports."""
    try:
        importlib.import_module(name)
        return False
    except ImportError:
        pass
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    for key, value in attributes.items():
        setattr(sys.modules[name], key, value)
    return True


class Base:
    def __init__(self):
        pass


class Parameter:
    def __init__(self):
        self.requires_grad = True


class LightningCallbackTests(unittest.TestCase):
    def setUp(self):
        self.faked = stand_in("lightning.pytorch", Callback=Base)
        if not self.faked:
            self.skipTest("real Lightning installed: its own tests cover it")
        sys.modules.pop("mtl_tui.lightning", None)
        from mtl_tui.lightning import WatchCallback
        self.directory = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.directory.name, "run.jsonl")
        self.callback = WatchCallback(self.path, {"a": "binary", "b": "regression"}, log_every=1)

    def tearDown(self):
        for name in ("lightning.pytorch", "lightning", "mtl_tui.lightning"):
            sys.modules.pop(name, None)
        self.directory.cleanup()

    def test_hooks_write_the_stream_and_apply_commands(self):
        optimizer = types.SimpleNamespace(param_groups=[{"lr": 0.1}])
        parameters = {"trunk.w": Parameter(), "head.w": Parameter()}
        module = types.SimpleNamespace(loss_weights={"a": 1.0, "b": 1.0}, named_parameters=lambda: list(parameters.items()))
        saved = []
        trainer = types.SimpleNamespace(max_epochs=3, optimizers=[optimizer], global_step=0, current_epoch=0,
                                        should_stop=False, callback_metrics={}, save_checkpoint=saved.append)
        c = self.callback
        c.on_fit_start(trainer, module)
        with open(self.path + ".commands", "a") as f:
            for command in ({"command": "set_lr", "lr": 0.01}, {"command": "set_loss_weight", "task": "b", "weight": 0.5},
                            {"command": "freeze", "name": "trunk"}, {"command": "save", "path": "ckpt"}):
                f.write(json.dumps(command) + "\n")
        c.on_train_batch_start(trainer, module, None, 0)
        self.assertEqual(optimizer.param_groups[0]["lr"], 0.01)
        self.assertEqual(module.loss_weights, {"a": 1.0, "b": 0.5})
        self.assertFalse(parameters["trunk.w"].requires_grad)
        self.assertEqual(saved, ["ckpt"])
        trainer.global_step = 1
        c.on_train_batch_end(trainer, module, {"loss": 0.9, "loss_a": 0.6, "loss_b": 0.6}, None, 0)
        trainer.callback_metrics = {"val_loss": 0.8, "val_loss_a": 0.5, "val_accuracy_a": 0.75, "val_loss_b": 0.6, "train_loss": 1}
        c.on_validation_epoch_end(trainer, module)
        with open(self.path + ".commands", "a") as f:
            f.write(json.dumps({"command": "stop"}) + "\n")
        c.on_train_batch_start(trainer, module, None, 1)
        self.assertTrue(trainer.should_stop)
        c.on_fit_end(trainer, module)
        events = read_events(self.path)
        kinds = [e["event"] for e in events]
        self.assertEqual(kinds[0], "start")
        self.assertEqual(events[0]["epochs"], 3)
        step = next(e for e in events if e["event"] == "step")
        self.assertEqual((step["step"], step["epoch"], step["loss"], step["total"], step["lr"]), (1, 1, {"a": 0.6, "b": 0.6}, 0.9, 0.01))
        epoch = next(e for e in events if e["event"] == "epoch")
        self.assertEqual(epoch["metrics"]["val"]["a"]["accuracy"], 0.75)
        self.assertEqual(epoch["total_val_loss"], 0.8)
        self.assertEqual([e["command"] for e in events if e["event"] == "ack"], ["set_lr", "set_loss_weight", "freeze", "save", "stop"])
        self.assertEqual(events[-1]["event"], "done")
        self.assertEqual(events[-1]["state"], "stopped")


class KerasCallbackTests(unittest.TestCase):
    def setUp(self):
        self.faked = stand_in("keras", callbacks=types.SimpleNamespace(Callback=Base))
        if not self.faked:
            self.skipTest("real Keras installed: its own tests cover it")
        sys.modules.pop("mtl_tui.keras", None)
        from mtl_tui.keras import WatchCallback
        self.directory = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.directory.name, "run.jsonl")
        self.WatchCallback = WatchCallback

    def tearDown(self):
        for name in ("keras", "mtl_tui.keras"):
            sys.modules.pop(name, None)
        self.directory.cleanup()

    def test_hooks_write_the_stream_and_apply_commands(self):
        class Variable:
            def __init__(self, value):
                self.value = value

            def assign(self, value):
                self.value = value

        weights = {"a": Variable(1.0), "b": 1.0}
        layers = [types.SimpleNamespace(name="dense_trunk", trainable=True), types.SimpleNamespace(name="head_a", trainable=True)]
        model = types.SimpleNamespace(name="m", layers=layers, stop_training=False,
                                      optimizer=types.SimpleNamespace(learning_rate=Variable(0.1)), save=lambda path: None)
        c = self.WatchCallback(self.path, {"a": "binary", "b": "regression"}, loss_weights=weights, log_every=1)
        c.model, c.params = model, {"epochs": 2}
        c.on_train_begin()
        c.on_epoch_begin(0)
        with open(self.path + ".commands", "a") as f:
            for command in ({"command": "set_lr", "lr": 0.02}, {"command": "set_loss_weight", "task": "a", "weight": 3},
                            {"command": "set_loss_weight", "task": "b", "weight": 2}, {"command": "freeze", "name": "dense"}):
                f.write(json.dumps(command) + "\n")
        c.on_train_batch_begin(0)
        self.assertEqual(model.optimizer.learning_rate.value, 0.02)
        self.assertIs(c.loss_weights["a"], weights["a"], "a Keras variable is assigned, not replaced")
        self.assertEqual(weights["a"].value, 3)
        self.assertEqual(c.loss_weights["b"], 2)
        self.assertEqual([layer.trainable for layer in layers], [False, True])
        c.on_train_batch_end(0, {"loss": 1.5, "a_loss": 0.5, "b_loss": 1.0})
        c.on_epoch_end(0, {"loss": 1.5, "val_loss": 1.2, "val_a_loss": 0.4, "val_a_accuracy": 0.8, "b_loss": 1.0})
        with open(self.path + ".commands", "a") as f:
            f.write(json.dumps({"command": "stop"}) + "\n")
        c.on_train_batch_begin(1)
        self.assertTrue(model.stop_training)
        c.on_train_end()
        events = read_events(self.path)
        step = next(e for e in events if e["event"] == "step")
        self.assertEqual((step["step"], step["epoch"], step["loss"], step["total"]), (1, 1, {"a": 0.5, "b": 1.0}, 1.5))
        epoch = next(e for e in events if e["event"] == "epoch")
        self.assertEqual(epoch["metrics"]["val"]["a"], {"count": None, "loss": 0.4, "accuracy": 0.8})
        self.assertEqual(epoch["metrics"]["train"]["b"], {"count": None, "loss": 1.0})
        self.assertEqual(events[-1]["state"], "stopped")


if __name__ == "__main__":
    unittest.main()
