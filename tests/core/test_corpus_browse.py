"""Browsing a token store (core/corpus/browse.py): every answer the Data tab takes from the
store's arrays equals the answer computed independently from the same file read into memory."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest

from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.config import CleaningConfig, DataConfig
from lstm_studio.core.corpus.browse import (
    StoreDataset,
    StoreRows,
    dropped_indices,
    kept_dataset,
    original_text,
    summarize_store,
)
from lstm_studio.core.corpus.build import prepare_store
from lstm_studio.core.dataset import Document
from lstm_studio.core.readers import load_configured
from lstm_studio.core.summary import summarize

WORDS = ("Món", "ăn", "ngon", "quá", "nhân_viên", "phục_vụ", "giá", "rẻ", "không", "dở", "tệ",
         "chán", "thất_vọng", "ngon_lành", "đồ", "uống")


def write_corpus(path: Path, count: int = 400, seed: int = 3) -> Path:
    """Reviews with labels and splits, a few repeated (some across splits), some empty, some
    in English (which the language filter drops), written with stray spaces and punctuation."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        if number % 53 == 0:
            text = "The food was cold and the waiter rude, we will not come back here again"
        elif number % 71 == 0:
            text = "   "
        elif number % 29 == 0:
            text = "Món ăn  ngon quá !"  # a repeated review
        else:
            text = "  ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 30))) + " ."
        split = rng.choice(["train", "train", "train", "valid", "test"])
        item = {"text": text, "split": split, "label": rng.choice(["pos", "neg", "neutral"])}
        rows.append(json.dumps(item, ensure_ascii=False))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[DataConfig, list[Document]]:
    config = DataConfig(sources=[str(write_corpus(tmp_path / "reviews.jsonl"))], store="on")
    return config, list(load_configured(config).documents)


def words_of(doc: Document) -> list[str]:
    return doc.text.split()


@pytest.mark.timeout(120)
def test_a_raw_store_holds_each_document_as_read(corpus: tuple[DataConfig, list[Document]],
                                                 ) -> None:
    config, documents = corpus
    store = prepare_store(config, None).store
    dataset = StoreDataset(store)
    assert len(dataset) == len(documents)
    for number in (0, 1, 29, 71, len(documents) - 1):
        doc, stored = documents[number], dataset.documents[number]
        assert (stored.label, stored.split) == (doc.label, doc.split)
        assert stored.text == " ".join(words_of(doc))
        assert original_text(store, number) == doc.text  # read again from the file
    in_memory = load_configured(config)
    assert dataset.labels() == in_memory.labels()
    assert dataset.labelled and dataset.split_counts() == in_memory.split_counts()
    assert [d.text for d in dataset.split("valid")] == [
        " ".join(words_of(d)) for d in documents if d.split == "valid"]


@pytest.mark.timeout(120)
def test_the_store_summary_equals_the_in_memory_summary(
        corpus: tuple[DataConfig, list[Document]]) -> None:
    config, _documents = corpus
    store = prepare_store(config, None).store
    mine, theirs = summarize_store(store), summarize(load_configured(config))
    for field in ("documents", "splits", "labels", "lengths", "duplicates", "duplicate_groups",
                  "cross_split_duplicates", "empty", "word_tokens", "joined_tokens",
                  "looks_segmented"):
        assert getattr(mine, field) == getattr(theirs, field), field
    assert mine.duplicates > 0 and mine.cross_split_duplicates > 0 and mine.empty > 0


@pytest.mark.timeout(120)
def test_filters_search_and_orders_select_the_rows_memory_would(
        corpus: tuple[DataConfig, list[Document]]) -> None:
    config, documents = corpus
    rows = StoreRows(prepare_store(config, None).store)
    everything = list(range(len(documents)))
    assert rows.rows().tolist() == everything
    assert rows.rows(label="neg").tolist() == [i for i in everything
                                               if documents[i].label == "neg"]
    assert rows.rows(label="").tolist() == []  # every document is labelled
    assert rows.rows(label="unknown").tolist() == []
    assert rows.rows(label="pos", split="test").tolist() == [
        i for i in everything if documents[i].label == "pos" and documents[i].split == "test"]

    def holding(*needles: str) -> list[int]:
        return [i for i in everything
                if all(any(n in w.lower() for w in words_of(documents[i])) for n in needles)]

    assert rows.rows("ngon").tolist() == holding("ngon") != []
    assert rows.rows("NGON_lành").tolist() == holding("ngon_lành") != []
    assert rows.rows("ngon  thất_vọng").tolist() == holding("ngon", "thất_vọng") != []
    assert rows.rows("zzz").tolist() == []

    lengths = [len(words_of(d)) for d in documents]
    assert rows.rows(sort=("length", True)).tolist() == sorted(everything,
                                                              key=lambda i: -lengths[i])
    assert rows.rows(sort=("length", False)).tolist() == sorted(everything,
                                                               key=lambda i: lengths[i])
    assert rows.rows(sort=("label", False)).tolist() == sorted(
        everything, key=lambda i: documents[i].label or "")
    splits = ["train", "valid", "test"]
    assert rows.rows(split="train", sort=("split", False)).tolist() == [
        i for i in everything if documents[i].split == "train"]
    assert rows.rows(sort=("split", True)).tolist() == sorted(
        everything, key=lambda i: -splits.index(documents[i].split))

    def first_word(i: int) -> str:
        return words_of(documents[i])[0] if words_of(documents[i]) else ""

    assert rows.rows(sort=("text", False)).tolist() == sorted(everything, key=first_word)
    assert rows.rows(sort=("index", True)).tolist() == everything[::-1]
    assert [rows.length(i) for i in everything] == lengths
    assert rows.preview(0).split()[:5] == words_of(documents[0])[:5]


