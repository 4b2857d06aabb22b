"""Model shapes, masking (padding never changes a prediction) and config validation."""

from __future__ import annotations

import itertools

import pytest
import torch

from lstm_studio.core.config import ModelConfig, validate_model
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.models import build_model

torch.set_num_threads(1)

CELLS = ("rnn", "lstm", "gru")


def make(**overrides) -> torch.nn.Module:
    base = {"vocab_size": 30, "num_classes": 3, "embedding_dim": 8, "hidden_size": 6}
    base.update(overrides)
    torch.manual_seed(0)
    return build_model(ModelConfig(**base)).eval()


def padded(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, seqs))
    ids = torch.tensor([s + [0] * (width - len(s)) for s in seqs])
    return ids, torch.tensor([len(s) for s in seqs])


@pytest.mark.parametrize("cell,bidirectional,layers", [
    ("rnn", False, 1), ("lstm", True, 2), ("gru", True, 1), ("lstm", False, 3)])
def test_classifier_and_lm_output_shapes(cell: str, bidirectional: bool, layers: int) -> None:
    ids, lengths = padded([[2, 3, 4], [5, 6], [7, 8, 9, 10, 11]])
    model = make(cell=cell, bidirectional=bidirectional, num_layers=layers)
    assert model(ids, lengths).shape == (3, 3)
    output, _ = model.rnn_outputs(ids, lengths)
    assert output.shape == (3, 5, 6 * (2 if bidirectional else 1))
    lm = make(cell=cell, task="lm", num_layers=layers)
    assert lm(ids, lengths).shape == (3, 5, 30)


@pytest.mark.parametrize("cell,pooling,bidirectional",
                         list(itertools.product(CELLS, ("last", "mean", "max"), (False, True))))
def test_padding_never_changes_a_prediction(cell: str, pooling: str, bidirectional: bool) -> None:
    """The same sentence alone and in a batch with longer ones gives the same logits."""
    model = make(cell=cell, pooling=pooling, bidirectional=bidirectional, num_layers=2)
    sentence = [4, 9, 2]
    alone = model(*padded([sentence]))
    batch = model(*padded([[3, 5, 7, 11, 13, 17, 19, 23], sentence, [6, 6, 6, 6, 6]]))
    torch.testing.assert_close(batch[1], alone[0], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("cell,bidirectional,layers",
                         [("rnn", True, 2), ("lstm", True, 2), ("gru", False, 2),
                          ("lstm", False, 1)])
def test_fast_cpu_route_equals_packed_sequences_at_real_positions(
        cell: str, bidirectional: bool, layers: int) -> None:
    model = make(cell=cell, bidirectional=bidirectional, num_layers=layers,
                 nonlinearity="relu" if cell == "rnn" else "tanh")
    ids, lengths = padded([[3, 5, 7, 11, 13, 17], [4, 9], [2, 8, 6]])
    packed, _ = model.rnn_outputs(ids, lengths)
    fast = model.masked_outputs(ids, lengths)
    for row, length in enumerate(lengths.tolist()):
        torch.testing.assert_close(fast[row, :length], packed[row, :length], atol=1e-6,
                                   rtol=1e-5)


def test_the_lectures_padded_last_output_would_read_padding() -> None:
    """Why packing matters: output[:, -1] of a padded batch differs from the real last state."""
    model = make(cell="rnn", pooling="last")
    ids, _ = padded([[3, 5, 7, 11, 13, 17], [4, 9]])
    embedded = model.embedding(ids)
    naive_last = model.rnn(embedded)[0][1, -1]
    packed_output, _ = model.rnn_outputs(ids, torch.tensor([6, 2]))
    assert not torch.allclose(naive_last, packed_output[1, 1])
    assert torch.all(packed_output[1, 2:] == 0)  # padding positions carry nothing


def test_lm_prediction_of_a_prefix_ignores_what_follows_in_the_batch() -> None:
    model = make(cell="lstm", task="lm")
    alone = model(*padded([[2, 3, 4]]))
    batch = model(*padded([[2, 3, 4], [2, 3, 4, 5, 6, 7]]))
    torch.testing.assert_close(batch[0, :3], alone[0], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(batch[1, :3], alone[0], atol=1e-6, rtol=1e-5)


def test_tied_weights_share_one_parameter() -> None:
    model = make(task="lm", cell="gru", embedding_dim=6, hidden_size=6, tie_weights=True)
    assert model.head.weight is model.embedding.weight
    assert model.embedding.padding_idx == 0


def test_relu_rnn_as_in_the_lecture_demo() -> None:
    model = make(cell="rnn", nonlinearity="relu")
    assert model.rnn.nonlinearity == "relu"
    output, _ = model.rnn_outputs(*padded([[2, 3, 4]]))
    assert torch.all(output >= 0)


@pytest.mark.parametrize("overrides,fragment", [
    ({"task": "lm", "bidirectional": True}, "bidirectional"),
    ({"task": "lm", "tie_weights": True, "embedding_dim": 8, "hidden_size": 6}, "Tied weights"),
    ({"cell": "lstm", "nonlinearity": "relu"}, "relu"),
    ({"cell": "transformer"}, "Unknown cell"),
    ({"pooling": "first"}, "Unknown pooling"),
    ({"num_classes": 1}, "two labels"),
    ({"hidden_size": 0}, "Hidden size"),
    ({"dropout": 1.0}, "Dropout"),
    ({"vocab_size": 1}, "vocabulary"),
    ({"tie_weights": True}, "language models"),
])
def test_validate_model_rejects_invalid_combinations(overrides: dict, fragment: str) -> None:
    base = {"vocab_size": 30, "num_classes": 2}
    base.update(overrides)
    with pytest.raises(ConfigError, match=fragment):
        validate_model(ModelConfig(**base))


def test_presets_build() -> None:
    from lstm_studio.core.config import PRESETS

    for name, preset in PRESETS.items():
        model = build_model(ModelConfig(vocab_size=50, num_classes=2, **preset))
        assert model.config.cell == preset["cell"], name
    lecture = build_model(ModelConfig(vocab_size=50, num_classes=2, **PRESETS["Lecture RNN"]))
    assert (lecture.embedding.embedding_dim, lecture.rnn.hidden_size) == (200, 50)
