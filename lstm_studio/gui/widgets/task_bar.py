"""A progress bar with a Cancel button that follows one BackgroundTask at a time."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from lstm_studio.gui.workers import BackgroundTask


class TaskBar(QWidget):
    """Hidden while idle; shows `what`, done/total and a Cancel button while a task runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(140)
        self.cancel_button = QPushButton("Cancel")
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar, 2)
        layout.addWidget(self.cancel_button)
        self._task: BackgroundTask | None = None
        self.cancel_button.clicked.connect(self._on_cancel)
        # Keep the space while hidden: showing/hiding must not relayout (and repaint) the
        # whole tab, whose charts are expensive to paint, at the start and end of every task.
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.hide()

    def follow(self, task: BackgroundTask, what: str) -> None:
        self._task = task
        self.label.setText(what)
        self.bar.setRange(0, 0)  # busy until the first report
        self.cancel_button.setEnabled(True)
        task.progressed.connect(self._on_progressed)
        task.ended.connect(self._on_ended)
        self.show()

    def _on_progressed(self, done: int, total: int, what: str) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setFormat(f"{done:,} / {total:,}")
        if what:
            self.label.setText(what)

    def _on_cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling…")

    def _on_ended(self) -> None:
        self._task = None
        self.hide()
