"""The Train form's quality settings: class weighting, selection, pretrained vectors,
calibration; plus the word2vec step and a coverage check for a chosen vector file.

Every setting is a TrainConfig field bound with the form's FieldBinder (`bind`), so its rules
are the core's validators and the command line has the same flag. The two actions run in
TaskSlots: "Train word2vec…" trains vectors on the training split (core/word2vec.py, the
optional gensim extra), writes them to the user's data folder and fills the vector file
field; "Check coverage" streams the chosen file against the vocabulary and shows the shares
of vocabulary words and running tokens it covers, with every problem the reader counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from lstm_studio.core.config import TrainConfig
from lstm_studio.gui import dialogs
from lstm_studio.gui.train.corpus_reads import split_texts
from lstm_studio.gui.widgets.binder import FieldBinder
from lstm_studio.gui.widgets.task_bar import TaskBar
from lstm_studio.gui.workers import TaskSlot

CLASS_WEIGHT_CHOICES = (("None", "none"), ("Balanced (inverse frequency)", "balanced"),
                        ("Effective number of samples", "effective"))
SELECT_CHOICES = (("Automatic", "auto"), ("Validation macro-F1", "macro_f1"),
                  ("Validation accuracy", "accuracy"), ("Validation loss", "loss"))
VECTOR_FILTER = "Word vectors (*.vec *.txt *.bin *.gz);;All files (*)"


def _combo(items: tuple[tuple[str, str], ...]) -> QComboBox:
    box = QComboBox()
    for title, data in items:
        box.addItem(title, data)
    return box


def vector_check_job(path: str, dataset: Any, vocabulary: Any, vocab_config: Any
                     ) -> Callable[[Any, Any], str]:
    """Worker: read `path` for the vocabulary (built from the train split if there is none
    yet) and describe its coverage and problems in a few sentences."""

    def job(progress: Any, emit: Any) -> str:
        from lstm_studio.core.embeddings import coverage, read_vectors, token_counts
        from lstm_studio.core.vocab import Vocabulary

        texts = split_texts(dataset, "train")
        vocab = vocabulary or Vocabulary.build(texts, vocab_config)
        pretrained = read_vectors(path, vocab.itos, progress=progress)
        cover = coverage(pretrained, vocab.itos, token_counts(texts))
        notes = pretrained.report.notes() if pretrained.report else []
        return " ".join([f"{pretrained.dim}-dimensional vectors.", cover.describe(), *notes])

    return job


def word2vec_job(dataset: Any, dim: int, seed: int, threads: int | None
                 ) -> Callable[[Any, Any], str]:
    """Worker: word2vec on the training split, saved as a .vec file; returns its path."""

    def job(progress: Any, emit: Any) -> str:
        from lstm_studio.core.paths import user_data_dir
        from lstm_studio.core.word2vec import Word2VecSettings, save_vec, train_word2vec

        texts = split_texts(dataset, "train")
        keyed = train_word2vec(texts, Word2VecSettings(dim=dim, seed=seed, threads=threads),
                               progress=progress)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return str(save_vec(keyed, user_data_dir() / "vectors" / f"word2vec-{stamp}.vec"))

    return job


class QualityBox(QGroupBox):
    """Widgets for the quality fields of TrainConfig; `attach` gives it the data it needs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Labels, embeddings, calibration", parent)
        self._state: Any = None
        self._embedding_dim: Callable[[], int] = lambda: 128
        self._seed: Callable[[], int] = lambda: 0
        self.class_weight = _combo(CLASS_WEIGHT_CHOICES)
        self.class_weight.setToolTip("Weight the loss so small classes count as much as big "
                                     "ones (classifiers).")
        self.oversample = QCheckBox("Over-sample small classes")
        self.oversample.setToolTip("Repeat the smaller classes' documents up to the largest "
                                   "class in every epoch.")
        self.select = _combo(SELECT_CHOICES)
        self.select.setToolTip("The metric that keeps the best epoch, stops early and lowers "
                               "the learning rate. Automatic: macro-F1 when the training "
                               "split is imbalanced, accuracy otherwise.")
        self.embeddings = QLineEdit()
        self.embeddings.setPlaceholderText("none: random start")
        self.embeddings.setToolTip("A word2vec/fastText vector file (.vec, .txt, .bin, "
                                   "optionally .gz) to start the embedding from.")
        self.browse_button = QPushButton("Browse…")
        self.word2vec_button = QPushButton("Train word2vec…")
        self.word2vec_button.setToolTip("Train word vectors on the training split (needs the "
                                        "optional gensim package) and use them.")
        self.check_button = QPushButton("Check coverage")
        self.word2vec_first = QCheckBox("Or train word2vec at Start")
        self.word2vec_first.setToolTip("Train word vectors on the training split when the run "
                                       "starts and begin from them, as `train --word2vec` "
                                       "does (instead of a vector file).")
        self.freeze = QSpinBox()
        self.freeze.setRange(0, 1000)
        self.freeze.setSuffix(" epochs")
        self.freeze.setToolTip("Keep the rows that got a pretrained vector fixed for this many "
                               "epochs (0: they learn from the start).")
        self.temperature = QCheckBox("Fit a temperature on validation")
        self.temperature.setToolTip("Calibrate the probabilities (stored in the model file).")
        self.threshold = QCheckBox("Choose the decision threshold on validation")
        self.threshold.setToolTip("Two classes: the probability above which the second label "
                                  "is predicted, chosen for macro-F1 (stored in the model).")
        self.vector_status = QLabel()
        self.vector_status.setWordWrap(True)
        self.task_bar = TaskBar()
        self.vector_slot = TaskSlot(self, "Reading vectors", "Vector file")
        self.word2vec_slot = TaskSlot(self, "word2vec", "word2vec failed")
        for slot in (self.vector_slot, self.word2vec_slot):
            slot.started.connect(self._follow)
            slot.busy_changed.connect(lambda _busy: self._update_buttons())

        files = QHBoxLayout()
        files.addWidget(self.embeddings, 1)
        files.addWidget(self.browse_button)
        actions = QHBoxLayout()
        actions.addWidget(self.word2vec_button)
        actions.addWidget(self.check_button)
        actions.addStretch(1)
        form = QFormLayout(self)
        form.addRow("Class weights", self.class_weight)
        form.addRow("", self.oversample)
        form.addRow("Keep the epoch with", self.select)
        form.addRow("Word vectors", files)
        form.addRow("", actions)
        form.addRow("", self.word2vec_first)
        form.addRow("Freeze vectors for", self.freeze)
        form.addRow("", self.temperature)
        form.addRow("", self.threshold)
        form.addRow(self.vector_status)
        form.addRow(self.task_bar)
        self.browse_button.clicked.connect(self._browse)
        self.check_button.clicked.connect(self.check_vectors)
        self.word2vec_button.clicked.connect(self.train_word2vec)
        self.embeddings.textChanged.connect(self._on_path_changed)
        self._update_buttons()

    # ----- binding ------------------------------------------------------------------------
    def bind(self, binder: FieldBinder[TrainConfig]) -> None:
        """Bind every widget to its TrainConfig field (one line each)."""
        binder.bind("class_weight", self.class_weight)
        binder.bind("oversample", self.oversample)
        binder.bind("select", self.select)
        binder.bind_custom(("embeddings",), self.embeddings,
                           lambda: {"embeddings": self.embeddings.text().strip() or None},
                           lambda config: self.embeddings.setText(config.embeddings or ""))
        binder.bind("word2vec", self.word2vec_first)
        binder.bind("freeze_embeddings", self.freeze)
        binder.bind("temperature_scaling", self.temperature)
        binder.bind("tune_threshold", self.threshold)

    def attach(self, state: Any, embedding_dim: Callable[[], int] | None = None,
               seed: Callable[[], int] | None = None) -> None:
        """The app state (dataset, vocabulary) and the form's embedding size and seed."""
        self._state = state
        if embedding_dim is not None:
            self._embedding_dim = embedding_dim
        if seed is not None:
            self._seed = seed
        self._update_buttons()

    def set_task(self, task: str) -> None:
        """Classifier-only settings are disabled (and reset) for a language model."""
        classify = task == "classify"
        for widget in (self.class_weight, self.oversample, self.temperature, self.threshold):
            widget.setEnabled(classify)
        if not classify:
            self.class_weight.setCurrentIndex(0)
            self.oversample.setChecked(False)
            self.temperature.setChecked(False)
            self.threshold.setChecked(False)
            if self.select.currentData() in ("accuracy", "macro_f1"):
                self.select.setCurrentIndex(0)

    # ----- actions ------------------------------------------------------------------------
    def _dataset(self) -> Any:
        return self._state.training_dataset() if self._state is not None else None

    def _update_buttons(self) -> None:
        has_data = self._dataset() is not None
        busy = self.vector_slot.is_busy() or self.word2vec_slot.is_busy()
        self.word2vec_button.setEnabled(has_data and not busy)
        self.check_button.setEnabled(has_data and not busy
                                     and bool(self.embeddings.text().strip()))
        self.freeze.setEnabled(bool(self.embeddings.text().strip()))

    def _on_path_changed(self) -> None:
        self.vector_status.setText("")
        self._update_buttons()

    def _follow(self, task: Any) -> None:
        self.task_bar.follow(task, "Reading vectors" if self.vector_slot.is_current(task)
                             else "Training word2vec")

    def _browse(self) -> None:
        paths = dialogs.open_files(self, "Choose a word-vector file", "", VECTOR_FILTER)
        if paths:
            self.embeddings.setText(paths[0])
            self.check_vectors()

    def check_vectors(self) -> Any:
        """Stream the chosen file against the vocabulary and report its coverage."""
        dataset, path = self._dataset(), self.embeddings.text().strip()
        if dataset is None or not path:
            return None
        self.vector_status.setText("Reading the vector file…")
        job = vector_check_job(path, dataset, self._state.vocabulary, self._state.vocab_config)
        return self.vector_slot.start(job, self.vector_status.setText,
                                      on_failed=self._on_vector_failed,
                                      on_done=lambda _ok: self._update_buttons())

    def _on_vector_failed(self, message: str) -> None:
        self.vector_status.setText(message)

    def train_word2vec(self) -> Any:
        """The word2vec step: vectors from the training split, then their coverage."""
        dataset = self._dataset()
        if dataset is None:
            return None
        self.vector_status.setText("Training word2vec on the training split…")
        job = word2vec_job(dataset, self._embedding_dim(), self._seed(), None)
        return self.word2vec_slot.start(job, self._on_word2vec_done,
                                        on_failed=self._on_vector_failed,
                                        on_done=lambda _ok: self._update_buttons())

    def _on_word2vec_done(self, path: str) -> None:
        self.embeddings.setText(path)  # a user edit for the binder: the form changes
        self.vector_status.setText(f"word2vec vectors saved to {path}.")
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self.check_vectors)  # after the word2vec slot has ended

    def shutdown(self) -> None:
        self.vector_slot.shutdown()
        self.word2vec_slot.shutdown()
