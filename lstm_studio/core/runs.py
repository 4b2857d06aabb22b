"""The run history: one folder per training run under `user_data_dir()/runs` (or any folder
given as the store's root, e.g. on a shared filesystem).

A run's folder (core/run_dir.py) holds its record `run.json`, its live log and its last
checkpoint. The record is rewritten atomically (when the run is created, after every epoch and
checkpoint, at the end), so a crash leaves the previous complete version, never a half-written
one. A run still marked "running" whose process (pid on this host) is gone is reported as
"interrupted"; its last checkpoint, if any, is what `lstm-studio train --resume` continues.
Runs recorded before runs had folders (`runs/<id>.json`) are still listed, renamed and deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lstm_studio.core.atomic import atomic_write_text
from lstm_studio.core.events import EpochEvent, StepEvent
from lstm_studio.core.paths import user_data_dir
from lstm_studio.core.run_dir import RECORD_NAME, RunDir

STATUSES: tuple[str, ...] = ("running", "finished", "stopped", "failed", "interrupted")
INTERRUPTED_MESSAGE = ("The process ended without a word before the run finished (killed, "
                       "crashed or the machine stopped).")
MAX_STEP_POINTS = 2000


@dataclass
class RunRecord:
    run_id: str
    created: str  # ISO 8601, UTC
    status: str = "running"
    model_config: dict = field(default_factory=dict)
    train_config: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=lambda: {
        "step": [], "loss": [], "grad_norm": [], "lr": []})
    checkpoint_path: str | None = None
    summary: dict = field(default_factory=dict)
    name: str = ""
    message: str = ""
    pid: int | None = None
    host: str = ""
    updated: str = ""
    step_stride: int = 1  # steps are kept every `step_stride` global steps
    # What `train --resume` needs to rebuild the run without data arguments.
    vocab_config: dict | None = None
    data_config: dict | None = None
    cleaning_config: dict | None = None
    fingerprint: str = ""  # of the cleaned splits and vocabulary (core/resume.py)
    last_checkpoint: dict | None = None  # epoch, global_step, epoch_step, time
    resumes: list[dict] = field(default_factory=list)  # one entry per continuation
    processes: int = 1  # data-parallel processes of the latest session
    model_out: str = ""  # the model file the run will write when it ends
    folder: str = ""  # where the record was read from (not stored: a folder can move)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("folder")
        return data

    @property
    def resumable(self) -> bool:
        """A run that ended early and left a checkpoint (a finished one can also be trained
        further: `train --resume ID --epochs N`)."""
        return (self.last_checkpoint is not None
                and self.status in ("interrupted", "stopped", "failed"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def add_step(self, step: int, loss: float, grad_norm: float, lr: float) -> None:
        """Keep a downsampled per-step curve: halve the points whenever it grows too long."""
        if step % self.step_stride:
            return
        for key, value in (("step", step), ("loss", loss), ("grad_norm", grad_norm),
                           ("lr", lr)):
            self.steps.setdefault(key, []).append(value)
        if len(self.steps["step"]) > MAX_STEP_POINTS:
            self.step_stride *= 2
            keep = [i for i, s in enumerate(self.steps["step"]) if s % self.step_stride == 0]
            self.steps = {key: [values[i] for i in keep] for key, values in self.steps.items()}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (never signals it, also on Windows)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else user_data_dir() / "runs"
        self.root.mkdir(parents=True, exist_ok=True)

    def _legacy_path(self, run_id: str) -> Path:
        return self.root / f"{run_id}.json"

    def run_dir(self, run_id: str) -> RunDir:
        return RunDir(self.root / run_id)

    def create(self, model_config: dict, train_config: dict, name: str = "",
               fields: dict[str, Any] | None = None) -> RunRecord:
        """A new run folder and its record, marked running; `fields` sets more of the
        record's fields in the same first write."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        run_id = f"{stamp}-{uuid.uuid4().hex[:6]}"
        folder = self.run_dir(run_id).path
        folder.mkdir(parents=True)
        record = RunRecord(run_id=run_id, created=_now(), model_config=model_config,
                           train_config=train_config, name=name, pid=os.getpid(),
                           host=socket.gethostname(), folder=str(folder))
        for key, value in (fields or {}).items():
            setattr(record, key, value)
        self.save(record)
        return record

    def save(self, record: RunRecord) -> None:
        """Write the record where it lives: its folder, or a legacy single file."""
        record.updated = _now()
        path = (Path(record.folder) / RECORD_NAME if record.folder
                else self._legacy_path(record.run_id))
        atomic_write_text(path, json.dumps(record.to_dict(), ensure_ascii=False,
                                           allow_nan=False, default=str))

    def get(self, run_id: str) -> RunRecord | None:
        if not run_id or Path(run_id).name != run_id:
            return None  # an id, never a path
        record = read_run(self.run_dir(run_id).path)
        if record is not None:
            return record
        try:
            data = json.loads(self._legacy_path(run_id).read_text(encoding="utf-8"))
            return resolve_status(RunRecord.from_dict(data))
        except (OSError, ValueError, TypeError):
            return None

    def list_runs(self) -> list[RunRecord]:
        """All readable runs (folders and legacy files), newest first."""
        records = []
        for path in self.root.glob(f"*/{RECORD_NAME}"):
            record = read_run(path.parent)
            if record is not None:
                records.append(record)
        for path in self.root.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                records.append(resolve_status(RunRecord.from_dict(data)))
            except (OSError, ValueError, TypeError):
                continue  # a foreign file in the folder; atomic writes never leave ours broken
        records.sort(key=lambda r: (r.created, r.run_id), reverse=True)
        return records

    def delete(self, run_id: str) -> bool:
        record = self.get(run_id)
        if record is None:
            return False
        if record.folder:
            shutil.rmtree(record.folder)
        else:
            self._legacy_path(run_id).unlink()
        return True

    def rename(self, run_id: str, name: str) -> RunRecord | None:
        record = self.get(run_id)
        if record is None:
            return None
        record.name = name
        self.save(record)
        return record


