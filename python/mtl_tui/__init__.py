"""Speak mtl-tui's run protocol from Python: write the event stream `mtl-tui watch` shows,
read the commands it sends back. Standard library only; PyTorch, Lightning and Keras are used
only when you pass their objects (see `mtl_tui.control`, `mtl_tui.lightning`, `mtl_tui.keras`).

    run = Run("runs/a.jsonl", tasks={"polarity": "binary", "score": "regression"}, epochs=3)
    for step in ...:
        run.step(step, epoch, losses={"polarity": 0.6, "score": 1.2}, total=1.8)
    run.done("finished", step)
"""

from .protocol import PROTOCOL_VERSION, Command, CommandError, Run
from .control import Controls

__all__ = ["PROTOCOL_VERSION", "Command", "CommandError", "Run", "Controls"]
