"""The bar above the gate heatmaps that orders and filters their units (one order for all maps).

The criterion (unit number, most active, most changing, most attributed, a unit list) and the
number of units to show are chosen here; the ranking itself is the core's `rank_units`, so the
command line (`inspect --order`) and the window agree. The Inspect tab asks `order(...)` each
time it loads a layer and passes the result to every heatmap.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QWidget

from lstm_studio.core.errors import UserError
from lstm_studio.core.explain.unit_order import (
    CRITERIA,
    CRITERION_TITLES,
    parse_unit_list,
    rank_units,
)


class UnitOrderBar(QWidget):
    """Order: [criterion] Show: [N or all] Units: [3, 17, 40-45]; `changed` on any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.criterion_box = QComboBox()
        for key in CRITERIA:
            self.criterion_box.addItem(CRITERION_TITLES[key], key)
        self.limit = QSpinBox()
        self.limit.setRange(0, 4096)
        self.limit.setSpecialValueText("all")
        self.limit.setToolTip("How many units the maps show (0: all)")
        self.unit_list = QLineEdit()
        self.unit_list.setPlaceholderText("units, e.g. 3, 17, 40-45")
        self.unit_list.setVisible(False)
        self.message = QLabel()
        self.message.setStyleSheet("color: #c92a2a")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("Units by:"), self.criterion_box, QLabel("show:"), self.limit,
                       self.unit_list):
            layout.addWidget(widget)
        layout.addWidget(self.message, 1)
        self.criterion_box.currentIndexChanged.connect(self._on_criterion)
        self.limit.valueChanged.connect(self.changed)
        self.unit_list.editingFinished.connect(self.changed)

    def criterion(self) -> str:
        return self.criterion_box.currentData()

    def set_criterion(self, key: str) -> None:
        self.criterion_box.setCurrentIndex(self.criterion_box.findData(key))

    def _on_criterion(self, _index: int) -> None:
        self.unit_list.setVisible(self.criterion() == "list")
        self.changed.emit()

    def order(self, series: dict[str, np.ndarray], contributions: Any = None) -> list[int] | None:
        """Units in display order, or None for all in number order (the message says why)."""
        self.message.clear()
        criterion = self.criterion()
        if criterion == "natural" and not self.limit.value():
            return None
        try:
            hidden = next(iter(series.values())).shape[1]
            units = (parse_unit_list(self.unit_list.text(), hidden) if criterion == "list"
                     else None)
            return rank_units(series, criterion, contributions=contributions, units=units,
                              limit=self.limit.value() or None)
        except UserError as error:
            self.message.setText(str(error))
            return None
