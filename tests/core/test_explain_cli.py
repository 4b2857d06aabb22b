"""`lstm-studio explain`, `inspect --clamp/--force` and `neurons` through the real entry point."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from explain_fixtures import WORDS, bundle

from lstm_studio.cli import main
from lstm_studio.core.checkpoint import save_checkpoint

torch.set_num_threads(1)


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.safetensors"
    save_checkpoint(bundle(scale=2.0, bidirectional=True, pooling="max"), path)
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    rng = random.Random(1)
    for i in range(24):
        folder = tmp_path / "data" / "test" / ("pos" if i % 2 else "neg")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.txt").write_text(" ".join(rng.choice(WORDS) for _ in range(9)),
                                         encoding="utf-8")
    return tmp_path / "data"


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_explain_json_is_the_contract(model_file: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    text = "món ăn rất ngon xyz nhưng chậm"
    data = _json(capsys, ["explain", str(model_file), text, "--json"])
    assert {"tokens", "attributions", "probabilities", "target", "completeness_error",
            "steps"} <= set(data)
    assert data["tokens"] == ["món", "ăn", "rất", "ngon", "xyz", "nhưng", "chậm"]
    assert len(data["attributions"]) == len(data["tokens"])
    assert set(data["probabilities"]) == {"neg", "neu", "pos"}
    assert data["target"] == max(data["probabilities"], key=data["probabilities"].get)
    assert data["completeness_error"] <= 0.01 and data["steps"] >= 32
    delta = data["target_probability"] - data["baseline_probability"]
    assert sum(data["attributions"]) == pytest.approx(delta, abs=0.01 * abs(delta) + 1e-6)
    occluded = _json(capsys, ["explain", str(model_file), text, "--method", "occlusion",
                              "--target", "pos", "--json"])
    assert occluded["target"] == "pos" and "completeness_error" not in occluded
    assert occluded["attributions"][4] == 0.0  # "xyz" already reads as <unk>


def test_explain_text_output(model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(model_file), "món ăn xyz", "--target", "neg"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("class 'neg' (p = ") and "integrated gradients" in out[0]
    assert "completeness error" in out[1]
    assert [line.split()[0] for line in out[2:5]] == ["món", "ăn", "xyz*"]
    assert out[-1] == "* not in the vocabulary (read as <unk>)"


@pytest.mark.parametrize(("text", "extra", "message"), [
    ("", [], "no text to explain"),
    ("qqq www", [], "None of these words is in the model's vocabulary"),
    ("món ăn", ["--target", "happy"], "Unknown label 'happy'"),
    ("món ăn", ["--steps", "0"], "at least 1"),
])
def test_explain_bad_input_is_one_line(model_file: Path, capsys: pytest.CaptureFixture[str],
                                       text: str, extra: list[str], message: str) -> None:
    assert main(["explain", str(model_file), text, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_explain_a_language_model_explains_the_next_word(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lm = bundle(scale=3.0, task="lm")
    path = save_checkpoint(lm, tmp_path / "lm.safetensors")
    data = _json(capsys, ["explain", str(path), "món ăn", "--json"])
    assert data["task"] == "lm" and data["tokens"] == ["<bos>", "món", "ăn"]
    assert data["target"] == lm.next_word_distribution("món ăn", k=1)[0][0]


def test_inspect_with_edits_keeps_the_shape_and_shows_them(
        model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "món ăn rất ngon nhưng chậm"
    plain = _json(capsys, ["inspect", str(model_file), text, "--json"])
    argv = ["inspect", str(model_file), text, "--force", "f=0@2..", "--force", "i=0@2..",
            "--clamp", "h:3=0.25@1..4", "--json"]
    edited = _json(capsys, argv)
    assert set(plain) == {"trace", "prefix_predictions", "interventions"}
    assert set(edited) == set(plain) and plain["interventions"] == []
    assert [e["spec"] for e in edited["interventions"]] == ["h:3=0.25@1..4", "f=0@2..",
                                                            "i=0@2.."]
    forward = edited["trace"]["layers"][0]
    assert forward["direction"] == "forward"
    cell = np.array(forward["c"])
    assert np.all(cell[2:] == 0.0) and np.any(cell[:2] != 0.0)
    hidden = np.array(forward["h"])
    assert np.all(hidden[1:5, 3] == 0.25) and hidden[5, 3] == 0.0
    backward = [layer for layer in edited["trace"]["layers"] if layer["direction"] == "backward"]
    assert backward[0]["c"] == plain["trace"]["layers"][1]["c"]  # edits were on forward only
    last = edited["prefix_predictions"][-1]["probabilities"]
    assert last != pytest.approx(plain["prefix_predictions"][-1]["probabilities"])
    assert main(["inspect", str(model_file), text, "--force", "c=1"]) == 2
    assert "can force f, i, o" in capsys.readouterr().err


def test_inspect_orders_units(model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["inspect", str(model_file), "món ăn ngon", "--order", "active",
                          "--json"])
    hidden = np.array(data["trace"]["layers"][0]["h"])
    assert data["unit_order"]["units"] == [int(j) for j in np.argsort(
        -np.abs(hidden).mean(axis=0), kind="stable")]


def test_neurons_unit_and_span(model_file: Path, corpus: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["neurons", str(model_file), str(corpus), "--unit", "c:2", "--top", "4",
                          "--direction", "backward", "--json"])
    assert data["unit"] == {"series": "c", "unit": 2, "layer": 0, "direction": "backward"}
    assert len(data["hits"]) == 4 and data["documents"] == 24 and data["split"] == "test"
    scores = [hit["score"] for hit in data["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert sum(data["histogram"]["counts"]) == data["tokens"] == 24 * 9
    span = _json(capsys, ["neurons", str(model_file), str(corpus), "--span", "món ăn rất ngon",
                          "--from", "2", "--to", "3", "--units", "2", "--json"])
    assert span["span"]["text"] == "rất ngon" and len(span["span_units"]) <= 2
    assert all(hit["stop"] >= hit["start"] for hit in span["hits"])
    assert main(["neurons", str(model_file), str(corpus)]) == 2
    assert "--unit SERIES:UNIT or --span" in capsys.readouterr().err
    assert main(["neurons", str(model_file), str(corpus), "--unit", "h37"]) == 2
    assert "SERIES:UNIT" in capsys.readouterr().err
