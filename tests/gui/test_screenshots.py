"""A screenshot of every tab with the sample loaded, cleaned and its vocabulary built, each
checked to have rendered something (not a blank grab).

The images go to screenshot_dir.SCREENSHOTS (outside the checkout) to look at by eye.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QImage
from screenshot_dir import SCREENSHOTS

from lstm_studio.resources_path import sample_paths


def distinct_colours(image: QImage) -> int:
    step = 16
    colours = {image.pixel(x, y) for x in range(0, image.width(), step)
               for y in range(0, image.height(), step)}
    return len(colours)


def test_screenshot_every_tab(window: Any, qtbot: Any, finish: Any) -> None:
    out = SCREENSHOTS
    assert finish(lambda done: window.data_tab.load_paths(sample_paths(), on_done=done))
    clean = window.tab("Clean")
    assert finish(clean.run_cleaning)
    clean.report.documents_view.selectRow(0)
    assert finish(window.tab("Vocabulary").build_vocabulary)
    window.data_tab.table.selectRow(0)
    assert window.broken_tabs == {}
    assert window.tabs.count() == 5
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(150)
        title = window.tabs.tabText(index)
        image = window.grab().toImage()
        assert image.save(str(out / f"{index + 1}-{title.lower()}.png"))
        assert distinct_colours(image) > 20, f"the {title} tab looks blank"
