"""The Clean tab on a corpus browsed from its on-disk store: cleaned into a store, never
decoded whole, and what the user sees (kept and dropped counts, the dropped list, before and
after, the export) equals what the same file gives when cleaned in memory."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import pytest
from screenshot_dir import SCREENSHOTS

from lstm_studio.core import cleaning
from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.cleaning_report import CleaningResult
from lstm_studio.core.config import DataConfig
from lstm_studio.core.corpus.cache import stores_dir
from lstm_studio.core.corpus.store import TokenStore
from lstm_studio.core.readers import load_sources

WORDS = ("món", "ăn", "ngon", "quá", "nhân_viên", "phục_vụ", "thân_thiện", "giá", "rẻ",
         "không", "đẹp", "sẽ", "quay", "lại", "đồ", "uống", "dở", "tệ", "chán", "thất_vọng")
ENGLISH = ("The food was great and the staff were very friendly indeed",
           "Terrible service, cold food and a rude waiter, never again")


def write_reviews(path: Path, count: int = 240) -> Path:
    """Vietnamese reviews in train, valid and test, with English ones (the language filter
    drops them from train) and some that nothing is left of after cleaning."""
    rng = random.Random(7)
    rows = []
    for number in range(count):
        if number % 23 == 0:
            text = rng.choice(ENGLISH)
        elif number % 41 == 0:
            text = "!!! ..."
        else:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
            if number % 10 == 1:
                text = text.capitalize() + " , Rất Ngon !"
        split = "test" if number % 7 == 0 else ("valid" if number % 11 == 0 else "train")
        rows.append(json.dumps({"text": text, "label": rng.choice(["pos", "neg"]),
                                "split": split}, ensure_ascii=False))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def load_from_store(window: Any, qtbot: Any, path: Path) -> None:
    choice = window.data_tab.store_choice
    choice.combo.setCurrentIndex(choice.combo.findData("on"))  # as the user picks it
    with qtbot.waitSignal(window.data_tab.loaded, timeout=60_000):
        window.data_tab.load_paths([str(path)])
    assert window.state.store is not None


def run_cleaning(tab: Any, qtbot: Any) -> None:
    with qtbot.waitSignal(tab.cleaned, timeout=120_000):
        assert tab.run_cleaning() is not None


def in_memory(path: Path, tab: Any) -> CleaningResult:
    dataset = load_sources([str(path)], DataConfig(sources=[str(path)]))
    return clean_dataset(dataset, tab.config(), workers=1)


def never_whole(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Refuse the in-memory cleaning, and count the documents built from a store (the table
    builds those it paints); returns the counter."""

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the in-memory cleaning ran on a store's documents")

    built = [0]
    document = TokenStore.document

    def counted(self: TokenStore, index: int) -> Any:
        built[0] += 1
        return document(self, index)

    monkeypatch.setattr(cleaning, "clean_dataset", refused)
    monkeypatch.setattr(TokenStore, "document", counted)
    return built


