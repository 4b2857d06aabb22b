"""Quality in the window: the form's quality settings, the vector coverage check, the word2vec
step, the Search page (3 trials, stop, apply best), the reliability chart and the small-class
notes of the Data and Vocabulary tabs."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.readers import load_sources
from lstm_studio.core.runs import RunStore
from lstm_studio.gui.state import AppState
from lstm_studio.gui.train.tab import TrainTab
from lstm_studio.resources_path import sample_paths

SHOTS = Path("/tmp/lstm-studio-quality-shots")


def click(qtbot: Any, button: Any) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def make_tab(qtbot: Any, dataset: Any = None) -> TrainTab:
    state = AppState()
    state.set_dataset(dataset if dataset is not None else load_sources(sample_paths()))
    tab = TrainTab(state)
    qtbot.addWidget(tab, before_close_func=lambda widget: widget.shutdown())
    tab.resize(1280, 900)
    tab.form.set_configs(ModelConfig(embedding_dim=8, hidden_size=8),
                         TrainConfig(epochs=1, batch_size=32, threads=1))
    tab.show()
    return tab


def test_quality_settings_round_trip_through_the_form(qtbot: Any) -> None:
    tab = make_tab(qtbot)
    form, box = tab.form, tab.form.quality
    wanted = TrainConfig(epochs=3, class_weight="balanced", oversample=True,
                         select="macro_f1", embeddings="/data/vectors.vec",
                         freeze_embeddings=2, temperature_scaling=True, tune_threshold=True)
    form.set_configs(ModelConfig(), wanted)
    assert box.class_weight.currentData() == "balanced" and box.freeze.value() == 2
    assert box.embeddings.text() == "/data/vectors.vec"
    got = form.train_config()
    for name in ("class_weight", "oversample", "select", "embeddings", "freeze_embeddings",
                 "temperature_scaling", "tune_threshold"):
        assert getattr(got, name) == getattr(wanted, name), name
    box.class_weight.setCurrentIndex(box.class_weight.findData("effective"))
    box.embeddings.clear()
    assert form.train_config().class_weight == "effective"
    assert form.train_config().embeddings is None
    assert tab.state.train_config.class_weight == "effective"  # the tab follows edits
    # A language model has no classes: the classifier-only settings are reset and disabled.
    form.task.setCurrentIndex(form.task.findData("lm"))
    assert not box.class_weight.isEnabled() and form.train_config().class_weight == "none"
    assert not box.threshold.isChecked() and form.train_config().select == "auto"


def test_coverage_check_reports_shares_and_problems(qtbot: Any, tmp_path: Path) -> None:
    tab = make_tab(qtbot)
    box = tab.form.quality
    vectors = tmp_path / "v.vec"
    vectors.write_text("3 2\nmón 1 2\nquán 3 4\nbroken 1\n", encoding="utf-8")
    box.embeddings.setText(str(vectors))
    click(qtbot, box.check_button)
    qtbot.waitUntil(lambda: "Pretrained vectors cover 2 of" in box.vector_status.text(),
                    timeout=30_000)
    assert "1 line(s) of v.vec have the wrong number of values" in box.vector_status.text()
    assert "2-dimensional" in box.vector_status.text()
    empty = tmp_path / "none.vec"
    empty.write_text("1 2\nnothing 1 2\n", encoding="utf-8")
    box.embeddings.setText(str(empty))
    click(qtbot, box.check_button)
    qtbot.waitUntil(lambda: "None of the" in box.vector_status.text(), timeout=30_000)
    assert box.check_button.isEnabled()


def test_word2vec_step_writes_vectors_and_fills_the_field(qtbot: Any) -> None:
    pytest.importorskip("gensim")
    tab = make_tab(qtbot)
    box = tab.form.quality
    click(qtbot, box.word2vec_button)
    qtbot.waitUntil(lambda: box.embeddings.text().endswith(".vec"), timeout=60_000)
    path = Path(box.embeddings.text())
    assert path.is_file() and path.read_text(encoding="utf-8").split()[1] == "8"  # dim
    assert tab.form.train_config().embeddings == str(path)
    qtbot.waitUntil(lambda: "Pretrained vectors cover" in box.vector_status.text(),
                    timeout=30_000)


def small_space(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("optuna")
    import lstm_studio.core.search as search

    monkeypatch.setattr(search, "SPACE", {**search.SPACE, "hidden_size": ("choice", [8, 16]),
                                          "num_layers": ("choice", [1]),
                                          "batch_size": ("choice", [32, 64])})


def test_three_trial_search_records_runs_and_applies_the_best(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    small_space(monkeypatch)
    tab = make_tab(qtbot)
    view = tab.search_view
    tab.pages.setCurrentWidget(view)
    view.trial_count.setValue(3)
    view.budget.setValue(0)
    assert not view.apply_button.isEnabled()
    with qtbot.waitSignal(view.search_ended, timeout=120_000) as ended:
        click(qtbot, view.start_button)
        assert not tab.training.start_button.isEnabled()  # no training while searching
    assert ended.args == ["finished"]
    assert view.table.rowCount() == 3 and len(RunStore().list_runs()) == 3
    best = view.result.best
    assert f"Best: trial {best.number}" in view.status.text()
    SHOTS.mkdir(exist_ok=True)
    assert view.grab().save(str(SHOTS / "search.png"))
    qtbot.waitUntil(view.apply_button.isEnabled)
    click(qtbot, view.apply_button)
    model, train = tab.form.model_config(), tab.form.train_config()
    assert tab.pages.currentIndex() == 0
    assert model.cell == best.params["cell"].removeprefix("bi")
    assert model.bidirectional == best.params["cell"].startswith("bi")
    assert (model.hidden_size, model.pooling) == (best.params["hidden_size"],
                                                  best.params["pooling"])
    assert model.dropout == best.model_config["dropout"] == round(best.params["dropout"], 2)
    assert train.lr == pytest.approx(best.params["lr"], rel=1e-2)
    assert (train.batch_size, train.class_weight) == (best.params["batch_size"],
                                                      best.params["class_weight"])
    assert tab.training.start_button.isEnabled()


def test_stopping_a_search_keeps_the_finished_trials(qtbot: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    small_space(monkeypatch)
    tab = make_tab(qtbot)
    view = tab.search_view
    view.trial_count.setValue(50)
    with qtbot.waitSignal(view.trial_finished, timeout=120_000):
        click(qtbot, view.start_button)
    with qtbot.waitSignal(view.search_ended, timeout=60_000) as ended:
        click(qtbot, view.stop_button)
    assert ended.args == ["stopped"]
    assert 1 <= view.table.rowCount() < 50 and view.result.stopped
    assert view.result.best is not None and view.apply_button.isEnabled()


def test_evaluate_view_draws_the_reliability_diagram(qtbot: Any) -> None:
    tab = make_tab(qtbot)
    tab.form.quality.temperature.setChecked(True)
    with qtbot.waitSignal(tab.training_finished, timeout=60_000) as done:
        click(qtbot, tab.training.start_button)
    result = done.args[0]
    chart = tab.evaluate_view.reliability
    metrics = result.test or result.valid
    assert chart.ece == pytest.approx(metrics["calibration"]["ece"])
    assert sum(b["count"] for b in chart.bins) == metrics["documents"]
    assert result.bundle.calibration["temperature"] > 0
    tab.pages.setCurrentWidget(tab.evaluate_view)
    SHOTS.mkdir(exist_ok=True)
    assert tab.grab().save(str(SHOTS / "evaluate.png"))


def write_imbalanced_csv(path: Path) -> Path:
    rows = [("quán ngon lắm", "pos", "train")] * 40 + [("quán dở quá", "neg", "train")] * 40
    rows += [("bình thường", "neutral", "train")] * 4
    rows += [("ngon", "pos", "test"), ("dở", "neg", "test")]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "split"])
        writer.writerows(rows)
    return path


def test_data_and_vocabulary_tabs_warn_about_a_small_class(window: Any, qtbot: Any,
                                                          finish: Any, tmp_path: Path) -> None:
    data = window.data_tab
    assert finish(lambda done: data.load_paths(sample_paths(), on_done=done))
    assert not data.imbalance.is_shown()
    path = write_imbalanced_csv(tmp_path / "imbalanced.csv")
    assert finish(lambda done: data.load_paths([str(path)], on_done=done))
    assert data.imbalance.is_shown() and "neutral 4.8%" in data.imbalance.text()
    assert "balanced" in data.imbalance.text()
    window.tabs.setCurrentWidget(window.tab("Vocabulary"))
    vocab = window.tab("Vocabulary")
    if not vocab.imbalance.is_shown():
        with qtbot.waitSignal(vocab.built, timeout=60_000):
            qtbot.mouseClick(vocab.build_button, Qt.MouseButton.LeftButton)
    assert vocab.imbalance.is_shown() and "neutral 4.8%" in vocab.imbalance.text()
    SHOTS.mkdir(exist_ok=True)
    assert data.grab().save(str(SHOTS / "data-note.png"))


def test_screenshot_of_the_quality_settings(qtbot: Any) -> None:
    tab = make_tab(qtbot)
    tab.form.quality.class_weight.setCurrentIndex(1)
    tab.form.quality.embeddings.setText("/home/me/vectors/vi.vec")
    SHOTS.mkdir(exist_ok=True)
    assert tab.form.quality.grab().save(str(SHOTS / "quality-box.png"))
    assert tab.grab().save(str(SHOTS / "train-tab.png"))


def test_compare_shows_the_kept_epoch_by_its_selection_metric() -> None:
    from dataclasses import replace

    from lstm_studio.core.runs import RunRecord
    from lstm_studio.gui.train.compare_view import best_valid

    history = [{"epoch": 1, "valid_accuracy": 0.95, "valid_macro_f1": 0.60},
               {"epoch": 2, "valid_accuracy": 0.93, "valid_macro_f1": 0.71}]
    record = RunRecord(run_id="r", created="2026-12-02T00:00:00+00:00", history=history,
                       model_config={"task": "classify"},
                       summary={"selection": {"metric": "macro_f1", "epoch": 2}})
    assert best_valid(record) == "F1 0.710 (epoch 2)"
    assert best_valid(replace(record, summary={})) == "0.950"  # older runs: best accuracy
