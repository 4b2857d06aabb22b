"""Follow a run another process is writing (a headless `lstm-studio train`, here or on a
shared disk): read its folder as it grows, without ever blocking the window.

A timer asks for a poll every `POLL_MS` (slower once the run has ended: it may still be
resumed). Each poll runs in a TaskSlot: it reads the record (`run.json`, status resolved) and
the live log from where the last poll stopped (core/run_log.py), so a slow network disk only
delays the next update. A log that was replaced (a resumed run cuts it back to its
checkpoint) is read again from the start (`reset`). Stop writes the run's stop file, also
off the GUI thread; the run stops after its current step and saves a checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from lstm_studio.core.errors import UserError
from lstm_studio.core.progress import Progress
from lstm_studio.core.run_dir import RunDir
from lstm_studio.core.run_log import read_log
from lstm_studio.gui.workers import TaskSlot

if TYPE_CHECKING:
    from lstm_studio.core.runs import RunRecord

POLL_MS = 500
ENDED_POLL_MS = 2000


@dataclass
class FollowUpdate:
    """One poll's findings (plain data from the worker)."""

    record: RunRecord | None
    lines: list[dict[str, Any]] = field(default_factory=list)
    offset: int = 0
    file_id: tuple[int, int] | None = None
    reset: bool = False


def read_run_folder(folder: str, offset: int, file_id: tuple[int, int] | None
                    ) -> FollowUpdate:
    """The record and the log lines written since `offset` (a worker function)."""
    from lstm_studio.core.runs import read_run

    record = read_run(folder)
    chunk = read_log(RunDir.at(folder).log, offset, file_id)
    return FollowUpdate(record, chunk.lines, chunk.offset, chunk.file_id, chunk.reset)


class RunFollower(QObject):
    """Polls one run folder; emits what changed, on the GUI thread."""

    reset = Signal(object)  # RunRecord: forget what was shown, the log starts again
    updated = Signal(object, list)  # RunRecord and the new log lines (maybe none)
    lost = Signal(str)  # the folder cannot be read any more
    stop_written = Signal(bool, str)  # the stop file was written (ok, message)

    def __init__(self, owner: QWidget, interval_ms: int = POLL_MS) -> None:
        super().__init__(owner)
        self.folder: str | None = None
        self.record: RunRecord | None = None
        self.polls = 0
        self._offset = 0
        self._file_id: tuple[int, int] | None = None
        self._fresh = True
        self._interval = interval_ms
        self._slot = TaskSlot(owner, "Reading the run", "Reading the run failed")
        self._stop_slot = TaskSlot(owner, "Asking the run to stop")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.poll)

    def attach(self, folder: str | Path) -> None:
        """Follow `folder`; a folder without a run record is a UserError."""
        path = str(folder)
        if not RunDir.at(path).exists():
            raise UserError(f"{path} is not a run folder: it has no run.json.")
        self.detach()
        self.folder, self.record = path, None
        self._offset, self._file_id, self._fresh = 0, None, True
        self.poll()

    def detach(self) -> None:
        self._timer.stop()
        self._slot.cancel()
        self.folder = None

    def is_attached(self) -> bool:
        return self.folder is not None

    def poll(self) -> None:
        """Read what is new (at most one read in flight; the timer asks again after it)."""
        folder = self.folder
        if folder is None or self._slot.is_busy():
            return
        offset, file_id = self._offset, self._file_id

        def job(progress: Progress, emit: Any) -> FollowUpdate:
            return read_run_folder(folder, offset, file_id)

        self._slot.start(job, self._on_read, on_failed=self._on_failed,
                         on_done=lambda ok: self._schedule(),
                         still_valid=lambda: self.folder == folder)

    def request_stop(self) -> None:
        """Write the run's stop file (in the background: the disk may be a slow share)."""
        if self.folder is None:
            return
        run_dir = RunDir.at(self.folder)

        def job(progress: Progress, emit: Any) -> None:
            try:
                run_dir.request_stop()
            except OSError as error:
                raise UserError(f"The stop file cannot be written in {run_dir.path} "
                                f"({error.strerror}).") from error

        self._stop_slot.start(job, lambda _: self.stop_written.emit(True, ""),
                              on_failed=lambda message: self.stop_written.emit(False, message))

    def shutdown(self) -> None:
        self._timer.stop()
        self.folder = None
        self._slot.shutdown()
        self._stop_slot.shutdown()

    # -- results (GUI thread) ----------------------------------------------------------------
    def _on_read(self, update: FollowUpdate) -> None:
        self.polls += 1
        if update.record is None:
            self._on_failed(f"The run record in {self.folder} can no longer be read.")
            return
        self.record = update.record
        self._offset, self._file_id = update.offset, update.file_id
        if self._fresh or update.reset:
            self._fresh = False
            self.reset.emit(update.record)
        self.updated.emit(update.record, update.lines)

    def _on_failed(self, message: str) -> None:
        self.lost.emit(message)

    def _schedule(self) -> None:
        if self.folder is None:
            return
        running = self.record is None or self.record.status == "running"
        self._timer.start(self._interval if running else max(self._interval, ENDED_POLL_MS))
