"""The last verified training state, so a NaN costs a few steps instead of the whole run.

Weights are *verified* when they produced a finite loss and finite gradients on a batch, and
are themselves finite. (Finite parameters alone prove nothing: SGD with a learning rate of
1e38 leaves weights near 1e38 that are finite and still turn the next loss into NaN, which is
how v1 came to save a "last good" model whose validation loss was NaN.) The trainer offers
every verified state to `LastGoodState.offer` just before the optimizer steps; on a NaN or
infinite loss, gradient, weight or validation loss it calls `restore`, which puts back those
weights *and* the optimizer's state (Adam's moments and step counts, every group's learning
rate), so training can go on from there as if the bad steps never happened.

Copies go into buffers allocated once. Copying weights and Adam state costs about as much as
an Adam step itself (both stream every parameter through memory), which on an
embedding-heavy model like the NTC-SCV default was 5-15% of a training step; so a copy is
taken once every `interval` verified steps, with the interval growing with the model's size
(`snapshot_interval`) to keep that cost near 1% (bench/bench_nan_guard.py measures it).
Small models are copied at every step.
"""

from __future__ import annotations

import math
from typing import Any

import torch

# About this many bytes of weights and optimizer state are copied per training step.
COPY_BYTES_PER_STEP = 2 * 1024 * 1024
MAX_INTERVAL = 100


def snapshot_interval(state_bytes: int) -> int:
    """Verified steps between copies: 1 for small models, more as the state grows."""
    return max(1, min(MAX_INTERVAL, math.ceil(state_bytes / COPY_BYTES_PER_STEP)))


def _optimizer_slots(optimizer: torch.optim.Optimizer) -> int:
    name = type(optimizer).__name__.lower()
    if name.startswith("adam"):
        return 2
    momentum = optimizer.defaults.get("momentum", 0.0)
    return 1 if momentum else 0


class LastGoodState:
    """Weights and optimizer state of the last verified step (see the module docstring)."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 interval: int | None = None) -> None:
        self.model = model
        self.optimizer = optimizer
        self.tensors = [*model.parameters(), *model.buffers()]
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        if interval is None:
            floats = sum(t.numel() for t in self.tensors) * (1 + _optimizer_slots(optimizer))
            interval = snapshot_interval(floats * 4)
        self.interval = max(1, int(interval))
        self.step: int | None = None  # the training step the kept weights are from (0: start)
        self.current = 0  # the training step the model's weights are from
        self._weights: list[torch.Tensor] = []
        self._state: list[dict[str, Any]] = []
        self._lrs: list[float] = []

    @torch.no_grad()
    def finite(self) -> bool:
        """True when every weight is a finite number (one read-back for all of them)."""
        peaks = [torch.linalg.vector_norm(t.detach(), float("inf")).float()
                 for t in self.tensors if t.numel() and t.is_floating_point()]
        return not peaks or bool(torch.isfinite(torch.stack(peaks)).all())

    def stepped(self, step: int) -> None:
        """The optimizer just made the weights of training step `step` (numbered like the
        StepEvents, so undone steps keep their numbers)."""
        self.current = step

    def offer(self) -> bool:
        """The current weights just gave a finite loss and gradients: keep a copy if one is
        due. Returns True when a copy was taken."""
        if self.step is not None and self.current - self.step < self.interval:
            return False
        if not self.finite():
            return False
        self._copy_in()
        self.step = self.current
        return True

    @torch.no_grad()
    def _copy_in(self) -> None:
        if not self._weights:
            self._weights = [t.detach().clone() for t in self.tensors]
        else:
            for buffer, tensor in zip(self._weights, self.tensors, strict=True):
                buffer.copy_(tensor)
        states = []
        for index, param in enumerate(self.params):
            previous = self._state[index] if index < len(self._state) else {}
            kept: dict[str, Any] = {}
            for key, value in self.optimizer.state.get(param, {}).items():
                if torch.is_tensor(value):
                    old = previous.get(key)
                    if torch.is_tensor(old) and old.shape == value.shape and \
                            old.dtype == value.dtype and old.device == value.device:
                        kept[key] = old.copy_(value)
                    else:
                        kept[key] = value.detach().clone()
                else:
                    kept[key] = value
            states.append(kept)
        self._state = states
        self._lrs = [float(group["lr"]) for group in self.optimizer.param_groups]

    @torch.no_grad()
    def restore(self) -> int:
        """Put the kept weights and optimizer state back; returns the step they are from."""
        if self.step is None:
            raise RuntimeError("restore() before any verified step was offered")
        for tensor, buffer in zip(self.tensors, self._weights, strict=True):
            tensor.copy_(buffer)
        for param, kept in zip(self.params, self._state, strict=True):
            if kept:
                self.optimizer.state[param] = {
                    key: value.clone() if torch.is_tensor(value) else value
                    for key, value in kept.items()}
            else:
                self.optimizer.state.pop(param, None)  # the optimizer starts it afresh
        for group, lr in zip(self.optimizer.param_groups, self._lrs, strict=True):
            group["lr"] = lr
        self.current = self.step
        return self.step
