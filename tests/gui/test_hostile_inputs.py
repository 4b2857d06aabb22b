"""The window survives what the command line refuses: a decompression bomb, a huge document,
a lying model file and a broken project, dropped on the window like a user would. Each shows
its message, keeps what was loaded before, and leaves the window working.

Tested through public methods and what the user sees (dialogs, labels, AppState), so the
tests hold while the tabs move to the TaskSlot lifecycle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from drops import drop
from hostile_files import MIB, edit_payload, rewrite_safetensors_header, write_bomb
from PySide6.QtCore import QTimer

from lstm_studio.core.config import DataConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.limits import InputLimits
from lstm_studio.core.project import Project, save_project

HUGE_LINE = "ngon_quá " * (10 * MIB // 10)


def small_csv(path: Path, rows: int = 12) -> Path:
    path.write_text("text,label\n" + "".join(
        f"{'ngon quá' if i % 2 else 'dở tệ'} số {i},{'pos' if i % 2 else 'neg'}\n"
        for i in range(rows)), encoding="utf-8")
    return path


def load_first(window: Any, qtbot: Any, tmp_path: Path) -> Any:
    """The dataset the user had before the hostile drop."""
    with qtbot.waitSignal(window.state.dataset_changed, timeout=60_000):
        drop(window, [small_csv(tmp_path / "before.csv")])
    qtbot.waitUntil(lambda: not window.data_tab.is_busy(), timeout=30_000)
    return window.state.dataset


def next_error(qtbot: Any, responder: Any, count: int) -> str:
    qtbot.waitUntil(lambda: len(responder.texts("error")) > count, timeout=60_000)
    return responder.texts("error")[-1]


def still_working(window: Any, qtbot: Any, tmp_path: Path) -> None:
    """The event loop runs and the next honest drop loads."""
    fired: list[bool] = []
    QTimer.singleShot(0, lambda: fired.append(True))
    qtbot.waitUntil(lambda: bool(fired), timeout=5_000)
    with qtbot.waitSignal(window.state.dataset_changed, timeout=60_000):
        drop(window, [small_csv(tmp_path / "after.csv", 8)])
    assert len(window.state.dataset) == 8


def test_a_dropped_bomb_is_refused_and_the_dataset_stays(window: Any, qtbot: Any,
                                                         tmp_path: Path,
                                                         dialog_responder: Any) -> None:
    before = load_first(window, qtbot, tmp_path)
    summary = window.data_tab.summary_label.text()
    drop(window, [write_bomb(tmp_path / "bomb.zip", size=300 * MIB)])
    message = next_error(qtbot, dialog_responder, 0)
    assert "decompression bomb" in message and "100-fold limit" in message
    qtbot.waitUntil(lambda: not window.data_tab.is_busy(), timeout=30_000)
    assert window.state.dataset is before
    assert window.data_tab.summary_label.text() == summary
    assert window.data_tab.model.rowCount() == len(before)
    still_working(window, qtbot, tmp_path)


def test_a_huge_document_is_cut_with_a_visible_note_or_refused_over_budget(
        window: Any, qtbot: Any, tmp_path: Path, dialog_responder: Any) -> None:
    before = load_first(window, qtbot, tmp_path)
    huge = tmp_path / "huge.csv"
    huge.write_text(f"text,label\n{HUGE_LINE},pos\nbình thường,neg\n", encoding="utf-8")
    over_budget = DataConfig(limits=InputLimits(max_total_bytes=5 * MIB))
    window.data_tab.load_paths([str(huge)], over_budget)
    message = next_error(qtbot, dialog_responder, 0)
    assert "huge.csv is 10.0 MB, more than the 5.0 MB one load may read" in message
    qtbot.waitUntil(lambda: not window.data_tab.is_busy(), timeout=30_000)
    assert window.state.dataset is before

    with qtbot.waitSignal(window.state.dataset_changed, timeout=60_000):
        drop(window, [huge])
    qtbot.waitUntil(lambda: "cut to its first 4.0 MB" in window.data_tab.split_panel.notes.text(),
                    timeout=30_000)
    longest = max(window.state.dataset.documents, key=lambda doc: len(doc.text))
    assert len(longest.text.encode("utf-8")) <= 4 * MIB
    window.data_tab.table.selectRow(next(
        row for row in range(window.data_tab.model.rowCount())
        if window.data_tab.model.document(row) is longest))
    shown = window.data_tab.full_text.toPlainText()  # its start, not megabytes in one line
    assert longest.text[:1000] in shown and shown.endswith("more characters]")
    still_working(window, qtbot, tmp_path)


@pytest.fixture
def model_files(tmp_path: Path) -> tuple[Path, Path]:
    """A small honest model and a copy whose vocabulary is longer than its embedding."""
    from lstm_studio.core.pipeline import train_model

    docs = [Document(f"{'good' if i % 2 else 'bad'} food {i % 5}", "pos" if i % 2 else "neg",
                     "train" if i < 30 else "valid", f"s:{i}") for i in range(40)]
    good = tmp_path / "good.safetensors"
    train_model(Dataset(docs), VocabConfig(),
                ModelConfig(embedding_dim=8, hidden_size=6), TrainConfig(epochs=1),
                out_path=str(good), record_run=False)
    lying = rewrite_safetensors_header(good, tmp_path / "lying.safetensors", lambda h: (
        edit_payload(h, lambda p: p["vocab"]["itos"].extend(f"w{i}" for i in range(30)))))
    return good, lying


def test_a_lying_model_file_keeps_the_loaded_model(window: Any, qtbot: Any,
                                                  dialog_responder: Any,
                                                  model_files: tuple[Path, Path]) -> None:
    good, lying = model_files
    with qtbot.waitSignal(window.state.model_changed, timeout=60_000):
        drop(window, [good])
    loaded = window.state.model
    assert loaded is not None and window.state.model_path == str(good)
    drop(window, [lying])
    message = next_error(qtbot, dialog_responder, 0)
    assert "lying.safetensors is corrupt: its vocabulary has" in message
    assert "but its embedding has" in message
    assert window.state.model is loaded and window.state.model_path == str(good)
    inspect = window.tab("Inspect")
    assert inspect is not None and not inspect.load_checkpoint(str(lying))
    assert "its vocabulary has" in dialog_responder.texts("error")[-1]
    fired: list[bool] = []
    QTimer.singleShot(0, lambda: fired.append(True))
    qtbot.waitUntil(lambda: bool(fired), timeout=5_000)


def test_a_project_with_wrong_types_is_refused_and_nothing_changes(
        window: Any, qtbot: Any, tmp_path: Path, dialog_responder: Any) -> None:
    before = load_first(window, qtbot, tmp_path)
    path = tmp_path / "bad.lstmproj"
    save_project(path, Project())
    data = json.loads(path.read_text())
    data["training"]["batch_size"] = -64
    path.write_text(json.dumps(data))
    drop(window, [path])
    message = next_error(qtbot, dialog_responder, 0)
    assert message == "bad.lstmproj cannot be opened: the batch size must be at least 1."
    assert window.state.dataset is before and window.project_path != str(path)
    still_working(window, qtbot, tmp_path)
