"""Reliability and ECE by hand, temperature recovery, the threshold, and storage in the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_fixtures import quick_train_config, sentiment_dataset, small_model_config

from lstm_studio.cli import main
from lstm_studio.core.calibration import (
    choose_threshold,
    decide,
    fit_temperature,
    reliability,
)
from lstm_studio.core.checkpoint import load_checkpoint, save_checkpoint
from lstm_studio.core.config import VocabConfig
from lstm_studio.core.evaluation import evaluate
from lstm_studio.core.pipeline import train_model

torch.set_num_threads(1)


def test_reliability_bins_and_ece_by_hand() -> None:
    probs = torch.tensor([[0.95, 0.05], [0.85, 0.15], [0.32, 0.68], [0.35, 0.65]])
    targets = [0, 1, 1, 0]
    result = reliability(probs, targets, bins=10)
    filled = {round(b["lower"], 1): b for b in result["bins"] if b["count"]}
    assert set(filled) == {0.6, 0.8, 0.9}
    assert filled[0.6]["count"] == 2 and filled[0.6]["accuracy"] == 0.5
    assert filled[0.6]["confidence"] == pytest.approx(0.665)
    assert filled[0.8]["accuracy"] == 0.0 and filled[0.9]["accuracy"] == 1.0
    # ECE = 2/4 * |0.5 - 0.665| + 1/4 * |0 - 0.85| + 1/4 * |1 - 0.95|
    assert result["ece"] == pytest.approx(0.5 * 0.165 + 0.25 * 0.85 + 0.25 * 0.05)
    assert result["max_gap"] == pytest.approx(0.85)


def test_fit_temperature_recovers_an_overconfident_models_scale() -> None:
    generator = torch.Generator().manual_seed(0)
    true_logits = torch.randn(4000, 3, generator=generator) * 2
    targets = torch.multinomial(torch.softmax(true_logits, 1), 1, generator=generator).squeeze(1)
    temperature = fit_temperature(true_logits * 3.0, targets)  # three times too confident
    assert temperature == pytest.approx(3.0, rel=0.1)
    calibrated = reliability(torch.softmax(true_logits * 3.0 / temperature, 1), targets)["ece"]
    assert calibrated < reliability(torch.softmax(true_logits * 3.0, 1), targets)["ece"] / 2


def test_the_threshold_maximises_macro_f1_and_decide_applies_it() -> None:
    # P(second) for 6 documents; the best cut-off separating the labels is 0.3.
    positive = torch.tensor([0.1, 0.2, 0.3, 0.35, 0.6, 0.9])
    probs = torch.stack([1 - positive, positive], 1)
    targets = [0, 0, 1, 1, 1, 1]
    threshold = choose_threshold(probs, targets)
    assert threshold == pytest.approx(0.3)
    assert decide(probs, {"threshold": threshold}).tolist() == targets
    assert decide(probs, {}).tolist() == [0, 0, 0, 0, 1, 1]  # argmax without it


def test_calibration_is_fitted_on_validation_stored_and_applied(tmp_path: Path) -> None:
    dataset = sentiment_dataset(80, 40, 40)
    result = train_model(dataset, VocabConfig(), small_model_config(),
                         quick_train_config(epochs=2, temperature_scaling=True,
                                            tune_threshold=True), record_run=False)
    stored = result.bundle.calibration
    assert stored["fitted_on"] == "valid" and stored["documents"] == 40
    assert stored["temperature"] > 0 and stored["threshold"] is not None
    assert 0 <= stored["ece_after"] <= 1 and 0 <= stored["ece_before"] <= 1
    assert result.quality["calibration"] == stored
    assert "ece" in result.test["calibration"]

    loaded = load_checkpoint(save_checkpoint(result.bundle, tmp_path / "m.safetensors"))
    assert loaded.calibration == pytest.approx(stored)
    text = "the food was great"
    ids = torch.tensor([loaded.prepare(text).ids])
    with torch.no_grad():
        logits = loaded.model(ids, torch.tensor([ids.shape[1]]))[0]
    expected = torch.softmax(logits / stored["temperature"], 0)
    probabilities = loaded.predict(text)
    assert [probabilities[label] for label in loaded.labels] == pytest.approx(expected.tolist())
    positive = probabilities[loaded.labels[1]]
    assert loaded.label_for(probabilities) == (loaded.labels[1]
                                               if positive >= stored["threshold"]
                                               else loaded.labels[0])
    again = evaluate(loaded, dataset.split("test"), clean=False)
    assert again["accuracy"] == pytest.approx(result.test["accuracy"])


def test_eval_prints_the_reliability_table_and_the_stored_calibration(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    lines = [f"__label__{d.label} {d.text}" for d in sentiment_dataset(60, 20, 20).documents]
    data = tmp_path / "all.txt"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = tmp_path / "m.safetensors"
    assert main(["train", str(data), "--lang", "any", "--epochs", "1", "--embedding", "8",
                 "--hidden", "8", "--calibrate", "--no-record", "--out", str(model),
                 "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["calibration"]["temperature"] > 0
    assert main(["eval", str(model), str(data)]) == 0
    out = capsys.readouterr().out
    assert "reliability (confidence of the predicted class)" in out
    assert "expected calibration error" in out and "stored calibration: temperature" in out
    assert main(["eval", str(model), str(data), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert 0 <= metrics["calibration"]["ece"] <= 1 and len(metrics["calibration"]["bins"]) == 10