def read_run(folder: str | os.PathLike[str]) -> RunRecord | None:
    """The record of the run folder `folder` (anywhere), its status resolved; None when the
    folder holds no readable record."""
    path = Path(folder)
    try:
        data = json.loads((path / RECORD_NAME).read_text(encoding="utf-8"))
        record = RunRecord.from_dict(data)
    except (OSError, ValueError, TypeError):
        return None
    record.folder = str(path)
    return resolve_status(record)


def resolve_status(record: RunRecord) -> RunRecord:
    """A run marked running whose process on this host is gone was interrupted."""
    if record.status == "running" and record.pid is not None:
        same_host = not record.host or record.host == socket.gethostname()
        if same_host and not pid_alive(int(record.pid)):
            record.status = "interrupted"
            record.message = record.message or INTERRUPTED_MESSAGE
    return record


class RunRecorder:
    """Feeds trainer events into a RunRecord, saving after each epoch (cheap per step)."""

    def __init__(self, store: RunStore, record: RunRecord) -> None:
        self.store = store
        self.record = record

    def __call__(self, event: object) -> None:
        if isinstance(event, StepEvent):
            self.record.add_step(event.global_step, event.loss, event.grad_norm, event.lr)
        elif isinstance(event, EpochEvent):
            self.record.history.append(_finite(asdict(event)))
            self.store.save(self.record)

    def finish(self, status: str, message: str, history: list[dict], summary: dict,
               checkpoint_path: str | None) -> None:
        self.record.status = status
        self.record.message = message
        self.record.history = _finite(history)
        self.record.summary = _finite(summary)
        self.record.checkpoint_path = checkpoint_path
        self.store.save(self.record)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
