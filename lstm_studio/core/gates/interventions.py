"""What-if edits as masks over token positions, for the recurrence (see core/interventions.py
for what an edit means, its command-line form and its checks)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lstm_studio.core.gates.fused import gate_rows
from lstm_studio.core.interventions import (
    GATE_TARGETS,
    STATE_TARGETS,
    Intervention,
    check_interventions,
    parse_intervention,
)

__all__ = ["GATE_TARGETS", "STATE_TARGETS", "DirectionEdits", "Intervention",
           "check_interventions", "compile_edits", "parse_intervention"]


@dataclass
class DirectionEdits:
    """One layer/direction's edits as masks over positions: where, and to what.

    `act` uses the fused gate layout of PyTorch ([T, G*H]); `c` and `h` are [T, H]. A step
    whose `active[t]` is False is computed exactly as without edits.
    """

    act: tuple[torch.Tensor, torch.Tensor] | None
    c: tuple[torch.Tensor, torch.Tensor] | None
    h: tuple[torch.Tensor, torch.Tensor] | None
    active: list[bool]
    masks: dict[str, torch.Tensor]  # series name ('f', 'c', 'h'...) -> bool [T, H]

    @staticmethod
    def apply(pair: tuple[torch.Tensor, torch.Tensor] | None, t: int,
              values: torch.Tensor) -> torch.Tensor:
        """`values` [B, W] with the edited entries of step t replaced (a new tensor)."""
        if pair is None:
            return values
        mask, replacement = pair
        return torch.where(mask[t], replacement[t].to(values.dtype), values)


def compile_edits(interventions: list[Intervention], cell: str, hidden: int, steps: int,
                  layer: int, direction: str) -> DirectionEdits | None:
    """The edits of one layer/direction as masks; None when it has none."""
    mine = [e for e in interventions if e.layer == layer and e.direction == direction]
    if not mine:
        return None
    fused = {"lstm": 4, "gru": 3, "rnn": 1}[cell] * hidden
    masks: dict[str, torch.Tensor] = {}
    values: dict[str, torch.Tensor] = {}
    for edit in mine:  # later edits win where they overlap
        width = hidden
        mask = masks.setdefault(edit.target, torch.zeros(steps, width, dtype=torch.bool))
        value = values.setdefault(edit.target, torch.zeros(steps, width, dtype=torch.float64))
        rows = slice(edit.start, steps if edit.stop is None else edit.stop + 1)
        units = slice(None) if edit.unit is None else slice(edit.unit, edit.unit + 1)
        mask[rows, units] = True
        value[rows, units] = edit.value

    def pair(names: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor] | None:
        present = [n for n in names if n in masks]
        if not present:
            return None
        if names == ("c",) or names == ("h",):
            return masks[names[0]], values[names[0]]
        mask = torch.zeros(steps, fused, dtype=torch.bool)
        value = torch.zeros(steps, fused, dtype=torch.float64)
        for name in present:
            rows = gate_rows(cell, name, hidden)
            mask[:, rows], value[:, rows] = masks[name], values[name]
        return mask, value

    active_mask = torch.zeros(steps, dtype=torch.bool)
    for mask in masks.values():
        active_mask |= mask.any(dim=1)
    return DirectionEdits(act=pair(GATE_TARGETS[cell]), c=pair(("c",)), h=pair(("h",)),
                          active=active_mask.tolist(), masks=masks)
