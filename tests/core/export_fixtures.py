"""Models with random weights for the export tests (no test here): building one takes
milliseconds, where training would take seconds, and the export must hold for any weights."""

from __future__ import annotations

import random

import torch

from lstm_studio.core.checkpoint import ModelBundle
from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.models import build_model
from lstm_studio.core.vocab import Vocabulary

WORDS = [f"từ_{i}" for i in range(60)]
CLEANING = CleaningConfig(detect_language=False)
LABELS = ["neg", "neu", "pos"]


def text_of(tokens: int, seed: int) -> str:
    """`tokens` known words (some upper-case, a link and an emoji the cleaning removes)."""
    rng = random.Random(seed)
    words = [rng.choice(WORDS) for _ in range(tokens)]
    words[0] = words[0].upper()
    return " ".join(words) + " http://foody.vn/x 😀 !!"


def random_bundle(task: str = "classify", seed: int = 0, max_len: int | None = None,
                  cleaning: CleaningConfig | None = CLEANING, **model: object) -> ModelBundle:
    """A bundle with random weights; the head is scaled up so that probabilities move a lot
    with the pooled state (a wrong step or mask shows as a large difference)."""
    vocab = Vocabulary.build([" ".join(WORDS)], VocabConfig(lm_specials=task == "lm"))
    settings = {"embedding_dim": 10, "hidden_size": 8, **model}
    config = ModelConfig(task=task, vocab_size=len(vocab),
                         num_classes=len(LABELS) if task == "classify" else 0, **settings)
    torch.manual_seed(seed)
    network = build_model(config).eval()
    with torch.no_grad():
        network.head.weight.mul_(4.0)
    labels = LABELS if task == "classify" else []
    return ModelBundle(network, config, TrainConfig(max_len=max_len), VocabConfig(), vocab,
                       labels, cleaning_config=cleaning)
