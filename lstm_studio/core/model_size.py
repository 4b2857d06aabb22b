"""What a model costs, worked out from its settings before anything is allocated.

`weight_shapes` lists the parameters exactly as `build_model(config).named_parameters()`
would (a test holds it to that), so the Train form's summary, the memory estimate and the
model-file checks share one answer without importing torch. `estimate_training_memory` adds
what training holds beside the weights (gradients, optimizer state, the trainer's weight
copies, activations kept for the backward pass), and `check_fits` turns an estimate beyond
the memory the machine has into a ConfigError carrying the estimate: `--hidden 1000000`
must be a sentence, not a PyTorch allocator traceback.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import TYPE_CHECKING

from lstm_studio.core.errors import ConfigError
from lstm_studio.core.limits import size_text

if TYPE_CHECKING:
    from lstm_studio.core.config import ModelConfig, TrainConfig

GATE_BLOCKS: dict[str, tuple[str, ...]] = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"),
                                           "rnn": ()}
FLOAT_BYTES = 4  # models train in float32
ASSUMED_LENGTH = 256  # tokens per document when the maximum length is not known yet
# What training takes beyond the model whatever its size: modules PyTorch imports at the first
# optimizer step, allocator caches (bench/bench_memory_estimate.py: ~80 MB above the estimate
# for the default model without this term).
RUNTIME_BYTES = 128 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class WeightInfo:
    name: str
    shape: tuple[int, ...]
    blocks: tuple[tuple[str, int, int], ...] = ()  # (gate, first row, end row) of fused weights

    @property
    def count(self) -> int:
        total = 1
        for size in self.shape:
            total *= size
        return total


def weight_shapes(config: ModelConfig) -> list[WeightInfo]:
    """The model's parameters as `build_model(config).named_parameters()` would list them.

    PyTorch fuses the gates of one layer into one matrix: for an LSTM rows 0:H are the input
    gate i, H:2H the forget gate f, 2H:3H the candidate g and 3H:4H the output gate o (GRU:
    r, z, n). Tied weights are listed once, under the embedding.
    """
    gates = GATE_BLOCKS.get(config.cell, ())
    rows = max(1, len(gates)) * config.hidden_size
    directions = 2 if config.bidirectional else 1
    hidden = config.hidden_size
    blocks = tuple((gate, k * hidden, (k + 1) * hidden) for k, gate in enumerate(gates))
    vocab = max(1, config.vocab_size)
    out: list[WeightInfo] = [WeightInfo("embedding.weight", (vocab, config.embedding_dim))]
    for layer in range(config.num_layers):
        inputs = config.embedding_dim if layer == 0 else hidden * directions
        for suffix in ("", "_reverse")[:directions]:
            out.append(WeightInfo(f"rnn.weight_ih_l{layer}{suffix}", (rows, inputs), blocks))
            out.append(WeightInfo(f"rnn.weight_hh_l{layer}{suffix}", (rows, hidden), blocks))
            out.append(WeightInfo(f"rnn.bias_ih_l{layer}{suffix}", (rows,), blocks))
            out.append(WeightInfo(f"rnn.bias_hh_l{layer}{suffix}", (rows,), blocks))
    if config.task == "lm":
        if not config.tie_weights:
            out.append(WeightInfo("head.weight", (vocab, hidden)))
        out.append(WeightInfo("head.bias", (vocab,)))
    else:
        classes = max(1, config.num_classes)
        out.append(WeightInfo("head.weight", (classes, hidden * directions)))
        out.append(WeightInfo("head.bias", (classes,)))
    return out


def parameter_count(config: ModelConfig) -> int:
    return sum(weight.count for weight in weight_shapes(config))


@dataclasses.dataclass(frozen=True)
class MemoryEstimate:
    """Bytes one training run holds at its peak, by what holds them."""

    parameters: int
    weights: int
    gradients: int
    optimizer: int
    copies: int  # last-good weights and optimizer state; best and initial weights on a cpu
    activations: int
    largest: WeightInfo
    runtime: int = RUNTIME_BYTES

    @property
    def total(self) -> int:
        return (self.weights + self.gradients + self.optimizer + self.copies
                + self.activations + self.runtime)

    def describe(self) -> str:
        """'about 1.2 GB (weights 120 MB, ...)' for messages and the Train form."""
        parts = [("weights", self.weights), ("gradients", self.gradients),
                 ("optimizer", self.optimizer), ("weight copies", self.copies),
                 ("activations", self.activations), ("PyTorch", self.runtime)]
        shown = ", ".join(f"{name} {size_text(size)}" for name, size in parts if size)
        return f"about {size_text(self.total)} ({shown})"


def _optimizer_slots(train: TrainConfig) -> int:
    """Per-parameter tensors the optimizer keeps: Adam/AdamW two moments, SGD a momentum."""
    if train.optimizer in ("adam", "adamw"):
        return 2
    return 1 if train.optimizer == "sgd" and train.momentum else 0


def _activation_floats(model: ModelConfig, batch: int, length: int) -> int:
    """Floats the forward pass keeps for backward, and as much again for its gradients."""
    gates = max(1, len(GATE_BLOCKS.get(model.cell, ())))
    directions = 2 if model.bidirectional else 1
    tokens = batch * length
    embedded = tokens * model.embedding_dim * (2 if model.dropout else 1)
    # per layer and direction: fused gate pre-activations, cell state, output (+ input copy
    # read in reverse for the backward direction)
    per_layer = tokens * model.hidden_size * directions * (gates + 2)
    if model.bidirectional:
        per_layer += tokens * max(model.embedding_dim, model.hidden_size * directions)
    recurrent = per_layer * model.num_layers
    if model.task == "lm":
        head = 3 * tokens * max(1, model.vocab_size)  # logits, log-softmax, their gradient
    else:
        head = tokens * model.hidden_size * directions + batch * max(1, model.num_classes)
    return 2 * (embedded + recurrent + head)


def estimate_training_memory(model: ModelConfig, train: TrainConfig,
                             max_len: int | None = None, device: str | None = None
                             ) -> MemoryEstimate:
    """Peak memory on the training device of training `model` with `train` on documents of
    up to `max_len` tokens. The trainer keeps its best-epoch and initial copies in main
    memory, so they only count when the device is the cpu."""
    shapes = weight_shapes(model)
    count = sum(weight.count for weight in shapes)
    length = max(1, int(max_len or train.max_len or ASSUMED_LENGTH))
    batch = max(1, int(train.batch_size))
    slots = _optimizer_slots(train)
    host_copies = 2 if (device or train.device or "cpu") in ("cpu", "auto", "mps") else 0
    training = _activation_floats(model, batch, length)
    # validation runs bigger batches without gradients
    validating = _activation_floats(model, max(64, 2 * batch), length) // 2
    return MemoryEstimate(
        parameters=count,
        weights=count * FLOAT_BYTES,
        gradients=count * FLOAT_BYTES,
        optimizer=count * slots * FLOAT_BYTES,
        copies=count * (1 + slots + host_copies) * FLOAT_BYTES,
        activations=max(training, validating) * FLOAT_BYTES,
        largest=max(shapes, key=lambda weight: weight.count),
    )


def _linux_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _windows_available() -> int | None:
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong),
                    ("total_physical", ctypes.c_ulonglong),
                    ("available_physical", ctypes.c_ulonglong),
                    ("total_file", ctypes.c_ulonglong), ("available_file", ctypes.c_ulonglong),
                    ("total_virtual", ctypes.c_ulonglong),
                    ("available_virtual", ctypes.c_ulonglong),
                    ("available_extended", ctypes.c_ulonglong)]

    status = MemoryStatus()
    status.length = ctypes.sizeof(MemoryStatus)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore
        return None
    return int(status.available_physical)


def available_memory(device: str = "cpu") -> int | None:
    """Bytes free for training on `device` (RAM for cpu/mps, the GPU's free memory for
    cuda), or None when the system does not say."""
    if device.startswith("cuda"):
        import torch

        try:
            index = torch.device(device).index
            return int(torch.cuda.mem_get_info(index if index is not None else 0)[0])
        except (RuntimeError, AssertionError):
            return None
    if sys.platform.startswith("linux"):
        found = _linux_available()
        if found is not None:
            return found
    if sys.platform == "win32":
        try:
            return _windows_available()
        except (OSError, AttributeError):
            return None
    try:  # macOS and other POSIX systems: physical memory is the best they say cheaply
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(model: ModelConfig, train: TrainConfig, max_len: int | None = None,
               device: str | None = None, available: int | None = None) -> MemoryEstimate:
    """Refuse (ConfigError with the estimate) settings that cannot be trained in memory."""
    estimate = estimate_training_memory(model, train, max_len, device)
    free = available if available is not None else available_memory(device or train.device)
    if free is not None and estimate.total > free:
        raise ConfigError(
            f"These settings need {estimate.describe()} to train {estimate.parameters:,} "
            f"parameters, more than the {size_text(free)} of memory available "
            f"({_largest(estimate.largest)}); lower the hidden or embedding size, the "
            "vocabulary, the batch size or the maximum length.")
    return estimate


def check_weights_fit(model: ModelConfig, device: str = "cpu",
                      available: int | None = None) -> int:
    """Refuse a model whose weights alone cannot be allocated; returns its parameter count.
    `build_model` calls this, so no path (training, a fresh model to inspect, a model file)
    hands absurd sizes to the allocator."""
    shapes = weight_shapes(model)
    count = sum(weight.count for weight in shapes)
    free = available if available is not None else available_memory(device)
    if free is not None and count * FLOAT_BYTES > free:
        raise ConfigError(
            f"A model with these settings has {count:,} parameters "
            f"({size_text(count * FLOAT_BYTES)}), more than the {size_text(free)} of memory "
            f"available ({_largest(max(shapes, key=lambda weight: weight.count))}); lower "
            "the hidden or embedding size or the vocabulary.")
    return count


def _largest(weight: WeightInfo) -> str:
    shape = " × ".join(f"{size:,}" for size in weight.shape)
    return f"the largest weight is {weight.name}, {shape}"
