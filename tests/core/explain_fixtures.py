"""Small model bundles for the explain tests (no test here)."""

from __future__ import annotations

import torch

from lstm_studio.core.checkpoint import ModelBundle
from lstm_studio.core.config import ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.models import build_model
from lstm_studio.core.vocab import Vocabulary

WORDS = ["món", "ăn", "rất", "ngon", "phục_vụ", "chậm", "quá", "không", "thích", "quán", "này",
         "đẹp", "nhưng", "giá", "cao", "lắm", "nhân_viên", "dễ_thương", "sẽ", "quay", "lại"]


def bundle(seed: int = 0, scale: float = 1.0, **overrides) -> ModelBundle:
    """An untrained classifier (or language model with task='lm') over WORDS."""
    task = overrides.get("task", "classify")
    vocab_config = VocabConfig(lm_specials=task == "lm")
    vocab = Vocabulary.build([" ".join(WORDS)], vocab_config)
    fields = {"cell": "lstm", "embedding_dim": 8, "hidden_size": 6, "vocab_size": len(vocab),
              "num_classes": 0 if task == "lm" else 3, **overrides}
    config = ModelConfig(**fields)
    torch.manual_seed(seed)
    model = build_model(config).eval()
    with torch.no_grad():  # a scale > 1 pushes the outputs away from uniform
        for name, param in model.named_parameters():
            if name != "embedding.weight":
                param.mul_(scale)
        model.embedding.weight[0] = 0.0
    labels = [] if task == "lm" else ["neg", "neu", "pos"]
    return ModelBundle(model=model, model_config=config, train_config=TrainConfig(),
                       vocab_config=vocab_config, vocab=vocab, labels=labels)
