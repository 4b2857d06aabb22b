"""What-if edits in Inspect: clamp a unit of h or c, or force a gate, from a chosen step on.

The panel holds the list of edits (the core's `Intervention`s, applied inside the shared
recurrence) and says when it changed (`edits_changed`); the Inspect tab then retraces with the
edits, so the heatmaps, the six-stage arithmetic and the prediction bars show the edited cell.
Beside them, this panel keeps the unedited run: the probability of the explained class after
each step, unedited and edited, and both final predictions. Every edit is listed; Undo removes
the last one, Remove the selected ones, Clear all of them.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.interventions import GATE_TARGETS, STATE_TARGETS, Intervention


class WhatIfPanel(QWidget):
    """See the module docstring."""

    edits_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._edits: list[Intervention] = []
        self._cell = "lstm"
        self._where = (0, "forward")
        self.kind = QComboBox()
        self.kind.addItem("clamp a state", "clamp")
        self.kind.addItem("force a gate", "force")
        self.target = QComboBox()
        self.unit = QSpinBox()
        self.all_units = QCheckBox("all units")
        self.value = QDoubleSpinBox()
        self.value.setDecimals(3)
        self.value.setSingleStep(0.1)
        self.start = QSpinBox()
        self.stop = QSpinBox()
        self.to_end = QCheckBox("to the end")
        self.to_end.setChecked(True)
        self.add_button = QPushButton("Apply edit")
        self.undo_button = QPushButton("Undo")
        self.remove_button = QPushButton("Remove selected")
        self.clear_button = QPushButton("Clear")
        self.listing = QListWidget()
        self.listing.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.listing.setMaximumHeight(110)
        self.comparison = pg.PlotWidget(background="w")
        self.comparison.setMouseEnabled(x=False, y=False)
        self.comparison.setMenuEnabled(False)
        self.comparison.setLabel("bottom", "step")
        self.comparison.setYRange(0, 1)
        self.comparison.addLegend(offset=(4, 2))
        self.finals = QLabel()
        self.finals.setWordWrap(True)
        form = QGridLayout()
        form.addWidget(self.kind, 0, 0)
        form.addWidget(self.target, 0, 1)
        form.addWidget(QLabel("unit"), 0, 2)
        form.addWidget(self.unit, 0, 3)
        form.addWidget(self.all_units, 0, 4)
        form.addWidget(QLabel("value"), 1, 0)
        form.addWidget(self.value, 1, 1)
        form.addWidget(QLabel("from step"), 1, 2)
        form.addWidget(self.start, 1, 3)
        form.addWidget(QLabel("to"), 1, 4)
        form.addWidget(self.stop, 1, 5)
        form.addWidget(self.to_end, 1, 6)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.undo_button, self.remove_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.listing)
        layout.addWidget(self.finals)
        layout.addWidget(self.comparison, 1)
        self.kind.currentIndexChanged.connect(self._fill_targets)
        self.all_units.toggled.connect(lambda on: self.unit.setEnabled(not on))
        self.to_end.toggled.connect(lambda on: self.stop.setEnabled(not on))
        self.stop.setEnabled(False)
        self.add_button.clicked.connect(self.add_from_form)
        self.undo_button.clicked.connect(self.undo)
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button.clicked.connect(self.clear)
        self._fill_targets()
        self._refresh_buttons()

    # --- context ---------------------------------------------------------------------------
    def set_context(self, cell: str, hidden: int, steps: int, layer: int,
                    direction: str) -> None:
        """What the next edit applies to: this cell type, layer and direction."""
        self._cell, self._where = cell, (layer, direction)
        self.unit.setRange(0, max(hidden - 1, 0))
        self.start.setRange(0, max(steps - 1, 0))
        self.stop.setRange(0, max(steps - 1, 0))
        self._fill_targets()

    def set_cursor(self, unit: int, step: int) -> None:
        """Start the next edit at the unit and step under the cursor."""
        self.unit.setValue(unit)
        self.start.setValue(step)

    def _fill_targets(self, *_args: Any) -> None:
        kind = self.kind.currentData()
        targets = STATE_TARGETS[self._cell] if kind == "clamp" else GATE_TARGETS[self._cell]
        current = self.target.currentText()
        self.target.clear()
        self.target.addItems(list(targets))
        if current in targets:
            self.target.setCurrentText(current)
        self.add_button.setEnabled(bool(targets))
        self.value.setRange(0.0, 1.0) if kind == "force" else self.value.setRange(-100.0, 100.0)

    # --- the list of edits -------------------------------------------------------------------
    def edits(self) -> list[Intervention]:
        return list(self._edits)

    def add(self, edit: Intervention) -> None:
        self._edits.append(edit)
        self._changed()

    def add_from_form(self) -> None:
        if not self.target.currentText():
            return
        layer, direction = self._where
        self.add(Intervention(
            kind=self.kind.currentData(), target=self.target.currentText(),
            value=self.value.value(), unit=None if self.all_units.isChecked() else
            self.unit.value(), start=self.start.value(),
            stop=None if self.to_end.isChecked() else max(self.stop.value(),
                                                           self.start.value()),
            layer=layer, direction=direction))

    def undo(self) -> None:
        if self._edits:
            self._edits.pop()
            self._changed()

    def remove_selected(self) -> None:
        rows = {self.listing.row(item) for item in self.listing.selectedItems()}
        if rows:
            self._edits = [e for i, e in enumerate(self._edits) if i not in rows]
            self._changed()

    def clear(self) -> None:
        if self._edits:
            self._edits = []
            self._changed()

    def set_edits(self, edits: list[Intervention]) -> None:
        """Replace the list without announcing it (a retrace that refused them restores)."""
        self._edits = list(edits)
        self._fill_listing()

    def _changed(self) -> None:
        self._fill_listing()
        self.edits_changed.emit()

    def _fill_listing(self) -> None:
        self.listing.clear()
        self.listing.addItems([edit.describe() for edit in self._edits])
        self._refresh_buttons()

    def _refresh_buttons(self) -> None:
        for button in (self.undo_button, self.remove_button, self.clear_button):
            button.setEnabled(bool(self._edits))

    # --- side by side --------------------------------------------------------------------------
    def show_comparison(self, original: Any, edited: Any) -> None:
        """The explained class's probability per step, unedited vs edited, and both finals."""
        self.comparison.clear()
        if original is None or not original.predictions:
            self.finals.setText("Trace a sentence with a model to compare.")
            return
        label = original.predictions[-1][0][0]
        steps = list(range(len(original.predictions)))

        def curve(inspection: Any) -> list[float]:
            return [dict(row).get(label, 0.0) for row in inspection.predictions]

        self.comparison.setTitle(f"P({label}) after each step", size="9pt")
        self.comparison.plot(steps, curve(original), name="unedited",
                             pen=pg.mkPen("#495057", width=2))
        rows = [f"<b>unedited</b>: {_final(original)}"]
        if edited is not None and edited.interventions:
            self.comparison.plot(steps, curve(edited), name="edited",
                                 pen=pg.mkPen("#e8590c", width=2, style=pg.QtCore.Qt.DashLine))
            rows.append(f"<b>edited</b>: {_final(edited)}")
        else:
            rows.append("no edit applied: add one above (the maps and formulas then show the "
                        "edited cell)")
        self.finals.setText("<br>".join(rows))

    def final_texts(self) -> str:
        return self.finals.text()


def _final(inspection: Any) -> str:
    return ", ".join(f"{name} {p:.3f}" for name, p in inspection.predictions[-1][:4])
