"""A run's live log: one JSON object per line, appended while the run trains.

The log is what a window following a headless run reads (`read_log`, from the offset it got to
last time): every step (loss, gradient norm, learning rate, tokens/s), every epoch's figures,
checkpoints, the start, resumptions and the end. Lines are plain JSON (NaN/inf become null).
The writer flushes every epoch, checkpoint and end at once and steps at most every
`FLUSH_INTERVAL_S`, so a follower is at most that far behind and a fast loop does not pay
for a write per step. A killed writer may leave half a line at the end: the reader leaves an
unfinished line for next time, and a resumed run first cuts the log back to its checkpoint
(`cut_log`), replacing the file; a follower notices the new file and reads it from the start.

No torch here: the window imports this module.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import IO, Any

from lstm_studio.core.atomic import atomic_write_bytes
from lstm_studio.core.events import EpochEvent, RunEnded, RunStarted, StepEvent

FLUSH_INTERVAL_S = 0.5
MAX_READ_BYTES = 8 * 1024 * 1024  # a follower reads at most this much per poll

EVENT_KINDS: dict[type, str] = {StepEvent: "step", EpochEvent: "epoch", RunStarted: "start",
                                RunEnded: "end"}


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def event_line(event: object) -> dict[str, Any] | None:
    """The log line for a trainer event (None for other objects)."""
    kind = EVENT_KINDS.get(type(event))
    if kind is None or not is_dataclass(event) or isinstance(event, type):
        return None
    return {"event": kind, **asdict(event)}


def line_event(line: dict[str, Any]) -> StepEvent | EpochEvent | None:
    """A step or epoch line back into its event (null figures become NaN, or None where the
    event allows it); None for other lines."""
    kind = line.get("event")
    cls = StepEvent if kind == "step" else EpochEvent if kind == "epoch" else None
    if cls is None:
        return None
    values: dict[str, Any] = {f.name: line.get(f.name) for f in fields(cls)}
    for name in ("loss", "grad_norm", "lr", "tokens_per_s", "train_loss", "valid_loss",
                 "seconds"):
        if name in values and values[name] is None:
            values[name] = math.nan
    return cls(**values)


class LiveLog:
    """Appends lines to a run's log; call `close()` when the run ends."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._handle: IO[str] | None = None
        self._last_flush = 0.0

    def write(self, line: dict[str, Any]) -> None:
        if self._handle is None:
            self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
        self._handle.write(json.dumps(_plain(line), ensure_ascii=False, allow_nan=False) + "\n")
        now = time.monotonic()
        if line.get("event") != "step" or now - self._last_flush >= FLUSH_INTERVAL_S:
            self._handle.flush()
            self._last_flush = now

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            self._last_flush = time.monotonic()

    def event(self, event: object) -> None:
        line = event_line(event)
        if line is not None:
            self.write(line)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass
class LogChunk:
    """What a poll of the log found: new lines, where to read next, and whether the file was
    replaced (a resumed run cut it back), so the reader must forget what it read before."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    offset: int = 0
    file_id: tuple[int, int] | None = None
    reset: bool = False


def read_log(path: str | os.PathLike[str], offset: int = 0,
             file_id: tuple[int, int] | None = None) -> LogChunk:
    """Complete lines from `offset` on (a missing log reads as empty)."""
    target = Path(path)
    try:
        with open(target, "rb") as handle:
            info = os.fstat(handle.fileno())
            current = (info.st_dev, info.st_ino)
            reset = (file_id is not None and current != file_id) or info.st_size < offset
            start = 0 if reset else offset
            handle.seek(start)
            data = handle.read(MAX_READ_BYTES)
    except FileNotFoundError:
        return LogChunk([], 0, None, reset=offset > 0)
    end = data.rfind(b"\n") + 1  # an unfinished last line waits for the next poll
    lines = []
    for raw in data[:end].splitlines():
        try:
            item = json.loads(raw)
        except ValueError:
            continue  # a damaged line (a crash mid-write before a resume) is skipped
        if isinstance(item, dict):
            lines.append(item)
    return LogChunk(lines, start + end, current, reset)


def cut_log(path: str | os.PathLike[str], global_step: int, epoch: int) -> int:
    """Keep only what happened up to a checkpoint (after `global_step` steps, `epoch` epochs
    complete); returns the lines kept. The file is replaced atomically."""
    target = Path(path)
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        return 0
    kept: list[bytes] = []
    for line in raw.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        kind = item.get("event") if isinstance(item, dict) else None
        if kind == "end":
            continue
        if kind == "step" and int(item.get("global_step", 0)) > global_step:
            continue
        if kind == "epoch" and int(item.get("epoch", 0)) > epoch:
            continue
        if kind in ("checkpoint", "resume") and int(item.get("global_step", 0)) > global_step:
            continue
        kept.append(line)
    atomic_write_bytes(target, b"".join(line + b"\n" for line in kept))
    return len(kept)
