"""Helpers every subcommand shares: a stderr progress bar, JSON output, dataset loading flags."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from lstm_studio.core.limits import MB, InputLimits
from lstm_studio.core.progress import Progress


class StderrBar:
    """A one-line progress bar on stderr; silent when stderr is not a terminal unless forced."""

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._start = time.monotonic()

    def __call__(self, done: int, total: int, what: str = "") -> None:
        if not self.enabled:
            return
        fraction = done / total if total else 1.0
        width = 30
        filled = int(width * fraction)
        elapsed = time.monotonic() - self._start
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
