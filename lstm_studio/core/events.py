"""What a training run reports while it runs: plain, torch-free dataclasses.

The trainer emits them; the run store, the CLI's progress line and the Train tab listen. They
live apart from the trainer so a listener can name them (and dispatch with isinstance) without
importing torch: the window imports this module at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

EventHandler = Callable[[object], None]


@dataclass
class StepEvent:
    epoch: int
    step: int
    steps_per_epoch: int
    global_step: int
    loss: float
    accuracy: float | None
    grad_norm: float
    lr: float
    tokens_per_s: float


@dataclass
class EpochEvent:
    epoch: int
    epochs: int
    train_loss: float
    train_accuracy: float | None
    valid_loss: float
    valid_accuracy: float | None
    valid_macro_f1: float | None
    valid_perplexity: float | None
    seconds: float
    improved: bool


@dataclass
class RunStarted:
    run_id: str
    total_steps: int


@dataclass
class RunEnded:
    status: str  # "finished", "stopped" or "failed"
    message: str
