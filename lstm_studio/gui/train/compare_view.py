"""Compare: the run history from the core's RunStore, with ticked runs overlaid on shared plots.

The store lives on disk (under the user data folder), so the list survives restarts; this view
only reads it. Ticking an RNN run and an LSTM run on the same data shows the lecture's point:
the LSTM's validation loss keeps falling where the plain RNN's stalls.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.gui.train.plot_style import PALETTE, integer_ticks, make_plot, set_title
from lstm_studio.gui.widgets.plot_parts import legend_names, plot_item

if TYPE_CHECKING:
    from PySide6.QtGui import QShowEvent

    from lstm_studio.core.runs import RunRecord

log = logging.getLogger(__name__)

RUN_COLUMNS = ("Run", "Cell", "Hidden", "Task", "Status", "Epochs", "Best valid", "Created")
COMPARE_PLOTS = {
    "valid_loss": "Validation loss per epoch",
    "valid_metric": "Validation accuracy per epoch",
    "train_loss": "Training loss per step (smoothed)",
}


JsonRow = Mapping[str, object]  # a model config or history row as the store's JSON holds it


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def run_label(record: RunRecord) -> str:
    """A short legend entry: the run's name, else cell, hidden size and a short id."""
    if record.name:
        return record.name
    model = record.model_config
    cell = str(model.get("cell", "?"))
    if cell == "rnn" and model.get("nonlinearity") == "relu":
        cell = "rnn-relu"
    bi = "Bi" if model.get("bidirectional") else ""
    short = record.run_id.rsplit("-", 1)[-1]
    return f"{bi}{cell.upper()} h{model.get('hidden_size', '?')} · {short}"


def step_series(steps: Mapping[str, list[float]] | None,
                key: str = "loss") -> tuple[np.ndarray, np.ndarray]:
    """(global steps, values) from the store's downsampled per-step curves."""
    if not steps:
        return np.zeros(0), np.zeros(0)
    values = np.asarray(steps.get(key) or [], dtype=float)
    xs = steps.get("global_step") or steps.get("step") or range(1, len(values) + 1)
    return np.asarray(list(xs), dtype=float)[: len(values)], values


def smooth(values: np.ndarray, beta: float = 0.9) -> np.ndarray:
    out = np.empty_like(values)
    ema = 0.0
    for i, value in enumerate(values):
        ema = beta * ema + (1 - beta) * value
        out[i] = ema / (1 - beta ** (i + 1))
    return out


def _column(history: Sequence[JsonRow], key: str) -> np.ndarray:
    return np.array([_finite(row.get(key)) or np.nan for row in history], dtype=float)


def best_valid(record: RunRecord) -> str:
    """The kept epoch's figure by the run's selection metric; else the best accuracy (the
    best perplexity for a language model)."""
    history = record.history
    selection = (record.summary or {}).get("selection") or {}
    kept = next((h for h in history if h.get("epoch") == selection.get("epoch")), None)
    short = {"macro_f1": "F1", "accuracy": "acc"}.get(selection.get("metric", ""))
    value = _finite(kept.get(f"valid_{selection.get('metric')}")) if kept else None
    if short and value is not None:
        return f"{short} {value:.3f} (epoch {selection['epoch']})"
    lm = record.model_config.get("task") == "lm"
    values = [v for v in (_finite(h.get("valid_perplexity" if lm else "valid_accuracy"))
                          for h in history) if v is not None]
    if not values:
        return "–"
    return f"ppl {min(values):.1f}" if lm else f"{max(values):.3f}"


