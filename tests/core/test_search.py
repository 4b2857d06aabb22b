"""The settings search: trials recorded as runs, pruning, stop, budget and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from lstm_studio.cli import main
from lstm_studio.core.config import ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.progress import Progress
from lstm_studio.core.readers import load_sources
from lstm_studio.core.runs import RunStore
from lstm_studio.resources_path import sample_paths

optuna = pytest.importorskip("optuna")

from lstm_studio.core.search import (  # noqa: E402
    SPACE,
    PruneCallback,
    apply_params,
    run_search,
)

torch.set_num_threads(1)

# The declared space with small sizes, so a trial takes a fraction of a second.
SMALL = {**SPACE, "hidden_size": ("choice", [8, 16]), "num_layers": ("choice", [1]),
         "batch_size": ("choice", [32, 64])}


def sample_dataset():
    return load_sources(sample_paths("reviews"))


def base_configs() -> tuple[VocabConfig, ModelConfig, TrainConfig]:
    return (VocabConfig(), ModelConfig(embedding_dim=8, hidden_size=8),
            TrainConfig(epochs=1, threads=1))


def test_three_trials_on_the_sample_are_three_recorded_runs() -> None:
    vocab, model, train = base_configs()
    seen = []
    result = run_search(sample_dataset(), vocab, model, train, trials=3, name="t",
                        space=SMALL, on_trial=seen.append)
    assert [t.number for t in result.trials] == [1, 2, 3] and seen == result.trials
    assert all(t.state == "complete" and t.value is not None for t in result.trials)
    runs = {r.run_id: r for r in RunStore().list_runs()}
    assert len(runs) == 3
    assert sorted(r.name for r in runs.values()) == ["t · trial 1", "t · trial 2", "t · trial 3"]
    best = result.best
    assert best is not None and best.value == max(t.value for t in result.trials)
    record = runs[best.run_id]
    assert record.model_config["hidden_size"] == best.params["hidden_size"]
    assert record.train_config["class_weight"] == best.params["class_weight"]
    configs = result.best_configs()
    assert configs is not None
    best_model, best_train = configs
    assert best_model.cell == best.params["cell"].removeprefix("bi")
    assert best_model.bidirectional == best.params["cell"].startswith("bi")
    assert best_train.lr == pytest.approx(best.params["lr"], rel=1e-2)
    assert best_train.time_budget_s is None and best_train.max_len is None  # re-runnable
    assert json.loads(json.dumps(result.to_dict()))["best"]["number"] == best.number


def test_apply_params_writes_the_model_and_training_fields() -> None:
    model, train = apply_params(ModelConfig(), TrainConfig(),
                                {"cell": "bigru", "hidden_size": 64, "num_layers": 2,
                                 "dropout": 0.123456, "lr": 0.0012345, "batch_size": 32,
                                 "pooling": "max", "class_weight": "effective"})
    assert (model.cell, model.bidirectional, model.num_layers, model.pooling) == \
        ("gru", True, 2, "max")
    assert model.dropout == 0.12 and train.lr == 0.00123
    assert (train.batch_size, train.class_weight) == (32, "effective")


class FakeTrial:
    def __init__(self, prune_at: int) -> None:
        self.prune_at = prune_at
        self.reported: list[tuple[float, int]] = []

    def report(self, value: float, step: int) -> None:
        self.reported.append((value, step))

    def should_prune(self) -> bool:
        return len(self.reported) >= self.prune_at


def test_pruning_stops_the_trial_after_the_reported_epoch() -> None:
    from lstm_studio.core.pipeline import train_model

    vocab, model, _ = base_configs()
    trial = FakeTrial(prune_at=2)
    prune = PruneCallback(trial)
    result = train_model(sample_dataset(), vocab, model, TrainConfig(epochs=4, threads=1),
                         callbacks=[prune], record_run=False)
    assert result.status == "stopped" and result.epochs == 2 and prune.pruned_at == 2
    assert [step for _, step in trial.reported] == [1, 2]
    assert trial.reported[0][0] == result.history[0]["valid_accuracy"]


def test_stopping_keeps_the_finished_trials() -> None:
    vocab, model, train = base_configs()
    progress = Progress()
    result = run_search(sample_dataset(), vocab, model, train, trials=5, space=SMALL,
                        progress=progress, on_trial=lambda trial: progress.cancel())
    assert result.stopped and len(result.trials) == 1
    assert result.trials[0].state == "complete" and result.best is result.trials[0]


def test_the_budget_ends_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    import lstm_studio.core.search as search

    # start, left before trial 1, trial 1 starts, trial 1 ends, left before trial 2: spent
    clock = iter([0.0, 0.0, 0.5, 3.0, 100.0])
    monkeypatch.setattr(search, "_clock", lambda: next(clock, 100.0))
    vocab, model, train = base_configs()
    result = run_search(sample_dataset(), vocab, model, train, trials=5, budget_s=10,
                        space=SMALL)
    assert len(result.trials) == 1 and result.trials[0].seconds == 2.5
    assert result.trials[0].train_config["time_budget_s"] is None  # the user's, not 10 s


def test_search_command_prints_the_best_trial_as_train_flags(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    import lstm_studio.core.search as search

    monkeypatch.setattr(search, "SPACE", SMALL)
    sample = sample_paths("reviews")[0]
    out = tmp_path / "best.safetensors"
    code = main(["search", sample, "--lang", "any", "--trials", "2", "--epochs", "1",
                 "--embedding", "8",
                 "--hidden", "8", "--threads", "1", "--name", "cli", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and "2 trial(s)" in text and "train flags: --cell" in text
    assert out.is_file()
    assert len(RunStore().list_runs()) == 2
