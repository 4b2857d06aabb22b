"""A progress bar with a Cancel button that follows one BackgroundTask at a time.

A view hands its TaskSlot to `follow_slot()` once; every task the slot starts then shows here
(its description, done/total, Cancel) without per-call wiring.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from lstm_studio.gui.workers import BackgroundTask, TaskSlot


class TaskBar(QWidget):
    """Hidden while idle; shows `what`, done/total and a Cancel button while a task runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        # A new step name ("Counting tokens") must not change the tab's layout: that resized
        # and repainted the charts beside the bar on every progress report.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(120)
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

    def follow_slot(self, slot: TaskSlot) -> None:
        """Show every task `slot` starts, labelled with its description."""
        slot.started.connect(lambda task: self.follow(task, task.description or slot.what))

    def follow(self, task: BackgroundTask, what: str) -> None:
        """Show `task` from now on; a task followed earlier and still running is ignored from
        here (its late progress or end must not move or hide the bar of the new one)."""
        self._task = task
        self.label.setText(what)
        self.bar.setRange(0, 0)  # busy until the first report
        self.bar.resetFormat()
        self.cancel_button.setEnabled(True)
        task.progressed.connect(
            lambda done, total, text: self._on_progressed(task, done, total, text))
        task.ended.connect(lambda: self._on_ended(task))
        self.show()

    def _on_progressed(self, task: BackgroundTask, done: int, total: int, what: str) -> None:
        if task is not self._task:
            return
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setFormat(f"{done:,} / {total:,}")
        if what and what != self.label.text():
            self.label.setText(what)

    def _on_cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling…")

    def _on_ended(self, task: BackgroundTask) -> None:
        if task is self._task:
            self._task = None
            self.hide()
