"""The training loop: events, determinism, overfitting, stop/pause, NaN, early stopping."""

from __future__ import annotations

import threading
import time

import pytest
import torch
from train_fixtures import sentiment_documents

from lstm_studio.core.batching import encode_classification
from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.events import EpochEvent, RunEnded, RunStarted, StepEvent
from lstm_studio.core.models import build_model
from lstm_studio.core.progress import Progress
from lstm_studio.core.trainer import Trainer, resolve_device

torch.set_num_threads(1)


def word_ids(docs) -> tuple[list[list[int]], dict[str, int]]:
    words = sorted({w for d in docs for w in d.text.split()})
    stoi = {w: i + 2 for i, w in enumerate(words)}
    return [[stoi[w] for w in d.text.split()] for d in docs], stoi


def setup(count: int = 64, seed: int = 0, **model_overrides):
    docs = sentiment_documents(count, seed=seed)
    ids, stoi = word_ids(docs)
    data = encode_classification(ids, [0 if d.label == "neg" else 1 for d in docs], None)
    base = {"vocab_size": len(stoi) + 2, "num_classes": 2, "embedding_dim": 12,
            "hidden_size": 10}
    base.update(model_overrides)
    torch.manual_seed(0)
    return build_model(ModelConfig(**base)), data


def run(model, data, valid=None, progress=None, **train_overrides):
    config = {"epochs": 2, "batch_size": 8, "lr": 0.01, "seed": 0}
    config.update(train_overrides)
    events: list = []
    trainer = Trainer(model, TrainConfig(**config), data, valid, ["neg", "pos"], events.append,
                      progress)
    return trainer.fit(), events


def test_events_and_history() -> None:
    model, data = setup()
    result, events = run(model, data, valid=data, epochs=2, batch_size=8)
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunEnded)
    steps = [e for e in events if isinstance(e, StepEvent)]
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    assert events[0].total_steps == len(steps) == 2 * steps[0].steps_per_epoch == 16
    assert [e.global_step for e in steps] == list(range(1, 17))
    assert [e.epoch for e in epochs] == [1, 2]
    assert all(e.tokens_per_s > 0 and e.lr == 0.01 and e.grad_norm >= 0 for e in steps)
    assert epochs[0].valid_accuracy is not None and epochs[0].valid_perplexity is None
    assert result.status == "finished" and result.epochs == 2
    assert [h["epoch"] for h in result.history] == [1, 2]


def test_same_seed_same_losses_and_another_seed_differs() -> None:
    def losses(seed: int) -> list[float]:
        model, data = setup(dropout=0.3)
        _, events = run(model, data, seed=seed, epochs=1)
        return [e.loss for e in events if isinstance(e, StepEvent)]

    assert losses(3) == losses(3)
    assert losses(3) != losses(4)


@pytest.mark.parametrize("cell,optimizer", [("lstm", "adam"), ("gru", "adamw"),
                                            ("rnn", "sgd")])
def test_overfits_a_tiny_dataset_to_zero_error(cell: str, optimizer: str) -> None:
    model, data = setup(count=24, cell=cell, pooling="max")
    lr = 0.5 if optimizer == "sgd" else 0.03
    result, _events = run(model, data, valid=data, epochs=25, batch_size=8, lr=lr,
                         optimizer=optimizer, momentum=0.9 if optimizer == "sgd" else 0.0)
    assert result.history[-1]["valid_accuracy"] == 1.0 or max(
        h["valid_accuracy"] for h in result.history) == 1.0
    model.eval()
    from lstm_studio.core.evaluation import predict_encoded

    probs, _ = predict_encoded(model, data)
    assert probs.argmax(1).tolist() == data.targets  # best weights kept: zero training error


def test_stop_from_another_thread_while_paused() -> None:
    model, data = setup()
    progress = Progress()
    seen = threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, StepEvent) and event.global_step == 3:
            progress.pause()
            seen.set()

    events: list = []
    trainer = Trainer(model, TrainConfig(epochs=50, batch_size=8, lr=0.01), data, data,
                      ["neg", "pos"], lambda e: (events.append(e), on_event(e)), progress)
    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(trainer.fit()))
    thread.start()
    assert seen.wait(30)
    time.sleep(0.3)
    steps_while_paused = sum(isinstance(e, StepEvent) for e in events)
    assert steps_while_paused == 3  # paused between batches: no step ran
    progress.resume()
    time.sleep(0.05)
    progress.cancel()
    thread.join(30)
    assert not thread.is_alive()
    result = outcome[0]
    assert result.status == "stopped" and "Stopped" in result.message
    assert isinstance(events[-1], RunEnded) and events[-1].status == "stopped"
    assert sum(isinstance(e, StepEvent) for e in events) < 50 * 8


