"""The Vietnamese text controls of the Clean tab and the token display of Use and Inspect,
driven through their real widgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from PySide6.QtCore import Qt

from lstm_studio.core import segmentation
from lstm_studio.core.checkpoint import ModelBundle
from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.models import build_model
from lstm_studio.core.vocab import Vocabulary
from lstm_studio.gui.clean.tab import CleanTab
from lstm_studio.gui.state import AppState

REVIEWS = [
    ("nhân viên phục vụ rất thân thiện , ko chê vào đâu dc", "pos", "train"),
    ("đồ ăn ngon , giá cả hợp lý , sẽ quay lại", "pos", "train"),
    ("phục vụ chậm , thất vọng", "neg", "train"),
    ("chán .", "neg", "train"),
    ("so good", "pos", "train"),
    ("The soup was cold and the waiter was rude to us", "neg", "train"),
    ("The staff were friendly and the room was clean", "pos", "train"),
    ("không gian sạch sẽ , hòa nhã", "pos", "test"),
    ("Terrible service and the food was cold", "neg", "test"),
]


def click(qtbot: Any, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


@pytest.fixture
def clean_tab(qtbot: Any) -> Any:
    state = AppState()
    state.set_dataset(Dataset([Document(text, label, split, f"reviews.csv:line {i + 2}")
                               for i, (text, label, split) in enumerate(REVIEWS)]))
    tab = CleanTab(state)
    qtbot.addWidget(tab)
    tab.resize(1280, 860)
    tab.show()
    qtbot.waitExposed(tab)
    yield tab
    tab.shutdown()


def run(tab: Any, qtbot: Any) -> Any:
    with qtbot.waitSignal(tab.cleaned, timeout=60_000):
        click(qtbot, tab.panel.run_button)
    return tab.state.cleaned


def test_defaults_segment_normalise_and_explain_every_drop(clean_tab: Any, qtbot: Any,
                                                           tmp_path: Path) -> None:
    panel = clean_tab.panel.vietnamese
    assert panel.segment_combo.currentData() == "auto"
    assert panel.tone_box.isChecked() and panel.abbreviations_box.isChecked()
    cleaned = run(clean_tab, qtbot)
    texts = [doc.text for doc in cleaned.dataset.documents]
    assert texts[0] == "nhân_viên phục_vụ rất thân_thiện không chê vào đâu được"
    assert "không_gian sạch_sẽ hoà_nhã" in texts  # the test split: transformed, not filtered
    assert cleaned.config.segment == "on"
    summary = panel.last_run.text()
    assert "Segmentation: auto, on (pyvi" in summary
    assert "not segmented" in summary and "Filters drop from train only" in summary
    assert "test 1" in summary  # the English test review is kept: test is scored whole
    table = clean_tab.report.steps_table
    rows = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert {"Expand chat abbreviations", "One tone-mark style", "Segment words"} <= set(rows)
    lines = clean_tab.report.dropped_model.stringList()
    assert any(line.startswith("language · short text (2 words): en") and "so good" in line
               for line in lines)
    assert any("en 1.00, not vi" in line for line in lines)
    assert not any("chán" in line for line in lines)  # short Vietnamese review kept
    # before/after of a segmented review names the new steps
    clean_tab.report.show_document(clean_tab.state.dataset.documents[0])
    assert "Segment words" in clean_tab.report.trace_label.text()
    assert "Expand chat abbreviations" in clean_tab.report.trace_label.text()
    # the wrapped report lines get the height they need once the layout has settled
    qtbot.waitUntil(lambda: panel.height() >= panel.minimumSizeHint().height()
                    and panel.last_run.minimumHeight() > 60)
    assert clean_tab.grab().save(str(tmp_path / "clean-tab-vietnamese.png"))


def test_turning_segmentation_and_normalisation_off(clean_tab: Any, qtbot: Any) -> None:
    panel = clean_tab.panel.vietnamese
    panel.segment_combo.setCurrentIndex(panel.segment_combo.findData("off"))
    panel.tone_box.setChecked(False)
    panel.abbreviations_box.setChecked(False)
    panel.filter_valid_box.setChecked(True)
    panel.short_spin.setValue(1)  # every text judged by langid alone
    cleaned = run(clean_tab, qtbot)
    assert cleaned.config.segment == "off" and cleaned.config.filter_splits == ["train", "valid"]
    texts = [doc.text for doc in cleaned.dataset.documents]
    assert "nhân viên phục vụ rất thân thiện ko chê vào đâu dc" in texts
    assert "không gian sạch sẽ hòa nhã" in texts
    assert clean_tab.state.cleaning_config.steps["normalize_tone_marks"] is False
    assert any("chán" in line for line in clean_tab.report.dropped_model.stringList())


def test_the_abbreviation_table_editor(clean_tab: Any, qtbot: Any, tmp_path: Path,
                                       dialog_responder: Any) -> None:
    panel = clean_tab.panel.vietnamese
    click(qtbot, panel.table_button)
    editor = panel.editor
    qtbot.waitExposed(editor)
    assert "ko" in editor.editor.toPlainText() and "dc" in editor.editor.toPlainText()
    editor.editor.setPlainText("nv = nhân viên\nko không\n")
    click(qtbot, editor.apply_button)
    assert editor.error.text().startswith("The table, line 2: write 'short = expansion'")
    assert panel.table is None  # nothing applied
    assert editor.grab().save(str(tmp_path / "abbreviation-editor.png"))
    editor.editor.setPlainText("# only these\nko = không\n")
    click(qtbot, editor.apply_button)
    assert panel.table == {"ko": "không"}
    cleaned = run(clean_tab, qtbot)
    assert cleaned.config.abbreviations == {"ko": "không"}
    assert cleaned.dataset.documents[0].text.endswith("không chê vào đâu dc")  # no "dc" now
    saved = tmp_path / "mine.txt"
    dialog_responder.answers["save_file"] = str(saved)
    click(qtbot, editor.save_button)
    assert "ko = không" in saved.read_text(encoding="utf-8")
    click(qtbot, editor.reset_button)
    click(qtbot, editor.apply_button)
    assert panel.table is None  # the shipped table again
    broken = tmp_path / "broken.txt"
    broken.write_text("ok = ok\n1 = một\n", encoding="utf-8")
    dialog_responder.answers["open_files"] = [str(broken)]
    click(qtbot, editor.load_button)
    assert "broken.txt, line 2" in editor.error.text()
    dialog_responder.answers["open_files"] = [str(saved)]
    click(qtbot, editor.load_button)
    assert editor.editor.toPlainText() == "ko = không\n"
    editor.close()


def segmenting_bundle() -> ModelBundle:
    texts = ["nhân_viên phục_vụ rất thân_thiện", "đồ_ăn ngon giá_cả hợp_lý",
             "không hài_lòng phục_vụ chậm"]
    vocab = Vocabulary.build(texts, VocabConfig())
    config = ModelConfig(embedding_dim=5, hidden_size=6, vocab_size=len(vocab), num_classes=2)
    torch.manual_seed(0)
    model = build_model(config).eval()
    cleaning = CleaningConfig(detect_language=False, segment="on",
                              segmenter=segmentation.description())
    return ModelBundle(model, config, TrainConfig(), VocabConfig(), vocab, ["neg", "pos"],
                       cleaning)


def test_the_use_view_shows_the_tokens_after_the_whole_pipeline(qtbot: Any,
                                                                 tmp_path: Path) -> None:
    from lstm_studio.gui.train.use_view import UseView

    state = AppState()
    view = UseView(state)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    state.set_model(segmenting_bundle())
    view.input.setPlainText("Nhân viên phục vụ rất thân thiện, ko chê lắmm!")
    qtbot.waitUntil(lambda: bool(view.tokens.tokens()), timeout=5000)
    assert view.tokens.tokens() == ["nhân_viên", "phục_vụ", "rất", "thân_thiện", "không",
                                    "chê", "lắmm"]
    assert view.tokens.unknown() == ["chê", "lắmm"]
    shown = " ".join(view.tokens.text().split())
    assert shown.startswith("Model reads: nhân viên phục vụ rất thân thiện không chê lắmm")
    assert "3 joined words (blue)" in shown and "2 not in the vocabulary" in shown
    assert "Segment words (pyvi" in shown and "Expand chat abbreviations" in shown
    assert len(view.bars.bar_values()) == 2
    assert view.grab().save(str(tmp_path / "use-view-tokens.png"))


def test_the_inspect_tab_traces_the_segmented_tokens(qtbot: Any) -> None:
    from lstm_studio.gui.inspect.tab import InspectTab

    state = AppState()
    state.set_model(segmenting_bundle(), None)
    tab = InspectTab(state)
    qtbot.addWidget(tab)
    tab.resize(1280, 760)
    tab.sentence_bar.sentence.setText("nhân viên phục vụ rất chu đáo")
    tab.show()
    qtbot.waitExposed(tab)
    qtbot.waitUntil(lambda: tab.walk.inspection is not None, timeout=20_000)
    qtbot.waitUntil(lambda: tab.walk.tokens.texts()[:2] == ["nhân_viên", "phục_vụ"], timeout=20_000)
    assert tab.walk.tokens.texts() == ["nhân_viên", "phục_vụ", "rất", "chu_đáo"]
    assert [tab.walk.tokens.is_oov(i) for i in range(4)] == [False, False, False, True]
    assert "Segment words (pyvi" in tab.status.text()
    tab.shutdown()
