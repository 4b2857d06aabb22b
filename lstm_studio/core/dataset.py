"""The one in-memory dataset every reader produces and every later stage consumes.

A document is text plus an optional label (None for language-model corpora), a split and the
place it came from. Splits are always one of SPLITS after loading; readers map folder and
column names onto them (see lstm_studio.core.readers for the rule).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

SPLITS: tuple[str, ...] = ("train", "valid", "test")


@dataclass(frozen=True, slots=True)
class Document:
    text: str
    label: str | None
    split: str
    source: str  # human-readable origin: "data_train.zip:train/pos/12.txt", "reviews.csv:line 40"


@dataclass(frozen=True)
class SourceInfo:
    """One loaded source as the user named it, with what was decided about its splits."""

    path: str
    kind: str  # "folder", "zip", "csv", "tsv", "jsonl", "fasttext", "text"
    documents: int
    split_override: str | None = None
    notes: tuple[str, ...] = ()  # explanations of split decisions, shown to the user


@dataclass
class Dataset:
    # a list, or documents read from a token store when asked for (corpus/browse.py)
    documents: Sequence[Document]
    sources: list[SourceInfo] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def labelled(self) -> bool:
        return any(doc.label is not None for doc in self.documents)

    def labels(self) -> list[str]:
        """Sorted distinct labels (empty for a language-model corpus)."""
        return sorted({doc.label for doc in self.documents if doc.label is not None})

    def split(self, name: str) -> list[Document]:
        return [doc for doc in self.documents if doc.split == name]

    def split_counts(self) -> dict[str, Counter]:
        """{split: Counter(label -> documents)}; unlabelled documents count under ""."""
        counts: dict[str, Counter] = {}
        for doc in self.documents:
            counts.setdefault(doc.split, Counter())[doc.label or ""] += 1
        return counts

    def with_documents(self, documents: list[Document]) -> Dataset:
        return Dataset(documents=documents, sources=list(self.sources))

    def with_split(self, documents: list[Document], split: str) -> list[Document]:
        return [replace(doc, split=split) for doc in documents]
