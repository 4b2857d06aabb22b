"""`lstm-studio inspect`: look inside the cell of a trained model, or at the lecture's toy cell.

    lstm-studio inspect MODEL "sentence" [--layer L] [--direction D] [--unit J]   table per token
    lstm-studio inspect MODEL "sentence" --step T [--unit J] [--stage S]         derivations
(--stage without --step derives the last step the chosen direction visited.)
    lstm-studio inspect --toy lecture [--set W_if=0.5] [--json]                  worked example
What-if edits (repeatable, applied to --layer/--direction; steps are token positions):
    --clamp h:37=0 --clamp c:5=1.5@3.. --force f=1@5.. --force i=0
(TARGET[:UNIT]=VALUE[@FROM..[TO]]; no unit: every unit; no range: every step). The trace,
the prediction after each prefix and the derivations all show the edited cell; --json lists
the edits under "interventions".
"""

from __future__ import annotations

import argparse
from typing import Any

from lstm_studio.commands.common import add_model_limit_argument, model_limits, print_json
from lstm_studio.core.errors import UserError

_COLUMNS = {"lstm": ("f", "i", "g", "o", "c", "h"), "gru": ("r", "z", "n", "h"), "rnn": ("h",)}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="trace every gate of a model on a sentence, or show the lecture's worked example",
        description="Show the gate values of a trained model for each token of a sentence, "
                    "the lecture-style derivation of one unit at one step, or the toy cell.",
    )
    parser.add_argument("model", nargs="?", help="model file (.safetensors) saved by training")
    parser.add_argument("sentence", nargs="?", help="the sentence to trace")
    parser.add_argument("--toy", metavar="PRESET",
                        help="the toy 1x1 LSTM instead of a model: lecture, forget, remember")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="toy cell setting, e.g. W_if=0.5, x=1, c_prev=2 (repeatable)")
    parser.add_argument("--layer", type=int, default=0, help="layer to show (default 0)")
    parser.add_argument("--direction", choices=("forward", "backward"), default="forward")
    parser.add_argument("--step", type=int,
                        help="token position (0-based): print its derivations instead of the table")
    parser.add_argument("--unit", type=int, help="hidden unit to show (default 0)")
    parser.add_argument("--stage", help="only this stage (e.g. forget, cell, hidden)")
    parser.add_argument("--top", type=int, default=3, help="largest dot-product terms to list")
    parser.add_argument("--clamp", action="append", default=[], metavar="EDIT",
                        help="what-if: clamp a unit of h or c, e.g. h:37=0 or c:5=1.5@3.. "
                             "(repeatable)")
    parser.add_argument("--force", action="append", default=[], metavar="EDIT",
                        help="what-if: force a gate, e.g. f=1@5.. or i=0 (repeatable)")
    parser.add_argument("--order", choices=("active", "changing", "attributed"),
                        help="also list the layer's units in this order (most first)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_model_limit_argument(parser)
    parser.set_defaults(func=run)


def _toy_settings(pairs: list[str]) -> dict[str, float]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            settings[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UserError(f"Toy settings look like NAME=NUMBER (e.g. W_if=0.5), not {pair!r}.")
    return settings


def _run_toy(args: argparse.Namespace) -> int:
    from lstm_studio.core.gates.toy import toy_cell

    cell = toy_cell(args.toy, **_toy_settings(args.set))
    data = cell.to_dict()
    if args.json:
        print_json(data)
        return 0
    values = cell.values
    print(f"Toy LSTM cell, preset {cell.preset!r}: x_t = {values['x']:g}, "
          f"h_(t-1) = {values['h_prev']:g}, c_(t-1) = {values['c_prev']:g}")
    for item in data["derivations"]:
        print()
        print(item["text"])
    print()
    print("f = {f:.3f}  i = {i:.3f}  g = {g:.3f}  o = {o:.3f}  c = {c:.3f}  h = {h:.3f}"
          .format(**data))
    for note in data["notes"]:
        print(f"Note: {note}")
    return 0


def _top_lines(terms: dict[str, list[dict]], gate: str) -> list[str]:
    from lstm_studio.core.gates.derivation import factor, num

    lines = []
    for source, symbol in (("input", f"W_i{gate}·x_t"), ("hidden", f"W_h{gate}·h_{{t-1}}")):
        parts = [f"[{t['index']}] {factor(t['weight'])}·{factor(t['value'])} = {num(t['product'])}"
                 for t in terms[source]]
        if parts:
            lines.append(f"  largest terms of {symbol}: " + ", ".join(parts))
    return lines


def _derivation_output(args: argparse.Namespace, tr: Any) -> int:
    from lstm_studio.core.gates.derivation import STAGE_GATES, STAGES, derivation

    d = tr.get(args.layer, args.direction)
    step = args.step if args.step is not None else d.order[-1]
    unit = args.unit or 0
    stages = [args.stage] if args.stage else list(STAGES[tr.cell])
    items = [derivation(tr, args.layer, args.direction, step, unit, s, args.top) for s in stages]
    if args.json:
        print_json({"tokens": tr.tokens, "derivations": [item.to_dict() for item in items]})
        return 0
    for index, item in enumerate(items):
        if index:
            print()
        print(item.text)
        if item.top_terms:
            print("\n".join(_top_lines(item.top_terms, STAGE_GATES[tr.cell][item.stage])))
    return 0


def _interventions(args: argparse.Namespace) -> list:
    from lstm_studio.core.gates.interventions import parse_intervention

    return [parse_intervention(kind, text, args.layer, args.direction)
            for kind, texts in (("clamp", args.clamp), ("force", args.force)) for text in texts]


def _unit_order(args: argparse.Namespace, bundle: Any, tr: Any) -> list[int] | None:
    if not args.order:
        return None
    from lstm_studio.core.explain.unit_order import rank_units, unit_contributions
    from lstm_studio.core.inspection import series

    contributions = None
    if args.order == "attributed":
        contributions = unit_contributions(bundle, tr, args.layer, args.direction)[0]
    return rank_units(series(tr.get(args.layer, args.direction)), args.order,
                      contributions=contributions)


def _table_output(args: argparse.Namespace, bundle: Any, tr: Any) -> int:
    from lstm_studio.core.gates.prefix import prefix_predictions

    d = tr.get(args.layer, args.direction)
    unit = args.unit or 0
    d.check_position(0, unit)
    rows = prefix_predictions(bundle, args.sentence, k=5, interventions=tr.interventions)
    order = _unit_order(args, bundle, tr)
    if args.json:
        data = {"trace": tr.to_dict(decimals=6),
                "prefix_predictions": [row.to_dict() for row in rows],
                "interventions": [edit.to_dict() for edit in tr.interventions]}
        if order is not None:
            data["unit_order"] = {"criterion": args.order, "units": order}
        print_json(data)
        return 0
    predictions = ["{} {:.2f}".format(*row.best) for row in rows]
    columns = _COLUMNS[tr.cell]
    print(f"{tr.cell.upper()}: {tr.num_layers} layer(s), hidden {tr.hidden_size}"
          f"{', bidirectional' if tr.bidirectional else ''}; showing layer {args.layer} "
          f"{args.direction}, unit {unit} (* = not in the vocabulary)")
    header = f"{'t':>4}  {'token':<16} {'id':>6}  " + "".join(f"{c:>8}" for c in columns)
    header += f"{'|h|':>8}" + ("  prediction so far" if predictions else "")
    print(header)
    for t in d.order:
        values = [d.gates[c].value[t, unit] if c in d.gates and c != "h" else None
                  for c in columns]
        row = []
        for column, value in zip(columns, values, strict=True):
            if column == "c":
                value = d.c[t, unit]
            elif column == "h":
                value = d.h[t, unit]
            row.append(f"{value:8.3f}")
        token = tr.tokens[t] + ("*" if tr.oov[t] else "")
        ident = tr.ids[t] if tr.ids is not None else ""
        norm = float((d.h[t] ** 2).sum() ** 0.5)
        line = f"{t:>4}  {token[:16]:<16} {ident!s:>6}  " + "".join(row) + f"{norm:8.3f}"
        if predictions:
            line += f"  {predictions[t]}"
        print(line)
    for edit in tr.interventions:
        print(f"what-if: {edit.describe()}")
    if order is not None:
        print(f"units by {args.order} (most first): " + " ".join(map(str, order[:20]))
              + (" …" if len(order) > 20 else ""))
    print("Derive one unit at one step with --step T --unit J (all six stages, lecture form).")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.toy:
        if args.model or args.sentence:
            raise UserError("Use either --toy PRESET or a model file and a sentence, not both.")
        if args.clamp or args.force:
            raise UserError("--clamp and --force edit a model's cell; the toy cell is set with "
                            "--set.")
        return _run_toy(args)
    if not args.model or args.sentence is None:
        raise UserError('Give a model file and a sentence (lstm-studio inspect MODEL "text"), '
                        "or --toy lecture.")
    if args.set:
        raise UserError("--set only applies to the toy cell (--toy).")
    from lstm_studio.core.checkpoint import load_checkpoint
    from lstm_studio.core.gates.trace import trace

    edits = _interventions(args)
    bundle = load_checkpoint(args.model, limits=model_limits(args))
    tr = trace(bundle, args.sentence, interventions=edits)
    if args.step is not None or args.stage:
        return _derivation_output(args, tr)
    return _table_output(args, bundle, tr)
