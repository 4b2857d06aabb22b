"""NaN and divergence: the kept weights are verified ones, saved, and really usable.

A forced NaN (a training-mode forward that returns NaN at a chosen call) and the issue's own
case (SGD with a learning rate of 1e38) both end with a saved model whose validation loss is
finite and equals the loss reported for the weights that were restored.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from train_fixtures import quick_train_config, sentiment_dataset, small_model_config

from lstm_studio.cli import main
from lstm_studio.core.checkpoint import load_checkpoint
from lstm_studio.core.config import ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.evaluation import evaluate
from lstm_studio.core.models import RecurrentModel, build_model
from lstm_studio.core.nan_guard import MAX_INTERVAL, LastGoodState, snapshot_interval
from lstm_studio.core.optimizers import make_optimizer
from lstm_studio.core.pipeline import train_model
from lstm_studio.resources_path import sample_paths

torch.set_num_threads(1)


def poison_training_forward(monkeypatch: pytest.MonkeyPatch, calls: set[int]) -> list[int]:
    """Make the training forward passes numbered in `calls` (1-based) return NaN logits."""
    original = RecurrentModel.forward
    seen = [0]

    def forward(self, ids, lengths):
        logits = original(self, ids, lengths)
        if not self.training:
            return logits
        seen[0] += 1
        return logits * float("nan") if seen[0] in calls else logits

    monkeypatch.setattr(RecurrentModel, "forward", forward)
    return seen


def test_a_forced_nan_saves_the_restored_weights_with_their_finite_validation_loss(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    poison_training_forward(monkeypatch, {12})  # epoch 2 of 8 steps per epoch
    dataset = sentiment_dataset(120, 40, 40)
    out = tmp_path / "model.safetensors"
    result = train_model(dataset, VocabConfig(), small_model_config(),
                         quick_train_config(epochs=3, lr=0.05), out_path=str(out),
                         record_run=False)
    assert result.status == "failed"
    assert "epoch 2, step 4" in result.message and "NaN" in result.message
    recovered = result.recovered
    assert recovered is not None and recovered["restored_step"] == 10
    assert "(after step 10)" in result.message and "Kept the restored weights" in result.message
    assert math.isfinite(recovered["valid_loss"])
    # the file holds exactly those weights: scored again from disk, same loss
    saved = load_checkpoint(out)
    again = evaluate(saved, dataset.split("valid"))
    assert again["loss"] == pytest.approx(recovered["valid_loss"], rel=1e-5)
    assert result.valid["loss"] == pytest.approx(recovered["valid_loss"], rel=1e-5)
    assert saved.info["status"] == "failed" and saved.info["recovered"]["restored_step"] == 10


def test_backoff_lowers_the_rate_and_finishes(monkeypatch: pytest.MonkeyPatch) -> None:
    poison_training_forward(monkeypatch, {5})
    events: list = []
    result = train_model(sentiment_dataset(120, 40, 0), VocabConfig(), small_model_config(),
                         quick_train_config(epochs=2, lr=0.05, on_nan="backoff"),
                         on_event=events.append, record_run=False)
    assert result.status == "finished" and len(result.history) == 2
    assert "retry 1 of 3" in result.message and "lowered to 0.005" in result.message
    rates = [event.lr for event in events if type(event).__name__ == "StepEvent"]
    assert rates[:4] == [0.05] * 4 and all(r == pytest.approx(0.005) for r in rates[4:])
    assert len(rates) == 15  # one of the 16 steps was undone, not counted


def test_backoff_gives_up_after_its_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    poison_training_forward(monkeypatch, set(range(3, 100)))
    result = train_model(sentiment_dataset(120, 40, 0), VocabConfig(), small_model_config(),
                         quick_train_config(epochs=2, on_nan="backoff", nan_retries=2),
                         record_run=False)
    assert result.status == "failed"
    assert "retry 2 of 2" in result.message and "after 2 lower learning rates" in result.message
    assert all(torch.isfinite(p).all() for p in result.bundle.model.parameters())
    assert math.isfinite(result.valid["loss"])


def test_the_issues_huge_learning_rate_exits_1_with_a_usable_saved_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.safetensors"
    code = main(["train", *sample_paths(), "--optimizer", "sgd", "--lr", "1e38", "--epochs", "2",
                 "--no-clean", "--no-record", "--json", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    data = json.loads(captured.out)
    assert data["status"] == "failed" and "became" in data["message"]
    assert math.isfinite(data["valid"]["loss"])
    assert data["recovered"]["restored_step"] >= 0
    assert main(["eval", str(out), *sample_paths(), "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert math.isfinite(scored["loss"])


def test_the_guard_restores_weights_and_adam_state_exactly() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(vocab_size=30, num_classes=2, embedding_dim=6,
                                    hidden_size=5))
    optimizer = make_optimizer(model, TrainConfig(lr=0.1))
    guard = LastGoodState(model, optimizer)
    ids, lengths = torch.randint(1, 30, (4, 7)), torch.full((4,), 7)

    def step() -> None:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(ids, lengths), torch.tensor([0, 1, 0, 1])) \
            .backward()
        optimizer.step()

    step()
    guard.stepped(1)
    assert guard.interval == 1 and guard.offer() and guard.step == 1
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    moments = {i: {k: v.clone() for k, v in s.items()}
               for i, s in optimizer.state_dict()["state"].items()}
    for number in (2, 3):
        step()
        guard.stepped(number)
    optimizer.param_groups[0]["lr"] = 7.0
    assert guard.restore() == 1 and guard.current == 1
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())
    for index, state in optimizer.state_dict()["state"].items():
        assert all(torch.equal(v, moments[index][k]) for k, v in state.items())
    assert optimizer.param_groups[0]["lr"] == 0.1
    step()  # and training goes on from there
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_the_guard_refuses_to_keep_non_finite_weights() -> None:
    model = build_model(ModelConfig(vocab_size=10, num_classes=2, embedding_dim=4,
                                    hidden_size=3))
    guard = LastGoodState(model, make_optimizer(model, TrainConfig()))
    with torch.no_grad():
        model.head.bias[0] = float("inf")
    assert not guard.finite() and not guard.offer() and guard.step is None


def test_snapshot_interval_grows_with_the_model_and_is_capped() -> None:
    assert snapshot_interval(100_000) == 1
    assert snapshot_interval(32 * 1024 * 1024) == 16  # the NTC-SCV default model with Adam
    assert snapshot_interval(10**12) == MAX_INTERVAL


def test_nan_policy_settings_are_validated() -> None:
    from lstm_studio.core.config import validate_training

    for bad in ({"on_nan": "retry"}, {"nan_retries": -1}, {"nan_backoff": 1.5}):
        with pytest.raises(ConfigError):
            validate_training(TrainConfig(**bad))
