"""Saves a screenshot of every tab (see screenshot_dir.py) to look at by eye, and checks
each tab actually rendered something (not a blank grab)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QImage
from screenshot_dir import SCREENSHOTS

from lstm_studio.resources_path import sample_paths

OUT = SCREENSHOTS


def distinct_colours(image: QImage) -> int:
    step = 16
    colours = {image.pixel(x, y) for x in range(0, image.width(), step)
               for y in range(0, image.height(), step)}
    return len(colours)


def test_screenshot_every_tab(window: Any, qtbot: Any, finish: Any) -> None:
    assert finish(lambda done: window.data_tab.load_paths(sample_paths(), on_done=done))
    clean = window.tab("Clean")
    if clean is not None:
        assert finish(clean.run_cleaning)
        clean.documents_view.selectRow(0)
    vocab = window.tab("Vocabulary")
    if vocab is not None:
        assert finish(vocab.build_vocabulary)
    window.data_tab.table.selectRow(0)
    assert window.broken_tabs == {}
    OUT.mkdir(exist_ok=True)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(150)
        title = window.tabs.tabText(index)
        image = window.grab().toImage()
        assert image.save(str(OUT / f"{index + 1}-{title.lower()}.png"))
        assert distinct_colours(image) > 20, f"the {title} tab looks blank"
