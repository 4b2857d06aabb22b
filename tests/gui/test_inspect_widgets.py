"""The Inspect tab's standalone views: cell drawing, heatmaps, toy panel, handout page."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import numpy as np
import pytest
from PySide6.QtCore import Qt

from lstm_studio.gui.inspect.cell_diagram import LSTM_STAGES, CellDiagram, fmt
from lstm_studio.gui.inspect.gate_heatmaps import GateHeatmaps
from lstm_studio.gui.inspect.handout import Handout, HandoutStage, render_html, write_handout
from lstm_studio.gui.inspect.toy_cell_panel import CORE_PRESET_NAMES, PRESETS, ToyCellPanel
from lstm_studio.gui.widgets.plot_parts import legend_covers_data, legend_names


def test_diagram_annotates_every_wire_and_lights_the_stage(qtbot) -> None:
    diagram = CellDiagram()
    qtbot.addWidget(diagram)
    values = {"x": 1.0, "h_prev": 1.0, "c_prev": 2.0, "f": 0.9974, "i": 0.9862, "g": 0.9661,
              "o": 0.9917, "s_f": 5.95, "s_i": 4.27, "s_g": 2.03, "s_o": 4.78, "fc": 1.9948,
              "ig": 0.9528, "c": 2.9476, "tanh_c": 0.9945, "h": 0.9863}
    diagram.set_values(values, "ngon")
    texts = diagram.wire_texts()
    assert texts["f"] == "f_t = 0.997" and texts["c"] == "c_t = 2.948"
    assert texts["h"] == "h_t = 0.986" and texts["s_f"] == "s = 5.950"
    assert "ngon" in texts["x"]
    assert diagram.highlighted_parts() == set()
    lit = []
    for stage in LSTM_STAGES:
        diagram.set_stage(stage)
        lit.append(diagram.highlighted_parts())
    assert "box_f" in lit[0] and "box_f" not in lit[1]
    assert "add" in lit[4] and "mul_o" in lit[5] and "mul_o" not in lit[4]
    # Highlighting changes the pixels, not only a flag.
    diagram.set_stage(None)
    plain = diagram.render_image(400, 215)
    diagram.set_stage("forget")
    assert diagram.render_image(400, 215) != plain


def test_diagram_simple_cells_and_missing_values(qtbot) -> None:
    diagram = CellDiagram()
    qtbot.addWidget(diagram)
    diagram.set_cell("gru", ["r", "z", "n"])
    diagram.set_values({"h_prev": 0.25, "x": None, "r": 0.5, "z": 0.125, "n": -0.75, "h": 0.5})
    texts = diagram.wire_texts()
    assert texts["z"] == "z_t = 0.125" and texts["n"] == "n_t = -0.750"
    assert texts["x"] == "x_t"  # a vector input has no single value to print
    diagram.set_stage("z")
    assert "box_z" in diagram.highlighted_parts()
    assert fmt(None) == "–" and fmt(float("nan")) == "–"
    assert not diagram.render_image(300, 160).isNull()


def test_heatmap_click_selects_cell_and_lines_follow(qtbot) -> None:
    heatmaps = GateHeatmaps()
    qtbot.addWidget(heatmaps)
    heatmaps.resize(700, 600)
    heatmaps.show()
    qtbot.waitExposed(heatmaps)
    rng = np.random.default_rng(0)
    data = {"f": rng.random((5, 4)), "c": rng.normal(size=(5, 4))}
    heatmaps.set_data(data, ["a", "b", "c", "d", "e"])
    assert np.array_equal(heatmaps.image_values("f"), data["f"])
    heatmaps.set_cursor(1, 2)
    assert np.array_equal(heatmaps.curve_values("c"), data["c"][:, 2])
    assert legend_names(heatmaps.lines) == ["f", "c"]  # once, though set_data clears the plot
    heatmaps.set_data(data, ["a", "b", "c", "d", "e"])
    assert legend_names(heatmaps.lines) == ["f", "c"]
    assert not legend_covers_data(heatmaps.lines)  # the unit's lines stay visible
    assert f"f = {data['f'][1, 2]:.3f}" in heatmaps.readout_text()
    with qtbot.waitSignal(heatmaps.cell_clicked) as blocker:
        qtbot.mouseClick(heatmaps.grid.viewport(), Qt.MouseButton.LeftButton,
                         pos=heatmaps.view_point("c", 3, 1))
    assert blocker.args == [1, 3]


def test_toy_panel_presets_match_core_and_edits_emit(qtbot) -> None:
    from lstm_studio.core.gates import TOY_PRESETS

    for title, core_name in CORE_PRESET_NAMES.items():
        assert PRESETS[title] == TOY_PRESETS[core_name]
    panel = ToyCellPanel()
    qtbot.addWidget(panel)
    assert panel.values() == pytest.approx(TOY_PRESETS["lecture"])
    with qtbot.waitSignal(panel.values_changed) as blocker:
        panel.spin("W_hf").setValue(0.5)
    assert blocker.args[0]["W_hf"] == 0.5
    assert panel.preset.currentText() == "Custom"
    with qtbot.waitSignal(panel.values_changed):
        panel.preset.setCurrentText("Remember everything")
    assert panel.values()["b_if"] == TOY_PRESETS["remember"]["b_if"]
    panel._sliders["x"].setValue(-100)  # the slider drives the spin box (1/50 per step)
    assert panel.values()["x"] == -2.0


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data) -> None:
        self.text.append(data)


def test_handout_page_is_self_contained(tmp_path) -> None:
    handout = Handout(
        title="Inside <LSTM>", model="toy", sentence="a b", cleaned="a b", position="step 0",
        tokens=[(0, "a", 2, False), (1, "zz", 1, True)],
        unit_series={"h": [0.5, -0.25]}, current_step=1, wire_values={"h": "h_t = 0.500"},
        stages=[HandoutStage("Forget gate", "f_t = σ(s)", "1.000 + 2.000 = 3.000", ["t1"])],
        drawing_png=b"\x89PNG fake", prediction=[("pos", 0.75)], prediction_title="Classes")
    path = write_handout(tmp_path / "page", handout)
    assert path.suffix == ".html"
    page = path.read_text(encoding="utf-8")
    assert page == render_html(handout)
    parser = _Collector()
    parser.feed(page)
    text = "".join(parser.text)
    assert "Inside <LSTM>" in text and "1.000 + 2.000 = 3.000" in text
    assert "0.750" in text and "-0.250" in text
    assert parser.images[0] == "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()
    assert "script" not in parser.tags and "http" not in page.split("</style>")[1]
