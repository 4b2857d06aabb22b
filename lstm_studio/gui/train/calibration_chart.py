"""The reliability diagram of the Evaluate view: accuracy against confidence, per bin.

Bars are the accuracy of the documents whose predicted-class confidence fell in each tenth
of [0, 1]; the dashed diagonal is perfect calibration, the dots are each bin's mean
confidence. The numbers come from the core (`calibration.reliability`, the "calibration" key
of evaluation metrics); the title carries the expected calibration error and the stored
temperature when the model has one.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QWidget

from lstm_studio.gui.widgets.charts import style_plot
from lstm_studio.gui.widgets.theme import SERIES_COLORS


class ReliabilityChart(pg.PlotWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self._foreground = style_plot(self, "Reliability", "accuracy", "confidence")
        item = self.getPlotItem()
        item.setMouseEnabled(x=False, y=False)
        item.setXRange(0, 1, padding=0.02)
        item.setYRange(0, 1, padding=0.02)
        diagonal = QPen(QColor(self._foreground))
        diagonal.setStyle(Qt.PenStyle.DashLine)
        diagonal.setCosmetic(True)
        self.addItem(pg.PlotDataItem([0, 1], [0, 1], pen=diagonal))
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.09,
                                     brush=QColor(SERIES_COLORS[0]))
        self.addItem(self._bars)
        self._dots = pg.ScatterPlotItem(size=7, brush=QColor(SERIES_COLORS[1]), pen=None)
        self.addItem(self._dots)
        self.ece: float | None = None
        self.bins: list[dict[str, Any]] = []

    def show_calibration(self, calibration: dict[str, Any] | None,
                         stored: dict[str, Any] | None = None) -> None:
        """Draw `calibration` (None or empty clears the chart)."""
        self.bins = [b for b in (calibration or {}).get("bins", []) if b.get("count")]
        self.ece = (calibration or {}).get("ece") if self.bins else None
        centres = [(b["lower"] + b["upper"]) / 2 for b in self.bins]
        self._bars.setOpts(x=centres, height=[b["accuracy"] for b in self.bins])
        self._dots.setData(centres, [b["confidence"] for b in self.bins])
        title = "Reliability"
        if self.ece is not None:
            title += f" · ECE {self.ece:.3f}"
        if stored and stored.get("temperature") not in (None, 1.0):
            title += f" · temperature {float(stored['temperature']):.2f}"
        self.getPlotItem().setTitle(title, color=self._foreground, size="10pt")
