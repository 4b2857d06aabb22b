"""One text pipeline from training to prediction: stored in the model file, replayed on raw text."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch

from lstm_studio.core import segmentation
from lstm_studio.core.checkpoint import load_checkpoint, save_checkpoint
from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.pipeline import train_model
from lstm_studio.core.text_pipeline import TextPipeline

torch.set_num_threads(1)
LEGACY = Path(__file__).parent / "data" / "model-before-issue-12.safetensors"

# NTC-SCV style: already segmented, punctuation spaced out.
POSITIVE = ["nhân_viên phục_vụ rất thân_thiện", "đồ_ăn ngon , giá_cả hợp_lý",
            "không_gian sạch_sẽ , sẽ quay lại", "rất hài_lòng với chất_lượng"]
NEGATIVE = ["nhân_viên cau_có , phục_vụ chậm", "đồ_ăn nguội , giá_cả đắt",
            "không_gian bẩn , thất_vọng", "không hài_lòng , sẽ không quay lại"]


def payload(path: Path) -> dict:
    data = path.read_bytes()
    size = struct.unpack("<Q", data[:8])[0]
    return json.loads(json.loads(data[8:8 + size])["__metadata__"]["payload"])


@pytest.fixture(scope="module")
def segmented_model(tmp_path_factory: pytest.TempPathFactory):
    docs = [Document(t, "pos", "train", f"p{i}") for i, t in enumerate(POSITIVE * 6)]
    docs += [Document(t, "neg", "train", f"n{i}") for i, t in enumerate(NEGATIVE * 6)]
    table = {"ko": "không", "hok": "không"}  # a user's own table
    cleaned = clean_dataset(Dataset(docs), CleaningConfig(detect_language=False,
                                                          abbreviations=table), workers=1)
    path = tmp_path_factory.mktemp("pipeline") / "model.safetensors"
    result = train_model(cleaned.dataset, VocabConfig(), ModelConfig(embedding_dim=8,
                         hidden_size=8), TrainConfig(epochs=2), cleaning_config=cleaned.config,
                         out_path=str(path), record_run=False)
    return cleaned, result.bundle, path


def test_typed_raw_text_reaches_the_model_segmented(segmented_model) -> None:
    cleaned, bundle, path = segmented_model
    assert cleaned.config.segment == "on" and cleaned.config.segmenter.startswith("pyvi ")
    loaded = load_checkpoint(path)
    encoded = loaded.prepare("Nhân viên phục vụ rất thân thiện, ko chê được!")
    assert encoded.tokens[:5] == ["nhân_viên", "phục_vụ", "rất", "thân_thiện", "không"]
    assert not any(encoded.oov[:5])
    typed = "Không gian sạch sẽ, hok hài lòng"
    assert loaded.prepare(typed).tokens == bundle.prepare(typed).tokens == [
        "không_gian", "sạch_sẽ", "không", "hài_lòng"]
    assert loaded.predict(typed) == pytest.approx(bundle.predict(typed), abs=1e-6)


def test_the_file_stores_the_pipeline_and_a_format_older_apps_refuse(segmented_model) -> None:
    cleaned, _, path = segmented_model
    stored = payload(path)
    assert stored["format_version"] == 2
    pipeline = stored["text_pipeline"]
    assert pipeline["segmentation"] == {"enabled": True, "segmenter": cleaned.config.segmenter}
    assert pipeline["tokenizer"] == "whitespace"
    assert pipeline["cleaning"]["abbreviations"] == {"ko": "không", "hok": "không"}
    assert pipeline["cleaning"]["tone_style"] == "new"
    assert "vocab" not in pipeline and stored["vocab"]["itos"][:2] == ["<pad>", "<unk>"]


def test_to_dict_and_from_dict_rebuild_the_same_pipeline(segmented_model) -> None:
    _, bundle, _ = segmented_model
    data = json.loads(json.dumps(bundle.pipeline.to_dict()))
    rebuilt = TextPipeline.from_dict(data)
    text = "Nhân viên hòa nhã, ko thân thiện 😊"
    assert rebuilt.prepare(text) == bundle.prepare(text)
    assert "hoà_nhã" in rebuilt.prepare(text).tokens
    with pytest.raises(ConfigError, match="tokenizer"):
        TextPipeline.from_dict({**data, "tokenizer": "sentencepiece"})


def test_a_model_file_from_before_the_change_predicts_as_before() -> None:
    bundle = load_checkpoint(LEGACY)
    assert "text_pipeline" not in payload(LEGACY)
    assert bundle.cleaning_config.segment == "off"
    assert not bundle.cleaning_config.steps["expand_abbreviations"]
    assert not bundle.cleaning_config.steps["normalize_tone_marks"]
    # What the app printed for this file before issue 12 (data/make_model_before_issue_12.py).
    assert bundle.prepare("nhân viên thân thiện").tokens == ["nhân", "viên", "thân", "thiện"]
    encoded = bundle.prepare("Nhân viên ko thân thiện, hòa nhã!!")
    assert encoded.tokens == ["nhân", "viên", "ko", "thân", "thiện", "hòa", "nhã"]
    assert encoded.oov == [False] * 5 + [True, True]
    assert bundle.predict("nhân viên thân thiện") == pytest.approx(
        {"neg": 0.541705, "pos": 0.458295}, abs=2e-6)
    assert bundle.predict("Nhân viên ko thân thiện, hòa nhã!!") == pytest.approx(
        {"neg": 0.532919, "pos": 0.467081}, abs=2e-6)


def test_saving_an_old_model_again_keeps_it_readable_by_older_apps(tmp_path: Path) -> None:
    bundle = load_checkpoint(LEGACY)
    again = save_checkpoint(bundle, tmp_path / "again.safetensors")
    assert payload(again)["format_version"] == 1
    assert load_checkpoint(again).prepare("hòa nhã").tokens == ["hòa", "nhã"]


def test_a_segmenting_model_without_pyvi_says_how_to_install_it(segmented_model,
                                                                monkeypatch) -> None:
    _, _, path = segmented_model
    loaded = load_checkpoint(path)
    monkeypatch.setattr(segmentation, "version", lambda: None)
    with pytest.raises(ConfigError, match=r"joins Vietnamese words with pyvi .*pip install"):
        loaded.prepare("nhân viên")


def test_a_different_pyvi_version_is_noted(segmented_model, monkeypatch) -> None:
    _, bundle, _ = segmented_model
    monkeypatch.setattr(segmentation, "version", lambda: "9.9")
    assert "this machine has pyvi 9.9" in bundle.pipeline.notes()[0]
