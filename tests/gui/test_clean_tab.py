"""Clean tab driven through its buttons on the built-in sample: results fill in, dropped
documents carry reasons, before/after highlights removals, export writes the kept rows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from lstm_studio.resources_path import sample_paths


def load_sample(window: Any, finish: Any) -> None:
    assert finish(lambda done: window.data_tab.load_paths(sample_paths(), on_done=done))


def press_run(tab: Any, qtbot: Any) -> None:
    with qtbot.waitSignal(tab.cleaned, timeout=60_000):
        qtbot.mouseClick(tab.run_button, Qt.MouseButton.LeftButton)


def test_run_button_fills_every_result(window: Any, qtbot: Any, finish: Any) -> None:
    load_sample(window, finish)
    tab = window.tab("Clean")
    window.tabs.setCurrentWidget(tab)
    press_run(tab, qtbot)
    cleaned = window.state.cleaned
    assert cleaned is not None
    assert window.state.training_dataset() is cleaned.dataset
    assert tab.steps_table.rowCount() == 9  # the lecture's six and the three Vietnamese steps
    step_names = [tab.steps_table.item(r, 0).text() for r in range(9)]
    assert step_names[1].startswith("1 – Remove URLs") and step_names[8].endswith("Lowercase")
    assert step_names[4] == "Segment words"
    assert int(tab.steps_table.item(8, 1).text().replace(",", "")) > 0
    drawn = tab.language_chart.bar_heights()["documents"]
    assert sum(drawn) == sum(cleaned.report.languages.values())
    # the sample has English reviews and one empty one: those in train are listed with their
    # reason; the validation split is not filtered unless asked (test never is)
    lines = tab.dropped_model.stringList()
    assert len(lines) == len(cleaned.report.dropped) >= 3
    assert cleaned.report.spared.get("valid", 0) >= 1
    assert any(line.startswith("language") for line in lines)
    assert any(line.startswith("empty") for line in lines)
    assert "Kept" in tab.summary_label.text()
    assert tab.export_button.isEnabled()


def test_selecting_a_dropped_or_changed_document_shows_before_and_after(
        window: Any, qtbot: Any, finish: Any) -> None:
    load_sample(window, finish)
    tab = window.tab("Clean")
    press_run(tab, qtbot)
    english = next(i for i, line in enumerate(tab.dropped_model.stringList())
                   if line.startswith("language"))
    tab.dropped_view.setCurrentIndex(tab.dropped_model.index(english))
    assert "Dropped: language" in tab.trace_label.text()
    # a review with a tokenised URL: the URL is highlighted as removed, gone after
    total = tab.documents.rowCount()
    tab.search.setText("http")  # filtered after a short debounce
    qtbot.waitUntil(lambda: 1 <= tab.documents.rowCount() < total, timeout=5000)
    tab.documents_view.selectRow(0)
    before = tab.before_view.toPlainText()
    after = tab.after_view.toPlainText()
    assert "http" in before and "http" not in after
    assert "background-color:#" in tab.before_view.toHtml().replace(" ", "")
    assert "Remove URLs" in tab.trace_label.text()
    assert tab.removed_units > 0


def test_unticking_a_step_changes_the_result(window: Any, qtbot: Any, finish: Any) -> None:
    load_sample(window, finish)
    tab = window.tab("Clean")
    tab.step_boxes["lowercase"].setChecked(False)
    tab.detect_box.setChecked(False)
    press_run(tab, qtbot)
    texts = [d.text for d in window.state.cleaned.dataset.documents]
    assert any(t != t.lower() for t in texts)
    assert "lowercase" not in [s for s, on in window.state.cleaning_config.steps.items() if on]
    assert all(not line.startswith("language") for line in tab.dropped_model.stringList())


def test_export_writes_the_cleaned_rows(window: Any, qtbot: Any, finish: Any, tmp_path: Path,
                                        dialog_responder: Any) -> None:
    load_sample(window, finish)
    tab = window.tab("Clean")
    press_run(tab, qtbot)
    target = tmp_path / "out" / "cleaned.csv"
    dialog_responder.answers["save_file"] = str(target)
    qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept = window.state.cleaned.dataset.documents
    assert len(rows) == len(kept)
    assert rows[0]["text"] == kept[0].text and rows[0]["split"] == kept[0].split
    assert not list(target.parent.glob(".*.tmp"))
