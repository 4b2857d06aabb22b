"""QApplication bootstrap: style, palette, icon, names, then the main window.

torch is never imported here or by the tabs at import time, so the window appears quickly;
the tabs that need it import it when first used.
"""

from __future__ import annotations

import multiprocessing
import sys


def create_application() -> object:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from lstm_studio import APP_ID, APP_NAME, __version__
    from lstm_studio.gui.widgets.theme import apply_palette

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(sys.argv[:1])
    app.setOrganizationName("LSTM Studio")
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    apply_palette(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_palette(app))
    return app


def main(self_test: bool = False) -> int:
    multiprocessing.freeze_support()  # the frozen app re-executes itself for worker processes
    app = create_application()

    from PySide6.QtCore import QTimer

    from lstm_studio.gui.main_window import MainWindow, app_icon

    app.setWindowIcon(app_icon())
    window = MainWindow()
    window.show()
    if self_test:
        from lstm_studio.gui.self_test import SelfTest

        runner = SelfTest(window)

        def run() -> None:
            code = runner.run()
            window.shutdown_tabs()
            app.exit(code)

        QTimer.singleShot(0, run)
        return int(app.exec())
    window.start_first_launch()
    return int(app.exec())
