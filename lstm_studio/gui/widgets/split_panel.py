"""Split controls of the Data tab: keep the sources' splits (optionally overriding one source's
split), or make a random stratified split with ratios and a seed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.config import DataConfig
from lstm_studio.core.dataset import SPLITS, SourceInfo

AS_IN_SOURCE = "as in source"


class SplitPanel(QGroupBox):
    """Edits the split part of a DataConfig; `apply_requested` carries the edited config."""

    apply_requested = Signal(object)  # DataConfig

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Splits", parent)
        layout = QVBoxLayout(self)
        self.keep_radio = QRadioButton("Keep the sources' splits")
        self.random_radio = QRadioButton("Random stratified split")
        self.keep_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.keep_radio)
        group.addButton(self.random_radio)
        layout.addWidget(self.keep_radio)

        self.sources = QTableWidget(0, 3)
        self.sources.setHorizontalHeaderLabels(["Source", "Documents", "Split"])
        self.sources.verticalHeader().hide()
        self.sources.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.sources.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.sources.setMaximumHeight(110)
        layout.addWidget(self.sources)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        layout.addWidget(self.notes)

        layout.addWidget(self.random_radio)
        grid = QGridLayout()
        self.ratio_boxes: dict[str, QDoubleSpinBox] = {}
        for column, (split, default) in enumerate(zip(SPLITS, (0.8, 0.1, 0.1), strict=True)):
            box = QDoubleSpinBox()
            box.setRange(0.0, 1.0)
            box.setSingleStep(0.05)
            box.setDecimals(2)
            box.setValue(default)
            self.ratio_boxes[split] = box
            grid.addWidget(QLabel(split), 0, column)
            grid.addWidget(box, 1, column)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        grid.addWidget(QLabel("seed"), 0, 3)
        grid.addWidget(self.seed_box, 1, 3)
        layout.addLayout(grid)

        row = QHBoxLayout()
        self.problem = QLabel()
        self.apply_button = QPushButton("Apply splits")
        row.addWidget(self.problem, 1)
        row.addWidget(self.apply_button)
        layout.addLayout(row)
        self.apply_button.clicked.connect(self._on_apply)
        self.random_radio.toggled.connect(self._refresh_enabled)
        self._config = DataConfig()
        self._refresh_enabled()

    def set_sources(self, infos: list[SourceInfo], config: DataConfig) -> None:
        self._config = config
        self.sources.setRowCount(len(infos))
        notes: list[str] = []
        for row, info in enumerate(infos):
            name = QTableWidgetItem(Path(info.path).name)
            name.setToolTip(info.path)
            self.sources.setItem(row, 0, name)
            self.sources.setItem(row, 1, QTableWidgetItem(f"{info.documents:,}"))
            combo = QComboBox()
            combo.addItems([AS_IN_SOURCE, *SPLITS])
            override = config.split_overrides.get(info.path) or info.split_override
            combo.setCurrentText(override or AS_IN_SOURCE)
            self.sources.setCellWidget(row, 2, combo)
            notes.extend(f"{Path(info.path).name}: {note}" for note in info.notes)
        self.notes.setText("\n".join(notes[:4]))
        self.notes.setVisible(bool(notes))
        if config.random_split:
            self.random_radio.setChecked(True)
            for split, ratio in zip(SPLITS, config.random_split, strict=True):
                self.ratio_boxes[split].setValue(ratio)
            self.seed_box.setValue(config.random_split_seed)
        else:
            self.keep_radio.setChecked(True)
        self._refresh_enabled()

    def edited_config(self) -> DataConfig:
        overrides: dict[str, str] = {}
        for row in range(self.sources.rowCount()):
            combo = self.sources.cellWidget(row, 2)
            item = self.sources.item(row, 0)
            if item is None or not isinstance(combo, QComboBox):
                continue
            if combo.currentText() != AS_IN_SOURCE:
                overrides[item.toolTip()] = combo.currentText()
        ratios: tuple[float, float, float] | None = None
        if self.random_radio.isChecked():
            train, valid, test = (self.ratio_boxes[s].value() for s in SPLITS)
            ratios = (train, valid, test)
        return DataConfig(
            sources=list(self._config.sources), split_overrides=overrides,
            encoding=self._config.encoding, text_column=self._config.text_column,
            label_column=self._config.label_column, random_split=ratios,
            random_split_seed=self.seed_box.value(),
        )

    def _refresh_enabled(self) -> None:
        random = self.random_radio.isChecked()
        self.sources.setEnabled(not random)
        for box in self.ratio_boxes.values():
            box.setEnabled(random)
        self.seed_box.setEnabled(random)

    def _on_apply(self) -> None:
        config = self.edited_config()
        if config.random_split is not None:
            total = sum(config.random_split)
            if abs(total - 1.0) > 1e-6 or config.random_split[0] <= 0:
                self.problem.setText(f"Ratios must add up to 1 (now {total:.2f}).")
                return
        self.problem.setText("")
        self.apply_requested.emit(config)
