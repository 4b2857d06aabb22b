"""Neuron search, LSTMVis-style: where in the corpus does this unit fire, and which units fire
together on this span?

The panel scans a split of the loaded dataset with the core's streaming scan (core/explain/
neurons.py) in a TaskSlot worker, with progress and cancel. The unit comes from a click on a
heatmap (`set_unit`); the span from the step range chosen here. Results list the best places
with their context; activating one opens that document in Inspect (`open_document`). The
histogram shows every value the unit took over the split.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.gui.workers import TaskSlot

MODES = {"unit": "Where this unit fires", "span": "Units of a span, firing together"}


class NeuronSearchPanel(QWidget):
    """See the module docstring. `documents(split)` supplies the corpus."""

    open_document = Signal(str)

    def __init__(self, documents: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._documents = documents
        self._context: tuple[Any, Any, int, str] | None = None  # bundle, trace, layer, dir
        self._scanned: list = []
        self.result: Any = None
        self.slot = TaskSlot(self, "Neuron search")
        self.mode = QComboBox()
        for key, title in MODES.items():
            self.mode.addItem(title, key)
        self.series = QComboBox()
        self.unit = QSpinBox()
        self.span_from, self.span_to = QSpinBox(), QSpinBox()
        self.split = QComboBox()
        self.split.addItems(["test", "valid", "train"])
        self.lowest = QCheckBox("lowest")
        self.scan_button = QPushButton("Scan")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setMaximumHeight(16)
        self.status = QLabel("Click a cell of a heatmap to pick a unit, then Scan.")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["score", "in context", "label", "document"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.cellActivated.connect(self._on_activated)
        self.table.setToolTip("Double-click (or Enter) to open the document in Inspect")
        self.histogram = pg.PlotWidget(background="w")
        self.histogram.setMaximumHeight(150)
        self.histogram.setMouseEnabled(x=False, y=False)
        self.histogram.setMenuEnabled(False)
        self.histogram.setLabel("bottom", "value")
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        for widget in (self.mode, QLabel("series"), self.series, QLabel("unit"), self.unit,
                       QLabel("span"), self.span_from, QLabel("to"), self.span_to):
            row1.addWidget(widget)
        row1.addStretch(1)
        for widget in (QLabel("split"), self.split, self.lowest, self.scan_button,
                       self.cancel_button):
            row2.addWidget(widget)
        row2.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.histogram)
        self.scan_button.clicked.connect(self.start_scan)
        self.cancel_button.clicked.connect(self.cancel)
        self.mode.currentIndexChanged.connect(self._on_mode)
        self._on_mode(0)

    # --- context ---------------------------------------------------------------------------
    def set_context(self, bundle: Any, trace: Any, layer: int, direction: str) -> None:
        """The model, traced sentence and layer/direction the search is about."""
        self._context = (bundle, trace, layer, direction)
        names = list(trace.get(layer, direction).gates)
        series = (["h", "c", "f", "i", "g", "o"] if trace.cell == "lstm"
                  else ["h", *[n for n in names if n != "h"]])
        current = self.series.currentText()
        self.series.clear()
        self.series.addItems(series)
        if current in series:
            self.series.setCurrentText(current)
        self.unit.setRange(0, trace.hidden_size - 1)
        for box in (self.span_from, self.span_to):
            box.setRange(0, trace.steps - 1)

    def set_unit(self, unit: int, step: int | None = None) -> None:
        self.unit.setValue(unit)
        if step is not None and self.mode.currentData() == "span":
            self.span_to.setValue(step)

    def _on_mode(self, _index: int) -> None:
        span = self.mode.currentData() == "span"
        for widget in (self.span_from, self.span_to):
            widget.setEnabled(span)
        self.unit.setEnabled(not span)
        self.lowest.setEnabled(not span)

    # --- scanning ----------------------------------------------------------------------------
    def start_scan(self) -> Any:
        if self._context is None:
            self.status.setText("Trace a sentence with a model first.")
            return None
        bundle, trace, layer, direction = self._context
        documents = self._documents(self.split.currentText())
        if not documents:
            self.status.setText(f"There are no {self.split.currentText()} documents: load a "
                                "dataset on the Data tab.")
            return None
        series, unit = self.series.currentText(), self.unit.value()
        lowest, span = self.lowest.isChecked(), self.mode.currentData() == "span"
        first, last = self.span_from.value(), self.span_to.value()

        def job(progress: Any, _emit: Any) -> Any:
            from lstm_studio.core.explain.neurons import (
                UnitRef,
                scan_together,
                scan_unit,
                span_units,
            )
            from lstm_studio.core.inspection import series as trace_series

            if not span:
                return scan_unit(bundle, documents, UnitRef(series, unit, layer, direction),
                                 lowest=lowest, progress=progress)
            values = trace_series(trace.get(layer, direction))[series]
            chosen = span_units(values, first, last)
            return scan_together(bundle, documents, series, chosen, layer, direction,
                                 progress=progress)

        self._scanned = documents
        self.scan_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.status.setText(f"Scanning {len(documents):,} documents…")
        return self.slot.start(job, self.show_result, on_progress=self._on_progress,
                               on_failed=self.status.setText,
                               on_cancelled=lambda: self.status.setText("Cancelled."),
                               on_done=self._on_done)

    def cancel(self) -> None:
        self.slot.cancel()
        self.status.setText("Cancelled.")
        self._on_done(False)

    def _on_progress(self, done: int, total: int, _what: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_done(self, _ok: bool) -> None:
        self.scan_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def show_result(self, result: Any) -> None:
        self.result = result
        self.progress.setValue(self.progress.maximum())
        if result.units:
            units = ", ".join(str(u) for u in result.units)
            self.status.setText(f"Units {units} fire together in {result.matches} places "
                                f"({result.documents:,} documents, {result.seconds:.1f} s).")
        else:
            stats = result.histogram
            self.status.setText(f"{result.documents:,} documents, {result.tokens:,} tokens in "
                                f"{result.seconds:.1f} s; mean {stats.mean:.3f}, sd "
                                f"{stats.std:.3f}, max {stats.maximum:.3f}.")
        self.table.setRowCount(len(result.hits))
        for row, hit in enumerate(result.hits):
            first, last = hit.start - hit.context_start, hit.stop - hit.context_start
            words = list(hit.tokens)  # plain text: the table does not render HTML
            shown = " ".join([*words[:first], "[" + " ".join(words[first:last + 1]) + "]",
                              *words[last + 1:]])
            for column, text in enumerate((f"{hit.score:+.3f}", shown, hit.label or "",
                                           hit.source)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, hit.document)
                self.table.setItem(row, column, item)
        self.histogram.clear()
        if result.histogram is not None:
            edges, counts = result.histogram.trimmed()
            if len(counts):
                centres = (edges[:-1] + edges[1:]) / 2
                self.histogram.addItem(pg.BarGraphItem(
                    x=centres, height=counts, width=float(np.diff(edges).mean()) * 0.9,
                    brush="#1c7ed6"))

    def _on_activated(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None and self._scanned:
            self.open_document.emit(self._scanned[int(item.data(Qt.ItemDataRole.UserRole))].text)

    def shutdown(self) -> None:
        self.slot.shutdown()
