"""The prediction after each word: the last row is the model's own prediction on the sentence."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstm_studio.core.gates import prefix_predictions
from lstm_studio.core.gates.prefix import CHUNK


def _model(**overrides):
    from lstm_studio.core import models
    from lstm_studio.core.config import ModelConfig

    config = ModelConfig(**{"cell": "lstm", "embedding_dim": 4, "hidden_size": 3,
                            "vocab_size": 20, "num_classes": 3, **overrides})
    torch.manual_seed(11)
    return models.build_model(config).eval()


@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_prefix_matches_the_models_forward(bidirectional: bool) -> None:
    model = _model(bidirectional=bidirectional, pooling="mean")
    ids = torch.tensor([5, 3, 9, 12, 1, 7])
    rows = prefix_predictions(model, ids, labels=["neg", "neu", "pos"])
    assert [r.position for r in rows] == list(range(6))
    for t, row in enumerate(rows):
        with torch.no_grad():
            probs = torch.softmax(model(ids[None, : t + 1], torch.tensor([t + 1])), dim=-1)[0]
        assert list(row.probabilities) == ["neg", "neu", "pos"]
        assert list(row.probabilities.values()) == pytest.approx(probs.tolist(), abs=1e-6)


def test_bare_modules_with_head_and_long_sentences_use_chunks() -> None:
    torch.manual_seed(2)
    gru = nn.GRU(3, 4, bidirectional=True, batch_first=True)
    head = nn.Linear(8, 2)
    x = torch.randn(CHUNK + 5, 3)
    rows = prefix_predictions(gru, x, head=head)
    for t in (0, CHUNK - 1, CHUNK, CHUNK + 4):
        with torch.no_grad():
            _, h_n = gru(x[None, : t + 1])
            probs = torch.softmax(head(torch.cat([h_n[-2], h_n[-1]], dim=1)), dim=-1)[0]
        assert list(rows[t].probabilities.values()) == pytest.approx(probs.tolist(), abs=1e-6)
    assert rows[0].best[0] in {"0", "1"}


def test_language_model_gives_top_k_next_words() -> None:
    model = _model(task="lm", num_classes=0)
    ids = torch.tensor([2, 8, 4])
    rows = prefix_predictions(model, ids, k=4)
    assert len(rows) == 3 and all(len(r.probabilities) == 4 for r in rows)
    with torch.no_grad():
        probs = torch.softmax(model(ids[None], torch.tensor([3]))[0, 1], dim=-1)
    best = int(probs.argmax())
    assert rows[1].best == (str(best), pytest.approx(float(probs[best]), abs=1e-6))
