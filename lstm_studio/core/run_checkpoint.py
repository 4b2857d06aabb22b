"""Training checkpoints: everything a run needs to go on exactly where it stopped, in one
safetensors file (no pickle).

Tensors (the weights, the best epoch's weights, the optimizer's and every process's random
states) are stored as tensors; everything else (the scheduler, the optimizer's settings, the
history, where the loop is inside its epoch, the best-so-far key) is JSON in the file's
metadata. `pack` turns nested Python state into JSON plus named tensors and `unpack` turns it
back, keeping what JSON alone would lose: integer keys (the optimizer's per-parameter state),
tuples, bytes, NaN and infinities.

The file is replaced atomically (core/atomic.py): a process killed while writing leaves the
previous checkpoint whole.
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from lstm_studio import __version__
from lstm_studio.core.atomic import atomic_write_bytes
from lstm_studio.core.errors import CheckpointError

if TYPE_CHECKING:
    from lstm_studio.core.fit_state import FitState
    from lstm_studio.core.trainer import Trainer

FORMAT_NAME = "lstm-studio-training-checkpoint"
FORMAT_VERSION = 1


# --- nested state <-> JSON + tensors ---------------------------------------------------------

def pack(value: Any, name: str, tensors: dict[str, torch.Tensor]) -> Any:
    """JSON for `value`; its tensors go into `tensors` under names starting with `name`."""
    if isinstance(value, torch.Tensor):
        tensors[name] = value.detach().to("cpu").contiguous().clone()
        return {"__tensor__": name}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("__") for key in value):
            return {key: pack(item, f"{name}.{key}", tensors) for key, item in value.items()}
        return {"__items__": [[pack(key, f"{name}.key{i}", tensors),
                               pack(item, f"{name}.{i}", tensors)]
                              for i, (key, item) in enumerate(value.items())]}
    if isinstance(value, (list, tuple)):
        items = [pack(item, f"{name}.{i}", tensors) for i, item in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    raise TypeError(f"cannot store a {type(value).__name__} in a checkpoint ({name})")


def unpack(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, list):
        return [unpack(item, tensors) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        return tensors[value["__tensor__"]]
    if "__float__" in value:
        return float(value["__float__"])
    if "__bytes__" in value:
        return base64.b64decode(value["__bytes__"])
    if "__tuple__" in value:
        return tuple(unpack(item, tensors) for item in value["__tuple__"])
    if "__items__" in value:
        return {unpack(key, tensors): unpack(item, tensors) for key, item in value["__items__"]}
    return {key: unpack(item, tensors) for key, item in value.items()}


# --- the checkpoint ----------------------------------------------------------------------------

@dataclass
class TrainingCheckpoint:
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    state: dict[str, Any]  # FitState's fields, best_state included
    rng: dict[str, Any]  # "cpu": [per process], "cuda": [per process] or absent, "python"
    info: dict[str, Any] = field(default_factory=dict)  # run id, processes, threads, versions

    @property
    def epoch(self) -> int:
        return int(self.state.get("epoch", 0))

    @property
    def global_step(self) -> int:
        return int(self.state.get("global_step", 0))

    def fit_state(self) -> FitState:
        from lstm_studio.core.fit_state import FitState

        names = {f.name for f in fields(FitState)}
        values = {key: value for key, value in self.state.items() if key in names}
        if values.get("best_key") is not None:
            values["best_key"] = tuple(values["best_key"])
        return FitState(**values)

    def apply(self, trainer: Trainer) -> None:
        """Put the model, optimizer, scheduler, loop state and random state back into a
        Trainer built like the interrupted one (call right before `fit`)."""
        from lstm_studio.core.optimizers import make_optimizer

        trainer.model.load_state_dict(self.model)
        trainer.model.to(trainer.device)
        trainer.optimizer = make_optimizer(trainer.model, trainer.config)
        trainer.optimizer.load_state_dict(self.optimizer)
        if self.scheduler is not None and trainer.config.plateau_schedule:
            trainer.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(trainer.optimizer)
            trainer.scheduler.load_state_dict(self.scheduler)
        trainer.state = self.fit_state()
        restore_random_state(self.rng, trainer.world.rank)


def capture_random_state(trainer: Trainer) -> dict[str, Any]:
    """Every process's torch random state (a collective call in data-parallel runs)."""
    world = trainer.world
    states: dict[str, Any] = {"cpu": world.gather_rng(torch.get_rng_state()),
                              "python": random.getstate()}
    if trainer.device.type == "cuda":
        states["cuda"] = world.gather_rng(torch.cuda.get_rng_state(trainer.device))
    return states


