"""Attribution checked against independent facts: completeness, closed forms, a by-hand loop."""

from __future__ import annotations

import pytest
import torch
from explain_fixtures import bundle

from lstm_studio.core.config import CleaningConfig
from lstm_studio.core.errors import UserError
from lstm_studio.core.explain.attribution import (
    DELTA_FLOOR,
    TOLERANCE,
    adaptive_ig,
    explain,
    gauss_legendre,
    integrated_gradients,
)

torch.set_num_threads(1)
TEXT = "món ăn rất ngon nhưng phục_vụ chậm quá xyz không thích"


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize(("bidirectional", "layers", "pooling"), [
    (False, 1, "last"), (True, 2, "mean"), (True, 1, "max"), (False, 2, "max"),
    (True, 1, "last")])
def test_completeness_for_every_architecture(cell: str, bidirectional: bool, layers: int,
                                             pooling: str) -> None:
    """Σ attributions = f(x) − f(baseline), with f(x) the probability `predict` shows."""
    b = bundle(scale=3.0, cell=cell, bidirectional=bidirectional, num_layers=layers,
               pooling=pooling)
    result = explain(b, TEXT, "ig")
    delta = result.target_probability - result.baseline_probability
    error = abs(sum(result.attributions) - delta)
    assert error <= TOLERANCE * max(abs(delta), DELTA_FLOOR)
    assert result.completeness_error == pytest.approx(error / max(abs(delta), DELTA_FLOOR))
    assert result.converged and result.steps >= 32
    assert result.probabilities == pytest.approx(b.predict(TEXT), abs=1e-6)
    assert result.target == max(result.probabilities, key=result.probabilities.get)
    assert len(result.attributions) == len(result.tokens) == len(b.prepare(TEXT).tokens)
    # The baseline is "no words": the padding embedding at every position.
    ids = torch.zeros(1, len(result.tokens), dtype=torch.long)
    with torch.no_grad():
        base = torch.softmax(b.model(ids, torch.tensor([ids.shape[1]])), dim=-1)[0]
    assert result.baseline_probability == pytest.approx(
        float(base[b.labels.index(result.target)]), abs=1e-6)


def test_linear_function_gets_its_closed_form() -> None:
    """f(x) = Σ w·x + c: IG_t = w_t·(x_t − b_t) exactly, whatever the segment count."""
    torch.manual_seed(1)
    weights = torch.randn(7, 5, dtype=torch.float64)
    x, baseline = torch.randn(1, 7, 5, dtype=torch.float64), torch.randn(1, 7, 5,
                                                                          dtype=torch.float64)

    def score(points: torch.Tensor) -> torch.Tensor:
        return (points * weights).sum(dim=(1, 2)) + 0.3

    for segments in (1, 3, 50, 70):
        values = integrated_gradients(score, x, baseline, segments)
        expected = ((x - baseline)[0] * weights).sum(dim=1)
        torch.testing.assert_close(values, expected, rtol=1e-12, atol=1e-12)


def test_quadratic_function_gets_its_closed_form() -> None:
    """f(x) = (w·x)² from a zero baseline: IG_i = (w·x)·w_i·x_i (and the sum is f(x))."""
    torch.manual_seed(2)
    w = torch.randn(4, 3, dtype=torch.float64)
    x, baseline = torch.randn(1, 4, 3, dtype=torch.float64), torch.zeros(1, 4, 3,
                                                                          dtype=torch.float64)

    def score(points: torch.Tensor) -> torch.Tensor:
        return (points * w).sum(dim=(1, 2)) ** 2

    dot = float((x[0] * w).sum())
    expected = (dot * w * x[0]).sum(dim=1)
    torch.testing.assert_close(integrated_gradients(score, x, baseline, 1), expected,
                               rtol=1e-12, atol=1e-12)  # exact for a degree-1 integrand
    alphas, weights = gauss_legendre(16)
    assert float(weights.sum()) == pytest.approx(1.0) and float(alphas.min()) > 0
    assert float(alphas.max()) < 1


@pytest.mark.parametrize(("cell", "bidirectional", "pooling"), [
    ("lstm", False, "last"), ("gru", True, "max"), ("rnn", True, "mean")])
def test_occlusion_equals_a_loop_by_hand(cell: str, bidirectional: bool, pooling: str) -> None:
    b = bundle(scale=2.0, cell=cell, bidirectional=bidirectional, pooling=pooling)
    result = explain(b, TEXT, "occlusion", target="pos")
    ids = b.prepare(TEXT).ids
    unk, pos = b.vocab.unk_id, b.labels.index("pos")

    def probability(sequence: list[int]) -> float:
        with torch.no_grad():
            logits = b.model(torch.tensor([sequence]), torch.tensor([len(sequence)]))
        return float(torch.softmax(logits, dim=-1)[0, pos])

    full = probability(ids)
    assert result.target == "pos" and result.target_probability == pytest.approx(full, abs=1e-6)
    for t, value in enumerate(result.attributions):
        occluded = [unk if j == t else i for j, i in enumerate(ids)]
        assert value == pytest.approx(full - probability(occluded), abs=1e-6)
    assert result.tokens.index("xyz") >= 0
    assert result.attributions[result.tokens.index("xyz")] == 0.0  # already <unk>
    assert "completeness_error" not in result.to_dict()


