"""How long stopping takes while a model trains in the app: the Train tab's shutdown and
closing the main window (answering "stop and close").

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_stop.py [--repeat R]

Each run builds the tab (or the whole window), starts a long training run (500 epochs of a tiny
LSTM on synthetic reviews), waits until it has trained for a moment, then times the call that
must stop it: `TrainTab.shutdown()` and `MainWindow.close()`. Both cancel the run between two
batches and wait for its thread, so they should return within a fraction of a second; the
target is under 2 s (tests/gui/test_train_tab.py checks that they stop and record the run as
stopped, not how fast). A readable line per run goes to stderr; stdout is one JSON object
{"repeat": 3, "tab_shutdown_s": {"median": ..., "max": ..., "runs": [...]}, "window_close_s":
{...}, "target_s": 2.0, "meets_target": true}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_private = tempfile.mkdtemp(prefix="lstm-studio-bench-stop-")
os.environ.setdefault("LSTM_STUDIO_HOME", str(Path(_private) / "home"))
os.environ.setdefault("LSTM_STUDIO_SETTINGS", str(Path(_private) / "settings.ini"))

TARGET_S = 2.0


def tiny_dataset() -> Any:
    """The test's own reviews (tests/gui/test_train_tab.py), so both train on the same data."""
    sys.path.insert(0, str(REPO_ROOT / "tests" / "gui"))
    from test_train_tab import tiny_dataset as test_dataset

    return test_dataset()


def wait_until(app: Any, condition: Callable[[], bool], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("training did not start in time")
        app.processEvents()
        time.sleep(0.005)


def configure(tab: Any) -> None:
    from lstm_studio.core.config import ModelConfig, TrainConfig

    tab.form.preloader.wait(60)  # torch's import is not part of stopping
    tab.form.set_configs(ModelConfig(embedding_dim=8, hidden_size=8),
                         TrainConfig(epochs=500, batch_size=8, threads=1))


def time_tab_shutdown(app: Any) -> float:
    from lstm_studio.gui.state import AppState
    from lstm_studio.gui.train.tab import TrainTab

    state = AppState()
    state.set_dataset(tiny_dataset())
    tab = TrainTab(state)
    tab.resize(1280, 800)
    configure(tab)
    tab.show()
    tab.start_training()
    wait_until(app, lambda: tab.training.plots.epoch_count() >= 1)
    started = time.perf_counter()
    tab.shutdown()
    seconds = time.perf_counter() - started
    assert not tab.training.task.is_running()
    tab.deleteLater()
    return seconds


def time_window_close(app: Any) -> float:
    from lstm_studio.gui import dialogs
    from lstm_studio.gui.main_window import MainWindow

    dialogs.responder = lambda call: True  # "A model is still training. Stop it and close?"
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    tab = window.tab("Train")
    window.state.set_dataset(tiny_dataset())
    configure(tab)
    tab.start_training()
    wait_until(app, lambda: tab.training.plots.step_count() > 0)
    started = time.perf_counter()
    window.close()
    seconds = time.perf_counter() - started
    assert not window.isVisible() and not tab.training.task.is_running()
    window.deleteLater()
    return seconds


def summary(runs: list[float]) -> dict[str, Any]:
    return {"median": round(statistics.median(runs), 3), "max": round(max(runs), 3),
            "runs": [round(run, 3) for run in runs]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    tab_runs, window_runs = [], []
    for run in range(args.repeat):
        tab_runs.append(time_tab_shutdown(app))
        window_runs.append(time_window_close(app))
        print(f"run {run + 1}: tab shutdown {tab_runs[-1]:.3f} s, window close "
              f"{window_runs[-1]:.3f} s", file=sys.stderr)
    worst = max(tab_runs + window_runs)
    print(json.dumps({"repeat": args.repeat, "tab_shutdown_s": summary(tab_runs),
                      "window_close_s": summary(window_runs), "target_s": TARGET_S,
                      "meets_target": worst < TARGET_S}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
