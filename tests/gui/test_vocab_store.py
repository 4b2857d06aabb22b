"""The Vocabulary tab on a corpus browsed from its on-disk store: the figures the user sees
equal those of the same file in memory, the sentence view numbers tokens, and the build
counts the store's arrays instead of reading every document's text."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from screenshot_dir import SCREENSHOTS

from lstm_studio.core import vocab as vocab_module
from lstm_studio.core.config import DataConfig
from lstm_studio.core.corpus import training
from lstm_studio.core.readers import load_sources
from lstm_studio.core.vocab import Vocabulary, vocabulary_stats
from lstm_studio.gui.vocab import tab as tab_module

WORDS = ("món", "ăn", "ngon", "quá", "nhân_viên", "phục_vụ", "giá", "rẻ", "không", "dở",
         "tệ", "chán", "thất_vọng", "đồ", "uống")


def write_reviews(path: Path, count: int = 300) -> Path:
    """Reviews with label and split fields; a few rare words, so validation has unknowns."""
    rng = random.Random(7)
    rows = []
    for number in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(2, 25))]
        if number % 7 == 0:
            words.append("hiếm" + "".join(rng.choices("abcdeghik", k=3)))
        rows.append(json.dumps({"text": " ".join(words), "label": rng.choice(["pos", "neg"]),
                                "split": rng.choice(["train", "train", "valid", "test"])},
                               ensure_ascii=False))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the store's corpus was read as texts")


@pytest.mark.timeout(120)
def test_the_vocabulary_of_a_store_is_counted_from_its_arrays(
        window: Any, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_reviews(tmp_path / "reviews.jsonl")
    documents = load_sources([str(path)], DataConfig(sources=[str(path)])).documents
    train = [d.text for d in documents if d.split == "train"]
    valid = [d.text for d in documents if d.split == "valid"]
    tab = window.tab("Vocabulary")
    expected = Vocabulary.build(train, tab.config())
    stats = vocabulary_stats(expected, train, valid)
    # the in-memory path is out of reach: building from texts fails the build
    monkeypatch.setattr(Vocabulary, "build", refuse)
    monkeypatch.setattr(vocab_module, "vocabulary_stats", refuse)

    choice = window.data_tab.store_choice
    choice.combo.setCurrentIndex(choice.combo.findData("on"))  # before loading, as a user
    with qtbot.waitSignal(window.data_tab.loaded, timeout=60_000):
        window.data_tab.load_paths([str(path)])
    assert window.state.store is not None and window.state.training_store() is not None

    # no pass over the documents in the build's worker (the Train tab's check for a train
    # split walks them on the GUI thread when data or vocabulary change: not this tab's)
    walk = training.StoredDocuments.__iter__

    def in_gui_thread_only(self: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            refuse()
        return walk(self)

    monkeypatch.setattr(training.StoredDocuments, "__iter__", in_gui_thread_only)
    monkeypatch.setattr(tab_module, "build_vocabulary", refuse)
    window.tabs.setCurrentWidget(tab)
    with qtbot.waitSignal(tab.built, timeout=60_000):
        qtbot.mouseClick(tab.build_button, Qt.MouseButton.LeftButton)
    assert tab.last_error is None
    assert window.state.vocabulary.itos == expected.itos
    figures = tab.figures.text()
    assert f"<b>{len(expected):,}</b> tokens" in figures
    assert f"OOV rate on validation: <b>{stats.oov_rate:.2%}</b>" in figures
    assert f"Coverage of training tokens: <b>{stats.coverage:.2%}</b>" in figures
    assert f"(p95): <b>{stats.suggested_max_len}</b>" in figures
    assert stats.oov_rate > 0
    assert tab.coverage_chart.points == stats.coverage_curve
    assert sum(tab.length_chart.counts) == len(train)

    # the sentences: the example, then validation and training documents read from the store
    items = [tab.sentence.itemText(i) for i in range(tab.sentence.count())]
    assert items[1:31] == [" ".join(text.split()) for text in valid[:30]]
    assert items[31:61] == [" ".join(text.split()) for text in train[:30]]
    tab.sentence.setCurrentIndex(1)
    table = tab.representation
    words = valid[0].split()
    shown = [table.item(0, c).text() for c in range(len(words))]
    ids = [int(table.item(1, c).text()) for c in range(len(words))]
    assert ids == expected.encode(valid[0])
    assert [s.split(" → ")[0] for s in shown] == words
    assert f"ids = [{', '.join(map(str, ids))}" in tab.ids_label.text()  # then <pad>s
    qtbot.wait(150)  # the figures label grows on the next layout pass
    tab.grab().save(str(SCREENSHOTS / "vocab_store.png"))
