"""Metrics checked against hand-computed values; evaluate() on a bundle and a bare model."""

from __future__ import annotations

import math

import pytest
import torch
from train_fixtures import quick_train_config, sentiment_dataset, small_model_config

from lstm_studio.core.config import ModelConfig, VocabConfig
from lstm_studio.core.dataset import Document
from lstm_studio.core.errors import DataError
from lstm_studio.core.evaluation import classification_metrics, evaluate
from lstm_studio.core.pipeline import train_model

torch.set_num_threads(1)


def test_classification_metrics_by_hand() -> None:
    # true:  a a a a b b c      predicted: a a b c b b a
    labels = ["a", "b", "c"]
    metrics = classification_metrics([0, 0, 0, 0, 1, 1, 2], [0, 0, 1, 2, 1, 1, 0], labels)
    assert metrics["confusion"] == [[2, 1, 1], [0, 2, 0], [1, 0, 0]]
    assert metrics["accuracy"] == pytest.approx(4 / 7)
    a, b, c = (metrics["per_class"][x] for x in labels)
    assert (a["precision"], a["recall"], a["support"]) == (pytest.approx(2 / 3), 0.5, 4)
    assert a["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert (b["precision"], b["recall"], b["f1"]) == (pytest.approx(2 / 3), 1.0, 0.8)
    assert (c["precision"], c["recall"], c["f1"]) == (0.0, 0.0, 0.0)
    assert metrics["macro_f1"] == pytest.approx((a["f1"] + 0.8 + 0.0) / 3)


@pytest.fixture(scope="module")
def trained():
    return train_model(sentiment_dataset(), VocabConfig(), small_model_config(),
                       quick_train_config(epochs=4), record_run=False)


def test_evaluate_a_bundle_lists_misclassified_documents(trained) -> None:
    docs = [Document("the food was good", "pos", "test", "a"),
            Document("the food was awful", "pos", "test", "b"),  # deliberately mislabelled
            Document("slow staff and bad place", "neg", "test", "c")]
    metrics = evaluate(trained.bundle, docs)
    assert metrics["documents"] == 3
    assert metrics["confusion"][1][0] >= 1  # true pos predicted neg
    wrong = {item["source"]: item for item in metrics["misclassified"]}
    assert "b" in wrong
    assert wrong["b"]["label"] == "pos" and wrong["b"]["predicted"] == "neg"
    assert 0.5 <= wrong["b"]["probability"] <= 1.0
    assert wrong["b"]["text"] == "the food was awful"


def test_evaluate_bare_model_matches_the_bundle(trained) -> None:
    docs = trained.bundle.model and [Document("nice place", "pos", "test", "x"),
                                     Document("dirty food", "neg", "test", "y")]
    bare = evaluate(trained.bundle.model, docs, vocab=trained.bundle.vocab,
                    labels=trained.bundle.labels, max_len=trained.bundle.max_len)
    assert bare["accuracy"] == evaluate(trained.bundle, docs)["accuracy"]


def test_evaluate_rejects_unknown_or_missing_labels(trained) -> None:
    with pytest.raises(DataError, match="not trained on"):
        evaluate(trained.bundle, [Document("good", "neutral", "test", "x")])
    with pytest.raises(DataError, match=r"None of the documents"):
        evaluate(trained.bundle, [Document("good", None, "test", "x")])


def test_lm_evaluation_reports_perplexity_as_exp_loss() -> None:
    from train_fixtures import POEM

    from lstm_studio.core.dataset import Dataset

    docs = [Document(POEM, None, "train", str(i)) for i in range(6)]
    docs.append(Document(POEM, None, "valid", "v"))
    result = train_model(Dataset(docs), VocabConfig(), ModelConfig(
        task="lm", embedding_dim=8, hidden_size=8), quick_train_config(epochs=2),
        record_run=False)
    metrics = evaluate(result.bundle, [Document(POEM, None, "test", "t")])
    assert metrics["tokens"] == len(POEM.split()) + 1  # every word and <eos>
    assert metrics["perplexity"] == pytest.approx(math.exp(metrics["loss"]))
