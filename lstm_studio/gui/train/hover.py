"""A hover readout for a plot: a vertical line and every curve's value nearest the mouse."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF

from lstm_studio.gui.widgets.plot_parts import plot_item, view_box

Series = Callable[[], tuple[np.ndarray, np.ndarray]]


def format_value(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4f}"


class HoverReadout:
    """A vertical line and a label that show every curve's value nearest the mouse's x.

    The values are read from the series getters (the raw data), so a log axis shows the raw
    value, not its logarithm."""

    def __init__(self, plot: pg.PlotWidget, series: list[tuple[str, Series]]) -> None:
        self.plot = plot
        self._view = view_box(plot)
        self.series = series
        self.text = ""
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
        self.label = pg.TextItem(anchor=(0, 0), color="#222", fill=pg.mkBrush(255, 255, 255, 210))
        for item in (self.line, self.label):
            item.setVisible(False)
            plot_item(plot).addItem(item, ignoreBounds=True)
        scene: pg.GraphicsScene = plot.scene()  # type: ignore[assignment]  # pyqtgraph's own
        self._proxy = pg.SignalProxy(scene.sigMouseMoved, rateLimit=30,
                                     slot=lambda args: self.on_scene_moved(args[0]))

    def on_scene_moved(self, scene_pos: QPointF) -> None:
        box = self._view.sceneBoundingRect()
        if not box.contains(scene_pos):
            self.line.setVisible(False)
            self.label.setVisible(False)
            return
        point = self._view.mapSceneToView(scene_pos)
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
            lines.append(f"{name}: {format_value(float(ys[index]))}")
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
