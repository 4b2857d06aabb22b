"""The Train tab driven through its buttons: train, stop, pause, close, evaluate, use, save/load."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.gui.state import AppState
from lstm_studio.gui.train.tab import TrainTab
from lstm_studio.gui.widgets.plot_parts import legend_covers_data

CLOSED_MESSAGE = "Stopped because LSTM Studio was closed during training."
POSITIVE = ["ngon", "tuyệt", "thích", "rẻ", "sạch"]
NEGATIVE = ["dở", "tệ", "chán", "đắt", "bẩn"]
FILLER = ["quán", "món", "này", "rất", "nhân_viên", "phục_vụ", "và", "lắm", "ăn"]


def tiny_documents(count: int, split: str, seed: int) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        label = "pos" if i % 2 == 0 else "neg"
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 9))]
        words.insert(rng.randrange(len(words) + 1),
                     rng.choice(POSITIVE if label == "pos" else NEGATIVE))
        docs.append(Document(" ".join(words), label, split, f"tiny:{split}:{i}"))
    return docs


def tiny_dataset(train: int = 80, valid: int = 24, test: int = 24) -> Dataset:
    return Dataset(tiny_documents(train, "train", 1) + tiny_documents(valid, "valid", 2)
                   + tiny_documents(test, "test", 3))


def lm_dataset() -> Dataset:
    rng = random.Random(4)
    docs = []
    for i in range(60):
        words = ["quán", rng.choice(["này", "kia"]), "rất", rng.choice(POSITIVE + NEGATIVE)]
        split = "train" if i < 44 else ("valid" if i < 52 else "test")
        docs.append(Document(" ".join(words), None, split, f"lm:{i}"))
    return Dataset(docs)


def make_tab(qtbot: Any, dataset: Dataset | None = None, epochs: int = 2,
             task: str = "classify", cell: str = "lstm") -> TrainTab:
    state = AppState()
    state.set_dataset(dataset if dataset is not None else tiny_dataset())
    tab = TrainTab(state)
    qtbot.addWidget(tab, before_close_func=lambda widget: widget.shutdown())
    tab.resize(1280, 800)
    tab.form.set_configs(ModelConfig(task=task, cell=cell, embedding_dim=8, hidden_size=8),
                         TrainConfig(epochs=epochs, batch_size=8, lr=0.03, threads=1))
    tab.show()
    return tab


def click(qtbot: Any, button: Any) -> None:
    from PySide6.QtCore import Qt

    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def train(qtbot: Any, tab: TrainTab, timeout: int = 60_000) -> Any:
    with qtbot.waitSignal(tab.training_finished, timeout=timeout) as blocker:
        click(qtbot, tab.training.start_button)
    return blocker.args[0]


def shot(widget: Any, folder: Path, name: str) -> Path:
    """A screenshot under the test's temporary folder (never in the checkout)."""
    path = folder / name
    assert widget.grab().save(str(path))
    return path


def test_click_start_trains_and_shows_everything(qtbot: Any, tmp_path: Path) -> None:
    tab = make_tab(qtbot, epochs=400)
    view, plots, bar = tab.training, tab.training.plots, tab.training.progress_bar
    statuses: list[str] = []
    tab.state.status_message.connect(statuses.append)
    click(qtbot, view.start_button)
    assert tab.is_training() and not view.start_button.isEnabled()
    assert not tab.form.isEnabled() and not tab.use_view.load_button.isEnabled()
    qtbot.waitUntil(lambda: plots.epoch_count() >= 3, timeout=60_000)
    qtbot.waitUntil(lambda: "ETA" in bar.format(), timeout=10_000)
    live = ("loss_raw", "loss_ema", "grad_norm", "lr", "valid_loss", "valid_metric")
    qtbot.waitUntil(lambda: all(plots.curves[key].xData is not None
                                and len(plots.curves[key].xData) > 0 for key in live),
                    timeout=10_000)
    assert bar.format().startswith("Epoch ")
    assert 0 < bar.value() < bar.maximum()
    shot(tab, tmp_path, "train-tab-mid-training.png")
    with qtbot.waitSignal(tab.training_finished, timeout=60_000) as blocker:
        click(qtbot, view.stop_button)
    result = blocker.args[0]
    assert result.status == "stopped"
    assert any("tokens/s" in text for text in statuses)
    assert tab.form.isEnabled() and tab.use_view.load_button.isEnabled()

    # Now a complete short run.
    tab.form.epochs.setValue(2)
    result = train(qtbot, tab)
    assert result.status == "finished" and result.epochs == 2
    assert tab.state.model is result.bundle
    assert plots.epoch_count() == 2
    steps = plots.step_count()
    assert steps == len(result.bundle.history) * 10  # 80 documents / batch 8
    for key in ("loss_raw", "loss_ema", "grad_norm", "lr", "valid_loss", "valid_metric"):
        assert len(plots.curves[key].getData()[0]) > 0, key
    assert bar.value() == bar.maximum() and bar.format().startswith("Finished")
    counts = tab.evaluate_view.confusion_counts()
    assert len(counts) == 2 and sum(map(sum, counts)) == 24  # the test split
    assert counts == result.test["confusion"]
    assert tab.evaluate_view.per_class.rowCount() == 2
    assert "accuracy" in tab.evaluate_view.summary.text()
    tab.pages.setCurrentWidget(tab.compare)  # the history is read when the page is shown
    assert tab.compare.runs.topLevelItemCount() == 2  # the stopped and the finished run
    tab.pages.setCurrentWidget(tab.evaluate_view)
    shot(tab, tmp_path, "train-tab-evaluate.png")
    tab.pages.setCurrentIndex(0)
    qtbot.wait(300)  # axes re-lay out once for wider tick labels
    shot(tab, tmp_path, "train-tab-after-training.png")


