"""Acceptance on the real NTC-SCV zips: the token store changes nothing (same seed, same
vocabulary, same batches, same accuracy). Slow: cleans and trains twice; skips without the
zips (../shared/data/ntc-scv)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
)
from lstm_studio.core.corpus.choice import load_for_training
from lstm_studio.core.pipeline import train_model


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ntc_scv_trains_the_same_from_the_store_as_from_memory(ntc_scv_zips: list[Path]) -> None:
    torch.set_num_threads(2)
    sources = [str(path) for path in ntc_scv_zips]
    cleaning = CleaningConfig()
    memory = load_for_training(DataConfig(sources=sources, store="off"), cleaning)
    stored = load_for_training(DataConfig(sources=sources, store="on"), cleaning)
    assert stored.cleaning == memory.cleaning  # the same decisions (segmentation included)
    assert stored.dropped == memory.dropped and stored.kept == memory.kept
    model = ModelConfig(embedding_dim=32, hidden_size=32)
    train = TrainConfig(epochs=1, max_len=60, seed=7, threads=2, batch_size=128)
    vocab = VocabConfig(max_size=8000)
    results = []
    for prepared in (memory, stored):
        result = train_model(prepared.corpus, vocab, model, train, prepared.cleaning,
                             record_run=False)
        results.append(result)
    a, b = results
    assert b.bundle.vocab.itos == a.bundle.vocab.itos
    assert [e["train_loss"] for e in b.history] == [e["train_loss"] for e in a.history]
    assert b.valid is not None and a.valid is not None and b.test is not None
    assert a.test is not None and b.test["documents"] == a.test["documents"] == 10_000
    assert b.valid["accuracy"] == a.valid["accuracy"]
    assert b.test["accuracy"] == a.test["accuracy"] and b.test["macro_f1"] == a.test["macro_f1"]
