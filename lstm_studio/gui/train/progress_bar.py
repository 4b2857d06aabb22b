"""The run's progress bar: epoch, step and ETA while training, the outcome afterwards.

The ETA counts only the time the run was not paused (`ActiveClock`), so a long pause does not
inflate it.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QProgressBar, QWidget

from lstm_studio.core.events import StepEvent

PAUSED_SUFFIX = " · paused"


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ActiveClock:
    """Seconds spent running, pauses excluded."""

    def __init__(self) -> None:
        self._banked = 0.0
        self._since: float | None = None

    def restart(self) -> None:
        self._banked, self._since = 0.0, time.monotonic()

    def pause(self) -> None:
        if self._since is not None:
            self._banked += time.monotonic() - self._since
            self._since = None

    def resume(self) -> None:
        if self._since is None:
            self._since = time.monotonic()

    def seconds(self) -> float:
        running = 0.0 if self._since is None else time.monotonic() - self._since
        return self._banked + running


class RunProgressBar(QProgressBar):
    """Shows where a run is; `set_paused` appends or removes the paused mark."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextVisible(True)
        self.show_idle("Not training")

    def show_idle(self, text: str, done: bool = False) -> None:
        self.setRange(0, 1)
        self.setValue(1 if done else 0)
        self.setFormat(text)

    def show_preparing(self) -> None:
        self.setRange(0, 0)  # busy until the run reports its size
        self.setFormat("Preparing…")
        self.setToolTip("")

    def set_total(self, total_steps: int) -> None:
        self.setRange(0, max(1, total_steps))

    def show_step(self, event: StepEvent, epochs: int, total_steps: int,
                  active_seconds: float, first_step: int = 0) -> None:
        """`first_step`: the steps done before this session (a resumed run's), which the
        clock did not see."""
        done = event.global_step
        timed = done - first_step
        eta = active_seconds / timed * (total_steps - done) if timed > 0 else 0.0
        if self.maximum() != total_steps:
            self.setRange(0, total_steps)
        self.setValue(min(done, total_steps))
        self.setFormat(f"Epoch {event.epoch}/{epochs} · step {event.step}/"
                       f"{event.steps_per_epoch} · ETA {format_duration(eta)}")

    def show_validating(self, epoch: int, epochs: int) -> None:
        self.setFormat(f"Epoch {epoch}/{epochs} · validating…")

    def show_stopping(self) -> None:
        self.setFormat("Stopping… (keeping the best weights)")

    def set_paused(self, paused: bool) -> None:
        text = self.format().removesuffix(PAUSED_SUFFIX)
        self.setFormat(text + PAUSED_SUFFIX if paused else text)

    def show_outcome(self, status: str, message: str) -> None:
        """The run's status and the first sentence of the core's message; all of it as tip."""
        headline = message.split(". ")[0].rstrip(".")
        self.show_idle(f"{status.capitalize()}: {headline}" if headline else status.capitalize(),
                       done=status == "finished")
        self.setToolTip(message)
