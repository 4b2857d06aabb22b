"""The Data tab's corpus-cache line: the size of the token stores under LSTM_STUDIO_HOME
(a temporary folder, tests/conftest.py), and Clear… after a confirmation."""

from __future__ import annotations

from typing import Any

from fake_stores import fake_stores


def test_cache_size_shown_and_cleared(window: Any, qtbot: Any, dialog_responder: Any) -> None:
    line = window.data_tab.cache_line
    qtbot.waitUntil(lambda: line.label.text() == "Corpus cache: empty", timeout=10_000)
    assert not line.clear_button.isEnabled()

    folder = fake_stores([1_300_000, 400_000, 700_000])
    window.tabs.setCurrentWidget(window.tab("Clean"))
    window.tabs.setCurrentWidget(window.data_tab)  # shown again: measured again
    qtbot.waitUntil(lambda: line.label.text() == "Corpus cache: 2.3 MB in 3 stores",
                    timeout=10_000)
    assert line.label.toolTip() == str(folder)
    assert line.clear_button.isEnabled()

    line.clear_button.click()  # the answer to the question defaults to "no"
    assert dialog_responder.texts("question")[-1].startswith(
        "Remove every token store in the corpus cache (2.3 MB)?")
    assert len(list(folder.iterdir())) == 3
    assert line.label.text() == "Corpus cache: 2.3 MB in 3 stores"

    dialog_responder.answers["question"] = True
    line.clear_button.click()
    qtbot.waitUntil(lambda: line.label.text() == "Corpus cache: empty", timeout=10_000)
    assert list(folder.iterdir()) == []
    assert not line.clear_button.isEnabled()

