"""A one-line warning shown by the Data and Vocabulary views when a class is under 10%.

The rule and the sentence are the core's (`class_balance.imbalance_warning`); this label
only shows them, hidden while the training split is balanced enough.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QLabel, QWidget

from lstm_studio.core.class_balance import imbalance_warning


class ImbalanceNote(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet("QLabel { background: #fff4ce; color: #5c4400; "
                           "border: 1px solid #e0c060; border-radius: 3px; padding: 4px; }")
        self.setVisible(False)

    def show_counts(self, counts: Mapping[str, int]) -> None:
        """Label -> training documents (labels "" and None, unlabelled text, are ignored)."""
        labelled = {str(k): int(v) for k, v in counts.items() if k}
        text = imbalance_warning(labelled)
        self.setText(text or "")
        self.setVisible(text is not None)

    def is_shown(self) -> bool:
        return not self.isHidden()
