"""Run by tests/core/test_distributed.py under torchrun (not a test module itself): one
training step of a classifier and of a language model, in whatever processes torchrun
started; the main process writes the weights after the step to the JSON file argv[1]."""

from __future__ import annotations

import json
import random
import sys

import torch

from lstm_studio.core.batching import EncodedSet, encode_classification, encode_lm
from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.distributed import launched_by_torchrun, start_world
from lstm_studio.core.models import build_model
from lstm_studio.core.trainer import Trainer

VOCAB = 40


def batch_of(task: str) -> EncodedSet:
    """Nine sequences of different lengths: one batch, split 5 + 4 between two processes
    (and unevenly in tokens for the language model)."""
    rng = random.Random(7)
    ids = [[rng.randrange(4, VOCAB) for _ in range(rng.randint(2, 14))] for _ in range(9)]
    if task == "lm":
        return encode_lm(ids, 2, 3, None)
    return encode_classification(ids, [i % 3 for i in range(9)], None)


def one_step(task: str, world) -> dict[str, list]:
    torch.manual_seed(0)
    model = build_model(ModelConfig(
        task=task, cell="lstm", embedding_dim=8, hidden_size=6, num_layers=2,
        bidirectional=task == "classify", pooling="mean", vocab_size=VOCAB,
        num_classes=3 if task == "classify" else 0))
    # Plain SGD: the step is the averaged gradient itself (Adam divides by |g| + 1e-8, which
    # turns float noise in near-zero gradient entries into visible weight differences).
    config = TrainConfig(epochs=1, batch_size=9, lr=0.5, threads=1, optimizer="sgd")
    trainer = Trainer(model, config, batch_of(task), None, ["a", "b", "c"], world=world)
    result = trainer.fit()
    assert trainer.state.global_step == 1, trainer.state.global_step
    return {"weights": {key: value.tolist() for key, value in model.state_dict().items()},
            "loss": result.history[0]["train_loss"]}


def main() -> None:
    world = start_world("cpu") if launched_by_torchrun() else None
    results = {task: one_step(task, world) for task in ("classify", "lm")}
    if world is None or world.is_main:
        with open(sys.argv[1], "w", encoding="utf-8") as handle:
            json.dump({"processes": world.size if world else 1, **results}, handle)
    if world is not None:
        world.close()


if __name__ == "__main__":
    main()
