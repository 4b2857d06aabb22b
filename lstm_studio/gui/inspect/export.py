"""Read back what the Inspect tab shows: into a handout, and against the core trace.

`build_handout` collects the strings on screen (drawing annotations, the core's derivation
texts, tokens, the selected unit's series) into a `handout.Handout`. `check_against_core`
re-reads the trace and the core derivations independently of the views and raises if any
shown number differs; the self-test and the tests both use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage

from lstm_studio.core.inspection import Inspection, gates_api, series
from lstm_studio.gui.inspect.cell_diagram import fmt
from lstm_studio.gui.inspect.handout import Handout, HandoutStage

if TYPE_CHECKING:
    from lstm_studio.core.explain.attribution import Attribution
    from lstm_studio.gui.inspect.walkthrough import Walkthrough


def _shown(walk: Walkthrough) -> Inspection:
    if walk.inspection is None:
        raise ValueError("Nothing is traced yet.")
    return walk.inspection


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[arg-type]  # PySide6 wants str; stubs say bytes
    buffer.close()
    return bytes(data.data())


def build_handout(walk: Walkthrough, attribution: Attribution | None = None) -> Handout:
    """The page for what `walk` shows now: its step, unit, stage and views, with the
    sentence's attribution row when `attribution` explains the traced tokens."""
    inspection = _shown(walk)
    trace = inspection.trace
    position = walk.position()
    view = walk.view
    stages = []
    for item in walk.derivations():
        lines = item.text.split("\n")[1:]
        terms = []
        for part, symbol in (("input", "x_t"), ("hidden", "h_{t-1}")):
            top = (item.top_terms or {}).get(part) or []
            if len(top) > 1:
                terms.extend(f"w[{t['index']}]·{symbol}[{t['index']}] = {t['weight']:.3f}·"
                             f"{t['value']:.3f} = {t['product']:.3f}" for t in top[:3])
        stages.append(HandoutStage(title=item.title, formula=item.formula,
                                   substituted="\n".join(lines), terms=terms))
    unit_series = {name: [float(v) for v in values[:, walk.unit]]
                   for name, values in series(walk.direction_trace()).items()}
    prediction = inspection.predictions[position][:8] if inspection.predictions else []
    aligned = attribution is not None and attribution.tokens == list(trace.tokens)
    return Handout(
        title=f"Inside the {trace.cell.upper()}: step {walk.index + 1} of {trace.steps}",
        model=inspection.description,
        sentence=inspection.text if inspection.kind == "model" else "(toy cell input)",
        cleaned=" ".join(trace.tokens),
        position=(f"layer {walk.layer}, {walk.direction}, position {position} "
                  f"“{trace.tokens[position]}”, unit {walk.unit}"),
        tokens=[(t, token, trace.ids[t] if trace.ids else None, bool(trace.oov[t]))
                for t, token in enumerate(trace.tokens)],
        unit_series=unit_series,
        current_step=position,
        wire_values={key: text for key, text in view.diagram.wire_texts().items()
                     if not key.startswith("s_")},  # pre-activations are in the formulas
        stages=stages,
        drawing_png=png_bytes(view.diagram.render_image(1000, 538)),
        prediction_title=view.prediction.title.text(),
        prediction=prediction,
        attribution=list(attribution.attributions) if aligned else [],
        attribution_title=(f"Why “{attribution.target}” (integrated gradients, p = "
                           f"{attribution.target_probability:.3f})" if aligned else ""),
        edits=[edit.describe() for edit in inspection.interventions],
    )


class MismatchError(AssertionError):
    """A number on screen differs from the core trace (a bug in the tab)."""


def check_against_core(walk: Walkthrough) -> int:
    """Compare every view with the trace; return how many numbers were checked."""
    inspection = _shown(walk)
    trace, gates = inspection.trace, gates_api()
    d = trace.get(walk.layer, walk.direction)
    position, unit = walk.position(), walk.unit
    view = walk.view
    checked = 0

    def expect(shown: str, value: float, where: str) -> None:
        nonlocal checked
        if fmt(float(value)) not in shown:
            raise MismatchError(f"{where}: shows {shown!r}, the core trace has {value:.6f}")
        checked += 1

    texts = view.diagram.wire_texts()
    expect(texts["h"], d.h[position, unit], "drawing h_t")
    expect(texts["h_prev"], d.h_prev[position, unit], "drawing h_{t-1}")
    for name, gate in d.gates.items():
        if name in texts:
            expect(texts[name], gate.value[position, unit], f"drawing {name}_t")
    if d.cell == "lstm":
        expect(texts["c"], d.c[position, unit], "drawing c_t")
        expect(texts["c_prev"], d.c_prev[position, unit], "drawing c_{t-1}")
    shown = view.formulas.toPlainText()
    for item in gates.derivations(trace, walk.layer, walk.direction, position, unit):
        for line in item.text.split("\n")[1:]:
            if line not in shown:
                raise MismatchError(f"formulas: {line!r} is missing")
            checked += 1
    for name, values in series(d).items():
        values = values[:, view.heatmaps.unit_order()]  # the maps show the chosen units only
        if not (view.heatmaps.image_values(name) == values).all():
            raise MismatchError(f"heatmap {name} differs from the trace")
        checked += values.size
    if walk.tokens.texts() != list(trace.tokens):
        raise MismatchError("token strip differs from the trace's tokens")
    if inspection.predictions:
        expected = inspection.predictions[position][:8]
        bars = view.prediction.shown()
        if [(label, f"{p:.3f}") for label, p in expected] != bars:
            raise MismatchError(f"prediction bars {bars} differ from {expected}")
        checked += len(bars)
    return checked
