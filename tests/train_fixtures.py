"""Tiny synthetic datasets and models shared by the training-engine tests (no test here)."""

from __future__ import annotations

import random
from pathlib import Path

import torch

from lstm_studio.core.config import ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document

POSITIVE = ["good", "great", "tasty", "nice", "love"]
NEGATIVE = ["bad", "awful", "dirty", "slow", "hate"]
FILLER = ["the", "food", "was", "and", "a", "place", "staff", "very"]
POEM = "trăm năm trong cõi người ta chữ tài chữ mệnh khéo là ghét nhau"


def sentiment_documents(count: int, seed: int = 0, split: str = "train",
                        min_len: int = 3, max_len: int = 12) -> list[Document]:
    """Filler words plus one sentiment word: learnable, with varied lengths."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        label = "pos" if i % 2 == 0 else "neg"
        words = [rng.choice(FILLER) for _ in range(rng.randint(min_len, max_len))]
        words.insert(rng.randrange(len(words) + 1), rng.choice(POSITIVE if label == "pos"
                                                              else NEGATIVE))
        docs.append(Document(" ".join(words), label, split, f"synthetic:{split}:{i}"))
    return docs


def sentiment_dataset(train: int = 120, valid: int = 40, test: int = 40) -> Dataset:
    return Dataset(sentiment_documents(train, 1, "train") + sentiment_documents(valid, 2, "valid")
                   + sentiment_documents(test, 3, "test"))


def small_model_config(**overrides) -> ModelConfig:
    base = {"embedding_dim": 12, "hidden_size": 10}
    base.update(overrides)
    return ModelConfig(**base)


def quick_train_config(**overrides) -> TrainConfig:
    base = {"epochs": 3, "batch_size": 16, "lr": 0.01, "seed": 0}
    base.update(overrides)
    return TrainConfig(**base)


def vocab_config(**overrides) -> VocabConfig:
    return VocabConfig(**overrides)


def one_thread() -> None:
    torch.set_num_threads(1)


def write_split_files(folder: Path, splits: tuple[tuple[str, int, int], ...]) -> list[str]:
    """One fastText file per (split, documents, seed), named `<split>.txt` so the split rule
    reads the split from the name; returns their paths (the sources of a command line)."""
    paths = []
    for split, count, seed in splits:
        path = folder / f"{split}.txt"
        lines = [f"__label__{d.label} {d.text}" for d in sentiment_documents(count, seed, split)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(str(path))
    return paths
