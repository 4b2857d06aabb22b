"""Stepping through one traced sentence: the cursor and every view that follows it.

The walkthrough holds one `Inspection` (a core trace plus the prediction after every prefix)
and a cursor: layer, direction, visit index, unit and lecture stage. Every view reads from
those: the token strip, the cell drawing, the formulas (core derivations), the heatmaps and the
prediction bars. Moving the cursor never recomputes anything. For the backward direction the
cursor walks positions in the order the cell visits them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from lstm_studio.core.inspection import Inspection, diagram_values, gates_api, series
from lstm_studio.gui.inspect.controls import TokenStrip
from lstm_studio.gui.inspect.panels import CursorControls, StepBar
from lstm_studio.gui.inspect.views import InspectView

if TYPE_CHECKING:
    from lstm_studio.core.gates import Derivation, DirectionTrace, Trace

PREDICTION_ROWS = 8
# series of one layer/direction -> (units to show in order, attribution per step), None = default
HeatmapExtras = Callable[[dict[str, np.ndarray]], tuple[list[int] | None, list[float] | None]]


class Walkthrough(QWidget):
    """Token strip, step bar and the views; `controls` (layer, direction, unit) is laid out
    by the tab next to the model choice."""

    shown = Signal()  # a new inspection is on screen
    cursor_moved = Signal()  # step, unit, stage, layer or direction changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspection: Inspection | None = None
        self.layer, self.direction, self.index, self.unit = 0, "forward", 0, 0
        self.stage: str | None = None
        self._updating = False
        # Which units the heatmaps show, in which order, and the attribution row above them
        # (set by the tab's explain controls; None: every unit, no row).
        self.heatmap_extras: HeatmapExtras | None = None
        self.controls = CursorControls()
        self.tokens = TokenStrip()
        self.step_bar = StepBar()
        self.view = InspectView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.tokens)
        layout.addWidget(self.step_bar)
        layout.addWidget(self.view, 1)

        self.controls.layer_changed.connect(self._on_layer_changed)
        self.controls.unit_changed.connect(self._on_unit_changed)
        self.tokens.token_clicked.connect(self.go_to_position)
        bar = self.step_bar
        bar.step_requested.connect(self.step_by)
        bar.index_chosen.connect(self._on_slider)
        bar.stage_step_requested.connect(self.stage_by)
        bar.stage_chosen.connect(self._on_stage_chosen)
        bar.tick.connect(self._on_tick)
        self.view.heatmaps.cell_clicked.connect(self._on_heatmap_clicked)

    # --- showing a trace ---------------------------------------------------------------------
    def show_inspection(self, inspection: Inspection) -> None:
        """Show a new trace; the cursor keeps its place where the new trace allows."""
        self.inspection = inspection
        trace: Trace = inspection.trace
        controls = self.controls
        self._updating = True
        try:
            controls.layer_spin.setRange(0, trace.num_layers - 1)
            controls.layer_spin.setEnabled(trace.num_layers > 1)
            self.layer = min(self.layer, trace.num_layers - 1)
            controls.layer_spin.setValue(self.layer)
            controls.direction_box.clear()
            controls.direction_box.addItems(list(trace.directions))
            if self.direction not in trace.directions:
                self.direction = "forward"
            controls.direction_box.setCurrentText(self.direction)
            controls.direction_box.setEnabled(trace.bidirectional)
            controls.unit_spin.setRange(0, trace.hidden_size - 1)
            self.unit = min(self.unit, trace.hidden_size - 1)
            controls.unit_spin.setValue(self.unit)
        finally:
            self._updating = False
        self.step_bar.set_steps(trace.steps)
        self.index = min(self.index, trace.steps - 1) if inspection.kind == "model" else 0
        gates = gates_api()
        stages = gates.STAGES[trace.cell]
        if self.stage not in stages:
            self.stage = None
        self.step_bar.set_stages([(stage, gates.STAGE_TITLES[trace.cell][stage])
                                  for stage in stages], self.stage)
        self.tokens.set_tokens(trace.tokens, trace.oov)
        gate_names = [] if trace.cell == "lstm" else list(trace.get(0, "forward").gates)
        self.view.diagram.set_cell(trace.cell, gate_names, trace.nonlinearity)
        self.view.toy.set_notes(inspection.notes)
        self.view.gradients.clear("Press “Measure” to backpropagate through this sentence.")
        self._load_direction()
        self.shown.emit()

    def _load_direction(self) -> None:
        if self.inspection is None:
            return
        trace = self.inspection.trace
        values = series(self.direction_trace())
        units, attribution = (self.heatmap_extras(values) if self.heatmap_extras is not None
                              else (None, None))
        self.view.heatmaps.set_data(values, trace.tokens, units, attribution)
        self.refresh()

    def reload(self) -> None:
        """Redraw the heatmaps (a new unit order or attribution row) for the same trace."""
        self._load_direction()

    # --- the cursor --------------------------------------------------------------------------
    def direction_trace(self) -> DirectionTrace:
        if self.inspection is None:
            raise RuntimeError("Nothing is traced yet.")
        return self.inspection.trace.get(self.layer, self.direction)

    def steps(self) -> int:
        return 0 if self.inspection is None else int(self.inspection.trace.steps)

    def position(self) -> int:
        """The token position under the cursor (visit order differs for backward)."""
        if self.inspection is None:
            return 0
        return self.direction_trace().order[self.index]

    def step_by(self, delta: int) -> None:
        if self.inspection is not None:
            self.set_index(self.index + delta)

    def set_index(self, index: int) -> None:
        if self.inspection is None:
            return
        self.index = max(0, min(index, self.steps() - 1))
        self.refresh()

    def go_to_position(self, position: int) -> None:
        if self.inspection is not None:
            self.set_index(self.direction_trace().order.index(position))

    def set_unit(self, unit: int) -> None:
        self.controls.unit_spin.setValue(unit)

    def set_stage(self, stage: str | None) -> None:
        """Light one of the lecture's stages (None: the whole cell) and show it."""
        self.stage = stage
        self.step_bar.select_stage(stage)
        self.refresh()

    def stage_by(self, delta: int) -> None:
        """Walk the lecture's stages; past the last one, go on to the next token."""
        stages = self.step_bar.stages()
        if not stages or self.inspection is None:
            return
        if self.stage is None:
            self.set_stage(stages[0] if delta > 0 else stages[-1])
            return
        where = stages.index(self.stage) + delta
        if where >= len(stages):
            if self.index + 1 < self.steps():
                self.index += 1
                self.set_stage(stages[0])
        elif where < 0:
            if self.index > 0:
                self.index -= 1
                self.set_stage(stages[-1])
        else:
            self.set_stage(stages[where])

    def handle_key(self, event: QKeyEvent) -> bool:
        """Left/Right step through the tokens, Up/Down choose the unit; True if handled."""
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Left):
            self.step_by(1 if key == Qt.Key.Key_Right else -1)
            return True
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.inspection is not None:
            self.set_unit(self.unit + (1 if key == Qt.Key.Key_Down else -1))
            return True
        return False

    def derivations(self) -> list[Derivation]:
        """The core's lecture-style derivations at the cursor."""
        if self.inspection is None:
            return []
        return gates_api().derivations(self.inspection.trace, self.layer, self.direction,
                                       self.position(), self.unit)

    # --- what the controls say ---------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        if value != self.index:
            self.set_index(value)

    def _on_layer_changed(self) -> None:
        if self._updating or self.inspection is None:
            return
        self.layer = self.controls.layer_spin.value()
        self.direction = self.controls.direction_box.currentText() or "forward"
        self._load_direction()

    def _on_unit_changed(self, unit: int) -> None:
        if not self._updating:
            self.unit = unit
            self.refresh()

    def _on_stage_chosen(self, stage: str | None) -> None:
        self.stage = stage
        self.refresh()

    def _on_heatmap_clicked(self, unit: int, position: int) -> None:
        self._updating = True
        self.controls.unit_spin.setValue(unit)
        self._updating = False
        self.unit = unit
        self.go_to_position(position)

    def _on_tick(self) -> None:
        if self.inspection is None:
            self.step_bar.stop_playing()
            return
        before = (self.index, self.stage)
        if self.stage is not None:
            self.stage_by(1)
        else:
            self.step_by(1)
        if (self.index, self.stage) == before:
            self.step_bar.stop_playing()

    def refresh(self) -> None:
        """Push the cursor into every view."""
        if self.inspection is None:
            return
        inspection, trace = self.inspection, self.inspection.trace
        position = self.position()
        view = self.view
        backward = f" (position {position})" if self.direction == "backward" else ""
        self.step_bar.show_index(self.index, trace.steps, backward)
        self.tokens.set_current(position)
        view.heatmaps.set_cursor(position, self.unit)
        token = trace.tokens[position] if inspection.kind == "model" else ""
        if token and self.layer > 0:  # deeper layers read the layer below, not the embedding
            token += f", h of layer {self.layer - 1}"
        view.diagram.set_values(diagram_values(self.direction_trace(), position, self.unit),
                                token)
        view.diagram.set_stage(self.stage)
        view.formulas.set_derivations(self.derivations(), self.stage, inspection.notes)
        self._show_prediction(position)
        self.cursor_moved.emit()

    def _show_prediction(self, position: int) -> None:
        inspection = self.inspection
        if inspection is None:
            return
        bars = self.view.prediction
        bars.setVisible(inspection.kind == "model")
        if inspection.kind == "toy" or not inspection.predictions:
            bars.set_distribution("No prediction for the toy cell: it has no output layer.", [])
            return
        prefix = " ".join(inspection.trace.tokens[: position + 1])
        prefix = prefix if len(prefix) <= 60 else "…" + prefix[-59:]
        what = "Class probabilities" if inspection.task == "classify" else "Next word, top 8"
        bars.set_distribution(f"{what} after reading “{prefix}”",
                              inspection.predictions[position][:PREDICTION_ROWS])
