"""What every exporter shares: the formats, the writing of the files and its error messages."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from lstm_studio.core.atomic import atomic_write_bytes
from lstm_studio.core.errors import UserError

FORMATS: dict[str, str] = {
    "onnx": "ONNX model with its text pipeline (runs without PyTorch)",
    "script": "a standalone PyTorch training script of the run",
    "card": "a model card (Markdown and HTML)",
}
SUFFIXES: dict[str, str] = {"onnx": ".onnx", "script": ".py", "card": ".md"}


class ExportError(UserError):
    """An export that cannot be done as asked (unsupported model, unwritable path...)."""


@dataclass
class ExportResult:
    """The files an export wrote (the main one first) and a line for the user."""

    format: str
    files: list[str] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> dict:
        return {"format": self.format, "files": list(self.files), "message": self.message}


def check_target(path: str | os.PathLike[str]) -> Path:
    """Refuse, before any work is done, a target that is a folder or cannot be created."""
    target = Path(path)
    if str(path).strip() == "":
        raise ExportError("Choose a file to export to.")
    if target.is_dir():
        raise ExportError(f"{target} is a folder; give a file name to export to.")
    parent = target.parent
    existing = parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ExportError(f"Cannot write {target}: {existing} is not a folder.")
    if not os.access(existing, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise ExportError(f"Cannot write {target}: permission denied.")
    return target


def write_file(path: str | os.PathLike[str], data: bytes | str) -> str:
    """Write atomically; an OS failure becomes one sentence for the user."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        atomic_write_bytes(target, payload)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ExportError(f"Cannot write {target}: {reason}.") from error
    return str(target)
