"""Live training plots: loss per step, epoch metrics, gradient norm (log axis) and learning rate.

Events arrive in batches (see train_tab); `add_steps`/`add_epoch` only append to numpy buffers
and mark plots dirty. A timer then refreshes ONE dirty plot per tick (one `setData` per curve,
curves created once), round-robin: Qt paints all dirty widgets of a window in one pass, so
refreshing the five plots together would block the event loop for the sum of their paint
times, while one at a time keeps every block short. pyqtgraph's peak downsampling and
clip-to-view keep a 100,000-point curve cheap to paint.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QTimer
from PySide6.QtWidgets import QGridLayout, QWidget

from lstm_studio.core.atomic import atomic_write

STEP_COLUMNS = ("global_step", "epoch", "step", "loss", "loss_ema", "accuracy", "grad_norm",
                "lr", "tokens_per_s")
EPOCH_COLUMNS = ("epoch", "train_loss", "train_accuracy", "valid_loss", "valid_accuracy",
                 "valid_macro_f1", "valid_perplexity", "seconds", "improved")
CSV_COLUMNS = ("record", *dict.fromkeys(STEP_COLUMNS + EPOCH_COLUMNS))
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
Series = Callable[[], tuple[np.ndarray, np.ndarray]]


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


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _format(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4f}"


PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")


def integer_ticks(plot: pg.PlotWidget, count: int) -> None:
    """Whole-number epoch ticks while there are few epochs; automatic spacing beyond that."""
    axis = plot.getAxis("bottom")
    if 0 < count <= 20:
        axis.setTickSpacing(1, 1)
    else:
        axis.setTickSpacing()


def add_legend(plot: pg.PlotWidget) -> None:
    plot.addLegend(offset=(-10, 10), labelTextColor="#333", brush=pg.mkBrush(255, 255, 255, 200))


def set_title(plot: pg.PlotWidget, title: str) -> None:
    plot.setTitle(title, color="#333", size="11pt")


def style_plot(plot: pg.PlotWidget, title: str, grid: bool = False) -> None:
    """Dark text on white: readable on screen and in exported PNGs.

    Live plots get no grid: pyqtgraph draws grid lines alpha-blended across the whole plot,
    which made each refresh ~5x slower to paint (15-20 ms instead of 2-3 ms here); the hover
    readout gives exact values instead.
    """
    set_title(plot, title)
    if grid:
        plot.showGrid(x=True, y=True, alpha=0.25)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setTextPen("#333")
        axis.setPen("#666")


class HoverReadout:
    """A vertical line and a label that show every curve's value nearest the mouse's x."""

    def __init__(self, plot: pg.PlotWidget, series: list[tuple[str, Series]]) -> None:
        self.plot = plot
        self.series = series
        self.text = ""
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
        self.label = pg.TextItem(anchor=(0, 0), color="#222", fill=pg.mkBrush(255, 255, 255, 210))
        for item in (self.line, self.label):
            item.setVisible(False)
            plot.addItem(item, ignoreBounds=True)
        self._proxy = pg.SignalProxy(plot.scene().sigMouseMoved, rateLimit=30,
                                     slot=lambda args: self.on_scene_moved(args[0]))

    def on_scene_moved(self, scene_pos: QPointF) -> None:
        box = self.plot.plotItem.vb.sceneBoundingRect()
        if not box.contains(scene_pos):
            self.line.setVisible(False)
            self.label.setVisible(False)
            return
        point = self.plot.plotItem.vb.mapSceneToView(scene_pos)
        self.show_at(point.x(), point.y())

    def show_at(self, x: float, y: float) -> str:
        """Place the readout at view coordinates (x, y); returns the text shown."""
        lines = []
        nearest_x = None
        for name, getter in self.series:
            xs, ys = getter()
            if len(xs) == 0:
                continue
            index = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if index > 0 and abs(xs[index - 1] - x) < abs(xs[index] - x):
                index -= 1
            nearest_x = xs[index]
            lines.append(f"{name}: {_format(float(ys[index]))}")
        if nearest_x is None:
            self.text = ""
            return ""
        self.text = f"x = {nearest_x:g}\n" + "\n".join(lines)
        self.line.setPos(nearest_x)
        self.label.setText(self.text)
        self.label.setPos(x, y)
        self.line.setVisible(True)
        self.label.setVisible(True)
        return self.text


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
            plot = pg.PlotWidget(background="w")
            style_plot(plot, title)
            plot.setMinimumHeight(150)
            self.plots[key] = plot
            row, column = (0, 0) if key == "loss" else divmod(index + 1, 2)
            layout.addWidget(plot, row, column, 1, 2 if key == "loss" else 1)
        self.plots["loss"].setLabel("bottom", "step")
        self.plots["grad_norm"].setLogMode(y=True)
        self.plots["lr"].setLogMode(y=True)  # plateau halvings show as equal steps
        for key in ("epoch_loss", "metric"):
            self.plots[key].setLabel("bottom", "epoch")
            add_legend(self.plots[key])
        add_legend(self.plots["loss"])
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
            "loss": HoverReadout(self.plots["loss"], [("raw", self._series(3)),
                                                      ("smoothed", self._series(4))]),
            "epoch_loss": HoverReadout(self.plots["epoch_loss"],
                                       [("train", self._epoch_series("train_loss")),
                                        ("valid", self._epoch_series("valid_loss"))]),
            "metric": HoverReadout(self.plots["metric"],
                                   [("train", lambda: self._metric_series("train")),
                                    ("valid", lambda: self._metric_series("valid"))]),
            "grad_norm": HoverReadout(self.plots["grad_norm"], [("norm", self._series(6))]),
            "lr": HoverReadout(self.plots["lr"], [("lr", self._series(7))]),
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

    def _series(self, column: int) -> Series:
        def get() -> tuple[np.ndarray, np.ndarray]:
            data = self._steps.view()
            return data[:, 0], data[:, column]
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
            self.plots[key].setXRange(0, max(1, total), padding=0.01)

    def add_steps(self, events: list[Any]) -> None:
        """Append StepEvents (any objects with the StepEvent fields); redraw soon."""
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

    def add_epoch(self, event: Any) -> None:
        """Append one EpochEvent (or a history dict with the same keys)."""
        get = event.get if isinstance(event, dict) else lambda k, d=None: getattr(event, k, d)
        row = {key: _number(get(key)) for key in EPOCH_COLUMNS if key != "improved"}
        row["improved"] = 1.0 if get("improved") else 0.0
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

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._dirty and not self._timer.isActive():
            self._timer.start()

    def _refresh(self, key: str) -> None:
        """Push one plot's buffers into its curves (created once; only setData here)."""
        self.redraws += 1
        data = self._steps.view()
        steps = data[:, 0]
        if key == "loss":
            self.curves["loss_raw"].setData(steps, data[:, 3])
            self.curves["loss_ema"].setData(steps, data[:, 4])
        elif key == "grad_norm":
            self.curves["grad_norm"].setData(steps, data[:, 6])
        elif key == "lr":
            self.curves["lr"].setData(steps, data[:, 7])
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
        """Write one plot as PNG (rendered to a temporary file, then renamed into place)."""
        from pyqtgraph.exporters import ImageExporter

        self.redraw()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        exporter = ImageExporter(self.plots[key].plotItem)
        exporter.parameters()["width"] = width
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".png", dir=target.parent)
        os.close(fd)
        try:
            exporter.export(tmp)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return target

    def export_pngs(self, folder: str | os.PathLike[str]) -> list[Path]:
        return [self.export_png(key, Path(folder) / f"{key}.png") for key in self.plots]

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        """All step and epoch metrics in one CSV; `record` says which kind a row is."""
        with atomic_write(path, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for row in self._steps.view():
                values = dict(zip(STEP_COLUMNS, row, strict=True))
                writer.writerow({"record": "step", **_csv_values(values)})
            for epoch in self._epochs:
                values = {key: epoch[key] for key in EPOCH_COLUMNS}
                writer.writerow({"record": "epoch", **_csv_values(values)})
        return Path(path)

    def epochs(self) -> list[dict[str, float]]:
        return list(self._epochs)


def _csv_values(values: dict[str, float]) -> dict[str, str]:
    out = {}
    for key, value in values.items():
        value = float(value)
        if not math.isfinite(value):
            out[key] = ""
        elif key in ("global_step", "epoch", "step", "improved"):
            out[key] = str(int(value))
        else:
            out[key] = repr(value)
    return out
