"""The Train tab: configure, train with live plots, compare runs, evaluate, use the model.

Training runs `pipeline.train_model` in a BackgroundTask. The trainer calls `on_event` for
every step; an `EventBatcher` inside the worker collects StepEvents and hands them to Qt in
batches at most ~10 times a second (epoch and run events go at once), so a fast loop sends
a handful of queued signals per second instead of hundreds. Pause, resume and stop travel
through the task's `Progress`; stop keeps the best weights (the core's rule).
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.config import ModelConfig, TrainConfig, config_from_dict, config_to_dict
from lstm_studio.core.errors import Cancelled
from lstm_studio.core.events import EpochEvent, RunEnded, RunStarted, StepEvent
from lstm_studio.gui import dialogs
from lstm_studio.gui.memory import settle
from lstm_studio.gui.train.compare_view import CompareView
from lstm_studio.gui.train.evaluate_view import EvaluateView
from lstm_studio.gui.train.form import TrainForm
from lstm_studio.gui.train.plots import TrainPlots
from lstm_studio.gui.train.search_view import SearchView
from lstm_studio.gui.train.use_view import UseView
from lstm_studio.gui.workers import BackgroundTask, stop_task

log = logging.getLogger(__name__)

BATCH_INTERVAL_S = 0.1  # at most ~10 event batches per second reach the GUI
# While training, a GUI thread that wants the GIL gets it after at most this long instead of
# Python's default 5 ms. Every Qt virtual call on a Python-made widget takes the GIL, so one
# repaint can need it dozens of times: with 5 ms waits a 10 ms paint became a 300 ms stall
# whenever the worker ran pure-Python code (vocabulary, encoding).
TRAINING_SWITCH_INTERVAL_S = 0.001
STATUS_INTERVAL_S = 1.0
PAUSED_SUFFIX = " · paused"


class EventBatcher:
    """Runs in the worker: buffers StepEvents, emits lists of events at most every interval."""

    def __init__(self, emit: Callable[[Any], None], interval: float = BATCH_INTERVAL_S) -> None:
        self._emit = emit
        self._interval = interval
        self._buffer: list[Any] = []
        self._last = 0.0
        self._lock = threading.Lock()
        self.batches = 0

    def push(self, event: Any) -> None:
        with self._lock:
            self._buffer.append(event)
            now = time.monotonic()
            urgent = not isinstance(event, StepEvent)
            if not (urgent or now - self._last >= self._interval):
                return
            self._last = now
            batch, self._buffer = self._buffer, []
        self.batches += 1
        self._emit(batch)

    def flush(self) -> None:
        with self._lock:
            batch, self._buffer = self._buffer, []
        if batch:
            self.batches += 1
            self._emit(batch)


class ShutdownRequested(Cancelled):
    """Raised from the event callback once the trainer has stopped because the window closes.

    `train_model` evaluates the validation and test splits after a stop, which can take far
    longer than the 2 s a closing window may wait on a large dataset. Raising here skips that
    evaluation; the job then writes the run back to the store as "stopped" (the pipeline
    records an exception as "failed").
    """


def _read_run(run_id: str | None) -> Any:
    if not run_id:
        return None
    from lstm_studio.core.runs import RunStore

    return RunStore().get(run_id)


def _mark_stopped(record: Any) -> None:
    if record is None:
        return
    from lstm_studio.core.runs import RunStore

    record.status = "stopped"
    record.message = "Stopped because LSTM Studio was closed during training."
    RunStore().save(record)


def training_job(dataset: Any, vocab_config: Any, model_config: ModelConfig,
                 train_config: TrainConfig, cleaning_config: Any, data_config: Any,
                 closing: threading.Event | None = None
                 ) -> Callable[[Any, Callable[[Any], None]], Any]:
    """The worker function: `train_model` with batched events (see EventBatcher).

    When `closing` is set (the window closes) the run ends right after the trainer stops,
    without the final evaluation (see ShutdownRequested).
    """

    def job(progress: Any, emit: Callable[[Any], None]) -> Any:
        from lstm_studio.core.pipeline import train_model

        batcher = EventBatcher(emit)
        run: dict[str, Any] = {}

        def on_event(event: Any) -> None:
            if isinstance(event, RunStarted):
                run["id"] = event.run_id
            batcher.push(event)
            if isinstance(event, RunEnded) and closing is not None and closing.is_set():
                run["record"] = _read_run(run.get("id"))
                raise ShutdownRequested()

        try:
            return train_model(dataset, vocab_config, model_config, train_config,
                               cleaning_config=cleaning_config, data_config=data_config,
                               progress=progress, on_event=on_event)
        except ShutdownRequested:
            _mark_stopped(run.get("record"))
            raise
        finally:
            batcher.flush()

    return job


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainTab(QWidget):
    """Configure & train, Compare, Evaluate and Use, as four pages of one tab."""

    training_started = Signal()
    training_finished = Signal(object)  # the core's TrainResult
    training_ended = Signal(str)  # "finished", "stopped", "failed" or "cancelled"

    def __init__(self, state: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.task: BackgroundTask | None = None
        self._running = False
        self._switch_interval: float | None = None
        self._data_blocker: str | None = None
        self._closing = threading.Event()
        self.result: Any = None
        self.run_id: str | None = None
        self._total_steps = 0
        self._last_step: Any = None
        self._epochs_total = 0
        self._active_seconds = 0.0
        self._resumed_at = 0.0
        self._last_status = 0.0
        self._batches = 0

        self.form = TrainForm()
        self.form.set_configs(state.model_config, state.train_config)
        self.plots = TrainPlots()
        self.compare = CompareView()
        self.evaluate_view = EvaluateView(state)
        self.use_view = UseView(state)
        self.search_view = SearchView(self._search_inputs)
        self.form.quality.attach(state, self.form.embedding_dim.value, self.form.seed.value)
        self._build()
        self.search_view.apply_requested.connect(self.apply_search_settings)
        self.search_view.trial_finished.connect(lambda _trial: self.compare.mark_stale())
        self.search_view.slot.busy_changed.connect(lambda _busy: self._update_buttons())

        self.form.changed.connect(self._on_form_changed)
        state.dataset_changed.connect(self._on_data_changed)
        state.cleaning_changed.connect(self._on_data_changed)
        state.vocabulary_changed.connect(self._on_data_changed)
        self._on_data_changed()

    def _build(self) -> None:
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.start_button.setToolTip("Train a new model with these settings.")
        self.stop_button.setToolTip("Stop now; the best weights so far are kept.")
        self.export_png_button = QPushButton("Export plots…")
        self.export_csv_button = QPushButton("Export CSV…")
        self.start_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_training)
        self.export_png_button.clicked.connect(self._export_pngs)
        self.export_csv_button.clicked.connect(self._export_csv)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Not training")
        self.progress_bar.setTextVisible(True)
        self.hint = QLabel()
        self.hint.setWordWrap(True)

        controls = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            controls.addWidget(button)
        controls.addWidget(self.progress_bar, 1)
        controls.addWidget(self.export_png_button)
        controls.addWidget(self.export_csv_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(controls)
        right_layout.addWidget(self.hint)
        right_layout.addWidget(self.plots, 1)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(400)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([420, 860])

        self.pages = QTabWidget()
        self.pages.addTab(splitter, "Configure && train")
        self.pages.addTab(self.search_view, "Search")
        self.pages.addTab(self.compare, "Compare")
        self.pages.addTab(self.evaluate_view, "Evaluate")
        self.pages.addTab(self.use_view, "Use")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.pages)
        self._update_buttons()

    # ----- state -----------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.form.preloader.start()  # torch loads in the background while the user reads

    def _on_form_changed(self) -> None:
        self.state.model_config = self.form.model_config()
        self.state.train_config = self.form.train_config()
        self._update_buttons()

    def _on_data_changed(self) -> None:
        dataset = self.state.training_dataset()
        vocab = self.state.vocabulary
        if dataset is None:
            self._data_blocker = "Load a dataset in the Data tab to train a model."
            self.form.set_data_context(len(vocab) if vocab else 0, 2, True)
        else:
            has_train = any(doc.split == "train" for doc in dataset.documents)
            self._data_blocker = (None if has_train
                                  else "The dataset has no train split to learn from.")
            labels = dataset.labels()
            self.form.set_data_context(len(vocab) if vocab else 0, len(labels),
                                       bool(labels))
        self.form.quality.attach(self.state)
        self._update_buttons()

    def is_training(self) -> bool:
        return self._running

    def _blocker(self) -> str | None:
        return self._data_blocker or self.form.problem()

    def _update_buttons(self) -> None:
        running = self._running
        blocker = None if running else self._blocker()
        searching = self.search_view.is_running()
        self.start_button.setEnabled(not running and not searching and blocker is None)
        self.search_view.update_buttons()
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.form.setEnabled(not running)
        self.use_view.load_button.setEnabled(not running)
        self.hint.setText(blocker or "")
        self.hint.setVisible(bool(blocker))
        if not running:
            self.pause_button.setText("Pause")

    # ----- training ---------------------------------------------------------------------------
    def start_training(self) -> BackgroundTask | None:
        """Start a run with the form's settings (what the Start button does)."""
        if self._running or self._blocker() is not None:
            return None
        model_config, train_config = self.form.model_config(), self.form.train_config()
        vocab_config = self.state.vocab_config
        if model_config.task == "lm" and not vocab_config.lm_specials:
            vocab_config = replace(vocab_config, lm_specials=True)
        # Only replay cleaning at prediction time if the training text was cleaned with it.
        cleaned = self.state.cleaned
        cleaning = ((getattr(cleaned, "config", None) or self.state.cleaning_config)
                    if cleaned is not None else None)
        self._closing = threading.Event()
        job = training_job(self.state.training_dataset(), vocab_config, model_config,
                           train_config, cleaning, self.state.data_config, self._closing)
        self.result = None
        self.run_id = None
        self._total_steps = 0
        self._last_step = None
        self._epochs_total = train_config.epochs
        self._active_seconds = 0.0
        self._resumed_at = time.monotonic()
        self._batches = 0
        self.plots.reset(model_config.task)
        self.task = BackgroundTask(job, self)
        self.task.partial.connect(self._on_events)
        self.task.progressed.connect(self._on_progress)
        self.task.finished.connect(self._on_finished)
        self.task.failed.connect(self._on_failed)
        self.task.cancelled.connect(self._on_cancelled)
        self._running = True
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, TRAINING_SWITCH_INTERVAL_S))
        # Everything alive now (the loaded dataset: millions of objects) is moved out of the
        # cyclic collector's sight, as the Data and Clean tabs do after installing results; a
        # full collection triggered in the worker otherwise held the GIL, and so froze the GUI,
        # for ~400 ms on NTC-SCV. It is not undone afterwards: unfreezing would also hand the
        # other tabs' settled data back to the collector.
        settle()
        self.progress_bar.setRange(0, 0)  # busy until the run reports its size
        self.progress_bar.setFormat("Preparing…")
        self._update_buttons()
        # Start the worker on the next turn of the event loop, after the cleared plots and
        # the disabled form have been painted, so that paint does not compete for the GIL.
        QTimer.singleShot(0, self._launch)
        self.training_started.emit()
        self.state.status_message.emit("Training started")
        return self.task

    def _launch(self) -> None:
        if self.task is None or self.task.is_running() or self.task.is_finished():
            return
        if self.task.progress.cancelled:  # stopped or closed before it began
            self.progress_bar.setFormat("Stopped before the first step")
            self._finish("cancelled")
            return
        self.task.start()

    def toggle_pause(self) -> None:
        if not self._running or self.task is None:
            return
        if self.task.progress.paused:
            self.task.resume()
            self._resumed_at = time.monotonic()
            self.pause_button.setText("Pause")
            self.progress_bar.setFormat(self.progress_bar.format().removesuffix(PAUSED_SUFFIX))
            self.state.status_message.emit("Training resumed")
        else:
            self.task.pause()
            self._active_seconds += time.monotonic() - self._resumed_at
            self.pause_button.setText("Resume")
            text = self.progress_bar.format().removesuffix(PAUSED_SUFFIX)
            self.progress_bar.setFormat(text + PAUSED_SUFFIX)
            self.state.status_message.emit("Training paused")

    def is_paused(self) -> bool:
        return self.task is not None and self.task.progress.paused

    def stop_training(self) -> None:
        if self._running and self.task is not None:
            self.task.cancel()
            self.stop_button.setEnabled(False)
            self.pause_button.setEnabled(False)
            self.progress_bar.setFormat("Stopping… (keeping the best weights)")

    def _active_time(self) -> float:
        running = 0.0 if self.is_paused() else time.monotonic() - self._resumed_at
        return self._active_seconds + running

    def _on_events(self, batch: list[Any]) -> None:
        self._batches += 1
        steps = []
        for event in batch:
            if isinstance(event, StepEvent):
                steps.append(event)
            elif isinstance(event, EpochEvent):
                self.plots.add_epoch(event)
                self._epochs_total = event.epochs
            elif isinstance(event, RunStarted):
                self.run_id = event.run_id
                self._total_steps = max(1, int(event.total_steps))
                self.progress_bar.setRange(0, self._total_steps)
                self.plots.set_total_steps(self._total_steps)
            elif isinstance(event, RunEnded):
                self.state.status_message.emit(event.message or f"Training {event.status}")
        if steps:
            self.plots.add_steps(steps)
            self._last_step = steps[-1]
            self._show_step_progress()

    def _show_step_progress(self) -> None:
        event = self._last_step
        if event is None or self.is_paused():
            return
        total = self._total_steps or event.steps_per_epoch * max(1, self._epochs_total)
        done = event.global_step
        elapsed = self._active_time()
        eta = elapsed / done * (total - done) if done else 0.0
        if self.progress_bar.maximum() != total:
            self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(min(done, total))
        self.progress_bar.setFormat(
            f"Epoch {event.epoch}/{self._epochs_total} · step {event.step}/"
            f"{event.steps_per_epoch} · ETA {format_duration(eta)}")
        now = time.monotonic()
        if now - self._last_status >= STATUS_INTERVAL_S:
            self._last_status = now
            self.state.status_message.emit(
                f"Training: {event.tokens_per_s:,.0f} tokens/s · loss {event.loss:.4f}")

    def _on_progress(self, done: int, total: int, what: str) -> None:
        if what.startswith("Validating") and not self.is_paused() and self._last_step:
            self.progress_bar.setFormat(f"Epoch {self._last_step.epoch}/{self._epochs_total}"
                                        " · validating…")

    def _restore_interpreter(self) -> None:
        """Undo what `start_training` changed in the interpreter for the run."""
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    def _finish(self, status: str) -> None:
        self._running = False
        self._restore_interpreter()
        if self.task is not None and self.task.progress.paused:
            self.task.resume()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1 if status == "finished" else 0)
        self._update_buttons()
        self.plots.redraw()
        self.compare.mark_stale()
        self.training_ended.emit(status)

    def _on_finished(self, result: Any) -> None:
        self.result = result
        status = str(getattr(result, "status", "finished"))
        message = str(getattr(result, "message", ""))
        headline = message.split(". ")[0].rstrip(".")
        self.progress_bar.setFormat(f"{status.capitalize()}: {headline}" if headline
                                    else status.capitalize())
        self.progress_bar.setToolTip(message)
        bundle = getattr(result, "bundle", None)
        if bundle is not None:
            self.state.set_model(bundle, None)
            if bundle.model_config.task == "lm":
                # Perplexity beside the n-gram baseline's, both on the validation text.
                self.evaluate_view.show_metrics(result.valid, "valid")
                if result.valid:
                    self.evaluate_view.start_baseline("valid")
            else:
                split = "test" if result.test else "valid"
                self.evaluate_view.show_metrics(result.test or result.valid, split)
        self._finish(status)
        self.state.status_message.emit(message or f"Training {status}")
        if status == "failed":
            dialogs.error(self, "Training failed", message)
        self.training_finished.emit(result)

    def _on_failed(self, message: str) -> None:
        self.progress_bar.setFormat("Failed")
        self._finish("failed")
        self.state.status_message.emit("Training failed")
        dialogs.error(self, "Training failed", message)

    def _on_cancelled(self) -> None:
        self.progress_bar.setFormat("Stopped before the first step")
        self._finish("cancelled")

    # ----- search -----------------------------------------------------------------------------
    def _search_inputs(self) -> tuple | None:
        """What a settings search starts from: the data and the form (None: cannot start)."""
        if self._running or self._blocker() is not None:
            return None
        model_config, train_config = self.form.model_config(), self.form.train_config()
        vocab_config = self.state.vocab_config
        if model_config.task == "lm" and not vocab_config.lm_specials:
            vocab_config = replace(vocab_config, lm_specials=True)
        cleaned = self.state.cleaned
        cleaning = ((getattr(cleaned, "config", None) or self.state.cleaning_config)
                    if cleaned is not None else None)
        return (self.state.training_dataset(), vocab_config, model_config, train_config,
                cleaning, self.state.data_config)

    def apply_search_settings(self, model_config: ModelConfig,
                              train_config: TrainConfig) -> None:
        """The best trial's settings into the form (the user then trains with Start)."""
        self.form.set_configs(model_config, train_config)
        self.pages.setCurrentIndex(0)
        self.state.status_message.emit("The best search settings are in the form")

    # ----- export -----------------------------------------------------------------------------
    def _export_pngs(self) -> None:
        folder = dialogs.open_folder(self, "Export plots as PNG")
        if folder:
            paths = self.plots.export_pngs(folder)
            self.state.status_message.emit(f"Saved {len(paths)} plots to {folder}")

    def _export_csv(self) -> None:
        path = dialogs.save_file(self, "Export metrics as CSV", "metrics.csv", "CSV (*.csv)")
        if path:
            self.plots.export_csv(path)
            self.state.status_message.emit(f"Metrics saved to {path}")

    # ----- window plug-in contract ------------------------------------------------------------
    def confirm_close(self) -> bool:
        if not self._running:
            return True
        return dialogs.question(self, "Training is running",
                                "A model is still training. Stop it and close? The run is "
                                "recorded as stopped.")

    def shutdown(self) -> None:
        """Cancel any running work and wait for it (≤ 2 s for training between two steps)."""
        if self.task is not None:
            self._closing.set()
            self.task.cancel()  # also a run whose thread has not been launched yet
            stop_task(self.task, "Training")
            self._running = False
            self._restore_interpreter()
        self.use_view.shutdown()
        self.evaluate_view.shutdown()
        self.search_view.shutdown()
        self.form.quality.shutdown()
        self.form.preloader.wait()  # a module import must not be cut off at exit

    def project_state(self) -> dict[str, Any]:
        return {"model_config": config_to_dict(self.form.model_config()),
                "train_config": config_to_dict(self.form.train_config())}

    def restore_project_state(self, data: dict[str, Any]) -> None:
        self.form.set_configs(config_from_dict(ModelConfig, data.get("model_config")),
                              config_from_dict(TrainConfig, data.get("train_config")))

    def self_test_stage(self) -> str:
        """Train a tiny model by clicking Start, save and reload it; one-line summary."""
        if self.state.training_dataset() is None:
            raise RuntimeError("The Train stage needs a dataset loaded first.")
        saved_model, saved_train = self.form.model_config(), self.form.train_config()
        tiny_model = replace(saved_model, embedding_dim=16, hidden_size=16, num_layers=1,
                             bidirectional=False, tie_weights=False)
        tiny_train = replace(saved_train, epochs=1, batch_size=16, device="cpu",
                             early_stopping=None, threads=1)  # tiny: threads only add waits
        self.form.set_configs(tiny_model, tiny_train)
        try:
            if not self.start_button.isEnabled():
                raise RuntimeError(f"Start is disabled: {self._blocker()}")
            loop = QEventLoop()
            self.training_ended.connect(loop.quit)
            QTimer.singleShot(0, self.start_button.click)
            QTimer.singleShot(300_000, loop.quit)
            loop.exec()
            self.training_ended.disconnect(loop.quit)
            result = self.result
            if result is None or result.status != "finished":
                status = getattr(result, "status", "no result")
                raise RuntimeError(f"Training did not finish ({status}).")
            from lstm_studio.core.checkpoint import load_checkpoint, save_checkpoint

            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "self-test.safetensors"
                save_checkpoint(result.bundle, path)
                loaded = load_checkpoint(path)
            metrics = result.test or result.valid or {}
            score = (f"accuracy {metrics['accuracy']:.2f}" if "accuracy" in metrics
                     else f"perplexity {metrics.get('perplexity', float('nan')):.1f}")
            return (f"trained {self.plots.step_count()} steps in {result.seconds:.1f} s "
                    f"({score}); checkpoint saved and reloaded "
                    f"({len(loaded.vocab)} words)")
        finally:
            self.form.set_configs(saved_model, saved_train)
