"""Clean tab: the lecture's cleaning pipeline as checkboxes, run in the background, and what it
did — changes per step, detected languages, dropped documents, before/after per document.

The cleaned dataset goes to `state.set_cleaned()`; it is what the vocabulary and training use.
"""

from __future__ import annotations

import csv
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.atomic import atomic_write
from lstm_studio.core.config import (
    CLEANING_STEPS,
    LECTURE_STEPS,
    CleaningConfig,
    config_to_dict,
)
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.progress import Progress
from lstm_studio.gui import dialogs, settings
from lstm_studio.gui.clean.normalization_panel import VietnamesePanel
from lstm_studio.gui.memory import collector_paused, settle
from lstm_studio.gui.state import AppState
from lstm_studio.gui.widgets.charts import GroupedBarChart
from lstm_studio.gui.widgets.diff_html import diff_html
from lstm_studio.gui.widgets.document_model import DocumentIndex, DocumentTableModel
from lstm_studio.gui.widgets.task_bar import TaskBar
from lstm_studio.gui.workers import BackgroundTask

STEP_TITLES = {
    "normalize_unicode": "0 – Normalise Unicode (NFC)",
    "remove_urls_html": "1 – Remove URLs, HTML tags",
    "remove_punctuation_digits": "2 – Remove punctuation, digits",
    "remove_emoji": "3 – Remove emoticons, flags, …",
    "normalize_whitespace": "4 – Normalise whitespace",
    "lowercase": "5 – Lowercase",
    # the Vietnamese steps (set in the "Vietnamese text" panel)
    "expand_abbreviations": "Expand chat abbreviations",
    "normalize_tone_marks": "One tone-mark style",
    "segment_words": "Segment words",
}


def preload_language_model() -> None:
    """Decode langid's model in a helper process and install the result here.

    Decoding it in this process unpickles ~30 MB of Python objects while holding the GIL for
    about a second, which would freeze the window; the decoded arrays (3 MB) come back
    through a pipe in milliseconds. Runs in the cleaning worker thread before the core."""
    from concurrent.futures import ProcessPoolExecutor

    from lstm_studio.core import language

    if getattr(language, "_model", None) is not None:
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        model = pool.submit(language.load_model).result()
    language.install_model(model)


def _codes(text: str) -> list[str]:
    return [part.strip().lower() for part in text.replace(";", ",").split(",") if part.strip()]


@dataclass
class CleanOutcome:
    """The core result plus what the views need, all prepared in the worker thread."""

    result: Any  # core.cleaning.CleaningResult
    config: CleaningConfig
    originals: DocumentIndex
    dropped_lines: list[str]


