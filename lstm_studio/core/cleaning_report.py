"""What cleaning did to a dataset: the report every front end shows, and the result it goes with.

Counts per step (changed, failed), detected languages, each dropped document with its reason
in words, the segmentation decision, the share of words joined by "_" before and after, the
documents typed without diacritics, and what the filters spared in splits they never touch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lstm_studio.core import segmentation
from lstm_studio.core.config import CleaningConfig
from lstm_studio.core.dataset import Dataset, Document

DROP_REASONS = ("language", "empty")


@dataclass(frozen=True)
class DroppedDocument:
    document: Document  # the original, uncleaned document
    reason: str  # "language" | "empty"
    detail: str  # why, in words: "vi 0.86 < threshold 0.90", "nothing left after cleaning"

    def to_dict(self) -> dict[str, Any]:
        doc = self.document
        return {"reason": self.reason, "detail": self.detail, "source": doc.source,
                "split": doc.split, "label": doc.label, "text": doc.text}


@dataclass
class CleaningReport:
    total: int = 0
    kept: int = 0
    steps_changed: dict[str, int] = field(default_factory=dict)
    steps_failed: dict[str, int] = field(default_factory=dict)  # documents a step failed on
    languages: dict[str, int] = field(default_factory=dict)  # detected language -> documents
    # Every dropped document; a store's report reads them lazily (core/corpus/store_report.py)
    # and then gives their counts per reason in `dropped_by_reason`, so that counting them
    # does not decode each one.
    dropped: Sequence[DroppedDocument] = field(default_factory=list)
    dropped_by_reason: dict[str, int] | None = None
    seconds: float = 0.0
    workers: int = 1
    segmentation: str = ""  # the decision in words, e.g. "on (pyvi 0.1.1): 99% of ..."
    # Word tokens and those joined by "_", as loaded and after cleaning.
    words_before: int = 0
    joined_before: int = 0
    words_after: int = 0
    joined_after: int = 0
    # Documents typed without a single accented letter, among the kept and the dropped ones.
    no_diacritics: int = 0
    no_diacritics_dropped: int = 0
    corpus_languages: list[str] = field(default_factory=list)  # used by the short-text rules
    filtered_splits: list[str] = field(default_factory=list)
    # Per split never filtered: documents the filters would have dropped, kept there.
    spared: dict[str, int] = field(default_factory=dict)

    def dropped_counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(DROP_REASONS, 0)
        if self.dropped_by_reason is not None:
            return {**counts, **self.dropped_by_reason}
        for item in self.dropped:
            counts[item.reason] = counts.get(item.reason, 0) + 1
        return counts

    @property
    def looked_segmented(self) -> bool:
        return segmentation.looks_segmented(self.words_before, self.joined_before)

    def joined_share(self, after: bool = True) -> float:
        words, joined = ((self.words_after, self.joined_after) if after
                         else (self.words_before, self.joined_before))
        return joined / words if words else 0.0

    def to_dict(self, include_dropped: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "total": self.total,
            "kept": self.kept,
            "dropped": self.dropped_counts(),
            "languages": dict(self.languages),
            "steps": dict(self.steps_changed),
            "steps_failed": dict(self.steps_failed),
            "segmentation": self.segmentation,
            "joined_share_before": round(self.joined_share(after=False), 4),
            "looked_segmented": self.looked_segmented,
            "joined_share_after": round(self.joined_share(), 4),
            "no_diacritics": self.no_diacritics,
            "no_diacritics_dropped": self.no_diacritics_dropped,
            "corpus_languages": list(self.corpus_languages),
            "filtered_splits": list(self.filtered_splits),
            "spared": dict(self.spared),
            "seconds": round(self.seconds, 3),
            "workers": self.workers,
        }
        if include_dropped:
            data["dropped_documents"] = [item.to_dict() for item in self.dropped]
        return data


@dataclass
class CleaningResult:
    dataset: Dataset  # kept documents, cleaned, in their original order
    report: CleaningReport
    # The settings that produced this result, with "auto" decided and the abbreviation table
    # and segmenter version filled in: a model trained on it stores these, not whatever the
    # Clean tab shows after later edits.
    config: CleaningConfig | None = None
