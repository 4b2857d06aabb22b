"""Plot furniture that stays out of the data: a legend row under the x axis, a log axis whose
labels never overlap.

pyqtgraph anchors a legend inside the view box, where it covers whatever curve passes under
it (an accuracy curve climbing to the top right, every unit's line in a small plot).
`legend_below` gives the legend a row of its own under the axis instead: the plot gives up a
line of height and nothing is ever hidden. pyqtgraph's log axis labels every 1..9 x 10^k it
finds when the range spans less than a decade, and always draws its first tick level, so a
learning rate of 0.003 got eight labels stacked on each other; `LogAxis` labels only the
densest of decades, 1-2-5 or 1..9 whose labels are far enough apart at the current size.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, QSizeF, Qt
from PySide6.QtWidgets import QGraphicsGridLayout, QGraphicsItem

LEGEND_ROW = 4  # PlotItem's grid: 0 title, 1 top axis, 2 view box, 3 bottom axis
LEGEND_COLUMN = 1  # the view box's column, so the legend starts under the data
MANTISSAS: tuple[tuple[int, ...], ...] = ((1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 5), (1,))
MIN_GAP_PX = {"left": 22.0, "right": 22.0, "bottom": 46.0, "top": 46.0}


def plot_item(plot: pg.PlotWidget | pg.PlotItem) -> pg.PlotItem:
    """The PlotItem behind a PlotWidget (pyqtgraph forwards to it; type checkers cannot see
    that)."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    if item is None:
        raise TypeError("this plot has no PlotItem")
    return item


def view_box(plot: pg.PlotWidget | pg.PlotItem) -> pg.ViewBox:
    """Where the data is drawn (PlotItem.vb, which pyqtgraph annotates as optional)."""
    box = plot_item(plot).getViewBox()
    if box is None:
        raise TypeError("this plot has no ViewBox")
    return box


def grid_layout(item: pg.PlotItem) -> QGraphicsGridLayout:
    """PlotItem's grid (title, axes, view box), which shadows QGraphicsWidget.layout()."""
    return cast(QGraphicsGridLayout, item.layout)


class LegendRow(pg.GraphicsWidget):
    """Holds a LegendItem in the plot's layout, under the x axis; as tall as the legend."""

    def __init__(self, item: pg.PlotItem, columns: int, text_color: str,
                 text_size: str) -> None:
        super().__init__()
        self.legend = pg.LegendItem(offset=None, colCount=columns,
                                    labelTextColor=text_color, labelTextSize=text_size)
        self.legend.setParentItem(self)
        # pyqtgraph keeps a legend inside the view box unscaled; here it is laid out like the
        # axes, so it scales with them in an exported PNG instead of shrinking in a gap.
        self.legend.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, False)
        self.legend.geometryChanged.connect(self.updateGeometry)
        grid_layout(item).addItem(self, LEGEND_ROW, LEGEND_COLUMN)
        item.legend = self.legend  # curves plotted with name= now join this legend

    def sizeHint(self, which: Qt.SizeHint,
                 constraint: QSizeF | QSize | None = None) -> QSizeF:
        return QSizeF(0.0, self.legend.height() if self.legend.items else 0.0)

    def names(self) -> list[str]:
        return [label.text for _, label in self.legend.items]


def legend_below(plot: pg.PlotWidget | pg.PlotItem, columns: int = 4, text_color: str = "#333",
                 text_size: str = "9pt") -> pg.LegendItem:
    """Give `plot` a legend in a row of its own under the x axis and return it.

    Curves plotted afterwards with a `name` are listed in it, `columns` to a line."""
    item = plot_item(plot)
    if item.legend is not None and isinstance(item.legend.parentItem(), LegendRow):
        return item.legend
    return LegendRow(item, columns, text_color, text_size).legend


def legend_names(plot: pg.PlotWidget | pg.PlotItem) -> list[str]:
    """The names a plot's legend lists (tests read what the user sees)."""
    legend = plot_item(plot).legend
    return [label.text for _, label in legend.items] if legend is not None else []


def legend_covers_data(plot: pg.PlotWidget | pg.PlotItem) -> bool:
    """True when the legend's rectangle overlaps the view box (where the data is drawn)."""
    item = plot_item(plot)
    legend = item.legend
    if legend is None or not legend.items:
        return False
    legend_rect = legend.sceneBoundingRect()
    return legend_rect.intersects(view_box(item).sceneBoundingRect())


