"""The Clean tab's background work: the core cleaning plus what its views need, prepared in
the worker thread so the GUI thread only swaps results in."""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lstm_studio.core.config import CleaningConfig
from lstm_studio.core.dataset import Dataset
from lstm_studio.core.progress import Progress
from lstm_studio.gui.memory import collector_paused
from lstm_studio.gui.widgets.document_model import DocumentIndex, RowSource

if TYPE_CHECKING:
    from lstm_studio.core.cleaning import CleaningResult
    from lstm_studio.core.corpus.store import TokenStore
    from lstm_studio.core.corpus.store_report import StoreDropped

PREVIEW_CHARS = 120  # of a dropped document, in the Dropped list


@dataclass
class StoreCleaning:
    """A cleaning of a corpus browsed from its store (store_outcome.py): the store as loaded
    and the cleaned one hold the same documents in the same order, so a document's number
    finds it in both; the cleaned one flags the dropped documents instead of leaving them out."""

    raw: TokenStore
    cleaned: TokenStore
    dropped: StoreDropped


@dataclass
class CleanOutcome:
    """The core result plus what the views need, all prepared in the worker thread."""

    result: CleaningResult
    config: CleaningConfig
    originals: RowSource  # the documents before cleaning, for the before/after view
    dropped_lines: list[str]  # one line per dropped document: reason · detail · split · text
    store: StoreCleaning | None = None  # set when the corpus is browsed from its store


def dropped_line(reason: str, detail: str, split: str, text: str) -> str:
    """A dropped document's line in the Dropped list (its text cut to PREVIEW_CHARS)."""
    preview = " ".join(text[:PREVIEW_CHARS].split())
    return " · ".join(part for part in (reason, detail, split, preview) if part)


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


def clean_in_background(dataset: Dataset, config: CleaningConfig,
                        progress: Progress) -> CleanOutcome:
    """Load the language model if needed, then clean; runs in the worker thread.

    The settings are validated by `clean_dataset`, after the preload on purpose: validating
    language codes needs the model, and decoding it here would hold the GIL (and freeze the
    window) for about a second."""
    # Imported here, in the worker: compiling the cleaning patterns on first import would
    # stall the GUI thread.
    from lstm_studio.core.cleaning import clean_dataset

    preload_if_detecting(config, len(dataset), progress)
    with collector_paused():
        result = clean_dataset(dataset, config, progress)
        originals = DocumentIndex.build(dataset.documents)
        lines = [dropped_line(item.reason, item.detail, item.document.split, item.document.text)
                 for item in result.report.dropped]
        return CleanOutcome(result, config, originals, lines)


def dropped_note(reason: str, detail: str) -> str:
    """What the before/after view says of a dropped document."""
    return f"Dropped: {reason} ({detail})" if detail else f"Dropped: {reason}"


def preload_if_detecting(config: CleaningConfig, total: int, progress: Progress) -> None:
    """The language model, loaded before cleaning when the language filter needs it."""
    if config.detect_language:
        progress.update(0, total, "Loading the language model")
        preload_language_model()
