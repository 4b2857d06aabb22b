"""The model card: Markdown and HTML saying the same things, SVG figures written without Qt,
figures recomputed from data that agree with the evaluation code, honest 'not available'."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
from train_fixtures import POEM

from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.errors import DataError
from lstm_studio.core.evaluation import evaluate
from lstm_studio.core.export.card_data import reliability
from lstm_studio.core.export.exporter import export_model
from lstm_studio.core.pipeline import train_model
from lstm_studio.core.readers import load_sources
from lstm_studio.resources_path import sample_paths

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def sample_run():
    """A small GRU trained two epochs on the built-in sample, cleaned as the app cleans."""
    cleaning = CleaningConfig()
    dataset = load_sources(sample_paths("reviews"))
    from lstm_studio.core.config import DataConfig

    result = train_model(clean_dataset(dataset, cleaning).dataset, VocabConfig(),
                         ModelConfig(cell="gru", embedding_dim=16, hidden_size=12),
                         TrainConfig(epochs=2, batch_size=32, lr=0.01), cleaning,
                         DataConfig(sources=sample_paths("reviews")), record_run=False)
    return result


def test_reliability_by_hand() -> None:
    table = reliability([0.95, 0.85, 0.55, 0.52], [True, False, True, True])
    filled = {i: b for i, b in enumerate(table["bins"]) if b["count"]}
    assert sorted(filled) == [5, 8, 9]
    assert filled[5]["count"] == 2 and filled[5]["confidence"] == pytest.approx(0.535)
    assert filled[8]["accuracy"] == 0.0 and filled[9]["accuracy"] == 1.0
    # 1/4 * |1 - .95| + 1/4 * |0 - .85| + 2/4 * |1 - .535|
    assert table["ece"] == pytest.approx(0.4575)


def test_card_from_the_model_file_alone(sample_run, tmp_path: Path) -> None:
    result = export_model(sample_run.bundle, "card", tmp_path / "card.md", model_name="demo")
    names = sorted(Path(p).name for p in result.files)
    assert names == ["card-training.svg", "card.html", "card.md"]
    markdown = (tmp_path / "card.md").read_text(encoding="utf-8")
    html = (tmp_path / "card.html").read_text(encoding="utf-8")
    assert markdown.startswith("# Model card: demo")
    assert "1-layer GRU, embedding 16, hidden 12, pooling last" in markdown
    valid = sample_run.bundle.metrics["valid"]
    assert f"{valid['accuracy']:.4f}" in markdown and f"{valid['accuracy']:.4f}" in html
    assert "Calibration not available" in markdown and "Calibration not available" in html
    assert "![Training curves per epoch.](card-training.svg)" in markdown
    svg = ET.fromstring((tmp_path / "card-training.svg").read_text(encoding="utf-8"))
    assert len(svg.findall("{http://www.w3.org/2000/svg}polyline")) == 4  # 2 panels x 2 lines
    assert html.count("<svg") == 1 and "Known limits" in html
    assert "trained on vi text only" in markdown


def test_card_with_data_recomputes_what_needs_documents(sample_run, tmp_path: Path) -> None:
    bundle = sample_run.bundle
    export_model(bundle, "card", tmp_path / "card", data=[])  # [] = the run's own sources
    markdown = (tmp_path / "card.md").read_text(encoding="utf-8")
    dataset = load_sources(sample_paths("reviews"))
    cleaned = clean_dataset(dataset, CleaningConfig())
    report = cleaned.report
    assert f"Cleaning kept {report.kept:,} of {report.total:,} documents" in markdown
    test_docs = cleaned.dataset.split("test")
    expected = evaluate(bundle, test_docs, clean=False)
    assert f"{len(test_docs):,} documents: accuracy {expected['accuracy']:.4f}" in markdown
    row = "| " + " | ".join(["neg", *map(str, expected["confusion"][0])]) + " |"
    assert row in markdown
    assert "expected calibration error" in markdown
    assert (tmp_path / "card-calibration.svg").is_file()
    ET.fromstring((tmp_path / "card-calibration.svg").read_text(encoding="utf-8"))
    html = (tmp_path / "card.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "not available" not in html


def test_card_calibration_split_must_exist(sample_run, tmp_path: Path) -> None:
    only_train = tmp_path / "train.csv"
    only_train.write_text("text,label\ngood food,pos\nbad food,neg\ngood place,pos\n"
                          "bad place,neg\n", encoding="utf-8")
    with pytest.raises(DataError, match="no test documents"):
        export_model(sample_run.bundle, "card", tmp_path / "c.md", data=[str(only_train)],
                     split="test")


def test_language_model_card(tmp_path: Path) -> None:
    docs = [Document(POEM, None, "train", str(i)) for i in range(6)]
    result = train_model(Dataset(docs), VocabConfig(), ModelConfig(
        task="lm", cell="lstm", embedding_dim=8, hidden_size=8), TrainConfig(epochs=2),
        record_run=False)
    export_model(result.bundle, "card", tmp_path / "lm.md")
    markdown = (tmp_path / "lm.md").read_text(encoding="utf-8")
    assert "next-word language model" in markdown and "Valid perplexity" in markdown
    assert "Calibration" not in markdown