class CleanTab(QWidget):
    cleaned = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._task: BackgroundTask | None = None
        self._outcome: CleanOutcome | None = None
        self.last_error: str | None = None
        self._build()
        self.set_config(state.cleaning_config)
        state.dataset_changed.connect(self._on_dataset_changed)
        self._on_dataset_changed()

    # --- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        settings_box = QGroupBox("Pipeline")
        form = QVBoxLayout(settings_box)
        self.detect_box = QCheckBox("Language detection (langid)")
        form.addWidget(self.detect_box)
        lang_form = QFormLayout()
        self.languages_edit = QLineEdit()
        self.languages_edit.setToolTip("Languages to keep, e.g. vi or vi, en")
        self.threshold_box = QDoubleSpinBox()
        self.threshold_box.setRange(0.0, 1.0)
        self.threshold_box.setSingleStep(0.05)
        self.threshold_box.setDecimals(2)
        self.candidates_edit = QLineEdit()
        self.candidates_edit.setPlaceholderText("all languages")
        self.candidates_edit.setToolTip("Restrict langid to these candidates, e.g. vi, en, fr")
        lang_form.addRow("Keep languages", self.languages_edit)
        lang_form.addRow("Min. confidence", self.threshold_box)
        lang_form.addRow("Candidates", self.candidates_edit)
        form.addLayout(lang_form)
        self.step_boxes: dict[str, QCheckBox] = {}
        for step in LECTURE_STEPS:
            box = QCheckBox(STEP_TITLES.get(step, step))
            self.step_boxes[step] = box
            form.addWidget(box)
        self.drop_empty_box = QCheckBox("Drop documents left empty")
        form.addWidget(self.drop_empty_box)
        self.vietnamese = VietnamesePanel()
        form.addWidget(self.vietnamese)
        form.addStretch(1)
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run cleaning")
        self.run_button.setDefault(True)
        self.export_button = QPushButton("Export CSV…")
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.export_button)
        form.addLayout(buttons)
        settings_box.setMinimumWidth(270)
        settings_box.setMaximumWidth(340)

        self.summary_label = QLabel("Load a dataset, choose the steps and press Run.")
        self.summary_label.setWordWrap(True)
        self.task_bar = TaskBar()
        self.steps_table = QTableWidget(0, 2)
        self.steps_table.setHorizontalHeaderLabels(["Step", "Documents changed"])
        self.steps_table.verticalHeader().hide()
        self.steps_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.steps_table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        self.steps_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.language_chart = GroupedBarChart("Detected languages")

        self.documents = DocumentTableModel(self)
        self.documents_view = QTableView()
        self.documents_view.setModel(self.documents)
        self.documents_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.documents_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.documents_view.setWordWrap(False)
        self.documents_view.verticalHeader().hide()
        self.documents_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.documents_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.documents_view.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3, 4):
            self.documents_view.setColumnWidth(column, 55)
        self.documents_view.hideColumn(5)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search documents…")
        self.search.setClearButtonEnabled(True)
        docs_page = QWidget()
        docs_layout = QVBoxLayout(docs_page)
        docs_layout.setContentsMargins(0, 0, 0, 0)
        docs_layout.addWidget(self.search)
        docs_layout.addWidget(self.documents_view)
        self.dropped_model = QStringListModel(self)
        self.dropped_view = QListView()
        self.dropped_view.setModel(self.dropped_model)
        self.dropped_view.setUniformItemSizes(True)
        self.dropped_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lists = QTabWidget()
        self.lists.addTab(docs_page, "Documents")
        self.lists.addTab(self.dropped_view, "Dropped")

        self.before_view = QTextBrowser()
        self.after_view = QTextBrowser()
        self.trace_label = QLabel("Select a document to see it before and after cleaning.")
        self.trace_label.setWordWrap(True)
        compare = QWidget()
        compare_layout = QVBoxLayout(compare)
        compare_layout.setContentsMargins(0, 0, 0, 0)
        compare_layout.addWidget(self.trace_label)
        pair = QSplitter(Qt.Orientation.Horizontal)
        for title, view in (("Before (removed parts highlighted)", self.before_view),
                            ("After", self.after_view)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(view)
            pair.addWidget(box)
        compare_layout.addWidget(pair, 1)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.steps_table)
        top.addWidget(self.language_chart)
        top.setSizes([420, 480])
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.lists)
        bottom.addWidget(compare)
        bottom.setSizes([430, 520])
        results = QSplitter(Qt.Orientation.Vertical)
        results.addWidget(top)
        results.addWidget(bottom)
        results.setSizes([260, 420])
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.addWidget(self.summary_label, 1)
        self.task_bar.setMaximumWidth(460)
        header.addWidget(self.task_bar)
        right_layout.addLayout(header)
        right_layout.addWidget(results, 1)

        layout = QHBoxLayout(self)
        layout.addWidget(settings_box)
        layout.addWidget(right, 1)

        self.detect_box.toggled.connect(self._refresh_enabled)
        self.run_button.clicked.connect(lambda: self.run_cleaning())
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.documents_view.selectionModel().selectionChanged.connect(self._on_document_selected)
        self.dropped_view.selectionModel().selectionChanged.connect(self._on_dropped_selected)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(
            lambda: self.documents.set_filter(self.search.text()))
        self.search.textChanged.connect(self._search_timer.start)

    # --- config <-> form ------------------------------------------------------------------
    def set_config(self, config: CleaningConfig) -> None:
        for step, box in self.step_boxes.items():
            box.setChecked(bool(config.steps.get(step, True)))
        self.detect_box.setChecked(config.detect_language)
        self.languages_edit.setText(", ".join(config.languages))
        self.threshold_box.setValue(config.threshold)
        self.candidates_edit.setText(", ".join(config.candidate_languages or []))
        self.drop_empty_box.setChecked(config.drop_empty)
        self.vietnamese.set_config(config)
        self._refresh_enabled()

    def config(self) -> CleaningConfig:
        candidates = _codes(self.candidates_edit.text())
        return self.vietnamese.apply_to(CleaningConfig(
            steps={step: box.isChecked() for step, box in self.step_boxes.items()},
            detect_language=self.detect_box.isChecked(),
            languages=_codes(self.languages_edit.text()) or ["vi"],
            threshold=self.threshold_box.value(),
            candidate_languages=candidates or None,
            drop_empty=self.drop_empty_box.isChecked(),
        ))

    def _refresh_enabled(self) -> None:
        detect = self.detect_box.isChecked()
        for widget in (self.languages_edit, self.threshold_box, self.candidates_edit):
            widget.setEnabled(detect)
        has_data = self.state.dataset is not None
        self.run_button.setEnabled(has_data and self._task is None)
        self.export_button.setEnabled(self.state.cleaned is not None)

    # --- running --------------------------------------------------------------------------
    def run_cleaning(self, on_done: Callable[[bool], None] | None = None,
                     ) -> BackgroundTask | None:
        dataset: Dataset | None = self.state.dataset
        if dataset is None:
            dialogs.info(self, "Clean", "Load a dataset first.")
            return None
        if self._task is not None:
            self._task.cancel()
        config = self.config()
        self.state.cleaning_config = config
        settings.save_option("cleaning", config_to_dict(config))

        def work(progress: Progress, emit: object) -> CleanOutcome:
            # Imported here, in the worker: compiling the cleaning patterns on first import
            # would stall the GUI thread.
            from lstm_studio.core.cleaning import clean_dataset

            if config.detect_language:
                progress.update(0, len(dataset), "Loading the language model")
                preload_language_model()
            with collector_paused():
                result = clean_dataset(dataset, config, progress)
                originals = DocumentIndex.build(dataset.documents)
                lines = [f"{d.reason} · {d.detail} · {d.document.split} · "
                         f"{' '.join(d.document.text[:120].split())}"
                         for d in result.report.dropped]
                return CleanOutcome(result, config, originals, lines)

        task = BackgroundTask(work, self)
        self._task = task
        self.last_error = None
        outcome = {"ok": False}

        def finished(result: CleanOutcome) -> None:
            if self._task is task and self.state.dataset is dataset:
                outcome["ok"] = True
                self._show(result)

        def failed(message: str) -> None:
            self.last_error = message
            dialogs.error(self, "Cleaning failed", message)

        def ended() -> None:
            if self._task is task:
                self._task = None
                if task.progress.cancelled:
                    self.state.status_message.emit("Cleaning cancelled.")
            self._refresh_enabled()
            if on_done is not None:
                on_done(outcome["ok"])

        task.finished.connect(finished)
        task.failed.connect(failed)
        task.ended.connect(ended)
        self.task_bar.follow(task, "Cleaning")
        task.start()
        self._refresh_enabled()
        return task

    def _show(self, outcome: CleanOutcome) -> None:
        self._outcome = outcome
        report = outcome.result.report
        total = len(outcome.originals)
        counts = report.dropped_counts()
        dropped = ", ".join(f"{reason} {n:,}" for reason, n in counts.items() if n) or "none"
        self.summary_label.setText(f"Kept {report.kept:,} of {total:,} documents · dropped: "
                                   f"{dropped}")
        self.vietnamese.show_report(report)
        steps = [s for s in CLEANING_STEPS if s in report.steps_changed]
        steps += [s for s in report.steps_changed if s not in steps]
        self.steps_table.setRowCount(len(steps))
        for row, step in enumerate(steps):
            self.steps_table.setItem(row, 0, QTableWidgetItem(STEP_TITLES.get(step, step)))
            count = QTableWidgetItem(f"{report.steps_changed[step]:,}")
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.steps_table.setItem(row, 1, count)
        languages = sorted(report.languages.items(), key=lambda item: -item[1])[:10]
        self.language_chart.set_data([code for code, _ in languages],
                                     {"documents": [n for _, n in languages]})
        self.documents.set_index(outcome.originals)
        self.dropped_model.setStringList(outcome.dropped_lines)
        self.lists.setTabText(1, f"Dropped ({len(outcome.dropped_lines):,})")
        self.state.set_cleaned(outcome.result)
        self.state.status_message.emit(f"Cleaning kept {report.kept:,} of {total:,} documents")
        self.cleaned.emit()
        settle()

    # --- before / after -------------------------------------------------------------------
    def _on_document_selected(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.documents_view.selectionModel().selectedRows()
        if rows:
            self.show_document(self.documents.document(rows[0].row()))

    def _on_dropped_selected(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.dropped_view.selectionModel().selectedRows()
        if rows and self._outcome is not None:
            dropped = self._outcome.result.report.dropped[rows[0].row()]
            self.show_document(dropped.document, f"Dropped: {dropped.reason} ({dropped.detail})")

    def show_document(self, document: Document, note: str = "") -> None:
        from lstm_studio.core.cleaning import clean_steps_trace

        # the settings cleaning applied ("auto" segmentation decided, the table filled in)
        config = (self._outcome.result.config or self._outcome.config
                  if self._outcome is not None else self.config())
        trace = clean_steps_trace(document.text, config)
        after = trace[-1][1] if trace else document.text
        changed: list[str] = []
        previous = document.text
        for step, text in trace:
            if text != previous:
                changed.append(STEP_TITLES.get(step, step).split(" – ")[-1])
            previous = text
        before_html, after_html, removed = diff_html(document.text, after)
        self.before_view.setHtml(before_html)
        self.after_view.setHtml(after_html)
        parts = [note] if note else []
        parts.append("Changed by: " + ", ".join(changed) if changed else "No step changed it.")
        self.trace_label.setText(" · ".join(parts))
        self.removed_units = removed

    # --- export ---------------------------------------------------------------------------
    def export_csv(self, path: str | None = None) -> str | None:
        if self.state.cleaned is None:
            return None
        if path is None:
            start = str(Path(str(settings.value("paths/last_dir", ""))) / "cleaned.csv")
            path = dialogs.save_file(self, "Export cleaned dataset", start, "CSV (*.csv)")
            if not path:
                return None
        with atomic_write(path, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label", "split", "source"])
            for doc in self.state.cleaned.dataset.documents:
                writer.writerow([doc.text, doc.label or "", doc.split, doc.source])
        self.state.status_message.emit(f"Exported {len(self.state.cleaned.dataset):,} documents "
                                       f"to {path}")
        return path

    # --- state ----------------------------------------------------------------------------
    def _on_dataset_changed(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._outcome = None
        self.steps_table.setRowCount(0)
        self.language_chart.set_data([], {})
        self.documents.set_index(DocumentIndex())
        self.dropped_model.setStringList([])
        self.lists.setTabText(1, "Dropped")
        self.before_view.clear()
        self.after_view.clear()
        if self.state.dataset is not None:
            self.summary_label.setText(f"{len(self.state.dataset):,} documents loaded; "
                                       "press Run cleaning.")
        self._refresh_enabled()

    def confirm_close(self) -> bool:
        return True

    def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel_and_wait(2000)
