""""Train from: [automatically | the on-disk store | memory]": the Data tab's choice of
`DataConfig.store` (core/corpus/choice.py), the one setting that decides whether a training
started in the window reads its corpus from memory or from the token store.

The window's tabs still hold the corpus in memory; what the store gives a window run is
bounded training memory and a second start that skips reading and cleaning.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from lstm_studio.core.corpus.choice import STORE_AUTO_BYTES
from lstm_studio.core.limits import size_text

CHOICES: tuple[tuple[str, str], ...] = (
    ("auto", f"automatically (from {size_text(STORE_AUTO_BYTES)})"),
    ("on", "the on-disk store"),
    ("off", "memory"),
)


class StoreChoice(QWidget):
    """A labelled combo box whose value is one of "auto", "on", "off"."""

    def __init__(self, on_change: Callable[[str], None], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        for value, text in CHOICES:
            self.combo.addItem(text, value)
        self.combo.setToolTip("Where training reads the corpus: the on-disk token store is "
                              "prepared once per sources and cleaning and reused (see "
                              "docs/big-corpora.md); memory reads the data as loaded here.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(QLabel("Train from:"))
        layout.addWidget(self.combo, 1)
        self.combo.currentIndexChanged.connect(lambda _i: on_change(self.value()))

    def value(self) -> str:
        return str(self.combo.currentData())

    def show_value(self, value: str) -> None:
        """Show `value` without reporting it as the user's change."""
        index = self.combo.findData(value)
        if index >= 0 and index != self.combo.currentIndex():
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(index)
            self.combo.blockSignals(False)
