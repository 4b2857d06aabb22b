"""Train tab parts that need no training: the form, presets, checks, summary, plots, export."""

from __future__ import annotations

import csv
import dataclasses
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from lstm_studio.core.config import PRESETS, ModelConfig, TrainConfig
from lstm_studio.core.model_size import weight_shapes
from lstm_studio.gui.train.form import TrainForm
from lstm_studio.gui.train.job import EventBatcher
from lstm_studio.gui.train.plots import TrainPlots
from lstm_studio.gui.widgets.plot_parts import legend_covers_data, legend_names

FROM_THE_DATA = {"vocab_size", "num_classes"}  # model fields the data sets, not the form


def step(i: int, loss: float = 1.0) -> Any:
    from lstm_studio.core.events import StepEvent

    return StepEvent(epoch=1, step=i, steps_per_epoch=10**6, global_step=i, loss=loss,
                     accuracy=0.5, grad_norm=10.0 ** (i % 5 - 2), lr=1e-3, tokens_per_s=1000.0)


def test_presets_fill_the_form(qtbot: Any) -> None:
    form = TrainForm()
    qtbot.addWidget(form)
    form.apply_preset("Lecture RNN")
    config = form.model_config()
    assert (config.cell, config.nonlinearity, config.embedding_dim, config.hidden_size) == (
        "rnn", "tanh", 200, 50)
    assert form.preset.currentText() == "Lecture RNN"
    form.apply_preset("BiLSTM")
    assert form.model_config().cell == "lstm" and form.model_config().bidirectional
    form.hidden_size.setValue(64)  # editing a preset's value makes it custom
    assert form.preset.currentText() == "Custom"
    assert set(PRESETS) <= {form.preset.itemText(i) for i in range(form.preset.count())}


def test_round_trip_of_configs(qtbot: Any) -> None:
    """Every field is read back from its widget (not carried over from the config set)."""
    form = TrainForm()
    qtbot.addWidget(form)
    model = ModelConfig(task="classify", cell="rnn", nonlinearity="relu", embedding_dim=32,
                        hidden_size=24, num_layers=2, bidirectional=True, dropout=0.3,
                        pooling="max", tie_weights=True, vocab_size=0, num_classes=2)
    train = TrainConfig(optimizer="sgd", lr=0.05, weight_decay=0.001, momentum=0.9,
                        plateau_schedule=True, plateau_factor=0.25, plateau_patience=3,
                        batch_size=17, epochs=7, grad_clip=None, early_stopping=2, seed=5,
                        threads=2, max_len=99, restore_best=False, time_budget_s=90.0)
    form.set_configs(model, train)
    shown_model = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)
                   if f.name not in FROM_THE_DATA}
    assert form.model_binder.values() == shown_model
    assert form.train_binder.values() == dataclasses.asdict(train)
    assert form.model_config() == model and form.train_config() == train
    form.set_configs(ModelConfig(), TrainConfig())  # and back: no value sticks
    assert form.train_config() == TrainConfig()
    assert form.model_config() == dataclasses.replace(ModelConfig(), num_classes=2)


def test_widget_edits_become_the_config(qtbot: Any) -> None:
    form = TrainForm()
    qtbot.addWidget(form)
    changes: list[bool] = []
    form.changed.connect(lambda: changes.append(True))
    form.cell.setCurrentIndex(form.cell.findData("rnn-relu"))  # one combo, two fields
    form.grad_clip.setValue(0.0)  # shows "off"
    form.time_budget_s.setValue(120)
    form.optimizer.setCurrentIndex(form.optimizer.findData("adamw"))
    form.momentum.setValue(0.5)  # ignored: momentum is for SGD only
    model, train = form.model_config(), form.train_config()
    assert (model.cell, model.nonlinearity) == ("rnn", "relu")
    assert form.grad_clip.text() == "off" and train.grad_clip is None
    assert train.time_budget_s == 120.0 and train.momentum == 0.0
    assert len(changes) == 5


