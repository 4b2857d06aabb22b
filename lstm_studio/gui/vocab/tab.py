"""Vocabulary tab: build the vocabulary from the training split in the background, show its
size, OOV rate, coverage curve and length histogram, and the lecture's index-based
representation of a sentence (each token beside its id, with <unk> and <pad> visible)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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

from lstm_studio.core.config import VocabConfig, config_to_dict
from lstm_studio.core.progress import Progress, report
from lstm_studio.gui import settings
from lstm_studio.gui.memory import collector_paused
from lstm_studio.gui.state import AppState
from lstm_studio.gui.widgets.charts import HistogramChart, LineChart, histogram
from lstm_studio.gui.widgets.imbalance_note import ImbalanceNote
from lstm_studio.gui.widgets.task_bar import TaskBar
from lstm_studio.gui.widgets.theme import highlight_colors
from lstm_studio.gui.workers import BackgroundTask

SENTENCE_CHOICES = 60
# First choice in the sentence box: a review with a made-up word, so <unk> shows as on the
# lecture's slide (validation sentences follow; they are where unknown words occur).
EXAMPLE = "Nhân_viên phục_vụ nhiệt_tình , món phở_gà ngon tuyệt_cú_mèo !"


@dataclass
class VocabOutcome:
    vocab: Any  # core.vocab.Vocabulary
    stats: Any  # core.vocab.VocabStats
    config: VocabConfig
    sentences: list[str]
    length_bins: tuple[list[float], list[int]]


def build_vocabulary(dataset: Any, config: VocabConfig, progress: Progress | None,
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
    return VocabOutcome(vocab, stats, config, sentences, histogram(stats.lengths))


class VocabTab(QWidget):
    built = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._task: BackgroundTask | None = None
        self._outcome: VocabOutcome | None = None
        self._stale = False
        self.last_error: str | None = None
        self._build()
        self.set_config(state.vocab_config)
        self._auto = QTimer(self)
        self._auto.setSingleShot(True)
        self._auto.setInterval(0)
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
        self.sentence.lineEdit().setPlaceholderText("Type a sentence or pick one from the list")
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

    # --- config ---------------------------------------------------------------------------
    def set_config(self, config: VocabConfig) -> None:
        self.min_freq.setValue(config.min_freq)
        self.max_size.setValue(config.max_size or 0)
        self.max_len.setValue(config.max_len or 0)
        self._lm_specials = config.lm_specials

    def config(self) -> VocabConfig:
        return VocabConfig(min_freq=self.min_freq.value(), max_size=self.max_size.value() or None,
                           max_len=self.max_len.value() or None,
                           lm_specials=getattr(self, "_lm_specials", False))

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
        self._stale = True
        if self.state.dataset is not None and self.isVisible():
            self._auto.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale and self.state.dataset is not None and self._task is None:
            self._auto.start()

    def build_vocabulary(self, on_done: Callable[[bool], None] | None = None,
                         ) -> BackgroundTask | None:
        self._auto.stop()  # an explicit build replaces a pending automatic one
        self._stale = False
        dataset = self.state.training_dataset()
        if dataset is None or not len(dataset):
            return None
        if self._task is not None:
            self._task.cancel()
        config = self.config()
        self.state.vocab_config = config
        settings.save_option("vocabulary", config_to_dict(config))
        def work(progress: Progress, emit: object) -> VocabOutcome:
            with collector_paused():
                return build_vocabulary(dataset, config, progress)

        task = BackgroundTask(work, self)
        self._task = task
        self.last_error = None
        outcome_ok = {"ok": False}

        def finished(outcome: VocabOutcome) -> None:
            if self._task is task:
                outcome_ok["ok"] = True
                self._show(outcome)

        def failed(message: str) -> None:
            self.last_error = message
            self.figures.setText(f"Could not build the vocabulary: {message}")

        def ended() -> None:
            if self._task is task:
                self._task = None
            if on_done is not None:
                on_done(outcome_ok["ok"])

        task.finished.connect(finished)
        task.failed.connect(failed)
        task.ended.connect(ended)
        self.task_bar.follow(task, "Building vocabulary")
        task.start()
        return task

    def _show(self, outcome: VocabOutcome) -> None:
        self._outcome = outcome
        stats = outcome.stats
        self.figures.setText(
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
        self.imbalance.show_dataset(self.state.training_dataset())
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

            text = clean_text(text, self.state.cleaning_config)
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
        self.ids_label.setText(f"{len(cells)} positions · {real} tokens · {unk} <unk> · "
                               f"{len(cells) - real} <pad>\nids = {[i for _, i in cells]}")

    def confirm_close(self) -> bool:
        return True

    def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel_and_wait(2000)
