"""pyqtgraph charts used by the tabs: grouped bars with category labels, and a histogram with
a marker line. Items are created once and updated with `set_*` so redraws stay cheap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QWidget

from lstm_studio.gui.widgets.theme import SERIES_COLORS, chart_colors


def plot_item(widget: pg.PlotWidget) -> pg.PlotItem:
    """The widget's plot (a PlotWidget always has one; pyqtgraph types it as optional)."""
    item = widget.getPlotItem()
    if item is None:
        raise RuntimeError("a PlotWidget without its PlotItem")
    return item


def view_box(widget: pg.PlotWidget) -> pg.ViewBox:
    """The plot's view box: ranges and mouse interaction live there (PlotItem forwards them
    at run time, invisibly to a type checker)."""
    view = plot_item(widget).getViewBox()
    if view is None:
        raise RuntimeError("a PlotItem without its ViewBox")
    return view


def style_plot(widget: pg.PlotWidget, title: str, left: str, bottom: str,
               grid_x: bool = False) -> str:
    """Theme-aware title, axes and grid; returns the foreground colour used."""
    background, foreground = chart_colors()
    widget.setBackground(background)
    item = plot_item(widget)
    item.setTitle(title, color=foreground, size="10pt")
    for axis_name, label in (("left", left), ("bottom", bottom)):
        axis = item.getAxis(axis_name)
        axis.setPen(foreground)
        axis.setTextPen(foreground)
        if label:
            axis.setLabel(label, color=foreground)
    item.showGrid(x=grid_x, y=True, alpha=0.25)
    item.setMenuEnabled(False)
    widget.setMinimumHeight(160)
    return foreground


