"""Helpers every subcommand shares: progress on stderr, JSON output.

Progress goes to stderr in one of two forms, chosen once per command by `set_progress_format`
(the command line sets "json" for every command given `--json`):
- "bar": a live one-line bar, only when stderr is a terminal;
- "json": one JSON object per line (`stage`, `step`, `total`, `rate` per second, `eta_s`),
  whether or not stderr is a terminal, so a script reads progress from stderr while the
  result stays the only thing on stdout.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from lstm_studio.core.limits import MB, InputLimits
from lstm_studio.core.progress import Progress

JSON_INTERVAL_S = 1.0  # JSON progress lines at most this often per stage (the last always)
_FORMAT = {"value": "bar"}


def set_progress_format(name: str) -> None:
    """"bar" or "json" for every progress report of this command."""
    _FORMAT["value"] = name


def json_progress() -> bool:
    return _FORMAT["value"] == "json"


def write_progress_line(data: dict[str, Any]) -> None:
    """One JSON progress line on stderr (NaN/inf become null)."""
    clean = {key: None if isinstance(value, float) and not math.isfinite(value) else value
             for key, value in data.items()}
    sys.stderr.write(json.dumps(clean, ensure_ascii=False) + "\n")
    sys.stderr.flush()


def eta_seconds(done: float, total: float, elapsed: float) -> float | None:
    if done <= 0 or total <= 0 or done > total:
        return None
    return round(elapsed / done * (total - done), 1)


class StderrBar:
    """A one-line progress bar on stderr (silent when stderr is not a terminal unless forced),
    or JSON lines in the "json" progress format."""

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        self.label = label
        self.json = json_progress()
        self.enabled = (True if self.json else
                        sys.stderr.isatty() if enabled is None else enabled)
        self._start = time.monotonic()
        self._last_json = 0.0

    def __call__(self, done: int, total: int, what: str = "") -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self._start
        if self.json:
            now = time.monotonic()
            if done < total and now - self._last_json < JSON_INTERVAL_S:
                return
            self._last_json = now
            write_progress_line({
                "stage": self.label.lower(), "step": done, "total": total,
                "what": what or self.label, "rate": round(done / elapsed, 3) if elapsed else None,
                "eta_s": eta_seconds(done, total, elapsed)})
            return
        fraction = done / total if total else 1.0
        width = 30
        filled = int(width * fraction)
        text = what or self.label
        sys.stderr.write(
            f"\r{text[:28]:<28} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done}/{total} {elapsed:5.1f}s"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def progress(self) -> Progress:
        return Progress(self, min_interval=0.1)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def add_model_limit_argument(parser: Any) -> None:
    """--max-model-mb for the commands that open a model file (docs/limits.md)."""
    parser.add_argument("--max-model-mb", type=float, metavar="MB",
                        help="refuse larger model files "
                             f"(default {InputLimits().max_model_bytes / MB:g})")


def model_limits(args: Any) -> InputLimits:
    from lstm_studio.core.errors import ConfigError

    value = getattr(args, "max_model_mb", None)
    if value is None:
        return InputLimits()
    if not value > 0:
        raise ConfigError("--max-model-mb must be a positive number.")
    return InputLimits(max_model_bytes=int(value * MB))


@contextlib.contextmanager
def stop_on_first_interrupt(progress: Progress) -> Iterator[None]:
    """The first Ctrl+C cancels `progress` (the work ends cleanly at its next check and
    keeps what is done); a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if progress.cancelled:
            raise KeyboardInterrupt
        print("\nStopping after this step (Ctrl+C again to abort)...", file=sys.stderr)
        progress.cancel()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
