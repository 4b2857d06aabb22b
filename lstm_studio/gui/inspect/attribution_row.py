"""The attribution row above the gate heatmaps: one coloured cell per token, one strip per column.

Each strip is a one-row image in its own plot at the top of the heatmap grid, x-linked to the
heatmap under it and given the same left-axis width, so the colour of token t sits exactly over
the cells of step t. Red pushes towards the explained class, blue against it (the colours of
gui/widgets/attribution_strip.py), scaled to the largest |attribution|.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

ROW_HEIGHT = 46


def colour_map() -> pg.ColorMap:
    """Blue (against) – white (0) – red (towards), as in the Use view's strip."""
    return pg.ColorMap([0.0, 0.5, 1.0], [(28, 126, 214), (255, 255, 255), (224, 49, 49)])


def add_attribution_row(grid: pg.GraphicsLayoutWidget, values: np.ndarray,
                        columns: int) -> list[pg.PlotItem]:
    """Add the strips as the grid's first row (then start the next row); return them."""
    bound = float(np.max(np.abs(values))) if values.size else 1.0
    bound = bound if np.isfinite(bound) and bound > 0 else 1.0
    strips = []
    for column in range(columns):
        plot = grid.addPlot(title="attribution" if column == 0 else None)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.hideAxis("bottom")
        plot.getAxis("left").setWidth(48)
        plot.getAxis("left").setTicks([[]])
        plot.setMaximumHeight(ROW_HEIGHT)
        image = pg.ImageItem(values.reshape(-1, 1))
        image.setColorMap(colour_map())
        image.setLevels((-bound, bound))
        image.setRect(QRectF(-0.5, -0.5, max(values.shape[0], 1), 1))
        plot.addItem(image)
        plot.setYRange(-0.5, 0.5, padding=0)
        strips.append(plot)
    grid.nextRow()
    return strips
