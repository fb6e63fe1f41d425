"""A PyTorch Lightning callback: the run's events to a stream, its commands back to the loop.

    from mtl_tui.lightning import WatchCallback
    trainer = L.Trainer(callbacks=[WatchCallback("runs/a.jsonl", tasks={"polarity": "binary"})])

The LightningModule's `loss_weights` dict (when it has one) takes `set_loss_weight`; the
training step should return a dict with `loss` and, per task, `loss_TASK`.
"""

try:
    import lightning.pytorch as _pl
except ImportError:   # the older package name
    try:
        import pytorch_lightning as _pl
    except ImportError as error:
        raise ImportError("mtl_tui.lightning needs PyTorch Lightning (pip install lightning)") from error

from .control import Controls
from .protocol import Run


class WatchCallback(_pl.Callback):
    def __init__(self, path, tasks, log_every=10, **run_fields):
        super().__init__()
        self.path, self.task_kinds, self.log_every, self.run_fields = path, tasks, log_every, run_fields
        self.run = None
        self.controls = None

    def on_fit_start(self, trainer, module):
        self.run = Run(self.path, self.task_kinds, epochs=trainer.max_epochs, model=type(module).__name__, **self.run_fields)
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        self.controls = Controls(self.run, model=module, optimizer=optimizer,
                                 loss_weights=getattr(module, "loss_weights", None),
                                 save=lambda path: trainer.save_checkpoint(path))

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        if not self.controls.apply(trainer.global_step):
            trainer.should_stop = True

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        step = trainer.global_step
        if self.log_every and step % self.log_every == 0 and isinstance(outputs, dict):
            losses = {t: outputs.get("loss_" + t) for t in self.run.tasks}
            lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None
            self.run.step(step, trainer.current_epoch + 1, losses, total=outputs.get("loss"), lr=lr)

    def on_validation_epoch_end(self, trainer, module):
        metrics = {}
        for key, value in trainer.callback_metrics.items():   # "val_loss_TASK" → val / TASK / loss
            parts = key.split("_", 2)
            if len(parts) == 3 and parts[2] in self.run.tasks:
                metrics.setdefault(parts[0], {}).setdefault(parts[2], {"count": None})[parts[1]] = value
        self.run.epoch(trainer.current_epoch + 1, trainer.global_step, metrics,
                       total_val_loss=trainer.callback_metrics.get("val_loss"))

    def on_fit_end(self, trainer, module):
        self.run.done("stopped" if self.controls.should_stop else "finished", trainer.global_step)
