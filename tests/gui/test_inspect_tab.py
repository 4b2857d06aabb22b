"""The Inspect tab driven through its real widgets; every number checked against the core trace."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
import torch
from PySide6.QtCore import Qt

from lstm_studio.core.checkpoint import ModelBundle, save_checkpoint
from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.gates import derivations, gradient_flow, prefix_predictions, toy_cell
from lstm_studio.core.gates import trace as core_trace
from lstm_studio.core.models import build_model
from lstm_studio.gui.inspect.export import check_against_core
from lstm_studio.gui.inspect.tab import InspectTab
from lstm_studio.gui.state import AppState
from lstm_studio.gui.widgets.plot_parts import legend_covers_data, legend_names

TEXTS = ["món này ngon lắm", "phục_vụ hơi chậm nhưng quán đẹp", "không ngon không quay lại"]
SENTENCE = "món này ngon nhưng phục_vụ rất chậm"  # "rất" is not in the vocabulary


def make_bundle(cell: str = "lstm", layers: int = 1, bidirectional: bool = False,
                hidden: int = 6, task: str = "classify", seed: int = 0) -> ModelBundle:
    from lstm_studio.core.vocab import Vocabulary

    vocab_config = VocabConfig(lm_specials=task == "lm")
    vocab = Vocabulary.build(TEXTS, vocab_config)
    config = ModelConfig(task=task, cell=cell, embedding_dim=5, hidden_size=hidden,
                         num_layers=layers, bidirectional=bidirectional, vocab_size=len(vocab),
                         num_classes=2 if task == "classify" else 0)
    torch.manual_seed(seed)
    model = build_model(config)
    model.eval()
    labels = ["neg", "pos"] if task == "classify" else []
    cleaning = CleaningConfig(detect_language=False)
    return ModelBundle(model, config, TrainConfig(), vocab_config, vocab, labels, cleaning)


@pytest.fixture
def make_tab(qtbot):
    tabs = []

    def build(bundle: ModelBundle | None = None, sentence: str = SENTENCE,
              state: AppState | None = None) -> InspectTab:
        state = state or AppState()
        if bundle is not None:
            state.set_model(bundle, None)
        tab = InspectTab(state)
        qtbot.addWidget(tab)
        tab.resize(1280, 760)
        tab.sentence_bar.sentence.setText(sentence)
        tab.show()
        qtbot.waitExposed(tab)
        qtbot.waitUntil(lambda: tab.walk.inspection is not None, timeout=20_000)
        tabs.append(tab)
        return tab

    yield build
    for tab in tabs:
        tab.shutdown()


def test_stepping_with_buttons_and_keys_updates_every_view(qtbot, make_tab) -> None:
    bundle = make_bundle()
    tab = make_tab(bundle)
    walk, view, bar = tab.walk, tab.walk.view, tab.walk.step_bar
    trace = core_trace(bundle, SENTENCE)
    assert walk.tokens.texts() == trace.tokens == SENTENCE.split()
    unknown = trace.tokens.index("rất")
    assert walk.tokens.is_oov(unknown) and not walk.tokens.is_oov(0)
    walk.set_unit(4)
    before = view.formulas.toPlainText()
    qtbot.mouseClick(bar.forward_button, Qt.MouseButton.LeftButton)
    assert walk.position() == 1 and walk.tokens.current() == 1
    assert walk.tokens.current_text() == trace.tokens[1]
    d = trace.get(0, "forward")
    texts = view.diagram.wire_texts()
    assert texts["f"] == f"f_t = {d.gates['f'].value[1, 4]:.3f}"
    assert texts["c"] == f"c_t = {d.c[1, 4]:.3f}"
    assert texts["h_prev"] == f"h_{{t-1}} = {d.h[0, 4]:.3f}"  # h_{t-1} is the previous h_t
    shown = view.formulas.toPlainText()
    assert shown != before
    for item in derivations(trace, 0, "forward", 1, 4):
        assert item.text.split("\n")[1] in shown
    top = d.top_terms(1, "f", 4)["input"][0]  # the largest product inside W_if·x_t
    assert f"[{top['index']}] {top['weight']:.3f}·{top['value']:.3f} = {top['product']:.3f}" \
        in shown
    check_against_core(walk)
    qtbot.keyClick(tab, Qt.Key.Key_Right)
    qtbot.keyClick(tab, Qt.Key.Key_Right)
    assert walk.position() == 3 and bar.slider.value() == 3
    qtbot.keyClick(tab, Qt.Key.Key_Left)
    assert walk.tokens.current() == 2
    qtbot.keyClick(tab, Qt.Key.Key_Up)  # Up/Down choose the unit
    assert walk.unit == 3 and walk.controls.unit_spin.value() == 3
    check_against_core(walk)
    qtbot.mouseClick(bar.back_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.back_button, Qt.MouseButton.LeftButton)
    assert walk.position() == 0 and not bar.back_button.isEnabled()
    bar.slider.setValue(len(trace.tokens) - 1)
    assert walk.position() == len(trace.tokens) - 1 and not bar.forward_button.isEnabled()
    # The prediction after the current prefix is the core's.
    expected = prefix_predictions(bundle, SENTENCE)[walk.position()].probabilities
    shown_bars = dict(view.prediction.shown())
    assert shown_bars == {label: f"{p:.3f}" for label, p in expected.items()}


def test_stage_walk_follows_the_lecture_and_moves_on(qtbot, make_tab) -> None:
    tab = make_tab(make_bundle())
    walk, view, bar = tab.walk, tab.walk.view, tab.walk.step_bar
    walked = []
    for _ in range(6):
        qtbot.mouseClick(bar.stage_forward, Qt.MouseButton.LeftButton)
        walked.append(view.diagram.stage())
        assert bar.stage_box.currentData() == walk.stage
        check_against_core(walk)
    assert walked == ["forget", "input", "candidate", "output", "cell", "hidden"]
    assert walk.position() == 0
    assert "box_o" not in view.diagram.highlighted_parts()
    assert "mul_o" in view.diagram.highlighted_parts()
    qtbot.mouseClick(bar.stage_forward, Qt.MouseButton.LeftButton)
    assert walk.position() == 1 and walk.stage == "forget"
    qtbot.mouseClick(bar.stage_back, Qt.MouseButton.LeftButton)
    assert walk.position() == 0 and walk.stage == "hidden"
    # Play walks on by itself and stops at the end.
    bar.speed.setCurrentText("4×")
    bar.timer.setInterval(5)
    walk.set_stage(None)
    bar.play_button.setChecked(True)
    qtbot.waitUntil(lambda: not bar.play_button.isChecked(), timeout=10_000)
    assert walk.position() == len(walk.inspection.trace.tokens) - 1


def test_heatmap_click_selects_unit_and_step(qtbot, make_tab) -> None:
    tab = make_tab(make_bundle(hidden=5))
    walk, view = tab.walk, tab.walk.view
    view.pages.setCurrentIndex(0)
    qtbot.wait(50)
    point = view.heatmaps.view_point("o", 2, 3)
    qtbot.mouseClick(view.heatmaps.grid.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert (walk.unit, walk.position()) == (3, 2)
    assert walk.controls.unit_spin.value() == 3 and walk.tokens.current() == 2
    d = walk.inspection.trace.get(0, "forward")
    assert view.diagram.wire_texts()["o"] == f"o_t = {d.gates['o'].value[2, 3]:.3f}"
    check_against_core(walk)


def test_layers_and_backward_direction(qtbot, make_tab) -> None:
    bundle = make_bundle(layers=2, bidirectional=True)
    tab = make_tab(bundle)
    walk, view = tab.walk, tab.walk.view
    walk.controls.layer_spin.setValue(1)
    walk.controls.direction_box.setCurrentText("backward")
    steps = len(walk.inspection.trace.tokens)
    assert walk.index == 0 and walk.position() == steps - 1  # the backward cell starts at the end
    qtbot.keyClick(tab, Qt.Key.Key_Right)
    assert walk.position() == steps - 2
    check_against_core(walk)
    d = core_trace(bundle, SENTENCE).get(1, "backward")
    assert view.diagram.wire_texts()["h"] == f"h_t = {d.h[steps - 2, 0]:.3f}"


@pytest.mark.parametrize("cell,series", [("gru", ["r", "z", "n", "h"]), ("rnn", ["h"])])
def test_gru_and_rnn_get_their_own_views(qtbot, make_tab, cell, series) -> None:
    tab = make_tab(make_bundle(cell=cell))
    walk, view, bar = tab.walk, tab.walk.view, tab.walk.step_bar
    assert view.heatmaps.series_names() == series
    assert view.diagram.cell() == cell
    walk.step_by(2)
    check_against_core(walk)
    stages = [bar.stage_box.itemData(i) for i in range(1, bar.stage_box.count())]
    assert stages[-1] == "hidden"
    walk.set_stage("hidden")
    assert "w_h" in view.diagram.highlighted_parts()
    if cell == "gru":
        walk.set_stage("update")
        assert "box_z" in view.diagram.highlighted_parts()
        assert "box_n" not in view.diagram.highlighted_parts()


def test_toy_cell_shows_lecture_numbers_and_edits_update_live(qtbot, make_tab) -> None:
    tab = make_tab()  # no model yet: the toy cell
    walk, view = tab.walk, tab.walk.view
    assert tab.source_key() == "toy"
    assert view.pages.currentWidget() is view.toy  # its editors are shown
    assert not tab.sentence_bar.sentence.isEnabled()  # it reads no sentence
    texts = view.diagram.wire_texts()
    for key, shown in (("f", "0.997"), ("i", "0.986"), ("g", "0.966"), ("o", "0.992"),
                       ("c", "2.948"), ("h", "0.986")):
        assert texts[key].endswith(shown)
    formulas = view.formulas.toPlainText()
    assert "W_if·x_t + b_if + W_hf·h_{t-1} + b_hf = 1.630 + 0.000 + 2.700 + 1.620 = 5.950" \
        in formulas
    assert "σ(5.950) = 0.997" in formulas and "2.946" in formulas  # the slide's rounding note
    view.toy.panel.spin("W_hf").setValue(0.0)  # f = σ(1.63 + 1.62)
    expected = toy_cell("lecture", W_hf=0.0).result()
    assert view.diagram.wire_texts()["f"] == f"f_t = {expected['f']:.3f}" == "f_t = 0.963"
    assert "σ(3.250) = 0.963" in view.formulas.toPlainText()
    assert view.heatmaps.image_values("f")[0, 0] == pytest.approx(expected["f"])
    view.toy.panel.preset.setCurrentText("Forget everything")
    assert abs(float(view.diagram.wire_texts()["c"].split("= ")[1])) < 0.01
    view.toy.panel.preset.setCurrentText("Remember everything")
    assert view.diagram.wire_texts()["c"] == "c_t = 2.000"
    check_against_core(walk)


def test_export_writes_a_page_with_the_formulas(qtbot, make_tab, tmp_path,
                                                dialog_responder) -> None:
    tab = make_tab(make_bundle())
    walk = tab.walk
    walk.step_by(2)
    walk.set_stage("cell")
    target = tmp_path / "walk.html"
    dialog_responder.answers["save_file"] = str(target)
    qtbot.mouseClick(tab.source_bar.export_button, Qt.MouseButton.LeftButton)
    page = target.read_text(encoding="utf-8")

    chunks: list[str] = []

    class Text(HTMLParser):
        def handle_data(self, data: str) -> None:
            chunks.append(data)

    Text().feed(page)
    text = "".join(chunks)
    for item in walk.derivations():
        assert item.formula in text
        for line in item.text.split("\n")[1:]:
            assert line in text
    assert 'src="data:image/png;base64,iVBOR' in page  # the drawing, inline
    assert "rất" in text and "(unknown)" in text


def test_long_sentence_traces_in_background_and_gradients(qtbot, make_tab) -> None:
    bundle = make_bundle()
    long_text = " ".join(TEXTS * 4)  # 60 words: above the synchronous limit
    words = len(long_text.split())
    tab = make_tab(bundle, sentence="món")
    walk, view = tab.walk, tab.walk.view
    tab.sentence_bar.sentence.setText(long_text)
    qtbot.mouseClick(tab.sentence_bar.trace_button, Qt.MouseButton.LeftButton)
    assert tab.is_busy() and not tab.sentence_bar.trace_button.isEnabled()
    assert "Tracing 60 words" in tab.status.text()
    qtbot.waitUntil(lambda: len(walk.inspection.trace.tokens) == words, timeout=20_000)
    qtbot.waitUntil(tab.sentence_bar.trace_button.isEnabled, timeout=5000)
    check_against_core(walk)
    view.pages.setCurrentIndex(1)
    qtbot.mouseClick(view.gradients.measure, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.gradients.result is not None, timeout=30_000)
    result = view.gradients.result
    ids = bundle.prepare(long_text).ids
    label = ["neg", "pos"].index(max(bundle.predict(long_text).items(), key=lambda kv: kv[1])[0])
    assert result.current == pytest.approx(gradient_flow(bundle.model, ids, label))
    assert set(result.comparison) == {"RNN", "LSTM"}
    assert all(len(v) == words for v in result.comparison.values())
    assert "RNN" in view.gradients.summary_text()
    assert legend_names(view.gradients.compare_plot) == ["RNN", "LSTM"]
    assert not legend_covers_data(view.gradients.compare_plot)


def test_inspect_request_checkpoint_and_self_test(qtbot, make_tab, tmp_path,
                                                   dialog_responder) -> None:
    tab = make_tab()
    walk = tab.walk
    state = tab.state
    state.set_model(make_bundle(), None)
    state.inspect_requested.emit("quán đẹp không ngon")
    assert tab.source_key() == "trained"
    assert walk.tokens.texts() == ["quán", "đẹp", "không", "ngon"]
    summary = tab.self_test_stage()
    assert summary.startswith("Inspect: traced") and "equal the core trace" in summary
    path = tmp_path / "gru.safetensors"
    save_checkpoint(make_bundle(cell="gru"), path)
    dialog_responder.answers["open_files"] = [str(path)]
    qtbot.mouseClick(tab.source_bar.load_button, Qt.MouseButton.LeftButton)
    assert tab.source_key() == "checkpoint" and walk.inspection.trace.cell == "gru"
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"not a model")
    assert not tab.load_checkpoint(str(broken))
    assert dialog_responder.texts("error")  # one clear sentence, no traceback
    assert walk.inspection.trace.cell == "gru"


def test_fresh_model_uses_state_settings(qtbot, make_tab) -> None:
    state = AppState()
    docs = [Document(t, label, "train", "x") for t, label in zip(TEXTS, "abc", strict=True)]
    state.set_dataset(Dataset(docs))
    state.model_config = ModelConfig(cell="gru", embedding_dim=4, hidden_size=3)
    tab = make_tab(state=state)
    walk, view = tab.walk, tab.walk.view
    tab.set_source("fresh")
    assert walk.inspection.trace.cell == "gru" and walk.inspection.trace.hidden_size == 3
    assert [label for label, _ in view.prediction.shown()] != []
    assert {label for label, _ in view.prediction.shown()} == {"a", "b", "c"}
    assert tab.sentence_bar.examples.count() == 1 + len(TEXTS)
    check_against_core(walk)


def test_screenshots_at_several_steps(qtbot, make_tab, tmp_path) -> None:
    tab = make_tab(make_bundle(hidden=16, layers=2, bidirectional=True))
    walk, view = tab.walk, tab.walk.view
    tab.resize(1280, 760)
    walk.set_unit(3)
    for index, stage in ((0, None), (3, "forget"), (5, "cell")):
        walk.set_index(index)
        walk.set_stage(stage)
        qtbot.wait(30)
        assert tab.grab().save(str(tmp_path / f"inspect-step{index}.png"))
    view.pages.setCurrentIndex(1)
    tab.measure_gradient_flow()
    qtbot.waitUntil(lambda: view.gradients.result is not None, timeout=30_000)
    assert tab.grab().save(str(tmp_path / "inspect-gradients.png"))
    tab.set_source("toy")
    walk.set_stage("hidden")
    qtbot.wait(30)
    assert tab.grab().save(str(tmp_path / "inspect-toy.png"))


def test_language_model_shows_next_word_distribution(qtbot, make_tab) -> None:
    bundle = make_bundle(task="lm")
    tab = make_tab(bundle, sentence="món này ngon")
    walk, view = tab.walk, tab.walk.view
    directions = walk.controls.direction_box
    assert directions.count() == 1 and not directions.isEnabled()
    walk.set_index(1)
    expected = prefix_predictions(bundle, "món này ngon", k=8)[1].probabilities
    shown = view.prediction.shown()
    assert len(shown) == min(8, len(expected))
    assert dict(shown) == {word: f"{p:.3f}" for word, p in expected.items()}
    assert "Next word" in view.prediction.title.text()
    check_against_core(walk)


def test_project_state_round_trip(qtbot, make_tab) -> None:
    tab = make_tab(make_bundle())
    walk, view = tab.walk, tab.walk.view
    walk.set_unit(2)
    view.toy.panel.spin("b_hf").setValue(0.25)
    saved = tab.project_state()
    other = make_tab(make_bundle(), sentence="")
    other.restore_project_state(saved)
    assert other.sentence_bar.text() == SENTENCE and other.walk.unit == 2
    assert other.walk.view.toy.panel.values()["b_hf"] == 0.25
    assert other.source_key() == "trained"


def test_a_superseded_trace_is_dropped_and_shutdown_waits(qtbot, make_tab) -> None:
    tab = make_tab(make_bundle(), sentence="món")
    walk = tab.walk
    tab.sentence_bar.sentence.setText(" ".join(TEXTS * 4))  # long: traced in the background
    tab.retrace()
    running = tab.tracer.current
    assert running is not None
    tab.sentence_bar.sentence.setText("quán đẹp")  # short: traced at once, replacing it
    tab.retrace()
    assert walk.tokens.texts() == ["quán", "đẹp"] and not tab.is_busy()
    qtbot.waitUntil(lambda: not running.is_running(), timeout=20_000)
    qtbot.wait(50)  # whatever the replaced task delivered has been processed
    assert walk.tokens.texts() == ["quán", "đẹp"]
    tab.sentence_bar.sentence.setText(" ".join(TEXTS * 4))
    tab.retrace()
    tab.shutdown()  # waits for the thread: nothing outlives the tab
    assert not tab.is_busy()
    assert all(not task.is_running() for task in (running, tab.tracer.current) if task)


def test_a_measurement_of_a_replaced_trace_is_not_shown(qtbot, make_tab) -> None:
    tab = make_tab(make_bundle())
    gradients = tab.walk.view.gradients
    done: list[bool] = []
    task = tab.measure_gradient_flow()
    assert task is not None and not gradients.measure.isEnabled()
    task.ended.connect(lambda: done.append(True))
    tab.sentence_bar.sentence.setText("quán đẹp")
    tab.retrace()  # a new trace: the measurement belongs to the old one
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    qtbot.wait(50)
    assert gradients.result is None and gradients.measure.isEnabled()
