"""Tokens coloured by how much each pushed the prediction: red towards it, blue against it.

`attribution_html` renders the tokens as rich text (the Use view shows it under the typed text);
`AttributionStrip` is the label that holds it and remembers what it shows, for tests and for
the handout. Colours are scaled to the largest |attribution| of the text, so the strongest word
is always fully coloured; the numbers themselves are in each token's tooltip-like title.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from lstm_studio.gui.widgets.attribution_colours import attribution_colour, attribution_html


@dataclass
class ShownAttribution:
    tokens: list[str]
    values: list[float]
    target: str
    colours: list[str]


class AttributionStrip(QLabel):
    """A wrapped line of coloured tokens with a caption saying what is explained."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shown: ShownAttribution | None = None

    def set_attribution(self, tokens: list[str], values: list[float], target: str,
                        caption: str = "", oov: list[bool] | None = None) -> None:
        scale = max((abs(v) for v in values), default=0.0)
        self.shown = ShownAttribution(list(tokens), list(values), target,
                                      [attribution_colour(v, scale) for v in values])
        lead = html.escape(caption or f"Why “{target}”")
        self.setText(f"<span style='color:#495057'>{lead} (red: towards it, blue: against "
                     f"it):</span><br>{attribution_html(tokens, values, oov)}")

    def show_message(self, text: str) -> None:
        self.shown = None
        self.setText(f"<span style='color:#495057'>{html.escape(text)}</span>")

    def clear(self) -> None:  # type: ignore[override]
        self.shown = None
        super().clear()
