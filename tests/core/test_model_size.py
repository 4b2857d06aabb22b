"""Model size from settings alone: exact parameter shapes, the training memory estimate, and
refusals before anything is allocated (in core and through the command line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from adversarial import cli_error

from lstm_studio.core import model_size
from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.model_size import (
    check_fits,
    estimate_training_memory,
    parameter_count,
    weight_shapes,
)
from lstm_studio.core.models import build_model, count_parameters
from lstm_studio.core.runs import RunStore
from lstm_studio.resources_path import sample_paths

GIB = 1 << 30


@pytest.mark.parametrize("overrides", [
    {}, {"cell": "gru", "num_layers": 2}, {"cell": "rnn", "bidirectional": True},
    {"num_layers": 3, "bidirectional": True, "hidden_size": 7},
    {"task": "lm", "num_classes": 0}, {"task": "lm", "num_classes": 0, "tie_weights": True,
                                       "embedding_dim": 9, "hidden_size": 9},
])
def test_shapes_are_exactly_what_torch_allocates(overrides: dict) -> None:
    config = ModelConfig(**{"vocab_size": 50, "num_classes": 3, "embedding_dim": 6,
                            "hidden_size": 5, **overrides})
    model = build_model(config)
    assert {w.name: w.shape for w in weight_shapes(config)} == \
        {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert parameter_count(config) == count_parameters(model)


def test_the_estimate_grows_with_what_training_holds() -> None:
    model = ModelConfig(vocab_size=20000, num_classes=2)
    base = estimate_training_memory(model, TrainConfig(), 100)
    assert base.parameters == parameter_count(model)
    assert base.weights == base.gradients == 4 * base.parameters
    assert base.optimizer == 2 * base.weights  # Adam's two moments
    assert estimate_training_memory(model, TrainConfig(optimizer="sgd"), 100).optimizer == 0
    assert estimate_training_memory(model, TrainConfig(batch_size=128), 100).activations > \
        base.activations
    assert estimate_training_memory(model, TrainConfig(), 400).activations > base.activations
    on_gpu = estimate_training_memory(model, TrainConfig(), 100, device="cuda")
    assert on_gpu.copies < base.copies  # best and initial copies stay in main memory


def test_check_fits_refuses_with_the_estimate() -> None:
    model = ModelConfig(vocab_size=20000, num_classes=2, hidden_size=1_000_000)
    with pytest.raises(ConfigError) as caught:
        check_fits(model, TrainConfig(), 100, available=16 * GIB)
    message = str(caught.value)
    assert message.startswith("These settings need about ")
    assert "more than the 16.0 GB of memory available" in message
    assert "rnn.weight_hh_l0, 4,000,000 × 1,000,000" in message
    small = check_fits(ModelConfig(vocab_size=100, num_classes=2), TrainConfig(), 50,
                       available=16 * GIB)
    assert small.total < 16 * GIB


def test_build_model_never_hands_absurd_sizes_to_the_allocator() -> None:
    with pytest.raises(ConfigError, match="A model with these settings has"):
        build_model(ModelConfig(vocab_size=20000, num_classes=2, hidden_size=10_000_000))


def test_cli_refuses_a_huge_hidden_size_before_reading_the_data(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "m.safetensors"
    line = cli_error(capsys, ["train", str(tmp_path / "missing.csv"), "--hidden", "1000000",
                              "--out", str(out)])
    assert "These settings need about" in line and "parameters, more than the" in line
    assert not out.exists() and RunStore().list_runs() == []


def test_cli_refuses_a_huge_embedding_once_the_vocabulary_is_known(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_size, "available_memory", lambda device="cpu": 16 * GIB)
    out = tmp_path / "m.safetensors"
    line = cli_error(capsys, ["train", *sample_paths(), "--embedding", "1000000",
                              "--vocab-size", "1000000", "--no-clean", "--out", str(out)])
    assert "These settings need about" in line and "16.0 GB of memory available" in line
    assert "embedding.weight" in line or "rnn.weight_ih_l0" in line
    assert list(tmp_path.iterdir()) == [] and RunStore().list_runs() == []
