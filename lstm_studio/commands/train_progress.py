"""What `lstm-studio train` shows while it trains, from the trainer's events.

In a terminal: a live line within each epoch (step, loss, tokens/s, ETA of the epoch), closed
by the epoch's figures when it ends. With `--json`: JSON lines on stderr, a "training" line
per second (global step, total, rate, ETA of the run) and an "epoch" line per epoch. Elsewhere
(stderr redirected, no --json): nothing, the result on stdout says it all.
"""

from __future__ import annotations

import sys
import time

from lstm_studio.commands.common import (
    JSON_INTERVAL_S,
    eta_seconds,
    json_progress,
    write_progress_line,
)
from lstm_studio.core.events import EpochEvent, RunEnded, RunStarted, StepEvent

TERMINAL_INTERVAL_S = 0.1
BAR_WIDTH = 20


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingProgress:
    """Listens to trainer events (`on_event`) and validation notices (`on_progress`)."""

    def __init__(self, enabled: bool = True, terminal: bool | None = None) -> None:
        self.json = json_progress()
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.enabled = enabled and (self.json or self.terminal)
        self.total = 0
        self._first_step = 0
        self._started = time.monotonic()
        self._epoch_started = self._started
        self._last = 0.0
        self._line_open = False

    # -- events ---------------------------------------------------------------------------------
    def on_event(self, event: object) -> None:
        if not self.enabled:
            return
        if isinstance(event, RunStarted):
            self.total = int(event.total_steps)
            self._started = self._epoch_started = time.monotonic()
            self._first_step = -1
        elif isinstance(event, StepEvent):
            self._step(event)
        elif isinstance(event, EpochEvent):
            self._epoch(event)
        elif isinstance(event, RunEnded) and self._line_open:
            sys.stderr.write("\n")
            self._line_open = False

    def on_progress(self, done: int, total: int, what: str) -> None:
        """The trainer's Progress listener: only its "Validating epoch N" notices show."""
        if not self.enabled or not what.startswith("Validating"):
            return
        if self.json:
            write_progress_line({"stage": "validating", "epoch": int(what.split()[-1]),
                                 "step": done, "total": total})
        elif self._line_open:
            sys.stderr.write(" · validating…")
            sys.stderr.flush()

    # -- rendering ------------------------------------------------------------------------------
    def _step(self, event: StepEvent) -> None:
        now = time.monotonic()
        if self._first_step < 0:  # the first step of this session (a resumed run starts late)
            self._first_step = event.global_step - 1
            self._started = now
        if event.step == 1:
            self._epoch_started = now
        last_of_epoch = event.step >= event.steps_per_epoch
        interval = JSON_INTERVAL_S if self.json else TERMINAL_INTERVAL_S
        if now - self._last < interval and not last_of_epoch:
            return
        self._last = now
        done = event.global_step - self._first_step
        rate = done / (now - self._started) if now > self._started else None
        if self.json:
            write_progress_line({
                "stage": "training", "epoch": event.epoch, "step": event.global_step,
                "total": self.total, "epoch_step": event.step,
                "epoch_steps": event.steps_per_epoch, "loss": event.loss,
                "rate": round(rate, 3) if rate else None,
                "tokens_per_s": round(event.tokens_per_s, 1),
                "eta_s": (round((self.total - event.global_step) / rate, 1)
                          if rate and self.total else None)})
            return
        fraction = event.step / max(1, event.steps_per_epoch)
        filled = int(BAR_WIDTH * fraction)
        eta = eta_seconds(event.step, event.steps_per_epoch, now - self._epoch_started)
        sys.stderr.write(
            f"\repoch {event.epoch} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
            f"{event.step}/{event.steps_per_epoch} · loss {event.loss:.4f} · "
            f"{event.tokens_per_s:,.0f} tokens/s · ETA {format_duration(eta)}   ")
        sys.stderr.flush()
        self._line_open = True

    def _epoch(self, event: EpochEvent) -> None:
        if self.json:
            write_progress_line({"stage": "epoch", "epoch": event.epoch, "epochs": event.epochs,
                                 "train_loss": event.train_loss, "valid_loss": event.valid_loss,
                                 "valid_accuracy": event.valid_accuracy,
                                 "valid_macro_f1": event.valid_macro_f1,
                                 "valid_perplexity": event.valid_perplexity,
                                 "seconds": round(event.seconds, 3)})
            return
        figures = f"train loss {event.train_loss:.4f}"
        if event.valid_accuracy is not None:
            figures += f" · valid acc {event.valid_accuracy:.4f}"
        elif event.valid_perplexity is not None:
            figures += f" · valid ppl {event.valid_perplexity:.2f}"
        sys.stderr.write(f"\repoch {event.epoch}/{event.epochs} done in {event.seconds:.1f} s · "
                         f"{figures}{' ' * 30}\n")
        sys.stderr.flush()
        self._line_open = False
