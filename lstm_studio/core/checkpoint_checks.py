"""Checks a model file must pass before any of it is trusted or allocated.

A model file is outside data like any other: its size is budgeted, and its safetensors header
(names, dtypes, shapes, byte offsets), its configuration and its vocabulary must all agree
with one another *before* `build_model` allocates anything, because a file whose
configuration claims a hidden size of a million with tiny tensors, or whose vocabulary is
longer than its embedding, would otherwise end in an allocator error or an index error at
the first prediction. Every failure is a CheckpointError naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lstm_studio.core.errors import CheckpointError
from lstm_studio.core.limits import InputLimits, check_file_size
from lstm_studio.core.model_size import weight_shapes

MAX_HEADER_BYTES = 100_000_000
# safetensors dtypes a model's weights may be stored in, with their sizes in bytes
FLOAT_DTYPES: dict[str, int] = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2}


def read_model_file(path: str | os.PathLike[str], limits: InputLimits | None = None
                    ) -> tuple[bytes, dict[str, Any], int]:
    """The file's bytes, its parsed JSON header and the header's length, within budget."""
    source = Path(path)
    limits = limits or InputLimits()
    try:
        if source.is_dir():
            raise CheckpointError(f"{source} is a folder, not a model file.")
        check_file_size(source.stat().st_size, limits.max_model_bytes, f"Model file {source}",
                        "max_model_bytes", CheckpointError)
        data = source.read_bytes()
    except FileNotFoundError as error:
        raise CheckpointError(f"Model file {source} does not exist.") from error
    except OSError as error:
        raise CheckpointError(f"Model file {source} cannot be read ({error.strerror}).") from error
    header, size = _read_header(data, source.name)
    return data, header, size


def _read_header(data: bytes, name: str) -> tuple[dict[str, Any], int]:
    foreign = CheckpointError(f"{name} is not an LSTM Studio model file.")
    if len(data) < 8:
        raise foreign
    size = int.from_bytes(data[:8], "little")
    if size <= 0 or size > MAX_HEADER_BYTES:
        raise foreign
    if 8 + size > len(data):
        raise CheckpointError(f"{name} is truncated: its header is incomplete.")
    try:
        header = json.loads(data[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise foreign from error
    if not isinstance(header, dict):
        raise foreign
    return header, size


def _count(shape: list[int]) -> int:
    total = 1
    for size in shape:
        total *= size
    return total


def tensor_entries(header: dict[str, Any], data_bytes: int, name: str
                   ) -> dict[str, tuple[int, ...]]:
    """Each tensor's shape, after checking that its dtype, shape and byte range agree with
    each other and with the `data_bytes` the file really has after its header."""
    shapes: dict[str, tuple[int, ...]] = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        lie = CheckpointError(f"{name} is corrupt: its header's entry for {key!r} is "
                              "inconsistent.")
        if not isinstance(entry, dict):
            raise lie
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)
                and isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            raise lie
        if dtype not in FLOAT_DTYPES:
            raise CheckpointError(f"{name} is corrupt: tensor {key!r} has dtype {dtype!r}, not "
                                  "a floating-point type.")
        if offsets[1] > data_bytes:
            raise CheckpointError(f"{name} is truncated: its weights are incomplete.")
        if offsets[1] - offsets[0] != _count(shape) * FLOAT_DTYPES[dtype]:
            raise lie
        shapes[key] = tuple(shape)
    return shapes


def check_consistent(model_config: Any, vocab_size: int, labels: list[Any],
                     shapes: dict[str, tuple[int, ...]], name: str) -> None:
    """The configuration, vocabulary, labels and stored tensors describe the same model."""
    expected = {weight.name: weight.shape for weight in weight_shapes(model_config)}
    if expected != shapes:
        raise CheckpointError(f"{name} is corrupt: its weights do not match its model "
                              "configuration.")
    if vocab_size != model_config.vocab_size:
        raise CheckpointError(f"{name} is corrupt: its vocabulary has {vocab_size:,} words but "
                              f"its embedding has {model_config.vocab_size:,} rows.")
    if model_config.task == "classify" and len(labels) != model_config.num_classes:
        raise CheckpointError(f"{name} is corrupt: it names {len(labels)} labels but its "
                              f"output layer has {model_config.num_classes}.")
    if not all(isinstance(label, str) for label in labels):
        raise CheckpointError(f"{name} is corrupt: its labels are not all text.")


def check_finite(tensors: dict[str, Any], name: str) -> None:
    """Weights holding NaN or infinity would predict nothing but NaN: refuse them clearly."""
    import torch

    if not all(bool(torch.isfinite(tensor).all()) for tensor in tensors.values()):
        raise CheckpointError(f"{name} holds weights that are NaN or infinite (saved from a "
                              "training that diverged?); train the model again.")