def restore_random_state(rng: dict[str, Any], rank: int) -> None:
    """This process's saved random state (another process's when the run had fewer)."""
    cpu = rng.get("cpu") or []
    if cpu:
        torch.set_rng_state(cpu[rank if rank < len(cpu) else 0])
    cuda = rng.get("cuda") or []
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state(cuda[rank if rank < len(cuda) else 0])
    if rng.get("python") is not None:
        random.setstate(rng["python"])


def save_training_checkpoint(path: str | os.PathLike[str], trainer: Trainer,
                             rng: dict[str, Any], info: dict[str, Any]) -> int:
    """Write `trainer`'s checkpoint atomically; returns its size in bytes."""
    assert trainer.optimizer is not None
    tensors: dict[str, torch.Tensor] = {}
    state = {f.name: getattr(trainer.state, f.name) for f in fields(trainer.state)}
    payload = {
        "model": pack(trainer.model.state_dict(), "model", tensors),
        "optimizer": pack(trainer.optimizer.state_dict(), "optimizer", tensors),
        "scheduler": (pack(trainer.scheduler.state_dict(), "scheduler", tensors)
                      if trainer.scheduler is not None else None),
        "state": pack(state, "state", tensors),
        "rng": pack(rng, "rng", tensors),
        "info": pack({**info, "app_version": __version__, "torch": torch.__version__},
                     "info", tensors),
    }
    metadata = {"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION),
                "payload": json.dumps(payload, ensure_ascii=False, allow_nan=False)}
    data = save_tensors(tensors, metadata=metadata)
    atomic_write_bytes(path, data)
    return len(data)


def load_training_checkpoint(path: str | os.PathLike[str]) -> TrainingCheckpoint:
    """Read a checkpoint; any problem is a CheckpointError with one clear sentence."""
    source = Path(path)
    try:
        data = source.read_bytes()
    except FileNotFoundError as error:
        raise CheckpointError(f"There is no checkpoint at {source}.") from error
    except OSError as error:
        raise CheckpointError(f"The checkpoint {source} cannot be read "
                              f"({error.strerror}).") from error
    corrupt = CheckpointError(f"The checkpoint {source} is damaged and cannot be loaded "
                              "(truncated or overwritten).")
    try:
        tensors = load_tensors(data)
        size = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + size].decode("utf-8"))
        metadata = header.get("__metadata__") or {}
    except (SafetensorError, ValueError, UnicodeDecodeError, AttributeError) as error:
        raise corrupt from error
    if metadata.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{source} is not an LSTM Studio training checkpoint.")
    try:
        version = int(metadata.get("format_version", "0"))
    except ValueError as error:
        raise corrupt from error
    if version > FORMAT_VERSION:
        raise CheckpointError(f"The checkpoint {source} was written by a newer LSTM Studio "
                              f"(checkpoint format {version}); update the app to resume it.")
    try:
        payload = unpack(json.loads(metadata["payload"]), tensors)
        return TrainingCheckpoint(payload["model"], payload["optimizer"], payload["scheduler"],
                                  payload["state"], payload["rng"], payload.get("info") or {})
    except (KeyError, TypeError, ValueError) as error:
        raise corrupt from error
