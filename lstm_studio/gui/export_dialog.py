"""File → Export model…: the window's face of `lstm-studio export` (ONNX, script, model card).

The dialog only gathers choices (which model, which format, where, and for a card whether to
recompute figures from the run's data) and hands them to core's `export_model` through a
`TaskSlot`, so the export runs off the GUI thread, can be cancelled, and reports its files or
its one-sentence error inside the dialog. It is window-modal: the window cannot close under a
running export, and closing the dialog cancels and waits for it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.export.common import FORMATS, SUFFIXES
from lstm_studio.gui import dialogs
from lstm_studio.gui.widgets.task_bar import TaskBar
from lstm_studio.gui.workers import TaskSlot

MODEL_FILTER = "LSTM Studio model (*.safetensors);;All files (*)"
FILTERS = {"onnx": "ONNX model (*.onnx)", "script": "Python script (*.py)",
           "card": "Model card (*.md)"}


def _describe(bundle: Any) -> str:
    config = bundle.model_config
    cell = ("Bi" if config.bidirectional else "") + config.cell.upper()
    what = ("language model" if config.task == "lm"
            else f"classifier ({', '.join(map(str, bundle.labels))})")
    return f"{cell} {what}, hidden {config.hidden_size}, {config.num_layers} layer(s)"


class ExportDialog(QDialog):
    """Choose a model, a format and a file; export in the background; show what was written."""

    def __init__(self, state: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export model")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.state = state
        self.model_file: str | None = None  # a file chosen here instead of the app's model
        self.slot = TaskSlot(self, "Export", "Export failed")
        self.last_files: list[str] = []

        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        # a form row does not grow for a wrapped label by itself: room for two lines
        self.model_label.setMinimumHeight(self.model_label.fontMetrics().lineSpacing() * 2 + 4)
        choose = QPushButton("Choose model file…")
        choose.clicked.connect(self.ask_model_file)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_label, 1)
        model_row.addWidget(choose)

        self.format_box = QComboBox()
        for name, what in FORMATS.items():
            self.format_box.addItem(f"{name}: {what}", name)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.format_note = QLabel()
        self.format_note.setWordWrap(True)

        self.path_edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.ask_target)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.data_check = QCheckBox("Recompute figures from the run's data (cleaning report, "
                                    "confusion matrices, calibration)")
        self.split_box = QComboBox()
        self.split_box.addItem("test split (else validation)", None)
        self.split_box.addItem("validation split", "valid")
        self.split_box.addItem("test split", "test")
        self.data_check.toggled.connect(lambda on: self.split_box.setEnabled(
            on and self.fmt == "card"))

        form = QFormLayout()
        form.addRow("Model", model_row)
        form.addRow("Format", self.format_box)
        form.addRow("", self.format_note)
        form.addRow("Save to", path_row)
        form.addRow("Card data", self.data_check)
        form.addRow("Calibration on", self.split_box)

        self.task_bar = TaskBar()
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.start_export)
        buttons.rejected.connect(self.reject)
        self.slot.busy_changed.connect(lambda busy: self.export_button.setEnabled(not busy))

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.task_bar)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(680, 330)
        state.model_changed.connect(self._update_model_label)
        self._update_model_label()
        self._format_changed()

    # --- choices --------------------------------------------------------------------------
    @property
    def fmt(self) -> str:
        return str(self.format_box.currentData())

    def set_format(self, fmt: str) -> None:
        self.format_box.setCurrentIndex(self.format_box.findData(fmt))

    def _model_source(self) -> Any:
        """The model file chosen here, else the app's model (trained or loaded)."""
        return self.model_file or self.state.model

    def _update_model_label(self) -> None:
        if self.model_file:
            self.model_label.setText(f"File {self.model_file}")
        elif self.state.model is not None:
            where = self.state.model_path or "not saved yet"
            self.model_label.setText(f"{_describe(self.state.model)} — {where}")
        else:
            self.model_label.setText("No model in the app yet: train one, or choose a file.")

    def ask_model_file(self) -> None:
        paths = dialogs.open_files(self, "Choose a model to export", "", MODEL_FILTER)
        if paths:
            self.model_file = paths[0]
            self._update_model_label()
            self._suggest_path()

    def _suggest_path(self) -> None:
        current = self.path_edit.text().strip()
        if current:
            base = Path(current)
            base = base.with_name(base.name.removesuffix("_train.py")) \
                if base.name.endswith("_train.py") else base.with_suffix("")
        else:
            source = self.model_file or self.state.model_path
            base = Path(source).with_suffix("") if source else Path.home() / "lstm-studio-model"
        name = base.name + ("_train.py" if self.fmt == "script" else SUFFIXES[self.fmt])
        self.path_edit.setText(str(base.with_name(name)))

    def _format_changed(self) -> None:
        card = self.fmt == "card"
        self.data_check.setEnabled(card)
        self.split_box.setEnabled(card and self.data_check.isChecked())
        notes = {
            "onnx": "Writes MODEL.onnx and MODEL.pipeline.json; run it without PyTorch with "
                    "python -m lstm_studio.portable MODEL.onnx \"text\".",
            "script": "A single PyTorch file that trains the same kind of model on the same "
                      "data (classifiers).",
            "card": "Writes MODEL.md, MODEL.html and SVG figures beside them.",
        }
        note = notes[self.fmt]
        if self.fmt == "onnx" and importlib.util.find_spec("onnx") is None:
            note += " Needs the optional packages: pip install 'lstm-studio[export]'."
        self.format_note.setText(note)
        self._suggest_path()

    def ask_target(self) -> None:
        path = dialogs.save_file(self, "Export to", self.path_edit.text(), FILTERS[self.fmt])
        if path:
            self.path_edit.setText(path)

    # --- running --------------------------------------------------------------------------
    def start_export(self) -> None:
        model = self._model_source()
        if model is None:
            self._show_error("There is no model to export: train one or choose a model file.")
            return
        fmt, out = self.fmt, self.path_edit.text().strip()
        data = [] if fmt == "card" and self.data_check.isChecked() else None
        split = self.split_box.currentData() if data is not None else None
        name = Path(out).stem if out else "model"
        self.result_label.setText("")
        self.last_files = []

        def work(progress: Any, emit: Any) -> Any:
            from lstm_studio.core.export.exporter import export_model

            return export_model(model, fmt, out, data=data, split=split, model_name=name,
                                progress=progress)

        task = self.slot.start(work, self._show_result, on_failed=self._show_error,
                               on_cancelled=lambda: self.result_label.setText("Cancelled."))
        self.task_bar.follow(task, f"Exporting ({fmt})…")

    def _show_result(self, result: Any) -> None:
        self.last_files = list(result.files)
        self.result_label.setStyleSheet("")
        self.result_label.setText(result.message + "\n" + "\n".join(result.files))

    def _show_error(self, message: str) -> None:
        self.result_label.setStyleSheet("color: #b00020;")
        self.result_label.setText(message)

    def done(self, result: int) -> None:  # close button, Escape, window close
        self.slot.shutdown()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.slot.shutdown()
        super().closeEvent(event)
