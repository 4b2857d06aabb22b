"""The current walk-through as one self-contained HTML page, for a handout.

Everything is inline: the cell drawing is a base64 PNG, the styles sit in a <style> block, and
there are no scripts or external links, so the page opens anywhere, offline, and prints well.
The Inspect tab fills a `Handout` with exactly the strings it shows on screen; this module only
lays them out and writes the file atomically. It does not import Qt.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

from lstm_studio.core.atomic import atomic_write_text
from lstm_studio.gui.widgets.attribution_colours import attribution_html


@dataclass
class HandoutStage:
    title: str  # "Forget gate"
    formula: str  # "f_t = σ(W_if·x_t + b_if + W_hf·h_{t-1} + b_hf)"
    substituted: str  # "W_if·x_t + b_if + ... = a + b + c + d = s" and "σ(s) = r"
    terms: list[str] = field(default_factory=list)  # largest dot-product terms


@dataclass
class Handout:
    title: str
    model: str  # one line describing the model
    sentence: str
    cleaned: str
    position: str  # "layer 0, forward, step 3 “ngon”, unit 5"
    tokens: list[tuple[int, str, int | None, bool]]  # (step, token, id, out of vocabulary)
    unit_series: dict[str, list[float]]  # selected unit's values per step, by series name
    current_step: int
    wire_values: dict[str, str]  # the drawing's annotations
    stages: list[HandoutStage]
    drawing_png: bytes
    prediction_title: str = ""
    prediction: list[tuple[str, float]] = field(default_factory=list)
    attribution: list[float] = field(default_factory=list)  # one per token, when computed
    attribution_title: str = ""
    edits: list[str] = field(default_factory=list)  # what-if edits the numbers include


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto; color: #212529; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
img { max-width: 100%; border: 1px solid #dee2e6; border-radius: 6px; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #dee2e6; padding: 3px 8px; text-align: right; }
th { background: #f1f3f5; } td.tok { text-align: left; }
tr.current td { background: #fff4e6; font-weight: bold; }
.oov { color: #c92a2a; text-decoration: underline dashed; }
.stage { border-left: 4px solid #e8590c; padding: 0.2em 0.9em; margin: 0.8em 0;
         background: #fafafa; }
pre { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 0.95em;
      margin: 0.3em 0; }
.meta { color: #495057; }
"""


def render_html(handout: Handout) -> str:
    """The page as a string (no external resources)."""
    esc = html.escape
    image = base64.b64encode(handout.drawing_png).decode("ascii")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(handout.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(handout.title)}</h1>",
        f'<p class="meta">Model: {esc(handout.model)}<br>Sentence: {esc(handout.sentence)}<br>'
        f"As the model sees it: {esc(handout.cleaned)}<br>Shown: {esc(handout.position)}</p>",
        "<h2>The cell at this step</h2>",
        f'<img alt="LSTM cell with values" src="data:image/png;base64,{image}">',
    ]
    if handout.edits:
        parts.insert(-2, "<p><b>What-if edits applied:</b> "
                     + "; ".join(esc(edit) for edit in handout.edits) + "</p>")
    if handout.attribution:
        words = [token for _step, token, _id, _oov in handout.tokens]
        oov = [unknown for _step, _token, _id, unknown in handout.tokens]
        parts[-2:-2] = [f"<h2>{esc(handout.attribution_title)}</h2><p>"
                        + attribution_html(words, handout.attribution, oov)
                        + '</p><p class="meta">Red pushed towards it, blue against it.</p>']
    if handout.wire_values:
        parts.append("<p>" + " &nbsp;·&nbsp; ".join(esc(v) for v in handout.wire_values.values())
                     + "</p>")
    parts.append("<h2>Step by step</h2>")
    for number, stage in enumerate(handout.stages, start=1):
        parts.append(f'<div class="stage"><h3>{number}. {esc(stage.title)}</h3>'
                     f"<pre>{esc(stage.formula)}</pre><pre>{esc(stage.substituted)}</pre>")
        if stage.terms:
            parts.append("<p>Largest terms: " + "; ".join(esc(t) for t in stage.terms) + "</p>")
        parts.append("</div>")
    if handout.prediction:
        parts.append(f"<h2>{esc(handout.prediction_title)}</h2><table>"
                     "<tr><th>label</th><th>probability</th></tr>")
        parts.extend(f'<tr><td class="tok">{esc(label)}</td><td>{prob:.3f}</td></tr>'
                     for label, prob in handout.prediction)
        parts.append("</table>")
    parts.append(_token_table(handout))
    parts.append('<p class="meta">Written by LSTM Studio.</p></body></html>')
    return "\n".join(parts)


def _token_table(handout: Handout) -> str:
    esc = html.escape
    names = list(handout.unit_series)
    header = "".join(f"<th>{esc(name)}</th>" for name in names)
    if handout.attribution:
        header += "<th>attribution</th>"
    rows = ["<h2>Tokens and the selected unit over time</h2>",
            f"<table><tr><th>step</th><th>token</th><th>id</th>{header}</tr>"]
    for step, token, token_id, oov in handout.tokens:
        css = ' class="current"' if step == handout.current_step else ""
        word = f'<span class="oov">{esc(token)}</span> (unknown)' if oov else esc(token)
        cells = "".join(
            f"<td>{handout.unit_series[name][step]:.3f}</td>"
            if step < len(handout.unit_series[name]) else "<td></td>" for name in names)
        if handout.attribution:
            cells += f"<td>{handout.attribution[step]:+.4f}</td>"
        rows.append(f'<tr{css}><td>{step}</td><td class="tok">{word}</td>'
                    f"<td>{'' if token_id is None else token_id}</td>{cells}</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def write_handout(path: str | Path, handout: Handout) -> Path:
    """Write the page atomically; returns the path written."""
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        target = target.with_suffix(".html")
    atomic_write_text(target, render_html(handout))
    return target