def test_pause_and_resume(qtbot: Any) -> None:
    tab = make_tab(qtbot, epochs=200)
    view = tab.training
    click(qtbot, view.start_button)
    qtbot.waitUntil(lambda: view.plots.step_count() > 5, timeout=60_000)
    click(qtbot, view.pause_button)
    assert view.pause_button.text() == "Resume" and view.is_paused()
    assert view.progress_bar.format().endswith("· paused")
    qtbot.wait(400)  # let the step in flight and the last batch arrive
    paused_at = view.plots.step_count()
    qtbot.wait(600)
    assert view.plots.step_count() == paused_at
    click(qtbot, view.pause_button)
    assert view.pause_button.text() == "Pause" and not view.is_paused()
    assert not view.progress_bar.format().endswith("· paused")
    qtbot.waitUntil(lambda: view.plots.step_count() > paused_at + 5, timeout=30_000)
    with qtbot.waitSignal(tab.training_finished, timeout=60_000) as blocker:
        click(qtbot, view.stop_button)
    assert blocker.args[0].status == "stopped"
    assert view.start_button.isEnabled() and not view.stop_button.isEnabled()


def test_stop_before_the_first_step_reports_cancelled(qtbot: Any) -> None:
    tab = make_tab(qtbot, epochs=2)
    ended: list[str] = []
    tab.training_ended.connect(ended.append)
    task = tab.start_training()  # launched on the next turn of the event loop
    assert task is not None and not task.is_running()
    tab.training.stop()
    qtbot.waitUntil(lambda: ended == ["cancelled"], timeout=10_000)
    assert not task.is_running() and not task.is_finished()  # its thread never started
    assert tab.training.progress_bar.format() == "Stopped before the first step"
    assert not tab.training.slot.is_busy() and tab.training.start_button.isEnabled()


def test_stop_while_paused_keeps_best_weights(qtbot: Any) -> None:
    tab = make_tab(qtbot, epochs=200)
    view = tab.training
    click(qtbot, view.start_button)
    qtbot.waitUntil(lambda: view.plots.epoch_count() >= 2, timeout=60_000)
    click(qtbot, view.pause_button)
    with qtbot.waitSignal(tab.training_finished, timeout=60_000) as blocker:
        click(qtbot, view.stop_button)
    result = blocker.args[0]
    assert result.status == "stopped" and "best epoch" in result.message
    assert tab.state.model is result.bundle and result.valid is not None


def test_closing_during_training_asks_then_stops_cleanly(qtbot: Any,
                                                        dialog_responder: Any) -> None:
    from lstm_studio.core.runs import RunStore

    tab = make_tab(qtbot, epochs=500)
    tab.form.preloader.wait(60)  # its imports are not part of stopping the run
    click(qtbot, tab.training.start_button)
    qtbot.waitUntil(lambda: tab.training.plots.epoch_count() >= 1, timeout=60_000)
    dialog_responder.answers["question"] = False
    assert tab.confirm_close() is False
    assert tab.is_training()
    dialog_responder.answers["question"] = True
    assert tab.confirm_close() is True
    assert "still training" in dialog_responder.texts("question")[-1]
    tab.shutdown()  # how long this takes: bench/bench_gui_stop.py
    assert not tab.training.task.is_running()
    run = RunStore().get(tab.training.run_id)
    # The closing path: stopped right after the trainer's step, final evaluation skipped.
    assert run is not None and run.status == "stopped" and run.message == CLOSED_MESSAGE
    assert 1 <= len(run.history) < 500  # stopped between batches, not run to the end
    assert not tab.is_training()


