"""Shared widgets: a TaskBar follows whatever its slot runs, and a chart's legend never covers
a bar (checked on the drawn geometry)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from lstm_studio.gui.widgets.charts import GroupedBarChart
from lstm_studio.gui.widgets.task_bar import TaskBar
from lstm_studio.gui.workers import TaskSlot


def test_task_bar_follows_its_slot_and_ignores_a_retired_task(qtbot: Any) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    slot = TaskSlot(owner, "Working")
    bar = TaskBar(owner)
    bar.follow_slot(slot)
    owner.show()
    first_gate, second_gate = threading.Event(), threading.Event()

    def stuck(gate: threading.Event) -> Any:
        def work(progress: Any, emit: Any) -> None:
            progress.update(1, 4, "step one", force=True)
            gate.wait(10)  # a step that does not look at cancel

        return work

    slot.start(stuck(first_gate), description="Loading a.csv")
    assert bar.isVisible() and bar.label.text() == "Loading a.csv"
    slot.start(stuck(second_gate))  # retires the first; no description: the slot's name
    assert bar.label.text() == "Working"
    first_gate.set()  # the retired task ends now: the bar keeps showing the second
    qtbot.waitUntil(lambda: not slot._retired, timeout=10_000)
    qtbot.wait(50)
    assert bar.isVisible()
    assert bar.label.text() in ("Working", "step one")
    second_gate.set()
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=10_000)
    assert slot.shutdown()


@pytest.mark.parametrize("heights", [
    {"train": [120, 118], "valid": [26, 24], "test": [22, 130]},  # tallest bar on the right
    {"train": [300, 5], "valid": [290, 4], "test": [310, 3]},  # tallest on the left
    {"train": [50, 50], "valid": [50, 50], "test": [50, 50]},  # all the same
])
@pytest.mark.parametrize("size", [(480, 230), (320, 160)])
def test_the_legend_never_covers_a_bar(qtbot: Any, heights: dict[str, list[float]],
                                       size: tuple[int, int]) -> None:
    chart = GroupedBarChart("Documents per label and split")
    qtbot.addWidget(chart)
    chart.resize(*size)
    chart.show()
    qtbot.waitExposed(chart)
    chart.set_data(["neg", "pos"], heights)
    qtbot.wait(50)  # the legend is laid out on the next event-loop turn
    legend = chart.legend
    assert legend is not None and legend.isVisible()
    area = legend.sceneBoundingRect()
    bars = chart.bar_rects()
    assert len(bars) == 6
    covered = [bar for bar in bars if bar.intersects(area)]
    assert covered == [], f"the legend {area} covers {covered}"


def test_the_document_table_paints_inside_the_foreground(qtbot: Any) -> None:
    """Every cell the Data and Clean tables paint is read while workers are asked to wait, so
    a sort merging in the background does not slow the repaint down cell by cell."""
    from PySide6.QtCore import QModelIndex, Qt

    from lstm_studio.core.dataset import Document
    from lstm_studio.core.progress import foreground_held
    from lstm_studio.gui.widgets.document_model import DocumentIndex, DocumentTableModel
    from lstm_studio.gui.widgets.table_view import ForegroundTableView

    seen: list[bool] = []

    class Recording(DocumentTableModel):
        def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
            if role == Qt.ItemDataRole.DisplayRole:
                seen.append(foreground_held())
            return super().data(index, role)

    model = Recording()
    documents = [Document(text=f"review {i} ngon", label="pos", split="train", source="s")
                 for i in range(40)]
    model.set_index(DocumentIndex.build(documents))
    view = ForegroundTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    seen.clear()
    view.viewport().grab()
    assert seen and all(seen)
    assert not foreground_held()
