"""The Inspect tab driven through its real widgets; every number checked against the core trace."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
import torch
from PySide6.QtCore import Qt
from screenshot_dir import SCREENSHOTS

from lstm_studio.core.checkpoint import ModelBundle, save_checkpoint
from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.gates import derivations, gradient_flow, prefix_predictions, toy_cell
from lstm_studio.core.gates import trace as core_trace
from lstm_studio.core.models import build_model
from lstm_studio.gui.inspect.export import check_against_core
from lstm_studio.gui.inspect.tab import InspectTab
from lstm_studio.gui.state import AppState

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
        tab.sentence.setText(sentence)
        tab.show()
        qtbot.waitExposed(tab)
        qtbot.waitUntil(lambda: tab.inspection is not None, timeout=20_000)
        tabs.append(tab)
        return tab

    yield build
    for tab in tabs:
        tab.shutdown()


def test_stepping_with_buttons_and_keys_updates_every_view(qtbot, make_tab) -> None:
    bundle = make_bundle()
    tab = make_tab(bundle)
    trace = core_trace(bundle, SENTENCE)
    assert tab.tokens.texts() == trace.tokens == SENTENCE.split()
    unknown = trace.tokens.index("rất")
    assert tab.tokens.is_oov(unknown) and not tab.tokens.is_oov(0)
    tab.set_unit(4)
    before = tab.formulas.toPlainText()
    qtbot.mouseClick(tab.forward_button, Qt.MouseButton.LeftButton)
    assert tab.position() == 1 and tab.tokens.current() == 1
    assert tab.tokens.current_text() == trace.tokens[1]
    d = trace.get(0, "forward")
    texts = tab.diagram.wire_texts()
    assert texts["f"] == f"f_t = {d.gates['f'].value[1, 4]:.3f}"
    assert texts["c"] == f"c_t = {d.c[1, 4]:.3f}"
    assert texts["h_prev"] == f"h_{{t-1}} = {d.h[0, 4]:.3f}"  # h_{t-1} is the previous h_t
    shown = tab.formulas.toPlainText()
    assert shown != before
    for item in derivations(trace, 0, "forward", 1, 4):
        assert item.text.split("\n")[1] in shown
    top = d.top_terms(1, "f", 4)["input"][0]  # the largest product inside W_if·x_t
    assert f"[{top['index']}] {top['weight']:.3f}·{top['value']:.3f} = {top['product']:.3f}" \
        in shown
    check_against_core(tab)
    qtbot.keyClick(tab, Qt.Key.Key_Right)
    qtbot.keyClick(tab, Qt.Key.Key_Right)
    assert tab.position() == 3 and tab.slider.value() == 3
    qtbot.keyClick(tab, Qt.Key.Key_Left)
    assert tab.tokens.current() == 2
    qtbot.keyClick(tab, Qt.Key.Key_Up)  # Up/Down choose the unit
    assert tab.unit == 3 and tab.unit_spin.value() == 3
    check_against_core(tab)
    qtbot.mouseClick(tab.back_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tab.back_button, Qt.MouseButton.LeftButton)
    assert tab.position() == 0 and not tab.back_button.isEnabled()
    tab.slider.setValue(len(trace.tokens) - 1)
    assert tab.position() == len(trace.tokens) - 1 and not tab.forward_button.isEnabled()
    # The prediction after the current prefix is the core's.
    expected = prefix_predictions(bundle, SENTENCE)[tab.position()].probabilities
    shown_bars = dict(tab.prediction.shown())
    assert shown_bars == {label: f"{p:.3f}" for label, p in expected.items()}


def test_stage_walk_follows_the_lecture_and_moves_on(qtbot, make_tab) -> None:
    tab = make_tab(make_bundle())
    walked = []
    for _ in range(6):
        qtbot.mouseClick(tab.stage_forward, Qt.MouseButton.LeftButton)
        walked.append(tab.diagram.stage())
        assert tab.stage_box.currentData() == tab.stage
        check_against_core(tab)
    assert walked == ["forget", "input", "candidate", "output", "cell", "hidden"]
    assert tab.position() == 0
    assert "box_o" not in tab.diagram.highlighted_parts()
    assert "mul_o" in tab.diagram.highlighted_parts()
    qtbot.mouseClick(tab.stage_forward, Qt.MouseButton.LeftButton)
    assert tab.position() == 1 and tab.stage == "forget"
    qtbot.mouseClick(tab.stage_back, Qt.MouseButton.LeftButton)
    assert tab.position() == 0 and tab.stage == "hidden"
    # Play walks on by itself and stops at the end.
    tab.speed.setCurrentText("4×")
    tab.timer.setInterval(5)
    tab.set_stage(None)
    tab.play_button.setChecked(True)
    qtbot.waitUntil(lambda: not tab.play_button.isChecked(), timeout=10_000)
    assert tab.position() == len(tab.inspection.trace.tokens) - 1


def test_heatmap_click_selects_unit_and_step(qtbot, make_tab) -> None:
    tab = make_tab(make_bundle(hidden=5))
    tab.views.setCurrentIndex(0)
    qtbot.wait(50)
    point = tab.heatmaps.view_point("o", 2, 3)
    qtbot.mouseClick(tab.heatmaps.grid.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert (tab.unit, tab.position()) == (3, 2)
    assert tab.unit_spin.value() == 3 and tab.tokens.current() == 2
    d = tab.inspection.trace.get(0, "forward")
    assert tab.diagram.wire_texts()["o"] == f"o_t = {d.gates['o'].value[2, 3]:.3f}"
    check_against_core(tab)


def test_layers_and_backward_direction(qtbot, make_tab) -> None:
    bundle = make_bundle(layers=2, bidirectional=True)
    tab = make_tab(bundle)
    tab.layer_spin.setValue(1)
    tab.direction_box.setCurrentText("backward")
    steps = len(tab.inspection.trace.tokens)
    assert tab.index == 0 and tab.position() == steps - 1  # the backward cell starts at the end
    qtbot.keyClick(tab, Qt.Key.Key_Right)
    assert tab.position() == steps - 2
    check_against_core(tab)
    d = core_trace(bundle, SENTENCE).get(1, "backward")
    assert tab.diagram.wire_texts()["h"] == f"h_t = {d.h[steps - 2, 0]:.3f}"


@pytest.mark.parametrize("cell,series", [("gru", ["r", "z", "n", "h"]), ("rnn", ["h"])])
def test_gru_and_rnn_get_their_own_views(qtbot, make_tab, cell, series) -> None:
    tab = make_tab(make_bundle(cell=cell))
    assert tab.heatmaps.series_names() == series
    assert tab.diagram.cell() == cell
    tab.step_by(2)
    check_against_core(tab)
    stages = [tab.stage_box.itemData(i) for i in range(1, tab.stage_box.count())]
    assert stages[-1] == "hidden"
    tab.set_stage("hidden")
    assert "w_h" in tab.diagram.highlighted_parts()
    if cell == "gru":
        tab.set_stage("update")
        assert "box_z" in tab.diagram.highlighted_parts()
        assert "box_n" not in tab.diagram.highlighted_parts()


def test_toy_cell_shows_lecture_numbers_and_edits_update_live(qtbot, make_tab) -> None:
    tab = make_tab()  # no model yet: the toy cell
    assert tab.source_key() == "toy"
    texts = tab.diagram.wire_texts()
    for key, shown in (("f", "0.997"), ("i", "0.986"), ("g", "0.966"), ("o", "0.992"),
                       ("c", "2.948"), ("h", "0.986")):
        assert texts[key].endswith(shown)
    formulas = tab.formulas.toPlainText()
    assert "W_if·x_t + b_if + W_hf·h_{t-1} + b_hf = 1.630 + 0.000 + 2.700 + 1.620 = 5.950" \
        in formulas
    assert "σ(5.950) = 0.997" in formulas and "2.946" in formulas  # the slide's rounding note
    tab.toy_panel.spin("W_hf").setValue(0.0)  # f = σ(1.63 + 1.62)
    expected = toy_cell("lecture", W_hf=0.0).result()
    assert tab.diagram.wire_texts()["f"] == f"f_t = {expected['f']:.3f}" == "f_t = 0.963"
    assert "σ(3.250) = 0.963" in tab.formulas.toPlainText()
    assert tab.heatmaps.image_values("f")[0, 0] == pytest.approx(expected["f"])
    tab.toy_panel.preset.setCurrentText("Forget everything")
    assert abs(float(tab.diagram.wire_texts()["c"].split("= ")[1])) < 0.01
    tab.toy_panel.preset.setCurrentText("Remember everything")
    assert tab.diagram.wire_texts()["c"] == "c_t = 2.000"
    check_against_core(tab)


def test_export_writes_a_page_with_the_formulas(qtbot, make_tab, tmp_path,
                                                dialog_responder) -> None:
    tab = make_tab(make_bundle())
    tab.step_by(2)
    tab.set_stage("cell")
    target = tmp_path / "walk.html"
    dialog_responder.answers["save_file"] = str(target)
    qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    page = target.read_text(encoding="utf-8")

    chunks: list[str] = []

    class Text(HTMLParser):
        def handle_data(self, data: str) -> None:
            chunks.append(data)

    Text().feed(page)
    text = "".join(chunks)
    for item in tab.derivations():
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
    tab.sentence.setText(long_text)
    qtbot.mouseClick(tab.trace_button, Qt.MouseButton.LeftButton)
    assert tab.is_busy() or len(tab.inspection.trace.tokens) == words
    qtbot.waitUntil(lambda: len(tab.inspection.trace.tokens) == words, timeout=20_000)
    check_against_core(tab)
    tab.views.setCurrentIndex(1)
    qtbot.mouseClick(tab.gradients.measure, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.gradients.result is not None, timeout=30_000)
    result = tab.gradients.result
    ids = bundle.prepare(long_text).ids
    label = ["neg", "pos"].index(max(bundle.predict(long_text).items(), key=lambda kv: kv[1])[0])
    assert result.current == pytest.approx(gradient_flow(bundle.model, ids, label))
    assert set(result.comparison) == {"RNN", "LSTM"}
    assert all(len(v) == words for v in result.comparison.values())
    assert "RNN" in tab.gradients.summary_text()


def test_inspect_request_checkpoint_and_self_test(qtbot, make_tab, tmp_path,
                                                   dialog_responder) -> None:
    tab = make_tab()
    state = tab.state
    state.set_model(make_bundle(), None)
    state.inspect_requested.emit("quán đẹp không ngon")
    assert tab.source_key() == "trained"
    assert tab.tokens.texts() == ["quán", "đẹp", "không", "ngon"]
    summary = tab.self_test_stage()
    assert summary.startswith("Inspect: traced") and "equal the core trace" in summary
    path = tmp_path / "gru.safetensors"
    save_checkpoint(make_bundle(cell="gru"), path)
    dialog_responder.answers["open_files"] = [str(path)]
    qtbot.mouseClick(tab.load_button, Qt.MouseButton.LeftButton)
    assert tab.source_key() == "checkpoint" and tab.inspection.trace.cell == "gru"
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"not a model")
    assert not tab.load_checkpoint(str(broken))
    assert dialog_responder.texts("error")  # one clear sentence, no traceback
    assert tab.inspection.trace.cell == "gru"


def test_fresh_model_uses_state_settings(qtbot, make_tab) -> None:
    state = AppState()
    docs = [Document(t, label, "train", "x") for t, label in zip(TEXTS, "abc", strict=True)]
    state.set_dataset(Dataset(docs))
    state.model_config = ModelConfig(cell="gru", embedding_dim=4, hidden_size=3)
    tab = make_tab(state=state)
    tab.set_source("fresh")
    assert tab.inspection.trace.cell == "gru" and tab.inspection.trace.hidden_size == 3
    assert [label for label, _ in tab.prediction.shown()] != []
    assert {label for label, _ in tab.prediction.shown()} == {"a", "b", "c"}
    assert tab.examples.count() == 1 + len(TEXTS)
    check_against_core(tab)


def test_screenshots_at_several_steps(qtbot, make_tab) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    tab = make_tab(make_bundle(hidden=16, layers=2, bidirectional=True))
    tab.resize(1280, 760)
    tab.set_unit(3)
    for index, stage in ((0, None), (3, "forget"), (5, "cell")):
        tab.set_index(index)
        tab.set_stage(stage)
        qtbot.wait(30)
        assert tab.grab().save(str(SCREENSHOTS / f"inspect-step{index}.png"))
    tab.views.setCurrentIndex(1)
    tab.measure_gradient_flow()
    qtbot.waitUntil(lambda: tab.gradients.result is not None, timeout=30_000)
    assert tab.grab().save(str(SCREENSHOTS / "inspect-gradients.png"))
    tab.set_source("toy")
    tab.set_stage("hidden")
    qtbot.wait(30)
    assert tab.grab().save(str(SCREENSHOTS / "inspect-toy.png"))


def test_language_model_shows_next_word_distribution(qtbot, make_tab) -> None:
    bundle = make_bundle(task="lm")
    tab = make_tab(bundle, sentence="món này ngon")
    assert tab.direction_box.count() == 1 and not tab.direction_box.isEnabled()
    tab.set_index(1)
    expected = prefix_predictions(bundle, "món này ngon", k=8)[1].probabilities
    shown = tab.prediction.shown()
    assert len(shown) == min(8, len(expected))
    assert dict(shown) == {word: f"{p:.3f}" for word, p in expected.items()}
    assert "Next word" in tab.prediction.title.text()
    check_against_core(tab)


def test_project_state_round_trip(qtbot, make_tab) -> None:
    tab = make_tab(make_bundle())
    tab.set_unit(2)
    tab.toy_panel.spin("b_hf").setValue(0.25)
    saved = tab.project_state()
    other = make_tab(make_bundle(), sentence="")
    other.restore_project_state(saved)
    assert other.sentence.text() == SENTENCE and other.unit == 2
    assert other.toy_panel.values()["b_hf"] == 0.25
    assert other.source_key() == "trained"
