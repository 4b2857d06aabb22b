"""Projects: save/open round trip through two real windows, migration, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lstm_studio.core.project import (
    VERSION,
    Project,
    ProjectError,
    load_project,
    migrate,
    save_project,
)
from lstm_studio.gui.main_window import MainWindow
from lstm_studio.resources_path import sample_paths


def test_round_trip_restores_data_splits_cleaning_and_settings(
        window: Any, qtbot: Any, finish: Any, tmp_path: Path) -> None:
    data = tmp_path / "data" / "reviews.csv"
    data.parent.mkdir()
    shutil.copy(sample_paths()[0], data)
    tab = window.data_tab
    assert finish(lambda done: tab.load_paths([str(data)], on_done=done))
    panel = tab.split_panel
    panel.random_radio.setChecked(True)
    panel.seed_box.setValue(3)
    assert finish(lambda done: tab.apply_config(panel.edited_config(), on_done=done))
    clean = window.tab("Clean")
    clean.panel.threshold_box.setValue(0.8)
    clean.panel.step_boxes["lowercase"].setChecked(False)
    assert finish(clean.run_cleaning)
    train = window.tab("Train")  # its form owns these settings: set them through it
    state_data = train.project_state()
    state_data["model_config"]["hidden_size"] = 32
    state_data["train_config"]["epochs"] = 2
    train.restore_project_state(state_data)
    assert window.state.model_config.hidden_size == 32
    splits = [d.split for d in window.state.dataset.documents]
    kept = len(window.state.cleaned.dataset)

    path = tmp_path / "work.lstmproj"
    window.save_project_to(str(path))
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["version"] == VERSION and stored["cleaning"]["ran"] is True
    assert window.windowTitle().startswith("work")

    other = MainWindow()
    qtbot.addWidget(other)
    with qtbot.waitSignal(other.project_opened, timeout=60_000) as blocker:
        assert other.open_project(str(path))
    assert blocker.args == [True]
    state = other.state
    assert state.data_config.sources == [str(data.resolve())]
    assert state.data_config.random_split == (0.8, 0.1, 0.1)
    assert state.data_config.random_split_seed == 3
    assert [d.split for d in state.dataset.documents] == splits
    assert state.cleaned is not None and len(state.cleaned.dataset) == kept
    assert state.cleaning_config.threshold == 0.8
    assert other.tab("Clean").panel.threshold_box.value() == 0.8
    assert not other.tab("Clean").panel.step_boxes["lowercase"].isChecked()
    assert state.model_config.hidden_size == 32 and state.train_config.epochs == 2
    other.shutdown_tabs()


def test_a_project_whose_folder_moved_with_its_data_still_opens(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    shutil.copy(sample_paths()[0], folder / "reviews.csv")
    save_project(folder / "p.lstmproj",
                 Project(data=Project().data.__class__(sources=[str(folder / "reviews.csv")])))
    moved = tmp_path / "b"
    folder.rename(moved)
    project, notes = load_project(moved / "p.lstmproj")
    assert project.data.sources == [str((moved / "reviews.csv").resolve())]
    assert notes == []


def test_missing_source_is_a_clear_error(window: Any, tmp_path: Path,
                                         dialog_responder: Any) -> None:
    data = tmp_path / "gone.csv"
    shutil.copy(sample_paths()[0], data)
    path = tmp_path / "p.lstmproj"
    save_project(path, Project(data=Project().data.__class__(sources=[str(data)])))
    data.unlink()
    assert not window.open_project(str(path))
    message = dialog_responder.texts("error")[0]
    assert "gone.csv" in message and "missing" in message


def test_migrate_and_refuse_newer_or_foreign_files(tmp_path: Path) -> None:
    old = {"format": "lstm-studio-project", "version": 1, "data": {"sources": []},
           "cleaning": {"threshold": 0.5}, "vocabulary": {"min_freq": 3}}
    migrated = migrate(dict(old))
    assert migrated["version"] == VERSION
    assert migrated["cleaning"] == {"config": {"threshold": 0.5}, "ran": True}
    path = tmp_path / "old.lstmproj"
    path.write_text(json.dumps(old), encoding="utf-8")
    project, _ = load_project(path)
    assert project.cleaning.threshold == 0.5 and project.vocabulary.min_freq == 3
    with pytest.raises(ProjectError, match="newer"):
        migrate({"version": VERSION + 1})
    foreign = tmp_path / "x.lstmproj"
    foreign.write_text("{\"hello\": 1}", encoding="utf-8")
    with pytest.raises(ProjectError, match="not an LSTM Studio project"):
        load_project(foreign)
    with pytest.raises(ProjectError, match="does not exist"):
        load_project(tmp_path / "nothing.lstmproj")


def test_missing_model_file_is_a_note_not_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "p.lstmproj"
    save_project(path, Project(model_path=str(tmp_path / "model.safetensors")))
    project, notes = load_project(path)
    assert project.model_path is None
    assert "model" in notes[0] and "missing" in notes[0]


def test_opening_a_second_project_abandons_the_first(window: Any, qtbot: Any, tmp_path: Path,
                                                     dialog_responder: Any) -> None:
    first_data, second_data = tmp_path / "first.csv", tmp_path / "second.csv"
    shutil.copy(sample_paths()[0], first_data)
    second_data.write_text("text,label\n" + "".join(
        f"review number {i},{'pos' if i % 2 else 'neg'}\n" for i in range(40)),
        encoding="utf-8")
    first, second = tmp_path / "first.lstmproj", tmp_path / "second.lstmproj"
    save_project(first, Project(data=Project().data.__class__(sources=[str(first_data)]),
                                cleaning_ran=True))
    save_project(second, Project(data=Project().data.__class__(sources=[str(second_data)])))
    outcomes: list[bool] = []
    window.project_opened.connect(outcomes.append)
    assert window.open_project(str(first))
    assert window.open_project(str(second))  # before the first finished loading
    qtbot.waitUntil(lambda: bool(outcomes), timeout=60_000)
    qtbot.wait(300)  # the first must not report (nor start cleaning) afterwards
    assert outcomes == [True]
    assert window.state.data_config.sources == [str(second_data.resolve())]
    assert len(window.state.dataset) == 40 and window.state.cleaned is None
    assert dialog_responder.texts("error") == []
    assert window.windowTitle().startswith("second")
