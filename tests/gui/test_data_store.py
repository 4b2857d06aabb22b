"""The Data tab browsing a corpus from its on-disk token store: what the user sees (rows,
search, filters, order, charts, the selected document as written) equals what the same file
shows in memory, and no list of the documents is ever made."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from screenshot_dir import SCREENSHOTS

from lstm_studio.core.config import DataConfig
from lstm_studio.core.corpus import training
from lstm_studio.core.corpus.browse import StoreDataset
from lstm_studio.core.readers import load_configured

WORDS = ("món", "ăn", "ngon", "quá", "nhân_viên", "phục_vụ", "giá", "rẻ", "không", "dở",
         "tệ", "chán", "thất_vọng", "đồ", "uống")


def write_reviews(path: Path, count: int = 300) -> Path:
    rng = random.Random(5)
    rows = []
    for number in range(count):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 25)))
        if number % 10 == 0:
            text = text.capitalize() + " , rất ngon !"  # case and punctuation as typed
        rows.append(json.dumps({"text": text, "label": rng.choice(["pos", "neg"]),
                                "split": rng.choice(["train", "valid", "test"])},
                               ensure_ascii=False))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def choose_store(window: Any, value: str) -> None:
    choice = window.data_tab.store_choice
    choice.combo.setCurrentIndex(choice.combo.findData(value))  # as the user picks it


def shown_numbers(model: Any) -> list[int]:
    return [model.document_number(row) for row in range(model.rowCount())]


@pytest.mark.timeout(120)
def test_the_data_tab_pages_through_a_store(window: Any, qtbot: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def no_whole_pass(self: Any) -> Any:
        raise AssertionError("the whole store was iterated")

    monkeypatch.setattr(training.StoredDocuments, "__iter__", no_whole_pass)
    path = write_reviews(tmp_path / "reviews.jsonl")
    documents = load_configured(DataConfig(sources=[str(path)])).documents
    data = window.data_tab
    choose_store(window, "on")
    with qtbot.waitSignal(data.loaded, timeout=60_000):
        data.load_paths([str(path)])
    state = window.state
    assert state.store is not None and isinstance(state.dataset, StoreDataset)
    assert "300 documents" in data.summary_label.text()
    qtbot.waitUntil(lambda: "empty" not in data.cache_line.label.text(), timeout=10_000)
    assert data.summary_label.text().startswith("On-disk store (")
    assert data.search.placeholderText() == "Search words…"

    model, table = data.model, data.table
    assert model.rowCount() == 300 and data.shown_label.text() == "300 of 300 shown"
    first = model.index(0, 1).data()
    assert first.split()[:3] == documents[0].text.split()[:3]

    data.search.setText("thất_vọng")
    data.apply_filter()
    qtbot.waitUntil(lambda: not data.is_filtering(), timeout=10_000)
    expected = [i for i, d in enumerate(documents)
                if any("thất_vọng" in word.lower() for word in d.text.split())]
    assert shown_numbers(model) == expected and expected
    data.search.clear()
    data.label_filter.setCurrentIndex(data.label_filter.findData("neg"))
    data.split_filter.setCurrentIndex(data.split_filter.findData("test"))
    qtbot.waitUntil(lambda: not data.is_filtering(), timeout=10_000)
    assert shown_numbers(model) == [i for i, d in enumerate(documents)
                                    if d.label == "neg" and d.split == "test"]
    data.label_filter.setCurrentIndex(0)
    data.split_filter.setCurrentIndex(0)

    table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # longest first
    qtbot.waitUntil(lambda: not data.is_filtering(), timeout=10_000)
    lengths = [len(d.text.split()) for d in documents]
    assert shown_numbers(model) == sorted(range(300), key=lambda i: -lengths[i])
    assert model.index(0, 4).data() == max(lengths)
    table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: model.rowCount() == 300, timeout=10_000)

    table.scrollToBottom()  # the last document is reachable and painted
    last = model.index(299, 0)
    assert last.data() == 300 and table.visualRect(last).isValid()
    table.selectionModel().select(model.index(290, 0), QItemSelectionModel.SelectionFlag.Rows
                                  | QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert documents[290].text in data.full_text.toPlainText()  # as written in the file
    data.grab().save(str(SCREENSHOTS / "data_store.png"))


@pytest.mark.timeout(120)
def test_a_source_gone_since_the_store_was_built_shows_the_stored_tokens(
        window: Any, qtbot: Any, tmp_path: Path) -> None:
    path = write_reviews(tmp_path / "reviews.jsonl", 40)
    documents = load_configured(DataConfig(sources=[str(path)])).documents
    data = window.data_tab
    choose_store(window, "on")
    with qtbot.waitSignal(data.loaded, timeout=60_000):
        data.load_paths([str(path)])
    path.unlink()
    model = data.model
    data.table.selectionModel().select(model.index(3, 0), QItemSelectionModel.SelectionFlag.Rows
                                       | QItemSelectionModel.SelectionFlag.ClearAndSelect)
    shown = data.full_text.toPlainText()
    assert " ".join(documents[3].text.split()) in shown
    assert "the source cannot be read again" in shown


@pytest.mark.timeout(120)
def test_automatic_keeps_a_small_file_in_memory(window: Any, qtbot: Any,
                                                tmp_path: Path) -> None:
    path = write_reviews(tmp_path / "reviews.jsonl", 50)
    data = window.data_tab
    with qtbot.waitSignal(data.loaded, timeout=60_000):
        data.load_paths([str(path)])
    assert window.state.store is None and not isinstance(window.state.dataset, StoreDataset)
    assert "On-disk store" not in data.summary_label.text()
    assert data.search.placeholderText() == "Search text…"
