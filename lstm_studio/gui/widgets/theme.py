"""Light/dark palette that follows the system scheme, and colours derived from it.

Fusion's own palette is always light, so under a dark system scheme we install a dark one.
Charts and highlighted HTML ask `is_dark()` so they stay readable in both.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

SERIES_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1")


def system_prefers_dark() -> bool:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    palette = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    role = QPalette.ColorRole
    for name, color in (
        (role.Window, window), (role.WindowText, text), (role.Base, base),
        (role.AlternateBase, QColor(40, 40, 44)), (role.ToolTipBase, window),
        (role.ToolTipText, text), (role.Text, text), (role.Button, QColor(55, 55, 60)),
        (role.ButtonText, text), (role.BrightText, QColor(255, 90, 90)),
        (role.Link, QColor(110, 170, 255)), (role.Highlight, QColor(60, 120, 200)),
        (role.HighlightedText, QColor(255, 255, 255)),
        (role.PlaceholderText, QColor(150, 150, 150)),
    ):
        palette.setColor(name, color)
    disabled = QPalette.ColorGroup.Disabled
    for name in (role.Text, role.ButtonText, role.WindowText):
        palette.setColor(disabled, name, QColor(130, 130, 130))
    return palette


def apply_palette(app: QApplication) -> None:
    """Fusion with the palette matching the system scheme; re-applied when the scheme changes."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if system_prefers_dark() else app.style().standardPalette())


def is_dark() -> bool:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def chart_colors() -> tuple[str, str]:
    """(background, foreground) for pyqtgraph plots under the current palette."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return "#ffffff", "#202020"
    palette = app.palette()
    return (palette.color(QPalette.ColorRole.Base).name(),
            palette.color(QPalette.ColorRole.Text).name())


def highlight_colors() -> dict[str, tuple[str, str]]:
    """{kind: (background, text)} for removed/added/pad/unk highlights; explicit text colour
    keeps them readable whatever the palette."""
    if is_dark():
        return {"removed": ("#7a2228", "#ffffff"), "added": ("#1f5f35", "#ffffff"),
                "pad": ("#3a3a40", "#b0b0b0"), "unk": ("#6b5212", "#ffffff")}
    return {"removed": ("#ffc4c4", "#000000"), "added": ("#c8f0cf", "#000000"),
            "pad": ("#e6e6e6", "#606060"), "unk": ("#ffe49a", "#000000")}
