"""Cleaning a corpus browsed from its on-disk store, without loading it whole.

Cleaning the lazy dataset document by document would decode every document and hold the
cleaned corpus in memory, which is what the store avoids. Instead the worker prepares the
store of the same sources with the pipeline applied (`prepare_store`, reused from the cache
when it was built before) and reads the report from its meta.json; the cleaned dataset is
the store's kept documents, read when asked for. The documents table lists the store as
loaded, so a document's number finds it in both stores for the before/after view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lstm_studio.core.config import CleaningConfig, DataConfig
from lstm_studio.core.errors import DataError
from lstm_studio.core.progress import Progress, report
from lstm_studio.gui.clean.outcome import (
    CleanOutcome,
    StoreCleaning,
    dropped_line,
    dropped_note,
    preload_if_detecting,
)
from lstm_studio.gui.memory import collector_paused

if TYPE_CHECKING:
    from lstm_studio.core.corpus.store import TokenStore
    from lstm_studio.core.corpus.store_report import StoreDropped

SOURCES_CHANGED = ("The sources changed since they were loaded, so the cleaned documents would "
                   "not match the ones listed; load them again in the Data tab.")
LINES_REPORTED = 5000  # dropped lines built between progress reports


def clean_store_in_background(data: DataConfig, raw: TokenStore, config: CleaningConfig,
                              progress: Progress) -> CleanOutcome:
    """Prepare (or reuse) the cleaned store of the sources `raw` was built from, and what the
    report view shows; runs in the worker thread."""
    from lstm_studio.core.cleaning_report import CleaningResult
    from lstm_studio.core.config import validate_cleaning
    from lstm_studio.core.corpus.browse import kept_dataset
    from lstm_studio.core.corpus.build import prepare_store
    from lstm_studio.core.corpus.store_report import store_cleaning_config, store_cleaning_report
    from lstm_studio.gui.widgets.store_index import StoreIndex

    preload_if_detecting(config, len(raw), progress)
    validate_cleaning(config)  # after the preload: checking language codes needs the model
    check_sources_unchanged(data, raw)
    with collector_paused():
        cleaned = prepare_store(data, config, progress).store
        if len(cleaned) != len(raw):  # changed between the check and the read
            raise DataError(SOURCES_CHANGED)
        cleaning_report = store_cleaning_report(cleaned, raw)
        dropped = stored_dropped(cleaning_report.dropped)
        lines = dropped_lines(raw, dropped, progress)
        progress.check()  # a cancel while finishing leaves the previous result
        result = CleaningResult(kept_dataset(cleaned), cleaning_report,
                                store_cleaning_config(cleaned))
        return CleanOutcome(result, config, StoreIndex(raw), lines,
                            StoreCleaning(raw, cleaned, dropped))


def check_sources_unchanged(data: DataConfig, raw: TokenStore) -> None:
    """Refuse sources that changed (or went) since `raw` was built from them: a store built
    now would number its documents differently."""
    from lstm_studio.core.corpus.build import store_key

    try:
        key = store_key(data, None)
    except OSError as error:
        raise DataError(f"A source cannot be read any more ({error.strerror or error}); load "
                        "the data again in the Data tab.") from error
    if key != raw.key:
        raise DataError(SOURCES_CHANGED)


def stored_dropped(dropped: Sequence[object]) -> StoreDropped:
    from lstm_studio.core.corpus.store_report import StoreDropped

    if not isinstance(dropped, StoreDropped):
        raise TypeError("a store's cleaning report lists its dropped documents lazily")
    return dropped


def dropped_lines(raw: TokenStore, dropped: StoreDropped, progress: Progress) -> list[str]:
    """One Dropped-list line per dropped document, its preview from the store as loaded
    (an empty-after-cleaning document has nothing to show in the cleaned one)."""
    from lstm_studio.core.corpus.browse import StoreRows

    rows = StoreRows(raw)
    lines: list[str] = []
    for row in range(len(dropped)):
        number = dropped.number(row)
        lines.append(dropped_line(dropped.reason(row), dropped.detail(row), raw.split(number),
                                  rows.preview(number)))
        if row % LINES_REPORTED == 0:
            report(progress, row, len(dropped), "Listing the dropped documents")
    return lines


def stored_pair(store: StoreCleaning, number: int) -> tuple[str, str]:
    """A document before cleaning (as its source holds it) and after (as training reads it)."""
    from lstm_studio.core.corpus.store_report import readable_original

    return readable_original(store.raw, number), store.cleaned.text(number)


def drop_note(store: StoreCleaning, number: int) -> str:
    """"Dropped: reason (detail)" for a document the filters left out of training, else ""."""
    row = store.dropped.row_of(number)
    if row is None:
        return ""
    return dropped_note(store.dropped.reason(row), store.dropped.detail(row))
