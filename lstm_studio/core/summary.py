"""What a loaded dataset looks like, and a stratified random re-split.

`summarize` gives the numbers the Data tab and `lstm-studio data` show: documents per split and
label, token lengths (whitespace tokens), exact duplicates after whitespace normalisation,
empty documents, non-NFC documents, documents typed without diacritics, and the share of
words joined by "_", which says whether the corpus is already word-segmented.
`random_split` re-assigns splits per label so every split keeps the label balance; it is
seeded and does not depend on the splits the documents had before.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from lstm_studio.core.dataset import SPLITS, Dataset, Document
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.normalization import lacks_diacritics
from lstm_studio.core.segmentation import JOINED_RE, looks_segmented

_WORD_RE = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class LengthStats:
    """Document lengths in whitespace tokens; p95 is the nearest-rank 95th percentile."""

    min: int = 0
    median: float = 0.0
    p95: int = 0
    max: int = 0
    mean: float = 0.0


@dataclass
class DatasetSummary:
    documents: int
    splits: dict[str, dict[str, int]]  # split -> label -> documents ("" for no label)
    labels: list[str]
    lengths: LengthStats
    duplicates: int  # documents that repeat an earlier one
    duplicate_groups: int  # distinct texts that occur more than once
    cross_split_duplicates: int  # duplicate groups whose copies sit in different splits
    empty: int
    non_nfc: int  # documents not in Unicode NFC (decomposed diacritics)
    sources: list[dict[str, Any]] = field(default_factory=list)
    # Word tokens (whitespace tokens with a letter) and those joined by "_" ("nhân_viên"):
    # a word-segmented corpus has a few percent or more, raw text about none.
    word_tokens: int = 0
    joined_tokens: int = 0
    looks_segmented: bool = False
    no_diacritics: int = 0  # documents with Latin letters but not one accented letter

    @property
    def joined_share(self) -> float:
        return self.joined_tokens / self.word_tokens if self.word_tokens else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lengths"] = asdict(self.lengths)
        data["joined_share"] = round(self.joined_share, 4)
        return data


def token_kinds(tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct token: is it a word (has a letter), and is it joined by "_" the way
    a word segmenter writes compounds? The rule `summarize` applies to every token, for a
    store's lexicon (whose counts give the corpus figures)."""
    words = np.fromiter((_WORD_RE.search(token) is not None for token in tokens), dtype=bool,
                        count=len(tokens))
    joined = np.fromiter((bool(word) and "_" in token and JOINED_RE.search(token) is not None
                          for token, word in zip(tokens, words, strict=True)), dtype=bool,
                         count=len(tokens))
    return words, joined


def percentile(sorted_values: Sequence[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending sequence (0 when empty)."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def length_stats(lengths: Sequence[int]) -> LengthStats:
    if not lengths:
        return LengthStats()
    ordered = sorted(lengths)
    n = len(ordered)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return LengthStats(min=ordered[0], median=float(median), p95=percentile(ordered, 0.95),
                       max=ordered[-1], mean=round(sum(ordered) / n, 2))


def summarize(dataset: Dataset) -> DatasetSummary:
    splits: dict[str, dict[str, int]] = {}
    lengths: list[int] = []
    first_split: dict[str, str] = {}
    copies: dict[str, int] = {}
    mixed_groups: set[str] = set()
    empty = non_nfc = no_diacritics = 0
    words = joined = 0
    for doc in dataset.documents:
        by_label = splits.setdefault(doc.split, {})
        key_label = doc.label or ""
        by_label[key_label] = by_label.get(key_label, 0) + 1
        tokens = doc.text.split()
        lengths.append(len(tokens))
        if not tokens:
            empty += 1
        if not doc.text.isascii() and not unicodedata.is_normalized("NFC", doc.text):
            non_nfc += 1
        no_diacritics += lacks_diacritics(doc.text)
        for token in tokens:
            if _WORD_RE.search(token):  # the rule of token_kinds, inlined for speed
                words += 1
                joined += "_" in token and JOINED_RE.search(token) is not None
        key = " ".join(tokens)
        seen = first_split.get(key)
        if seen is None:
            first_split[key] = doc.split
        else:
            copies[key] = copies.get(key, 0) + 1
            if seen != doc.split:
                mixed_groups.add(key)
    ordered = {name: dict(sorted(splits[name].items())) for name in SPLITS if name in splits}
    ordered.update({name: dict(sorted(counts.items()))
                    for name, counts in splits.items() if name not in ordered})
    return DatasetSummary(
        documents=len(dataset.documents),
        splits=ordered,
        labels=dataset.labels(),
        lengths=length_stats(lengths),
        duplicates=sum(copies.values()),
        duplicate_groups=len(copies),
        cross_split_duplicates=len(mixed_groups),
        empty=empty,
        non_nfc=non_nfc,
        sources=[{"path": s.path, "kind": s.kind, "documents": s.documents,
                  "split_override": s.split_override, "notes": list(s.notes)}
                 for s in dataset.sources],
        word_tokens=words, joined_tokens=joined, looks_segmented=looks_segmented(words, joined),
        no_diacritics=no_diacritics,
    )


def _shares(count: int, ratios: Sequence[float]) -> list[int]:
    """Split `count` items by `ratios` with largest remainders, so shares sum to `count`."""
    exact = [count * ratio for ratio in ratios]
    shares = [math.floor(value) for value in exact]
    order = sorted(range(len(ratios)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: count - sum(shares)]:
        shares[i] += 1
    return shares


def random_split(dataset: Dataset, ratios: Sequence[float] = (0.8, 0.1, 0.1),
                 seed: int = 0) -> Dataset:
    """New train/valid/test assignment, stratified by label, the same for the same seed.

    Documents keep their order; only `split` changes (see `split_assignment`).
    """
    assigned = split_assignment([doc.label for doc in dataset.documents], ratios, seed)
    documents: list[Document] = [
        doc if doc.split == split else replace(doc, split=split)
        for doc, split in zip(dataset.documents, assigned, strict=True)
    ]
    return Dataset(documents=documents, sources=list(dataset.sources))


def split_assignment(labels: Sequence[str | None], ratios: Sequence[float] = (0.8, 0.1, 0.1),
                     seed: int = 0) -> list[str]:
    """The split of each document (given by its label) in a random stratified re-split.

    Each label's documents are shuffled with a generator seeded by (seed, label), so adding a
    class does not reshuffle the others. The on-disk store applies the same function to its
    label column, so both paths split alike.
    """
    ratios = tuple(float(r) for r in ratios)
    if len(ratios) != 3 or any(r < 0 or math.isnan(r) for r in ratios) or sum(ratios) <= 0:
        raise ConfigError("Split ratios must be three non-negative numbers (train, valid, test) "
                          "with a positive sum.")
    total = sum(ratios)
    ratios = tuple(r / total for r in ratios)
    groups: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(label or "", []).append(index)
    assigned: list[str] = [""] * len(labels)
    for label in sorted(groups):
        indices = groups[label]
        random.Random(f"{seed}:{label}").shuffle(indices)
        start = 0
        for split, share in zip(SPLITS, _shares(len(indices), ratios), strict=True):
            for index in indices[start:start + share]:
                assigned[index] = split
            start += share
    return assigned
