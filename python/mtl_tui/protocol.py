"""The event stream and the command channel (protocol/README.md in the mtl-tui repository)."""

import json
import math
import os
import threading

PROTOCOL_VERSION = 1

TASK_KINDS = ("binary", "multiclass", "multilabel", "regression")
# The range mtl-tui's own runs take (LossWeight): a larger weight overflows 32-bit losses.
MAX_LOSS_WEIGHT = 1000.0
COMMANDS = ("pause", "resume", "step", "stop", "save", "freeze", "unfreeze", "set_loss_weight", "set_lr")


def _finite(value):
    """JSON has no NaN or infinity: they travel as null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _clean(value):
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):   # a 0-d tensor or numpy scalar
        return _clean(value.item())
    return value


# Per-class arrays and the confusion matrix a task's metrics may carry besides its named values.
_ARRAYS = ("precision_per_class", "recall_per_class", "f1_per_class", "support_per_class", "thresholds")


def _number(value):
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _metric_sets(metrics, tasks, call):
    """`metrics` cleaned, or ValueError naming the first key `mtl-tui watch` could not read.

    Each task's dict needs "count": the rows with the task's label that its values were computed
    on. Only the caller knows it, so it must say it, or say None (not known)."""
    metrics = _clean(metrics or {})
    if not isinstance(metrics, dict):
        raise ValueError("%s: metrics must be {set: {task: {name: value}}}, got %r" % (call, metrics))
    for split, by_task in metrics.items():
        if not isinstance(by_task, dict):
            raise ValueError("%s: metrics[%r] must be {task: {name: value}}, got %r" % (call, split, by_task))
        for task, values in by_task.items():
            where = "%s: metrics[%r][%r]" % (call, split, task)
            if task not in tasks:
                raise ValueError("%s: no task %r (tasks: %s)" % (where, task, ", ".join(tasks)))
            if not isinstance(values, dict):
                raise ValueError("%s must be {name: value}, got %r" % (where, values))
            if "count" not in values:
                raise ValueError('%s has no "count": give the number of rows with a %s label these metrics were '
                                 'computed on, or "count": None when it is not known' % (where, task))
            count = values["count"]
            if isinstance(count, float) and count.is_integer():   # a sum computed in floats
                count = values["count"] = int(count)
            if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
                raise ValueError('%s["count"] must be an int >= 0 or None, got %r' % (where, count))
            for name, value in values.items():
                if name == "confusion":
                    ok = isinstance(value, list) and all(isinstance(row, list) and all(isinstance(c, int) for c in row)
                                                         for row in value)
                elif name in _ARRAYS:
                    ok = isinstance(value, list) and all(_number(v) for v in value)
                else:
                    ok = name == "count" or _number(value)
                if not ok:
                    raise ValueError("%s[%r] must be %s, got %r" % (
                        where, name, "a list of lists of ints" if name == "confusion"
                        else "a list of numbers" if name in _ARRAYS else "a number or None", value))
    return metrics


def layers_of(module):
    """[(name, parameter count)] of a torch module's children: what `freeze NAME` takes."""
    return [(name, sum(p.numel() for p in child.parameters())) for name, child in module.named_children()]


class CommandError(ValueError):
    """A command line that cannot apply; `line` is its line number in the command file, `step`
    the steps the run had completed when it refused it (None for a line that did not decode)."""

    def __init__(self, line, message, command_id=None, step=None):
        super().__init__("line %d: %s" % (line, message))
        self.line = line
        self.message = message
        self.id = command_id
        self.step = step


