"""Vocabulary tab: build the vocabulary from the training split in the background, show its
size, OOV rate, coverage curve and length histogram, and the lecture's index-based
representation of a sentence (each token beside its id, with <unk> and <pad> visible).

Builds run through one TaskSlot: a new build (or new data) retires the running one, and a
result for data replaced meanwhile is dropped. A corpus browsed from its on-disk store is
counted from the store's arrays (core/corpus/vocab_stats.py), never read whole as texts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.config import VocabConfig
from lstm_studio.core.dataset import Dataset
from lstm_studio.core.progress import Progress, report
from lstm_studio.core.wording import plural
from lstm_studio.gui.memory import collector_paused
from lstm_studio.gui.state import AppState
from lstm_studio.gui.widgets.binder import FieldBinder
from lstm_studio.gui.widgets.charts import HistogramChart, LineChart, histogram
from lstm_studio.gui.widgets.imbalance_note import ImbalanceNote
from lstm_studio.gui.widgets.task_bar import TaskBar
from lstm_studio.gui.widgets.theme import highlight_colors
from lstm_studio.gui.workers import BackgroundTask, TaskSlot

if TYPE_CHECKING:
    from lstm_studio.core.corpus.store import TokenStore
    from lstm_studio.core.vocab import VocabStats, Vocabulary

SENTENCE_CHOICES = 60
AUTO_BUILD_DELAY_MS = 150
# First choice in the sentence box: a review with a made-up word, so <unk> shows as on the
# lecture's slide (validation sentences follow; they are where unknown words occur).
EXAMPLE = "Nhân_viên phục_vụ nhiệt_tình , món phở_gà ngon tuyệt_cú_mèo !"


@dataclass
class VocabOutcome:
    vocab: Vocabulary
    stats: VocabStats
    config: VocabConfig
    sentences: list[str]
    length_bins: tuple[list[float], list[int]]
    train_labels: dict[str, int]  # training documents per label, for the imbalance note


def build_vocabulary(dataset: Dataset, config: VocabConfig, progress: Progress | None,
                     ) -> VocabOutcome:
    """Vocabulary from the training split, statistics against the validation split."""
    from lstm_studio.core.vocab import Vocabulary, vocabulary_stats

    train = [d.text for d in dataset.documents if d.split == "train"]
    valid = [d.text for d in dataset.documents if d.split == "valid"]
    if not train:
        train = [d.text for d in dataset.documents]
    report(progress, 0, 2, "Counting tokens")
    vocab = Vocabulary.build(train, config)
    report(progress, 1, 2, "Measuring coverage")
    stats = vocabulary_stats(vocab, train, valid)
    report(progress, 2, 2, "Done")
    sentences = [EXAMPLE, *valid[:SENTENCE_CHOICES // 2], *train[:SENTENCE_CHOICES // 2]]
    # counted here, not on the GUI thread: a pass over 200,000 documents is a visible stall
    labels = Counter(d.label for d in dataset.documents
                     if d.split == "train" and d.label is not None)
    return VocabOutcome(vocab, stats, config, sentences, histogram(stats.lengths), dict(labels))


def build_store_vocabulary(store: TokenStore, config: VocabConfig, progress: Progress | None,
                           ) -> VocabOutcome:
    """`build_vocabulary` for a corpus browsed from its token store: the same figures from
    its arrays (core/corpus/vocab_stats.py); only the example sentences are read as text."""
    from lstm_studio.core.corpus.browse import store_filtered_splits
    from lstm_studio.core.corpus.training import StoredTexts
    from lstm_studio.core.corpus.vocab_stats import (
        store_vocabulary_stats,
        train_label_counts,
        vocab_documents,
    )

    filters = store_filtered_splits(store)
    vocab, stats = store_vocabulary_stats(store, config, filters, progress=progress)
    train, valid = vocab_documents(store, filters)
    half = SENTENCE_CHOICES // 2
    sentences = [EXAMPLE, *StoredTexts(store, valid[:half]), *StoredTexts(store, train[:half])]
    return VocabOutcome(vocab, stats, config, sentences, histogram(stats.lengths),
                        train_label_counts(store, filters))


class VocabTab(QWidget):
    built = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._building = TaskSlot(self, "Building vocabulary")
        self._outcome: VocabOutcome | None = None
        self._stale = False
        self._build()
        self.binder: FieldBinder[VocabConfig] = FieldBinder(state.vocab_config, self)
        self.binder.bind("min_freq", self.min_freq)
        self.binder.bind("max_size", self.max_size)  # 0 shows "unlimited": None
        self.binder.bind("max_len", self.max_len)  # 0 shows "suggested (p95)": None
        self.set_config(state.vocab_config)
        self.task_bar.follow_slot(self._building)
        self._auto = QTimer(self)
        self._auto.setSingleShot(True)
        # A moment after the tab is shown, so its first paint does not compete with the
        # build's worker for the GIL (with 200,000 documents that paint took 100 ms).
        self._auto.setInterval(AUTO_BUILD_DELAY_MS)
        self._auto.timeout.connect(lambda: self.build_vocabulary())
        state.dataset_changed.connect(self._on_data_changed)
        state.cleaning_changed.connect(self._on_data_changed)

    def _build(self) -> None:
        form_box = QGroupBox("Settings")
        form = QFormLayout(form_box)
        self.min_freq = QSpinBox()
        self.min_freq.setRange(1, 10_000)
        self.max_size = QSpinBox()
        self.max_size.setRange(0, 10_000_000)
        self.max_size.setSingleStep(1000)
        self.max_size.setSpecialValueText("unlimited")
        self.max_len = QSpinBox()
        self.max_len.setRange(0, 100_000)
        self.max_len.setSpecialValueText("suggested (p95)")
        form.addRow("Minimum frequency", self.min_freq)
        form.addRow("Maximum size", self.max_size)
        form.addRow("Maximum length", self.max_len)
        self.build_button = QPushButton("Build vocabulary")
        form.addRow(self.build_button)
        self.task_bar = TaskBar()
        form.addRow(self.task_bar)
        self.figures = QLabel("No vocabulary yet.")
        self.figures.setWordWrap(True)
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        self.figures.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.figures)
        self.imbalance = ImbalanceNote()  # a class under 10%: suggest class weighting
        form.addRow(self.imbalance)
        form_box.setMaximumWidth(340)

        self.coverage_chart = LineChart("Coverage of training tokens", "vocabulary size",
                                        "coverage")
        self.length_chart = HistogramChart("Training document length", "tokens")
        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.coverage_chart)
        charts.addWidget(self.length_chart)

        self.sentence = QComboBox()
        self.sentence.setEditable(True)
        self.sentence.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line_edit = self.sentence.lineEdit()
        if line_edit is not None:  # always, for an editable combo box
            line_edit.setPlaceholderText("Type a sentence or pick one from the list")
        self.representation = QTableWidget(2, 0)
        self.representation.setVerticalHeaderLabels(["token", "id"])
        self.representation.setFixedHeight(3 * self.fontMetrics().height() + 62)
        self.ids_label = QLabel()
        self.ids_label.setWordWrap(True)
        self.ids_label.setTextFormat(Qt.TextFormat.PlainText)
        self.ids_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rep_box = QGroupBox("Index-based representation")
        rep_layout = QVBoxLayout(rep_box)
        rep_layout.addWidget(self.sentence)
        rep_layout.addWidget(self.representation)
        rep_layout.addWidget(self.ids_label)
        rep_layout.addStretch(1)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(charts)
        right.addWidget(rep_box)
        right.setSizes([480, 200])
        layout = QHBoxLayout(self)
        layout.addWidget(form_box)
        layout.addWidget(right, 1)

        self.build_button.clicked.connect(lambda: self.build_vocabulary())
        self.sentence.currentTextChanged.connect(self.show_sentence)
        self.max_len.valueChanged.connect(lambda _: self.show_sentence(self.sentence.currentText()))

    @property
    def last_error(self) -> str | None:
        """Why the last build failed (None after a success); the self-test reports it."""
        return self._building.last_error

    # --- config ---------------------------------------------------------------------------
    def set_config(self, config: VocabConfig) -> None:
        self.binder.set_config(config)  # lm_specials is not shown: it is kept as set

    def config(self) -> VocabConfig:
        return self.binder.config()

    def effective_max_len(self) -> int:
        if self.max_len.value():
            return self.max_len.value()
        if self._outcome is not None:
            return int(self._outcome.stats.suggested_max_len)
        return 0

    # --- building -------------------------------------------------------------------------
    def _on_data_changed(self) -> None:
        """Rebuild when the data changed — now if the tab is on screen, else when it is next
        shown (building for 50,000 documents in the background while cleaning also runs
        only competes with the cleaning and the GUI for the interpreter)."""
        self._building.cancel()  # built from the old data: of no use any more
        self._stale = True
        if self.state.dataset is not None and self.isVisible():
            self._auto.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale and self.state.dataset is not None and not self._building.is_busy():
            self._auto.start()

    def build_vocabulary(self, on_done: Callable[[bool], None] | None = None,
                         ) -> BackgroundTask | None:
        """Build from the training data with the form's settings; `on_done(ok)` after it
        ended. None when there is no data to build from."""
        self._auto.stop()  # an explicit build replaces a pending automatic one
        self._stale = False
        dataset = self.state.training_dataset()
        if dataset is None or not len(dataset):
            return None
        config = self.config()
        self.state.vocab_config = config
        store = self.state.training_store()  # a store is counted, never read as texts

        def work(progress: Progress, emit: object) -> VocabOutcome:
            if store is not None:
                return build_store_vocabulary(store, config, progress)
            with collector_paused():
                return build_vocabulary(dataset, config, progress)

        def failed(message: str) -> None:
            self.figures.setText(f"Could not build the vocabulary: {message}")

        return self._building.start(
            work, self._show, on_failed=failed, on_done=on_done,
            # a result for data replaced meanwhile is not shown
            still_valid=lambda: self.state.training_dataset() is dataset)

    def _show(self, outcome: VocabOutcome) -> None:
        self._outcome = outcome
        stats = outcome.stats
        self.figures.setText(
            # never "1 tokens": <pad> and <unk> are always there
            f"<b>{len(outcome.vocab):,}</b> tokens in the vocabulary (specials included)<br>"
            f"OOV rate on validation: <b>{stats.oov_rate:.2%}</b><br>"
            f"Coverage of training tokens: <b>{stats.coverage:.2%}</b><br>"
            f"Suggested maximum length (p95): <b>{stats.suggested_max_len}</b>")
        self.coverage_chart.set_points(stats.coverage_curve)
        self.coverage_chart.set_marker(len(outcome.vocab))
        self.length_chart.set_histogram(*outcome.length_bins)
        self.length_chart.set_marker("suggested", stats.suggested_max_len)
        chosen = outcome.config.max_len
        self.length_chart.set_marker("max length", chosen or None, color="#59a14f")
        current = self.sentence.currentText()
        self.sentence.blockSignals(True)
        self.sentence.clear()
        self.sentence.addItems([" ".join(s.split()) for s in outcome.sentences])
        self.sentence.blockSignals(False)
        self.sentence.setCurrentText(current or (outcome.sentences[0] if outcome.sentences
                                                 else ""))
        self.show_sentence(self.sentence.currentText())
        self.imbalance.show_counts(outcome.train_labels)
        self.state.set_vocabulary(outcome.vocab)
        self.built.emit()

    # --- representation -------------------------------------------------------------------
    def representation_cells(self, text: str) -> list[tuple[str, int]]:
        """(token shown, id) per position after padding/truncating to the maximum length."""
        if self._outcome is None:
            return []
        from lstm_studio.core.tokenize import tokenize

        vocab = self._outcome.vocab
        if self.state.cleaned is not None:
            from lstm_studio.core.cleaning import clean_text

            text = clean_text(text, self.state.cleaned.config or self.state.cleaning_config)
        tokens = tokenize(text)
        ids = vocab.encode_tokens(tokens)
        max_len = self.effective_max_len() or len(ids)
        padded = vocab.pad(ids, max_len)
        cells = []
        for position, token_id in enumerate(padded):
            if position < len(tokens) and position < len(ids):
                token = tokens[position]
                shown = token if token_id != vocab.unk_id else f"{token} → {vocab.itos[token_id]}"
            else:
                shown = vocab.itos[token_id]
            cells.append((shown, int(token_id)))
        return cells

    def show_sentence(self, text: str) -> None:
        cells = self.representation_cells(text)
        colors = highlight_colors()
        vocab = self._outcome.vocab if self._outcome is not None else None
        self.representation.setColumnCount(len(cells))
        for column, (shown, token_id) in enumerate(cells):
            token_item = QTableWidgetItem(shown)
            id_item = QTableWidgetItem(str(token_id))
            id_item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            kind = None
            if vocab is not None and token_id == vocab.pad_id:
                kind = "pad"
            elif vocab is not None and token_id == vocab.unk_id:
                kind = "unk"
            if kind:
                background, foreground = colors[kind]
                for item in (token_item, id_item):
                    item.setBackground(QBrush(QColor(background)))
                    item.setForeground(QBrush(QColor(foreground)))
            self.representation.setItem(0, column, token_item)
            self.representation.setItem(1, column, id_item)
        self.representation.resizeColumnsToContents()
        if vocab is None:
            self.ids_label.setText("")
            return
        real = sum(1 for _, i in cells if i != vocab.pad_id)
        unk = sum(1 for _, i in cells if i == vocab.unk_id)
        self.ids_label.setText(f"{plural(len(cells), 'position')} · {plural(real, 'token')} · "
                               f"{unk} <unk> · {len(cells) - real} <pad>\n"
                               f"ids = {[i for _, i in cells]}")

    def confirm_close(self) -> bool:
        return True

    def shutdown(self) -> None:
        self._building.shutdown()