@pytest.mark.timeout(240)
def test_a_store_is_cleaned_into_a_store(window: Any, qtbot: Any, finish: Any,
                                         tmp_path: Path) -> None:
    path = write_reviews(tmp_path / "reviews.jsonl")
    tab = window.tab("Clean")
    expected = in_memory(path, tab)
    kept, total = expected.report.kept, expected.report.total
    counts = expected.report.dropped_counts()
    assert counts["language"] >= 5 and counts["empty"] >= 3  # the corpus tests both filters
    load_from_store(window, qtbot, path)
    window.tabs.setCurrentWidget(tab)
    state = window.state
    with pytest.MonkeyPatch.context() as patch:
        built = never_whole(patch)
        run_cleaning(tab, qtbot)
        assert built[0] < total // 2  # those painted, not the corpus

        dropped = ", ".join(f"{reason} {n:,}" for reason, n in counts.items() if n)
        assert tab.summary_label.text() == (f"Kept {kept:,} of {total:,} documents · "
                                            f"dropped: {dropped}")
        assert state.cleaned is not None and state.cleaned_store is not None
        assert state.training_store() is state.cleaned_store
        assert len(state.training_dataset()) == kept
        assert state.cleaned.report.dropped_counts() == counts
        assert state.cleaned.report.spared == expected.report.spared
        assert state.cleaned.config is not None and state.cleaned.config.segment != "auto"

        # what each step changed, and the languages, as in memory
        report = tab.report
        shown = {report.steps_table.item(r, 0).text(): report.steps_table.item(r, 1).text()
                 for r in range(report.steps_table.rowCount())}
        assert len(shown) == len(expected.report.steps_changed)
        assert sorted(int(n.replace(",", "")) for n in shown.values()) == sorted(
            expected.report.steps_changed.values())
        drawn = report.language_chart.bar_heights()["documents"]
        assert sum(drawn) == sum(expected.report.languages.values())

        # the dropped list: one line per dropped document, with its reason
        lines = report.dropped_model.stringList()
        assert len(lines) == len(expected.report.dropped) == sum(counts.values())
        assert sorted(line.split(" · ")[0] for line in lines) == sorted(
            item.reason for item in expected.report.dropped)
        assert report.lists.tabText(1) == f"Dropped ({len(lines):,})"
        english = next(row for row, line in enumerate(lines) if line.startswith("language"))
        report.dropped_view.setCurrentIndex(report.dropped_model.index(english))
        assert report.trace_label.text().startswith("Dropped: language")
        assert report.before_view.toPlainText() in ENGLISH

        # a document of the table (the store as loaded), before and after
        assert report.documents.rowCount() == total
        row = next(r for r in range(total) if "Rất Ngon" in report.documents.document(r).text)
        report.documents_view.selectRow(row)
        number = report.documents.document_number(row)
        assert "Rất Ngon !" in report.before_view.toPlainText()
        assert report.after_view.toPlainText() == state.cleaned_store.text(number)
        assert "rất ngon" in report.after_view.toPlainText()
        assert "Lowercase" in report.trace_label.text()
        window.grab().save(str(SCREENSHOTS / "clean_store.png"))

    target = tmp_path / "out" / "cleaned.csv"
    assert finish(lambda done: tab.export_csv(str(target), on_done=done))
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["text"], r["label"], r["split"]) for r in rows] == [
        (d.text, d.label, d.split) for d in expected.dataset.documents]
    assert not list(target.parent.glob(".*.tmp"))


@pytest.mark.timeout(240)
def test_a_cancelled_store_cleaning_leaves_the_previous_result(
        window: Any, qtbot: Any, finish: Any, tmp_path: Path) -> None:
    path = write_reviews(tmp_path / "reviews.jsonl", count=120)
    load_from_store(window, qtbot, path)
    tab = window.tab("Clean")
    run_cleaning(tab, qtbot)
    state = window.state
    previous, previous_store = state.cleaned, state.cleaned_store
    summary = tab.summary_label.text()
    lines = tab.report.dropped_model.stringList()

    tab.panel.step_boxes["lowercase"].setChecked(False)  # another store would be built
    result: dict[str, bool] = {}
    assert tab.run_cleaning(lambda ok: result.setdefault("ok", ok)) is not None
    tab.task_bar.cancel_button.click()
    qtbot.waitUntil(lambda: "ok" in result, timeout=60_000)
    assert result["ok"] is False
    assert state.cleaned is previous and state.cleaned_store is previous_store
    assert tab.summary_label.text() == summary
    assert tab.report.dropped_model.stringList() == lines
    assert not [p for p in stores_dir().iterdir() if ".partial-" in p.name]


@pytest.mark.timeout(240)
def test_sources_changed_since_loading_are_reported_in_one_sentence(
        window: Any, qtbot: Any, finish: Any, tmp_path: Path, dialog_responder: Any) -> None:
    path = write_reviews(tmp_path / "reviews.jsonl", count=60)
    load_from_store(window, qtbot, path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "món ăn ngon", "label": "pos"}) + "\n")
    tab = window.tab("Clean")
    assert not finish(tab.run_cleaning, timeout=120_000)
    message = dialog_responder.texts("error")[0]
    assert message.startswith("The sources changed") and "Traceback" not in message
    assert window.state.cleaned is None and window.state.cleaned_store is None
