"""Process start to main window shown, through the real `lstm-studio` entry point.

Prints the seconds for each run and their median (target <= 1.5 s) and whether torch had been
imported by the time the window was up (it must not be). Run:

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_startup.py [runs]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 1.5
CHILD = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import lstm_studio.gui.main_window as main_window

original_show = main_window.MainWindow.show

def show(self):
    original_show(self)
    def report():
        print("SHOWN", time.time(), "torch" in sys.modules, flush=True)
        QApplication.quit()
    QTimer.singleShot(0, report)  # first turn of the event loop: the window is up

main_window.MainWindow.show = show
from lstm_studio.cli import main
sys.exit(main([]))
"""


def one_run(settings_dir: Path) -> tuple[float, bool]:
    env = dict(os.environ, LSTM_STUDIO_SETTINGS=str(settings_dir / "settings.ini"),
               LSTM_STUDIO_HOME=str(settings_dir / "home"))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.time()
    result = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                            text=True, timeout=120)
    for line in result.stdout.splitlines():
        if line.startswith("SHOWN"):
            _, shown, torch_loaded = line.split()
            return float(shown) - started, torch_loaded == "True"
    raise SystemExit(f"the window never showed:\n{result.stdout}\n{result.stderr[-2000:]}")


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as folder:
        settings_dir = Path(folder)
        (settings_dir / "settings.ini").write_text("[app]\nlaunched=true\n", encoding="utf-8")
        results = [one_run(settings_dir) for _ in range(runs)]
    seconds = [s for s, _ in results]
    torch_before_show = any(t for _, t in results)
    for index, value in enumerate(seconds, 1):
        print(f"run {index}: {value:.2f} s")
    median = statistics.median(seconds)
    print(f"startup to window shown: median {median:.2f} s, min {min(seconds):.2f} s "
          f"(target <= {TARGET_S} s) -> {'ok' if median <= TARGET_S else 'SLOW'}")
    print(f"torch imported before the window was shown: {torch_before_show}")
    return 0 if median <= TARGET_S and not torch_before_show else 1


if __name__ == "__main__":
    sys.exit(main())
