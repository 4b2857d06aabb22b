"""A table view that paints ahead of the background work.

Each cell a QTableView paints is a call into the Python model, and each call takes the
interpreter lock. While a worker runs pure Python (merging a sort of 200,000 rows, building
an index) every one of those calls queues behind it for up to the switch interval, so a
repaint of 150 cells took 150-300 ms on a busy 2-core machine instead of 6 ms. Painting
inside `core.progress.foreground()` makes workers wait at their next progress check instead.
"""

from __future__ import annotations

from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QTableView

from lstm_studio.core.progress import foreground


class ForegroundTableView(QTableView):
    """QTableView whose painting asks workers to step aside (see the module docstring)."""

    def paintEvent(self, event: QPaintEvent) -> None:
        with foreground():
            super().paintEvent(event)
