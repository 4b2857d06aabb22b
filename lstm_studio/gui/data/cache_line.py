"""One line under the Data tab's charts: "Corpus cache: 1.2 GB in 3 stores  [Clear…]".

The token stores of large corpora live in the user's cache folder (core/corpus/cache.py) and
can grow to gigabytes, so the app says how much they take and lets the user clear them.
Measuring walks every file of every store, so it runs in a background task, each time the
line is shown and after a clear; clearing asks first, then runs in the same slot.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from lstm_studio.core.corpus.cache import CacheUsage, cache_usage, clear_cache
from lstm_studio.core.limits import size_text
from lstm_studio.core.progress import Progress
from lstm_studio.core.wording import plural
from lstm_studio.gui import dialogs
from lstm_studio.gui.workers import BackgroundTask, TaskSlot


def usage_text(usage: CacheUsage) -> str:
    if not usage.bytes:
        return "Corpus cache: empty"
    return f"Corpus cache: {size_text(usage.bytes)} in {plural(usage.stores, 'store')}"


class CacheLine(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._slot = TaskSlot(self, "Measuring the corpus cache", "Corpus cache")
        self.usage: CacheUsage | None = None
        self.label = QLabel("Corpus cache: …")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.clear_button = QPushButton("Clear…")
        self.clear_button.setEnabled(False)
        self.clear_button.setToolTip("Remove the token stores of large corpora; they are "
                                     "rebuilt from the sources when needed.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.clear_button)
        self.clear_button.clicked.connect(lambda: self.ask_clear())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self, on_done: Callable[[bool], None] | None = None) -> BackgroundTask | None:
        """Measure the cache in the background (skipped while a clear runs)."""
        if self._slot.is_busy():
            return None

        def work(progress: Progress, emit: object) -> CacheUsage:
            return cache_usage()

        return self._slot.start(work, self._show, on_done=on_done)

    def ask_clear(self, on_done: Callable[[bool], None] | None = None,
                  ) -> BackgroundTask | None:
        """Confirm, then remove every store; None when the user said no."""
        shown = self.usage
        size = f" ({size_text(shown.bytes)})" if shown is not None and shown.bytes else ""
        if not dialogs.question(
                self, "Clear the corpus cache",
                f"Remove every token store in the corpus cache{size}?\n\nNo data or model is "
                "lost: a store is rebuilt from its sources the next time it is needed, which "
                "takes longer than reading it."):
            return None
        self.clear_button.setEnabled(False)
        self.label.setText("Corpus cache: clearing…")

        def work(progress: Progress, emit: object) -> CacheUsage:
            clear_cache()
            return cache_usage()

        return self._slot.start(work, self._show, on_done=on_done)

    def _show(self, usage: CacheUsage) -> None:
        self.usage = usage
        self.label.setText(usage_text(usage))
        self.label.setToolTip(usage.folder)
        self.clear_button.setEnabled(usage.bytes > 0)

    def shutdown(self) -> None:
        self._slot.shutdown()
