"""Summary numbers on a small hand-checked dataset, and the stratified random split."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest

from lstm_studio.core.dataset import Dataset, Document, SourceInfo
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.summary import length_stats, percentile, random_split, summarize


def doc(text: str, label: str | None, split: str = "train", n: int = 0) -> Document:
    return Document(text=text, label=label, split=split, source=f"hand.csv:line {n}")


HAND = Dataset(
    documents=[
        doc("ngon quá", "pos", "train", 1),  # 2 tokens
        doc("ngon   quá\n", "pos", "train", 2),  # 2, duplicate of 1 after whitespace
        doc("dở", "neg", "train", 3),  # 1
        doc("", "neg", "train", 4),  # 0, empty
        doc("   ", "neg", "valid", 5),  # 0, empty, duplicate of 4 (across splits)
        doc("ngon quá", "pos", "test", 6),  # 2, second extra copy of 1 (across splits)
        doc("một hai ba bốn năm", "pos", "test", 7),  # 5
        doc(unicodedata.normalize("NFD", "phở bò tái"), "neg", "valid", 8),  # 3, non-NFC
    ],
    sources=[SourceInfo(path="hand.csv", kind="csv", documents=8, notes=("a note",))],
)


def test_summary_numbers_by_hand() -> None:
    summary = summarize(HAND)
    assert summary.documents == 8
    assert summary.splits == {"train": {"neg": 2, "pos": 2}, "valid": {"neg": 2},
                              "test": {"pos": 2}}
    assert list(summary.splits) == ["train", "valid", "test"]
    assert summary.labels == ["neg", "pos"]
    # lengths sorted: 0 0 1 2 2 2 3 5 -> median (2+2)/2, p95 rank ceil(7.6) = 8th = 5
    lengths = summary.lengths
    assert (lengths.min, lengths.median, lengths.p95, lengths.max) == (0, 2.0, 5, 5)
    assert lengths.mean == pytest.approx(15 / 8, abs=0.01)
    assert summary.duplicate_groups == 2  # "ngon quá" x3, "" x2
    assert summary.duplicates == 3  # 2 extra copies + 1 extra copy
    assert summary.cross_split_duplicates == 2
    assert summary.empty == 2
    assert summary.non_nfc == 1
    data = summary.to_dict()
    assert data["lengths"] == {"min": 0, "median": 2.0, "p95": 5, "max": 5, "mean": 1.88}
    assert data["sources"] == [{"path": "hand.csv", "kind": "csv", "documents": 8,
                                "split_override": None, "notes": ["a note"]}]
    assert data["splits"]["train"] == {"neg": 2, "pos": 2}


def test_summary_of_unlabelled_and_empty_datasets() -> None:
    corpus = Dataset([doc("a b", None), doc("c", None, "test")])
    summary = summarize(corpus)
    assert summary.splits == {"train": {"": 1}, "test": {"": 1}}
    assert summary.labels == []
    empty = summarize(Dataset([]))
    assert empty.documents == 0 and empty.lengths.max == 0 and empty.duplicates == 0


def test_percentile_and_median() -> None:
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([7], 0.95) == 7
    assert percentile([], 0.95) == 0
    assert length_stats([3, 1, 2]).median == 2.0
    assert length_stats([4, 1, 2, 3]).median == 2.5


def balanced(n_pos: int, n_neg: int) -> Dataset:
    docs = [doc(f"p{i}", "pos", "test") for i in range(n_pos)]
    docs += [doc(f"n{i}", "neg", "valid") for i in range(n_neg)]
    return Dataset(docs)


def test_random_split_is_stratified_and_sums_up() -> None:
    dataset = balanced(101, 53)
    result = random_split(dataset, (0.8, 0.1, 0.1), seed=3)
    per = Counter((d.split, d.label) for d in result.documents)
    assert per[("train", "pos")] + per[("valid", "pos")] + per[("test", "pos")] == 101
    assert (per[("train", "pos")], per[("valid", "pos")], per[("test", "pos")]) == (81, 10, 10)
    # 53 x (0.8, 0.1, 0.1) = 42.4, 5.3, 5.3: the one left over goes to the largest remainder.
    assert (per[("train", "neg")], per[("valid", "neg")], per[("test", "neg")]) == (43, 5, 5)
    assert [d.text for d in result.documents] == [d.text for d in dataset.documents]  # order kept


def test_random_split_is_deterministic_and_seeded() -> None:
    dataset = balanced(50, 50)
    first = [d.split for d in random_split(dataset, seed=7).documents]
    assert first == [d.split for d in random_split(dataset, seed=7).documents]
    assert first != [d.split for d in random_split(dataset, seed=8).documents]
    # Independent of the splits the documents had before.
    moved = Dataset([Document(d.text, d.label, "train", d.source) for d in dataset.documents])
    assert first == [d.split for d in random_split(moved, seed=7).documents]


def test_random_split_ratios_are_normalised_and_checked() -> None:
    dataset = balanced(10, 10)
    result = random_split(dataset, (2, 0, 2), seed=0)
    assert Counter(d.split for d in result.documents) == {"train": 10, "test": 10}
    for bad in ((0.5, 0.5), (1, -1, 1), (0, 0, 0)):
        with pytest.raises(ConfigError, match="three non-negative numbers"):
            random_split(dataset, bad)
