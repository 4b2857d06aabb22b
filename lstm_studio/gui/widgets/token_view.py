"""The tokens a model actually read, for every place that classifies a typed text.

A wrapped line of tokens after the model's whole text pipeline (normalisation, word
segmentation, lowercase...): words joined by segmentation ("nhân_viên") are shaded blue and
shown with a space, unknown words are struck through in red (the model reads them as <unk>),
and a caption names the steps that ran. The Use view shows it under the typed text; the
Inspect tab's clickable token strip marks unknown words the same way and borrows the caption.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

JOINED_STYLE = "background-color:#d0ebff; color:#1864ab;"
UNKNOWN_STYLE = "background-color:#fff5f5; color:#c92a2a; text-decoration:line-through;"
KNOWN_STYLE = "background-color:#f1f3f5; color:#212529;"


def token_html(tokens: list[str], oov: list[bool]) -> str:
    """Each token as a shaded span: joined words blue, unknown ones red and struck through."""
    parts = []
    for token, unknown in zip(tokens, oov, strict=False):
        style = UNKNOWN_STYLE if unknown else JOINED_STYLE if "_" in token.strip("_") \
            else KNOWN_STYLE
        shown = html.escape(token.replace("_", " ") if "_" in token.strip("_") else token)
        parts.append(f"<span style='{style}'>&nbsp;{shown}&nbsp;</span>")
    return "&nbsp; ".join(parts)


def pipeline_caption(pipeline: Any) -> str:
    """"after: NFC · … · Segment words (pyvi 0.1.1) · Lowercase" for a TextPipeline."""
    return "after: " + " · ".join(pipeline.describe())


class TokenView(QWidget):
    """"Model reads:" and the tokens, with a caption; `set_encoded` after each prediction."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tokens_label = QLabel()
        self.tokens_label.setWordWrap(True)
        self.tokens_label.setTextFormat(Qt.TextFormat.RichText)
        self.tokens_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #868e96; font-size: small;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.tokens_label)
        layout.addWidget(self.caption)
        self._tokens: list[str] = []
        self._oov: list[bool] = []

    def set_encoded(self, tokens: list[str], oov: list[bool], pipeline: Any = None) -> None:
        self._tokens, self._oov = list(tokens), list(oov)
        if not tokens:
            self.tokens_label.setText("Model reads: nothing (every word was cleaned away)")
        else:
            self.tokens_label.setText("Model reads: " + token_html(tokens, oov))
        unknown = sum(oov)
        joined = sum(1 for token in tokens if "_" in token.strip("_"))
        facts = [f"{len(tokens)} token{'s' if len(tokens) != 1 else ''}"]
        if joined:
            facts.append(f"{joined} joined word{'s' if joined != 1 else ''} (blue)")
        if unknown:
            facts.append(f"{unknown} not in the vocabulary (struck through, read as <unk>)")
        caption = ", ".join(facts)
        if pipeline is not None:
            notes = pipeline.notes()
            caption += " — " + pipeline_caption(pipeline) + "".join(f". {n}" for n in notes)
        self.caption.setText(caption)

    def setText(self, text: str) -> None:  # QLabel's name: a message instead of tokens
        self._tokens, self._oov = [], []
        self.tokens_label.setText(text)
        self.caption.clear()

    def clear(self) -> None:
        self.setText("")

    def tokens(self) -> list[str]:
        return list(self._tokens)

    def unknown(self) -> list[str]:
        return [token for token, oov in zip(self._tokens, self._oov, strict=True) if oov]

    def text(self) -> str:
        """What a person reads (tokens and caption), as plain text."""
        from PySide6.QtGui import QTextDocument

        document = QTextDocument()
        document.setHtml(self.tokens_label.text())
        return f"{document.toPlainText()}\n{self.caption.text()}".strip()
