"""The Inspect tab's main area: the cell drawing, the formulas and the prediction on the left;
gate heatmaps, gradient flow and the toy cell's editors as pages on the right.

This widget only owns and arranges the views; what they show is pushed in by the Walkthrough
(cursor) and the tab (gradient flow, toy cell values).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from lstm_studio.gui.inspect.cell_diagram import CellDiagram
from lstm_studio.gui.inspect.controls import FormulaPanel, PredictionBars
from lstm_studio.gui.inspect.gate_heatmaps import GateHeatmaps
from lstm_studio.gui.inspect.gradient_view import GradientView
from lstm_studio.gui.inspect.toy_cell_panel import ToyCellPanel

HEATMAPS_PAGE, GRADIENTS_PAGE, TOY_PAGE = 0, 1, 2


class ToyPage(QWidget):
    """The toy cell's editors and the lecture's notes on its numbers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = ToyCellPanel()
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        layout.addWidget(self.notes)
        layout.addStretch(1)

    def set_notes(self, notes: list[str]) -> None:
        self.notes.setText("\n".join(f"Note: {note}" for note in notes))


class InspectView(QWidget):
    """Drawing, formulas and prediction | heatmaps, gradient flow, toy cell."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagram = CellDiagram()
        self.formulas = FormulaPanel()
        self.prediction = PredictionBars()
        self.heatmaps = GateHeatmaps()
        self.gradients = GradientView()
        self.toy = ToyPage()
        self.pages = QTabWidget()
        self.pages.addTab(self.heatmaps, "Gate heatmaps")
        self.pages.addTab(self.gradients, "Gradient flow")
        self.pages.addTab(self.toy, "Toy cell")

        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.formulas)
        lower.addWidget(self.prediction)
        lower.setSizes([560, 220])
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.diagram)
        left.addWidget(lower)
        left.setSizes([330, 260])
        left.setChildrenCollapsible(False)
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(self.pages)
        main.setSizes([700, 560])
        main.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(main)

    def show_toy_page(self, toy: bool) -> None:
        """The toy cell's editors while the toy cell is shown; leave them when it is not."""
        if toy:
            self.pages.setCurrentIndex(TOY_PAGE)
        elif self.pages.currentIndex() == TOY_PAGE:
            self.pages.setCurrentIndex(HEATMAPS_PAGE)
