"""Whether a training reads its corpus into memory or from the on-disk token store, and the
one function the train command, a resumed run and the window call to get either.

"auto" takes the store for sources of STORE_AUTO_BYTES or more on disk: below that the whole
corpus fits comfortably in memory and reading it costs seconds, above it the in-memory path
needs about 6 KB of memory per review (issue 15) and the store's reuse starts paying off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstm_studio.core.config import CleaningConfig, DataConfig
from lstm_studio.core.errors import ConfigError, DataError
from lstm_studio.core.limits import MB
from lstm_studio.core.progress import Progress

if TYPE_CHECKING:
    from lstm_studio.core.corpus.store import TokenStore
    from lstm_studio.core.dataset import Dataset

STORE_CHOICES = ("auto", "on", "off")
STORE_AUTO_BYTES = 100 * MB


def sources_bytes(paths: list[str]) -> int:
    """Bytes the sources take on disk (files under a folder added up)."""
    total = 0
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            for root, _dirs, files in os.walk(path):
                total += sum((Path(root) / name).stat().st_size for name in files)
        elif path.exists():
            total += path.stat().st_size
    return total


def use_store(data: DataConfig) -> bool:
    if data.store not in STORE_CHOICES:
        raise ConfigError(f"The store setting is '{data.store}'; use auto, on or off.")
    if data.store != "auto":
        return data.store == "on"
    return sources_bytes(data.sources) >= STORE_AUTO_BYTES


@dataclass
class TrainingData:
    """The corpus ready for `train_model`, with the cleaning settings as applied ("auto"
    segmentation decided) and what the user should be told."""

    corpus: Dataset | TokenStore
    cleaning: CleaningConfig | None
    kept: int  # documents left for training and evaluation
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> documents dropped
    filtered_splits: list[str] = field(default_factory=list)
    segmentation: str | None = None
    notes: list[str] = field(default_factory=list)
    store: dict[str, Any] | None = None  # key, documents, bytes, built, seconds


def load_for_training(data: DataConfig, cleaning: CleaningConfig | None,
                      read: Progress | None = None, clean: Progress | None = None
                      ) -> TrainingData:
    """Read and clean the sources into memory, or prepare (or reuse) their token store."""
    if use_store(data):
        from lstm_studio.core.corpus.build import prepare_store

        prepared = prepare_store(data, cleaning, progress=clean or read)
        store = prepared.store
        report = store.meta.get("cleaning") or {}
        from lstm_studio.core.corpus.store_report import store_cleaning_config

        applied = store_cleaning_config(store)
        filtered = list(report.get("filtered_splits", []))
        dropped = {reason: sum(n for split, n in by_split.items() if split in filtered)
                   for reason, by_split in report.get("dropped", {}).items()}
        kept = len(store) - sum(dropped.values())
        if kept == 0:
            raise DataError("No documents are left after cleaning; check --lang or use "
                            "--no-clean.")
        info = {"key": store.key, "documents": len(store), "bytes": store.size_bytes(),
                "built": prepared.built, "seconds": round(prepared.seconds, 3),
                "folder": str(store.folder)}
        return TrainingData(store, applied, kept, dropped, filtered,
                            report.get("segmentation"), prepared.notes, info)
    from lstm_studio.core.readers import load_configured

    dataset = load_configured(data, read)
    if cleaning is None:
        return TrainingData(dataset, None, len(dataset))
    from lstm_studio.core.cleaning import clean_dataset

    result = clean_dataset(dataset, cleaning, progress=clean)
    if len(result.dataset) == 0:
        raise DataError("No documents are left after cleaning; check --lang or use --no-clean.")
    report = result.report
    return TrainingData(result.dataset, result.config or cleaning, len(result.dataset),
                        dict(report.dropped_counts()), list(report.filtered_splits),
                        report.segmentation)
