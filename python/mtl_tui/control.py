"""Applies the channel's commands to a training loop: PyTorch by duck typing (no import)."""

import time


class Controls:
    """Call `apply(step)` at each step boundary (before the batch); it reads the channel and
    applies what it finds, acknowledging each command with the step it took effect:

    - `set_loss_weight`: `loss_weights[task] = weight` (a dict your loss reads);
    - `set_lr`: every param group of `optimizer` (or `set_lr(lr)` when given);
    - `freeze`/`unfreeze NAME`: `requires_grad` of `model`'s parameters whose name starts with NAME;
    - `pause`: blocks in `apply` until `resume`, `step` or `stop` arrives; `step N`: N more steps, then pause;
    - `stop`: `apply` returns False (end your loop), `should_stop` is set;
    - `save PATH`: calls `save(path)` when given.

    A command that cannot apply here (an unknown task, no optimizer, no layer of that name)
    is answered with a `command_error` event instead of an ack.
    """

    def __init__(self, run, model=None, optimizer=None, loss_weights=None, save=None, set_lr=None, poll_seconds=0.1):
        self.run = run
        self.model = model
        self.optimizer = optimizer
        self.loss_weights = loss_weights if loss_weights is not None else {}
        self.save = save
        self.set_lr = set_lr
        self.poll_seconds = poll_seconds
        self.paused = False
        self.should_stop = False
        self._budget = 0   # steps a `step` command still allows while paused
        self._step = 0     # the step the commands being applied take effect at

    def apply(self, step):
        """Applies pending commands; while paused, waits for more. False once asked to stop."""
        while True:
            for command in self.run.poll_commands():
                self._apply(command, step)
            if self.should_stop:
                return False
            if not self.paused:
                return True
            if self._budget > 0:
                self._budget -= 1
                return True
            time.sleep(self.poll_seconds)

    def _apply(self, command, step):
        from .protocol import CommandError
        self._step = step
        try:
            self._dispatch(command)
        except CommandError as error:
            error.step = step
            self.run.command_error(error)
            return
        self.run.ack(command, step)

    def _dispatch(self, command):
        from .protocol import CommandError
        name, fields = command.name, command.fields

        def refuse(message):
            raise CommandError(command.line, message, command.id)

        if name == "pause":
            self.paused = True
        elif name == "resume":
            self.paused, self._budget = False, 0
        elif name == "step":
            self.paused = True
            self._budget += int(fields.get("count", 1))
        elif name == "stop":
            self.should_stop = True
        elif name == "set_loss_weight":
            task = fields["task"]
            known = list(self.loss_weights) or list(self.run.tasks)
            if task not in known:
                refuse("no task named %r (tasks: %s)" % (task, ", ".join(known)))
            self.loss_weights[task] = float(fields["weight"])
            self.run.message("command", self._step, "weight %s = %g" % (task, float(fields["weight"])))
        elif name == "set_lr":
            lr = float(fields["lr"])
            if self.set_lr is not None:
                self.set_lr(lr)
            elif self.optimizer is not None:
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
            else:
                refuse("set_lr: this run has no optimizer to change")
            self.run.message("command", self._step, "learning rate %g" % lr)
        elif name in ("freeze", "unfreeze"):
            if self.model is None:
                refuse("%s: this run has no model to change" % name)
            prefix = fields["name"]
            matched = [p for n, p in self.model.named_parameters() if n.startswith(prefix)]
            if not matched:
                refuse("no parameter whose name starts with %r" % prefix)
            for parameter in matched:
                parameter.requires_grad = name == "unfreeze"
            self.run.message("command", self._step, "%s %s (%d tensors)" % ("froze" if name == "freeze" else "unfroze", prefix, len(matched)))
        elif name == "save":
            if self.save is None or "path" not in fields:
                refuse('save needs "path" and a save function for this run')
            self.save(fields["path"])
            self.run.message("info", self._step, "saved checkpoint to %s" % fields["path"])