def test_pause_then_resume_finishes_the_run() -> None:
    model, data = setup(count=32)
    progress = Progress()
    progress.pause()
    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(
        Trainer(model, TrainConfig(epochs=1, batch_size=8), data, None, ["neg", "pos"],
                None, progress).fit()))
    thread.start()
    time.sleep(0.2)
    assert thread.is_alive() and not outcome
    progress.resume()
    thread.join(30)
    assert outcome[0].status == "finished"


def test_an_infinite_loss_stops_with_a_clear_message_and_keeps_verified_weights() -> None:
    """The 4th loss is infinite, so the weights it was computed from (after 3 updates) are
    suspect; the last verified ones are those the 3rd, finite, loss came from."""
    model, data = setup()
    calls = {"n": 0}
    verified: dict = {}

    def poison(module, inputs, output):
        calls["n"] += 1
        if calls["n"] == 3:
            verified.update({k: v.clone() for k, v in model.state_dict().items()})
        if calls["n"] == 4:
            return output * float("inf")
        return output

    model.head.register_forward_hook(poison)
    result, events = run(model, data, epochs=3)
    assert result.status == "failed"
    assert "infinite" in result.message or "NaN" in result.message
    assert "epoch 1, step 4" in result.message and "(after step 2)" in result.message
    assert result.recovered is not None and result.recovered["restored_step"] == 2
    assert isinstance(events[-1], RunEnded) and events[-1].status == "failed"
    assert sum(isinstance(e, StepEvent) for e in events) == 3
    for key, value in model.state_dict().items():
        assert torch.equal(value, verified[key]), key


def test_a_huge_learning_rate_ends_in_failure_not_garbage() -> None:
    model, data = setup(cell="rnn", nonlinearity="relu")
    result, _ = run(model, data, epochs=30, lr=1e30, optimizer="sgd", grad_clip=None)
    assert result.status == "failed" and "lower learning rate" in result.message
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_early_stopping_restores_the_best_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    model, data = setup()
    scripted = iter([0.6, 0.9, 0.7, 0.65, 0.99])
    snapshots: dict[int, dict] = {}

    def fake_validate(self):
        return {"accuracy": next(scripted), "loss": 0.5, "macro_f1": 0.5}

    monkeypatch.setattr(Trainer, "_validate", fake_validate)

    def on_event(event: object) -> None:
        if isinstance(event, EpochEvent):
            snapshots[event.epoch] = {k: v.clone() for k, v in model.state_dict().items()}

    trainer = Trainer(model, TrainConfig(epochs=5, batch_size=8, early_stopping=2), data, data,
                      ["neg", "pos"], on_event)
    result = trainer.fit()
    assert result.epochs == 4 and result.best_epoch == 2
    assert "Early stopping" in result.message and "best epoch (2)" in result.message
    assert [h["improved"] for h in result.history] == [True, True, False, False]
    for key, value in model.state_dict().items():
        assert torch.equal(value, snapshots[2][key])


def test_plateau_schedule_lowers_the_learning_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    model, data = setup(count=16)
    monkeypatch.setattr(Trainer, "_validate",
                        lambda self: {"accuracy": 0.5, "loss": 1.0, "macro_f1": 0.5})
    result, _ = run(model, data, valid=data, epochs=4, lr=0.01, plateau_schedule=True,
                    plateau_patience=0, plateau_factor=0.5)
    assert [h["lr"] for h in result.history] == pytest.approx([0.01, 0.01, 0.005, 0.0025])


def test_devices_and_invalid_settings() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="cuda"):
            resolve_device("cuda")
    with pytest.raises(ConfigError, match="Unknown device"):
        resolve_device("tpu")
    model, data = setup(count=8)
    with pytest.raises(ConfigError, match="learning rate"):
        run(model, data, lr=0.0)
    with pytest.raises(ConfigError, match="optimizer"):
        run(model, data, optimizer="rmsprop")



def test_a_time_budget_ends_the_run_after_validating_the_partial_epoch() -> None:
    model, data = setup()
    result, events = run(model, data, valid=data, epochs=5, time_budget_s=1e-9)
    assert result.status == "finished" and "time budget" in result.message
    assert result.epochs == 1 and sum(isinstance(e, StepEvent) for e in events) == 1
    assert result.history[0]["valid_accuracy"] is not None
