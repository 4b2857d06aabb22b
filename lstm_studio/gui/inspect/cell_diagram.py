"""The recurrent cell drawn as in the lecture, every wire annotated with the selected unit's value.

The drawing is painted with QPainter in a fixed logical coordinate system (800 x 430) scaled to
the widget, so it looks the same at any size and can be rendered into an image of any size for
the HTML handout. The widget knows nothing about models: the Inspect tab hands it plain numbers
(`set_values`) and the active stage (`set_stage`). The text written on each wire is kept in
`wire_texts()` so tests can compare what is shown with the core trace.

LSTM: x_t, h_{t-1} and c_{t-1} come in; four gates (sigma, sigma, tanh, sigma); the forget
product, the input product and the + node on the cell line; tanh on c_t; the output product
and h_t going out. RNN and GRU get a simpler drawing: inputs, one box per gate, h_t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

WIDTH, HEIGHT = 800.0, 430.0

# The lecture's six stages, in its order. Each value lists the drawing parts it lights up.
LSTM_STAGES: tuple[str, ...] = ("forget", "input", "candidate", "output", "cell", "hidden")
STAGE_TITLES: dict[str, str] = {
    "forget": "Forget gate", "input": "Input gate", "candidate": "Candidate memory",
    "output": "Output gate", "cell": "Current cell state", "hidden": "Current hidden state",
    "reset": "Reset gate", "update": "Update gate", "new": "New memory",
}
_LSTM_PARTS: dict[str, set[str]] = {
    "forget": {"x", "hprev", "bus", "bus_f", "box_f", "w_f"},
    "input": {"x", "hprev", "bus", "bus_i", "box_i", "w_i"},
    "candidate": {"x", "hprev", "bus", "bus_g", "box_g", "w_g"},
    "output": {"x", "hprev", "bus", "bus_o", "box_o", "w_o"},
    "cell": {"cprev", "mul_f", "w_f", "w_fc", "w_i", "w_g", "mul_ig", "w_ig", "add", "w_c"},
    "hidden": {"w_c", "w_cdown", "tanh_c", "w_tanhc", "w_o", "mul_o", "w_h"},
}

_SIMPLE_CAPTIONS = {"r": "reset", "z": "update", "n": "new memory", "h": "hidden"}
# GRU / RNN stages (the core's names) -> parts of the simple drawing.
_SIMPLE_STAGE_PARTS: dict[str, set[str]] = {
    "reset": {"box_r"}, "update": {"box_z"}, "candidate": {"box_n"},
    "hidden": {"box_h", "box_z", "box_n", "w_h"},
}
INK = QColor("#2b2f36")
MUTED = QColor("#b4b9c2")
ACCENT = QColor("#e8590c")
CELL_FILL = QColor("#f4f6fa")
GATE_FILL = QColor("#fff3bf")
TANH_FILL = QColor("#d0ebff")
LABEL_BG = QColor(255, 255, 255, 225)


def fmt(value: float | None) -> str:
    """Three decimals, the lecture's precision; a dash for values not computed yet."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.3f}"


@dataclass(frozen=True)
class _Label:
    key: str
    anchor: QPointF
    parts: frozenset[str]  # highlighted together with these parts
    align: str = "left"  # left: text starts at anchor; right: ends at anchor; center


