"""Compare: the run history from the core's RunStore, with ticked runs overlaid on shared plots.

The store lives on disk (under the user data folder), so the list survives restarts; this view
only reads it. Ticking an RNN run and an LSTM run on the same data shows the lecture's point:
the LSTM's validation loss keeps falling where the plain RNN's stalls.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
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

from lstm_studio.gui.train.plots import PALETTE, add_legend, integer_ticks, set_title, style_plot

log = logging.getLogger(__name__)

RUN_COLUMNS = ("Run", "Cell", "Hidden", "Task", "Status", "Epochs", "Best valid", "Created")
COMPARE_PLOTS = {
    "valid_loss": "Validation loss per epoch",
    "valid_metric": "Validation accuracy per epoch",
    "train_loss": "Training loss per step (smoothed)",
}


def field(obj: Any, key: str, default: Any = None) -> Any:
    """Read `key` from a dataclass-like object or a dict (the store may hand back either)."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def run_label(record: Any) -> str:
    """A short legend entry: the run's name, else cell, hidden size and a short id."""
    name = field(record, "name")
    if name:
        return str(name)
    model = field(record, "model_config")
    cell = str(field(model, "cell", "?"))
    if cell == "rnn" and field(model, "nonlinearity") == "relu":
        cell = "rnn-relu"
    bi = "Bi" if field(model, "bidirectional") else ""
    short = str(record.run_id).rsplit("-", 1)[-1]
    return f"{bi}{cell.upper()} h{field(model, 'hidden_size', '?')} · {short}"


def step_series(steps: Any, key: str = "loss") -> tuple[np.ndarray, np.ndarray]:
    """(global steps, values) from the store's downsampled steps, whatever their layout."""
    if not steps:
        return np.zeros(0), np.zeros(0)
    if isinstance(steps, dict):
        values = np.asarray(steps.get(key) or [], dtype=float)
        xs = steps.get("global_step") or steps.get("step") or range(1, len(values) + 1)
        return np.asarray(list(xs), dtype=float)[: len(values)], values
    rows = [row for row in steps if isinstance(row, dict) and key in row]
    xs = [row.get("global_step", row.get("step", i + 1)) for i, row in enumerate(rows)]
    return np.asarray(xs, dtype=float), np.asarray([row[key] for row in rows], dtype=float)


def smooth(values: np.ndarray, beta: float = 0.9) -> np.ndarray:
    out = np.empty_like(values)
    ema = 0.0
    for i, value in enumerate(values):
        ema = beta * ema + (1 - beta) * value
        out[i] = ema / (1 - beta ** (i + 1))
    return out


def best_valid(record: Any) -> str:
    history = field(record, "history") or []
    task = field(field(record, "model_config"), "task", "classify")
    selection = field(field(record, "summary"), "selection") or {}
    kept = next((h for h in history if field(h, "epoch") == selection.get("epoch")), None)
    short = {"macro_f1": "F1", "accuracy": "acc"}.get(selection.get("metric", ""))
    value = _finite(field(kept, f"valid_{selection.get('metric')}")) if kept else None
    if short and value is not None:  # the kept epoch, by the run's selection metric
        return f"{short} {value:.3f} (epoch {selection['epoch']})"
    if task == "lm":
        values = [_finite(field(h, "valid_perplexity")) for h in history]
        values = [v for v in values if v is not None]
        return f"ppl {min(values):.1f}" if values else "–"
    values = [_finite(field(h, "valid_accuracy")) for h in history]
    values = [v for v in values if v is not None]
    return f"{max(values):.3f}" if values else "–"


