"""Class weights, over-sampling, the selection metric and the loop following it."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
import torch.nn.functional as F
from train_fixtures import quick_train_config, sentiment_documents, small_model_config

from lstm_studio.core.class_balance import (
    OversampleSampler,
    class_weights,
    imbalance_warning,
    is_imbalanced,
    resolve_selection,
)
from lstm_studio.core.config import TrainConfig, VocabConfig, validate_training_for_task
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.objective import Objective
from lstm_studio.core.pipeline import train_model
from lstm_studio.core.runs import RunStore
from lstm_studio.core.trainer import Trainer

torch.set_num_threads(1)


def test_balanced_weights_are_inverse_frequency_with_mean_one() -> None:
    counts = [46, 4, 50]
    weights = class_weights(counts, "balanced")
    assert weights == pytest.approx([100 / (3 * 46), 100 / (3 * 4), 100 / (3 * 50)])
    assert sum(w * n for w, n in zip(weights, counts, strict=True)) / 100 == pytest.approx(1)
    assert class_weights(counts, "none") is None


def test_effective_weights_follow_the_effective_number_and_are_softer() -> None:
    counts = [4600, 400, 5000]
    weights = class_weights(counts, "effective")
    effective = [(1 - 0.999 ** n) / (1 - 0.999) for n in counts]
    ratio = weights[1] / weights[0]
    assert ratio == pytest.approx(effective[0] / effective[1])
    balanced = class_weights(counts, "balanced")
    assert 1 < ratio < balanced[1] / balanced[0]  # favours the small class, less than balanced
    assert sum(w * n for w, n in zip(weights, counts, strict=True)) / sum(counts) \
        == pytest.approx(1)
    with pytest.raises(ConfigError, match="Unknown class weighting"):
        class_weights(counts, "inverse")


def test_selection_auto_picks_macro_f1_for_an_imbalanced_split_and_says_why() -> None:
    assert is_imbalanced([46, 4, 50]) and not is_imbalanced([45, 55])
    chosen = resolve_selection("auto", "classify", {"neg": 46, "neutral": 4, "pos": 50})
    assert chosen.metric == "macro_f1" and "neutral is 4.0%" in chosen.reason
    assert resolve_selection("auto", "classify", {"neg": 45, "pos": 55}).metric == "accuracy"
    assert resolve_selection("loss", "classify", {"a": 1, "b": 9}).metric == "loss"
    assert resolve_selection("auto", "lm", {}).metric == "loss"


def test_imbalance_warning_names_classes_under_ten_percent() -> None:
    assert imbalance_warning({"neg": 46, "pos": 54}) is None
    assert imbalance_warning({"only": 10}) is None
    text = imbalance_warning({"neg": 460, "neutral": 40, "pos": 500})
    assert text is not None and "neutral 4.0%" in text and "balanced" in text
    assert "neg" not in text.split("training")[0]


def test_oversampling_evens_out_classes_deterministically() -> None:
    targets = [0] * 30 + [1] * 7 + [2] * 3
    lengths = [1 + i % 5 for i in range(len(targets))]
    sampler = OversampleSampler(lengths, targets, batch_size=8, seed=3)
    batches = sampler.batches(1)
    seen = Counter(targets[i] for batch in batches for i in batch)
    assert seen == {0: 30, 1: 30, 2: 30}
    assert set(i for batch in batches for i in batch) == set(range(len(targets)))
    assert batches == OversampleSampler(lengths, targets, 8, 3).batches(1)
    assert sampler.epoch_indices(1) != sampler.epoch_indices(2)
    assert all(len(batch) <= 8 for batch in batches)


def test_weighted_loss_is_the_weighted_mean_of_the_cross_entropy() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    targets = torch.tensor([0, 1, 1])
    objective = Objective("classify", [0.5, 2.0])
    loss, correct = objective.loss(logits, targets)
    each = F.cross_entropy(logits, targets, reduction="none")
    expected = (0.5 * each[0] + 2.0 * each[1] + 2.0 * each[2]) / (0.5 + 2.0 + 2.0)
    assert float(loss) == pytest.approx(float(expected))
    assert int(correct) == 2  # argmax of the tie [1, 1] is class 0


def _scripted_validation(monkeypatch: pytest.MonkeyPatch, script: list[dict]) -> None:
    calls = iter(script)
    monkeypatch.setattr(Trainer, "_validate", lambda self: next(calls))


def _tiny_trainer(selection: str, **train) -> Trainer:
    from lstm_studio.core.batching import encode_classification
    from lstm_studio.core.config import ModelConfig
    from lstm_studio.core.models import build_model

    torch.manual_seed(0)
    model = build_model(ModelConfig(vocab_size=10, num_classes=2, embedding_dim=4,
                                    hidden_size=4))
    data = encode_classification([[2, 3], [4, 5, 6], [7], [8, 9]], [0, 1, 0, 1], None)
    config = TrainConfig(epochs=4, batch_size=2, lr=0.01, **train)
    return Trainer(model, config, data, data, ["a", "b"],
                   objective=Objective("classify", None, selection))


# macro-F1 rises every epoch while accuracy falls and the loss rises: which epoch is kept,
# when early stopping fires and when the plateau schedule lowers the rate all depend on the
# selection metric, and must agree with it.
SCRIPT = [{"accuracy": 0.9 - 0.1 * i, "macro_f1": 0.5 + 0.1 * i, "loss": 0.5 + 0.1 * i}
          for i in range(4)]


def test_macro_f1_selection_drives_best_epoch_early_stopping_and_plateau(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _scripted_validation(monkeypatch, SCRIPT)
    trainer = _tiny_trainer("macro_f1", plateau_schedule=True, plateau_patience=0,
                            early_stopping=1)
    result = trainer.fit()
    assert result.best_epoch == 4 and result.epochs == 4
    assert [h["lr"] for h in result.history] == pytest.approx([0.01] * 4)


def test_accuracy_selection_keeps_the_first_epoch_and_lowers_the_rate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _scripted_validation(monkeypatch, SCRIPT)
    trainer = _tiny_trainer("accuracy", plateau_schedule=True, plateau_patience=0,
                            early_stopping=2)
    result = trainer.fit()
    assert result.best_epoch == 1 and result.epochs == 3  # stopped after 2 stale epochs
    assert [h["lr"] for h in result.history] == pytest.approx([0.01, 0.01, 0.005])


def imbalanced_dataset() -> Dataset:
    docs = [d for i, d in enumerate(sentiment_documents(200, 1)) if d.label == "pos" or i % 10 == 1]
    return Dataset(docs + sentiment_documents(40, 2, "valid") + sentiment_documents(40, 3, "test"))


def test_train_model_reports_the_selection_metric_and_the_kept_epoch() -> None:
    result = train_model(imbalanced_dataset(), VocabConfig(), small_model_config(),
                         quick_train_config(epochs=2, class_weight="balanced"), name="imb")
    assert result.quality["label_counts"] == {"neg": 20, "pos": 100}
    selection = result.quality["selection"]
    assert selection["metric"] == "macro_f1" and "imbalanced" in selection["reason"]
    assert selection["epoch"] == result.bundle.metrics["best_epoch"]
    assert "by validation macro-F1" in result.message
    assert result.quality["class_weights"]["weights"]["neg"] == pytest.approx(120 / 40)
    record = RunStore().get(result.run_id)
    assert record is not None and record.summary["selection"]["metric"] == "macro_f1"
    assert record.summary["selection"]["epoch"] == selection["epoch"]


def test_classifier_only_settings_are_refused_for_a_language_model() -> None:
    validate_training_for_task(TrainConfig(class_weight="balanced"), "classify")
    with pytest.raises(ConfigError, match="Class weighting only applies to classifiers"):
        validate_training_for_task(TrainConfig(class_weight="balanced"), "lm")
    with pytest.raises(ConfigError, match="selected by validation loss"):
        validate_training_for_task(TrainConfig(select="macro_f1"), "lm")
    with pytest.raises(ConfigError, match="selection metric"):
        validate_training_for_task(TrainConfig(select="f1"), "classify")
    docs = [Document("a b c", None, "train", "x")] * 4
    with pytest.raises(ConfigError, match="Oversampling only applies"):
        train_model(Dataset(docs), VocabConfig(), small_model_config(task="lm"),
                    quick_train_config(oversample=True), record_run=False)


def test_oversampling_in_a_run_lengthens_the_epoch_to_balanced_classes() -> None:
    from lstm_studio.core.events import StepEvent

    def steps_per_epoch(**overrides) -> tuple[int, object]:
        seen: list[int] = []
        result = train_model(imbalanced_dataset(), VocabConfig(), small_model_config(),
                             quick_train_config(epochs=1, batch_size=10, **overrides),
                             record_run=False,
                             on_event=lambda e: isinstance(e, StepEvent)
                             and seen.append(e.steps_per_epoch))
        return seen[0], result

    plain, _ = steps_per_epoch()
    over, result = steps_per_epoch(oversample=True)
    # 20 neg + 100 pos training documents: 12 batches of 10; over-sampled 100 + 100: 20
    assert (plain, over) == (12, 20)
    assert result.quality["oversample"] is True and "over-sampled" in result.message
