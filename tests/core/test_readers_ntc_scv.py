"""The real NTC-SCV zips (skipped when ../shared is absent): counts, balance, sources.

The same zips through `lstm-studio data`: tests/cli/test_data_ntc_scv.py.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from lstm_studio.core.dataset import Dataset
from lstm_studio.core.readers import load_sources
from lstm_studio.core.summary import summarize


@lru_cache(maxsize=1)
def _load(paths: tuple[Path, ...]) -> Dataset:
    return load_sources(list(paths))


def test_counts_balance_and_valid_from_data_train(ntc_scv_zips: list[Path]) -> None:
    dataset = _load(tuple(ntc_scv_zips))
    assert len(dataset) == 50_000
    assert {split: dict(c) for split, c in dataset.split_counts().items()} == {
        "train": {"pos": 15_000, "neg": 15_000},
        "valid": {"pos": 5_000, "neg": 5_000},
        "test": {"pos": 5_000, "neg": 5_000},
    }
    assert {d.source.split("/")[0] for d in dataset.split("valid")} == {"data_train.zip:data_train"}
    assert {d.source.split("/")[1] for d in dataset.split("valid")} == {"test"}
    assert {d.source.split(":")[0] for d in dataset.split("test")} == {"data_test.zip"}
    assert "becomes valid" in dataset.sources[0].notes[0]
    name = "data_train.zip:data_train/train/neg/1.txt"
    first = next(d for d in dataset.documents if d.source == name)
    assert first.text.startswith("Mua có mỗi Bingsu thập_cẩm 45k")
    assert sum(not unicodedata.is_normalized("NFC", d.text) for d in dataset.documents) == 168


def test_summary_matches_the_dataset_readme(ntc_scv_zips: list[Path]) -> None:
    summary = summarize(_load(tuple(ntc_scv_zips)))
    lengths = summary.lengths
    assert (lengths.min, lengths.median, lengths.p95, lengths.max) == (10, 73, 265, 2433)
    assert (summary.duplicate_groups, summary.duplicates + summary.duplicate_groups) == (44, 91)
    assert summary.cross_split_duplicates == 20  # 10 train-valid + 9 train-test + 1 valid-test
    assert summary.empty == 0
    assert summary.non_nfc == 168
