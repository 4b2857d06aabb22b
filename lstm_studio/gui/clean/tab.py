"""Clean tab: the lecture's cleaning pipeline as checkboxes, run in the background, and what it
did — changes per step, detected languages, dropped documents, before/after per document.

The settings panel (pipeline_panel.py) and the report (report_view.py) are separate widgets;
this module runs the cleaning through one TaskSlot and installs the result. The cleaned
dataset goes to `state.set_cleaned()`; it is what the vocabulary and training use. A corpus
browsed from its on-disk store is cleaned into a store too (store_outcome.py), and its export
is written in the background, one document at a time.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from lstm_studio.core.atomic import atomic_write
from lstm_studio.core.config import CleaningConfig
from lstm_studio.core.dataset import Document
from lstm_studio.core.errors import DataError
from lstm_studio.core.progress import Progress, report
from lstm_studio.core.wording import plural
from lstm_studio.gui import dialogs, settings
from lstm_studio.gui.clean.outcome import CleanOutcome, clean_in_background
from lstm_studio.gui.clean.pipeline_panel import PipelinePanel
from lstm_studio.gui.clean.report_view import CleanReportView
from lstm_studio.gui.memory import settle
from lstm_studio.gui.state import AppState
from lstm_studio.gui.widgets.task_bar import TaskBar
from lstm_studio.gui.workers import BackgroundTask, TaskSlot

PROMPT = "Load a dataset, choose the steps and press Run."


class CleanTab(QWidget):
    cleaned = Signal()  # a cleaning result was installed in the state

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._cleaning = TaskSlot(self, "Cleaning", "Cleaning failed")
        self._exporting = TaskSlot(self, "Exporting", "Export failed")
        self.panel = PipelinePanel(state.cleaning_config)
        self.report = CleanReportView()
        self.summary_label = QLabel(PROMPT)
        self.summary_label.setWordWrap(True)
        self.task_bar = TaskBar()
        self.task_bar.setMaximumWidth(460)
        self.task_bar.follow_slot(self._cleaning)
        self.task_bar.follow_slot(self._exporting)
        header = QHBoxLayout()
        header.addWidget(self.summary_label, 1)
        header.addWidget(self.task_bar)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(header)
        right.addWidget(self.report, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.panel)
        layout.addLayout(right, 1)

        self.panel.run_button.clicked.connect(lambda: self.run_cleaning())
        self.panel.export_button.clicked.connect(lambda: self.export_csv())
        self._cleaning.busy_changed.connect(lambda _busy: self._refresh_enabled())
        state.dataset_changed.connect(self._on_dataset_changed)
        self._on_dataset_changed()

    @property
    def last_error(self) -> str | None:
        """Why the last run failed (None after a success); the self-test reports it."""
        return self._cleaning.last_error

    # --- config ---------------------------------------------------------------------------
    def set_config(self, config: CleaningConfig) -> None:
        self.panel.set_config(config)

    def config(self) -> CleaningConfig:
        return self.panel.config()

    def _refresh_enabled(self) -> None:
        self.panel.set_running_allowed(
            can_run=self.state.dataset is not None and not self._cleaning.is_busy(),
            can_export=self.state.cleaned is not None)

    # --- running --------------------------------------------------------------------------
    def run_cleaning(self, on_done: Callable[[bool], None] | None = None,
                     ) -> BackgroundTask | None:
        """Clean the loaded dataset with the panel's settings; `on_done(ok)` after it ended.
        None (and a message) when there is nothing to clean."""
        dataset = self.state.dataset
        if dataset is None:
            dialogs.info(self, "Clean", "Load a dataset first.")
            return None
        config = self.config()
        self.state.cleaning_config = config
        store, data = self.state.store, self.state.data_config

        def work(progress: Progress, emit: object) -> CleanOutcome:
            if store is not None:  # never decode the whole corpus: clean it into a store
                from lstm_studio.gui.clean.store_outcome import clean_store_in_background

                return clean_store_in_background(data, store, config, progress)
            return clean_in_background(dataset, config, progress)

        return self._cleaning.start(
            work, self._show, on_done=on_done,
            on_cancelled=lambda: self.state.status_message.emit("Cleaning cancelled."),
            # a result for a dataset replaced meanwhile is not shown
            still_valid=lambda: self.state.dataset is dataset)

    def _show(self, outcome: CleanOutcome) -> None:
        report = outcome.result.report
        total = len(outcome.originals)
        counts = report.dropped_counts()
        dropped = ", ".join(f"{reason} {n:,}" for reason, n in counts.items() if n) or "none"
        kept = f"{report.kept:,} of {plural(total, 'document')}"
        self.summary_label.setText(f"Kept {kept} · dropped: {dropped}")
        self.panel.vietnamese.show_report(report)
        self.report.show_outcome(outcome)
        cleaned_store = outcome.store.cleaned if outcome.store is not None else None
        self.state.set_cleaned(outcome.result, cleaned_store)
        self.state.status_message.emit(f"Cleaning kept {kept}")
        self._refresh_enabled()
        self.cleaned.emit()
        settle()

    # --- export ---------------------------------------------------------------------------
    def export_csv(self, path: str | None = None,
                   on_done: Callable[[bool], None] | None = None) -> str | None:
        """Write the cleaned documents as CSV (asking where when `path` is None). In memory
        it is written at once; from a store in the background (`on_done(ok)` after it)."""
        cleaned = self.state.cleaned
        if cleaned is None:
            return None
        if path is None:
            start = str(Path(settings.last_folder()) / "cleaned.csv")
            path = dialogs.save_file(self, "Export cleaned dataset", start, "CSV (*.csv)")
            if not path:
                return None
        documents = cleaned.dataset.documents
        done_message = f"Exported {plural(len(documents), 'document')} to {path}"
        if self.state.cleaned_store is None:
            try:
                write_csv(path, documents)
            except DataError as error:
                dialogs.error(self, "Export failed", str(error))
                path = None
            else:
                self.state.status_message.emit(done_message)
            if on_done is not None:
                on_done(path is not None)
            return path
        target = path

        def work(progress: Progress, emit: object) -> int:
            return write_csv(target, documents, progress)

        self._exporting.start(work, lambda _n: self.state.status_message.emit(done_message),
                              on_done=on_done, description=f"Exporting to {Path(path).name}")
        return path

    # --- state ----------------------------------------------------------------------------
    def _on_dataset_changed(self) -> None:
        self._cleaning.cancel()  # a run on the old data is of no use any more
        self.report.clear()
        dataset = self.state.dataset
        if dataset is not None:
            self.summary_label.setText(f"{plural(len(dataset), 'document')} loaded; "
                                       "press Run cleaning.")
        else:
            self.summary_label.setText(PROMPT)
        self._refresh_enabled()

    def confirm_close(self) -> bool:
        return True

    def shutdown(self) -> None:
        self._cleaning.shutdown()
        self._exporting.shutdown()
        self.report.shutdown()


EXPORT_REPORTED = 10_000  # documents written between progress reports


def write_csv(path: str, documents: Sequence[Document], progress: Progress | None = None,
              ) -> int:
    """Write `documents` one at a time (a store's are read as they are written, never held
    together); returns how many. A failed write leaves no file and raises DataError."""
    written = 0
    try:
        with atomic_write(path, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label", "split", "source"])
            for doc in documents:
                writer.writerow([doc.text, doc.label or "", doc.split, doc.source])
                written += 1
                if written % EXPORT_REPORTED == 0:
                    report(progress, written, len(documents), "Exporting")
    except OSError as error:
        raise DataError(f"Could not write {path}: {error.strerror or error}.") from error
    return written
