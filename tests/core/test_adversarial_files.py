"""Hostile model and project files: headers that lie, configurations that disagree with their
tensors, vocabularies longer than their embedding, wrong types and negative sizes."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from adversarial import cli_error
from hostile_files import MIB, edit_payload, rewrite_safetensors_header
from train_fixtures import quick_train_config, sentiment_dataset, small_model_config

from lstm_studio.core import checkpoint
from lstm_studio.core.config import VocabConfig
from lstm_studio.core.errors import CheckpointError
from lstm_studio.core.limits import InputLimits
from lstm_studio.core.pipeline import train_model
from lstm_studio.core.project import Project, ProjectError, load_project, save_project


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "good.safetensors"
    train_model(sentiment_dataset(40, 10, 0), VocabConfig(), small_model_config(),
                quick_train_config(epochs=1), out_path=str(path), record_run=False)
    return path


def lying(model_file: Path, tmp_path: Path, edit) -> Path:
    return rewrite_safetensors_header(model_file, tmp_path / "lying.safetensors", edit)


def first_tensor(header: dict) -> dict:
    return header["embedding.weight"]


def predict_refused(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    return cli_error(capsys, ["predict", str(path), "ngon quá"])


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda h: first_tensor(h).update(data_offsets=[0, 10**9]) or h,
     "is truncated: its weights are incomplete"),
    (lambda h: first_tensor(h).update(data_offsets=[0, 8]) or h,
     "header's entry for 'embedding.weight' is inconsistent"),
    (lambda h: first_tensor(h).update(data_offsets="everywhere") or h,
     "header's entry for 'embedding.weight' is inconsistent"),
    (lambda h: first_tensor(h).update(shape=[-5, 12]) or h,
     "header's entry for 'embedding.weight' is inconsistent"),
    (lambda h: first_tensor(h).update(dtype="I32") or h,
     "tensor 'embedding.weight' has dtype 'I32', not a floating-point type"),
    (lambda h: first_tensor(h).update(dtype="F64") or h,
     "header's entry for 'embedding.weight' is inconsistent"),
    (lambda h: first_tensor(h).update(dtype="Q9") or h, "not a floating-point type"),
    (lambda h: {**h, "head.weight": "no"},
     "header's entry for 'head.weight' is inconsistent"),
])
def test_a_header_that_lies_about_its_tensors(model_file: Path, tmp_path: Path, edit,
                                              expected: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert expected in predict_refused(capsys, lying(model_file, tmp_path, edit))


def test_a_configuration_claiming_a_huge_model_is_refused_before_allocating(
        model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def never(config):
        raise AssertionError("build_model was reached")

    monkeypatch.setattr(checkpoint, "build_model", never)
    path = lying(model_file, tmp_path, lambda h: edit_payload(
        h, lambda p: p["model_config"].update(hidden_size=1_000_000)))
    assert "its weights do not match its model configuration" in predict_refused(capsys, path)


def test_a_vocabulary_that_disagrees_with_its_embedding(
        model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    longer = lying(model_file, tmp_path, lambda h: edit_payload(
        h, lambda p: p["vocab"]["itos"].extend(f"extra{i}" for i in range(50))))
    line = predict_refused(capsys, longer)
    assert "its vocabulary has" in line and "but its embedding has" in line
    # a configuration changed to match the longer vocabulary no longer matches the tensors
    both = lying(model_file, tmp_path, lambda h: edit_payload(h, lambda p: (
        p["vocab"]["itos"].extend(f"extra{i}" for i in range(50)),
        p["model_config"].update(vocab_size=p["model_config"]["vocab_size"] + 50))))
    assert "do not match its model configuration" in predict_refused(capsys, both)


def test_labels_wrong_types_and_damaged_records(model_file: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    three = lying(model_file, tmp_path, lambda h: edit_payload(
        h, lambda p: p.update(labels=["neg", "pos", "meh"])))
    assert "names 3 labels but its output layer has 2" in predict_refused(capsys, three)
    typed = lying(model_file, tmp_path, lambda h: edit_payload(
        h, lambda p: p["model_config"].update(hidden_size="big")))
    assert "its configuration cannot be read" in predict_refused(capsys, typed)
    history = lying(model_file, tmp_path, lambda h: edit_payload(
        h, lambda p: p.update(history="not a list", metrics=[1], info=5)))
    bundle = checkpoint.load_checkpoint(history)  # only shown, so left out, not fatal
    assert bundle.history == [] and bundle.metrics == {}


def test_nan_weights_and_oversized_files(model_file: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(model_file.read_bytes())
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    start = 8 + size + header["head.bias"]["data_offsets"][0]
    data[start:start + 4] = struct.pack("<f", float("nan"))
    poisoned = tmp_path / "nan.safetensors"
    poisoned.write_bytes(bytes(data))
    assert "NaN or infinite" in predict_refused(capsys, poisoned)
    with pytest.raises(CheckpointError, match=r"more than the 1\.0 KB limit"):
        checkpoint.load_checkpoint(model_file, limits=InputLimits(max_model_bytes=1024))
    line = cli_error(capsys, ["predict", str(model_file), "ngon", "--max-model-mb", "0.001"])
    assert "more than the 1.0 KB limit (--max-model-mb raises it)" in line
    huge_header = tmp_path / "huge-header.safetensors"
    huge_header.write_bytes((10**12).to_bytes(8, "little") + b"{}")
    assert "not an LSTM Studio model file" in predict_refused(capsys, huge_header)


# --- project files -------------------------------------------------------------------------

def saved_project(tmp_path: Path) -> tuple[Path, dict]:
    path = tmp_path / "p.lstmproj"
    save_project(path, Project())
    return path, json.loads(path.read_text())


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["model"].update(hidden_size="big"),
     "the setting hidden_size should be a whole number, not 'big'"),
    (lambda d: d["model"].update(num_layers=-2), "num layers must be at least 1"),
    (lambda d: d["training"].update(batch_size=-64), "the batch size must be at least 1"),
    (lambda d: d["training"].update(lr="fast"), "the setting lr should be a number"),
    (lambda d: d["vocabulary"]["config"].update(max_size=-3),
     "the vocabulary size limit must be at least 1"),
    (lambda d: d["data"]["limits"].update(max_total_bytes=-1),
     "the limit max_total_bytes must be a positive number"),
    (lambda d: d["data"].update(sources="everything"), "the setting sources should be a list"),
    (lambda d: d["cleaning"]["config"].update(steps=["lowercase"]),
     "the setting steps should be a mapping"),
    (lambda d: d.update(tabs=[1, 2]), "its saved tab states are not a mapping"),
    (lambda d: d.update(model_path=42), "its model path is not a path"),
    (lambda d: d.update(version="two"), "a value has the wrong type"),
])
def test_a_project_with_wrong_types_or_negative_sizes(tmp_path: Path, change,
                                                      expected: str) -> None:
    path, data = saved_project(tmp_path)
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    message = str(caught.value)
    assert message.startswith("p.lstmproj cannot be opened: ") and expected in message
    assert "\n" not in message


def test_oversized_and_deeply_nested_project_files(tmp_path: Path) -> None:
    big = tmp_path / "big.lstmproj"
    big.write_bytes(b" " * (17 * MIB))
    with pytest.raises(ProjectError, match=r"more than the 16\.0 MB limit"):
        load_project(big)
    nested = tmp_path / "nested.lstmproj"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ProjectError, match="not a readable LSTM Studio project"):
        load_project(nested)
