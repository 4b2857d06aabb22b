"""Which units to look at first: order (and cut) a layer's units for readable heatmaps.

With 128+ units a heatmap is a wall of colour. `rank_units` orders the units of one traced
layer/direction by a criterion, and the Inspect tab applies the same order to all of its maps:

  active      mean |value| of the chosen series over the sentence (default h)
  changing    mean |value_t − value_{t−1}|: units that react to the words
  attributed  |contribution| to the predicted class (`unit_contributions`)
  list        the user's own list, in the user's order

`unit_contributions` splits the target's logit (minus the mean logit, so the number says how much
the unit pushes towards this class rather than all classes) over the units: exactly, for the
top layer, whose pooled state enters the linear head; as gradient × value of that quantity,
summed over the sentence, for a lower layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_studio.core.errors import UserError

CRITERIA = ("natural", "active", "changing", "attributed", "list")
CRITERION_TITLES = {"natural": "unit number", "active": "most active",
                    "changing": "most changing over the sentence",
                    "attributed": "most attributed for the prediction", "list": "a unit list"}


def parse_unit_list(text: str, hidden: int) -> list[int]:
    """'3, 17, 40-45' -> [3, 17, 40, ..., 45]; UserError for anything else."""
    units: list[int] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        first, dash, last = part.partition("-")
        try:
            span = range(int(first), int(last) + 1) if dash else [int(first)]
        except ValueError:
            raise UserError(f"Unit lists look like 3, 17, 40-45; {part!r} is not a unit or a "
                            "range.") from None
        for unit in span:
            if not 0 <= unit < hidden:
                raise UserError(f"Unit {unit} does not exist; the layer has {hidden} units "
                                f"(0 to {hidden - 1}).")
            if unit not in units:
                units.append(unit)
    if not units:
        raise UserError("The unit list is empty; give units like 3, 17, 40-45.")
    return units


def rank_units(series: dict[str, np.ndarray], criterion: str, *, series_name: str = "h",
               contributions: np.ndarray | None = None, units: list[int] | None = None,
               limit: int | None = None) -> list[int]:
    """Unit indices in display order (best first), cut to `limit` when given."""
    values = series.get(series_name)
    if values is None:
        raise UserError(f"There is no series {series_name!r} to rank by; use one of "
                        f"{', '.join(series)}.")
    hidden = values.shape[1]
    if criterion == "natural":
        order = list(range(hidden))
    elif criterion == "list":
        if not units:
            raise UserError("Give the units to show, e.g. 3, 17, 40-45.")
        order = list(units)
    else:
        if criterion == "active":
            score = np.abs(values).mean(axis=0)
        elif criterion == "changing":
            score = (np.abs(np.diff(values, axis=0)).mean(axis=0) if values.shape[0] > 1
                     else np.zeros(hidden))
        elif criterion == "attributed":
            if contributions is None:
                raise UserError("Ranking by attribution needs a classifier's prediction.")
            score = np.abs(np.asarray(contributions))
        else:
            raise UserError(f"Unknown order {criterion!r}; use one of {', '.join(CRITERIA)}.")
        order = [int(j) for j in np.argsort(-score, kind="stable")]
    return order[:limit] if limit else order


def unit_contributions(bundle: Any, trace: Any, layer: int, direction: str,
                       target: str | None = None) -> tuple[np.ndarray, str]:
    """(contribution per unit [H], target label) of one layer/direction for a classifier."""
    import torch

    from lstm_studio.core.gates.readout import head_logits, pool
    from lstm_studio.core.gates.recurrence import Unrolled, unroll
    from lstm_studio.core.gates.source import resolve

    if bundle.task != "classify":
        raise UserError("Units are ranked by attribution for classifiers only; a language "
                        "model has no single prediction to attribute.")
    source = resolve(bundle)
    labels = list(bundle.labels)
    if target is not None and target not in labels:
        raise UserError(f"Unknown label {target!r}; the model knows {', '.join(labels)}.")
    directions = trace.directions
    hidden, top = trace.hidden_size, trace.num_layers - 1
    steps = trace.steps
    lengths = torch.tensor([steps])
    outputs = torch.tensor(np.concatenate([trace.get(layer, d).h for d in directions], axis=1))
    outputs = outputs[None].clone().requires_grad_(True)
    with torch.enable_grad():
        if layer == top:
            states = {d: [outputs[:, t, k * hidden:(k + 1) * hidden] for t in range(steps)]
                      for k, d in enumerate(directions)}
            unrolled = Unrolled(output=outputs, h_n=outputs, c_n=None, last_states=states)
        else:
            params = {(above - layer - 1, d): p
                      for (above, d), p in source.params(torch.float64).items() if above > layer}
            unrolled = unroll(params, top - layer, trace.bidirectional, outputs, lengths)
        logits = head_logits(source, pool(source, unrolled, lengths))[0]
        index = labels.index(target) if target is not None else int(logits.argmax())
        (logits[index] - logits.mean()).backward()
    assert outputs.grad is not None
    per_position = (outputs * outputs.grad)[0].detach().numpy()  # [T, D*H]
    k = directions.index(direction)
    return per_position[:, k * hidden:(k + 1) * hidden].sum(axis=0), labels[index]
