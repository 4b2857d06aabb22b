"""A run followed from its folder (Train tab → Open run…): its live curves, epoch table,
progress and status, with Stop (the run's stop file), Resume (an interrupted or stopped run)
and Close. The reading is `RunFollower`'s; this view only shows what it hands over.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.events import StepEvent
from lstm_studio.core.run_log import line_event
from lstm_studio.gui.train.epoch_table import EpochTable
from lstm_studio.gui.train.plots import TrainPlots
from lstm_studio.gui.train.progress_bar import RunProgressBar, format_duration
from lstm_studio.gui.train.run_follower import RunFollower

if TYPE_CHECKING:
    from lstm_studio.core.runs import RunRecord

def describe_checkpoint(point: dict | None) -> str:
    if not point:
        return "no checkpoint yet"
    when = str(point.get("time", ""))[11:19]
    where = (f"epoch {point['epoch'] + 1}, step {point['epoch_step']}" if point.get("epoch_step")
             else f"the end of epoch {point['epoch']}")
    return f"last checkpoint at {where}" + (f" ({when} UTC)" if when else "")


class FollowView(QWidget):
    """The right half of the Configure & train page while a run folder is followed."""

    resume_requested = Signal(str)  # the run folder
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.follower = RunFollower(self)
        self.record: RunRecord | None = None
        self._task = "classify"
        self._total = 0
        self._epochs = 0
        self._live: tuple[float, int] | None = None  # (time, global step) of the first live step
        self._last_step: StepEvent | None = None
        self._stop_sent = False

        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stop_button = QPushButton("Stop run")
        self.stop_button.setToolTip("Ask the run to stop after its current step; it saves a "
                                    "checkpoint and can be resumed.")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue this run here from its last checkpoint.")
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Stop following this run (it goes on).")
        self.progress_bar = RunProgressBar()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.plots = TrainPlots()
        self.table = EpochTable()
        # Kept small: the window's minimum height is the tallest page's. The splitter gives it
        # room for about four rows to start with.
        self.table.setMinimumHeight(90)

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        for button in (self.stop_button, self.resume_button, self.close_button):
            header.addWidget(button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plots)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 150])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self.stop_button.clicked.connect(self.stop_run)
        self.resume_button.clicked.connect(self._on_resume)
        self.close_button.clicked.connect(self.close_run)
        self.follower.reset.connect(self._on_reset)
        self.follower.updated.connect(self._on_updated)
        self.follower.lost.connect(self._on_lost)
        self.follower.stop_written.connect(self._on_stop_written)
        self._update_buttons()

    # ----- control --------------------------------------------------------------------------
    def attach(self, folder: str | Path) -> None:
        """Follow the run in `folder` (a UserError if it is not a run folder)."""
        self.follower.attach(folder)
        self.title.setText(f"Run folder {folder}")
        self.status.setText("Reading the run…")
        self._stop_sent = False

    def stop_run(self) -> None:
        if self.record is None or self.record.status != "running":
            return
        self._stop_sent = True
        self.follower.request_stop()
        self.progress_bar.show_stopping()
        self._update_buttons()

    def close_run(self) -> None:
        self.follower.detach()
        self.record = None
        self.closed.emit()

    def shutdown(self) -> None:
        self.follower.shutdown()

    # ----- what the follower found (GUI thread) ----------------------------------------------
    def _on_reset(self, record: RunRecord) -> None:
        self._task = str(record.model_config.get("task", "classify"))
        self._epochs = int(record.train_config.get("epochs", 0) or 0)
        self._total, self._live, self._last_step = 0, None, None
        self.plots.reset(self._task)
        self.table.reset(self._task)
        self.progress_bar.show_idle("Waiting for the first step")

    def _on_updated(self, record: RunRecord, lines: list[dict[str, Any]]) -> None:
        self.record = record
        steps: list[StepEvent] = []
        for line in lines:
            kind = line.get("event")
            if kind == "step":
                event = line_event(line)
                assert isinstance(event, StepEvent)
                steps.append(event)
            elif kind == "epoch":
                self.plots.add_epoch(line)
                self.table.add_epoch(line)
                self._epochs = int(line.get("epochs") or self._epochs)
            elif kind == "start":
                self._total = int(line.get("total_steps") or 0)
                self._live = None
                self.progress_bar.set_total(max(1, self._total))
                self.plots.set_total_steps(max(1, self._total))
        if steps:
            self.plots.add_steps(steps)
            self._show_step(steps[-1])
        self._show_status(record)
        self._update_buttons()

    def _show_step(self, event: StepEvent) -> None:
        """Progress and an ETA from the pace seen since following began."""
        now = time.monotonic()
        self._last_step = event
        if self._live is None:
            self._live = (now, event.global_step)
        started, first = self._live
        done = event.global_step
        eta = "–"
        if self._total and done > first and now > started:
            eta = format_duration((now - started) / (done - first) * (self._total - done))
        total = max(1, self._total or done)
        if self.progress_bar.maximum() != total:
            self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(min(done, total))
        epochs = f"/{self._epochs}" if self._epochs else ""
        self.progress_bar.setFormat(f"Epoch {event.epoch}{epochs} · step {event.step}/"
                                    f"{event.steps_per_epoch} · loss {event.loss:.4f} · "
                                    f"ETA {eta}")

    def _show_status(self, record: RunRecord) -> None:
        name = f" · {record.name}" if record.name else ""
        self.title.setText(f"<b>Run {record.run_id}</b>{name}")
        self.title.setToolTip(record.folder)
        checkpoint = describe_checkpoint(record.last_checkpoint)
        if record.status == "running":
            where = f"process {record.pid} on {record.host or 'this machine'}"
            processes = f" · {record.processes} processes" if record.processes > 1 else ""
            stopping = " · stop requested" if self._stop_sent else ""
            text = f"Running in {where}{processes}{stopping} · {checkpoint}."
        elif record.status == "interrupted":
            hint = ("Resume continues from there." if record.resumable
                    else "It cannot be resumed.")
            text = f"Interrupted: {record.message} It left {checkpoint}. {hint}"
            self.progress_bar.show_idle("Interrupted")
        else:
            text = f"{record.status.capitalize()}: {record.message}"
            if record.resumable:
                text += f" Resume continues from the {checkpoint}."
            self.progress_bar.show_outcome(record.status, record.message)
        self.status.setText(text)

    def _on_lost(self, message: str) -> None:
        self.status.setText(f"{message} Trying again…")

    def _on_stop_written(self, ok: bool, message: str) -> None:
        if not ok:
            self._stop_sent = False
            self.status.setText(message)
            self._update_buttons()

    def _on_resume(self) -> None:
        if self.record is not None and self.record.resumable:
            folder = self.record.folder
            self.close_run()
            self.resume_requested.emit(folder)

    def _update_buttons(self) -> None:
        record = self.record
        running = record is not None and record.status == "running"
        self.stop_button.setEnabled(running and not self._stop_sent)
        self.stop_button.setVisible(record is None or running)
        self.resume_button.setVisible(record is not None and record.resumable)
