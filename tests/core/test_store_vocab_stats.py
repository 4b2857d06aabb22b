"""The Vocabulary tab's figures counted from a token store equal those `vocabulary_stats`
computes from the same documents' texts: vocabulary, OOV rate, coverage and its curve,
training lengths and labels, with and without cleaning and a validation split."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.config import CleaningConfig, DataConfig, VocabConfig
from lstm_studio.core.corpus import vocab_stats
from lstm_studio.core.corpus.browse import store_filtered_splits
from lstm_studio.core.corpus.build import prepare_store
from lstm_studio.core.corpus.vocab_stats import (
    store_vocabulary_stats,
    train_label_counts,
    vocab_documents,
)
from lstm_studio.core.dataset import Document
from lstm_studio.core.readers import load_sources
from lstm_studio.core.vocab import VocabStats, Vocabulary, vocabulary_stats

WORDS = ("món", "ăn", "ngon", "quá", "nhân_viên", "phục_vụ", "thân_thiện", "giá", "rẻ",
         "không", "đẹp", "sẽ", "quay", "lại", "đồ", "uống", "dở", "tệ", "chán", "thất_vọng",
         "bẩn", "chậm", "đắt", "bao_giờ", "Ngon", "<unk>")
ENGLISH = "The food was great and the staff were very friendly indeed"


def write_corpus(path: Path, splits: tuple[str, ...], count: int = 600) -> Path:
    """Reviews with a Zipf-like word choice (so a minimum frequency cuts words), some in
    English (the language filter drops them), some empty after cleaning, a literal <unk>."""
    rng = random.Random(11)
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    rows = []
    for number in range(count):
        if number % 53 == 0:
            text = ENGLISH
        elif number % 71 == 0:
            text = "!!! ..."
        else:
            words = rng.choices(WORDS, weights, k=rng.randint(1, 30))
            rare = "hiếm" + "".join(rng.choices("abcdeghiklmn", k=4))
            words += [rare] * rng.randint(0, 2)
            text = " ".join(words) + rng.choice(["", " !", " , ngon ."])
        rows.append(json.dumps({"text": text, "label": rng.choice(["pos", "neg", "neutral"]),
                                "split": rng.choice(splits)}, ensure_ascii=False))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def in_memory(documents: list[Document], config: VocabConfig
              ) -> tuple[Vocabulary, VocabStats, Counter]:
    """What the Vocabulary tab computes from texts in memory."""
    train = [d.text for d in documents if d.split == "train"]
    valid = [d.text for d in documents if d.split == "valid"]
    if not train:
        train = [d.text for d in documents]
    vocab = Vocabulary.build(train, config)
    labels = Counter(d.label for d in documents if d.split == "train" and d.label is not None)
    return vocab, vocabulary_stats(vocab, train, valid), labels


SPLIT_CHOICES = {
    "with a valid split": ("train", "train", "train", "valid", "test"),
    "without a valid split": ("train", "train", "test"),
    "without a train split": ("valid", "test"),
}
CLEANING = {
    "raw": None,
    "cleaned": CleaningConfig(segment="off"),
    "filtering valid too": CleaningConfig(segment="off", filter_splits=["train", "valid"]),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("cleaning", list(CLEANING))
@pytest.mark.parametrize("splits", list(SPLIT_CHOICES))
def test_the_store_figures_equal_the_in_memory_ones(tmp_path: Path, splits: str,
                                                   cleaning: str) -> None:
    path = write_corpus(tmp_path / "reviews.jsonl", SPLIT_CHOICES[splits])
    data = DataConfig(sources=[str(path)], store="on")
    clean = CLEANING[cleaning]
    dataset = load_sources(data.sources, data)
    if clean is not None:
        dataset = clean_dataset(dataset, clean, workers=1).dataset
    store = prepare_store(data, clean, workers=1).store
    filters = store_filtered_splits(store)
    for config in (VocabConfig(), VocabConfig(min_freq=3), VocabConfig(max_size=12),
                   VocabConfig(min_freq=2, lm_specials=True)):
        vocab, stats, labels = in_memory(list(dataset.documents), config)
        stored_vocab, stored = store_vocabulary_stats(store, config, filters)
        assert stored_vocab.itos == vocab.itos
        assert stored.size == stats.size
        assert stored.oov_rate == stats.oov_rate
        assert stored.coverage == stats.coverage
        assert stored.coverage_curve == stats.coverage_curve
        assert stored.lengths == stats.lengths
        assert stored.suggested_max_len == stats.suggested_max_len
    assert train_label_counts(store, filters) == labels
    if splits == "with a valid split":
        assert 0 < stats.oov_rate < 1  # the rare words are unknown on validation
    if splits == "without a valid split":
        assert stats.oov_rate == 0.0  # the tab holds nothing out


@pytest.mark.timeout(60)
def test_the_store_picks_the_documents_the_tab_shows_as_examples(tmp_path: Path) -> None:
    path = write_corpus(tmp_path / "reviews.jsonl", SPLIT_CHOICES["with a valid split"])
    data = DataConfig(sources=[str(path)], store="on")
    clean = CleaningConfig(segment="off")
    documents = clean_dataset(load_sources(data.sources, data), clean, workers=1).dataset
    store = prepare_store(data, clean, workers=1).store
    train, valid = vocab_documents(store, store_filtered_splits(store))
    assert [store.text(i) for i in valid] == [
        " ".join(d.text.split()) for d in documents.documents if d.split == "valid"]
    assert [store.text(i) for i in train[:30]] == [
        " ".join(d.text.split()) for d in documents.documents if d.split == "train"][:30]


@pytest.mark.timeout(60)
def test_the_written_training_counts_spare_a_counting_pass(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_corpus(tmp_path / "reviews.jsonl", SPLIT_CHOICES["with a valid split"])
    data = DataConfig(sources=[str(path)], store="on")
    store = prepare_store(data, CleaningConfig(segment="off"), workers=1).store
    filters = store_filtered_splits(store)
    assert store.train_counts(filters) is not None
    counted: list[int] = []
    real = vocab_stats.count_words

    def counting(store_: object, indices: np.ndarray) -> np.ndarray:
        counted.append(len(indices))
        return real(store_, indices)  # type: ignore[arg-type]

    monkeypatch.setattr(vocab_stats, "count_words", counting)
    store_vocabulary_stats(store, VocabConfig(), filters)
    _, valid = vocab_documents(store, filters)
    assert counted == [len(valid)]  # the validation split only
