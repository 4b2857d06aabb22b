"""One training run at a time, with its controls and live plots: the right half of the page.

The run is `job.training_job` in a TaskSlot: its event batches feed the plots and the progress
bar, pause, resume and stop travel through the task's `Progress` (stop keeps the best weights,
the core's rule), and closing the window stops it within ~2 s (see `shutdown`). What to train
comes from the tab (`start_requested` -> `start(inputs)`); what a finished run means for the
rest of the window (the model, its metrics) is the tab's business too (`finished`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from lstm_studio.core.events import EpochEvent, RunEnded, RunStarted, StepEvent
from lstm_studio.gui import dialogs
from lstm_studio.gui.memory import settle
from lstm_studio.gui.train.job import TrainingInputs, resume_job, training_job
from lstm_studio.gui.train.plots import TrainPlots
from lstm_studio.gui.train.progress_bar import ActiveClock, RunProgressBar
from lstm_studio.gui.workers import BackgroundTask, TaskSlot

if TYPE_CHECKING:
    from lstm_studio.core.pipeline import TrainResult
    from lstm_studio.core.progress import Progress

# While training, a GUI thread that wants the GIL gets it after at most this long instead of
# Python's default 5 ms. Every Qt virtual call on a Python-made widget takes the GIL, so one
# repaint can need it dozens of times: with 5 ms waits a 10 ms paint became a 300 ms stall
# whenever the worker ran pure-Python code (vocabulary, encoding).
TRAINING_SWITCH_INTERVAL_S = 0.001
STATUS_INTERVAL_S = 1.0


class TrainingView(QWidget):
    """Start / Pause / Stop, the progress bar, export buttons, a hint and the live plots."""

    start_requested = Signal()  # the Start button: the tab answers with start(inputs)
    open_run_requested = Signal()  # the Open run… button: the tab asks for a run folder
    started = Signal()
    running_changed = Signal(bool)
    ended = Signal(str)  # "finished", "stopped", "failed" or "cancelled", after the run settled
    finished = Signal(object)  # the core's TrainResult, after `ended`
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slot = TaskSlot(self, "Training", "Training failed")
        self.task: BackgroundTask | None = None  # the last run's task (benchmarks follow it)
        self.result: TrainResult | None = None
        self.run_id: str | None = None
        self.batches = 0
        self._running = False
        self._blocker: str | None = None
        self._closing = threading.Event()
        self._switch_interval: float | None = None
        self._clock = ActiveClock()
        self._total_steps = 0
        self._first_step: int | None = None
        self._epochs_total = 0
        self._last_step: StepEvent | None = None
        self._last_status = 0.0

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Train a new model with these settings.")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop now; the best weights so far are kept.")
        self.open_run_button = QPushButton("Open run…")
        self.open_run_button.setToolTip("Follow a run another process is writing (a headless "
                                        "`lstm-studio train`, here or on a shared disk).")
        self.export_png_button = QPushButton("Export plots…")
        self.export_csv_button = QPushButton("Export CSV…")
        self.progress_bar = RunProgressBar()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.plots = TrainPlots()
        self.start_button.clicked.connect(self.start_requested)
        self.open_run_button.clicked.connect(self.open_run_requested)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.export_png_button.clicked.connect(self._export_pngs)
        self.export_csv_button.clicked.connect(self._export_csv)

        controls = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            controls.addWidget(button)
        controls.addWidget(self.progress_bar, 1)
        controls.addWidget(self.open_run_button)
        controls.addWidget(self.export_png_button)
        controls.addWidget(self.export_csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.hint)
        layout.addWidget(self.plots, 1)
        self._update_buttons()

    # ----- state -----------------------------------------------------------------------------
    def is_training(self) -> bool:
        return self._running

    def is_paused(self) -> bool:
        return self._running and self.task is not None and self.task.progress.paused

    def set_blocker(self, reason: str | None) -> None:
        """Why Start is disabled (no data, invalid settings), shown under the buttons."""
        self._blocker = reason
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self._running
        blocker = None if running else self._blocker
        self.start_button.setEnabled(not running and blocker is None)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.open_run_button.setEnabled(not running)
        self.hint.setText(blocker or "")
        self.hint.setVisible(bool(blocker))
        if not running:
            self.pause_button.setText("Pause")

    # ----- the run ----------------------------------------------------------------------------
    def start(self, inputs: TrainingInputs) -> BackgroundTask | None:
        """Start a run; it is launched on the next turn of the event loop."""
        if self._running or self._blocker is not None:
            return None
        self._closing = threading.Event()
        return self._begin(training_job(inputs, self._closing), inputs.model_config.task,
                           inputs.train_config.epochs, "Training started")

    def start_resume(self, folder: str, task: str, epochs: int) -> BackgroundTask | None:
        """Continue the run in `folder` from its checkpoint (it reads its own data, so no
        dataset needs to be loaded); its curves so far come first."""
        if self._running:
            return None
        self._closing = threading.Event()
        return self._begin(resume_job(folder, self._closing), task, epochs,
                           f"Resuming the run in {folder}")

    def _begin(self, job: Callable[[Progress, Callable[[object], None]], object], task: str,
               epochs: int, message: str) -> BackgroundTask:
        self.result, self.run_id, self.batches = None, None, 0
        self._total_steps, self._last_step = 0, None
        self._first_step = None  # the global step before this session's first (resumed runs)
        self._epochs_total = epochs
        self._clock.restart()
        self.plots.reset(task)
        self.task = self.slot.start(
            job, self._on_result, on_partial=self._on_events,
            on_progress=self._on_progress, on_failed=self._on_failed,
            on_cancelled=self._on_cancelled, launch=False)
        self._set_running(True)
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, TRAINING_SWITCH_INTERVAL_S))
        # Everything alive now (the loaded dataset: millions of objects) is moved out of the
        # cyclic collector's sight, as the Data and Clean tabs do after installing results; a
        # full collection triggered in the worker otherwise held the GIL, and so froze the GUI,
        # for ~400 ms on NTC-SCV. It is not undone afterwards: unfreezing would also hand the
        # other tabs' settled data back to the collector.
        settle()
        self.progress_bar.show_preparing()
        # Launch on the next turn of the event loop, after the cleared plots and the disabled
        # form have been painted, so that paint does not compete for the GIL.
        QTimer.singleShot(0, self._launch)
        self.started.emit()
        self.status_message.emit(message)
        return self.task

    def _launch(self) -> None:
        task = self.slot.current
        if task is None or task.is_running() or task.is_finished():
            return
        if task.progress.cancelled:  # stopped before it began: it never ran, so never ends
            self.slot.cancel()
            self.progress_bar.show_idle("Stopped before the first step")
            self._finish("cancelled")
            return
        task.start()

    def toggle_pause(self) -> None:
        task = self.task
        if not self._running or task is None:
            return
        paused = not task.progress.paused
        if paused:
            task.pause()
            self._clock.pause()
        else:
            task.resume()
            self._clock.resume()
        self.pause_button.setText("Resume" if paused else "Pause")
        self.progress_bar.set_paused(paused)
        self.status_message.emit("Training paused" if paused else "Training resumed")

    def stop(self) -> None:
        """Ask the run to stop after its current step; it still reports its result."""
        if self._running and self.task is not None:
            self.task.cancel()  # the task's own cancel: it stays current and reports
            self.stop_button.setEnabled(False)
            self.pause_button.setEnabled(False)
            self.progress_bar.show_stopping()

    def shutdown(self) -> None:
        """Stop any run and wait for its thread (≤ 2 s for training between two steps); the
        run is recorded as stopped, without its final evaluation."""
        if self.slot.current is not None:
            self._closing.set()
            self.slot.current.cancel()  # also a run whose thread has not been launched yet
        self.slot.shutdown()
        self._running = False
        self._restore_interpreter()

    # ----- what the run reports (GUI thread) -------------------------------------------------
    def _on_events(self, batch: list[object]) -> None:
        self.batches += 1
        steps: list[StepEvent] = []
        for event in batch:
            if isinstance(event, StepEvent):
                steps.append(event)
            elif isinstance(event, EpochEvent):
                self.plots.add_epoch(event)
                self._epochs_total = event.epochs
            elif isinstance(event, RunStarted):
                self.run_id = event.run_id
                self._total_steps = max(1, int(event.total_steps))
                self.progress_bar.set_total(self._total_steps)
                self.plots.set_total_steps(self._total_steps)
            elif isinstance(event, RunEnded):
                self.status_message.emit(event.message or f"Training {event.status}")
        if steps:
            self.plots.add_steps(steps)
            self._last_step = steps[-1]
            if self._total_steps:  # not the curve so far of a resumed run
                if self._first_step is None:
                    self._first_step = steps[0].global_step - 1
                self._show_step_progress(steps[-1])

    def _show_step_progress(self, event: StepEvent) -> None:
        if self.is_paused():
            return
        total = self._total_steps or event.steps_per_epoch * max(1, self._epochs_total)
        self.progress_bar.show_step(event, self._epochs_total, total, self._clock.seconds(),
                                    self._first_step or 0)
        now = time.monotonic()
        if now - self._last_status >= STATUS_INTERVAL_S:
            self._last_status = now
            self.status_message.emit(
                f"Training: {event.tokens_per_s:,.0f} tokens/s · loss {event.loss:.4f}")

    def _on_progress(self, _done: int, _total: int, what: str) -> None:
        if what.startswith("Validating") and not self.is_paused() and self._last_step:
            self.progress_bar.show_validating(self._last_step.epoch, self._epochs_total)

    def _on_result(self, result: TrainResult) -> None:
        self.result = result
        status = str(result.status)
        self.progress_bar.show_outcome(status, result.message)
        self._finish(status)
        self.status_message.emit(result.message or f"Training {status}")
        if status == "failed":
            dialogs.error(self, "Training failed", result.message)
        self.finished.emit(result)

    def _on_failed(self, message: str) -> None:
        self.progress_bar.show_idle("Failed")
        self._finish("failed")
        self.status_message.emit("Training failed")
        dialogs.error(self, "Training failed", message)

    def _on_cancelled(self) -> None:
        self.progress_bar.show_idle("Stopped before the first step")
        self._finish("cancelled")

    def _finish(self, status: str) -> None:
        if self.task is not None and self.task.progress.paused:
            self.task.resume()
        self._set_running(False)
        self._restore_interpreter()
        self.plots.redraw()
        self.ended.emit(status)

    def _set_running(self, running: bool) -> None:
        self._running = running
        self._update_buttons()
        self.running_changed.emit(running)

    def _restore_interpreter(self) -> None:
        """Undo what `start` changed in the interpreter for the run."""
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    # ----- export -----------------------------------------------------------------------------
    def _export_pngs(self) -> None:
        folder = dialogs.open_folder(self, "Export plots as PNG")
        if folder:
            paths = self.plots.export_pngs(folder)
            self.status_message.emit(f"Saved {len(paths)} plots to {folder}")

    def _export_csv(self) -> None:
        path = dialogs.save_file(self, "Export metrics as CSV", "metrics.csv", "CSV (*.csv)")
        if path:
            self.plots.export_csv(path)
            self.status_message.emit(f"Metrics saved to {path}")