def test_language_model_explains_its_next_word() -> None:
    b = bundle(scale=3.0, task="lm", cell="gru")
    result = explain(b, "món ăn rất")
    assert result.task == "lm" and result.tokens[0] == "<bos>"
    expected = b.next_word_distribution("món ăn rất", k=10)
    assert result.target == expected[0][0]
    assert list(result.probabilities) == [word for word, _ in expected]
    assert result.converged
    chosen = explain(b, "món ăn rất", "occlusion", target="ngon")
    assert chosen.target == "ngon"
    with pytest.raises(UserError, match="not a word this language model can predict"):
        explain(b, "món ăn rất", target="zzz")


def test_truncation_follows_prediction_unless_asked_otherwise() -> None:
    b = bundle(scale=2.0)
    b.train_config.max_len = 4
    short = explain(b, TEXT)
    assert len(short.tokens) == 4 and short.truncated == len(b.prepare(TEXT).ids) - 4
    assert short.probabilities == pytest.approx(b.predict(TEXT), abs=1e-6)
    whole = explain(b, TEXT, max_len=None)
    assert len(whole.tokens) == len(b.prepare(TEXT).ids) and whole.truncated == 0


def test_escalation_raises_the_steps_and_reports_a_miss() -> None:
    b = bundle(scale=6.0, cell="lstm", bidirectional=True, pooling="max")
    coarse = explain(b, TEXT, steps=4, max_steps=4)  # one segment cannot integrate this path
    assert coarse.steps == 4 and coarse.completeness_error > TOLERANCE
    assert not coarse.converged and "still" in coarse.note and "approximate" in coarse.note
    escalated = explain(b, TEXT, steps=4)
    assert escalated.converged and escalated.steps > 4 and escalated.steps % 4 == 0
    assert escalated.completeness_error <= TOLERANCE


def test_adaptive_steps_go_where_the_path_is_steep() -> None:
    """A path with a near-jump at α = 0.3: uniform nodes miss it, halving finds it."""
    x, baseline = torch.ones(1, 2, 1, dtype=torch.float64), torch.zeros(1, 2, 1,
                                                                       dtype=torch.float64)

    def score(points: torch.Tensor) -> torch.Tensor:  # sigmoid(400·(s − 0.6)), s = Σ points
        return torch.sigmoid(400 * (points.sum(dim=(1, 2)) - 0.6))

    delta = float(score(x) - score(baseline))
    uniform = integrated_gradients(score, x, baseline, 8)  # 32 nodes
    assert abs(float(uniform.sum()) - delta) > 0.05 * delta
    values, used = adaptive_ig(score, x, baseline, 32, 1024, delta)
    assert abs(float(values.sum()) - delta) <= TOLERANCE * delta and 32 < used < 400
    assert float(values[0]) == pytest.approx(float(values[1]))  # symmetric inputs


@pytest.mark.parametrize(("text", "kwargs", "message"), [
    ("", {}, "no text to explain"),
    ("   ", {}, "no text to explain"),
    ("!!! ...", {}, "no words left"),
    ("abc xyz qqq", {}, "None of these words is in the model's vocabulary"),
    (TEXT, {"target": "happy"}, "Unknown label 'happy'"),
    (TEXT, {"method": "shap"}, "Unknown method"),
])
def test_bad_input_gets_one_sentence(text: str, kwargs: dict, message: str) -> None:
    b = bundle()
    b.cleaning_config = CleaningConfig()  # strips punctuation, so "!!! ..." has no words
    with pytest.raises(UserError, match=message):
        explain(b, text, **kwargs)


def test_agrees_with_captum_where_installed() -> None:
    captum = pytest.importorskip("captum.attr")
    b = bundle(scale=3.0, bidirectional=True, pooling="mean")
    ours = explain(b, TEXT, "ig", target="neu", steps=64, max_steps=64)  # 16 segments × 4
    ids = torch.tensor([b.prepare(TEXT).ids])
    lengths = torch.tensor([ids.shape[1]])

    def forward(embedded: torch.Tensor) -> torch.Tensor:
        full = lengths.expand(embedded.shape[0])
        return torch.softmax(b.model.logits_from_embeddings(embedded, full), dim=-1)

    x = b.model.embedding(ids).detach()
    theirs = captum.IntegratedGradients(forward).attribute(
        x, baselines=torch.zeros_like(x), target=1, n_steps=64, method="gausslegendre")
    assert ours.attributions == pytest.approx(theirs.sum(dim=-1)[0].tolist(), abs=1e-4)
