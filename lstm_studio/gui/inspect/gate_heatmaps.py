"""Units x timesteps heatmaps of every gate with one shared cursor, and the selected unit's lines.

One pyqtgraph plot per series (LSTM: f, i, g, o, c, h; GRU: r, z, n, h; RNN: h). The image items
are created once per trace (`set_data`); moving the cursor only moves a line and a rectangle, so
stepping through a long sentence stays cheap. A click on any heatmap selects that unit and
timestep (`cell_clicked`); the Inspect tab owns the selection and calls `set_cursor` back.
`set_data(..., units=[...])` shows only those units, in that order, in every map (rows are
labelled with the real unit numbers), and `attribution=` adds a row of per-token attributions
above the maps, x-linked to them so each token's colour sits over its column of cells.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QSplitter, QVBoxLayout, QWidget

from lstm_studio.gui.inspect.gradient_view import token_ticks
from lstm_studio.gui.widgets.plot_parts import legend_below, plot_item, view_box

# Series whose values are probabilities (sigmoid gates) use a sequential map on [0, 1];
# the others are signed and use a diverging map centred on 0.
SIGMOID_SERIES = frozenset({"f", "i", "o", "r", "z"})
SERIES_TITLES = {"f": "forget f", "i": "input i", "g": "candidate g", "o": "output o",
                 "c": "cell c", "h": "hidden h", "r": "reset r", "z": "update z", "n": "new n"}
LINE_COLORS = {"f": "#1c7ed6", "i": "#37b24d", "g": "#f59f00", "o": "#ae3ec9", "c": "#e8590c",
               "h": "#212529", "r": "#1c7ed6", "z": "#37b24d", "n": "#f59f00"}


class GateHeatmaps(QWidget):
    """See the module docstring. `cell_clicked(unit, step)` is emitted on a click."""

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: dict[str, np.ndarray] = {}
        self._tokens: list[str] = []
        self._plots: dict[str, pg.PlotItem] = {}
        self._images: dict[str, pg.ImageItem] = {}
        self._cursors: dict[str, pg.InfiniteLine] = {}
        self._boxes: dict[str, QGraphicsRectItem] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._units: list[int] = []  # displayed row -> unit
        self._attribution: np.ndarray | None = None
        self._strips: list[pg.PlotItem] = []
        self._step = 0
        self._unit = 0

        self.grid = pg.GraphicsLayoutWidget()
        self.grid.setBackground("w")
        scene: pg.GraphicsScene = self.grid.scene()  # type: ignore[assignment]  # pyqtgraph's
        scene.sigMouseClicked.connect(self._on_scene_clicked)
        self.lines = pg.PlotWidget(background="w")
        self.lines.showGrid(x=True, y=True, alpha=0.25)
        self.lines.setMouseEnabled(x=False, y=False)  # the x axis names the tokens
        self.lines.setMinimumHeight(170)  # title, axis and legend rows leave ~90 px of data
        self.lines.setMenuEnabled(False)
        # Under the axis, not over the lines: six series cross the whole plot.
        self._legend = legend_below(self.lines, columns=6, text_size="8pt")
        self._line_cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#e8590c", width=2))
        self.lines.addItem(self._line_cursor)
        self.legend = QLabel("Colours: σ gates (f, i, o, r, z) from 0 (dark blue) to 1 (yellow); "
                             "g, n, c and h blue below 0, red above. Click a cell to select it.")
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: #495057; font-size: 9pt")
        self.readout = QLabel()
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setWordWrap(True)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.grid)
        splitter.addWidget(self.lines)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.legend)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.readout)

    # --- data --------------------------------------------------------------------------------
    def set_data(self, series: dict[str, np.ndarray], tokens: list[str],
                 units: list[int] | None = None,
                 attribution: list[float] | None = None) -> None:
        """`series[name]` is an array [timesteps, units]; all share the same shape. `units`:
        the units to show, in display order (default all); `attribution`: one value per step."""
        self._series = {name: np.asarray(values, dtype=float) for name, values in series.items()}
        self._tokens = list(tokens)
        hidden = next(iter(self._series.values())).shape[1] if self._series else 0
        self._units = list(units) if units is not None else list(range(hidden))
        self._attribution = (np.asarray(attribution, dtype=float) if attribution is not None
                             else None)
        self.grid.ci.clear()
        self.lines.clear()
        self._legend.clear()
        self.lines.addItem(self._line_cursor)
        self._plots, self._images, self._cursors, self._boxes, self._curves = {}, {}, {}, {}, {}
        columns = 3 if len(self._series) > 4 else 2 if len(self._series) > 1 else 1
        strip = None
        if self._attribution is not None:
            from lstm_studio.gui.inspect.attribution_row import add_attribution_row

            strip = add_attribution_row(self.grid, self._attribution, columns)
        self._strips = strip or []
        for index, (name, values) in enumerate(self._series.items()):
            if index and index % columns == 0:
                self.grid.ci.nextRow()
            self._add_heatmap(name, values[:, self._units])
            if strip is not None and index < columns:
                strip[index].setXLink(self._plots[name])
            color = LINE_COLORS.get(name, "#495057")
            self._curves[name] = self.lines.plot(pen=pg.mkPen(color, width=2), name=name,
                                                 symbol="o", symbolSize=4, symbolBrush=color,
                                                 symbolPen=None)
        width = max(self.lines.width(), 400)
        plot_item(self.lines).getAxis("bottom").setTicks([token_ticks(self._tokens, width)])
        self._step = min(self._step, max(self.timesteps() - 1, 0))
        self._unit = min(self._unit, max(self.units() - 1, 0))
        self.set_cursor(self._step, self._unit)

    def _add_heatmap(self, name: str, values: np.ndarray) -> None:
        plot = self.grid.ci.addPlot(title=SERIES_TITLES.get(name, name))
        box = view_box(plot)
        plot.setMenuEnabled(False)
        box.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        box.invertY(True)
        plot.setLabel("left", "unit")
        plot.getAxis("left").setWidth(48)  # the attribution row above lines up with this
        if self._units != list(range(len(self._units))) or len(self._units) != values.shape[1]:
            every = max(1, len(self._units) // 24)
            plot.getAxis("left").setTicks([[(row, str(unit)) for row, unit in
                                            enumerate(self._units) if row % every == 0]])
        plot.setLabel("bottom", "step")
        image = pg.ImageItem(values)  # column-major: x = timestep, y = unit
        if name in SIGMOID_SERIES:
            image.setColorMap("viridis")
            image.setLevels((0.0, 1.0))
        else:
            bound = float(np.nanmax(np.abs(values))) if values.size else 1.0
            bound = bound if math.isfinite(bound) and bound > 0 else 1.0
            image.setColorMap("CET-D1")
            image.setLevels((-bound, bound))
        # Cell (t, j) is centred on (t, j), so axis ticks name the step and the unit.
        image.setRect(QRectF(-0.5, -0.5, max(values.shape[0], 1), max(values.shape[1], 1)))
        plot.addItem(image)
        box.setXRange(-0.5, max(values.shape[0], 1) - 0.5, padding=0)
        box.setYRange(-0.5, max(values.shape[1], 1) - 0.5, padding=0)
        cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#e8590c", width=1.5))
        plot.addItem(cursor)
        box = QGraphicsRectItem(QRectF(0, 0, 1, 1))
        pen = QPen(Qt.GlobalColor.red)
        pen.setCosmetic(True)
        pen.setWidthF(2.0)
        box.setPen(pen)
        plot.addItem(box)
        self._plots[name], self._images[name] = plot, image
        self._cursors[name], self._boxes[name] = cursor, box

    # --- cursor ------------------------------------------------------------------------------
    def set_cursor(self, step: int, unit: int) -> None:
        """Move the shared cursor to `step` and the selection box to (`step`, `unit`)."""
        self._step, self._unit = step, unit
        row = self._units.index(unit) if unit in self._units else None
        for name, cursor in self._cursors.items():
            cursor.setPos(step)
            self._boxes[name].setVisible(row is not None)
            if row is not None:
                self._boxes[name].setRect(QRectF(step - 0.5, row - 0.5, 1, 1))
        self._line_cursor.setPos(step)
        steps = np.arange(self.timesteps())
        for name, curve in self._curves.items():
            values = self._series[name]
            if values.size and unit < values.shape[1]:
                curve.setData(steps, values[:, unit])
        self.lines.setTitle(f"unit {unit} over time", size="9pt")
        self.readout.setText(self.readout_text())

    def readout_text(self) -> str:
        """The selected cell's values, e.g. 'unit 3, step 5 “ngon”: f = 0.532  i = …'."""
        if not self._series or self.timesteps() == 0:
            return ""
        step, unit = self._step, self._unit
        token = self._tokens[step] if step < len(self._tokens) else ""
        parts = [f"{name} = {self._series[name][step, unit]:.3f}" for name in self._series]
        return f"unit {unit}, step {step} “{token}”:  " + "   ".join(parts)

    def timesteps(self) -> int:
        first = next(iter(self._series.values()), None)
        return 0 if first is None else first.shape[0]

    def units(self) -> int:
        """How many units (rows) the maps show."""
        return len(self._units)

    def unit_order(self) -> list[int]:
        """The unit shown in each row, top to bottom."""
        return list(self._units)

    def attribution(self) -> np.ndarray | None:
        return self._attribution

    def attribution_point(self, column: int, step: int) -> QPoint:
        """Viewport pixel of token `step` in the attribution strip over `column` (for tests)."""
        scene_point = self._strips[column].getViewBox().mapViewToScene(QPointF(step, 0))
        return self.grid.mapFromScene(scene_point)

    def series_names(self) -> list[str]:
        return list(self._series)

    def image_values(self, name: str) -> np.ndarray:
        """What the heatmap `name` displays, [timesteps, units]."""
        return np.asarray(self._images[name].image)

    def curve_values(self, name: str) -> np.ndarray:
        return np.asarray(self._curves[name].getData()[1])

    def view_point(self, name: str, step: int, unit: int) -> QPoint:
        """Viewport pixel of the centre of cell (`step`, `unit`) in heatmap `name` (for tests)."""
        view_box = self._plots[name].getViewBox()
        scene_point = view_box.mapViewToScene(QPointF(step, self._units.index(unit)))
        return self.grid.mapFromScene(scene_point)

    def _on_scene_clicked(self, event: object) -> None:
        scene_pos = event.scenePos()  # type: ignore[attr-defined]
        for plot in self._plots.values():
            view_box = plot.getViewBox()
            if not view_box.sceneBoundingRect().contains(scene_pos):
                continue
            point = view_box.mapSceneToView(scene_pos)
            step, row = math.floor(point.x() + 0.5), math.floor(point.y() + 0.5)
            if 0 <= step < self.timesteps() and 0 <= row < self.units():
                self.cell_clicked.emit(self._units[row], step)
            return
