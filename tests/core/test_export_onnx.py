"""ONNX export: onnxruntime gives `predict`'s probabilities for every cell, direction, depth and
pooling, at every length and batch size; a language model gives its next words; bad requests
get one clear sentence."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from export_fixtures import random_bundle, text_of

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from lstm_studio.core.errors import CheckpointError
from lstm_studio.core.export.common import ExportError
from lstm_studio.core.export.onnx_graph import MISSING_EXTRA, export_onnx
from lstm_studio.portable import load

torch.set_num_threads(1)

ARCHITECTURES = {
    "lstm": {"cell": "lstm"},
    "gru": {"cell": "gru"},
    "rnn-relu": {"cell": "rnn", "nonlinearity": "relu"},
    "bilstm": {"cell": "lstm", "bidirectional": True},
    "lstm-2-layers": {"cell": "lstm", "num_layers": 2},
    "bigru-2-layers": {"cell": "gru", "bidirectional": True, "num_layers": 2},
    "birnn-tanh-2-layers": {"cell": "rnn", "bidirectional": True, "num_layers": 2},
}
LENGTHS = (1, 7, 50, 300)


def max_difference(expected: list[dict[str, float]], got: list[dict[str, float]]) -> float:
    assert [sorted(row) for row in got] == [sorted(row) for row in expected]
    return max(abs(row[label] - other[label])
               for row, other in zip(expected, got, strict=True) for label in row)


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_onnx_probabilities_equal_predict(architecture: str, pooling: str,
                                          tmp_path: Path) -> None:
    bundle = random_bundle(pooling=pooling, seed=len(architecture),
                           **ARCHITECTURES[architecture])
    result = export_onnx(bundle, tmp_path / "model.onnx")
    assert result.files == [str(tmp_path / "model.onnx"),
                            str(tmp_path / "model.pipeline.json")]
    portable = load(tmp_path / "model.onnx")
    for tokens in LENGTHS:  # batch 1
        text = text_of(tokens, tokens)
        assert portable.prepare(text).tokens == bundle.prepare(text).tokens
        assert len(portable.prepare(text).tokens) == tokens
        assert max_difference([bundle.predict(text)], [portable.predict(text)]) <= 1e-4
    texts = [text_of(LENGTHS[i % 4], 100 + i) for i in range(16)]  # batch 16, mixed lengths
    assert max_difference(bundle.predict_many(texts), portable.predict_many(texts)) <= 1e-4


def test_the_comparison_notices_a_wrong_pooling(tmp_path: Path) -> None:
    """Control: the tolerance above is tight enough to tell two poolings of one network apart."""
    exported = random_bundle(pooling="last", cell="lstm", bidirectional=True)
    export_onnx(exported, tmp_path / "last.onnx")
    other = random_bundle(pooling="mean", cell="lstm", bidirectional=True)
    texts = [text_of(n, n) for n in LENGTHS]
    assert max_difference(other.predict_many(texts),
                          load(tmp_path / "last.onnx").predict_many(texts)) > 1e-2


def test_truncation_and_empty_text_follow_the_app(tmp_path: Path) -> None:
    bundle = random_bundle(max_len=20, cell="gru", bidirectional=True, pooling="mean")
    export_onnx(bundle, tmp_path / "m.onnx")
    portable = load(tmp_path / "m.onnx")
    texts = [text_of(300, 1), "", "!!! 😀", "unknown words only"]
    assert max_difference(bundle.predict_many(texts), portable.predict_many(texts)) <= 1e-4
    assert portable.record("")["tokens"] == []


@pytest.mark.parametrize("tie", [False, True])
def test_language_model_next_words_equal_the_app(tie: bool, tmp_path: Path) -> None:
    bundle = random_bundle("lm", cell="lstm", num_layers=2, hidden_size=10, embedding_dim=10,
                           tie_weights=tie)
    result = export_onnx(bundle, tmp_path / "lm.onnx")
    assert "language model" in result.message
    portable = load(tmp_path / "lm.onnx")
    for text in ("", text_of(7, 3), text_of(50, 4)):
        expected = bundle.next_word_distribution(text, k=10)
        got = portable.next_words(text, k=10)
        assert [w for w, _ in got] == [w for w, _ in expected]
        assert max(abs(p - q) for (_, p), (_, q) in zip(got, expected, strict=True)) <= 1e-5
        assert "<bos>" not in [w for w, _ in got] and "<pad>" not in [w for w, _ in got]


def test_pipeline_json_beside_the_model_is_the_text_pipeline(tmp_path: Path) -> None:
    import json

    bundle = random_bundle(max_len=40)
    export_onnx(bundle, tmp_path / "m.onnx")
    manifest = json.loads((tmp_path / "m.pipeline.json").read_text(encoding="utf-8"))
    assert manifest["pipeline"] == bundle.pipeline.to_dict()
    assert manifest["labels"] == bundle.labels and manifest["max_len"] == 40
    assert manifest["task"] == "classify"
    assert manifest["inputs"] == {"ids": "ids", "lengths": "lengths"}


def test_unwritable_targets_are_refused_in_one_sentence(tmp_path: Path) -> None:
    bundle = random_bundle()
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ExportError, match="is not a folder"):
        export_onnx(bundle, blocker / "model.onnx")
    with pytest.raises(ExportError, match="is a folder"):
        export_onnx(bundle, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # nothing half-written


def test_missing_onnx_package_is_a_clear_message(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ExportError) as caught:
        export_onnx(random_bundle(), tmp_path / "m.onnx")
    assert str(caught.value) == MISSING_EXTRA and "lstm-studio[export]" in MISSING_EXTRA


def test_foreign_and_broken_files_are_refused_by_the_predictor(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "other",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), tmp_path / "other.onnx")
    with pytest.raises(CheckpointError, match="not exported by LSTM Studio"):
        load(tmp_path / "other.onnx")
    (tmp_path / "notes.onnx").write_text("not a model", encoding="utf-8")
    with pytest.raises(CheckpointError, match="not an ONNX model onnxruntime can load"):
        load(tmp_path / "notes.onnx")
    with pytest.raises(CheckpointError, match="does not exist"):
        load(tmp_path / "missing.onnx")
    export_onnx(random_bundle(), tmp_path / "ours.onnx")
    model = onnx.load(tmp_path / "ours.onnx")
    model.metadata_props[0].value = '{"format": "lstm-studio-onnx", "format_version": 99}'
    onnx.save(model, tmp_path / "future.onnx")
    with pytest.raises(CheckpointError, match="newer LSTM Studio"):
        load(tmp_path / "future.onnx")
