"""The "why" views driven through real widgets: the Use view's coloured tokens, the Inspect
tab's attribution row, unit order, neuron search and what-if edits, checked against the core."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from test_inspect_tab import SENTENCE, TEXTS, make_bundle

from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.explain.attribution import explain
from lstm_studio.core.explain.neurons import UnitRef, scan_unit
from lstm_studio.core.explain.unit_order import rank_units
from lstm_studio.core.inspection import series
from lstm_studio.gui.inspect.export import check_against_core
from lstm_studio.gui.state import AppState
from lstm_studio.gui.train.use_view import UseView
from lstm_studio.gui.widgets.attribution_colours import attribution_colour

torch.set_num_threads(1)


def _scaled_bundle(**kwargs):
    bundle = make_bundle(**kwargs)
    with torch.no_grad():  # away from the uniform prediction of a fresh model
        for name, param in bundle.model.named_parameters():
            if name != "embedding.weight":
                param.mul_(3.0)
    return bundle


def test_use_view_colours_the_typed_tokens(qtbot) -> None:
    bundle = _scaled_bundle()
    state = AppState()
    state.set_model(bundle, None)
    view = UseView(state)
    qtbot.addWidget(view)
    view.show()
    qtbot.keyClicks(view.input, "quan dep")  # QTest types ASCII only; the model reads <unk>s
    qtbot.waitUntil(lambda: "None of these words" in view.attribution.text(), timeout=10_000)
    words = ["món", "này", "ngon", "nhưng", "phục_vụ", "hơi", "chậm"]
    view.input.setPlainText(" ".join(words))
    qtbot.waitUntil(lambda: view.attribution.shown is not None, timeout=10_000)
    shown = view.attribution.shown
    expected = explain(bundle, " ".join(words))
    assert shown.tokens == expected.tokens == words
    assert shown.values == pytest.approx(expected.attributions, abs=1e-9)
    assert shown.target == expected.target == max(bundle.predict(view.input.toPlainText()),
                                                  key=bundle.predict(
                                                      view.input.toPlainText()).get)
    strongest = int(np.argmax(np.abs(shown.values)))
    full = [attribution_colour(1.0, 1.0), attribution_colour(-1.0, 1.0)]  # full red, blue
    assert shown.colours[strongest] in full and "#ffffff" not in full
    assert shown.colours == [attribution_colour(v, max(map(abs, shown.values)))
                             for v in shown.values]
    assert all(token in view.attribution.text() for token in shown.tokens)
    view.input.setPlainText("món ngon")
    qtbot.waitUntil(lambda: view.attribution.shown is not None
                    and view.attribution.shown.tokens == ["món", "ngon"], timeout=10_000)
    view.grab().save("/tmp/explain-use-view.png")
    view.shutdown()


@pytest.fixture
def explain_tab(qtbot):
    from lstm_studio.gui.inspect.tab import InspectTab

    tabs = []

    def build(bundle, dataset=None):
        state = AppState()
        if dataset is not None:
            state.set_dataset(dataset)
        state.set_model(bundle, None)
        tab = InspectTab(state)
        qtbot.addWidget(tab)
        tab.resize(1280, 800)
        tab.sentence_bar.sentence.setText(SENTENCE)
        tab.show()
        qtbot.waitExposed(tab)
        qtbot.waitUntil(lambda: tab.walk.view.heatmaps.attribution() is not None, timeout=20_000)
        tabs.append(tab)
        return tab

    yield build
    for tab in tabs:
        tab.shutdown()


def test_attribution_row_sits_over_the_heatmap_columns(qtbot, explain_tab) -> None:
    bundle = _scaled_bundle(bidirectional=True)
    tab = explain_tab(bundle)
    expected = explain(bundle, SENTENCE, max_len=None)
    shown = list(tab.walk.view.heatmaps.attribution())
    assert shown == pytest.approx(expected.attributions, abs=1e-9)
    assert len(expected.attributions) == tab.walk.inspection.trace.steps
    for column, name in enumerate(["f", "i", "g"]):  # the first row of maps
        for step in (0, tab.walk.inspection.trace.steps - 1):
            strip = tab.walk.view.heatmaps.attribution_point(column, step)
            cell = tab.walk.view.heatmaps.view_point(name, step, 0)
            assert abs(strip.x() - cell.x()) <= 1 and strip.y() < cell.y()
    check_against_core(tab.walk)
    tab.grab().save("/tmp/explain-inspect-attribution.png")


def test_unit_order_applies_to_every_map_and_to_clicks(qtbot, explain_tab) -> None:
    bundle = _scaled_bundle(hidden=8)
    tab = explain_tab(bundle)
    bar = tab.explain.unit_order
    bar.limit.setValue(3)
    bar.set_criterion("changing")
    values = series(tab.walk.direction_trace())
    order = rank_units(values, "changing", limit=3)
    assert tab.walk.view.heatmaps.unit_order() == order and tab.walk.view.heatmaps.units() == 3
    for name, full in values.items():
        assert np.array_equal(tab.walk.view.heatmaps.image_values(name), full[:, order])
    point = tab.walk.view.heatmaps.view_point("c", 2, order[1])
    qtbot.mouseClick(tab.walk.view.heatmaps.grid.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert tab.walk.unit == order[1] and tab.walk.position() == 2
    assert tab.explain.neurons.unit.value() == order[1]
    check_against_core(tab.walk)
    bar.set_criterion("list")
    bar.unit_list.setText("7, 0-1")
    bar.unit_list.editingFinished.emit()
    assert tab.walk.view.heatmaps.unit_order() == [7, 0, 1]
    bar.unit_list.setText("99")
    bar.unit_list.editingFinished.emit()
    assert "does not exist" in bar.message.text() and tab.walk.view.heatmaps.units() == 8
    bar.set_criterion("attributed")
    assert tab.walk.view.heatmaps.units() == 3 and bar.message.text() == ""


def _corpus(count: int) -> Dataset:
    rng = random.Random(3)
    words = " ".join(TEXTS).split()
    return Dataset([Document(" ".join(rng.choice(words) for _ in range(rng.randint(2, 9))),
                             "pos" if i % 2 else "neg", "test", f"doc {i}")
                    for i in range(count)])


def test_neuron_search_scans_in_a_worker_and_opens_documents(qtbot, explain_tab) -> None:
    bundle = _scaled_bundle()
    dataset = _corpus(80)
    tab = explain_tab(bundle, dataset)
    panel = tab.explain.neurons
    tab.walk.view.pages.setCurrentWidget(panel)
    panel.series.setCurrentText("c")
    panel.unit.setValue(3)
    panel.start_scan()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=20_000)
    expected = scan_unit(bundle, dataset.split("test"), UnitRef("c", 3))
    assert [h.document for h in panel.result.hits] == [h.document for h in expected.hits]
    assert panel.table.rowCount() == len(expected.hits)
    assert panel.table.item(0, 0).text() == f"{expected.hits[0].score:+.3f}"
    qtbot.waitUntil(panel.scan_button.isEnabled, timeout=5_000)  # on_done is queued
    assert not panel.cancel_button.isEnabled()
    panel.grab().save("/tmp/explain-neuron-search.png")
    document = dataset.split("test")[expected.hits[0].document].text
    panel.table.cellActivated.emit(0, 1)
    qtbot.waitUntil(lambda: tab.sentence_bar.sentence.text() == document, timeout=10_000)
    qtbot.waitUntil(lambda: tab.walk.inspection.text == document, timeout=10_000)
    # Span mode: the units specific to two tokens, then where they fire together.
    panel.mode.setCurrentIndex(1)
    panel.span_from.setValue(0)
    panel.span_to.setValue(1)
    panel.result = None
    panel.start_scan()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=20_000)
    assert panel.result.units and "fire together" in panel.status.text()


def test_neuron_search_can_be_cancelled(qtbot, explain_tab) -> None:
    tab = explain_tab(_scaled_bundle(), _corpus(20_000))
    panel = tab.explain.neurons
    panel.start_scan()
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=20_000)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.status.text() == "Cancelled." and panel.scan_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.slot.is_running(), timeout=20_000)
    assert panel.result is None


def test_what_if_edits_recompute_every_view_and_can_be_undone(qtbot, explain_tab,
                                                               tmp_path: Path) -> None:
    bundle = _scaled_bundle()
    tab = explain_tab(bundle)
    original_c = tab.walk.view.heatmaps.image_values("c").copy()
    panel = tab.explain.what_if
    tab.walk.view.pages.setCurrentWidget(panel)
    for gate in ("f", "i"):
        panel.kind.setCurrentIndex(1)
        panel.target.setCurrentText(gate)
        panel.all_units.setChecked(True)
        panel.value.setValue(0.0)
        panel.start.setValue(2)
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert [e.spec() for e in tab.walk.inspection.interventions] == ["f=0@2..", "i=0@2.."]
    cell = tab.walk.view.heatmaps.image_values("c")
    assert np.all(cell[2:] == 0.0) and np.array_equal(cell[:2], original_c[:2])
    tab.walk.set_index(3)
    assert "what-if edit: f_t forced to 0.000" in tab.walk.view.formulas.toPlainText()
    check_against_core(tab.walk)
    assert "unedited" in panel.final_texts() and "edited" in panel.final_texts()
    assert panel.listing.count() == 2
    panel.grab().save("/tmp/explain-what-if.png")
    qtbot.waitUntil(lambda: tab.walk.view.heatmaps.attribution() is not None, timeout=20_000)
    written = Path(tab.export_handout(str(tmp_path / "walk.html")))
    page = written.read_text(encoding="utf-8")
    assert "What-if edits applied" in page and "force f (all units) = 0" in page
    assert "Why “" in page and "integrated gradients" in page
    qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
    assert tab.walk.inspection.interventions == [] and panel.listing.count() == 0
    assert np.array_equal(tab.walk.view.heatmaps.image_values("c"), original_c)


def test_a_new_sentence_keeps_the_edits_and_compares_in_a_worker(qtbot, explain_tab) -> None:
    bundle = _scaled_bundle()
    tab = explain_tab(bundle)
    panel = tab.explain.what_if
    panel.kind.setCurrentIndex(0)
    panel.target.setCurrentText("h")
    panel.unit.setValue(1)
    panel.value.setValue(0.5)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    tab.inspect_text("phục_vụ hơi chậm nhưng quán đẹp")
    qtbot.waitUntil(lambda: tab.walk.inspection.text == "phục_vụ hơi chậm nhưng quán đẹp",
                    timeout=10_000)
    assert np.all(tab.walk.inspection.trace.get(0).h[:, 1] == 0.5)
    qtbot.waitUntil(lambda: "unedited" in panel.final_texts(), timeout=20_000)
    qtbot.waitUntil(lambda: tab.walk.view.heatmaps.attribution() is not None, timeout=20_000)
    expected = explain(bundle, "phục_vụ hơi chậm nhưng quán đẹp", max_len=None)
    shown = list(tab.walk.view.heatmaps.attribution())
    assert shown == pytest.approx(expected.attributions, abs=1e-9)