def test_invalid_combinations_are_explained_and_block_start(qtbot: Any) -> None:
    from test_train_tab import tiny_dataset

    from lstm_studio.gui.state import AppState
    from lstm_studio.gui.train.tab import TrainTab

    state = AppState()
    state.set_dataset(tiny_dataset())
    tab = TrainTab(state)
    qtbot.addWidget(tab)
    start = tab.training.start_button
    assert start.isEnabled()
    tab.form.bidirectional.setChecked(True)
    tab.form.task.setCurrentIndex(tab.form.task.findData("lm"))
    assert "bidirectional" in tab.form.problem_label.text()
    assert not tab.form.problem_label.isHidden()
    assert not start.isEnabled()
    assert tab.training.hint.text() == tab.form.problem()
    tab.form.bidirectional.setChecked(False)
    tab.form.tie_weights.setChecked(True)
    tab.form.embedding_dim.setValue(20)
    tab.form.hidden_size.setValue(30)
    assert "20" in tab.form.problem() and "30" in tab.form.problem()
    assert not start.isEnabled()
    tab.form.hidden_size.setValue(20)
    assert tab.form.problem() is None
    assert start.isEnabled() and tab.training.hint.isHidden()


def test_no_dataset_explains_why_start_is_disabled(qtbot: Any) -> None:
    from lstm_studio.gui.state import AppState
    from lstm_studio.gui.train.tab import TrainTab

    tab = TrainTab(AppState())
    qtbot.addWidget(tab)
    assert not tab.training.start_button.isEnabled()
    assert "Data tab" in tab.training.hint.text()
    assert tab.start_training() is None  # the method refuses too, not only the button


@pytest.mark.parametrize("cell,bidirectional,layers,task,tie", [
    ("lstm", False, 1, "classify", False), ("lstm", True, 2, "classify", False),
    ("gru", False, 2, "lm", False), ("rnn", True, 1, "classify", False),
    ("lstm", False, 1, "lm", True),
])
def test_summary_shapes_match_the_real_model(cell: str, bidirectional: bool, layers: int,
                                             task: str, tie: bool) -> None:
    from lstm_studio.core.models import build_model

    config = ModelConfig(task=task, cell=cell, embedding_dim=6 if not tie else 5,
                         hidden_size=5, num_layers=layers, bidirectional=bidirectional,
                         tie_weights=tie, vocab_size=30, num_classes=3)
    real = {name: tuple(p.shape) for name, p in build_model(config).named_parameters()}
    mine = {w.name: w.shape for w in weight_shapes(config)}
    assert mine == real


def test_summary_labels_lstm_gate_blocks(qtbot: Any) -> None:
    form = TrainForm()
    qtbot.addWidget(form)
    form.cell.setCurrentIndex(form.cell.findData("lstm"))
    form.hidden_size.setValue(8)
    from PySide6.QtCore import Qt

    tree = form.summary.tree
    item = tree.findItems("rnn.weight_hh_l0", Qt.MatchFlag.MatchExactly)[0]
    children = [item.child(i).text(0) for i in range(item.childCount())]
    assert children == ["i  (rows 0:8)", "f  (rows 8:16)", "g  (rows 16:24)",
                        "o  (rows 24:32)"]
    assert item.text(1) == "32 × 8"
    form.cell.setCurrentIndex(form.cell.findData("gru"))
    item = tree.topLevelItem(1)
    assert [item.child(i).text(0)[0] for i in range(item.childCount())] == ["r", "z", "n"]
    total = sum(w.count for w in weight_shapes(form.model_config()))
    assert f"<b>{total:,}</b> parameters" in form.summary.total.text()


def test_event_batcher_groups_steps_but_passes_epochs_at_once() -> None:
    batches: list[list[Any]] = []
    batcher = EventBatcher(batches.append, interval=10.0)
    for i in range(1, 500):
        batcher.push(step(i))
    assert len(batches) == 1 and len(batches[0]) == 1  # first one goes out at once
    batcher.push(SimpleNamespace())  # any other event goes out at once, with the buffer
    assert len(batches) == 2 and len(batches[1]) == 499
    batcher.push(step(600))
    batcher.flush()
    assert [len(b) for b in batches] == [1, 499, 1]


