"""Hooks into the training loop (core/trainer.py), importable without torch.

A settings search's pruning, checkpoints, a stop file and the unfreezing of pretrained
embeddings are callbacks; the loop calls every hook of every callback at its fixed points.
Subclass TrainerCallback and override what you need, so a hook added later costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lstm_studio.core.events import StepEvent
    from lstm_studio.core.trainer import FitResult, Trainer


class TrainerCallback:
    """Hooks into the loop; override what you need. Raising Cancelled from a hook stops the
    run like the user's Stop does."""

    def on_fit_start(self, trainer: Trainer) -> None: ...

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None: ...

    def on_step_end(self, trainer: Trainer, event: StepEvent) -> None: ...

    def on_epoch_end(self, trainer: Trainer, entry: dict) -> None: ...

    def on_checkpoint(self, trainer: Trainer) -> None:
        """A step boundary every process reached: the weights, the optimizer and `state` are
        those after `state.global_step` steps (called at epoch ends, on agreed requests and
        when the run is stopped)."""

    def on_fit_end(self, trainer: Trainer, result: FitResult) -> None: ...
