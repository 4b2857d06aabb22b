"""The Configure form: widgets bound to ModelConfig/TrainConfig, presets, checks and a summary.

The form never imports torch itself: the model summary is computed from the config (the same
shapes `torch.nn.LSTM` and friends allocate), so the tab opens before torch has loaded. The
settings are judged by `lstm_studio.core.config`'s validators, the same rules training
applies, so the form and the command line can never disagree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import sys
import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
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
from lstm_studio.gui.train.quality_box import QualityBox
from lstm_studio.gui.widgets.binder import FieldBinder

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
OPTIMIZER_CHOICES: tuple[tuple[str, str], ...] = (("Adam", "adam"), ("AdamW", "adamw"),
                                                  ("SGD", "sgd"))
GATE_BLOCKS: dict[str, tuple[str, ...]] = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"),
                                           "rnn": ()}
CUSTOM = "Custom"
MODELS_MODULE = "lstm_studio.core.models"
LAZY_TORCH_MODULES = ("lstm_studio.core.pipeline", "torch._dynamo")


@dataclasses.dataclass(frozen=True)
class WeightInfo:
    name: str
    shape: tuple[int, ...]
    blocks: tuple[tuple[str, int, int], ...] = ()  # (gate, first row, end row) of fused weights

    @property
    def count(self) -> int:
        total = 1
        for size in self.shape:
            total *= size
        return total


def weight_shapes(config: ModelConfig) -> list[WeightInfo]:
    """The model's parameters as `build_model(config).named_parameters()` would list them.

    PyTorch fuses the gates of one layer into one matrix: for an LSTM rows 0:H are the input
    gate i, H:2H the forget gate f, 2H:3H the candidate g and 3H:4H the output gate o (GRU:
    r, z, n). Tied weights are listed once, under the embedding.
    """
    gates = GATE_BLOCKS.get(config.cell, ())
    rows = max(1, len(gates)) * config.hidden_size
    directions = 2 if config.bidirectional else 1
    hidden = config.hidden_size
    blocks = tuple((gate, k * hidden, (k + 1) * hidden) for k, gate in enumerate(gates))
    vocab = max(1, config.vocab_size)
    out: list[WeightInfo] = [WeightInfo("embedding.weight", (vocab, config.embedding_dim))]
    for layer in range(config.num_layers):
        inputs = config.embedding_dim if layer == 0 else hidden * directions
        for suffix in ("", "_reverse")[:directions]:
            out.append(WeightInfo(f"rnn.weight_ih_l{layer}{suffix}", (rows, inputs), blocks))
            out.append(WeightInfo(f"rnn.weight_hh_l{layer}{suffix}", (rows, hidden), blocks))
            out.append(WeightInfo(f"rnn.bias_ih_l{layer}{suffix}", (rows,), blocks))
            out.append(WeightInfo(f"rnn.bias_hh_l{layer}{suffix}", (rows,), blocks))
    if config.task == "lm":
        if not config.tie_weights:
            out.append(WeightInfo("head.weight", (vocab, hidden)))
        out.append(WeightInfo("head.bias", (vocab,)))
    else:
        classes = max(1, config.num_classes)
        out.append(WeightInfo("head.weight", (classes, hidden * directions)))
        out.append(WeightInfo("head.bias", (classes,)))
    return out


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


def available_devices() -> list[str]:
    """CPU always; CUDA and MPS only when torch (already imported) reports them present."""
    devices = ["cpu"]
    torch = sys.modules.get("torch")
    if torch is None:
        return devices
    try:
        if torch.cuda.is_available():
            devices.append("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            devices.append("mps")
    except Exception:  # a broken driver must not break the form
        pass
    return devices


class TorchPreloader(QObject):
    """Imports the core's torch modules in a short-lived thread so the GUI never waits on it."""

    loaded = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        if MODELS_MODULE in sys.modules:
            self.loaded.emit()
            return
        self._thread = threading.Thread(target=self._run, name="torch-preload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            importlib.import_module(MODELS_MODULE)
        except Exception:  # not written yet or torch missing: local checks stay in charge
            return
        self.loaded.emit()  # queued to the GUI thread
        # The optimiser's first step imports torch._dynamo (a second or more of holding the
        # GIL in long stretches); doing it now keeps that stall out of the first training.
        for name in LAZY_TORCH_MODULES:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    def wait(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


def _combo(items: tuple[tuple[str, str], ...]) -> QComboBox:
    box = QComboBox()
    for title, data in items:
        box.addItem(title, data)
    return box


def _spin(low: int, high: int, value: int, special: str | None = None) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    if special:
        box.setSpecialValueText(special)
    return box


def _select(box: QComboBox, data: Any) -> None:
    index = box.findData(data)
    if index >= 0:
        box.setCurrentIndex(index)


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
        self._base_model, self._base_train = ModelConfig(), TrainConfig()
        self._build()
        self.set_configs(ModelConfig(), TrainConfig())
        self.preloader = TorchPreloader(self)
        self.preloader.loaded.connect(self._on_torch_loaded)

    # ----- building -------------------------------------------------------------------------
    def _build(self) -> None:
        self.preset = QComboBox()
        self.preset.addItem(CUSTOM)
        self.preset.addItems(list(PRESETS))
        self.preset.setToolTip("Fill the model settings with a known architecture.")
        self.task = _combo(TASK_CHOICES)
        self.task.setToolTip("Classification predicts a label per document; a language model "
                             "predicts the next word.")
        self.cell = _combo(CELL_CHOICES)
        self.embedding_dim = _spin(2, 2048, 128)
        self.hidden_size = _spin(1, 4096, 128)
        self.num_layers = _spin(1, 8, 1)
        self.bidirectional = QCheckBox("Bidirectional")
        self.bidirectional.setToolTip("Read the text in both directions (classification only).")
        self.dropout = QDoubleSpinBox()
        self.dropout.setRange(0.0, 0.9)
        self.dropout.setSingleStep(0.1)
        self.pooling = _combo(POOLING_CHOICES)
        self.pooling.setToolTip("How the per-token outputs become one document vector.")
        self.tie_weights = QCheckBox("Tie embedding and output weights")
        self.tie_weights.setToolTip("Language models only; needs embedding size = hidden size.")

        self.optimizer = _combo(OPTIMIZER_CHOICES)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(6)
        self.lr.setRange(1e-6, 10.0)
        self.lr.setSingleStep(1e-4)
        self.momentum = QDoubleSpinBox()
        self.momentum.setRange(0.0, 0.999)
        self.momentum.setSingleStep(0.1)
        self.momentum.setToolTip("SGD only.")
        self.weight_decay = QDoubleSpinBox()
        self.weight_decay.setDecimals(6)
        self.weight_decay.setRange(0.0, 1.0)
        self.weight_decay.setSingleStep(1e-4)
        self.plateau = QCheckBox("Lower the rate on a plateau")
        self.plateau.setToolTip("Multiply the learning rate by the plateau factor when the "
                                "validation loss stops improving.")
        self.plateau_factor = QDoubleSpinBox()
        self.plateau_factor.setRange(0.01, 0.99)
        self.plateau_factor.setSingleStep(0.1)
        self.plateau_patience = _spin(0, 50, 1)
        self.batch_size = _spin(1, 4096, 64)
        self.epochs = _spin(1, 1000, 5)
        self.grad_clip = QDoubleSpinBox()
        self.grad_clip.setRange(0.0, 1000.0)
        self.grad_clip.setSingleStep(0.5)
        self.grad_clip.setSpecialValueText("off")
        self.early_stopping = _spin(0, 100, 0, "off")
        self.early_stopping.setToolTip("Stop after this many epochs without a better "
                                       "validation loss.")
        self.restore_best = QCheckBox("End with the best epoch's weights")
        self.restore_best.setToolTip("Stop and failures always keep the best weights so far.")
        self.max_len = _spin(0, 100000, 0, "vocabulary's")
        self.time_budget = _spin(0, 7 * 24 * 3600, 0, "none")
        self.time_budget.setSuffix(" s")
        self.time_budget.setToolTip("Stop after the epoch during which training passed this "
                                    "many seconds.")
        self.seed = _spin(0, 2**31 - 1, 0)
        self.device = QComboBox()
        self.device.addItem("cpu", "cpu")
        self.threads = _spin(0, 256, 0, "auto")

        model_box = QGroupBox("Model")
        model_form = QFormLayout(model_box)
        for label, widget in (("Preset", self.preset), ("Task", self.task), ("Cell", self.cell),
                              ("Embedding size", self.embedding_dim),
                              ("Hidden size", self.hidden_size), ("Layers", self.num_layers),
                              ("", self.bidirectional), ("Dropout", self.dropout),
                              ("Pooling", self.pooling), ("", self.tie_weights)):
            model_form.addRow(label, widget)
        train_box = QGroupBox("Training")
        train_form = QFormLayout(train_box)
        for label, widget in (("Optimiser", self.optimizer), ("Learning rate", self.lr),
                              ("Momentum", self.momentum),
                              ("Weight decay", self.weight_decay), ("", self.plateau),
                              ("Plateau factor", self.plateau_factor),
                              ("Plateau patience", self.plateau_patience),
                              ("Batch size", self.batch_size), ("Epochs", self.epochs),
                              ("Gradient clip", self.grad_clip),
                              ("Early stopping", self.early_stopping),
                              ("", self.restore_best), ("Time budget", self.time_budget),
                              ("Max length", self.max_len), ("Seed", self.seed),
                              ("Device", self.device), ("CPU threads", self.threads)):
            train_form.addRow(label, widget)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b00020;")
        self.problem_label.setVisible(False)
        self.summary_label = QLabel()
        self.summary = QTreeWidget()
        self.summary.setHeaderLabels(["Weight", "Shape", "Parameters"])
        self.summary.setMinimumHeight(160)

        # Quality settings (issue 16) bound by field name; after the form's move to one
        # FieldBinder this is `self.quality.bind(<the form's TrainConfig binder>)`.
        self.quality = QualityBox()
        self.quality_binder: FieldBinder[TrainConfig] = FieldBinder(TrainConfig(), self)
        self.quality.bind(self.quality_binder)
        self.quality_binder.changed.connect(self._on_edit)

        layout = QVBoxLayout(self)
        layout.addWidget(model_box)
        layout.addWidget(train_box)
        layout.addWidget(self.quality)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.summary, 1)

        for box in (self.task, self.cell, self.pooling, self.optimizer, self.device):
            box.currentIndexChanged.connect(self._on_edit)
        for spin in (self.embedding_dim, self.hidden_size, self.num_layers, self.plateau_patience,
                     self.batch_size, self.epochs, self.early_stopping, self.max_len, self.seed,
                     self.threads, self.dropout, self.lr, self.weight_decay, self.plateau_factor,
                     self.grad_clip, self.momentum, self.time_budget):
            spin.valueChanged.connect(self._on_edit)
        for check in (self.bidirectional, self.tie_weights, self.plateau, self.restore_best):
            check.toggled.connect(self._on_edit)
        self.preset.activated.connect(lambda _: self.apply_preset(self.preset.currentText()))

    # ----- reading and writing configs ------------------------------------------------------
    def model_config(self) -> ModelConfig:
        cell, _, nonlinearity = str(self.cell.currentData()).partition("-")
        return dataclasses.replace(  # fields this form does not show are kept as they were
            self._base_model,
            task=self.task.currentData(), cell=cell, nonlinearity=nonlinearity or "tanh",
            embedding_dim=self.embedding_dim.value(), hidden_size=self.hidden_size.value(),
            num_layers=self.num_layers.value(), bidirectional=self.bidirectional.isChecked(),
            dropout=round(self.dropout.value(), 4), pooling=self.pooling.currentData(),
            tie_weights=self.tie_weights.isChecked(), vocab_size=self._vocab_size,
            num_classes=self._num_classes if self.task.currentData() == "classify" else 0)

    def train_config(self) -> TrainConfig:
        extra = {}
        if hasattr(self._base_train, "time_budget_s"):
            extra["time_budget_s"] = float(self.time_budget.value()) or None
        return dataclasses.replace(
            self._base_train, **extra, **self.quality_binder.values(),
            optimizer=self.optimizer.currentData(), lr=self.lr.value(),
            momentum=self.momentum.value() if self.optimizer.currentData() == "sgd" else 0.0,
            restore_best=self.restore_best.isChecked(),
            weight_decay=self.weight_decay.value(), plateau_schedule=self.plateau.isChecked(),
            plateau_factor=self.plateau_factor.value(),
            plateau_patience=self.plateau_patience.value(),
            batch_size=self.batch_size.value(), epochs=self.epochs.value(),
            grad_clip=self.grad_clip.value() or None,
            early_stopping=self.early_stopping.value() or None, seed=self.seed.value(),
            device=self.device.currentData() or "cpu", threads=self.threads.value() or None,
            max_len=self.max_len.value() or None)

    def set_configs(self, model: ModelConfig, train: TrainConfig) -> None:
        self._base_model, self._base_train = model, train
        self._loading = True
        try:
            _select(self.task, model.task)
            _select(self.cell, f"rnn-{model.nonlinearity}" if model.cell == "rnn"
                    else model.cell)
            self.embedding_dim.setValue(model.embedding_dim)
            self.hidden_size.setValue(model.hidden_size)
            self.num_layers.setValue(model.num_layers)
            self.bidirectional.setChecked(model.bidirectional)
            self.dropout.setValue(model.dropout)
            _select(self.pooling, model.pooling)
            self.tie_weights.setChecked(model.tie_weights)
            _select(self.optimizer, train.optimizer)
            self.lr.setValue(train.lr)
            self.weight_decay.setValue(train.weight_decay)
            self.momentum.setValue(getattr(train, "momentum", 0.0))
            self.restore_best.setChecked(getattr(train, "restore_best", True))
            self.plateau.setChecked(train.plateau_schedule)
            self.plateau_factor.setValue(train.plateau_factor)
            self.plateau_patience.setValue(train.plateau_patience)
            self.batch_size.setValue(train.batch_size)
            self.epochs.setValue(train.epochs)
            self.grad_clip.setValue(train.grad_clip or 0.0)
            self.early_stopping.setValue(train.early_stopping or 0)
            self.max_len.setValue(train.max_len or 0)
            self.seed.setValue(train.seed)
            if self.device.findData(train.device) < 0:
                self.device.addItem(train.device, train.device)
            _select(self.device, train.device)
            self.threads.setValue(train.threads or 0)
            self.time_budget.setValue(int(getattr(train, "time_budget_s", None) or 0))
            self.quality_binder.set_config(train)
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

    def _check(self) -> str | None:
        model, train = self.model_config(), self.train_config()
        return self._data_problem(model) or settings_problem(model, train)

    def _on_edit(self, *_: object) -> None:
        if self._loading:
            return
        self._refresh_enabled()
        if self.preset.currentText() != CUSTOM and not self._matches_preset():
            self.preset.setCurrentText(CUSTOM)
        was_valid = self._problem is None
        self._problem = self._check()
        self.problem_label.setText(self._problem or "")
        self.problem_label.setVisible(self._problem is not None)
        self._update_summary()
        if was_valid != (self._problem is None):
            self.validity_changed.emit(self._problem is None)
        self.changed.emit()

    def _matches_preset(self) -> bool:
        model = self.model_config()
        values = PRESETS.get(self.preset.currentText(), {})
        return all(getattr(model, key) == value for key, value in values.items())

    def _refresh_enabled(self) -> None:
        lm = self.task.currentData() == "lm"
        self.quality.set_task("lm" if lm else "classify")
        self.pooling.setEnabled(not lm)
        self.tie_weights.setEnabled(lm or self.tie_weights.isChecked())
        self.momentum.setEnabled(self.optimizer.currentData() == "sgd")
        plateau = self.plateau.isChecked()
        self.plateau_factor.setEnabled(plateau)
        self.plateau_patience.setEnabled(plateau)

    def _update_summary(self) -> None:
        model = self.model_config()
        weights = weight_shapes(model)
        total = sum(w.count for w in weights)
        vocab_note = (f"vocabulary {model.vocab_size:,}" if model.vocab_size
                      else "vocabulary not built yet (1 row shown)")
        self.summary_label.setText(f"<b>{total:,}</b> parameters ({vocab_note})")
        self.summary.clear()
        for weight in weights:
            item = QTreeWidgetItem([weight.name, " × ".join(map(str, weight.shape)),
                                    f"{weight.count:,}"])
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight)
            for gate, start, end in weight.blocks:
                columns = f" × {weight.shape[1]}" if len(weight.shape) > 1 else ""
                child = QTreeWidgetItem([f"{gate}  (rows {start}:{end})",
                                         f"{end - start}{columns}", ""])
                item.addChild(child)
            self.summary.addTopLevelItem(item)
        self.summary.resizeColumnToContents(0)

    def _on_torch_loaded(self) -> None:
        current = self.device.currentData()
        self._loading = True
        try:
            self.device.clear()
            for device in available_devices():
                self.device.addItem(device, device)
            _select(self.device, current)
        finally:
            self._loading = False
        self._on_edit()