def test_closing_when_idle_asks_nothing(qtbot: Any, dialog_responder: Any) -> None:
    tab = make_tab(qtbot)
    assert tab.confirm_close() is True
    tab.shutdown()
    assert dialog_responder.texts("question") == []


def test_predict_as_you_type_and_save_load_round_trip(qtbot: Any, tmp_path: Path, finish: Any,
                                                       dialog_responder: Any) -> None:
    tab = make_tab(qtbot, epochs=3)
    result = train(qtbot, tab)
    use = tab.use_view
    tab.pages.setCurrentWidget(use)
    qtbot.keyClicks(use.input, "ngon")  # QTest can only type ASCII keys
    qtbot.waitUntil(lambda: len(use.bars.bar_values()) == 2, timeout=3000)
    first = use.bars.bar_values()
    assert set(first) == {"pos", "neg"} and abs(sum(first.values()) - 1000) <= 2
    expected = result.bundle.predict("ngon")
    assert first["pos"] == round(1000 * expected["pos"])
    qtbot.keyClicks(use.input, " xyzzy")
    qtbot.waitUntil(lambda: use.tokens.unknown() == ["xyzzy"], timeout=3000)
    shot(tab, tmp_path, "train-tab-use.png")

    path = tmp_path / "models" / "tiny.safetensors"
    dialog_responder.answers["save_file"] = str(path)
    click(qtbot, use.save_button)
    assert path.is_file() and tab.state.model_path == str(path)
    tab.state.set_model(None)
    assert use.bars.bar_values() == {} and not use.save_button.isEnabled()
    dialog_responder.answers["open_files"] = [str(path)]
    with qtbot.waitSignal(use.model_loaded, timeout=30_000):
        click(qtbot, use.load_button)
        assert not use.load_button.isEnabled()  # one load at a time
    qtbot.waitUntil(use.load_button.isEnabled, timeout=5000)
    loaded = tab.state.model
    assert loaded is not None and tab.state.model_path == str(path)
    assert loaded.predict("ngon") == pytest.approx(expected)
    assert str(path) in use.model_label.text()

    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"this is not a model")
    dialog_responder.answers["open_files"] = [str(bad)]
    assert finish(use.load_model) is False
    assert dialog_responder.calls[-1].title == "Could not load the model"
    assert "not an LSTM Studio model" in dialog_responder.texts("error")[-1]
    assert tab.state.model is loaded  # the good model stays


def test_misclassified_document_opens_in_inspect(qtbot: Any) -> None:
    tab = make_tab(qtbot)
    metrics = {"accuracy": 0.5, "macro_f1": 0.5, "loss": 0.7, "documents": 2,
               "labels": ["neg", "pos"], "confusion": [[1, 0], [1, 0]],
               "per_class": {"neg": {"precision": 0.5, "recall": 1.0, "f1": 0.67,
                                     "support": 1},
                             "pos": {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                     "support": 1}},
               "misclassified": [{"text": "quán ngon", "label": "pos", "predicted": "neg",
                                  "probability": 0.8, "source": "x"}]}
    view = tab.evaluate_view
    view.show_metrics(metrics, "test")
    assert view.confusion_counts() == [[1, 0], [1, 0]]
    assert view.per_class.item(1, 3).text() == "1"
    from PySide6.QtCore import Qt

    requested: list[str] = []
    tab.state.inspect_requested.connect(requested.append)
    view.misclassified.selectRow(0)  # selecting alone (e.g. arrow keys) switches nothing
    assert requested == []
    table = view.misclassified
    table.setCurrentCell(0, 0)
    with qtbot.waitSignal(tab.state.inspect_requested) as blocker:
        qtbot.keyClick(table, Qt.Key.Key_Return)  # what a double-click or Enter does
    assert blocker.args == ["quán ngon"]


def test_evaluate_on_demand(qtbot: Any) -> None:
    tab = make_tab(qtbot, epochs=1)
    result = train(qtbot, tab)
    view = tab.evaluate_view
    view.split.setCurrentText("valid")
    view.summary.clear()
    done: list[bool] = []
    task = view.evaluate_current(done.append)
    assert task is not None and not view.evaluate_button.isEnabled()
    assert view.evaluate_current() is None  # one evaluation at a time
    qtbot.waitUntil(lambda: done == [True], timeout=30_000)
    assert "<b>valid</b>" in view.summary.text() and "24 documents" in view.summary.text()
    assert view.confusion_counts() == result.valid["confusion"]
    assert view.evaluate_button.isEnabled()


