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
        qtbot.mouseClick(tab.panel.run_button, Qt.MouseButton.LeftButton)


def test_run_button_fills_every_result(window: Any, qtbot: Any, finish: Any) -> None:
    load_sample(window, finish)
    tab = window.tab("Clean")
    window.tabs.setCurrentWidget(tab)
    press_run(tab, qtbot)
    cleaned = window.state.cleaned
    assert cleaned is not None
    assert window.state.training_dataset() is cleaned.dataset
    # the lecture's six steps and the three Vietnamese ones
    assert tab.report.steps_table.rowCount() == 9
    step_names = [tab.report.steps_table.item(r, 0).text() for r in range(9)]
    assert step_names[1].startswith("1 – Remove URLs")
    assert step_names[8].endswith("Lowercase")
    assert step_names[4] == "Segment words"
    assert int(tab.report.steps_table.item(8, 1).text().replace(",", "")) > 0
    drawn = tab.report.language_chart.bar_heights()["documents"]
    assert sum(drawn) == sum(cleaned.report.languages.values())
    # the sample has English reviews and one empty one: those in train are listed with their
    # reason; the validation split is not filtered unless asked (test never is)
    lines = tab.report.dropped_model.stringList()
    assert len(lines) == len(cleaned.report.dropped) >= 3
    assert cleaned.report.spared.get("valid", 0) >= 1
    assert any(line.startswith("language") for line in lines)
    assert any(line.startswith("empty") for line in lines)
    assert "Kept" in tab.summary_label.text()
    assert tab.panel.export_button.isEnabled()


def test_selecting_a_dropped_or_changed_document_shows_before_and_after(
        window: Any, qtbot: Any, finish: Any) -> None:
    load_sample(window, finish)
    tab = window.tab("Clean")
    press_run(tab, qtbot)
    english = next(i for i, line in enumerate(tab.report.dropped_model.stringList())
                   if line.startswith("language"))
    tab.report.dropped_view.setCurrentIndex(tab.report.dropped_model.index(english))
    assert "Dropped: language" in tab.report.trace_label.text()
    # a review with a tokenised URL: the URL is highlighted as removed, gone after
    total = tab.report.documents.rowCount()
    tab.report.search.setText("http")  # filtered after a short debounce
    qtbot.waitUntil(lambda: 1 <= tab.report.documents.rowCount() < total, timeout=5000)
    tab.report.documents_view.selectRow(0)
    before = tab.report.before_view.toPlainText()
    after = tab.report.after_view.toPlainText()
    assert "http" in before and "http" not in after
    assert "background-color:#" in tab.report.before_view.toHtml().replace(" ", "")
    assert "Remove URLs" in tab.report.trace_label.text()
    assert tab.report.removed_units > 0


def test_unticking_a_step_changes_the_result(window: Any, qtbot: Any, finish: Any) -> None:
    load_sample(window, finish)
    tab = window.tab("Clean")
    tab.panel.step_boxes["lowercase"].setChecked(False)
    tab.panel.detect_box.setChecked(False)
    press_run(tab, qtbot)
    texts = [d.text for d in window.state.cleaned.dataset.documents]
    assert any(t != t.lower() for t in texts)
    assert "lowercase" not in [s for s, on in window.state.cleaning_config.steps.items() if on]
    assert all(not line.startswith("language") for line in tab.report.dropped_model.stringList())


def test_export_writes_the_cleaned_rows(window: Any, qtbot: Any, finish: Any, tmp_path: Path,
                                        dialog_responder: Any) -> None:
    load_sample(window, finish)
    tab = window.tab("Clean")
    press_run(tab, qtbot)
    target = tmp_path / "out" / "cleaned.csv"
    dialog_responder.answers["save_file"] = str(target)
    qtbot.mouseClick(tab.panel.export_button, Qt.MouseButton.LeftButton)
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept = window.state.cleaned.dataset.documents
    assert len(rows) == len(kept)
    assert rows[0]["text"] == kept[0].text and rows[0]["split"] == kept[0].split
    assert not list(target.parent.glob(".*.tmp"))


def test_a_failure_for_replaced_data_is_not_reported(window: Any, qtbot: Any, finish: Any,
                                                     dialog_responder: Any) -> None:
    """The run fails (no language to keep), but the data changed first: no dialog for it."""
    load_sample(window, finish)
    tab = window.tab("Clean")
    tab.panel.languages_edit.setText("")  # with detection on: a setting that cannot work
    before = window.state.dataset
    result: dict[str, bool] = {}
    assert tab.run_cleaning(lambda ok: result.setdefault("ok", ok)) is not None
    window.state.set_dataset(before)  # replaced before the failure could arrive
    qtbot.waitUntil(lambda: "ok" in result, timeout=30_000)
    qtbot.wait(100)
    assert result["ok"] is False
    assert dialog_responder.texts("error") == []
    assert tab.panel.run_button.isEnabled()

    # the same failure for the data still loaded is reported, in one sentence
    assert not finish(tab.run_cleaning)
    message = dialog_responder.texts("error")[0]
    assert message.startswith("Choose at least one language") and "Traceback" not in message
    assert tab.last_error == message and window.state.cleaned is None


def test_cleaning_results_for_replaced_data_are_dropped(window: Any, qtbot: Any,
                                                        finish: Any) -> None:
    load_sample(window, finish)
    tab = window.tab("Clean")
    result: dict[str, bool] = {}
    tab.run_cleaning(lambda ok: result.setdefault("ok", ok))
    window.state.set_dataset(window.state.dataset)  # new data while cleaning runs
    qtbot.waitUntil(lambda: "ok" in result, timeout=60_000)
    assert result["ok"] is False
    assert window.state.cleaned is None
    assert tab.report.steps_table.rowCount() == 0
    assert "press Run cleaning" in tab.summary_label.text()


def test_the_worker_never_decodes_the_language_model_itself(monkeypatch: Any) -> None:
    """Decoding langid in this process holds the GIL for about a second (a frozen window):
    the cleaning worker must get the model from the helper process, validation included."""
    from langid.langid import LanguageIdentifier

    from lstm_studio.core import language
    from lstm_studio.core.config import CleaningConfig
    from lstm_studio.core.dataset import Dataset, Document
    from lstm_studio.core.progress import Progress
    from lstm_studio.gui.clean.outcome import clean_in_background

    def decoded_here(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("langid's model was decoded in the GUI process")

    monkeypatch.setattr(language, "_model", None)
    monkeypatch.setattr(LanguageIdentifier, "from_modelstring", decoded_here)
    dataset = Dataset([Document("món ăn rất ngon , nhân_viên nhiệt_tình", "pos", "train", "a"),
                       Document("the food was great and the staff friendly", "neg", "train",
                                "b")])
    outcome = clean_in_background(dataset, CleaningConfig(candidate_languages=["vi", "en"]),
                                  Progress(None))
    assert outcome.result.report.kept == 1
    assert [item.reason for item in outcome.result.report.dropped] == ["language"]
