"""Small SVG charts for the model card, written as text: no Qt, no matplotlib.

A card must be producible headless (the `export` command on a server) and stay readable when
opened in a browser or on a code-hosting site, so its figures are self-contained SVG: the
training curves (one panel per quantity, one line per split) and a reliability diagram.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
FONT = "font-family='sans-serif' font-size='11'"
Series = tuple[str, Sequence[tuple[float, float]]]  # (name, [(x, y)])


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _label(value: float) -> str:
    return f"{value:g}" if abs(value) >= 0.01 or value == 0 else f"{value:.0e}"


def _panel(title: str, series: Sequence[Series], left: float, top: float, width: float,
           height: float, x_label: str) -> list[str]:
    points = [(x, y) for _, data in series for x, y in data if math.isfinite(y)]
    # the title above the plot on the left, the legend above it on the right: never over a line
    parts = [f"<text x='{left:.1f}' y='{top - 8:.1f}' {FONT} font-weight='bold'>"
             f"{escape(title)}</text>"]
    if not points:
        parts.append(f"<text x='{left + width / 2:.1f}' y='{top + height / 2:.1f}' "
                     f"text-anchor='middle' {FONT}>no data</text>")
        return parts
    xs = [x for x, _ in points]
    y_ticks = _ticks(min(y for _, y in points), max(y for _, y in points))
    x_low, x_high = min(xs), max(xs)
    if x_high == x_low:
        x_low, x_high = x_low - 1, x_high + 1
    y_low, y_high = y_ticks[0], y_ticks[-1]

    def sx(x: float) -> float:
        return left + (x - x_low) / (x_high - x_low) * width

    def sy(y: float) -> float:
        return top + height - (y - y_low) / (y_high - y_low) * height

    parts.append(f"<rect x='{left}' y='{top}' width='{width}' height='{height}' fill='none' "
                 "stroke='#999'/>")
    for tick in y_ticks:
        parts.append(f"<line x1='{left}' x2='{left + width}' y1='{sy(tick):.1f}' "
                     f"y2='{sy(tick):.1f}' stroke='#eee'/>")
        parts.append(f"<text x='{left - 4}' y='{sy(tick) + 4:.1f}' text-anchor='end' "
                     f"{FONT}>{_label(tick)}</text>")
    for x in sorted(set(xs)) if len(set(xs)) <= 12 else _ticks(x_low, x_high):
        if x_low <= x <= x_high:
            parts.append(f"<text x='{sx(x):.1f}' y='{top + height + 14}' text-anchor='middle' "
                         f"{FONT}>{_label(x)}</text>")
    parts.append(f"<text x='{left + width / 2:.1f}' y='{top + height + 28}' "
                 f"text-anchor='middle' {FONT}>{escape(x_label)}</text>")
    for index, (name, data) in enumerate(series):
        color = COLORS[index % len(COLORS)]
        finite = [(sx(x), sy(y)) for x, y in data if math.isfinite(y)]
        if not finite:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in finite)
        parts.append(f"<polyline points='{path}' fill='none' stroke='{color}' "
                     "stroke-width='2'/>")
        parts.extend(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{color}'/>"
                     for x, y in finite)
        legend_x = left + width - 60 * (len(series) - index)
        parts.append(f"<line x1='{legend_x}' x2='{legend_x + 14}' y1='{top - 12}' "
                     f"y2='{top - 12}' stroke='{color}' stroke-width='2'/>")
        parts.append(f"<text x='{legend_x + 18}' y='{top - 8}' {FONT}>{escape(name)}</text>")
    return parts


def curves_svg(panels: Sequence[tuple[str, Sequence[Series]]], x_label: str = "epoch",
               panel_width: int = 300, panel_height: int = 180) -> str:
    """Side-by-side line charts, e.g. [("Loss", [("train", pts), ("valid", pts)]), ...]."""
    margin_left, margin_top, gap = 48, 28, 60
    width = margin_left + len(panels) * (panel_width + gap) - gap + 16
    height = margin_top + panel_height + 40
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}'>",
             f"<rect width='{width}' height='{height}' fill='white'/>"]
    for index, (title, series) in enumerate(panels):
        left = margin_left + index * (panel_width + gap)
        parts.extend(_panel(title, series, left, margin_top, panel_width, panel_height,
                            x_label))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def reliability_svg(bins: Sequence[dict], size: int = 260) -> str:
    """Accuracy against confidence per bin (bars), with the diagonal of perfect calibration.

    Each bin is {"low", "high", "count", "confidence", "accuracy"}; empty bins have no bar.
    """
    left, top = 48, 28
    width = left + size + 20
    height = top + size + 40
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}'>",
             f"<rect width='{width}' height='{height}' fill='white'/>",
             f"<text x='{left + size / 2}' y='{top - 10}' text-anchor='middle' {FONT} "
             "font-weight='bold'>Reliability (accuracy per confidence bin)</text>",
             f"<rect x='{left}' y='{top}' width='{size}' height='{size}' fill='none' "
             "stroke='#999'/>"]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + size - tick * size
        x = left + tick * size
        parts.append(f"<text x='{left - 4}' y='{y + 4:.1f}' text-anchor='end' {FONT}>"
                     f"{tick:g}</text>")
        parts.append(f"<text x='{x:.1f}' y='{top + size + 14}' text-anchor='middle' {FONT}>"
                     f"{tick:g}</text>")
    parts.append(f"<text x='{left + size / 2}' y='{top + size + 30}' text-anchor='middle' "
                 f"{FONT}>confidence (probability of the predicted label)</text>")
    for item in bins:
        if not item["count"]:
            continue
        x = left + item["low"] * size
        bar = (item["high"] - item["low"]) * size
        y = top + size - item["accuracy"] * size
        parts.append(f"<rect x='{x + 1:.1f}' y='{y:.1f}' width='{max(1.0, bar - 2):.1f}' "
                     f"height='{top + size - y:.1f}' fill='{COLORS[0]}' fill-opacity='0.7'>"
                     f"<title>{item['count']} documents, accuracy {item['accuracy']:.3f}"
                     f"</title></rect>")
    parts.append(f"<line x1='{left}' y1='{top + size}' x2='{left + size}' y2='{top}' "
                 f"stroke='{COLORS[1]}' stroke-dasharray='4 3'/>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
