"""The document table's rows over a token store (a `RowSource`, see document_model.py).

Nothing per document is held: the table asks for the rows it paints, each read from the
memory map (a few microseconds), and the few hundred painted last are kept so scrolling back
and forth does not decode them again. A query (search, label, split, order) is answered by
`StoreRows` with NumPy, in the Data tab's worker when the store is large.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from lstm_studio.core.corpus.browse import SORT_COLUMNS, StoreRows
from lstm_studio.core.corpus.store import TokenStore
from lstm_studio.core.dataset import Document
from lstm_studio.core.progress import Progress
from lstm_studio.gui.widgets.document_model import ALL, RowQuery

KEPT_ROWS = 512  # documents kept decoded for repainting


class StoreIndex:
    def __init__(self, store: TokenStore) -> None:
        self.store = store
        self.rows = StoreRows(store)
        self._documents: OrderedDict[int, Document] = OrderedDict()

    def __len__(self) -> int:
        return len(self.store)

    @property
    def lengths(self) -> np.ndarray:
        return self.rows.lengths

    def document(self, number: int) -> Document:
        doc = self._documents.get(number)
        if doc is None:
            doc = self._documents[number] = self.rows.document(number)
            if len(self._documents) > KEPT_ROWS:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(number)
        return doc

    def preview(self, number: int) -> str:
        return self.rows.preview(number)

    def length(self, number: int) -> int:
        return self.rows.length(number)

    def select(self, query: RowQuery, progress: Progress | None = None) -> Sequence[int]:
        sort = None
        if query.sort is not None:
            column, descending = query.sort
            sort = (SORT_COLUMNS[column], descending)
        return self.rows.rows(query.needle, None if query.label == ALL else query.label,
                              None if query.split == ALL else query.split, sort, progress)
