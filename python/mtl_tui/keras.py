"""A Keras callback: the run's events to a stream, its commands back to `model.fit`.

    from mtl_tui.keras import WatchCallback
    weights = {"polarity": keras.Variable(1.0), "score": keras.Variable(1.0)}   # used in your loss
    model.fit(x, y, callbacks=[WatchCallback("runs/a.jsonl", tasks={...}, loss_weights=weights)])

`set_loss_weight` assigns those variables (plain floats in a dict are replaced); `set_lr`
assigns the optimizer's learning rate; `freeze NAME` sets `trainable = False` on layers whose
name starts with NAME (Keras applies it when the model is compiled again).
"""

try:
    import keras as _keras
except ImportError as error:
    raise ImportError("mtl_tui.keras needs Keras (pip install keras)") from error

from .control import Controls
from .protocol import Run


class _Weights(dict):
    """Loss weights that may be Keras variables: assigned, not replaced."""

    def __setitem__(self, task, value):
        current = self.get(task)
        if hasattr(current, "assign"):
            current.assign(value)
        else:
            super().__setitem__(task, value)


class _Layers:
    """`named_parameters` over layers, so `Controls` freezes Keras layers as it does modules."""

    class _Layer:
        def __init__(self, layer):
            self.layer = layer

        @property
        def requires_grad(self):
            return self.layer.trainable

        @requires_grad.setter
        def requires_grad(self, value):
            self.layer.trainable = value

    def __init__(self, model):
        self.model = model

    def named_parameters(self):
        return [(layer.name, self._Layer(layer)) for layer in self.model.layers]


class WatchCallback(_keras.callbacks.Callback):
    def __init__(self, path, tasks, loss_weights=None, log_every=10, **run_fields):
        super().__init__()
        self.path, self.task_kinds, self.log_every, self.run_fields = path, tasks, log_every, run_fields
        self.loss_weights = _Weights(loss_weights or {})
        self.run = None
        self.controls = None
        self.global_step = 0
        self.current_epoch = 0

    def on_train_begin(self, logs=None):
        epochs = self.params.get("epochs") if self.params else None
        self.run = Run(self.path, self.task_kinds, epochs=epochs, model=self.model.name, **self.run_fields)
        self.controls = Controls(self.run, model=_Layers(self.model), loss_weights=self.loss_weights,
                                 set_lr=lambda lr: self.model.optimizer.learning_rate.assign(lr),
                                 save=lambda path: self.model.save(path))

    def on_epoch_begin(self, epoch, logs=None):
        self.current_epoch = epoch + 1

    def on_train_batch_begin(self, batch, logs=None):
        if not self.controls.apply(self.global_step):
            self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        self.global_step += 1
        if self.log_every and self.global_step % self.log_every == 0:
            logs = logs or {}
            losses = {t: logs.get(t + "_loss") for t in self.run.tasks}
            self.run.step(self.global_step, self.current_epoch, losses, total=logs.get("loss"))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        metrics = {}
        for key, value in logs.items():   # "val_TASK_loss" / "TASK_accuracy"
            split, name = ("val", key[4:]) if key.startswith("val_") else ("train", key)
            for task in self.run.tasks:
                if name.startswith(task + "_"):
                    metrics.setdefault(split, {}).setdefault(task, {"count": None})[name[len(task) + 1:]] = float(value)
        self.run.epoch(epoch + 1, self.global_step, metrics, total_val_loss=logs.get("val_loss"))

    def on_train_end(self, logs=None):
        self.run.done("stopped" if self.controls.should_stop else "finished", self.global_step)