class CompareView(QWidget):
    """A checkable list of past runs and three overlay plots with legends."""

    selection_changed = Signal()
    follow_requested = Signal(str)  # a run folder to show live
    resume_requested = Signal(str)  # a run folder to continue from its checkpoint

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records: dict[str, RunRecord] = {}
        self._stale = True
        self._overlays: dict[str, list[pg.PlotDataItem]] = {}
        self.runs = QTreeWidget()
        self.runs.setHeaderLabels(list(RUN_COLUMNS))
        self.runs.setRootIsDecorated(False)
        self.runs.setAlternatingRowColors(True)
        self.runs.itemChanged.connect(self._on_item_changed)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the run history again from disk.")
        self.refresh_button.clicked.connect(self.refresh)
        self.follow_button = QPushButton("Follow")
        self.follow_button.setToolTip("Show the selected run's curves, epochs and status as "
                                      "its folder grows (on the Configure & train page).")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the selected interrupted or stopped run from "
                                      "its last checkpoint.")
        self.follow_button.clicked.connect(lambda: self._request(self.follow_requested))
        self.resume_button.clicked.connect(lambda: self._request(self.resume_requested))
        self.runs.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.note = QLabel("Tick runs to overlay their curves.")
        self.note.setWordWrap(True)

        self.plots: dict[str, pg.PlotWidget] = {}
        plot_area = QWidget()
        plot_layout = QHBoxLayout(plot_area)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        for key, title in COMPARE_PLOTS.items():
            # Static plots (redrawn when runs are ticked), so they can afford a grid.
            plot = make_plot(title, "step" if key == "train_loss" else "epoch",
                             legend_columns=2, grid=True)
            self.plots[key] = plot
            plot_layout.addWidget(plot)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(self.note, 1)
        bar.addWidget(self.follow_button)
        bar.addWidget(self.resume_button)
        bar.addWidget(self.refresh_button)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.runs)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(plot_area)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._update_buttons()

    # ----- the list -------------------------------------------------------------------------
    def mark_stale(self) -> None:
        """The store changed: reread it now if shown, else the next time the view is shown."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> int:
        """Reload the run store; keeps ticks on runs that are still there. Returns the count."""
        try:
            from lstm_studio.core.runs import RunStore

            records = RunStore().list_runs()
        except ImportError:
            self.note.setText("The run history is not available in this build.")
            return 0
        except Exception as error:  # a damaged store must not take the tab down
            log.warning("Could not read the run history: %s", error)
            self.note.setText(f"Could not read the run history: {error}")
            return 0
        self._stale = False
        ticked = set(self.checked_run_ids())
        self.runs.blockSignals(True)
        self.runs.clear()
        self._records = {}
        for record in records:  # newest first (the store's order)
            run_id = record.run_id
            self._records[run_id] = record
            model = record.model_config
            item = QTreeWidgetItem([
                run_label(record), str(model.get("cell", "")), str(model.get("hidden_size", "")),
                str(model.get("task", "")), record.status, str(len(record.history)),
                best_valid(record), record.created[:19].replace("T", " "),
            ])
            item.setData(0, Qt.ItemDataRole.UserRole, run_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if run_id in ticked
                               else Qt.CheckState.Unchecked)
            self.runs.addTopLevelItem(item)
        self.runs.blockSignals(False)
        for column in range(len(RUN_COLUMNS)):
            self.runs.resizeColumnToContents(column)
        count = "1 run is" if len(records) == 1 else f"{len(records)} runs are"
        self.note.setText(f"{count} in the history. Tick runs to overlay them."
                          if records else "No runs yet: train a model and it appears here.")
        self._redraw()
        self._update_buttons()
        return len(records)

    def selected_record(self) -> RunRecord | None:
        item = self.runs.currentItem()
        run_id = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return self._records.get(run_id) if run_id else None

    def select(self, run_id: str) -> None:
        for item in self.items():
            if item.data(0, Qt.ItemDataRole.UserRole) == run_id:
                self.runs.setCurrentItem(item)

    def _update_buttons(self) -> None:
        record = self.selected_record()
        self.follow_button.setEnabled(record is not None and bool(record.folder))
        self.resume_button.setEnabled(record is not None and record.resumable)

    def _request(self, signal: SignalInstance) -> None:
        record = self.selected_record()
        if record is not None and record.folder:
            signal.emit(record.folder)

    def items(self) -> list[QTreeWidgetItem]:
        items = (self.runs.topLevelItem(i) for i in range(self.runs.topLevelItemCount()))
        return [item for item in items if item is not None]

    def set_checked(self, run_id: str, checked: bool) -> None:
        for item in self.items():
            if item.data(0, Qt.ItemDataRole.UserRole) == run_id:
                item.setCheckState(0, Qt.CheckState.Checked if checked
                                   else Qt.CheckState.Unchecked)

    def checked_run_ids(self) -> list[str]:
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in self.items()
                if item.checkState(0) == Qt.CheckState.Checked]

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self._redraw()
            self.selection_changed.emit()

    # ----- overlays -------------------------------------------------------------------------
    def legend_names(self, key: str) -> list[str]:
        return legend_names(self.plots[key])

    def _redraw(self) -> None:
        for key, plot in self.plots.items():
            for curve in self._overlays.get(key, []):
                plot.removeItem(curve)
            legend = plot_item(plot).legend
            if legend is not None:
                legend.clear()
        self._overlays = {key: [] for key in self.plots}
        checked = self.checked_run_ids()
        records = [self._records[run_id] for run_id in checked]
        longest = max((len(record.history) for record in records), default=0)
        for key in ("valid_loss", "valid_metric"):
            integer_ticks(self.plots[key], longest)
        tasks = {record.model_config.get("task") for record in records}
        set_title(self.plots["valid_metric"], "Validation perplexity per epoch"
                  if tasks == {"lm"} else "Validation accuracy per epoch")
        for index, record in enumerate(records):
            colour = PALETTE[index % len(PALETTE)]
            name = run_label(record)
            history = record.history
            epochs = np.array([_finite(h.get("epoch")) or i + 1 for i, h in enumerate(history)],
                              dtype=float)
            lm = record.model_config.get("task") == "lm"
            metric = _column(history, "valid_perplexity" if lm else "valid_accuracy")
            self._add("valid_loss", epochs, _column(history, "valid_loss"), name, colour,
                      symbol="o")
            self._add("valid_metric", epochs, metric, name, colour, symbol="o")
            xs, ys = step_series(record.steps, "loss")
            keep = np.isfinite(ys)
            if keep.any():
                self._add("train_loss", xs[keep], smooth(ys[keep]), name, colour)

    def _add(self, key: str, xs: np.ndarray, ys: np.ndarray, name: str, colour: str,
             symbol: str | None = None) -> None:
        keep = np.isfinite(ys)
        curve = self.plots[key].plot(xs[keep], ys[keep], name=name,
                                     pen=pg.mkPen(colour, width=2), symbol=symbol,
                                     symbolSize=6, symbolBrush=colour)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        self._overlays[key].append(curve)

    def overlay_count(self, key: str) -> int:
        return len(self._overlays.get(key, []))
