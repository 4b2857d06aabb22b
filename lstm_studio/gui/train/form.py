"""The Configure form: widgets bound to ModelConfig/TrainConfig by field name, presets, the
core's verdict on the settings and a model summary.

Two `FieldBinder`s (one per config) copy widgets to configs and back, so a field is named
once, in the row that shows it. The settings are judged by `lstm_studio.core.config`'s
validators, the same rules training applies, so the form and the command line can never
disagree. The form never imports torch (see model_summary and preloader).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.config import (
    PRESETS,
    ModelConfig,
    TrainConfig,
    validate_model,
    validate_training_for_task,
)
from lstm_studio.core.errors import ConfigError
from lstm_studio.gui.train.model_summary import ModelSummary
from lstm_studio.gui.train.preloader import TorchPreloader, available_devices
from lstm_studio.gui.train.quality_box import QualityBox
from lstm_studio.gui.widgets.binder import FieldBinder
from lstm_studio.gui.widgets.model_cost import ModelCost

CELL_CHOICES: tuple[tuple[str, str], ...] = (
    ("RNN (tanh)", "rnn-tanh"),
    ("RNN (relu)", "rnn-relu"),
    ("LSTM", "lstm"),
    ("GRU", "gru"),
)
TASK_CHOICES: tuple[tuple[str, str], ...] = (("Classification", "classify"),
                                             ("Language model", "lm"))
POOLING_CHOICES: tuple[tuple[str, str], ...] = (("Last token", "last"), ("Mean", "mean"),
                                                ("Max", "max"))
NAN_CHOICES: tuple[tuple[str, str], ...] = (("Stop", "stop"), ("Lower the rate and go on",
                                                                 "backoff"))
OPTIMIZER_CHOICES: tuple[tuple[str, str], ...] = (("Adam", "adam"), ("AdamW", "adamw"),
                                                  ("SGD", "sgd"))
CUSTOM = "Custom"
# A form row: label, the config field it shows (None: not a config field), the widget.
Row = tuple[str, str | None, QWidget]


def settings_problem(model: ModelConfig, train: TrainConfig) -> str | None:
    """The core's verdict on these settings (core.config's validators), or None when valid.

    The vocabulary and label counts are not known while the user edits, so the smallest
    valid ones stand in for them; the data itself is judged by `TrainForm._data_problem`."""
    filled = dataclasses.replace(model, vocab_size=max(model.vocab_size, 2),
                                 num_classes=max(model.num_classes, 2))
    try:
        validate_model(filled)
        validate_training_for_task(train, model.task)
    except ConfigError as error:
        return str(error)
    return None


def _combo(items: tuple[tuple[str, str], ...], tip: str = "") -> QComboBox:
    box = QComboBox()
    for title, data in items:
        box.addItem(title, data)
    box.setToolTip(tip)
    return box


def _spin(low: int, high: int, special: str = "", tip: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSpecialValueText(special)  # shown at the minimum; the binder reads it as None
    box.setToolTip(tip)
    return box


def _real(low: float, high: float, step: float, decimals: int = 2, special: str = "",
          tip: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setSpecialValueText(special)
    box.setToolTip(tip)
    return box


def _check(text: str, tip: str) -> QCheckBox:
    box = QCheckBox(text)
    box.setToolTip(tip)
    return box


class TrainForm(QWidget):
    """Every training setting, its presets, a live explanation of problems and a model summary.

    `changed` fires after any edit; `validity_changed(ok)` when the verdict flips. Read the
    settings with `model_config()` / `train_config()`.
    """

    changed = Signal()
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vocab_size = 0
        self._num_classes = 2
        self._labelled = True
        self._loading = False
        self._problem: str | None = None
        self.model_binder: FieldBinder[ModelConfig] = FieldBinder(ModelConfig(), self)
        self.train_binder: FieldBinder[TrainConfig] = FieldBinder(TrainConfig(), self)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b00020;")
        self.problem_label.setVisible(False)
        self.summary = ModelSummary()
        self.cost = ModelCost()  # parameters and training memory, red when it cannot fit
        layout = QVBoxLayout(self)
        layout.addWidget(self._model_box())
        layout.addWidget(self._train_box())
        # Class weighting, selection metric, pretrained vectors, calibration: TrainConfig
        # fields too, bound by name on the same binder.
        self.quality = QualityBox()
        self.quality.bind(self.train_binder)
        layout.addWidget(self.quality)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.cost)
        layout.addWidget(self.summary, 1)
        self.model_binder.changed.connect(self._on_edit)
        self.train_binder.changed.connect(self._on_edit)
        self.preset.activated.connect(lambda _: self.apply_preset(self.preset.currentText()))
        self.set_configs(ModelConfig(), TrainConfig())
        self.preloader = TorchPreloader(self)
        self.preloader.loaded.connect(self._on_torch_loaded)

    # ----- building -------------------------------------------------------------------------
    def _model_box(self) -> QGroupBox:
        self.preset = _combo((), "Fill the model settings with a known architecture.")
        self.preset.addItems([CUSTOM, *PRESETS])
        self.task = _combo(TASK_CHOICES, "Classification predicts a label per document; a "
                           "language model predicts the next word.")
        self.cell = _combo(CELL_CHOICES)
        self.embedding_dim = _spin(2, 2048)
        self.hidden_size = _spin(1, 4096)
        self.num_layers = _spin(1, 8)
        self.bidirectional = _check("Bidirectional",
                                    "Read the text in both directions (classification only).")
        self.dropout = _real(0.0, 0.9, 0.1)
        self.pooling = _combo(POOLING_CHOICES, "How the per-token outputs become one document "
                              "vector.")
        self.tie_weights = _check("Tie embedding and output weights",
                                  "Language models only; needs embedding size = hidden size.")
        # One combo stands for two fields: "RNN (relu)" is cell rnn, nonlinearity relu.
        self.model_binder.bind_custom(("cell", "nonlinearity"), self.cell, self._read_cell,
                                      self._write_cell)
        return self._group("Model", self.model_binder, (
            ("Preset", None, self.preset), ("Task", "task", self.task),
            ("Cell", None, self.cell), ("Embedding size", "embedding_dim", self.embedding_dim),
            ("Hidden size", "hidden_size", self.hidden_size),
            ("Layers", "num_layers", self.num_layers),
            ("", "bidirectional", self.bidirectional), ("Dropout", "dropout", self.dropout),
            ("Pooling", "pooling", self.pooling), ("", "tie_weights", self.tie_weights)),
            digits={"dropout": 4})

    def _train_box(self) -> QGroupBox:
        self.optimizer = _combo(OPTIMIZER_CHOICES)
        self.lr = _real(1e-6, 10.0, 1e-4, decimals=6)
        self.momentum = _real(0.0, 0.999, 0.1, tip="SGD only.")
        self.weight_decay = _real(0.0, 1.0, 1e-4, decimals=6)
        self.plateau_schedule = _check(
            "Lower the rate on a plateau", "Multiply the learning rate by the plateau factor "
            "when the validation loss stops improving.")
        self.plateau_factor = _real(0.01, 0.99, 0.1)
        self.plateau_patience = _spin(0, 50)
        self.batch_size = _spin(1, 4096)
        self.epochs = _spin(1, 1000)
        self.grad_clip = _real(0.0, 1000.0, 0.5, special="off")
        self.early_stopping = _spin(0, 100, "off", "Stop after this many epochs without a "
                                    "better validation loss.")
        self.restore_best = _check("End with the best epoch's weights",
                                   "Stop and failures always keep the best weights so far.")
        self.time_budget_s = _real(0, 7 * 24 * 3600, 60, decimals=0, special="none",
                                   tip="Stop after the epoch during which training passed "
                                   "this many seconds.")
        self.time_budget_s.setSuffix(" s")
        self.max_len = _spin(0, 100000, "vocabulary's")
        self.seed = _spin(0, 2**31 - 1)
        self.device = _combo((("cpu", "cpu"),))
        self.threads = _spin(0, 256, "auto")
        self.on_nan = _combo(NAN_CHOICES, "When the loss becomes NaN or infinite, the last "
                             "verified weights are restored; then training stops, or lowers "
                             "the learning rate and goes on.")
        self.nan_retries = _spin(0, 20, tip="How many times the learning rate may be lowered "
                                 "before training stops.")
        self.nan_backoff = _real(0.01, 0.99, 0.1, tip="The factor applied to the learning "
                                 "rate at each retry.")
        # Momentum only means something to SGD; other optimisers get 0 in the config.
        self.train_binder.bind_custom(("momentum",), self.momentum, self._read_momentum,
                                      lambda config: self.momentum.setValue(config.momentum))
        return self._group("Training", self.train_binder, (
            ("Optimiser", "optimizer", self.optimizer), ("Learning rate", "lr", self.lr),
            ("Momentum", None, self.momentum),
            ("Weight decay", "weight_decay", self.weight_decay),
            ("", "plateau_schedule", self.plateau_schedule),
            ("Plateau factor", "plateau_factor", self.plateau_factor),
            ("Plateau patience", "plateau_patience", self.plateau_patience),
            ("Batch size", "batch_size", self.batch_size), ("Epochs", "epochs", self.epochs),
            ("Gradient clip", "grad_clip", self.grad_clip),
            ("Early stopping", "early_stopping", self.early_stopping),
            ("", "restore_best", self.restore_best),
            ("Time budget", "time_budget_s", self.time_budget_s),
            ("Max length", "max_len", self.max_len), ("Seed", "seed", self.seed),
            ("Device", "device", self.device), ("CPU threads", "threads", self.threads),
            ("On NaN", "on_nan", self.on_nan), ("NaN retries", "nan_retries", self.nan_retries),
            ("Backoff factor", "nan_backoff", self.nan_backoff)))

    @staticmethod
    def _group(title: str, binder: FieldBinder[ModelConfig] | FieldBinder[TrainConfig],
               rows: tuple[Row, ...],
               digits: dict[str, int] | None = None) -> QGroupBox:
        """A titled form of `rows`, each widget bound to its config field."""
        box = QGroupBox(title)
        form = QFormLayout(box)
        for label, field, widget in rows:
            form.addRow(label, widget)
            if field is not None:
                binder.bind(field, widget, (digits or {}).get(field))
        return box

    def _read_cell(self) -> dict[str, Any]:
        cell, _, nonlinearity = str(self.cell.currentData()).partition("-")
        return {"cell": cell, "nonlinearity": nonlinearity or "tanh"}

    def _write_cell(self, config: ModelConfig) -> None:
        key = f"rnn-{config.nonlinearity}" if config.cell == "rnn" else config.cell
        self.cell.setCurrentIndex(max(self.cell.findData(key), 0))

    def _read_momentum(self) -> dict[str, Any]:
        sgd = self.optimizer.currentData() == "sgd"
        return {"momentum": self.momentum.value() if sgd else 0.0}

    # ----- reading and writing configs ------------------------------------------------------
    def model_config(self) -> ModelConfig:
        """The form's model; vocabulary size and label count come from the data."""
        config = self.model_binder.config()
        classes = self._num_classes if config.task == "classify" else 0
        return dataclasses.replace(config, vocab_size=self._vocab_size, num_classes=classes)

    def train_config(self) -> TrainConfig:
        return self.train_binder.config()

    def set_configs(self, model: ModelConfig, train: TrainConfig) -> None:
        self._loading = True
        try:
            self.model_binder.set_config(model)
            self.train_binder.set_config(train)
        finally:
            self._loading = False
        self._on_edit()

    def apply_preset(self, name: str) -> None:
        """Overlay a `config.PRESETS` entry on the current model settings."""
        if name not in PRESETS:
            return
        model = dataclasses.replace(self.model_config(), **PRESETS[name])
        if model.cell != "rnn":
            model = dataclasses.replace(model, nonlinearity="tanh")
        self.set_configs(model, self.train_config())
        self.preset.setCurrentText(name)

    def set_data_context(self, vocab_size: int, num_classes: int, labelled: bool) -> None:
        """What the data says: vocabulary size (0 = not built yet) and the number of labels."""
        self._vocab_size = vocab_size
        self._num_classes = num_classes
        self._labelled = labelled
        self._on_edit()

    # ----- verdict --------------------------------------------------------------------------
    def problem(self) -> str | None:
        return self._problem

    def is_valid(self) -> bool:
        return self._problem is None

    def _data_problem(self, model: ModelConfig) -> str | None:
        if model.task == "classify" and not self._labelled:
            return ("This dataset has no labels: choose \"Language model\" or load labelled "
                    "data.")
        if model.task == "classify" and self._num_classes == 1:
            return "Classification needs at least two labels; this dataset has one."
        return None

    def _on_edit(self) -> None:
        if self._loading:
            return
        self._refresh_enabled()
        model = self.model_config()
        if self.preset.currentText() != CUSTOM and not _matches_preset(
                model, self.preset.currentText()):
            self.preset.setCurrentText(CUSTOM)
        was_valid = self._problem is None
        self._problem = self._data_problem(model) or settings_problem(model,
                                                                      self.train_config())
        self.problem_label.setText(self._problem or "")
        self.problem_label.setVisible(self._problem is not None)
        self.summary.show_config(model)
        self.cost.show_cost(model, self.train_config())
        if was_valid != (self._problem is None):
            self.validity_changed.emit(self._problem is None)
        self.changed.emit()

    def _refresh_enabled(self) -> None:
        lm = self.task.currentData() == "lm"
        self.quality.set_task("lm" if lm else "classify")
        self.pooling.setEnabled(not lm)
        self.tie_weights.setEnabled(lm or self.tie_weights.isChecked())
        self.momentum.setEnabled(self.optimizer.currentData() == "sgd")
        plateau = self.plateau_schedule.isChecked()
        self.plateau_factor.setEnabled(plateau)
        self.plateau_patience.setEnabled(plateau)
        backoff = self.on_nan.currentData() == "backoff"
        self.nan_retries.setEnabled(backoff)
        self.nan_backoff.setEnabled(backoff)

    def _on_torch_loaded(self) -> None:
        current = self.device.currentData()
        self._loading = True
        try:
            self.device.clear()
            for device in available_devices():
                self.device.addItem(device, device)
            self.device.setCurrentIndex(max(self.device.findData(current), 0))
        finally:
            self._loading = False
        self._on_edit()


def _matches_preset(model: ModelConfig, name: str) -> bool:
    values = PRESETS.get(name, {})
    return all(getattr(model, key) == value for key, value in values.items())
