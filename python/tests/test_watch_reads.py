"""The bridge's output through the real reader: `mtl-tui watch --dump-screen` on a stream the
bridge wrote. Skipped when no built binary is found (`swift build` first, or MTL_TUI_BIN)."""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from mtl_tui import Run  # noqa: E402

BINARY = os.environ.get("MTL_TUI_BIN") or os.path.join(HERE, "..", "..", ".build", "debug", "mtl-tui")


@unittest.skipUnless(os.access(BINARY, os.X_OK), "no mtl-tui binary (swift build, or set MTL_TUI_BIN): skipped")
class WatchReadsTheBridgeTests(unittest.TestCase):
    def screen(self, path, view):
        result = subprocess.run([BINARY, "watch", path, "--dump-screen", "120x40", "--view", str(view)],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_epochs_with_and_without_a_known_count_fill_the_metrics(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "run.jsonl")
            # The tester's run: epochs known, no steps per epoch or rate; `b` as a Lightning or
            # Keras callback writes it, without knowing its count.
            run = Run(path, {"a": "multiclass", "b": "regression"}, epochs=10000)
            step = 0
            for epoch in range(1, 4):
                for _ in range(10):
                    step += 1
                    run.step(step, epoch, {"a": 1 / step, "b": 2 / step})
                run.epoch(epoch, step, {"val": {"a": {"count": 40, "loss": 0.25 * epoch, "accuracy": 0.5},
                                                "b": {"count": None, "loss": 0.75, "mae": 0.125}}})
            run.close()
            events = self.screen(path, 2)
            self.assertNotIn("stream line", events, "watch refused a line the bridge wrote")
            rows = {line.split()[0]: line.split() for line in self.screen(path, 1).splitlines()
                    if line.split() and line.split()[0] in ("a", "b") and "weight" not in line}
            # task, val loss, best, its epoch, metric, latest…
            self.assertEqual(rows["a"][1:4], ["0.750", "0.250", "e1"], rows)
            self.assertEqual(rows["b"][1:2], ["0.750"], rows)


if __name__ == "__main__":
    unittest.main()