class LogAxis(pg.AxisItem):
    """An axis whose log-mode labels are spaced so they never overlap (see module docstring).

    Decades, 1-2-5 or every 1..9 are labelled, whichever is densest with at least
    `MIN_GAP_PX` between neighbours; the other 1..9 positions get unlabelled ticks. A range
    too narrow to hold two of those gets round values between them, to three digits.
    In linear mode it is a plain AxisItem.
    """

    def __init__(self, orientation: str, **kwargs: Any) -> None:
        super().__init__(orientation, **kwargs)
        self._labelled: set[float] = set()
        self._fine = False

    def logTickValues(self, minVal: float, maxVal: float, size: float,
                      stdTicks: list[tuple[float, list[float]]]
                      ) -> list[tuple[float | None, list[float]]]:
        low, high = sorted((float(minVal), float(maxVal)))
        span = high - low
        if not (math.isfinite(span) and span > 0 and size > 0):
            self._labelled, self._fine = set(), False
            return []
        pixels_per_decade = size / span
        gap = MIN_GAP_PX.get(self.orientation, 22.0)
        labelled = _spaced_log_ticks(low, high, pixels_per_decade, gap)
        self._fine = len(labelled) < 2
        if self._fine:  # less than two 1..9 positions in range: round numbers between them
            labelled = _linear_ticks(low, high, pixels_per_decade, gap)
        self._labelled = {round(value, 9) for value in labelled}
        minor = [value for value in _minor_ticks(low, high, pixels_per_decade)
                 if round(value, 9) not in self._labelled]
        return [(None, labelled), (None, minor)]

    def logTickStrings(self, values: list[float], scale: float,
                       spacing: float) -> list[str]:
        strings = []
        for value in values:
            if round(value, 9) not in self._labelled:
                strings.append("")
            else:
                strings.append(log_label(10 ** value * scale, 3 if self._fine else 1))
        return strings


SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def log_label(value: float, digits: int = 1) -> str:
    """0.001, 5, 200 as written; 3·10⁻⁷ beyond 10⁻⁴..10⁵, where zeros stop being readable."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if 1e-4 <= abs(value) < 1e5:
        return f"{value:.{digits}g}" if digits > 1 else f"{value:g}"
    mantissa, exponent = f"{value:.{max(0, digits - 1)}e}".split("e")
    power = "10" + str(int(exponent)).translate(SUPERSCRIPT)
    return power if float(mantissa) == 1 else f"{mantissa}·{power}"


def _log_positions(low: float, high: float, mantissas: tuple[int, ...],
                   decade_stride: int = 1) -> list[float]:
    """log10(m * 10^k) for each mantissa m and every `decade_stride`-th k, inside the range."""
    first, last = math.floor(low), math.ceil(high)
    out = []
    for decade in range(first, last + 1):
        if decade % decade_stride:
            continue
        for mantissa in mantissas:
            value = decade + math.log10(mantissa)
            if low - 1e-9 <= value <= high + 1e-9:
                out.append(value)
    return out


def _spaced_log_ticks(low: float, high: float, pixels_per_decade: float,
                      gap: float) -> list[float]:
    """The densest set of 1..9 / 1-2-5 / decade positions whose labels are `gap` apart."""
    for mantissas in MANTISSAS:
        values = _log_positions(low, high, mantissas)
        if len(values) >= 2 and _min_gap(values) * pixels_per_decade >= gap:
            return values
    stride = max(1, math.ceil(gap / pixels_per_decade))  # decades themselves too close
    values = _log_positions(low, high, (1,), stride)
    return values if _min_gap(values) * pixels_per_decade >= gap else values[:1]


def _linear_ticks(low: float, high: float, pixels_per_decade: float,
                  gap: float) -> list[float]:
    """Round values (1, 2 or 5 x 10^k apart) inside a range narrower than one 1..9 step, as
    log10 positions, as many as fit `gap` apart."""
    first, last = 10.0 ** low, 10.0 ** high
    room = max(1, int((high - low) * pixels_per_decade // gap))
    raw = (last - first) / room
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    values = np.arange(math.ceil(first / step) * step, last + step * 1e-9, step)
    return [float(math.log10(value)) for value in values if value > 0]


def _minor_ticks(low: float, high: float, pixels_per_decade: float) -> list[float]:
    """Unlabelled ticks at 1..9 x 10^k, or at decades only where those would touch."""
    if math.log10(10 / 9) * pixels_per_decade >= 3:
        return _log_positions(low, high, MANTISSAS[0])
    if pixels_per_decade >= 3:
        return _log_positions(low, high, (1,))
    return []


def _min_gap(values: list[float]) -> float:
    return float(np.min(np.diff(values))) if len(values) >= 2 else math.inf
