"""Evaluate: test metrics, a confusion-matrix heatmap with counts, per-class scores and the
misclassified documents; for a language model its perplexity beside an n-gram baseline's.

Metrics come from the core (`evaluation.evaluate`, through the store for a corpus browsed
from one (corpus_reads.py), or a TrainResult); this view only shows them. Evaluating on
demand and fitting the n-gram run in this view's TaskSlot; a result that arrives after the
model changed is dropped. Activating a misclassified document
(double-click or Enter) asks the Inspect tab to open it (`AppState.inspect_requested`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.ngram import fit_on_vocabulary, vocab_tokens
from lstm_studio.core.progress import Progress
from lstm_studio.gui import dialogs
from lstm_studio.gui.state import AppState
from lstm_studio.gui.train.calibration_chart import ReliabilityChart
from lstm_studio.gui.train.corpus_reads import split_texts, store_metrics
from lstm_studio.gui.workers import BackgroundTask, TaskSlot

if TYPE_CHECKING:
    from lstm_studio.core.checkpoint import ModelBundle
    from lstm_studio.core.dataset import Dataset

log = logging.getLogger(__name__)
Metrics = dict[str, Any]  # as core.evaluation returns them: JSON-like, nested
OnDone = Callable[[bool], None]
R = TypeVar("R")

def _item(text: str, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _count(value: object, noun: str) -> str:
    """'1 document', '52 documents', '? documents' when the metrics do not say."""
    if not isinstance(value, int):
        return f"? {noun}s"
    return f"{value:,} {noun}" + ("" if value == 1 else "s")


def heat_colour(fraction: float) -> QColor:
    """White to deep blue; counts are drawn dark on light cells and white on dark ones."""
    fraction = min(1.0, max(0.0, fraction))
    return QColor(int(255 - 222 * fraction), int(255 - 154 * fraction), int(255 - 74 * fraction))


def ngram_perplexity(bundle: ModelBundle, dataset: Dataset, split: str, order: int) -> float:
    """The perplexity on `split` of an n-gram fitted on the train split with the model's
    vocabulary (runs in a worker: the texts are read here, from a store one at a time)."""
    stoi = bundle.vocab.stoi
    ngram = fit_on_vocabulary(split_texts(dataset, "train"), stoi, order)
    return float(ngram.perplexity(vocab_tokens(text, stoi)
                                  for text in split_texts(dataset, split)))


class EvaluateView(QWidget):
    """Shows one metrics dict; `evaluate_button` evaluates the current model on a split."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.metrics: Metrics | None = None
        self.metrics_split = "test"
        self.slot = TaskSlot(self, "Evaluation", "Evaluation failed")
        self.slot.busy_changed.connect(lambda _busy: self._update_buttons())
        self.ngram_perplexity: float | None = None

        self.split = QComboBox()
        self.split.addItems(["test", "valid", "train"])
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.setToolTip("Score the current model on the chosen split.")
        self.evaluate_button.clicked.connect(lambda: self.evaluate_current())
        self.ngram_order = QSpinBox()
        self.ngram_order.setRange(1, 5)
        self.ngram_order.setValue(3)
        self.ngram_order.setPrefix("n = ")
        self.summary = QLabel("Train or load a model, then evaluate it here.")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.confusion = QTableWidget()
        self.confusion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.per_class = QTableWidget(0, 4)
        self.per_class.setHorizontalHeaderLabels(["Precision", "Recall", "F1", "Support"])
        self.per_class.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.misclassified = QTableWidget(0, 4)
        self.misclassified.setHorizontalHeaderLabels(["Text", "True", "Predicted", "P"])
        self.misclassified.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.misclassified.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.misclassified.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        # Activation (double-click or Enter), not selection: moving through the list with the
        # arrow keys must not keep switching tabs.
        self.misclassified.cellActivated.connect(self._on_misclassified_activated)
        self.misclassified.setToolTip(
            "Double-click a document (or press Enter) to open it in the Inspect tab.")

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Split"))
        bar.addWidget(self.split)
        bar.addWidget(self.evaluate_button)
        bar.addWidget(QLabel("N-gram baseline"))
        bar.addWidget(self.ngram_order)
        bar.addStretch(1)
        tables = QSplitter(Qt.Orientation.Horizontal)
        self.reliability = ReliabilityChart()
        for title, widget in (("Confusion matrix (rows: true, columns: predicted)",
                               self.confusion), ("Per class", self.per_class),
                              ("Calibration", self.reliability)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            tables.addWidget(box)
        wrong_box = QGroupBox("Misclassified documents")
        QVBoxLayout(wrong_box).addWidget(self.misclassified)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(tables)
        splitter.addWidget(wrong_box)
        self.classification_panes = splitter  # hidden for language models
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addStretch(0)  # takes the space while the classification panes are hidden
        self.state.model_changed.connect(self._on_model_changed)
        self._on_model_changed()

    # ----- showing metrics ------------------------------------------------------------------
    def show_metrics(self, metrics: Metrics | None, split: str = "test") -> None:
        self.metrics = metrics
        self.metrics_split = split
        if self.split.findText(split) >= 0:
            self.split.setCurrentText(split)
        lm = bool(metrics) and "perplexity" in metrics and "accuracy" not in metrics
        self.classification_panes.setVisible(not lm)
        if not metrics:
            self.summary.setText("No metrics: the dataset has no validation or test split.")
            self._fill_classification({})
            return
        if "perplexity" in metrics and "accuracy" not in metrics:
            self._show_lm(metrics, split)
            self._fill_classification({})
            return
        docs = _count(metrics.get("documents"), "document")
        self.summary.setText(
            f"<b>{split}</b>: accuracy <b>{metrics.get('accuracy', 0):.3f}</b> · "
            f"macro-F1 <b>{metrics.get('macro_f1', 0):.3f}</b> · "
            f"loss {metrics.get('loss', float('nan')):.4f} · {docs}")
        self._fill_classification(metrics)

    def _fill_reliability(self, metrics: Metrics) -> None:
        stored = self.state.model.calibration if self.state.model is not None else None
        self.reliability.show_calibration(metrics.get("calibration"), stored)

    def _show_lm(self, metrics: Metrics, split: str) -> None:
        text = (f"<b>{split}</b>: perplexity <b>{metrics['perplexity']:.2f}</b> · "
                f"loss {metrics.get('loss', float('nan')):.4f} · "
                f"{_count(metrics.get('tokens'), 'token')}")
        if self.ngram_perplexity is not None:
            text += (f"<br>{self.ngram_order.value()}-gram baseline on the same text: "
                     f"perplexity <b>{self.ngram_perplexity:.2f}</b>")
        self.summary.setText(text)

    def _fill_classification(self, metrics: Metrics) -> None:
        self._fill_reliability(metrics)
        labels = list(metrics.get("labels") or [])
        confusion = metrics.get("confusion") or []
        self.confusion.clear()
        self.confusion.setRowCount(len(labels))
        self.confusion.setColumnCount(len(labels))
        self.confusion.setHorizontalHeaderLabels(labels)
        self.confusion.setVerticalHeaderLabels(labels)
        peak = max((max(row) for row in confusion if row), default=0) or 1
        for r, row in enumerate(confusion):
            for c, count in enumerate(row):
                item = _item(str(count), align_right=True)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                fraction = count / peak
                item.setBackground(QBrush(heat_colour(fraction)))
                item.setForeground(QBrush(QColor("white" if fraction > 0.55 else "#111")))
                self.confusion.setItem(r, c, item)
        per_class = metrics.get("per_class") or {}
        self.per_class.setRowCount(len(per_class))
        self.per_class.setVerticalHeaderLabels(list(per_class))
        for r, scores in enumerate(per_class.values()):
            for c, key in enumerate(("precision", "recall", "f1")):
                self.per_class.setItem(r, c, _item(f"{scores.get(key, 0):.3f}", True))
            self.per_class.setItem(r, 3, _item(str(scores.get("support", "")), True))
        wrong = metrics.get("misclassified") or []
        self.misclassified.blockSignals(True)
        self.misclassified.setRowCount(len(wrong))
        for r, doc in enumerate(wrong):
            text = str(doc.get("text", ""))
            cell = _item(text if len(text) <= 200 else text[:199] + "…")
            cell.setToolTip(f"{doc.get('source', '')}\n{text[:1000]}")
            cell.setData(Qt.ItemDataRole.UserRole, text)
            self.misclassified.setItem(r, 0, cell)
            self.misclassified.setItem(r, 1, _item(str(doc.get("label", ""))))
            self.misclassified.setItem(r, 2, _item(str(doc.get("predicted", ""))))
            self.misclassified.setItem(r, 3, _item(f"{doc.get('probability', 0):.2f}", True))
        self.misclassified.blockSignals(False)

    def confusion_counts(self) -> list[list[int]]:
        """The counts as displayed (for tests and the self-test)."""
        def count(row: int, column: int) -> int:
            item = self.confusion.item(row, column)
            return int(item.text()) if item is not None else 0

        return [[count(r, c) for c in range(self.confusion.columnCount())]
                for r in range(self.confusion.rowCount())]

    def _on_misclassified_activated(self, row: int, _column: int) -> None:
        item = self.misclassified.item(row, 0)
        if item is not None:
            self.state.inspect_requested.emit(item.data(Qt.ItemDataRole.UserRole))

    # ----- evaluating on demand -------------------------------------------------------------
    def _on_model_changed(self) -> None:
        self.ngram_perplexity = None
        if self.busy():  # its result would describe the previous model
            self.slot.cancel()
            self.summary.setText("The model changed; evaluate it again.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        bundle: ModelBundle | None = self.state.model
        self.evaluate_button.setEnabled(bundle is not None and not self.busy())
        self.ngram_order.setEnabled(bundle is not None and bundle.model_config.task == "lm")

    def busy(self) -> bool:
        return self.slot.is_busy()

    def evaluate_current(self, on_done: OnDone | None = None) -> BackgroundTask | None:
        """Evaluate `state.model` on the chosen split of the training dataset, off the GUI.

        A corpus browsed from its store is scored through the store as training encoded it
        (`store_metrics`); the documents are read in the worker only for a model trained on
        other data, or for the n-gram baseline of a language model."""
        bundle: ModelBundle | None = self.state.model
        dataset = self.state.training_dataset()
        if bundle is None or dataset is None or self.busy():
            return None
        split = self.split.currentText()
        documents = dataset.split(split)
        if not documents:
            dialogs.info(self, "Nothing to evaluate", f"The dataset has no {split} split.")
            return None
        clean = self.state.cleaned is None  # cleaned documents need no second pass
        lm = bundle.model_config.task == "lm"
        order = self.ngram_order.value()

        def job(progress: Progress, _emit: Callable[[object], None]) -> Metrics:
            from lstm_studio.core.evaluation import evaluate

            metrics = store_metrics(bundle, dataset, split, progress)
            if metrics is None:
                metrics = dict(evaluate(bundle, documents, clean=clean, progress=progress))
            if lm and dataset.split("train"):
                metrics["ngram_perplexity"] = ngram_perplexity(bundle, dataset, split, order)
            return metrics

        self.summary.setText(f"Evaluating on {split}…")
        return self._run(job, bundle, lambda metrics: self._on_evaluated(metrics, split),
                         on_done)

    def start_baseline(self, split: str = "valid",
                       on_done: OnDone | None = None) -> BackgroundTask | None:
        """Fit the n-gram on the train split and score it on `split` (language models)."""
        bundle: ModelBundle | None = self.state.model
        dataset = self.state.training_dataset()
        if bundle is None or dataset is None or bundle.model_config.task != "lm":
            return None
        if not dataset.split("train") or not dataset.split(split) or self.busy():
            return None
        order = self.ngram_order.value()

        def job(_progress: Progress, _emit: Callable[[object], None]) -> float:
            return ngram_perplexity(bundle, dataset, split, order)

        return self._run(job, bundle, self._on_baseline, on_done)

    def _run(self, job: Callable[[Progress, Callable[[object], None]], R], bundle: ModelBundle,
             on_result: Callable[[R], None], on_done: OnDone | None) -> BackgroundTask:
        """Run `job` for `bundle`; its result is shown only while that model is current."""
        return self.slot.start(job, on_result, on_failed=self._on_failed, on_done=on_done,
                               still_valid=lambda: self.state.model is bundle)

    def _on_evaluated(self, metrics: Metrics, split: str) -> None:
        self.ngram_perplexity = metrics.get("ngram_perplexity")
        self.show_metrics(metrics, split)

    def _on_baseline(self, perplexity: float) -> None:
        self.ngram_perplexity = perplexity
        if self.metrics:
            self.show_metrics(self.metrics, self.metrics_split)

    def _on_failed(self, message: str) -> None:
        self.summary.setText("Evaluation failed.")
        dialogs.error(self, "Evaluation failed", message)

    def shutdown(self) -> None:
        self.slot.shutdown()
