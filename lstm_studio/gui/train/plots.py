"""Live training plots: loss per step, epoch metrics, gradient norm (log axis) and learning rate.

Events arrive in batches (see job.EventBatcher); `add_steps`/`add_epoch` only append to numpy
buffers and mark plots dirty. A timer then refreshes ONE dirty plot per tick (one `setData`
per curve, curves created once), round-robin: Qt paints all dirty widgets of a window in one
pass, so refreshing the five plots together would block the event loop for the sum of their
paint times, while one at a time keeps every block short. pyqtgraph's peak downsampling and
clip-to-view keep a 100,000-point curve cheap to paint. Legends sit under the x axis, so a
curve never hides behind one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QGridLayout, QWidget

from lstm_studio.core.events import EpochEvent, StepEvent
from lstm_studio.gui.train.hover import HoverReadout, Series
from lstm_studio.gui.train.plot_export import (
    EPOCH_COLUMNS,
    STEP_COLUMNS,
    export_png,
    write_metrics_csv,
)
from lstm_studio.gui.train.plot_style import integer_ticks, make_plot, set_title
from lstm_studio.gui.widgets.plot_parts import view_box

EMA_BETA = 0.98
# One plot per tick: each of the three per-step plots refreshes about twice a second while
# training. Every refresh holds the GIL for a few ms, time the training thread waits for, so
# faster refreshes cost measurable throughput (bench/bench_gui_train.py).
TICK_MS = 150
STEP_PLOTS = ("loss", "grad_norm", "lr")
EPOCH_PLOTS = ("epoch_loss", "metric")
PLOT_TITLES = {
    "loss": "Training loss per step",
    "epoch_loss": "Loss per epoch",
    "metric": "Accuracy per epoch",
    "grad_norm": "Gradient norm per step (log)",
    "lr": "Learning rate (log)",
}
LOG_PLOTS = frozenset({"grad_norm", "lr"})  # plateau halvings of the rate show as equal steps
LEGEND_PLOTS = frozenset({"loss", "epoch_loss", "metric"})
X_LABELS = {"loss": "step", "epoch_loss": "epoch", "metric": "epoch"}
STEP = {name: index for index, name in enumerate(STEP_COLUMNS)}  # column of each step field


class GrowingTable:
    """An append-only float table with amortised doubling; `view()` is the filled part."""

    def __init__(self, columns: int, capacity: int = 1024) -> None:
        self._data = np.full((capacity, columns), np.nan)
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def append(self, rows: list[tuple[float, ...]]) -> None:
        needed = self._rows + len(rows)
        if needed > len(self._data):
            grown = np.full((max(needed, 2 * len(self._data)), self._data.shape[1]), np.nan)
            grown[: self._rows] = self._data[: self._rows]
            self._data = grown
        if rows:
            self._data[self._rows:needed] = np.asarray(rows, dtype=float)
        self._rows = needed

    def view(self) -> np.ndarray:
        return self._data[: self._rows]

    def clear(self) -> None:
        self._rows = 0


def _number(value: float | bool | None) -> float:
    return math.nan if value is None else float(value)


class TrainPlots(QWidget):
    """The five live plots of one training run, with PNG and CSV export."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = "classify"
        self._steps = GrowingTable(len(STEP_COLUMNS))
        self._epochs: list[dict[str, float]] = []
        self._ema = 0.0
        self._ema_count = 0
        self.redraws = 0
        self.plots: dict[str, pg.PlotWidget] = {}
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for index, (key, title) in enumerate(PLOT_TITLES.items()):
            plot = make_plot(title, bottom=X_LABELS.get(key, ""), log_y=key in LOG_PLOTS,
                             legend_columns=2 if key in LEGEND_PLOTS else 0)
            plot.setMinimumHeight(150)
            self.plots[key] = plot
            row, column = (0, 0) if key == "loss" else divmod(index + 1, 2)
            layout.addWidget(plot, row, column, 1, 2 if key == "loss" else 1)
        self.curves: dict[str, pg.PlotDataItem] = {
            "loss_raw": self._curve("loss", "raw", "#9ecae1", width=1),
            "loss_ema": self._curve("loss", "smoothed", "#08519c", width=2),
            "train_loss": self._curve("epoch_loss", "train", "#08519c", symbol="o"),
            "valid_loss": self._curve("epoch_loss", "valid", "#e6550d", symbol="s"),
            "train_metric": self._curve("metric", "train", "#08519c", symbol="o"),
            "valid_metric": self._curve("metric", "valid", "#e6550d", symbol="s"),
            "grad_norm": self._curve("grad_norm", None, "#31a354", width=1),
            "lr": self._curve("lr", None, "#756bb1", width=2),
        }
        self.hovers = {
            "loss": HoverReadout(self.plots["loss"], [("raw", self._series("loss")),
                                                      ("smoothed", self._series("loss_ema"))]),
            "epoch_loss": HoverReadout(self.plots["epoch_loss"],
                                       [("train", self._epoch_series("train_loss")),
                                        ("valid", self._epoch_series("valid_loss"))]),
            "metric": HoverReadout(self.plots["metric"],
                                   [("train", lambda: self._metric_series("train")),
                                    ("valid", lambda: self._metric_series("valid"))]),
            "grad_norm": HoverReadout(self.plots["grad_norm"],
                                      [("norm", self._series("grad_norm"))]),
            "lr": HoverReadout(self.plots["lr"], [("lr", self._series("lr"))]),
        }
        self._dirty: dict[str, None] = {}  # ordered set of plots waiting for a refresh
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)

    def _curve(self, plot: str, name: str | None, colour: str, width: int = 2,
               symbol: str | None = None) -> pg.PlotDataItem:
        curve = self.plots[plot].plot(name=name, pen=pg.mkPen(colour, width=width),
                                      symbol=symbol, symbolSize=6, symbolBrush=colour)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        return curve

    def _series(self, column: str) -> Series:
        def get() -> tuple[np.ndarray, np.ndarray]:
            data = self._steps.view()
            return data[:, STEP["global_step"]], data[:, STEP[column]]
        return get

    def _epoch_series(self, key: str) -> Series:
        def get() -> tuple[np.ndarray, np.ndarray]:
            xs = np.array([e["epoch"] for e in self._epochs], dtype=float)
            return xs, np.array([e[key] for e in self._epochs], dtype=float)
        return get

    def _metric_series(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        if self.task == "lm":
            key = "valid_perplexity" if which == "valid" else "train_perplexity"
        else:
            key = f"{which}_accuracy"
        xs = np.array([e["epoch"] for e in self._epochs], dtype=float)
        ys = np.array([e.get(key, math.nan) for e in self._epochs], dtype=float)
        keep = np.isfinite(ys)
        return xs[keep], ys[keep]

    # ----- feeding --------------------------------------------------------------------------
    def reset(self, task: str = "classify") -> None:
        self.task = task
        self._steps.clear()
        self._epochs.clear()
        self._ema, self._ema_count = 0.0, 0
        title = "Perplexity per epoch" if task == "lm" else "Accuracy per epoch"
        set_title(self.plots["metric"], title)
        for key in STEP_PLOTS:
            self.plots[key].enableAutoRange(x=True)
        self._schedule(tuple(self.plots))  # cleared one plot per tick, like any refresh

    def set_total_steps(self, total: int) -> None:
        """Fix the step axis to the whole run: the axis is then drawn once, not on every
        refresh (a third of the Python work of a refresh), and shows how far the run is."""
        for key in STEP_PLOTS:
            self.plots[key].enableAutoRange(x=False)
            view_box(self.plots[key]).setXRange(0, max(1, total), padding=0.01)

    def add_steps(self, events: list[StepEvent]) -> None:
        """Append StepEvents; the plots redraw soon."""
        rows = []
        for event in events:
            loss = float(event.loss)
            if math.isfinite(loss):
                self._ema_count += 1
                self._ema = EMA_BETA * self._ema + (1 - EMA_BETA) * loss
            smoothed = self._ema / (1 - EMA_BETA ** self._ema_count) if self._ema_count else loss
            rows.append((event.global_step, event.epoch, event.step, loss, smoothed,
                         _number(event.accuracy), max(float(event.grad_norm), 1e-12),
                         float(event.lr), float(event.tokens_per_s)))
        self._steps.append(rows)
        self._schedule(STEP_PLOTS)

    def add_epoch(self, event: EpochEvent | Mapping[str, float | bool | None]) -> None:
        """Append one EpochEvent (or a run store's history row with the same keys)."""
        values = event if isinstance(event, Mapping) else vars(event)
        row = {key: _number(values.get(key)) for key in EPOCH_COLUMNS if key != "improved"}
        row["improved"] = 1.0 if values.get("improved") else 0.0
        if math.isfinite(row["train_loss"]):
            row["train_perplexity"] = math.exp(min(row["train_loss"], 50.0))
        if self.task == "lm" and not math.isfinite(row["valid_perplexity"]):
            row["valid_perplexity"] = math.exp(min(row["valid_loss"], 50.0))
        self._epochs.append(row)
        self._schedule(EPOCH_PLOTS)

    def step_count(self) -> int:
        return len(self._steps)

    def epoch_count(self) -> int:
        return len(self._epochs)

    def epochs(self) -> list[dict[str, float]]:
        return list(self._epochs)

    def _schedule(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            self._dirty.setdefault(key)
        if not self._timer.isActive():
            self._timer.start()

    def _on_tick(self) -> None:
        if not self.isVisible():
            return  # hidden (another tab is shown): catch up in showEvent
        if self._dirty:
            key = next(iter(self._dirty))
            del self._dirty[key]
            self._refresh(key)
        if self._dirty:
            self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty and not self._timer.isActive():
            self._timer.start()

    def _refresh(self, key: str) -> None:
        """Push one plot's buffers into its curves (created once; only setData here)."""
        self.redraws += 1
        data = self._steps.view()
        steps = data[:, STEP["global_step"]]
        if key == "loss":
            self.curves["loss_raw"].setData(steps, data[:, STEP["loss"]])
            self.curves["loss_ema"].setData(steps, data[:, STEP["loss_ema"]])
        elif key in ("grad_norm", "lr"):
            self.curves[key].setData(steps, data[:, STEP[key]])
        elif key == "epoch_loss":
            integer_ticks(self.plots[key], len(self._epochs))
            for name in ("train_loss", "valid_loss"):
                self.curves[name].setData(*self._epoch_series(name)())
        elif key == "metric":
            integer_ticks(self.plots[key], len(self._epochs))
            self.curves["train_metric"].setData(*self._metric_series("train"))
            self.curves["valid_metric"].setData(*self._metric_series("valid"))

    def redraw(self) -> None:
        """Refresh every plot now (exports, a finished run, tests)."""
        self._dirty.clear()
        for key in self.plots:
            self._refresh(key)

    # ----- export ---------------------------------------------------------------------------
    def export_png(self, key: str, path: str | os.PathLike[str], width: int = 1200) -> Path:
        self.redraw()
        return export_png(self.plots[key], path, width)

    def export_pngs(self, folder: str | os.PathLike[str]) -> list[Path]:
        return [self.export_png(key, Path(folder) / f"{key}.png") for key in self.plots]

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        """All step and epoch metrics in one CSV; `record` says which kind a row is."""
        return write_metrics_csv(path, self._steps.view(), self._epochs)
