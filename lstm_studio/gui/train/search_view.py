"""Search: try settings with Optuna in the background and apply the best ones to the form.

The search is the core's (`core/search.run_search`), run in a TaskSlot worker from the form's
current settings (which fix everything the search does not vary: epochs, embeddings...).
Each finished trial arrives as a partial result and fills one row of the table; each is also
a run in the run store, so the Compare page overlays them. Stop ends the running trial and
keeps the finished ones; "Apply best settings to the form" hands the best trial's configs to
the Train form in one click (the `apply_requested` signal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.gui.widgets.task_bar import TaskBar
from lstm_studio.gui.workers import TaskSlot

COLUMNS = ("Trial", "State", "Valid score", "Cell", "Hidden", "Layers", "Dropout", "LR", "Batch",
           "Pooling", "Class weights", "Seconds")
PARAM_COLUMNS = ("cell", "hidden_size", "num_layers", "dropout", "lr", "batch_size", "pooling",
                 "class_weight")

# (corpus, vocab_config, model_config, train_config, cleaning, data_config) or None; the
# corpus is a Dataset, or the TokenStore it is browsed from (trials then read the store)
Inputs = Callable[[], tuple | None]


def _cell(value: Any) -> QTableWidgetItem:
    text = "–" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


def search_job(inputs: tuple, trials: int, budget_s: float | None, name: str
               ) -> Callable[[Any, Callable[[Any], None]], Any]:
    corpus, vocab_config, model_config, train_config, cleaning, data_config = inputs

    def job(progress: Any, emit: Callable[[Any], None]) -> Any:
        from lstm_studio.core.search import run_search

        return run_search(corpus, vocab_config, model_config, train_config, cleaning,
                          data_config, trials=trials, budget_s=budget_s, name=name,
                          seed=train_config.seed, progress=progress, on_trial=emit)

    return job


class SearchView(QWidget):
    """Trials, budget, Start/Stop, a table of trials and "Apply best settings"."""

    apply_requested = Signal(object, object)  # ModelConfig, TrainConfig
    trial_finished = Signal(object)  # core.search.Trial (the Compare page refreshes)
    search_ended = Signal(str)  # "finished", "stopped" or "failed"

    def __init__(self, inputs: Inputs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._inputs = inputs
        self.result: Any = None
        self.trials: list[Any] = []
        self.slot = TaskSlot(self, "Settings search", "Search failed")
        self.trial_count = QSpinBox()
        self.trial_count.setRange(1, 500)
        self.trial_count.setValue(10)
        self.budget = QSpinBox()
        self.budget.setRange(0, 7 * 24 * 3600)
        self.budget.setValue(600)
        self.budget.setSuffix(" s")
        self.budget.setSpecialValueText("no limit")
        self.budget.setToolTip("Time for the whole search; a trial stops at it too.")
        self.start_button = QPushButton("Start search")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the running trial; the finished trials are kept.")
        self.apply_button = QPushButton("Apply best settings to the form")
        self.status = QLabel("The search varies cell, hidden size, layers, dropout, learning "
                             "rate, batch size, pooling and class weights; everything else "
                             "(epochs per trial, vectors...) comes from the Configure form.")
        self.status.setWordWrap(True)
        self.task_bar = TaskBar()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Trials"))
        bar.addWidget(self.trial_count)
        bar.addWidget(QLabel("Budget"))
        bar.addWidget(self.budget)
        bar.addWidget(self.start_button)
        bar.addWidget(self.stop_button)
        bar.addWidget(self.apply_button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.task_bar)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        self.start_button.clicked.connect(self.start_search)
        self.stop_button.clicked.connect(self.stop_search)
        self.apply_button.clicked.connect(self.apply_best)
        self.slot.busy_changed.connect(lambda _busy: self.update_buttons())
        self.slot.started.connect(lambda task: self.task_bar.follow(task, "Searching"))
        self.update_buttons()

    # ----- state --------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.slot.is_busy()

    def update_buttons(self) -> None:
        busy = self.slot.is_busy()
        self.start_button.setEnabled(not busy and self._inputs() is not None)
        self.stop_button.setEnabled(busy)
        self.apply_button.setEnabled(not busy and self._best() is not None)
        self.trial_count.setEnabled(not busy)
        self.budget.setEnabled(not busy)

    def _best(self) -> Any:
        done = [t for t in self.trials if t.state == "complete" and t.value is not None]
        return max(done, key=lambda t: t.value) if done else None

    # ----- running ------------------------------------------------------------------------
    def start_search(self) -> Any:
        inputs = self._inputs()
        if inputs is None or self.slot.is_busy():
            return None
        self.trials = []
        self.result = None
        self.table.setRowCount(0)
        budget = float(self.budget.value()) or None
        self.status.setText("Searching… each trial is recorded in the run history.")
        job = search_job(inputs, self.trial_count.value(), budget, "search")
        return self.slot.start(job, self._on_result, on_partial=self._on_trial,
                               on_failed=self._on_failed, on_done=self._on_done,
                               on_cancelled=self._on_cancelled)

    def stop_search(self) -> None:
        task = self.slot.current
        if task is not None:
            task.cancel()  # the running trial stops; run_search returns what finished
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping the running trial…")

    def _on_trial(self, trial: Any) -> None:
        self.trials.append(trial)
        row = self.table.rowCount()
        self.table.insertRow(row)
        values = [trial.number, trial.state, trial.value,
                  *[trial.params.get(name) for name in PARAM_COLUMNS], round(trial.seconds, 1)]
        for column, value in enumerate(values):
            self.table.setItem(row, column, _cell(value))
        self.trial_finished.emit(trial)

    def _on_result(self, result: Any) -> None:
        self.result = result
        best = result.best
        done = sum(t.state == "complete" for t in result.trials)
        text = (f"{len(result.trials)} trial(s) in {result.seconds:.0f} s, {done} complete"
                f"{' (stopped)' if result.stopped else ''}; scored by validation "
                f"{result.metric.replace('_', '-')}.")
        if best is not None:
            text += f" Best: trial {best.number} ({best.value:.4f})."
            self._select_row(best.number)
        self.status.setText(text)
        self.search_ended.emit("stopped" if result.stopped else "finished")

    def _select_row(self, number: int) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text() == str(number):
                self.table.selectRow(row)

    def _on_failed(self, message: str) -> None:
        self.status.setText(f"The search failed: {message}")
        self.search_ended.emit("failed")

    def _on_cancelled(self) -> None:
        self.status.setText("The search stopped before its first trial ended.")
        self.search_ended.emit("stopped")

    def _on_done(self, _ok: bool) -> None:
        self.update_buttons()

    def apply_best(self) -> bool:
        """Hand the best trial's settings to the form (True if there was one)."""
        best = self._best()
        if best is None:
            return False
        from lstm_studio.core.config import ModelConfig, TrainConfig, config_from_dict

        self.apply_requested.emit(config_from_dict(ModelConfig, best.model_config),
                                  config_from_dict(TrainConfig, best.train_config))
        self.status.setText(f"Trial {best.number}'s settings are in the Configure form.")
        return True

    def shutdown(self) -> None:
        self.slot.shutdown()