class CellDiagram(QWidget):
    """Draws an LSTM (or a simpler RNN / GRU) cell; see the module docstring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(360, 200)
        self._cell = "lstm"
        self._values: dict[str, float | None] = {}
        self._token = ""
        self._stage: str | None = None
        self._gate_names: list[str] = []  # RNN / GRU drawing
        self._symbols: dict[str, str] = {}
        self._texts: dict[str, str] = {}

    # --- public API -------------------------------------------------------------------------
    def set_cell(self, cell: str, gate_names: list[str] | None = None,
                 nonlinearity: str = "tanh") -> None:
        """`cell` is "lstm", "gru" or "rnn"; `gate_names` are the boxes of the simple drawing."""
        self._cell = cell
        self._gate_names = list(gate_names or [])
        self._symbols = {"n": "tanh", "g": "tanh", "h": nonlinearity}
        self._stage = None
        self.update()

    def cell(self) -> str:
        return self._cell

    def set_values(self, values: dict[str, float | None], token: str = "") -> None:
        """Values of the selected unit at the current step.

        LSTM keys: x (scalar input or None for a vector), h_prev, c_prev, f, i, g, o, and the
        pre-activations s_f, s_i, s_g, s_o, then fc, ig, c, tanh_c, h. RNN / GRU: h_prev, x,
        one key per gate name, h.
        """
        self._values = dict(values)
        self._token = token
        self._texts = self._compose_texts()
        self.update()

    def set_stage(self, stage: str | None) -> None:
        self._stage = stage
        self.update()

    def stage(self) -> str | None:
        return self._stage

    def wire_texts(self) -> dict[str, str]:
        """The annotation shown on each wire, e.g. {"f": "f_t = 0.997", ...}."""
        return dict(self._texts)

    def highlighted_parts(self) -> set[str]:
        if self._stage is None:
            return set()
        if self._cell == "lstm":
            return set(_LSTM_PARTS.get(self._stage, set()))
        parts = _SIMPLE_STAGE_PARTS.get(self._stage, {f"box_{self._stage}"})
        return set(parts) | {"x", "hprev"}

    def render_image(self, width: int = 1000, height: int = 540) -> QImage:
        """The drawing at a fixed size, independent of the widget (used by the handout)."""
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        self._paint(painter, width, height)
        painter.end()
        return image

    def sizeHint(self) -> QSize:
        return QSize(640, 344)

    # --- text -------------------------------------------------------------------------------
    def _compose_texts(self) -> dict[str, str]:
        v = self._values
        token = f" “{self._token}”" if self._token else ""
        x = v.get("x")
        texts = {"x": f"x_t{token}" + (f" = {fmt(x)}" if x is not None else ""),
                 "h_prev": f"h_{{t-1}} = {fmt(v.get('h_prev'))}"}
        if self._cell == "lstm":
            texts.update({
                "c_prev": f"c_{{t-1}} = {fmt(v.get('c_prev'))}",
                "f": f"f_t = {fmt(v.get('f'))}", "i": f"i_t = {fmt(v.get('i'))}",
                "g": f"g_t = {fmt(v.get('g'))}", "o": f"o_t = {fmt(v.get('o'))}",
                "fc": f"f⊙c = {fmt(v.get('fc'))}", "ig": f"i⊙g = {fmt(v.get('ig'))}",
                "c": f"c_t = {fmt(v.get('c'))}", "tanh_c": f"tanh(c_t) = {fmt(v.get('tanh_c'))}",
                "h": f"h_t = {fmt(v.get('h'))}",
            })
            for gate in "figo":
                texts[f"s_{gate}"] = f"s = {fmt(v.get('s_' + gate))}"
        else:
            for name in self._gate_names:
                texts[name] = f"{name}_t = {fmt(v.get(name))}"
            texts["h"] = f"h_t = {fmt(v.get('h'))}"
        return texts

    # --- painting ---------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        self._paint(painter, self.width(), self.height())
        painter.end()

    def _paint(self, painter: QPainter, width: int, height: int) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        scale = min(width / WIDTH, height / HEIGHT)
        painter.translate((width - WIDTH * scale) / 2, (height - HEIGHT * scale) / 2)
        painter.scale(scale, scale)
        self._lit = self.highlighted_parts()
        if self._cell == "lstm":
            self._paint_lstm(painter)
        else:
            self._paint_simple(painter)

    def _color(self, part: str) -> QColor:
        if not self._lit:
            return INK
        return ACCENT if part in self._lit else MUTED

    def _pen(self, part: str) -> QPen:
        lit = part in self._lit
        pen = QPen(self._color(part), 3.2 if lit else 1.8)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def _wire(self, painter: QPainter, part: str, *points: tuple[float, float],
              arrow: bool = True) -> None:
        painter.setPen(self._pen(part))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath(QPointF(*points[0]))
        for point in points[1:]:
            path.lineTo(QPointF(*point))
        painter.drawPath(path)
        if arrow and len(points) >= 2:
            self._arrow_head(painter, part, points[-2], points[-1])

    def _arrow_head(self, painter: QPainter, part: str, start: tuple[float, float],
                    end: tuple[float, float]) -> None:
        angle = math.atan2(end[1] - start[1], end[0] - start[0])
        size = 8.0
        tip = QPointF(*end)
        left = QPointF(end[0] - size * math.cos(angle - 0.45),
                       end[1] - size * math.sin(angle - 0.45))
        right = QPointF(end[0] - size * math.cos(angle + 0.45),
                        end[1] - size * math.sin(angle + 0.45))
        path = QPainterPath(tip)
        path.lineTo(left)
        path.lineTo(right)
        path.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._color(part))
        painter.drawPath(path)

    def _box(self, painter: QPainter, part: str, center: tuple[float, float], symbol: str,
             fill: QColor, caption: str = "", sub: str = "", size: tuple[float, float] = (70, 46),
             ) -> None:
        rect = QRectF(center[0] - size[0] / 2, center[1] - size[1] / 2, *size)
        lit = part in self._lit
        painter.setPen(self._pen(part))
        painter.setBrush(fill.darker(108) if lit else fill)
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(self._color(part))
        painter.setFont(_font(17 if not sub else 15, bold=True))
        top = QRectF(rect.left(), rect.top() + 1, rect.width(), rect.height() * (0.6 if sub else 1))
        painter.drawText(top, Qt.AlignmentFlag.AlignCenter, symbol)
        if sub:
            painter.setFont(_font(10.5))
            bottom = QRectF(rect.left(), rect.top() + rect.height() * 0.55, rect.width(),
                            rect.height() * 0.42)
            painter.drawText(bottom, Qt.AlignmentFlag.AlignCenter, sub)
        if caption:
            painter.setFont(_font(11, italic=True))
            painter.setPen(self._color(part))
            painter.drawText(QRectF(rect.left() - 20, rect.top() - 19, rect.width() + 40, 16),
                             Qt.AlignmentFlag.AlignCenter, caption)

    def _node(self, painter: QPainter, part: str, center: tuple[float, float], symbol: str) -> None:
        painter.setPen(self._pen(part))
        painter.setBrush(QColor("#ffffff") if part not in self._lit else QColor("#ffe8cc"))
        painter.drawEllipse(QPointF(*center), 13, 13)
        painter.setPen(self._color(part))
        painter.setFont(_font(16, bold=True))
        painter.drawText(QRectF(center[0] - 13, center[1] - 14, 26, 26),
                         Qt.AlignmentFlag.AlignCenter, symbol)

    def _label(self, painter: QPainter, key: str, x: float, y: float, part: str,
               align: str = "left") -> None:
        text = self._texts.get(key)
        if not text:
            return
        lit = part in self._lit
        painter.setFont(_font(12, bold=lit))
        metrics = painter.fontMetrics()
        width = metrics.horizontalAdvance(text) + 8
        height = metrics.height() + 2
        left = {"left": x, "right": x - width, "center": x - width / 2}[align]
        rect = QRectF(left, y - height / 2, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(LABEL_BG)
        painter.drawRoundedRect(rect, 3, 3)
        painter.setPen(ACCENT if lit else (INK if not self._lit else QColor("#6c727c")))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_lstm(self, p: QPainter) -> None:
        c_y, ig_y, gate_y, bus_y = 80.0, 172.0, 262.0, 345.0
        xf, xi, xg, xo, xt = 215.0, 315.0, 420.0, 530.0, 668.0
        # Cell body.
        p.setPen(QPen(QColor("#ced4da"), 1.5))
        p.setBrush(CELL_FILL)
        p.drawRoundedRect(QRectF(110, 30, 610, 350), 18, 18)
        p.setPen(QColor("#868e96"))
        p.setFont(_font(11, italic=True))
        p.drawText(QRectF(120, 34, 200, 18), Qt.AlignmentFlag.AlignLeft, "LSTM cell")
        # Cell-state line: c_{t-1} -> (x) -> (+) -> c_t.
        self._wire(p, "cprev", (20, c_y), (xf - 13, c_y))
        self._wire(p, "w_fc", (xf + 13, c_y), (xg - 13, c_y))
        self._wire(p, "w_c", (xg + 13, c_y), (785, c_y))
        self._wire(p, "w_cdown", (xt, c_y), (xt, 128 - 16))
        # Inputs: h_{t-1} from the left, x_t from below, joined on the bus.
        self._wire(p, "hprev", (20, bus_y), (150, bus_y), arrow=False)
        self._wire(p, "x", (150, 420), (150, bus_y), arrow=False)
        self._wire(p, "bus", (150, bus_y), (xo, bus_y), arrow=False)
        for gate, x in (("f", xf), ("i", xi), ("g", xg), ("o", xo)):
            self._wire(p, f"bus_{gate}", (x, bus_y), (x, gate_y + 24))
        # Gate outputs.
        self._wire(p, "w_f", (xf, gate_y - 24), (xf, c_y + 13))
        self._wire(p, "w_i", (xi, gate_y - 24), (xi, ig_y), (xg - 13, ig_y))
        self._wire(p, "w_g", (xg, gate_y - 24), (xg, ig_y + 13))
        self._wire(p, "w_ig", (xg, ig_y - 13), (xg, c_y + 13))
        self._wire(p, "w_tanhc", (xt, 128 + 16), (xt, gate_y - 13))
        self._wire(p, "w_o", (xo + 35, gate_y), (xt - 13, gate_y))
        self._wire(p, "w_h", (xt, gate_y + 13), (xt, bus_y), (785, bus_y))
        # Nodes and gates.
        self._node(p, "mul_f", (xf, c_y), "×")
        self._node(p, "add", (xg, c_y), "+")
        self._node(p, "mul_ig", (xg, ig_y), "×")
        self._node(p, "mul_o", (xt, gate_y), "×")
        self._box(p, "tanh_c", (xt, 128), "tanh", TANH_FILL, size=(62, 32))
        subs = {g: self._texts.get(f"s_{g}", "") for g in "figo"}
        self._box(p, "box_f", (xf, gate_y), "σ", GATE_FILL, "forget", subs["f"])
        self._box(p, "box_i", (xi, gate_y), "σ", GATE_FILL, "input", subs["i"])
        self._box(p, "box_g", (xg, gate_y), "tanh", TANH_FILL, "candidate", subs["g"])
        self._box(p, "box_o", (xo, gate_y), "σ", GATE_FILL, "output", subs["o"])
        # Annotations.
        self._label(p, "c_prev", 18, c_y - 16, "cprev")
        self._label(p, "fc", (xf + xg) / 2, c_y - 16, "w_fc", "center")
        self._label(p, "c", 785, c_y - 16, "w_c", "right")
        self._label(p, "f", xf - 6, 140, "w_f", "right")
        self._label(p, "i", xi + 6, 200, "w_i")
        self._label(p, "g", xg + 6, 205, "w_g")
        self._label(p, "ig", xg + 6, 125, "w_ig")
        self._label(p, "tanh_c", xt + 6, 200, "w_tanhc")
        self._label(p, "o", xo + 38, gate_y + 17, "w_o")
        self._label(p, "h", 785, bus_y - 16, "w_h", "right")
        self._label(p, "h_prev", 18, bus_y - 16, "hprev")
        self._label(p, "x", 160, 408, "x")

    def _paint_simple(self, p: QPainter) -> None:
        names = self._gate_names or ["h"]
        p.setPen(QPen(QColor("#ced4da"), 1.5))
        p.setBrush(CELL_FILL)
        p.drawRoundedRect(QRectF(180, 30, 440, 370), 18, 18)
        p.setPen(QColor("#868e96"))
        p.setFont(_font(11, italic=True))
        p.drawText(QRectF(190, 34, 240, 18), Qt.AlignmentFlag.AlignLeft,
                   f"{self._cell.upper()} cell")
        top, bottom = 90.0, 340.0
        step = (bottom - top) / max(len(names) - 1, 1)
        ys = [top + k * step for k in range(len(names))] if len(names) > 1 else [215.0]
        self._wire(p, "hprev", (20, 150), (150, 150), arrow=False)
        self._wire(p, "x", (20, 280), (150, 280), arrow=False)
        self._label(p, "h_prev", 18, 134, "hprev")
        self._label(p, "x", 18, 264, "x")
        for name, y in zip(names, ys, strict=True):
            part = f"box_{name}"
            self._wire(p, part, (150, 150), (150, y), (360, y))
            self._wire(p, part, (150, 280), (150, y), arrow=False)
            symbol = self._symbols.get(name, "σ")
            self._box(p, part, (400, y), symbol, TANH_FILL if symbol != "σ" else GATE_FILL,
                      _SIMPLE_CAPTIONS.get(name, ""), size=(80, 40))
            self._wire(p, "w_h", (440, y), (640, 215))
            self._label(p, name, 445, y - 16, part)
        self._node(p, "w_h", (655, 215), "h")
        self._wire(p, "w_h", (668, 215), (785, 215))
        self._label(p, "h", 785, 199, "w_h", "right")


def _font(size: float, bold: bool = False, italic: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(1, round(size)))  # logical units: the painter scales them
    font.setBold(bold)
    font.setItalic(italic)
    return font
