"""A training run's folder: what a run writes while it trains, and where.

```
<run id>/
  run.json                 the RunRecord (core/runs.py), rewritten atomically
  log.jsonl                one JSON line per step, epoch, checkpoint... (core/run_log.py):
                           what a window following the run reads as it grows
  checkpoint.safetensors   the last training checkpoint (core/run_checkpoint.py)
  STOP                     present = "stop after the current step" (the trainer polls it)
```

Only the main process of a run writes here. Nothing in this module needs torch, so the window
can follow a run (on this disk or a shared filesystem) without loading it.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lstm_studio.core.atomic import atomic_write_text

RECORD_NAME = "run.json"
LOG_NAME = "log.jsonl"
CHECKPOINT_NAME = "checkpoint.safetensors"
STOP_NAME = "STOP"


@dataclass(frozen=True)
class RunDir:
    path: Path

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> RunDir:
        return cls(Path(path))

    @property
    def record(self) -> Path:
        return self.path / RECORD_NAME

    @property
    def log(self) -> Path:
        return self.path / LOG_NAME

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT_NAME

    @property
    def stop_file(self) -> Path:
        return self.path / STOP_NAME

    def exists(self) -> bool:
        return self.record.is_file()

    def request_stop(self) -> None:
        """Ask the run writing this folder to stop after its current step."""
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        atomic_write_text(self.stop_file, f"stop requested {stamp}\n")

    def stop_requested(self) -> bool:
        return self.stop_file.exists()

    def clear_stop(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.stop_file.unlink()

    def remove_stale_temporaries(self) -> None:
        """Temporary files of atomic writes a killed process left behind."""
        for leftover in self.path.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def is_run_dir(path: str | os.PathLike[str]) -> bool:
    return RunDir.at(path).exists()