class Command:
    """One command from the channel: `name` (pause, set_lr…), its fields, `id` and `line`."""

    def __init__(self, name, fields, line):
        self.name = name
        self.fields = fields
        self.line = line
        self.id = fields.get("id")

    def __repr__(self):
        return "Command(%r, %r, line=%d)" % (self.name, self.fields, self.line)

    @staticmethod
    def parse(text, line):
        """A command from one line, or CommandError saying what is wrong with it."""
        try:
            fields = json.loads(text)
        except ValueError:
            raise CommandError(line, "not a JSON object")
        if not isinstance(fields, dict):
            raise CommandError(line, "not a JSON object")
        command_id = fields.get("id") if isinstance(fields.get("id"), str) else None
        name = fields.get("command")
        if name not in COMMANDS:
            raise CommandError(line, "unknown command %r (one of: %s)" % (name, ", ".join(COMMANDS)), command_id)

        def number(key):
            value = fields.get(key)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        problem = None
        if name == "set_loss_weight":
            weight = number("weight")
            if not isinstance(fields.get("task"), str) or not fields["task"]:
                problem = 'set_loss_weight needs "task"'
            elif weight is None or not 0 <= weight <= MAX_LOSS_WEIGHT:   # NaN fails the range too
                problem = 'set_loss_weight needs "weight", a number from 0 to %g' % MAX_LOSS_WEIGHT
        elif name == "set_lr":
            lr = number("lr")
            if lr is None or not math.isfinite(lr) or lr <= 0:
                problem = 'set_lr needs "lr", a finite number > 0'
        elif name in ("freeze", "unfreeze"):
            if not isinstance(fields.get("name"), str) or not fields["name"]:
                problem = '%s needs "name" (a layer or module name)' % name
        elif name == "step":
            count = fields.get("count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                problem = 'step needs "count" ≥ 1'
        if problem:
            raise CommandError(line, problem, command_id)
        return Command(name, fields, line)


class Run:
    """Writes one run's event stream to `path` and reads commands appended to `path + ".commands"`.

    `tasks`: {name: kind} or [(name, kind)], kind one of binary, multiclass, multilabel, regression,
    or (kind, class names) so confusion matrices are labelled.
    With `accepts_commands` (the default) the command file is created empty and `start` says so,
    so `mtl-tui watch` offers its controls. Safe to call from several threads.
    """

    def __init__(self, path, tasks, epochs=None, model=None, accepts_commands=True, commands_path=None, layers=None,
                 **start_fields):
        task_list = list(tasks.items()) if isinstance(tasks, dict) else [tuple(t) for t in tasks]
        described = []
        for name, kind in task_list:
            classes = None
            if isinstance(kind, (tuple, list)):   # (kind, class names)
                kind, classes = kind
            if kind not in TASK_KINDS:
                raise ValueError("task %r: kind must be one of %s, got %r" % (name, ", ".join(TASK_KINDS), kind))
            task = {"name": name, "kind": kind}
            if classes is not None:
                task["classes"] = [str(c) for c in classes]
            described.append(task)
        self.path = path
        self.tasks = [name for name, _ in task_list]
        self.commands_path = (commands_path or path + ".commands") if accepts_commands else None
        self._lock = threading.Lock()
        self._stream = open(path, "w", encoding="utf-8")
        self._offset = 0
        self._pending = b""
        self._line = 0
        self.last_step = 0
        if self.commands_path:
            open(self.commands_path, "w").close()   # a new run never replays an old run's commands
        start = {"version": PROTOCOL_VERSION, "producer": "python",
                 "tasks": described,
                 "accepts_commands": bool(self.commands_path)}
        if self.commands_path:
            start["commands"] = self.commands_path
        if epochs is not None:
            start["epochs"] = int(epochs)
        if model is not None:
            start["model"] = model if isinstance(model, str) else type(model).__name__
        if layers is None and hasattr(model, "named_children"):
            layers = layers_of(model)
        if layers is not None:
            start["layers"] = [{"name": n, "parameters": int(c)} for n, c in layers]
        start.update(start_fields)
        self.write("start", **start)

    # Events

    def write(self, event, **fields):
        """Appends one event line (and flushes it, so a watcher sees it at once)."""
        fields["event"] = event
        line = json.dumps(_clean(fields), sort_keys=True, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def step(self, step, epoch, losses, total=None, lr=None):
        """`losses`: {task: loss or None}; `total`: the weighted loss minimised; `lr` if known."""
        self.last_step = int(step)
        fields = {"step": int(step), "epoch": int(epoch), "loss": dict(losses), "total": total}
        if lr is not None:
            fields["lr"] = lr
        self.write("step", **fields)

    def epoch(self, epoch, step, metrics, total_val_loss=None, seconds=None):
        """`metrics`: {set: {task: {"count": n, "loss": x, "accuracy": y, ...}}} (set: train, val, test).

        `count` is required: the rows with the task's label the values were computed on (0 when the
        set had none), or None when it is not known. ValueError names a key `watch` could not read."""
        fields = {"epoch": int(epoch), "step": int(step), "metrics": _metric_sets(metrics, self.tasks, "epoch"),
                  "total_val_loss": total_val_loss}
        if seconds is not None:
            fields["seconds"] = seconds
        self.write("epoch", **fields)

    def message(self, kind, step, message):
        """`kind`: command, info, warning or error."""
        self.write("message", kind=kind, step=int(step), message=str(message))

    def ack(self, command, step):
        """Says `command` took effect after `step` completed steps."""
        fields = {"command": command.name, "line": command.line, "step": int(step)}
        if command.id is not None:
            fields["id"] = command.id
        for key in ("task", "weight", "lr", "name"):   # the values it set, for every reader
            if key in command.fields:
                fields[key] = command.fields[key]
        self.write("ack", **fields)

    def command_error(self, error):
        fields = {"line": error.line, "message": error.message}
        if error.id is not None:
            fields["id"] = error.id
        if getattr(error, "step", None) is not None:
            fields["step"] = error.step
        self.write("command_error", **fields)

    def examples(self, task, rows, confusion=None, step=None, epoch=None, limit=200):
        """One task's hardest examples (and its confusion counts) for `mtl-tui watch`'s views 3 and 4.

        `rows`: dicts with `key` (the row's id), `text` (its input, cut to 200 characters),
        `split` (train, val or test; default val), `label` (true), `predicted`, `probability`
        (of the prediction) and `loss`; the `limit` of highest loss are kept, highest first.
        `confusion`: (class names, matrix) or {"classes": ..., "matrix": ...}, rows true,
        columns predicted. `step` defaults to the last step written.
        """
        if task not in self.tasks:
            raise ValueError("examples: no task %r (tasks: %s)" % (task, ", ".join(self.tasks)))
        described = []
        for number, row in enumerate(rows):
            if not isinstance(row, dict) or "key" not in row:
                raise ValueError("examples: row %d needs a \"key\"" % number)
            split = row.get("split", "val")
            if split not in ("train", "val", "test"):
                raise ValueError("examples: row %d: split must be train, val or test, got %r" % (number, split))
            entry = {"key": str(row["key"]), "split": split}
            if row.get("text") is not None:
                entry["text"] = str(row["text"])[:200]
            for name in ("label", "predicted"):
                if row.get(name) is not None:
                    entry[name] = str(row[name])
            for name in ("probability", "loss"):
                if row.get(name) is not None:
                    entry[name] = _finite(_clean(row[name]))
            described.append(entry)
        described.sort(key=lambda r: -r["loss"] if r.get("loss") is not None else math.inf)
        fields = {"task": task, "step": int(self.last_step if step is None else step), "rows": described[:int(limit)]}
        if epoch is not None:
            fields["epoch"] = int(epoch)
        if confusion is not None:
            classes, matrix = (confusion["classes"], confusion["matrix"]) if isinstance(confusion, dict) else confusion
            classes = [str(c) for c in classes]
            matrix = [[int(_clean(count)) for count in row] for row in matrix]
            if len(matrix) != len(classes) or any(len(row) != len(classes) for row in matrix):
                raise ValueError("examples: the confusion matrix must be %d×%d, one row and column per class" % (len(classes), len(classes)))
            fields["confusion"] = {"classes": classes, "matrix": matrix}
        self.write("examples", **fields)

    def done(self, state, step, metrics=None, epoch=None):
        """`state`: finished, stopped or diverged; `metrics` as in `epoch`. Closes the stream."""
        fields = {"state": state, "step": int(step), "metrics": _metric_sets(metrics, self.tasks, "done")}
        if epoch is not None:
            fields["epoch"] = int(epoch)
        self.write("done", **fields)
        self.close()

    def close(self):
        with self._lock:
            if not self._stream.closed:
                self._stream.close()

    # Commands

    def poll_commands(self):
        """The commands appended since the last poll. A line that cannot apply is answered
        with a `command_error` event and skipped; an incomplete last line waits for its end."""
        if not self.commands_path:
            return []
        try:
            with open(self.commands_path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < self._offset:   # the file was truncated or replaced: read it again
                    self._offset, self._pending, self._line = 0, b"", 0
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        data = self._pending + data
        *lines, self._pending = data.split(b"\n")
        commands = []
        for raw in lines:
            self._line += 1
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                commands.append(Command.parse(text, self._line))
            except CommandError as error:
                self.command_error(error)
        return commands

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if not self._stream.closed:
            self.done("finished" if kind is None else "stopped", self.last_step)
