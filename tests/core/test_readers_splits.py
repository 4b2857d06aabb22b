"""The split rule across sources: the test clash, name hints, overrides, merges."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest

from lstm_studio.core.config import DataConfig
from lstm_studio.core.readers import load_sources
from lstm_studio.core.readers.splits import split_from_name


def make_zip(path: Path, splits: dict[str, int]) -> Path:
    """A zip wrapped in a folder named like it, with `n` pos and `n` neg docs per split."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for split, n in splits.items():
            for label in ("pos", "neg"):
                for i in range(n):
                    archive.writestr(f"{path.stem}/{split}/{label}/{i}.txt",
                                     f"{path.stem} {split} {label} {i}")
    return path


def counts(dataset) -> dict[str, dict[str, int]]:
    result: dict[str, Counter] = {}
    for doc in dataset.documents:
        result.setdefault(doc.split, Counter())[doc.label] += 1
    return {split: dict(c) for split, c in result.items()}


def test_ntc_scv_shape_turns_first_test_into_valid(tmp_path: Path) -> None:
    train = make_zip(tmp_path / "data_train.zip", {"train": 6, "test": 2})
    test = make_zip(tmp_path / "data_test.zip", {"test": 2})
    for order in ([train, test], [test, train]):
        dataset = load_sources(order)
        assert counts(dataset) == {"train": {"pos": 6, "neg": 6}, "valid": {"pos": 2, "neg": 2},
                                   "test": {"pos": 2, "neg": 2}}
        valid_sources = {doc.source.split(":")[0] for doc in dataset.split("valid")}
        assert valid_sources == {"data_train.zip"}
        notes = {s.path: s.notes for s in dataset.sources}
        assert notes[str(train)] == (
            "its test split becomes valid, because data_test.zip also provides test and no "
            "source provides valid",)
        assert notes[str(test)] == ()


def test_no_clash_rule_when_valid_exists(tmp_path: Path) -> None:
    a = make_zip(tmp_path / "a.zip", {"train": 2, "test": 1, "dev": 1})
    b = make_zip(tmp_path / "b.zip", {"test": 1})
    assert counts(load_sources([a, b])) == {"train": {"pos": 2, "neg": 2},
                                            "valid": {"pos": 1, "neg": 1},
                                            "test": {"pos": 2, "neg": 2}}


def test_two_full_datasets_merge_their_tests(tmp_path: Path) -> None:
    a = make_zip(tmp_path / "a.zip", {"train": 2, "test": 1})
    b = make_zip(tmp_path / "b.zip", {"train": 2, "test": 1})
    dataset = load_sources([a, b])
    assert counts(dataset) == {"train": {"pos": 4, "neg": 4}, "test": {"pos": 2, "neg": 2}}
    assert all("merged with those of a.zip and b.zip" in s.notes[-1] for s in dataset.sources)


def test_sources_without_splits_go_to_train_or_their_name(tmp_path: Path) -> None:
    plain = tmp_path / "reviews.csv"
    plain.write_text("text,label\na,pos\nb,neg\n", encoding="utf-8")
    named = tmp_path / "ptb.test.csv"
    named.write_text("text,label\nc,pos\nd,neg\n", encoding="utf-8")
    dataset = load_sources([plain, named])
    assert {d.text: d.split for d in dataset.documents} == \
        {"a": "train", "b": "train", "c": "test", "d": "test"}
    notes = {s.path: s.notes[-1] for s in dataset.sources}
    assert notes[str(plain)] == "all documents go to train, as it names no split"
    assert notes[str(named)] == "all documents go to test, as its name says"


def test_override_forces_split_by_path_or_name(tmp_path: Path) -> None:
    train = make_zip(tmp_path / "data_train.zip", {"train": 3, "test": 1})
    test = make_zip(tmp_path / "data_test.zip", {"test": 1})
    # Keys may be the path as given, the resolved path, or the file name.
    for key in (str(test), str(test.resolve()), "data_test.zip"):
        config = DataConfig(split_overrides={key: "val"})
        dataset = load_sources([train, test], config)
        assert counts(dataset) == {"train": {"pos": 3, "neg": 3}, "test": {"pos": 1, "neg": 1},
                                   "valid": {"pos": 1, "neg": 1}}
        info = {s.path: s for s in dataset.sources}[str(test)]
        assert info.split_override == "valid"
        assert info.notes == ("all documents go to valid (split override)",)
        assert {d.source.split(":")[0] for d in dataset.split("valid")} == {"data_test.zip"}


def test_overridden_test_source_still_counts_for_the_clash(tmp_path: Path) -> None:
    train = make_zip(tmp_path / "data_train.zip", {"train": 3, "test": 1})
    extra = tmp_path / "more.csv"
    extra.write_text("text,label\nx,pos\ny,neg\n", encoding="utf-8")
    dataset = load_sources([train, extra], DataConfig(split_overrides={"more.csv": "test"}))
    assert counts(dataset)["valid"] == {"pos": 1, "neg": 1}
    assert {d.text: d.split for d in dataset.documents}["x"] == "test"


def test_random_split_in_config_is_left_to_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "all.csv"
    rows = "".join(f"doc {i},{'pos' if i % 2 else 'neg'}\n" for i in range(40))
    path.write_text("text,label\n" + rows, encoding="utf-8")
    dataset = load_sources([path], DataConfig(random_split=(0.5, 0.25, 0.25)))
    assert counts(dataset) == {"train": {"pos": 20, "neg": 20}}


@pytest.mark.parametrize(("stem", "split"), [
    ("train", "train"), ("ptb.valid", "valid"), ("imdb_dev", "valid"), ("Test-Set", "test"),
    ("data_train_test", None), ("reviews", None), ("contest", None), ("trainer", None),
])
def test_split_from_name(stem: str, split: str | None) -> None:
    assert split_from_name(stem) == split
