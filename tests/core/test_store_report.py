"""A store's cleaning report equals the in-memory report of the same file, and its dropped
documents are counted without being read."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.cleaning_report import CleaningReport, DroppedDocument
from lstm_studio.core.config import CleaningConfig, DataConfig
from lstm_studio.core.corpus.build import prepare_store
from lstm_studio.core.corpus.store import TokenStore
from lstm_studio.core.corpus.store_report import StoreDropped, store_cleaning_report
from lstm_studio.core.dataset import Document
from lstm_studio.core.readers import load_configured

WORDS = ("món", "ăn", "ngon", "quá", "nhân_viên", "phục_vụ", "giá", "rẻ", "không", "dở", "tệ")
ENGLISH = "The food was great and the staff were very friendly indeed"


def write_corpus(path: Path, count: int = 150) -> DataConfig:
    rng = random.Random(3)
    rows = []
    for number in range(count):
        text = (ENGLISH if number % 13 == 0 else "!!! ..." if number % 29 == 0
                else " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 20))))
        split = "test" if number % 6 == 0 else ("valid" if number % 9 == 0 else "train")
        rows.append(json.dumps({"text": text, "label": rng.choice(["pos", "neg"]),
                                "split": split}, ensure_ascii=False))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return DataConfig(sources=[str(path)])


@pytest.mark.timeout(120)
def test_a_store_report_equals_the_in_memory_one(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_corpus(tmp_path / "reviews.jsonl")
    config = CleaningConfig()
    expected = clean_dataset(load_configured(data), config, workers=1).report
    raw = prepare_store(data, None, workers=1).store
    cleaned = prepare_store(data, config, workers=1).store

    def refused(self: TokenStore, index: int) -> Any:
        raise AssertionError("a document was read to count the dropped ones")

    with monkeypatch.context() as patch:
        patch.setattr(TokenStore, "document", refused)
        report = store_cleaning_report(cleaned, raw)
        counts = report.dropped_counts()
    assert counts == expected.dropped_counts() and counts["language"] and counts["empty"]
    assert (report.total, report.kept) == (expected.total, expected.kept)
    assert report.steps_changed == expected.steps_changed
    assert report.languages == expected.languages
    assert report.filtered_splits == expected.filtered_splits
    assert report.spared == expected.spared
    figures = ("words_before", "joined_before", "words_after", "joined_after")
    assert [getattr(report, name) for name in figures] == [
        getattr(expected, name) for name in figures]
    assert report.to_dict(include_dropped=False)["dropped"] == counts

    dropped = report.dropped
    assert isinstance(dropped, StoreDropped) and len(dropped) == len(expected.dropped)
    first, wanted = dropped[0], expected.dropped[0]
    assert (first.reason, first.document.text, first.document.split) == (
        wanted.reason, wanted.document.text, wanted.document.split)
    assert [item.reason for item in dropped[:3]] == [item.reason for item in expected.dropped[:3]]
    assert dropped.detail(0) == wanted.detail  # the store names its first dropped documents
    assert dropped.row_of(dropped.number(1)) == 1
    kept = next(n for n in range(len(cleaned)) if n not in set(dropped.numbers.tolist()))
    assert dropped.row_of(kept) is None


def test_counts_given_for_a_lazy_list_are_what_dropped_counts_says() -> None:
    listed = [DroppedDocument(Document("x", None, "train", "a"), "empty", "")]
    assert CleaningReport(dropped=listed).dropped_counts() == {"language": 0, "empty": 1}
    counted = CleaningReport(dropped=listed, dropped_by_reason={"language": 4, "empty": 2})
    assert counted.dropped_counts() == {"language": 4, "empty": 2}