def histogram(values: Sequence[float], bins: int = 40, clip_quantile: float = 0.995,
              ) -> tuple[list[float], list[int]]:
    """(edges, counts), with the longest 0.5 % folded into the last bin so one 7,000-token
    review does not squash the rest of the chart."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return [], []
    upper = float(np.quantile(data, clip_quantile)) if data.size > 20 else float(data.max())
    upper = max(upper, float(data.min()) + 1)
    counts, edges = np.histogram(np.clip(data, None, upper), bins=bins,
                                 range=(float(data.min()), upper))
    return [float(e) for e in edges], [int(c) for c in counts]


LEGEND_OFFSET = (-10, 4)  # pixels from the view's top right corner
HEADROOM_GAP_PX = 6  # between the tallest bar and the legend (or a value label)
MAX_HEADROOM = 0.6  # of the view's height; a tiny chart keeps some room for bars


class GroupedBarChart(pg.PlotWidget):
    """Bars for categories x series (e.g. labels x splits), with a legend naming the series.

    The legend is one row in the top right corner. The y range keeps a band above the tallest
    bar as high as the legend (or a value label) in pixels, recomputed when the chart is
    resized, so the legend never covers a bar (tests check the drawn geometry)."""

    def __init__(self, title: str, left: str = "documents", parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self._bars: list[pg.BarGraphItem] = []
        self._names: list[str] = []
        self._value_labels: list[pg.TextItem] = []
        self._legend: pg.LegendItem | None = None
        self._top = 0.0  # the tallest bar
        self._title, self._left = title, left
        self._foreground = style_plot(self, title, left, "")
        view = view_box(self)
        view.setMouseEnabled(x=False, y=False)
        view.sigResized.connect(self._fit_y_range)

    def set_data(self, categories: Sequence[str], series: dict[str, Sequence[float]]) -> None:
        """`series` maps a series name to one value per category."""
        item = plot_item(self)
        for bar in self._bars:
            item.removeItem(bar)
        self._bars.clear()
        for label in self._value_labels:
            item.removeItem(label)
        self._value_labels.clear()
        if self._legend is not None:
            self._legend.clear()
        elif len(series) > 1:
            self._legend = item.addLegend(offset=LEGEND_OFFSET, labelTextColor=self._foreground)
        if self._legend is not None:
            self._legend.setColumnCount(max(1, len(series)))
            self._legend.setVisible(len(series) > 1)
        names = list(series)
        self._names = names
        width = 0.8 / max(1, len(names))
        x = np.arange(len(categories), dtype=float)
        for index, name in enumerate(names):
            offset = (index - (len(names) - 1) / 2) * width
            color = SERIES_COLORS[index % len(SERIES_COLORS)]
            bar = pg.BarGraphItem(x=x + offset, height=np.asarray(series[name], dtype=float),
                                  width=width * 0.95, brush=color, pen=None)
            item.addItem(bar)
            self._bars.append(bar)
            if self._legend is not None:
                self._legend.addItem(bar, name)
        if len(names) == 1:  # one series: write each count above its bar (small bars show too)
            for position, value in zip(x, series[names[0]], strict=True):
                label = pg.TextItem(f"{value:,.0f}", color=self._foreground, anchor=(0.5, 1))
                label.setPos(float(position), float(value))
                item.addItem(label)
                self._value_labels.append(label)
        item.getAxis("bottom").setTicks([[(float(i), str(c)) for i, c in enumerate(categories)]])
        self._top = float(max((max(values, default=0) for values in series.values()),
                              default=0))
        view_box(self).setXRange(-0.6, max(0.6, len(categories) - 0.4), padding=0)
        self._fit_y_range()

    def _fit_y_range(self) -> None:
        """Leave a band above the tallest bar for the legend or the value labels."""
        view = view_box(self)
        legend = self._legend
        if legend is not None and legend.isVisible():
            band = legend.boundingRect().height() + LEGEND_OFFSET[1]
        else:
            band = float(self.fontMetrics().height())
        height = view.height()
        share = min(MAX_HEADROOM, (band + HEADROOM_GAP_PX) / height) if height > 0 else 0.15
        view.setYRange(0, max(1.0, self._top / (1 - share)), padding=0)

    @property
    def legend(self) -> pg.LegendItem | None:
        return self._legend

    def bar_rects(self) -> list[QRectF]:
        """Every drawn bar, in scene coordinates (to check nothing covers one)."""
        view = view_box(self)
        rects = []
        for bar in self._bars:
            options = cast("dict[str, Sequence[float]]", bar.opts)
            width = float(cast("float", options["width"]))
            for x, height in zip(options["x"], options["height"], strict=True):
                data = QRectF(float(x) - width / 2, 0.0, width, float(height))
                rects.append(view.mapViewToScene(data).boundingRect())
        return rects

    def bar_heights(self) -> dict[str, list[float]]:
        """What is drawn, per series (tests check the chart, not just the data)."""
        drawn: dict[str, list[float]] = {}
        for name, bar in zip(self._names, self._bars, strict=True):
            options = cast("dict[str, Sequence[float]]", bar.opts)  # pyqtgraph types it None
            drawn[name] = [float(v) for v in options["height"]]
        return drawn


class HistogramChart(pg.PlotWidget):
    """A histogram drawn as steps, with an optional vertical marker (e.g. p95, max length)."""

    def __init__(self, title: str, bottom: str, left: str = "documents",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        foreground = style_plot(self, title, left, bottom)
        self._background = chart_colors()[0]
        item = plot_item(self)
        self._curve = item.plot([0, 1], [0], stepMode="center", fillLevel=0,
                                brush=SERIES_COLORS[0], pen=pg.mkPen(SERIES_COLORS[0]))
        self._markers: dict[str, pg.InfiniteLine] = {}
        self._foreground = foreground
        self.counts: list[int] = []
        self.marker_values: dict[str, float] = {}

    def set_values(self, values: Sequence[float], bins: int = 40) -> None:
        self.set_histogram(*histogram(values, bins))

    def set_histogram(self, edges: Sequence[float], counts: Sequence[int]) -> None:
        """Precomputed bins (see `histogram`), so big data can be binned off the GUI thread."""
        if not len(counts):
            self._curve.setData([0, 1], [0])
            self.counts = []
            view_box(self).setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            return
        self._curve.setData(np.asarray(edges, dtype=float), np.asarray(counts, dtype=float))
        self.counts = [int(c) for c in counts]
        view_box(self).enableAutoRange()

    def set_marker(self, name: str, value: float | None, color: str = "#e15759") -> None:
        """Show (or hide with None) a labelled vertical line such as `p95 = 265`."""
        line = self._markers.get(name)
        if value is None:
            if line is not None:
                line.hide()
            self.marker_values.pop(name, None)
            return
        if line is None:
            # The label sits over the bars where they are tall: drawn above them, on the
            # chart's background, so it stays readable over blue.
            backdrop = pg.mkColor(self._background)
            backdrop.setAlpha(220)
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(color, width=2),
                                   label="", labelOpts={"position": 0.92, "color": color,
                                                        "fill": pg.mkBrush(backdrop),
                                                        "anchors": [(1, 0), (1, 0)]})
            line.setZValue(10)
            plot_item(self).addItem(line)
            self._markers[name] = line
        line.setValue(value)
        line.label.setFormat(f"{name} = {value:g}")
        line.show()
        self.marker_values[name] = float(value)


class LineChart(pg.PlotWidget):
    """One curve, created once and updated with `set_points` (e.g. the coverage curve)."""

    def __init__(self, title: str, bottom: str, left: str, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        style_plot(self, title, left, bottom, grid_x=True)
        item = plot_item(self)
        self._curve = item.plot([], [], pen=pg.mkPen(SERIES_COLORS[0], width=2))
        self._marker = pg.InfiniteLine(angle=90, movable=False,
                                       pen=pg.mkPen("#e15759", width=1,
                                                           style=Qt.PenStyle.DashLine))
        item.addItem(self._marker)
        self._marker.hide()
        self.points: list[tuple[float, float]] = []

    def set_points(self, points: Sequence[tuple[float, float]]) -> None:
        self.points = [(float(x), float(y)) for x, y in points]
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        self._curve.setData(xs, ys)
        view_box(self).enableAutoRange()

    def set_marker(self, value: float | None) -> None:
        if value is None:
            self._marker.hide()
        else:
            self._marker.setValue(value)
            self._marker.show()
