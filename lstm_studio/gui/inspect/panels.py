"""The Inspect tab's control rows, each a widget that owns its children and says what the user
asked for through signals: which model (SourceBar), which sentence (SentenceBar), which layer,
direction and unit (CursorControls) and which step and stage (StepBar).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from lstm_studio.core.dataset import Dataset, Document

SOURCES = {"trained": "Trained / loaded model", "checkpoint": "Model file…",
           "fresh": "Fresh untrained model", "toy": "Toy cell (lecture)"}
SPEEDS = {"0.5×": 1600, "1×": 800, "2×": 400, "4×": 200}
EXAMPLES_PER_SPLIT = 100


def _row(owner: QWidget, *widgets: QWidget | str, stretch: QWidget | None = None) -> None:
    """Lay `widgets` out left to right in `owner` (strings become labels)."""
    layout = QHBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        item = QLabel(widget) if isinstance(widget, str) else widget
        layout.addWidget(item, 1 if item is stretch else 0)


def _tool(text: str, tip: str, slot: Callable[[], None]) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.clicked.connect(slot)
    return button


class CursorControls(QWidget):
    """Layer, direction and unit of the cursor; `layer_changed` covers layer and direction."""

    layer_changed = Signal()
    unit_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer_spin, self.unit_spin = QSpinBox(), QSpinBox()
        self.direction_box = QComboBox()
        self.layer_spin.valueChanged.connect(lambda _value: self.layer_changed.emit())
        self.direction_box.currentTextChanged.connect(lambda _text: self.layer_changed.emit())
        self.unit_spin.valueChanged.connect(self.unit_changed)
        _row(self, "  Layer:", self.layer_spin, "Direction:", self.direction_box, "Unit:",
             self.unit_spin)


class SourceBar(QWidget):
    """Which model to look inside, a line describing it, and Export; hosts CursorControls."""

    source_chosen = Signal()
    load_requested = Signal()
    export_requested = Signal()

    def __init__(self, cursor_controls: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QComboBox()
        for key, title in SOURCES.items():
            self.source.addItem(title, key)
        self.source.activated.connect(lambda _index: self.source_chosen.emit())
        self.load_button = QPushButton("Load…")
        self.load_button.setToolTip("Open a model file (.safetensors) written by LSTM Studio")
        self.load_button.clicked.connect(self.load_requested)
        self.model_label = QLabel()
        self.model_label.setStyleSheet("color: #495057")
        self.export_button = QPushButton("Export HTML…")
        self.export_button.setToolTip("Save this walk-through (drawing, formulas, token table) "
                                      "as one self-contained web page")
        self.export_button.clicked.connect(self.export_requested)
        _row(self, "Model:", self.source, self.load_button, cursor_controls, self.model_label,
             self.export_button, stretch=self.model_label)

    def key(self) -> str:
        return str(self.source.currentData())

    def select(self, key: str) -> None:
        self.source.setCurrentIndex(self.source.findData(key))

    def enable(self, key: str, enabled: bool) -> None:
        """Grey out one source in the list (e.g. "trained" while there is no model)."""
        model = self.source.model()
        if isinstance(model, QStandardItemModel):  # a QComboBox's own model
            item = model.item(self.source.findData(key))
            if item is not None:
                item.setEnabled(enabled)


def example_documents(dataset: Dataset, order: tuple[str, ...]) -> dict[str, list[Document]]:
    """The first EXAMPLES_PER_SPLIT documents of each split in `order`.

    This runs on the GUI thread whenever data arrives. In memory it is one pass that stops
    once every split has its examples (scanning 200,000 documents per split was a stall); a
    corpus browsed from its store finds each split in its arrays and decodes only the few
    documents shown (a pass would decode the whole corpus).
    """
    from lstm_studio.core.corpus.browse import StoreDataset

    if isinstance(dataset, StoreDataset):
        splits = {split: dataset.split(split) for split in order}
        return {split: [docs[i] for i in range(min(EXAMPLES_PER_SPLIT, len(docs)))]
                for split, docs in splits.items()}
    picked: dict[str, list[Document]] = {split: [] for split in order}
    wanted = EXAMPLES_PER_SPLIT * len(order)
    for doc in dataset.documents:
        chosen = picked.get(doc.split)
        if chosen is not None and len(chosen) < EXAMPLES_PER_SPLIT:
            chosen.append(doc)
            wanted -= 1
            if not wanted:
                break
    return picked


class SentenceBar(QWidget):
    """The sentence to trace, Trace, and documents of the loaded dataset to pick from."""

    trace_requested = Signal()
    example_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sentence = QLineEdit()
        self.sentence.setPlaceholderText("Type a sentence, then press Enter")
        self.sentence.returnPressed.connect(self.trace_requested)
        self.trace_button = QPushButton("Trace")
        self.trace_button.clicked.connect(self.trace_requested)
        self.examples = QComboBox()
        self.examples.setMinimumWidth(260)
        self.examples.setMaximumWidth(360)
        self.examples.activated.connect(self._on_example)
        _row(self, "Sentence:", self.sentence, self.trace_button, self.examples,
             stretch=self.sentence)
        self.fill_examples(None)

    def text(self) -> str:
        return self.sentence.text()

    def fill_examples(self, dataset: Dataset | None) -> None:
        """The first documents of each split (test first: what the model has not seen)."""
        self.examples.clear()
        self.examples.addItem("Pick a document…", None)
        if dataset is None:
            return
        order = ("test", "valid", "train")
        picked = example_documents(dataset, order)
        for split in order:
            for doc in picked[split]:
                label = f"[{doc.label}] " if doc.label else ""
                self.add_example(f"{split} {label}{doc.text}", doc.text)

    def add_example(self, title: str, text: str, top: bool = False) -> None:
        short = title if len(title) <= 80 else title[:79] + "…"
        if top:
            self.examples.insertItem(1, short, text)
        else:
            self.examples.addItem(short, text)

    def first_example(self) -> str | None:
        return self.examples.itemData(1) if self.examples.count() > 1 else None

    def set_editable(self, editable: bool) -> None:
        for widget in (self.sentence, self.trace_button, self.examples):
            widget.setEnabled(editable)

    def _on_example(self, index: int) -> None:
        text = self.examples.itemData(index)
        if text:
            self.sentence.setText(text)
            self.example_chosen.emit(text)


class StepBar(QWidget):
    """◀ slider ▶, the step label, Play with its speed, and the lecture's stages."""

    step_requested = Signal(int)  # -1 or +1: previous / next token
    index_chosen = Signal(int)  # the slider was moved to this visit index
    stage_step_requested = Signal(int)  # -1 or +1: previous / next stage
    stage_chosen = Signal(object)  # a stage name, or None for the whole cell
    tick = Signal()  # Play: time for the next step

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.back_button = _tool("◀", "Previous token (Left)", lambda: self.step_requested.emit(-1))
        self.forward_button = _tool("▶", "Next token (Right)",
                                    lambda: self.step_requested.emit(1))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self._on_slider)
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(110)
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.toggled.connect(self._on_play)
        self.timer = QTimer(self)
        self.timer.setInterval(SPEEDS["1×"])
        self.timer.timeout.connect(self.tick)
        self.speed = QComboBox()
        self.speed.addItems(list(SPEEDS))
        self.speed.setCurrentText("1×")
        self.speed.currentTextChanged.connect(lambda text: self.timer.setInterval(SPEEDS[text]))
        self.stage_box = QComboBox()
        self.stage_box.setMinimumWidth(190)
        self.stage_box.currentIndexChanged.connect(self._on_stage_box)
        self.stage_back = _tool("◀", "Previous stage", lambda: self.stage_step_requested.emit(-1))
        self.stage_forward = _tool("▶", "Next stage (walks the lecture's six stages)",
                                   lambda: self.stage_step_requested.emit(1))
        self._quiet = False
        _row(self, self.back_button, self.slider, self.forward_button, self.step_label,
             self.play_button, self.speed, "  Stage:", self.stage_back, self.stage_box,
             self.stage_forward, stretch=self.slider)

    def set_stages(self, stages: list[tuple[str, str]], current: str | None) -> None:
        """`stages`: (name, title) in the lecture's order; "Whole cell" comes first."""
        self._quiet = True
        try:
            self.stage_box.clear()
            self.stage_box.addItem("Whole cell", None)
            for number, (stage, title) in enumerate(stages, start=1):
                self.stage_box.addItem(f"{number}. {title}", stage)
            self.stage_box.setCurrentIndex(max(self.stage_box.findData(current), 0))
        finally:
            self._quiet = False

    def stages(self) -> list[str]:
        return [self.stage_box.itemData(i) for i in range(1, self.stage_box.count())]

    def select_stage(self, stage: str | None) -> None:
        """Show `stage` as chosen without emitting `stage_chosen` (the caller decided it)."""
        self._quiet = True
        self.stage_box.setCurrentIndex(max(self.stage_box.findData(stage), 0))
        self._quiet = False

    def set_steps(self, steps: int) -> None:
        self._quiet = True
        self.slider.setRange(0, max(0, steps - 1))
        self._quiet = False

    def show_index(self, index: int, steps: int, note: str = "") -> None:
        self._quiet = True
        self.slider.setValue(index)
        self._quiet = False
        self.step_label.setText(f"step {index + 1} / {steps}{note}")
        self.back_button.setEnabled(index > 0)
        self.forward_button.setEnabled(index < steps - 1)

    def stop_playing(self) -> None:
        self.play_button.setChecked(False)

    def _on_slider(self, value: int) -> None:
        if not self._quiet:
            self.index_chosen.emit(value)

    def _on_stage_box(self, _index: int) -> None:
        if not self._quiet:
            self.stage_chosen.emit(self.stage_box.currentData())

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            self.timer.start()
        else:
            self.timer.stop()
