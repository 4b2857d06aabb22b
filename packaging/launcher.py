"""Entry point of every frozen executable of the app (see packaging/lstm_studio.spec).

Why a separate script instead of pointing PyInstaller at lstm_studio/cli.py:
- `multiprocessing.freeze_support()` must run before anything else. Cleaning uses a process
  pool with the "spawn" context, and a frozen worker process is this same executable started
  again with `--multiprocessing-fork`; without this call it would parse those arguments as a
  command line and open a second window.
- `LSTM_STUDIO_EXIT_AFTER_SHOW=1` makes the app report how long it took until the main window
  was shown, then quit. bench/bench_package.py uses it to time a cold start of the bundle
  without touching the app's own code.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import multiprocessing  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

SHOWN_MARKER = "LSTM_STUDIO_SHOWN"
EXIT_AFTER_SHOW = "LSTM_STUDIO_EXIT_AFTER_SHOW"


def install_exit_after_show_hook() -> None:
    """Wrap QApplication.exec: once the event loop runs with a visible main window, report and quit.

    The report is `LSTM_STUDIO_SHOWN <seconds since the interpreter started this script>` on
    stdout. The timer fires at the first turn of the event loop, after the show and expose
    events queued by `window.show()` have been handled. The process then ends at once
    (os._exit): a measurement must not wait on, or be blocked by, the app's shutdown.
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    original_exec = QApplication.exec

    def exec_and_report(*_instance: object) -> int:  # called as app.exec() or QApplication.exec()
        deadline = time.perf_counter() + 120.0

        def poll() -> None:
            shown = [w for w in QApplication.topLevelWidgets()
                     if isinstance(w, QMainWindow) and w.isVisible()]
            if shown or time.perf_counter() > deadline:
                report = f"{time.perf_counter() - STARTED:.3f}" if shown else "timeout"
                print(f"{SHOWN_MARKER} {report}", flush=True)
                os._exit(0 if shown else 1)
            else:
                QTimer.singleShot(10, poll)

        QTimer.singleShot(0, poll)
        return original_exec()  # static in PySide6: takes no instance

    QApplication.exec = exec_and_report


def main() -> int:
    multiprocessing.freeze_support()
    # A Windows GUI-subsystem executable has no stdout/stderr (None): printing would crash.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    if os.environ.get(EXIT_AFTER_SHOW) == "1":
        install_exit_after_show_hook()
    from lstm_studio.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
