"""The torchrun example under two gloo processes: commands apply on both ranks at the same step.

Skipped when torch is absent (from `python3`, or from the interpreter named by MTL_TUI_PYTHON)."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "examples", "torch_ddp.py")
PYTHON = os.environ.get("MTL_TUI_PYTHON") or sys.executable


def has_torch():
    try:
        return subprocess.run([PYTHON, "-c", "import torch.distributed"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def events(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


@unittest.skipUnless(has_torch(), "PyTorch is not installed (set MTL_TUI_PYTHON to an interpreter with torch): skipped")
class TorchDDPTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.directory.name, "ddp.jsonl")
        self.process = subprocess.Popen(
            # `--redirects 1 --tee 1`: torch 1.13's launcher (Debian's python3-torch) cannot parse
            # the default "0" under Python 3.11; workers' stdout still reaches the console.
            [PYTHON, "-m", "torch.distributed.run", "--redirects", "1", "--tee", "1",
             "--nproc_per_node=2", "--master_addr=127.0.0.1",
             "--master_port=%d" % free_port(), EXAMPLE, "--events", self.path, "--limit", "400",
             "--epochs", "100", "--max-steps", "2000", "--log-every", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.deadline = time.time() + 90

    def tearDown(self):
        if self.process.poll() is None:   # never leave the launcher or its workers behind
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process.stdout.close()
        self.directory.cleanup()

    def wait_for(self, what, test):
        while time.time() < self.deadline:
            if os.path.exists(self.path):
                found = [e for e in events(self.path) if test(e)]
                if found:
                    return found[0]
            if self.process.poll() is not None:
                self.fail("torchrun exited (%s) before %s:\n%s" % (self.process.returncode, what, self.process.stdout.read().decode()[-2000:]))
            time.sleep(0.05)
        self.fail("timed out waiting for " + what)

    def send(self, *commands):
        with open(self.path + ".commands", "a", encoding="utf-8") as f:
            for command in commands:
                f.write(json.dumps(command) + "\n")

    def acked(self, name):
        return lambda e: e["event"] == "ack" and e.get("command") == name

    def test_pause_step_weight_and_resume_apply_on_both_ranks_at_the_same_step(self):
        self.wait_for("the start event", lambda e: e["event"] == "start")
        self.send({"command": "pause"})
        paused = self.wait_for("the pause ack", self.acked("pause"))["step"]
        self.send({"command": "step", "count": 3})
        self.wait_for("three more steps", lambda e: e["event"] == "step" and e["step"] == paused + 3)
        self.send({"command": "set_loss_weight", "task": "score", "weight": 0.25}, {"command": "resume"})
        self.wait_for("the resume ack", self.acked("resume"))
        self.wait_for("a step after the resume", lambda e: e["event"] == "step" and e["step"] > paused + 4)
        self.send({"command": "stop"})
        done = self.wait_for("the done event", lambda e: e["event"] == "done")
        self.assertEqual(done["state"], "stopped")
        self.process.wait(timeout=max(1, self.deadline - time.time()))
        self.assertEqual(self.process.returncode, 0)

        logs = []
        for rank in (0, 1):
            with open("%s.rank%d.log" % (self.path, rank), encoding="utf-8") as f:
                logs.append([(r["command"], r["step"], r["fields"]) for r in map(json.loads, f)])
        self.assertEqual(logs[0], logs[1])
        self.assertEqual([(c, s) for c, s, _ in logs[0]],
                         [("pause", paused), ("step", paused), ("set_loss_weight", paused + 3),
                          ("resume", paused + 3), ("stop", logs[0][-1][1])])
        self.assertEqual(logs[1][2][2], {"command": "set_loss_weight", "task": "score", "weight": 0.25})


if __name__ == "__main__":
    unittest.main()
