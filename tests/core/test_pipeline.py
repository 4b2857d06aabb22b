"""train_model: held-out validation, vocabulary from train only, max length, bad datasets."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from train_fixtures import (
    quick_train_config,
    sentiment_dataset,
    sentiment_documents,
    small_model_config,
)

from lstm_studio.core.config import ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.data_plan import stratified_holdout
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.errors import ConfigError, DataError
from lstm_studio.core.pipeline import train_model
from lstm_studio.core.vocab import percentile

torch.set_num_threads(1)


def test_without_a_valid_split_a_stratified_tenth_is_held_out() -> None:
    docs = sentiment_documents(100, 1) + sentiment_documents(20, 2, "test")
    result = train_model(Dataset(docs), VocabConfig(), small_model_config(),
                         quick_train_config(epochs=1), record_run=False)
    assert "10%" in result.message and "held out" in result.message
    assert result.valid["documents"] == 10
    assert result.valid["per_class"]["pos"]["support"] == 5
    assert result.test["documents"] == 20


def test_stratified_holdout_is_seeded_and_keeps_label_ratios() -> None:
    docs = [Document(f"d{i}", "a" if i < 90 else "b", "train", str(i)) for i in range(100)]
    keep, held = stratified_holdout(docs, 0.1, seed=1)
    assert Counter(d.label for d in held) == {"a": 9, "b": 1}
    assert all(d.split == "valid" for d in held) and len(keep) == 90
    assert held == stratified_holdout(docs, 0.1, seed=1)[1]
    assert held != stratified_holdout(docs, 0.1, seed=2)[1]


def test_vocabulary_comes_from_the_training_split_only() -> None:
    dataset = sentiment_dataset(40, 10, 10)
    extra = Document("zebra good", "pos", "test", "t")
    dataset = dataset.with_documents([*dataset.documents, extra,
                                      Document("yak bad", "neg", "valid", "v")])
    result = train_model(dataset, VocabConfig(), small_model_config(),
                         quick_train_config(epochs=1), record_run=False)
    assert "zebra" not in result.bundle.vocab.stoi and "yak" not in result.bundle.vocab.stoi
    assert "good" in result.bundle.vocab.stoi


def test_max_len_defaults_to_the_95th_percentile() -> None:
    result = train_model(sentiment_dataset(60, 10, 0), VocabConfig(), small_model_config(),
                         quick_train_config(epochs=1), record_run=False)
    lengths = [len(d.text.split()) for d in sentiment_dataset(60, 10, 0).split("train")]
    assert result.bundle.max_len == percentile(lengths, 0.95)
    assert "95th percentile" in result.message
    configured = train_model(sentiment_dataset(60, 10, 0), VocabConfig(max_len=5),
                             small_model_config(), quick_train_config(epochs=1),
                             record_run=False)
    assert configured.bundle.max_len == 5


def test_datasets_a_classifier_cannot_use() -> None:
    one_label = Dataset([Document("good food", "pos", "train", str(i)) for i in range(10)])
    with pytest.raises(DataError, match="only one label"):
        train_model(one_label, VocabConfig(), ModelConfig(), TrainConfig(), record_run=False)
    with pytest.raises(DataError, match="no training documents"):
        train_model(Dataset([Document("x", "a", "test", "1")]), VocabConfig(), ModelConfig(),
                    TrainConfig(), record_run=False)
    unlabelled = Dataset([Document("x y", None, "train", str(i)) for i in range(5)])
    with pytest.raises(DataError, match="no label"):
        train_model(unlabelled, VocabConfig(), ModelConfig(), TrainConfig(), record_run=False)
    with pytest.raises(ConfigError, match="bidirectional"):
        train_model(unlabelled, VocabConfig(), ModelConfig(task="lm", bidirectional=True),
                    TrainConfig(), record_run=False)


def test_language_model_task_end_to_end(tmp_path) -> None:
    from train_fixtures import POEM

    from lstm_studio.core.checkpoint import load_checkpoint

    docs = [Document(POEM, None, "train", str(i)) for i in range(10)]
    result = train_model(Dataset(docs), VocabConfig(), ModelConfig(
        task="lm", cell="lstm", embedding_dim=16, hidden_size=16),
        quick_train_config(epochs=12, lr=0.03), out_path=str(tmp_path / "lm.safetensors"),
        record_run=False)
    assert result.bundle.vocab.bos_id is not None and result.bundle.vocab.eos_id is not None
    assert result.history[-1]["valid_perplexity"] < result.history[0]["valid_perplexity"]
    assert result.valid["perplexity"] < 3
    loaded = load_checkpoint(result.checkpoint_path)
    assert loaded.next_word_distribution("trăm năm trong", 1)[0][0] == "cõi"
