"""What the training loop carries from epoch to epoch (core/trainer.py).

With the model's and the optimizer's own states, a FitState is everything a continued run
needs: run checkpoints (core/run_checkpoint.py) store it and a Trainer built with it goes on
exactly where the run was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class FitState:
    """What the loop carries across epochs (with the model's and optimizer's own states,
    everything a continued run needs)."""

    epoch: int = 0  # epochs completed
    global_step: int = 0
    history: list[dict] = field(default_factory=list)
    best_key: tuple[float, ...] | None = None
    best_epoch: int | None = None
    best_state: dict[str, torch.Tensor] | None = None
    stale: int = 0  # epochs since the last improvement
    seconds: float = 0.0  # training time of the completed epochs
    # Inside the epoch after `epoch`: planned batches done, and their running figures
    # (loss_sum, seen, correct, tokens, busy), so a continued epoch reports as a whole one.
    epoch_step: int = 0
    partial: dict[str, float] = field(default_factory=dict)
