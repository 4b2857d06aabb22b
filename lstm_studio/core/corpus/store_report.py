"""A token store's cleaning report as the `CleaningReport` every front end shows, without
decoding the corpus.

A store's meta.json holds what its build counted (documents changed and failed per step,
languages, documents dropped per reason and split) and names only the first few dropped
documents with their detail. `StoreDropped` lists every dropped document but builds one only
when it is read, so the report of a corpus that drops 50,000 documents costs an index array,
not 50,000 texts; its counts per reason come from the store's drop codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import overload

import numpy as np

from lstm_studio.core.cleaning_report import CleaningReport, DroppedDocument
from lstm_studio.core.cleaning_steps import enabled_steps
from lstm_studio.core.config import CleaningConfig, config_from_dict
from lstm_studio.core.corpus.browse import (
    drop_reason,
    dropped_indices,
    original_text,
    word_totals,
)
from lstm_studio.core.corpus.store import DROP_REASONS, TokenStore
from lstm_studio.core.dataset import SPLITS
from lstm_studio.core.errors import DataError


def readable_original(store: TokenStore, number: int) -> str:
    """The document as its source holds it, or as stored when the source cannot be read
    again (moved, changed): a report must not fail for one document."""
    try:
        return original_text(store, number)
    except (DataError, OSError, ValueError):
        return store.text(number)


class StoreDropped(Sequence[DroppedDocument]):
    """The documents a cleaned store's filters dropped from the splits they apply to, in
    document order, each built (read again from its source) when asked for."""

    def __init__(self, store: TokenStore) -> None:
        self.store = store
        self.numbers = dropped_indices(store)
        examples = (store.meta.get("cleaning") or {}).get("examples") or []
        self._details = {int(item["index"]): str(item.get("detail") or "") for item in examples}

    def __len__(self) -> int:
        return len(self.numbers)

    @overload
    def __getitem__(self, row: int) -> DroppedDocument: ...

    @overload
    def __getitem__(self, row: slice) -> list[DroppedDocument]: ...

    def __getitem__(self, row: int | slice) -> DroppedDocument | list[DroppedDocument]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        number = self.number(row)
        document = replace(self.store.document(number),
                           text=readable_original(self.store, number))
        return DroppedDocument(document, self.reason(row), self.detail(row))

    def number(self, row: int) -> int:
        """The dropped document's position in the store."""
        return int(self.numbers[row])

    def row_of(self, number: int) -> int | None:
        """Where the store's document `number` is in this list; None when it was kept."""
        row = int(np.searchsorted(self.numbers, number))
        return row if row < len(self.numbers) and int(self.numbers[row]) == number else None

    def reason(self, row: int) -> str:
        return drop_reason(self.store, self.number(row))

    def detail(self, row: int) -> str:
        """Why, in words, for the documents the store's report names; else ""."""
        return self._details.get(self.number(row), "")

    def counts(self) -> dict[str, int]:
        """Dropped documents per reason, from the drop codes alone."""
        codes = np.bincount(np.asarray(self.store.arrays["drop"][self.numbers], dtype=np.int64),
                            minlength=len(DROP_REASONS))
        return {DROP_REASONS[code]: int(n) for code, n in enumerate(codes.tolist()) if code}


def store_cleaning_config(store: TokenStore) -> CleaningConfig | None:
    """The settings the store's cleaning applied ("auto" decided), None without cleaning."""
    applied = store.meta.get("cleaning_config")
    return config_from_dict(CleaningConfig, applied) if applied is not None else None


def step_counts(store: TokenStore) -> dict[str, int]:
    """Documents changed per step, every step the store's cleaning ran listed (0 included, as
    the in-memory report lists them)."""
    changed = dict((store.meta.get("cleaning") or {}).get("steps_changed") or {})
    config = store_cleaning_config(store)
    names = list(enabled_steps(config)) if config is not None else []
    return {**dict.fromkeys(names, 0), **changed}


def store_cleaning_report(cleaned: TokenStore, raw: TokenStore | None = None) -> CleaningReport:
    """The report of a store built with cleaning; `raw`, the same sources stored without
    cleaning, gives the "as loaded" word figures (0 without it)."""
    info = cleaned.meta.get("cleaning") or {}
    named = set(info.get("filtered_splits") or ())
    filtered: list[str] = [name for name in SPLITS if name in named]
    dropped = StoreDropped(cleaned)
    by_split: dict[str, dict[str, int]] = info.get("dropped") or {}
    spared: dict[str, int] = {}
    for counts in by_split.values():
        for split, n in counts.items():
            if split not in filtered:
                spared[split] = spared.get(split, 0) + int(n)
    words_before, joined_before = word_totals(raw) if raw is not None else (0, 0)
    words_after, joined_after = word_totals(cleaned)
    return CleaningReport(
        total=int(info.get("total", len(cleaned))), kept=int(info.get("kept", len(cleaned))),
        steps_changed=step_counts(cleaned),
        steps_failed=dict(info.get("steps_failed") or {}),
        languages=dict(info.get("languages") or {}), dropped=dropped,
        dropped_by_reason=dropped.counts(), segmentation=str(info.get("segmentation") or ""),
        words_before=words_before, joined_before=joined_before, words_after=words_after,
        joined_after=joined_after, filtered_splits=filtered, spared=spared)
