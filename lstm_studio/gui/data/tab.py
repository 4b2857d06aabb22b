"""Data tab: load sources in the background, browse 50,000 documents, charts, split controls.

A corpus that training reads from the on-disk token store (the "Train from" choice: a
source of 100 MB or more, or the store chosen) is browsed from that store too: the load
prepares the store (or finds it in the cache) instead of reading the texts into memory, the
table reads the rows it paints from the memory map, and the charts and summary come from the
store's arrays (core/corpus/browse.py). The selected document is then read again from its
source, as written there.

All heavy work (reading, splitting, summarising, indexing for the table) runs in one
background task of the tab's TaskSlot; the GUI thread only swaps in the finished results, so
dropping the NTC-SCV zips never freezes the window. A new load or re-split retires the one
running. A failed or cancelled load leaves the previous dataset in place.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.config import DataConfig
from lstm_studio.core.dataset import SPLITS, Dataset
from lstm_studio.core.limits import size_text
from lstm_studio.core.progress import Progress
from lstm_studio.core.wording import plural
from lstm_studio.gui import dialogs, settings
from lstm_studio.gui.data.cache_line import CacheLine
from lstm_studio.gui.data.store_choice import StoreChoice
from lstm_studio.gui.memory import collector_paused, settle
from lstm_studio.gui.state import AppState
from lstm_studio.gui.widgets.charts import GroupedBarChart, HistogramChart, histogram
from lstm_studio.gui.widgets.document_model import (
    ALL,
    DocumentIndex,
    DocumentTableModel,
    RowQuery,
    RowSource,
)
from lstm_studio.gui.widgets.imbalance_note import ImbalanceNote
from lstm_studio.gui.widgets.split_panel import SplitPanel
from lstm_studio.gui.widgets.table_view import ForegroundTableView
from lstm_studio.gui.widgets.task_bar import TaskBar
from lstm_studio.gui.workers import BackgroundTask, TaskFunction, TaskSlot
from lstm_studio.resources_path import sample_paths

if TYPE_CHECKING:
    from lstm_studio.core.corpus.store import TokenStore
    from lstm_studio.core.summary import DatasetSummary

SHOWN_CHARS = 100_000  # of a selected document (a whole novel-length review is still shown)
FILE_FILTERS = ("Datasets (*.csv *.tsv *.jsonl *.json *.txt *.zip *.ft);;All files (*)")
# What the loading and vocabulary workers import on first use.
WORKER_MODULES = ("lstm_studio.core.readers", "lstm_studio.core.summary",
                  "lstm_studio.core.vocab", "lstm_studio.core.corpus.choice")


def warm_worker_modules() -> threading.Thread:
    """Import the workers' modules in a daemon thread while the window sits idle.

    Imported for the first time inside a worker that is also reading 200,000 documents, they
    made the first 100-150 ms of the load a stall (measured with
    bench/bench_gui_big_corpus.py); imported ahead, nothing is left to do then.
    """

    def run() -> None:
        for name in WORKER_MODULES:
            importlib.import_module(name)

    thread = threading.Thread(target=run, name="warm-worker-modules", daemon=True)
    thread.start()
    return thread


@dataclass
class LoadResult:
    """What the loading worker hands back; built entirely off the GUI thread."""

    dataset: Dataset
    raw: Dataset | None  # as read (overrides applied), before any random split; None: store
    config: DataConfig
    summary: DatasetSummary
    index: RowSource
    length_bins: tuple[list[float], list[int]]  # histogram edges, counts
    p95: float | None
    store: TokenStore | None = None  # the store the documents are read from, if any


def prepare_dataset(raw: Dataset, config: DataConfig, progress: Progress | None) -> LoadResult:
    """Random split (if asked), summary and table index; runs in the worker thread."""
    from lstm_studio.core.summary import random_split, summarize

    dataset = raw
    if config.random_split is not None:
        dataset = random_split(raw, tuple(config.random_split), seed=config.random_split_seed)
    summary = summarize(dataset)
    index = DocumentIndex.build(dataset.documents, progress)
    lengths = index.lengths
    p95 = float(np.percentile(lengths, 95)) if lengths else None
    return LoadResult(dataset, raw, config, summary, index, histogram(lengths), p95)


def prepare_store_view(config: DataConfig, progress: Progress | None) -> LoadResult:
    """The sources' token store, prepared without cleaning (the Clean tab prepares the
    cleaned one) or taken from the cache, and what the tab shows of it; in the worker."""
    from lstm_studio.core.corpus.browse import StoreDataset, summarize_store
    from lstm_studio.core.corpus.build import prepare_store
    from lstm_studio.gui.widgets.store_index import StoreIndex

    store = prepare_store(config, None, progress).store
    dataset = StoreDataset(store)
    index = StoreIndex(store)
    lengths = index.lengths
    p95 = float(np.percentile(lengths, 95)) if len(lengths) else None
    summary = summarize_store(store, progress)
    index.rows.prepare_search(progress)  # the first search then answers at once
    return LoadResult(dataset, None, config, summary, index, histogram(lengths), p95, store)


def summary_line(summary: DatasetSummary) -> str:
    labels = list(summary.labels)
    classes = (f"{plural(len(labels), 'class')} ({', '.join(labels[:6])})" if labels
               else "no labels")
    splits = ", ".join(f"{name} {sum(counts.values()):,}"
                       for name, counts in summary.splits.items() if sum(counts.values()))
    segmented = "word-segmented" if summary.looks_segmented else "not word-segmented"
    return (f"{plural(summary.documents, 'document')} · {classes} · "
            f"{plural(summary.duplicates, 'duplicate')} · {summary.empty:,} empty · {splits} · "
            f"{summary.joined_share:.0%} of words joined by _ ({segmented})")


def stored_original(store: TokenStore, number: int, tokens: str) -> str:
    """The document as read from its source again, or its stored tokens with the reason
    when the source cannot be read any more (moved, changed, unplugged)."""
    from lstm_studio.core.corpus.browse import original_text
    from lstm_studio.core.errors import DataError

    try:
        return original_text(store, number)
    except (DataError, OSError, ValueError) as error:
        return f"{tokens}\n\n[as stored, in tokens: the source cannot be read again ({error})]"


class DataTab(QWidget):
    loaded = Signal()  # a new dataset is in state.dataset

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        # Loading and re-splitting share one slot: either replaces the dataset, so a new one
        # must retire the one running.
        self._loading = TaskSlot(self, "Loading", "Cannot open dataset")
        # Filtering and sorting more than SYNC_ROWS documents: a new query retires the last.
        self._rows = TaskSlot(self, "Filtering", "Cannot filter the table")
        self._raw: Dataset | None = None
        self._build()
        self.task_bar.follow_slot(self._loading)
        QTimer.singleShot(0, self, warm_worker_modules)

    @property
    def last_error(self) -> str | None:
        """Why the last load failed (None after a success); the self-test reports it."""
        return self._loading.last_error

    # --- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.open_file_button = QPushButton("Open File…")
        self.open_folder_button = QPushButton("Open Folder…")
        self.sample_button = QPushButton("Open Sample")
        for button in (self.open_file_button, self.open_folder_button, self.sample_button):
            top.addWidget(button)
        self.summary_label = QLabel("Drop files, folders or zips here, or open the sample.")
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long summary is cut at the window's edge (its tooltip holds it whole) rather than
        # widening the window past the screen.
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                         QSizePolicy.Policy.Preferred)
        top.addWidget(self.summary_label, 1)
        self.task_bar = TaskBar()
        self.task_bar.setMaximumWidth(460)
        top.addWidget(self.task_bar)
        layout.addLayout(top)
        self.imbalance = ImbalanceNote()  # a class under 10%: suggest class weighting
        layout.addWidget(self.imbalance)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search text…")
        self.search.setClearButtonEnabled(True)
        self.label_filter = QComboBox()
        self.split_filter = QComboBox()
        self.split_filter.addItem("All splits", ALL)
        for split in SPLITS:
            self.split_filter.addItem(split, split)
        self.shown_label = QLabel()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.label_filter, 1)
        filters.addWidget(self.split_filter, 1)
        filters.addWidget(self.shown_label)

        self.model = DocumentTableModel(self)
        self.model.set_runner(self._compute_rows, self._rows.cancel)
        self.model.modelReset.connect(self._update_shown)
        self.table = ForegroundTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        vertical = self.table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 60), (2, 60), (3, 60), (4, 60), (5, 170)):
            self.table.setColumnWidth(column, width)
        self.full_text = QPlainTextEdit()
        self.full_text.setReadOnly(True)
        self.full_text.setPlaceholderText("Select a row to read the whole document.")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        text_split = QSplitter(Qt.Orientation.Vertical)
        text_split.addWidget(self.table)
        text_split.addWidget(self.full_text)
        text_split.setSizes([500, 150])
        left_layout.addWidget(text_split)

        self.label_chart = GroupedBarChart("Documents per label and split")
        self.length_chart = HistogramChart("Document length", "tokens")
        self.split_panel = SplitPanel()
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.label_chart)
        right.addWidget(self.length_chart)
        right.addWidget(self.split_panel)
        right.setSizes([230, 230, 300])
        self.cache_line = CacheLine()
        self.store_choice = StoreChoice(self._set_store)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(right, 1)
        side_layout.addWidget(self.store_choice)
        side_layout.addWidget(self.cache_line)

        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(side)
        main.setSizes([760, 480])
        layout.addWidget(main, 1)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)  # debounce typing
        self._filter_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._filter_timer.start)
        self.label_filter.currentIndexChanged.connect(self.apply_filter)
        self.split_filter.currentIndexChanged.connect(self.apply_filter)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.open_file_button.clicked.connect(self.ask_open_files)
        self.open_folder_button.clicked.connect(self.ask_open_folder)
        self.sample_button.clicked.connect(lambda: self.load_paths(sample_paths()))
        self.split_panel.apply_requested.connect(self._on_apply_splits)
        self._update_label_filter([])
        self.apply_filter()

    # --- opening --------------------------------------------------------------------------
    def ask_open_files(self) -> None:
        paths = dialogs.open_files(self, "Open dataset files", settings.last_folder(),
                                   FILE_FILTERS)
        if paths:
            settings.set_last_folder(str(Path(paths[0]).parent))
            self.load_paths(paths)

    def ask_open_folder(self) -> None:
        path = dialogs.open_folder(self, "Open dataset folder", settings.last_folder())
        if path:
            settings.set_last_folder(str(Path(path).parent))
            self.load_paths([path])

    def is_busy(self) -> bool:
        return self._loading.is_busy()

    def load_paths(self, paths: Sequence[str], config: DataConfig | None = None,
                   on_done: Callable[[bool], None] | None = None) -> BackgroundTask:
        """Load `paths` (replacing the dataset on success); `on_done(ok)` after it ends."""
        paths = [str(p) for p in paths]
        if config is None:  # a new source keeps the user's choice of where training reads
            config = DataConfig(sources=paths, store=self.state.data_config.store)
        config.sources = paths

        def work(progress: Progress, emit: object) -> LoadResult:
            # Imported here, in the worker: a first import on the GUI thread is a stall.
            from lstm_studio.core.corpus.choice import use_store
            from lstm_studio.core.readers import load_sources

            with collector_paused():
                if use_store(config):
                    return prepare_store_view(config, progress)
                raw = load_sources(paths, config, progress)
                return prepare_dataset(raw, config, progress)

        names = ", ".join(Path(p).name for p in paths)
        return self._start(work, f"Loading {names}", on_done, remember=paths)

    def apply_config(self, config: DataConfig,
                     on_done: Callable[[bool], None] | None = None) -> BackgroundTask:
        """Re-split: reload when overrides changed or the corpus is browsed from its store
        (whose splits are part of it), else re-split what is in memory."""
        current = self.state.data_config
        if self._raw is None or config.split_overrides != current.split_overrides:
            return self.load_paths(config.sources, config, on_done)
        raw = self._raw

        def work(progress: Progress, emit: object) -> LoadResult:
            with collector_paused():
                return prepare_dataset(raw, config, progress)

        return self._start(work, "Splitting", on_done)

    def _start(self, work: TaskFunction, what: str, on_done: Callable[[bool], None] | None,
               remember: list[str] | None = None) -> BackgroundTask:
        def show(result: LoadResult) -> None:
            self._show_result(result)
            if remember:
                settings.add_recent_dataset(remember)

        def failed(message: str) -> None:
            dialogs.error(self, "Cannot open dataset", message)
            self.state.status_message.emit(f"Loading failed: {message}")

        def cancelled() -> None:
            self.state.status_message.emit("Loading cancelled; the previous data is kept.")

        self.state.status_message.emit(what + "…")
        # on_done is queued by the slot, so it runs after _show_charts (queued the same way)
        return self._loading.start(work, show, on_failed=failed, on_cancelled=cancelled,
                                   on_done=on_done, description=what)

    # --- results --------------------------------------------------------------------------
    def _show_result(self, result: LoadResult) -> None:
        """Install a loaded dataset in two event-loop turns: state, table and summary now,
        charts and split controls on the next turn, so the window repaints in between and no
        single turn holds the event loop for long."""
        self._raw = result.raw
        self.state.data_config = result.config
        self.store_choice.show_value(result.config.store)
        self.state.set_dataset(result.dataset, result.store)
        self.model.set_index(result.index)
        summary = result.summary
        line = summary_line(summary)
        if result.store is not None:  # said first: the line is cut on a narrow window
            line = f"On-disk store ({size_text(result.store.size_bytes())}) · {line}"
            self.cache_line.refresh()  # the store may be new
        self.summary_label.setText(line)
        self.summary_label.setToolTip(line)
        self.search.setPlaceholderText("Search words…" if result.store is not None
                                       else "Search text…")
        self.imbalance.show_counts(summary.splits.get("train", {}))
        self._update_label_filter(list(summary.labels))
        self.full_text.clear()
        self.apply_filter()
        QTimer.singleShot(0, lambda: self._show_charts(result))

    def _show_charts(self, result: LoadResult) -> None:
        if self.state.dataset is not result.dataset:
            return  # replaced meanwhile
        summary = result.summary
        labels = list(summary.labels) or [""]
        splits = [s for s in SPLITS if sum(summary.splits.get(s, {}).values())]
        self.label_chart.set_data(
            [label or "(no label)" for label in labels],
            {s: [summary.splits.get(s, {}).get(label, 0) for label in labels] for s in splits})
        self.length_chart.set_histogram(*result.length_bins)
        p95 = result.p95
        self.length_chart.set_marker("p95", round(p95) if p95 is not None else None)
        self.split_panel.set_sources(list(result.dataset.sources), result.config)
        self.state.status_message.emit(f"Loaded {plural(summary.documents, 'document')}")
        self.loaded.emit()
        settle()

    def _set_store(self, value: str) -> None:
        self.state.data_config = replace(self.state.data_config, store=value)

    def _update_label_filter(self, labels: list[str]) -> None:
        self.label_filter.blockSignals(True)
        self.label_filter.clear()
        self.label_filter.addItem("All labels", ALL)
        for label in labels:
            self.label_filter.addItem(label, label)
        self.label_filter.blockSignals(False)

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.model.set_filter(self.search.text(), self.label_filter.currentData() or ALL,
                              self.split_filter.currentData() or ALL)
        self._update_shown()

    def _update_shown(self) -> None:
        self.shown_label.setText(f"{self.model.rowCount():,} of {self.model.total():,} shown")

    def _compute_rows(self, index: RowSource, query: RowQuery,
                      deliver: Callable[[Sequence[int]], None]) -> None:
        """The table's rows for a big dataset, computed in the background."""

        def work(progress: Progress, emit: object) -> Sequence[int]:
            with collector_paused():  # the merge allocates a list per row
                return index.select(query, progress)

        self._rows.start(work, deliver)

    def is_filtering(self) -> bool:
        """Rows for the latest search, filter or sort are still being computed."""
        return self._rows.is_busy()

    def _on_selection(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        doc = self.model.document(rows[0].row())
        text = doc.text
        store = self.state.store
        if store is not None:  # the store holds tokens: show the document as its source has it
            text = stored_original(store, self.model.document_number(rows[0].row()), text)
        # Laying out megabytes of one line stalls the window for seconds: show the start.
        rest = len(text) - SHOWN_CHARS
        more = f"\n\n[… {rest:,} more characters]" if rest > 0 else ""
        self.full_text.setPlainText(f"[{doc.label or '—'} · {doc.split} · {doc.source}]\n\n"
                                    f"{text[:SHOWN_CHARS]}{more}")

    def _on_apply_splits(self, config: DataConfig) -> None:
        if not config.sources:
            dialogs.info(self, "Splits", "Load a dataset first.")
            return
        self.apply_config(config)

    # --- tab contract ---------------------------------------------------------------------
    def confirm_close(self) -> bool:
        return True

    def shutdown(self) -> None:
        self._loading.shutdown()
        self._rows.shutdown()
        self.cache_line.shutdown()