def test_an_evaluation_of_a_replaced_model_is_not_shown(qtbot: Any) -> None:
    tab = make_tab(qtbot, epochs=1)
    result = train(qtbot, tab)
    view = tab.evaluate_view
    shown = view.summary.text()
    done: list[bool] = []
    assert view.evaluate_current(done.append) is not None
    tab.state.set_model(result.bundle, "elsewhere.safetensors")  # another model arrives
    qtbot.waitUntil(lambda: done == [False], timeout=30_000)
    assert view.summary.text() == "The model changed; evaluate it again."
    assert view.summary.text() != shown and view.evaluate_button.isEnabled()


def test_language_model_perplexity_baseline_and_generation(qtbot: Any, finish: Any) -> None:
    tab = make_tab(qtbot, dataset=lm_dataset(), epochs=3, task="lm")
    assert tab.form.problem() is None
    result = train(qtbot, tab)
    assert result.status == "finished"
    view = tab.evaluate_view
    qtbot.waitUntil(lambda: view.ngram_perplexity is not None, timeout=30_000)
    assert "perplexity" in view.summary.text() and "3-gram baseline" in view.summary.text()
    assert "Perplexity" in tab.training.plots.plots["metric"].plotItem.titleLabel.text
    use = tab.use_view
    assert use.generate_box.isEnabled()
    use.prompt.setText("quán này")
    use.length.setValue(5)
    words = use.generate_now()
    assert len(words) <= 5 and "quán này" in use.output.toPlainText()
    assert finish(use.generate_ngram) is True
    assert "3-gram" in use.output.toPlainText()
    use.input.insertPlainText("quán này rất")
    qtbot.waitUntil(lambda: len(use.bars.bar_values()) > 0, timeout=3000)


def test_compare_overlays_runs_and_survives_restart(qtbot: Any, tmp_path: Path) -> None:
    from lstm_studio.core.config import VocabConfig
    from lstm_studio.core.pipeline import train_model
    from lstm_studio.gui.train.compare_view import CompareView

    data = tiny_dataset()
    for cell in ("rnn", "lstm"):
        train_model(data, VocabConfig(), ModelConfig(cell=cell, embedding_dim=8, hidden_size=8),
                    TrainConfig(epochs=2, batch_size=16, threads=1))
    view = CompareView()
    qtbot.addWidget(view)
    assert view.refresh() == 2
    assert view.overlay_count("valid_loss") == 0
    for item in view.items():
        view.set_checked(item.data(0, 0x0100), True)
    names = view.legend_names("valid_loss")
    assert len(names) == 2 and any("RNN" in n for n in names) and any("LSTM" in n for n in
                                                                     names)
    assert view.overlay_count("train_loss") == 2
    assert "2 runs are in the history" in view.note.text()
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    for key in view.plots:
        assert not legend_covers_data(view.plots[key]), key
    shot(view, tmp_path, "train-tab-compare.png")
    restarted = CompareView()  # a new window reads the same store from disk
    qtbot.addWidget(restarted)
    assert restarted.refresh() == 2


def test_self_test_stage_trains_through_the_tab(qtbot: Any) -> None:
    tab = make_tab(qtbot, epochs=7)
    summary = tab.self_test_stage()
    assert "checkpoint saved and reloaded" in summary and "\n" not in summary
    assert tab.form.epochs.value() == 7  # the user's settings are put back
    assert tab.state.model is not None


def test_closing_the_main_window_during_training(qtbot: Any, window: Any,
                                                 dialog_responder: Any) -> None:
    from lstm_studio.core.runs import RunStore

    tab = window.tab("Train")
    assert isinstance(tab, TrainTab)
    tab.form.preloader.wait(60)
    window.state.set_dataset(tiny_dataset())
    tab.form.set_configs(ModelConfig(embedding_dim=8, hidden_size=8),
                         TrainConfig(epochs=500, batch_size=8, threads=1))
    click(qtbot, tab.training.start_button)
    qtbot.waitUntil(lambda: tab.training.plots.step_count() > 0, timeout=60_000)
    dialog_responder.answers["question"] = False
    window.close()
    assert window.isVisible() and tab.is_training()  # "no" keeps the window and the run
    dialog_responder.answers["question"] = True
    window.close()  # how long this takes: bench/bench_gui_stop.py
    assert not window.isVisible()
    assert not tab.training.task.is_running()
    run = RunStore().get(tab.training.run_id)
    assert run is not None and run.status == "stopped" and run.message == CLOSED_MESSAGE
    assert len(run.history) < 500  # stopped between batches, not run to the end