def test_duplicates_are_equal_token_sequences_not_equal_word_bags(tmp_path: Path) -> None:
    """The store's hashed keys count what the in-memory summary counts: reordered words, a
    prefix and a longer text are different documents; copies in other splits are spread."""
    texts = [("món ngon quá", "train"), ("quá ngon món", "train"), ("món ngon quá", "test"),
             ("món ngon", "train"), ("món ngon quá nhé", "valid"), ("món ngon quá", "train"),
             ("ngon", "valid"), ("ngon", "valid")]
    path = tmp_path / "copies.jsonl"
    path.write_text("".join(json.dumps({"text": text, "label": "pn"[n % 2], "split": split},
                                       ensure_ascii=False) + "\n"
                            for n, (text, split) in enumerate(texts)), encoding="utf-8")
    config = DataConfig(sources=[str(path)], store="on")
    store = prepare_store(config, None).store
    mine, theirs = summarize_store(store), summarize(load_configured(config))
    assert (mine.duplicates, mine.duplicate_groups, mine.cross_split_duplicates) == (3, 2, 1)
    assert (theirs.duplicates, theirs.duplicate_groups, theirs.cross_split_duplicates) == (
        3, 2, 1)


def test_a_word_is_looked_up_in_every_lexicon_entry_holding_it(tmp_path: Path) -> None:
    """The lookup over the joined lexicon finds what testing each entry finds: words holding
    the needle twice, at either end, in capitals, and after a word whose lower case is longer
    than itself (a dotted capital I) so that positions in the joined text shift."""
    words = ["İstanbul", "ngonngon", "NGON", "xngon", "ngo", "ngon_lành", "aaa", "n", "İİİ",
             "cơm", "Ngỗng"]
    path = tmp_path / "words.jsonl"
    lines = [json.dumps({"text": " ".join(words[i:] + words[:i]), "label": "pn"[i % 2]},
                        ensure_ascii=False) for i in range(len(words))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = prepare_store(DataConfig(sources=[str(path)], store="on"), None).store
    rows = StoreRows(store)
    for needle in ("ngon", "n", "i̇", "stanbul", "aa", "cơm", "ngỗng", "zz", "ngonngon"):
        expected = [needle in entry.lower() for entry in store.lexicon]
        assert rows.matching_words(needle).tolist() == expected, needle
    assert rows.matching_words("ngon").sum() == 4  # ngonngon, NGON, xngon, ngon_lành


@pytest.mark.timeout(180)
def test_a_cleaned_store_keeps_the_test_split_whole(
        corpus: tuple[DataConfig, list[Document]]) -> None:
    config, _documents = corpus
    cleaning = CleaningConfig()
    store = prepare_store(config, cleaning).store
    result = clean_dataset(load_configured(config), cleaning)
    kept = kept_dataset(store)
    assert len(kept) == len(result.dataset)
    assert [d.text for d in kept.documents] == [d.text for d in result.dataset.documents]
    dropped = dropped_indices(store)
    assert len(dropped) == len(result.report.dropped) > 0
    assert all(store.split(int(i)) != "test" for i in dropped)
    assert kept.split_counts()["test"] == StoreDataset(store).split_counts()["test"]
    assert np.all(store.arrays["drop"][dropped] != 0)


def test_browsing_a_store_never_imports_torch(tmp_path: Path) -> None:
    """Fresh interpreter: preparing a store and reading what the Data tab shows of it must not
    pay torch's import (a C-extension start that held the GIL ~150 ms in the window)."""
    import subprocess
    import sys

    source = write_corpus(tmp_path / "reviews.jsonl", count=60)
    code = (
        "import sys\n"
        "from lstm_studio.core.config import DataConfig\n"
        "from lstm_studio.core.corpus.browse import StoreDataset, StoreRows, summarize_store\n"
        "from lstm_studio.core.corpus.build import prepare_store\n"
        f"store = prepare_store(DataConfig(sources=[{str(source)!r}]), None).store\n"
        "summary = summarize_store(store)\n"
        "rows = StoreRows(store).rows('', None, None, ('text', True))\n"
        "print(summary.documents, len(rows), len(StoreDataset(store).split('train')),\n"
        "      'torch' in sys.modules)\n")
    env = {**os.environ, "LSTM_STUDIO_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env=env, check=False)
    assert result.returncode == 0, result.stderr
    documents, rows, train, torch_loaded = result.stdout.split()
    assert documents == rows == "60" and int(train) > 0
    assert torch_loaded == "False"
