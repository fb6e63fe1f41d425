import json
import os
import sys
import tempfile
import threading
import unittest

# Run from a clone without installing: the package is beside this directory.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mtl_tui import Command, CommandError, Controls, PROTOCOL_VERSION, Run


def read_events(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class FakeParameter:
    def __init__(self):
        self.requires_grad = True


class FakeModel:
    """What Controls uses of a torch.nn.Module: named_parameters()."""

    def __init__(self, names):
        self.parameters = {name: FakeParameter() for name in names}

    def named_parameters(self):
        return list(self.parameters.items())


class FakeOptimizer:
    def __init__(self, groups):
        self.param_groups = [{"lr": 0.1} for _ in range(groups)]


class RunTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.directory.name, "run.jsonl")

    def tearDown(self):
        self.directory.cleanup()

    def send(self, *lines):
        with open(self.path + ".commands", "a", encoding="utf-8") as f:
            for line in lines:
                f.write(line if isinstance(line, str) else json.dumps(line) + "\n")

    def test_writes_every_event_kind_as_one_json_line(self):
        run = Run(self.path, {"polarity": "binary", "score": "regression"}, epochs=2, model="toy")
        run.step(10, 1, {"polarity": 0.5, "score": float("nan")}, total=float("inf"), lr=0.01)
        run.epoch(1, 10, {"val": {"polarity": {"count": 4, "loss": 0.4, "accuracy": 0.75}}}, total_val_loss=None, seconds=1.5)
        run.message("info", 10, "hello \x1b[31m")
        run.done("finished", 20, {"test": {"score": {"count": 4, "mae": 0.3}}}, epoch=2)
        events = read_events(self.path)
        self.assertEqual([e["event"] for e in events], ["start", "step", "epoch", "message", "done"])
        start = events[0]
        self.assertEqual(start["version"], PROTOCOL_VERSION)
        self.assertEqual(start["tasks"], [{"name": "polarity", "kind": "binary"}, {"name": "score", "kind": "regression"}])
        self.assertTrue(start["accepts_commands"])
        self.assertEqual(start["commands"], self.path + ".commands")
        self.assertEqual(events[1]["loss"], {"polarity": 0.5, "score": None})
        self.assertIsNone(events[1]["total"])
        self.assertIsNone(events[2]["total_val_loss"])
        self.assertEqual(events[3]["message"], "hello \x1b[31m")
        with open(self.path, encoding="utf-8") as f:
            self.assertNotIn("\x1b", f.read(), "controls are escaped in the stream")
        self.assertEqual(events[4]["epoch"], 2)

    def test_tasks_may_name_their_classes(self):
        Run(self.path, [("domain", ("multiclass", ["books", "films", 3]))]).close()
        self.assertEqual(read_events(self.path)[0]["tasks"], [{"name": "domain", "kind": "multiclass", "classes": ["books", "films", "3"]}])

    def test_start_lists_a_modules_children_as_layers(self):
        class Parameter:
            def __init__(self, n):
                self.n = n

            def numel(self):
                return self.n

        class Child:
            def __init__(self, *sizes):
                self.sizes = sizes

            def parameters(self):
                return [Parameter(n) for n in self.sizes]

        class Module:
            def named_children(self):
                return [("trunk", Child(30, 6)), ("head_a", Child(7))]

        Run(self.path, {"a": "binary"}, model=Module()).close()
        start = read_events(self.path)[0]
        self.assertEqual(start["model"], "Module")
        self.assertEqual(start["layers"], [{"name": "trunk", "parameters": 36}, {"name": "head_a", "parameters": 7}])

    def test_epoch_metrics_need_a_count_said_at_the_call(self):
        run = Run(self.path, {"a": "multiclass", "b": "regression"}, epochs=10)
        # The tester's call: without counts, `watch` could not read the line; now it raises here.
        with self.assertRaisesRegex(ValueError, r"""epoch: metrics\['val'\]\['a'\] has no "count": give the number of rows"""):
            run.epoch(1, 10, {"val": {"a": {"loss": 0.4, "accuracy": 0.75}}})
        with self.assertRaisesRegex(ValueError, r"""done: metrics\['test'\]\['b'\] has no "count": """):
            run.done("finished", 10, {"test": {"b": {"mae": 0.3}}})
        # The count when known (an integral float or a tensor's item() is fine), None when not.
        run.epoch(1, 10, {"val": {"a": {"count": 24.0, "loss": 0.4}, "b": {"count": None, "loss": 0.9, "r2": float("nan")}}})
        run.close()
        self.assertEqual(read_events(self.path)[-1]["metrics"],
                         {"val": {"a": {"count": 24, "loss": 0.4}, "b": {"count": None, "loss": 0.9, "r2": None}}})

    def test_epoch_metrics_the_reader_could_not_read_are_refused_by_name(self):
        run = Run(self.path, {"a": "binary"})
        for metrics, message in [
            ({"val": {"A": {"count": 1}}}, r"metrics\['val'\]\['A'\]: no task 'A' \(tasks: a\)"),
            ({"val": {"a": {"count": -1}}}, r"""\["count"\] must be an int >= 0 or None, got -1"""),
            ({"val": {"a": {"count": 2, "note": "fine"}}}, r"\['note'\] must be a number or None, got 'fine'"),
            ({"val": {"a": {"count": 2, "confusion": [[1, 0], [0, "1"]]}}}, r"\['confusion'\] must be a list of lists of ints"),
            ({"val": {"a": {"count": 2, "f1_per_class": 0.5}}}, r"\['f1_per_class'\] must be a list of numbers"),
            ({"val": [0.5]}, r"metrics\['val'\] must be \{task: \{name: value\}\}"),
        ]:
            with self.assertRaisesRegex(ValueError, message):
                run.epoch(1, 1, metrics)
        run.close()
        self.assertEqual([e["event"] for e in read_events(self.path)], ["start"], "nothing half-written")

    def test_rejects_an_unknown_task_kind(self):
        with self.assertRaisesRegex(ValueError, "task 'a': kind must be one of"):
            Run(self.path, {"a": "ranking"})

    def test_without_commands_the_start_says_so_and_no_file_is_made(self):
        run = Run(self.path, {"a": "binary"}, accepts_commands=False)
        run.close()
        self.assertFalse(read_events(self.path)[0]["accepts_commands"])
        self.assertFalse(os.path.exists(self.path + ".commands"))
        self.assertEqual(run.poll_commands(), [])

    def test_a_new_run_empties_an_old_command_file(self):
        self.send({"command": "stop"})
        run = Run(self.path, {"a": "binary"})
        self.assertEqual(run.poll_commands(), [])
        run.close()

    def test_polls_appended_commands_waits_for_a_whole_line_and_reports_bad_ones(self):
        run = Run(self.path, {"a": "binary"})
        self.send({"command": "pause", "id": "p1"}, "not json\n", {"command": "set_lr", "lr": -1}, '{"command":"resume"')
        commands = run.poll_commands()
        self.assertEqual([(c.name, c.line, c.id) for c in commands], [("pause", 1, "p1")])
        self.send("}\n")
        self.assertEqual([(c.name, c.line) for c in run.poll_commands()], [("resume", 4)])
        errors = [e for e in read_events(self.path) if e["event"] == "command_error"]
        self.assertEqual([(e["line"], e["message"]) for e in errors],
                         [(2, "not a JSON object"), (3, 'set_lr needs "lr", a finite number > 0')])
        run.close()

    def test_examples_keeps_the_hardest_rows_and_the_confusion_counts(self):
        run = Run(self.path, {"polarity": ("binary", ["neg", "pos"]), "score": "regression"})
        self.addCleanup(run.close)
        run.step(7, 1, {"polarity": 0.5, "score": 1.0})
        rows = [{"key": "r%d" % i, "text": "x" * 300, "label": "pos", "predicted": "neg", "probability": 0.6, "loss": float(i)}
                for i in range(5)]
        rows.append({"key": 99, "split": "test", "loss": float("nan")})
        run.examples("polarity", rows, (["neg", "pos"], [[3, 1], [2, 4]]), epoch=1, limit=4)
        event = read_events(self.path)[-1]
        self.assertEqual(event["event"], "examples")
        self.assertEqual((event["task"], event["step"], event["epoch"]), ("polarity", 7, 1))
        self.assertEqual([r["key"] for r in event["rows"]], ["r4", "r3", "r2", "r1"], "the 4 of highest loss, highest first")
        self.assertEqual(len(event["rows"][0]["text"]), 200)
        self.assertEqual(event["rows"][0]["split"], "val")
        self.assertEqual(event["confusion"], {"classes": ["neg", "pos"], "matrix": [[3, 1], [2, 4]]})
        run.examples("score", rows[5:], step=9)
        event = read_events(self.path)[-1]
        self.assertEqual(event["rows"], [{"key": "99", "split": "test", "loss": None}], "NaN travels as null")
        self.assertNotIn("confusion", event)
        with self.assertRaisesRegex(ValueError, "no task 'nope'"):
            run.examples("nope", [])
        with self.assertRaisesRegex(ValueError, "2×2"):
            run.examples("polarity", [], {"classes": ["neg", "pos"], "matrix": [[1, 2, 3]]})
        with self.assertRaisesRegex(ValueError, "split must be"):
            run.examples("polarity", [{"key": "a", "split": "dev"}])

    def test_command_parse_explains_each_problem(self):
        cases = {
            '{"command":"explode"}': "unknown command 'explode'",
            '{"command":"set_loss_weight","weight":1}': 'set_loss_weight needs "task"',
            '{"command":"set_loss_weight","task":"a","weight":true}': 'needs "weight"',
            '{"command":"set_loss_weight","task":"a","weight":1e300}': 'a number from 0 to 1000',
            '{"command":"freeze"}': 'freeze needs "name"',
            '{"command":"step","count":0}': 'step needs "count" ≥ 1',
            '[1]': "not a JSON object",
        }
        for text, message in cases.items():
            with self.assertRaises(CommandError) as caught:
                Command.parse(text, 7)
            self.assertIn(message, caught.exception.message)
            self.assertEqual(caught.exception.line, 7)


class ControlsTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.directory.name, "run.jsonl")
        self.run = Run(self.path, {"polarity": "binary", "score": "regression"})

    def tearDown(self):
        self.run.close()
        self.directory.cleanup()

    def send(self, *commands):
        with open(self.path + ".commands", "a", encoding="utf-8") as f:
            for command in commands:
                f.write(json.dumps(command) + "\n")

    def acks(self):
        return [(e["command"], e["step"]) for e in read_events(self.path) if e["event"] == "ack"]

    def test_applies_weights_rate_and_freezing_and_acknowledges_at_the_step(self):
        model = FakeModel(["trunk.conv.weight", "trunk.conv.bias", "heads.polarity.weight"])
        optimizer = FakeOptimizer(groups=2)
        weights = {"polarity": 1.0, "score": 1.0}
        controls = Controls(self.run, model=model, optimizer=optimizer, loss_weights=weights)
        self.send({"command": "set_loss_weight", "task": "score", "weight": 0.25},
                  {"command": "set_lr", "lr": 0.003}, {"command": "freeze", "name": "trunk"})
        self.assertTrue(controls.apply(step=7))
        self.assertEqual(weights, {"polarity": 1.0, "score": 0.25})
        self.assertEqual([g["lr"] for g in optimizer.param_groups], [0.003, 0.003])
        self.assertEqual({n: p.requires_grad for n, p in model.named_parameters()},
                         {"trunk.conv.weight": False, "trunk.conv.bias": False, "heads.polarity.weight": True})
        self.assertEqual(self.acks(), [("set_loss_weight", 7), ("set_lr", 7), ("freeze", 7)])
        acks = [e for e in read_events(self.path) if e["event"] == "ack"]
        self.assertEqual((acks[0]["task"], acks[0]["weight"], acks[1]["lr"], acks[2]["name"]), ("score", 0.25, 0.003, "trunk"))
        self.send({"command": "unfreeze", "name": "trunk.conv.b"})
        controls.apply(step=8)
        self.assertTrue(model.parameters["trunk.conv.bias"].requires_grad)
        self.assertFalse(model.parameters["trunk.conv.weight"].requires_grad)

    def test_refuses_what_cannot_apply_with_a_command_error(self):
        controls = Controls(self.run, model=FakeModel(["a.w"]), loss_weights={"polarity": 1.0})
        self.send({"command": "set_loss_weight", "task": "nope", "weight": 1, "id": "x"},
                  {"command": "set_lr", "lr": 0.1}, {"command": "freeze", "name": "zzz"}, {"command": "save", "path": "p"})
        controls.apply(step=1)
        self.assertEqual(self.acks(), [])
        errors = [(e["line"], e["message"]) for e in read_events(self.path) if e["event"] == "command_error"]
        self.assertEqual([line for line, _ in errors], [1, 2, 3, 4])
        self.assertEqual([e.get("step") for e in read_events(self.path) if e["event"] == "command_error"], [1, 1, 1, 1])
        self.assertIn("no task named 'nope'", errors[0][1])
        self.assertIn("no optimizer", errors[1][1])

    def test_pause_blocks_until_resume_and_step_runs_a_budget(self):
        controls = Controls(self.run, poll_seconds=0.01)
        self.send({"command": "pause"})
        returned = threading.Event()

        def loop():
            controls.apply(step=3)
            returned.set()

        thread = threading.Thread(target=loop)
        thread.start()
        self.assertFalse(returned.wait(0.2), "apply returned while paused")
        self.send({"command": "step", "count": 2})
        self.assertTrue(returned.wait(2), "a step command lets one step run")
        self.assertTrue(controls.apply(step=4), "the second step of the budget")
        returned.clear()
        thread = threading.Thread(target=loop)
        thread.start()
        self.assertFalse(returned.wait(0.1), "paused again after the budget")
        self.send({"command": "resume"})
        self.assertTrue(returned.wait(2))
        thread.join()
        self.assertEqual([name for name, _ in self.acks()], ["pause", "step", "resume"])
        self.send({"command": "stop"})
        self.assertFalse(controls.apply(step=5))
        self.assertTrue(controls.should_stop)

    def test_save_calls_the_save_function(self):
        saved = []
        controls = Controls(self.run, save=saved.append)
        self.send({"command": "save", "path": "ckpt"})
        controls.apply(step=2)
        self.assertEqual(saved, ["ckpt"])
        self.assertEqual(self.acks(), [("save", 2)])


class OptionalCallbacksTests(unittest.TestCase):
    def test_callbacks_say_what_they_need_when_the_framework_is_missing(self):
        for module, package in (("mtl_tui.lightning", "lightning"), ("mtl_tui.keras", "keras")):
            try:
                __import__(package)
                continue   # installed: the callback module imports
            except ImportError:
                pass
            with self.assertRaisesRegex(ImportError, "needs"):
                __import__(module)


if __name__ == "__main__":
    unittest.main()