class CompareView(QWidget):
    """A checkable list of past runs and three overlay plots with legends."""

    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records: dict[str, Any] = {}
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
        self.note = QLabel("Tick runs to overlay their curves.")
        self.note.setWordWrap(True)

        self.plots: dict[str, pg.PlotWidget] = {}
        plot_area = QWidget()
        plot_layout = QHBoxLayout(plot_area)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        for key, title in COMPARE_PLOTS.items():
            plot = pg.PlotWidget(background="w")
            style_plot(plot, title, grid=True)  # static: drawn once per tick of a run
            add_legend(plot)
            plot.setLabel("bottom", "step" if key == "train_loss" else "epoch")
            self.plots[key] = plot
            plot_layout.addWidget(plot)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(self.note, 1)
        bar.addWidget(self.refresh_button)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.runs)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(plot_area)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    # ----- the list -------------------------------------------------------------------------
    def mark_stale(self) -> None:
        """The store changed: reread it now if shown, else the next time the view is shown."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: Any) -> None:
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
        for record in sorted(records, key=lambda r: str(field(r, "created", "")), reverse=True):
            run_id = str(record.run_id)
            self._records[run_id] = record
            model = field(record, "model_config")
            history = field(record, "history") or []
            created = field(record, "created", "")
            item = QTreeWidgetItem([
                run_label(record), str(field(model, "cell", "")),
                str(field(model, "hidden_size", "")), str(field(model, "task", "")),
                str(field(record, "status", "")), str(len(history)), best_valid(record),
                str(created)[:19].replace("T", " "),
            ])
            item.setData(0, Qt.ItemDataRole.UserRole, run_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if run_id in ticked
                               else Qt.CheckState.Unchecked)
            self.runs.addTopLevelItem(item)
        self.runs.blockSignals(False)
        for column in range(len(RUN_COLUMNS)):
            self.runs.resizeColumnToContents(column)
        self.note.setText(f"{len(records)} run(s) in the history. Tick runs to overlay them."
                          if records else "No runs yet: train a model and it appears here.")
        self._redraw()
        return len(records)

    def items(self) -> list[QTreeWidgetItem]:
        return [self.runs.topLevelItem(i) for i in range(self.runs.topLevelItemCount())]

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
        legend = self.plots[key].plotItem.legend
        return [label.text for _, label in legend.items] if legend is not None else []

    def _redraw(self) -> None:
        for key, plot in self.plots.items():
            for curve in self._overlays.get(key, []):
                plot.removeItem(curve)
            if plot.plotItem.legend is not None:
                plot.plotItem.legend.clear()
        self._overlays = {key: [] for key in self.plots}
        checked = self.checked_run_ids()
        longest = max((len(field(self._records[r], "history") or []) for r in checked),
                      default=0)
        for key in ("valid_loss", "valid_metric"):
            integer_ticks(self.plots[key], longest)
        tasks = {field(field(self._records[r], "model_config"), "task") for r in checked}
        set_title(self.plots["valid_metric"], "Validation perplexity per epoch"
                  if tasks == {"lm"} else "Validation accuracy per epoch")
        for index, run_id in enumerate(checked):
            record = self._records[run_id]
            colour = PALETTE[index % len(PALETTE)]
            name = run_label(record)
            history = field(record, "history") or []
            epochs = np.array([field(h, "epoch", i + 1) for i, h in enumerate(history)],
                              dtype=float)
            valid_loss = np.array([_finite(field(h, "valid_loss")) or np.nan for h in history])
            metric_key = ("valid_perplexity" if field(field(record, "model_config"), "task")
                          == "lm" else "valid_accuracy")
            metric = np.array([_finite(field(h, metric_key)) or np.nan for h in history])
            self._add("valid_loss", epochs, valid_loss, name, colour, symbol="o")
            self._add("valid_metric", epochs, metric, name, colour, symbol="o")
            xs, ys = step_series(field(record, "steps"), "loss")
            keep = np.isfinite(ys)
            if keep.any():
                self._add("train_loss", xs[keep], smooth(ys[keep]), name, colour)

    def _add(self, key: str, xs: np.ndarray, ys: np.ndarray, name: str, colour: Any,
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
