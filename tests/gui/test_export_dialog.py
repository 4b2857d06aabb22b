"""File → Export model…: the dialog exports the app's model (or a chosen file) in the
background and shows the files it wrote, or the error, inside the dialog."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from export_fixtures import random_bundle, text_of

from lstm_studio.core.checkpoint import save_checkpoint
from lstm_studio.core.config import DataConfig
from lstm_studio.resources_path import sample_paths


def open_dialog(window: Any, qtbot: Any) -> Any:
    window.export_action.trigger()
    dialog = window.export_dialog
    qtbot.waitExposed(dialog)
    return dialog


def export(dialog: Any, qtbot: Any, fmt: str, path: Path) -> None:
    dialog.set_format(fmt)
    dialog.path_edit.setText(str(path))
    with qtbot.waitSignal(dialog.slot.busy_changed, timeout=60_000,
                          check_params_cb=lambda busy: not busy):
        dialog.export_button.click()


def test_export_the_apps_model_as_onnx_script_and_card(window: Any, qtbot: Any,
                                                      tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    bundle = random_bundle(cell="lstm", bidirectional=True, pooling="max")
    bundle.labels = ["neg", "neu", "pos"]
    bundle.data_config = DataConfig(sources=sample_paths("reviews"))
    window.state.set_model(bundle, None)
    dialog = open_dialog(window, qtbot)
    assert "BiLSTM classifier (neg, neu, pos)" in dialog.model_label.text()
    assert dialog.path_edit.text().endswith(".onnx")

    export(dialog, qtbot, "onnx", tmp_path / "out" / "model.onnx")
    assert dialog.last_files == [str(tmp_path / "out" / "model.onnx"),
                                 str(tmp_path / "out" / "model.pipeline.json")]
    assert "model.pipeline.json" in dialog.result_label.text()
    from lstm_studio.portable import load

    text = text_of(12, 5)
    got = load(tmp_path / "out" / "model.onnx").predict(text)
    assert all(abs(got[k] - v) <= 1e-4 for k, v in bundle.predict(text).items())

    dialog.set_format("script")
    assert dialog.path_edit.text() == str(tmp_path / "out" / "model_train.py")
    export(dialog, qtbot, "script", tmp_path / "train.py")
    compile((tmp_path / "train.py").read_text(encoding="utf-8"), "train.py", "exec")

    dialog.set_format("card")
    assert dialog.data_check.isEnabled() and not dialog.split_box.isEnabled()
    dialog.data_check.setChecked(True)
    assert dialog.split_box.isEnabled()
    dialog.split_box.setCurrentIndex(dialog.split_box.findData("valid"))
    export(dialog, qtbot, "card", tmp_path / "card.md")
    # (no training curve: this model was never trained, so it has no history)
    assert sorted(Path(p).name for p in dialog.last_files) == [
        "card-calibration.svg", "card.html", "card.md"]
    markdown = (tmp_path / "card.md").read_text(encoding="utf-8")
    assert "On the valid split" in markdown and "Cleaning kept" in markdown
    dialog.resize(760, 360)
    dialog.grab().save("/tmp/export-dialog.png")
    dialog.close()


def test_export_a_chosen_file_and_errors_stay_in_the_dialog(window: Any, qtbot: Any,
                                                           tmp_path: Path,
                                                           dialog_responder: Any) -> None:
    dialog = open_dialog(window, qtbot)
    assert "No model in the app" in dialog.model_label.text()
    dialog.start_export()
    assert "no model to export" in dialog.result_label.text()

    model = save_checkpoint(random_bundle(), tmp_path / "chosen.safetensors")
    dialog_responder.answers["open_files"] = [str(model)]
    dialog.ask_model_file()
    assert str(model) in dialog.model_label.text()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    export(dialog, qtbot, "script", tmp_path / "file" / "train.py")
    assert "is not a folder" in dialog.result_label.text()
    assert "b00020" in dialog.result_label.styleSheet()
    assert dialog_responder.texts("error") == []  # shown in the dialog, not a message box
    export(dialog, qtbot, "script", tmp_path / "ok.py")
    assert dialog.last_files == [str(tmp_path / "ok.py")]
    dialog.close()
