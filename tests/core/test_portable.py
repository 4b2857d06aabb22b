"""The torch-free predictor: `python -m lstm_studio.portable` prints what `predict --json`
prints, in a process where torch, Qt, onnx and safetensors cannot be imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from export_fixtures import random_bundle, text_of

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from lstm_studio.cli import main
from lstm_studio.core.checkpoint import save_checkpoint

BLOCKED = ("torch", "PySide6", "shiboken6", "pyqtgraph", "onnx", "safetensors")
# Any import of a blocked package fails; afterwards the run reports which modules were loaded.
GUARD = f"""
import sys
BLOCKED = {BLOCKED!r}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
from lstm_studio.portable.__main__ import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print("LOADED=" + ",".join(loaded), file=sys.stderr)
sys.exit(code)
"""


def run_portable(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", GUARD, *args], capture_output=True,
                          text=True, timeout=60)


def predict_json(capsys: pytest.CaptureFixture, model: Path, text: str) -> dict:
    capsys.readouterr()
    assert main(["predict", str(model), text, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def export(capsys: pytest.CaptureFixture, model: Path, out: Path) -> dict:
    capsys.readouterr()
    assert main(["export", str(model), "--format", "onnx", "--out", str(out), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def assert_same_prediction(expected: dict, got: dict) -> None:
    assert got.keys() == expected.keys()
    for key in expected:
        if key == "probabilities":
            assert got[key].keys() == expected[key].keys()
            assert all(abs(got[key][k] - expected[key][k]) <= 1e-4 for k in expected[key])
        elif key == "next_words":
            assert [w["word"] for w in got[key]] == [w["word"] for w in expected[key]]
            assert all(abs(a["probability"] - b["probability"]) <= 1e-5
                       for a, b in zip(got[key], expected[key], strict=True))
        else:
            assert got[key] == expected[key], key


def test_portable_predictor_matches_predict_without_torch(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    model = save_checkpoint(random_bundle(cell="gru", bidirectional=True, pooling="last",
                                          max_len=30), tmp_path / "clf.safetensors")
    written = export(capsys, model, tmp_path / "clf.onnx")
    assert written["files"][0] == str(tmp_path / "clf.onnx")
    for text in (text_of(7, 1) + " TỪ_LẠ", text_of(50, 2), ""):
        expected = predict_json(capsys, model, text)
        run = run_portable(str(tmp_path / "clf.onnx"), text)
        assert run.returncode == 0, run.stderr
        assert "LOADED=\n" in run.stderr or run.stderr.rstrip().endswith("LOADED=")
        assert_same_prediction(expected, json.loads(run.stdout))
    assert expected["tokens"] == [] and expected["label"] in ("neg", "neu", "pos")


def test_a_calibrated_model_predicts_the_same_outside_the_app(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The stored temperature and two-class threshold travel in the export and are applied
    by the predictor exactly as `predict` applies them."""
    bundle = random_bundle(cell="lstm", pooling="mean", max_len=30)
    bundle.labels = bundle.labels[:2]
    bundle.model_config.num_classes = 2
    from lstm_studio.core.models import build_model

    bundle.model = build_model(bundle.model_config).eval()
    bundle.calibration = {"temperature": 2.5, "threshold": 0.2}
    model = save_checkpoint(bundle, tmp_path / "calibrated.safetensors")
    export(capsys, model, tmp_path / "calibrated.onnx")
    for seed in range(6):
        text = text_of(9, seed)
        expected = predict_json(capsys, model, text)
        run = run_portable(str(tmp_path / "calibrated.onnx"), text)
        assert run.returncode == 0, run.stderr
        assert_same_prediction(expected, json.loads(run.stdout))
        # the threshold, not the larger probability, decides
        second = expected["probabilities"][bundle.labels[1]]
        assert expected["label"] == (bundle.labels[1] if second >= 0.2 else bundle.labels[0])


def test_portable_language_model_matches_predict(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    model = save_checkpoint(random_bundle("lm", cell="lstm"), tmp_path / "lm.safetensors")
    export(capsys, model, tmp_path / "lm.onnx")
    text = text_of(5, 9)
    run = run_portable(str(tmp_path / "lm.onnx"), text, "--top", "5")
    assert run.returncode == 0, run.stderr
    capsys.readouterr()
    assert main(["predict", str(model), text, "--json", "--top", "5"]) == 0
    assert_same_prediction(json.loads(capsys.readouterr().out), json.loads(run.stdout))


def test_portable_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.onnx").write_text("hello", encoding="utf-8")
    for path, reason in ((tmp_path / "notes.onnx", "not an ONNX model"),
                         (tmp_path / "missing.onnx", "does not exist")):
        run = run_portable(str(path), "text")
        assert run.returncode == 2
        lines = [line for line in run.stderr.splitlines() if not line.startswith("LOADED=")]
        assert len(lines) == 1 and reason in lines[0] and "Traceback" not in run.stderr


def test_export_command_errors_are_one_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    model = save_checkpoint(random_bundle(), tmp_path / "m.safetensors")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    capsys.readouterr()
    assert main(["export", str(model), "--out", str(tmp_path / "file" / "m.onnx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a folder" in err[0]
    assert main(["export", str(tmp_path / "file"), "--out", str(tmp_path / "m.onnx")]) == 2
    assert "not an LSTM Studio model" in capsys.readouterr().err
