"""What cleaning did: documents changed per step, detected languages, the documents and the
dropped ones, and one document before and after with the removed parts highlighted.

A corpus browsed from its store (outcome.StoreCleaning) is shown from its two stores: the
table lists the store as loaded, filtered in the background when large, and a document's
"after" is the cleaned store's text of the same number."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QItemSelection, QStringListModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.cleaning_steps import STEP_TITLES
from lstm_studio.core.config import CLEANING_STEPS, CleaningConfig
from lstm_studio.core.dataset import Document
from lstm_studio.core.progress import Progress
from lstm_studio.gui.clean.outcome import CleanOutcome, dropped_note
from lstm_studio.gui.clean.pipeline_panel import numbered_title
from lstm_studio.gui.widgets.charts import GroupedBarChart
from lstm_studio.gui.widgets.diff_html import diff_html
from lstm_studio.gui.widgets.document_model import (
    DocumentIndex,
    DocumentTableModel,
    RowQuery,
    RowSource,
)
from lstm_studio.gui.widgets.table_view import ForegroundTableView
from lstm_studio.gui.workers import TaskSlot

LANGUAGES_SHOWN = 10
NO_SELECTION = "Select a document to see it before and after cleaning."


class CleanReportView(QWidget):
    """Shows one CleanOutcome (or nothing, after `clear()`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._outcome: CleanOutcome | None = None
        self._rows = TaskSlot(self, "Filtering", "Cannot filter the table")
        self.removed_units = 0  # parts highlighted as removed in the shown document
        self._build_tables()
        self._build_lists()
        self._build_compare()
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.steps_table)
        top.addWidget(self.language_chart)
        top.setSizes([420, 480])
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.lists)
        bottom.addWidget(self._compare)
        bottom.setSizes([430, 520])
        results = QSplitter(Qt.Orientation.Vertical)
        results.addWidget(top)
        results.addWidget(bottom)
        results.setSizes([260, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(results)

        self.documents_view.selectionModel().selectionChanged.connect(self._on_document_selected)
        self.dropped_view.selectionModel().selectionChanged.connect(self._on_dropped_selected)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)  # debounce typing
        self._search_timer.timeout.connect(
            lambda: self.documents.set_filter(self.search.text()))
        self.search.textChanged.connect(self._search_timer.start)

    # --- layout ---------------------------------------------------------------------------
    def _build_tables(self) -> None:
        self.steps_table = QTableWidget(0, 2)
        self.steps_table.setHorizontalHeaderLabels(["Step", "Documents changed"])
        self.steps_table.verticalHeader().hide()
        header = self.steps_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.steps_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.language_chart = GroupedBarChart("Detected languages")

    def _build_lists(self) -> None:
        self.documents = DocumentTableModel(self)
        view = self.documents_view = ForegroundTableView()
        view.setModel(self.documents)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setWordWrap(False)
        view.verticalHeader().hide()
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3, 4):
            view.setColumnWidth(column, 55)
        view.hideColumn(5)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search documents…")
        self.search.setClearButtonEnabled(True)
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.search)
        page_layout.addWidget(view)
        self.dropped_model = QStringListModel(self)
        self.dropped_view = QListView()
        self.dropped_view.setModel(self.dropped_model)
        self.dropped_view.setUniformItemSizes(True)
        self.dropped_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lists = QTabWidget()
        self.lists.addTab(page, "Documents")
        self.lists.addTab(self.dropped_view, "Dropped")

    def _build_compare(self) -> None:
        self.before_view = QTextBrowser()
        self.after_view = QTextBrowser()
        self.trace_label = QLabel(NO_SELECTION)
        self.trace_label.setWordWrap(True)
        self._compare = QWidget()
        layout = QVBoxLayout(self._compare)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.trace_label)
        pair = QSplitter(Qt.Orientation.Horizontal)
        for title, view in (("Before (removed parts highlighted)", self.before_view),
                            ("After", self.after_view)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(view)
            pair.addWidget(box)
        layout.addWidget(pair, 1)

    # --- results --------------------------------------------------------------------------
    def show_outcome(self, outcome: CleanOutcome) -> None:
        self._outcome = outcome
        report = outcome.result.report
        steps = [s for s in CLEANING_STEPS if s in report.steps_changed]
        steps += [s for s in report.steps_changed if s not in steps]
        self.steps_table.setRowCount(len(steps))
        for row, step in enumerate(steps):
            self.steps_table.setItem(row, 0, QTableWidgetItem(numbered_title(step)))
            count = QTableWidgetItem(f"{report.steps_changed[step]:,}")
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.steps_table.setItem(row, 1, count)
        languages = sorted(report.languages.items(), key=lambda item: -item[1])
        languages = languages[:LANGUAGES_SHOWN]
        self.language_chart.set_data([code for code, _ in languages],
                                     {"documents": [n for _, n in languages]})
        # a store's table may be too big to filter on the GUI thread
        runner = self._compute_rows if outcome.store is not None else None
        self.documents.set_runner(runner, self._rows.cancel if runner else None)
        self.documents.set_index(outcome.originals)
        self.dropped_model.setStringList(outcome.dropped_lines)
        self.lists.setTabText(1, f"Dropped ({len(outcome.dropped_lines):,})")

    def _compute_rows(self, index: RowSource, query: RowQuery,
                      deliver: Callable[[Sequence[int]], None]) -> None:
        """The table's rows for a big store, computed in the background."""

        def work(progress: Progress, emit: object) -> Sequence[int]:
            return index.select(query, progress)

        self._rows.start(work, deliver)

    def clear(self) -> None:
        self._outcome = None
        self._rows.cancel()
        self.steps_table.setRowCount(0)
        self.language_chart.set_data([], {})
        self.documents.set_index(DocumentIndex())
        self.dropped_model.setStringList([])
        self.lists.setTabText(1, "Dropped")
        self.before_view.clear()
        self.after_view.clear()
        self.trace_label.setText(NO_SELECTION)

    # --- before / after -------------------------------------------------------------------
    def _on_document_selected(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.documents_view.selectionModel().selectedRows()
        if not rows:
            return
        if self._outcome is not None and self._outcome.store is not None:
            self.show_stored(self.documents.document_number(rows[0].row()))
        else:
            self.show_document(self.documents.document(rows[0].row()))

    def _on_dropped_selected(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.dropped_view.selectionModel().selectedRows()
        if not rows or self._outcome is None:
            return
        if self._outcome.store is not None:
            self.show_stored(self._outcome.store.dropped.number(rows[0].row()))
            return
        dropped = self._outcome.result.report.dropped[rows[0].row()]
        self.show_document(dropped.document, dropped_note(dropped.reason, dropped.detail))

    def show_document(self, document: Document, note: str = "",
                      config: CleaningConfig | None = None) -> None:
        """`document` before and after cleaning with `config` (default: the settings of the
        run shown), the steps that changed it named."""
        config = config or self._applied_config()
        after, changed = traced(document.text, config)
        self._show_pair(document.text, after, changed, note)

    def show_stored(self, number: int) -> None:
        """Document `number` of a store's cleaning: as its source holds it, and as the
        cleaned store holds it (or why the filters dropped it)."""
        from lstm_studio.gui.clean.store_outcome import drop_note, stored_pair

        store = self._outcome.store if self._outcome is not None else None
        if store is None:
            return
        before, after = stored_pair(store, number)
        _, changed = traced(before, self._applied_config())
        self._show_pair(before, after, changed, drop_note(store, number))

    def _applied_config(self) -> CleaningConfig:
        """The settings cleaning applied ("auto" segmentation decided, the table filled in)."""
        if self._outcome is None:
            return CleaningConfig()
        return self._outcome.result.config or self._outcome.config

    def _show_pair(self, before: str, after: str, changed: list[str], note: str) -> None:
        before_html, after_html, removed = diff_html(before, after)
        self.before_view.setHtml(before_html)
        self.after_view.setHtml(after_html)
        parts = [note] if note else []
        parts.append("Changed by: " + ", ".join(changed) if changed else "No step changed it.")
        self.trace_label.setText(" · ".join(parts))
        self.removed_units = removed

    def shutdown(self) -> None:
        self._rows.shutdown()


def traced(text: str, config: CleaningConfig) -> tuple[str, list[str]]:
    """`text` cleaned with `config`, and the titles of the steps that changed it."""
    from lstm_studio.core.cleaning import clean_steps_trace

    trace = clean_steps_trace(text, config)
    changed: list[str] = []
    previous = text
    for step, cleaned in trace:
        if cleaned != previous:
            changed.append(STEP_TITLES.get(step, step))
        previous = cleaned
    return (trace[-1][1] if trace else text), changed
