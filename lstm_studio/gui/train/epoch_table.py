"""The epoch table: one row per validated epoch of a run (what `lstm-studio train` prints at
the end, as the run goes). An epoch that beat every earlier one is starred."""

from __future__ import annotations

import math
from collections.abc import Mapping

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

COLUMNS = ("Epoch", "Train loss", "Train acc.", "Valid loss", "Valid acc.", "Macro-F1",
           "Seconds", "Improved")
LM_COLUMNS = ("Epoch", "Train loss", "Train ppl", "Valid loss", "Valid ppl", "", "Seconds",
              "Improved")


def _number(value: object, digits: int = 4) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–"
    if not math.isfinite(float(value)):
        return "–"
    return f"{value:.{digits}f}"


class EpochTable(QTableWidget):
    """Read-only rows from epoch lines (core.events.EpochEvent's fields)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.task = "classify"
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        self.setAlternatingRowColors(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

    def reset(self, task: str) -> None:
        self.task = task
        self.setRowCount(0)
        self.setHorizontalHeaderLabels(list(LM_COLUMNS if task == "lm" else COLUMNS))
        self.setColumnHidden(5, task == "lm")

    def add_epoch(self, entry: Mapping[str, object]) -> None:
        lm = self.task == "lm"
        train_loss = entry.get("train_loss")
        if lm:
            train_metric = (_number(math.exp(min(float(train_loss), 50.0)), 2)
                            if isinstance(train_loss, (int, float)) else "–")
            valid_metric = _number(entry.get("valid_perplexity"), 2)
        else:
            train_metric = _number(entry.get("train_accuracy"))
            valid_metric = _number(entry.get("valid_accuracy"))
        cells = (str(entry.get("epoch", "?")), _number(train_loss), train_metric,
                 _number(entry.get("valid_loss")), valid_metric,
                 "" if lm else _number(entry.get("valid_macro_f1")),
                 _number(entry.get("seconds"), 1), "★" if entry.get("improved") else "")
        row = self.rowCount()
        self.insertRow(row)
        for column, text in enumerate(cells):
            self.setItem(row, column, QTableWidgetItem(text))
        self.scrollToBottom()

    def cell_text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item is not None else ""
