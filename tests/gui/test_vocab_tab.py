"""Vocabulary tab: built from the training split in the background, figures and charts match
the core statistics, and the index-based representation shows ids, <unk> and <pad>."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from lstm_studio.core.vocab import Vocabulary, vocabulary_stats
from lstm_studio.resources_path import sample_paths


def build(window: Any, qtbot: Any, finish: Any) -> Any:
    assert finish(lambda done: window.data_tab.load_paths(sample_paths(), on_done=done))
    tab = window.tab("Vocabulary")
    with qtbot.waitSignal(tab.built, timeout=60_000):
        qtbot.mouseClick(tab.build_button, Qt.MouseButton.LeftButton)
    return tab


def test_build_matches_the_core_and_fills_the_charts(window: Any, qtbot: Any,
                                                     finish: Any) -> None:
    tab = build(window, qtbot, finish)
    dataset = window.state.training_dataset()
    train = [d.text for d in dataset.documents if d.split == "train"]
    valid = [d.text for d in dataset.documents if d.split == "valid"]
    expected = Vocabulary.build(train, tab.config())
    stats = vocabulary_stats(expected, train, valid)
    assert window.state.vocabulary.itos == expected.itos
    assert f"<b>{len(expected):,}</b> tokens" in tab.figures.text()
    assert f"{stats.suggested_max_len}" in tab.figures.text()
    assert tab.coverage_chart.points[-1][1] == stats.coverage_curve[-1][1]
    assert sum(tab.length_chart.counts) == len(stats.lengths)
    assert tab.length_chart.marker_values["suggested"] == stats.suggested_max_len


def test_min_frequency_shrinks_the_vocabulary(window: Any, qtbot: Any, finish: Any) -> None:
    tab = build(window, qtbot, finish)
    full = len(window.state.vocabulary)
    tab.min_freq.setValue(3)
    with qtbot.waitSignal(tab.built, timeout=60_000):
        tab.build_button.click()
    assert len(window.state.vocabulary) < full
    assert window.state.vocab_config.min_freq == 3


def test_representation_shows_ids_unk_and_padding(window: Any, qtbot: Any,
                                                  finish: Any) -> None:
    tab = build(window, qtbot, finish)
    vocab = window.state.vocabulary
    tab.max_len.setValue(8)
    tab.sentence.setCurrentText("quán sạch_sẽ zzzkhônggặp ngon")
    table = tab.representation
    assert table.columnCount() == 8
    tokens = [table.item(0, c).text() for c in range(8)]
    ids = [int(table.item(1, c).text()) for c in range(8)]
    assert tokens[0] == "quán" and ids[0] == vocab.stoi["quán"]
    assert tokens[2] == "zzzkhônggặp → <unk>" and ids[2] == vocab.unk_id
    assert tokens[4:] == ["<pad>"] * 4 and ids[4:] == [vocab.pad_id] * 4
    assert "1 <unk>" in tab.ids_label.text() and "4 <pad>" in tab.ids_label.text()
    # truncation to the maximum length
    tab.max_len.setValue(2)
    assert table.columnCount() == 2


def test_a_build_for_replaced_data_is_dropped(window: Any, qtbot: Any, finish: Any) -> None:
    assert finish(lambda done: window.data_tab.load_paths(sample_paths(), on_done=done))
    tab = window.tab("Vocabulary")  # not the visible tab: new data does not rebuild at once
    built: list[bool] = []
    tab.built.connect(lambda: built.append(True))
    result: dict[str, bool] = {}
    assert tab.build_vocabulary(lambda ok: result.setdefault("ok", ok)) is not None
    window.state.set_dataset(window.state.dataset)
    qtbot.waitUntil(lambda: "ok" in result, timeout=60_000)
    assert result["ok"] is False and built == []
    assert window.state.vocabulary is None
    window.tabs.setCurrentWidget(tab)  # shown: it builds for the data now loaded
    qtbot.waitUntil(lambda: window.state.vocabulary is not None, timeout=60_000)
    assert built == [True]
