"""Small widgets of the Inspect tab: the token strip and the prediction bars.

The token strip shows the tokens exactly as the model sees them (after the stored cleaning and
vocabulary), the current one highlighted and out-of-vocabulary ones marked; clicking a token
jumps there. The prediction bars show the class probabilities (or the next-word top-k) after
the current step.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

_TOKEN_STYLE = (
    "QToolButton {{ border: 1px {border} {color}; border-radius: 4px; padding: 2px 6px;"
    " background: {background}; color: {text}; font-weight: {weight}; }}"
)


if TYPE_CHECKING:  # the gates core imports torch
    from lstm_studio.core.gates import Derivation


class TokenStrip(QScrollArea):
    """A horizontal row of token buttons; `token_clicked(step)` when one is clicked."""

    token_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(44)
        self._inner = QWidget()
        self._row = QHBoxLayout(self._inner)
        self._row.setContentsMargins(2, 2, 2, 2)
        self._row.setSpacing(4)
        self._row.addStretch(1)
        self.setWidget(self._inner)
        self._buttons: list[QToolButton] = []
        self._oov: list[bool] = []
        self._current = -1

    def set_tokens(self, tokens: list[str], oov: list[bool]) -> None:
        for button in self._buttons:
            self._row.removeWidget(button)
            button.deleteLater()
        self._buttons, self._oov, self._current = [], list(oov), -1
        for index, token in enumerate(tokens):
            button = QToolButton()
            button.setText(token)
            button.setToolTip(f"step {index}: “{token}”"
                              + (" — not in the vocabulary, read as <unk>" if oov[index] else ""))
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, step=index: self.token_clicked.emit(step))
            self._row.insertWidget(index, button)
            button.show()  # not left to the layout's queued show: visible at once
            self._buttons.append(button)
            self._style(index)

    def set_current(self, step: int) -> None:
        previous, self._current = self._current, step
        if 0 <= previous < len(self._buttons):
            self._style(previous)
        if 0 <= step < len(self._buttons):
            self._style(step)
            self.ensureWidgetVisible(self._buttons[step], 40, 0)

    def current(self) -> int:
        return self._current

    def current_text(self) -> str:
        if 0 <= self._current < len(self._buttons):
            return self._buttons[self._current].text()
        return ""

    def texts(self) -> list[str]:
        return [button.text() for button in self._buttons]

    def is_oov(self, step: int) -> bool:
        return self._oov[step]

    def _style(self, index: int) -> None:
        current, oov = index == self._current, self._oov[index]
        self._buttons[index].setStyleSheet(_TOKEN_STYLE.format(
            border="dashed" if oov else "solid",
            color="#c92a2a" if oov else ("#e8590c" if current else "#adb5bd"),
            background="#e8590c" if current else ("#fff5f5" if oov else "#f8f9fa"),
            text="white" if current else ("#c92a2a" if oov else "#212529"),
            weight="bold" if current else "normal",
        ))


class PredictionBars(QWidget):
    """Probability bars, largest first; the title says what they are (classes or next word)."""

    def __init__(self, parent: QWidget | None = None, rows: int = 10) -> None:
        super().__init__(parent)
        self.title = QLabel("Prediction")
        self.title.setWordWrap(True)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(8)
        self._names: list[QLabel] = []
        self._bars: list[QProgressBar] = []
        self._values: list[QLabel] = []
        for row in range(rows):
            name, value = QLabel(), QLabel()
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(False)
            bar.setMaximumHeight(14)
            self._grid.addWidget(name, row, 0)
            self._grid.addWidget(bar, row, 1)
            self._grid.addWidget(value, row, 2)
            self._names.append(name)
            self._bars.append(bar)
            self._values.append(value)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(self._grid)
        layout.addStretch(1)
        self.set_distribution("Prediction", [])

    def set_distribution(self, title: str, items: list[tuple[str, float]]) -> None:
        self.title.setText(title)
        for row, (name, bar, value) in enumerate(zip(self._names, self._bars, self._values,
                                                     strict=True)):
            visible = row < len(items)
            for widget in (name, bar, value):
                widget.setVisible(visible)
            if visible:
                label, prob = items[row]
                name.setText(label)
                bar.setValue(round(prob * 1000))
                value.setText(f"{prob:.3f}")

    def shown(self) -> list[tuple[str, str]]:
        """(label, formatted probability) of the visible rows, for tests."""
        return [(name.text(), value.text()) for name, value in zip(self._names, self._values,
                                                                    strict=True)
                if not name.isHidden()]


class FormulaPanel(QTextBrowser):
    """The lecture-style derivations of the current step, the active stage emphasised.

    Shows the core's `Derivation.text` verbatim (formula, numbers substituted, result) and the
    largest products of each dot product, so every number here is a core number.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self._stages: list[str] = []

    def set_derivations(self, derivations: list[Derivation], active: str | None,
                        notes: list[str] | None = None) -> None:
        self._stages = [d.stage for d in derivations]
        blocks = []
        for number, item in enumerate(derivations, start=1):
            is_active = active is None or item.stage == active
            color = "#212529" if is_active else "#adb5bd"
            border = "#e8590c" if active is not None and item.stage == active else "#dee2e6"
            lines = item.text.split("\n")
            body = "<br>".join(_esc(line) for line in lines[1:])
            terms = _terms_html(item) if is_active else ""
            blocks.append(
                f'<a name="stage-{item.stage}"></a>'
                f'<table width="100%" cellspacing="0" cellpadding="4" style="margin-bottom:4px;'
                f'border-left: 4px solid {border};"><tr><td style="color:{color};">'
                f"<b>{number}. {_esc(item.title)}</b> &nbsp; <code>{_esc(item.formula)}</code>"
                f'<br><code style="font-size:9.5pt">{body}</code>{terms}</td></tr></table>')
        for note in notes or []:
            blocks.append(f'<p style="color:#5c940d"><i>Note: {_esc(note)}</i></p>')
        self.setHtml("".join(blocks))
        if active is not None:
            self.scrollToAnchor(f"stage-{active}")

    def stages(self) -> list[str]:
        return list(self._stages)


def _num(value: float) -> str:
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def _esc(text: str) -> str:
    return html.escape(text)


def _terms_html(item: Derivation) -> str:
    """'Largest terms' of the input and hidden dot products (skipped for 1-element sums)."""
    top = item.top_terms
    if not top:
        return ""
    rows = []
    names = {"input": ("W_i", "x_t"), "hidden": ("W_h", "h_{t-1}")}
    for part in ("input", "hidden"):
        terms = top.get(part) or []
        if len(terms) <= 1 or not any(t["product"] for t in terms):
            continue  # one-element sums and all-zero ones (h_0 = 0) teach nothing
        weight, vector = names[part]
        shown = ", ".join(
            f"[{t['index']}] {_num(t['weight'])}·{_num(t['value'])} = {_num(t['product'])}"
            for t in terms[:4])
        rows.append(f"largest terms of {weight}·{vector}: {shown}")
    if not rows:
        return ""
    return ('<br><span style="color:#495057; font-size:9pt">'
            + "<br>".join(_esc(r) for r in rows) + "</span>")
