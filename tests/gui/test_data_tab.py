"""Data tab: 50,000 synthetic documents stay filterable, selection shows the full text, charts
follow the data, and the split controls override or re-split."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from PySide6.QtCore import Qt

from lstm_studio.core.config import DataConfig
from lstm_studio.core.dataset import Dataset, Document, SourceInfo
from lstm_studio.gui.data.tab import prepare_dataset
from lstm_studio.gui.widgets.document_model import DocumentIndex, DocumentTableModel
from lstm_studio.resources_path import sample_paths

WORDS = ["ngon", "dở", "quán", "nhân_viên", "giá", "rẻ", "đắt", "sạch_sẽ", "phở", "bún_chả"]


def synthetic(n: int) -> Dataset:
    docs = []
    for i in range(n):
        words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(5 + i % 20)]
        if i % 1000 == 0:
            words.append("needle_word")
        docs.append(Document(" ".join(words) + f" số_{i}", "pos" if i % 3 else "neg",
                             ("train", "valid", "test")[i % 10 % 3], f"synthetic:{i}"))
    return Dataset(docs, [SourceInfo("synthetic", "csv", n)])


def test_50000_rows_filter_correctly() -> None:
    """How fast the same filters run: bench/bench_table_filter.py."""
    dataset = synthetic(50_000)
    model = DocumentTableModel()
    model.set_index(DocumentIndex.build(dataset.documents))
    assert model.rowCount() == 50_000
    model.set_filter("NEEDLE_word")  # case-insensitive
    assert model.rowCount() == 50
    assert all("needle_word" in model.document(r).text for r in range(model.rowCount()))
    model.set_filter("", label="neg", split="valid")
    expected = sum(1 for d in dataset.documents if d.label == "neg" and d.split == "valid")
    assert model.rowCount() == expected
    model.set_filter("số_4999", label="", split="")
    texts = [model.document(r).text for r in range(model.rowCount())]
    assert any(t.endswith("số_4999") for t in texts)
    assert all("số_4999" in t for t in texts)


def test_table_widgets_with_50000_rows(window: Any, qtbot: Any) -> None:
    tab = window.data_tab
    result = prepare_dataset(synthetic(50_000), DataConfig(sources=["synthetic"]), None)
    tab._show_result(result)
    assert tab.model.rowCount() == 50_000
    assert tab.shown_label.text() == "50,000 of 50,000 shown"
    tab.search.setText("needle_word")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 50, timeout=5000)
    tab.label_filter.setCurrentIndex(tab.label_filter.findData("neg"))
    neg = sum(1 for i in range(0, 50_000, 1000) if i % 3 == 0)
    assert tab.model.rowCount() == neg
    assert tab.shown_label.text() == f"{neg} of 50,000 shown"
    tab.table.selectRow(0)
    assert "needle_word" in tab.full_text.toPlainText()
    tab.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    lengths = [tab.model.data(tab.model.index(r, 4)) for r in range(tab.model.rowCount())]
    assert lengths == sorted(lengths, reverse=True)


def test_charts_follow_the_loaded_sample(window: Any, finish: Any) -> None:
    tab = window.data_tab
    assert finish(lambda done: tab.load_paths(sample_paths(), on_done=done))
    dataset = window.state.dataset
    heights = tab.label_chart.bar_heights()
    assert set(heights) == {"train", "valid", "test"}
    counts = Counter((d.split, d.label) for d in dataset.documents)
    assert heights["train"] == [counts["train", "neg"], counts["train", "pos"]]
    assert sum(tab.length_chart.counts) == len(dataset)
    assert tab.length_chart.marker_values["p95"] > 0
    summary = tab.summary_label.text()
    assert f"{len(dataset)} documents" in summary and "2 classes" in summary
    assert "1 duplicate ·" in summary and "1 empty" in summary
    assert "of words joined by _ (word-segmented)" in summary  # the sample is segmented


def test_split_controls_override_and_random_split(window: Any, finish: Any) -> None:
    tab = window.data_tab
    assert finish(lambda done: tab.load_paths(sample_paths(), on_done=done))
    panel = tab.split_panel
    panel.sources.cellWidget(0, 2).setCurrentText("test")
    assert finish(lambda done: tab.apply_config(panel.edited_config(), on_done=done))
    assert {d.split for d in window.state.dataset.documents} == {"test"}
    source = window.state.data_config.sources[0]
    assert window.state.data_config.split_overrides == {source: "test"}

    panel.sources.cellWidget(0, 2).setCurrentText("as in source")
    panel.random_radio.setChecked(True)
    panel.ratio_boxes["train"].setValue(0.6)
    panel.ratio_boxes["valid"].setValue(0.2)
    panel.ratio_boxes["test"].setValue(0.2)
    panel.seed_box.setValue(7)
    assert finish(lambda done: tab.apply_config(panel.edited_config(), on_done=done))
    counts = Counter(d.split for d in window.state.dataset.documents)
    total = len(window.state.dataset)
    assert abs(counts["train"] / total - 0.6) < 0.03
    assert abs(counts["valid"] / total - 0.2) < 0.03
    assert window.state.data_config.random_split == (0.6, 0.2, 0.2)
    assert window.state.data_config.random_split_seed == 7

    panel.ratio_boxes["train"].setValue(0.9)  # sums to 1.3: refused with a reason
    before = window.state.dataset
    panel.apply_button.click()
    assert "add up to 1" in panel.problem.text()
    assert window.state.dataset is before


@pytest.mark.slow
@pytest.mark.timeout(5 * 60)  # starts reading the 50,000 NTC-SCV reviews before cancelling
def test_cancel_keeps_the_previous_data(window: Any, qtbot: Any, finish: Any,
                                        ntc_scv_zips: list) -> None:
    tab = window.data_tab
    assert finish(lambda done: tab.load_paths(sample_paths(), on_done=done))
    before = window.state.dataset
    result: dict[str, bool] = {}
    tab.load_paths([str(p) for p in ntc_scv_zips], on_done=lambda ok: result.setdefault("ok", ok))
    qtbot.waitUntil(lambda: tab.task_bar.bar.maximum() > 0, timeout=30_000)
    qtbot.mouseClick(tab.task_bar.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "ok" in result, timeout=30_000)
    assert result["ok"] is False
    assert window.state.dataset is before
    assert tab.model.rowCount() == len(before)
    assert not tab.task_bar.isVisible()
