"""What-if edits of a recurrent cell: clamp a unit of h or c, or force a gate, over some steps.

This module only describes, parses and checks edits (no torch, so the GUI can build them before
torch loads); gates/interventions.py turns them into masks for the recurrence.
An `Intervention` is applied *inside* the one step-by-step recurrence (`recurrence.unroll`), so
everything computed from it — traces, gradient flow, the prediction after each prefix and the
final probabilities — sees the edited cell. The edited value replaces the computed one at the
moment the cell produces it and is what the next step and the next layer read:

  force f/i/o (LSTM), r/z (GRU)   the gate's activation is set after σ, before it is used
  clamp c (LSTM)                  c_t is set after f⊙c_{t-1} + i⊙g, so h_t = o⊙tanh(clamped c)
  clamp h (every cell)            h_t is set last; it is the state the next step starts from

Steps are token positions (0-based, as in `inspect --step`) and ranges include both ends; for
a backward direction "from position 5 on" means the positions ≥ 5, which that direction visits
first. The command-line form is `TARGET[:UNIT]=VALUE[@START..[STOP]]`, e.g. `h:37=0`,
`c:5=1.5@3..`, `f=1@5..` (no unit: every unit; no range: every step).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from lstm_studio.core.errors import UserError

KINDS = ("clamp", "force")
DIRECTIONS = ("forward", "backward")  # as in gates/fused.py, which imports torch
STATE_TARGETS: dict[str, tuple[str, ...]] = {"lstm": ("h", "c"), "gru": ("h",), "rnn": ("h",)}
GATE_TARGETS: dict[str, tuple[str, ...]] = {"lstm": ("f", "i", "o"), "gru": ("r", "z"),
                                            "rnn": ()}
_SYNTAX = re.compile(r"^\s*(?P<target>[a-z])\s*(?::\s*(?P<unit>\d+))?\s*=\s*(?P<value>[^@]+?)"
                     r"\s*(?:@\s*(?P<start>\d*)\s*(?P<dots>\.\.)?\s*(?P<stop>\d*))?\s*$")


@dataclass(frozen=True)
class Intervention:
    """One edit: `kind` 'clamp' (h or c) or 'force' (a sigmoid gate), set to `value`."""

    kind: str
    target: str
    value: float
    unit: int | None = None  # None: every unit of the layer
    start: int = 0  # first token position edited
    stop: int | None = None  # last token position edited (inclusive); None: to the end
    layer: int = 0
    direction: str = "forward"

    def steps_text(self) -> str:
        if self.start == 0 and self.stop is None:
            return ""
        if self.stop is None:
            return f"@{self.start}.."
        return f"@{self.start}" if self.stop == self.start else f"@{self.start}..{self.stop}"

    def spec(self) -> str:
        """The command-line form, e.g. 'c:5=1.5@3..' (layer and direction not included)."""
        unit = "" if self.unit is None else f":{self.unit}"
        return f"{self.target}{unit}={self.value:g}{self.steps_text()}"

    def describe(self) -> str:
        """One line for a list of edits, e.g. 'clamp c[5] = 1.5 from step 3 (layer 0 forward)'."""
        what = (f"{self.target}[{self.unit}]" if self.unit is not None
                else f"{self.target} (all units)")
        if self.start == 0 and self.stop is None:
            when = "at every step"
        elif self.stop is None:
            when = f"from step {self.start} on"
        elif self.stop == self.start:
            when = f"at step {self.start}"
        else:
            when = f"at steps {self.start}–{self.stop}"
        return f"{self.kind} {what} = {self.value:g} {when} (layer {self.layer} {self.direction})"

    def covers(self, position: int) -> bool:
        return position >= self.start and (self.stop is None or position <= self.stop)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "spec": self.spec()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Intervention:
        fields = ("kind", "target", "value", "unit", "start", "stop", "layer", "direction")
        return cls(**{key: data[key] for key in fields if key in data})


def parse_intervention(kind: str, text: str, layer: int = 0,
                       direction: str = "forward") -> Intervention:
    """`clamp h:37=0`, `clamp c:5=1.5@3..`, `force f=1@5..`, `force i=0` (see module doc)."""
    example = "h:37=0 or c:5=1.5@3.." if kind == "clamp" else "f=1@5.. or i=0"
    match = _SYNTAX.match(text)
    if kind not in KINDS or match is None:
        raise UserError(f"--{kind} takes TARGET[:UNIT]=VALUE[@FROM..TO] (e.g. {example}), "
                        f"not {text!r}.")
    try:
        value = float(match["value"])
    except ValueError:
        raise UserError(f"--{kind} {text}: {match['value']!r} is not a number.") from None
    start_text, stop_text, dots = match["start"] or "", match["stop"] or "", match["dots"]
    start = int(start_text) if start_text else 0
    if match["start"] is None and dots is None:  # no @ at all: every step
        stop = None
    elif dots is None:  # @5: that step only
        if not start_text:
            raise UserError(f"--{kind} {text}: after @ give a step, e.g. @3 or @3.. or @3..7.")
        stop = start
    else:
        stop = int(stop_text) if stop_text else None
    unit = int(match["unit"]) if match["unit"] is not None else None
    return Intervention(kind=kind, target=match["target"], value=value, unit=unit, start=start,
                        stop=stop, layer=layer, direction=direction)


def check_interventions(interventions: list[Intervention], cell: str, num_layers: int,
                        bidirectional: bool, hidden_size: int, steps: int | None = None) -> None:
    """UserError (one sentence) for an edit this model or sentence cannot take."""
    directions = DIRECTIONS if bidirectional else DIRECTIONS[:1]
    for edit in interventions:
        name = f"{edit.kind} {edit.spec()}"
        allowed = STATE_TARGETS[cell] if edit.kind == "clamp" else GATE_TARGETS[cell]
        if edit.kind not in KINDS:
            raise UserError(f"Unknown edit {edit.kind!r}; use clamp or force.")
        if edit.target not in allowed:
            what = "clamp" if edit.kind == "clamp" else "force"
            can = ", ".join(allowed) if allowed else "nothing"
            raise UserError(f"{name}: a {cell.upper()} can {what} {can}, not {edit.target!r}.")
        if not math.isfinite(edit.value):
            raise UserError(f"{name}: the value must be a finite number.")
        if edit.kind == "force" and not 0.0 <= edit.value <= 1.0:
            raise UserError(f"{name}: a gate is a sigmoid, so it can only be forced to a value "
                            "between 0 and 1.")
        if edit.unit is not None and not 0 <= edit.unit < hidden_size:
            raise UserError(f"{name}: unit {edit.unit} does not exist; the layer has "
                            f"{hidden_size} units (0 to {hidden_size - 1}).")
        if not 0 <= edit.layer < num_layers:
            raise UserError(f"{name}: layer {edit.layer} does not exist; the model has "
                            f"{num_layers} layer(s).")
        if edit.direction not in directions:
            raise UserError(f"{name}: direction {edit.direction!r} does not exist; use "
                            f"{' or '.join(directions)}.")
        if edit.start < 0 or (edit.stop is not None and edit.stop < edit.start):
            raise UserError(f"{name}: the step range is empty.")
        if steps is not None and edit.start >= steps:
            raise UserError(f"{name}: step {edit.start} is past the end of the sentence "
                            f"({steps} tokens, steps 0 to {steps - 1}).")
