"""Table model over a dataset's documents that stays fast with 50,000 rows.

Everything per-document that the table or the search needs (lower-cased text, preview, token
length) is computed once in `DocumentIndex.build`, which runs in the loading worker thread, so
swapping in a new dataset on the GUI thread is only a model reset. Filtering is done in the
model on those precomputed arrays (a substring test per row, ~20 ms for 50,000 reviews)
instead of a QSortFilterProxyModel calling `data()` for every row.

Which rows are shown, in which order, is a `RowQuery` (search text, label, split, sort) and
`RowQuery.rows(index)` is a pure function of it. Up to `SYNC_ROWS` documents it runs on the
GUI thread as the user types or clicks a header. Above that, a model given a background
runner (`set_runner`, the Data tab's TaskSlot) asks for the rows there and keeps showing the
previous ones until they come: sorting 200,000 previews is ~200 ms of C code holding the GIL,
so it is done in slices merged in Python, where the GUI thread gets the GIL back within the
switch interval.

The model reads its documents through the `RowSource` protocol: `DocumentIndex` for a
dataset in memory, `StoreIndex` (store_index.py) for a corpus browsed from its token store,
where a row's text is read from the memory map only when the row is painted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from lstm_studio.core.dataset import Document
from lstm_studio.core.progress import Progress, report
from lstm_studio.core.sorting import sorted_in_slices

PREVIEW_CHARS = 160
COLUMNS = ("#", "Text", "Label", "Split", "Length", "Source")
ALL = ""  # filter value meaning "any"
SYNC_ROWS = 50_000  # up to this many documents, rows are computed on the GUI thread
CHUNK = 10_000  # documents filtered in one step (a few ms holding the GIL at most)


class RowSource(Protocol):
    """What the table reads: documents by number and the rows a query selects."""

    def __len__(self) -> int: ...

    def document(self, number: int) -> Document: ...

    def preview(self, number: int) -> str: ...

    def length(self, number: int) -> int: ...

    def select(self, query: RowQuery, progress: Progress | None = None) -> Sequence[int]: ...


@dataclass
class DocumentIndex:
    documents: list[Document] = field(default_factory=list)
    lowered: list[str] = field(default_factory=list)
    previews: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, documents: Sequence[Document], progress: Progress | None = None,
              ) -> DocumentIndex:
        index = cls(documents=list(documents))
        total = len(index.documents)
        for number, doc in enumerate(index.documents):
            text = doc.text
            index.lowered.append(text.lower())
            index.previews.append(" ".join(text[:PREVIEW_CHARS].split()))
            index.lengths.append(len(text.split()))
            if number % 2000 == 0:
                report(progress, number, total, "Indexing documents")
        return index

    def __len__(self) -> int:
        return len(self.documents)

    def document(self, number: int) -> Document:
        return self.documents[number]

    def preview(self, number: int) -> str:
        return self.previews[number]

    def length(self, number: int) -> int:
        return self.lengths[number]

    def select(self, query: RowQuery, progress: Progress | None = None) -> list[int]:
        return query.rows(self, progress)


@dataclass(frozen=True)
class RowQuery:
    """What the table shows: a substring of the lower-cased text, a label, a split, an order
    (column, descending); None keeps dataset order."""

    needle: str = ""
    label: str = ALL
    split: str = ALL
    sort: tuple[int, bool] | None = None

    def trivial(self) -> bool:
        """Every document in dataset order: computed at once whatever the size."""
        return (not self.needle and self.label == ALL and self.split == ALL
                and self.sort in (None, (0, False)))

    def rows(self, index: DocumentIndex, progress: Progress | None = None) -> list[int]:
        """Positions of the matching documents, in the query's order (safe in a worker: in
        steps of CHUNK documents, between which a cancelled query stops)."""
        total = len(index)
        rows: list[int] = []
        for start in range(0, total, CHUNK):
            rows.extend(self._matching(index, range(start, min(start + CHUNK, total))))
            report(progress, start, total, "Filtering")
        if self.sort is None or self.sort == (0, False):
            return rows  # dataset order already
        column, descending = self.sort

        def tick(done: int) -> None:
            report(progress, done, len(rows), "Sorting")

        return sorted_in_slices(rows, sort_key(index, column), descending, tick)

    def _matching(self, index: DocumentIndex, numbers: range) -> Sequence[int]:
        docs = index.documents
        rows: Sequence[int] = numbers
        if self.label != ALL:
            rows = [i for i in rows if (docs[i].label or "") == self.label]
        if self.split != ALL:
            rows = [i for i in rows if docs[i].split == self.split]
        if self.needle:
            lowered, needle = index.lowered, self.needle
            rows = [i for i in rows if needle in lowered[i]]
        return rows


def sort_key(index: DocumentIndex, column: int) -> Callable[[int], Any]:
    docs = index.documents
    keys: dict[int, Callable[[int], Any]] = {
        1: index.lowered.__getitem__,
        2: lambda i: docs[i].label or "",
        3: lambda i: docs[i].split,
        4: index.lengths.__getitem__,
        5: lambda i: docs[i].source,
    }
    return keys.get(column, int)


# Computes a query's rows off the GUI thread and calls back with them (on the GUI thread).
RowRunner = Callable[[RowSource, RowQuery, Callable[[Sequence[int]], None]], None]


class DocumentTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._index: RowSource = DocumentIndex()
        self._rows: Sequence[int] = []
        self._query = RowQuery()
        self._runner: RowRunner | None = None
        self._cancel: Callable[[], None] | None = None

    def set_runner(self, runner: RowRunner | None,
                   cancel: Callable[[], None] | None = None) -> None:
        """Compute the rows of more than SYNC_ROWS documents with `runner` (a worker);
        `cancel()` stops one still running when a cheap query replaces it."""
        self._runner, self._cancel = runner, cancel

    # --- data -----------------------------------------------------------------------------
    def set_index(self, index: RowSource) -> None:
        self._index = index
        self._refresh(reset_now=True)

    @property
    def index_data(self) -> RowSource:
        return self._index

    @property
    def query(self) -> RowQuery:
        return self._query

    def total(self) -> int:
        return len(self._index)

    def document(self, row: int) -> Document:
        return self._index.document(int(self._rows[row]))

    def document_number(self, row: int) -> int:
        """Position of the row's document in the dataset (stable under filtering)."""
        return int(self._rows[row])

    # --- filtering and sorting ------------------------------------------------------------
    def set_filter(self, text: str = "", label: str = ALL, split: str = ALL) -> None:
        query = RowQuery(text.strip().lower(), label, split, self._query.sort)
        if query != self._query:
            self._query = query
            self._refresh()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        query = RowQuery(self._query.needle, self._query.label, self._query.split,
                         (column, order == Qt.SortOrder.DescendingOrder))
        if query != self._query:
            self._query = query
            self._refresh()

    def _refresh(self, reset_now: bool = False) -> None:
        """Show the rows of the current query: now when cheap, else from the runner."""
        index, query = self._index, self._query
        if self._runner is None or len(index) <= SYNC_ROWS or query.trivial():
            if self._cancel is not None:
                self._cancel()  # a sort still running would only compete for the GIL
            self._install(index.select(query))
            return
        if reset_now:  # a new dataset: the old rows point into the old one
            self._install(range(len(index)))
        self._runner(index, query, lambda rows: self._deliver(index, query, rows))

    def _deliver(self, index: RowSource, query: RowQuery, rows: Sequence[int]) -> None:
        if index is self._index and query == self._query:  # else asked again meanwhile
            self._install(rows)

    def _install(self, rows: Sequence[int]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    # --- Qt model interface ---------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        number = int(self._rows[index.row()])
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return number + 1
            if column == 1:
                return self._index.preview(number)
            if column == 4:
                return self._index.length(number)
            doc = self._index.document(number)
            if column == 2:
                return doc.label if doc.label is not None else "—"
            if column == 3:
                return doc.split
            return doc.source
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None