def test_plots_hold_100k_points_hover_and_export(qtbot: Any, tmp_path: Any) -> None:
    plots = TrainPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 700)
    plots.show()
    plots.add_steps([step(i, loss=2.0 / (1 + i / 1000)) for i in range(1, 100_001)])
    plots.add_epoch({"epoch": 1, "train_loss": 0.6, "valid_loss": 0.7,
                     "train_accuracy": 0.8, "valid_accuracy": 0.75, "improved": True})
    qtbot.waitUntil(lambda: plots.redraws >= 5, timeout=3000)
    xs, ys = plots.curves["loss_raw"].getOriginalDataset()
    assert len(xs) == 100_000 and ys[0] == pytest.approx(2.0 / 1.001)
    shown = plots.curves["loss_raw"].getData()[0]
    assert 0 < len(shown) < 20_000  # peak-downsampled to the plot's width
    smooth = plots.curves["loss_ema"].getOriginalDataset()[1]
    assert smooth[-1] == pytest.approx(2.0 / 101, rel=0.05)
    assert plots.curves["loss_raw"].opts["autoDownsample"]
    assert plots.curves["loss_raw"].opts["clipToView"]
    assert plots.plots["grad_norm"].plotItem.ctrl.logYCheck.isChecked()
    assert len(plots.curves["valid_metric"].getData()[0]) == 1
    for key, names in (("loss", ["raw", "smoothed"]), ("epoch_loss", ["train", "valid"]),
                       ("metric", ["train", "valid"])):
        assert legend_names(plots.plots[key]) == names
        assert not legend_covers_data(plots.plots[key]), key
    text = plots.hovers["loss"].show_at(5000.2, 1.0)
    assert "x = 5000" in text and "raw: 0.3333" in text
    # A real mouse move over the grad-norm plot (log axis) shows the raw, unlogged value.
    grad = plots.plots["grad_norm"]
    centre = grad.plotItem.vb.sceneBoundingRect().center()
    qtbot.mouseMove(grad.viewport(), grad.mapFromScene(centre))
    qtbot.waitUntil(lambda: plots.hovers["grad_norm"].text != "", timeout=3000)
    assert plots.hovers["grad_norm"].line.isVisible()
    value = float(plots.hovers["grad_norm"].text.split("norm: ")[1])
    assert any(value == pytest.approx(v) for v in (0.01, 0.1, 1.0, 10.0, 100.0))
    paths = plots.export_pngs(tmp_path / "png")
    assert [p.name for p in paths] == ["loss.png", "epoch_loss.png", "metric.png",
                                       "grad_norm.png", "lr.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    plots.export_csv(tmp_path / "metrics.csv")
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open(encoding="utf-8")))
    assert len(rows) == 100_001
    assert rows[0]["record"] == "step" and float(rows[0]["loss"]) == pytest.approx(2 / 1.001)
    assert rows[-1]["record"] == "epoch" and rows[-1]["valid_accuracy"] == "0.75"


def test_redraws_are_spread_one_plot_per_tick(qtbot: Any) -> None:
    plots = TrainPlots()
    qtbot.addWidget(plots)
    before = plots.redraws
    for i in range(1, 200):
        plots.add_steps([step(i)])  # many batches in a burst: no redraw yet
    assert plots.redraws == before
    qtbot.wait(400)
    assert plots.redraws == before  # hidden: nothing is drawn
    plots.show()
    qtbot.waitUntil(lambda: plots.redraws >= before + 3, timeout=2000)
    qtbot.wait(400)
    assert plots.redraws == before + 3  # loss, grad norm, lr: once each
    assert np.array_equal(plots.curves["lr"].getOriginalDataset()[0], np.arange(1, 200))


def test_devices_listed_only_when_present(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    form = TrainForm()
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.preloader.loaded, timeout=30_000):
        form.preloader.start()
    listed = [form.device.itemData(i) for i in range(form.device.count())]
    assert listed[0] == "cpu" and ("cuda" in listed) == torch.cuda.is_available()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    form._on_torch_loaded()
    assert [form.device.itemData(i) for i in range(form.device.count())][:2] == ["cpu", "cuda"]


def test_project_state_round_trip(qtbot: Any) -> None:
    from lstm_studio.gui.state import AppState
    from lstm_studio.gui.train.tab import TrainTab

    tab = TrainTab(AppState())
    qtbot.addWidget(tab)
    tab.form.apply_preset("GRU")
    tab.form.epochs.setValue(9)
    saved = tab.project_state()
    assert tab.state.model_config.cell == "gru"  # the shared state follows the form
    other = TrainTab(AppState())
    qtbot.addWidget(other)
    other.restore_project_state(saved)
    assert other.form.model_config().cell == "gru" and other.form.train_config().epochs == 9
