"""The lecture's vanishing-gradient slide, measured on the user's sentence.

Left: ‖dLoss/dh_t‖ for every timestep t of the current model. Right: the same for a plain RNN
and an LSTM of the same size, both freshly initialised with the same seed, on the same token
ids, so the only difference is the cell. The numbers come from the gates core
(`gradient_flow`); the Inspect tab computes them in a BackgroundTask and hands a
`GradientResult` here. This module only draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.gui.widgets.plot_parts import LogAxis, legend_below, plot_item

TICK_WIDTH_PX = 58  # room one token name needs under a plot


def token_ticks(tokens: list[str], width_px: int) -> list[tuple[int, str]]:
    """Token names under a plot, every k-th one when they would not fit side by side."""
    if not tokens:
        return []
    room = max(2, width_px // TICK_WIDTH_PX)
    stride = max(1, math.ceil(len(tokens) / room))
    return [(t, tokens[t] if len(tokens[t]) <= 7 else tokens[t][:6] + "…")
            for t in range(0, len(tokens), stride)]


@dataclass
class GradientResult:
    tokens: list[str]
    current: list[float] | None  # the current model, one norm per timestep
    current_name: str = "this model"
    comparison: dict[str, list[float]] = field(default_factory=dict)  # {"RNN": [...], ...}
    note: str = ""


def reach(norms: list[float]) -> float | None:
    """How much gradient reaches the first token relative to the last: ‖g_0‖ / ‖g_T‖."""
    if len(norms) < 2 or norms[-1] <= 0:
        return None
    return norms[0] / norms[-1]


class GradientView(QWidget):
    """Two plots and a summary line; `measure_requested` when the user asks for a measurement."""

    measure_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: GradientResult | None = None
        self.measure = QPushButton("Measure gradient flow")
        self.measure.setToolTip("Backpropagate the loss of this sentence and measure ‖dLoss/dh_t‖ "
                                "at every step, for this model and for a fresh RNN and LSTM.")
        self.measure.clicked.connect(self.measure_requested)
        self.log_scale = QCheckBox("log scale")
        self.log_scale.setChecked(True)
        self.log_scale.toggled.connect(self._apply_log)
        self.status = QLabel("Press “Measure” to backpropagate through the current sentence.")
        self.status.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.current_plot = self._make_plot("‖dLoss/dh_t‖ — this model")
        self.compare_plot = self._make_plot("fresh RNN vs LSTM (same size)")  # the note says more
        self._current_curve = self.current_plot.plot(pen=pg.mkPen("#1c7ed6", width=2),
                                                     symbol="o", symbolSize=5,
                                                     symbolBrush="#1c7ed6", symbolPen=None)
        self._compare_curves: dict[str, pg.PlotDataItem] = {}
        legend_below(self.compare_plot, columns=3)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.current_plot)
        splitter.addWidget(self.compare_plot)
        splitter.setChildrenCollapsible(False)

        bar = QHBoxLayout()
        bar.addWidget(self.measure)
        bar.addWidget(self.log_scale)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.summary)
        self._apply_log(True)

    def _make_plot(self, title: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(background="w", axisItems={"left": LogAxis("left")})
        plot.setTitle(title, size="9pt")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setLabel("bottom", "timestep (token)")
        plot.setMenuEnabled(False)
        return plot

    def set_running(self, running: bool, message: str = "") -> None:
        self.measure.setEnabled(not running)
        if message:
            self.status.setText(message)

    def clear(self, message: str = "") -> None:
        self.result = None
        self._current_curve.setData([], [])
        for curve in self._compare_curves.values():
            curve.setData([], [])
        self.summary.setText("")
        if message:
            self.status.setText(message)

    def show_result(self, result: GradientResult) -> None:
        self.result = result
        steps = np.arange(len(result.tokens))
        for plot in (self.current_plot, self.compare_plot):
            width = max(plot.width(), 240)
            plot_item(plot).getAxis("bottom").setTicks(
                [token_ticks(result.tokens, width)])
        if result.current is not None:
            self._current_curve.setData(steps, _positive(result.current))
        else:
            self._current_curve.setData([], [])
        self.current_plot.setTitle(f"‖dLoss/dh_t‖ — {result.current_name}", size="9pt")
        colors = {"RNN": "#c92a2a", "LSTM": "#2b8a3e", "GRU": "#f59f00"}
        for name, norms in result.comparison.items():
            curve = self._compare_curves.get(name)
            if curve is None:
                color = colors.get(name, "#495057")
                curve = self.compare_plot.plot(pen=pg.mkPen(color, width=2), name=name,
                                               symbol="o", symbolSize=5, symbolBrush=color,
                                               symbolPen=None)
                self._compare_curves[name] = curve
            curve.setData(steps, _positive(norms))
        self.summary.setText(self.summary_text())
        self.status.setText(result.note or "Measured.")

    def summary_text(self) -> str:
        """E.g. 'Gradient reaching the first token, relative to the last: this model 0.12; RNN
        3.1e-06; LSTM 0.041.'"""
        if self.result is None:
            return ""
        pieces = []
        if self.result.current is not None:
            pieces.append((self.result.current_name, reach(self.result.current)))
        pieces.extend((name, reach(norms)) for name, norms in self.result.comparison.items())
        shown = [f"{name} {_number(value)}" for name, value in pieces if value is not None]
        if not shown:
            return "The sentence needs at least two tokens to compare first and last steps."
        return ("Gradient reaching the first token, relative to the last one (‖g_0‖ / ‖g_T‖): "
                + "; ".join(shown) + ".")

    def _apply_log(self, on: bool) -> None:
        for plot in (self.current_plot, self.compare_plot):
            plot.setLogMode(x=False, y=on)


def _positive(values: list[float]) -> np.ndarray:
    """Log plots cannot show 0: floor at a tiny value so a dead gradient stays visible."""
    return np.maximum(np.asarray(values, dtype=float), 1e-30)


def _number(value: float) -> str:
    if value == 0 or not math.isfinite(value):
        return str(value)
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"
