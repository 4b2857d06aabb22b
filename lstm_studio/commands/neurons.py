"""`lstm-studio neurons MODEL PATH...`: where in a corpus a unit fires (LSTMVis-style search).

    lstm-studio neurons MODEL data.zip --unit h:37 [--layer L] [--direction D] [--lowest]
    lstm-studio neurons MODEL data.zip --span "a sentence" --from 3 --to 5 [--series h]

The first form lists the documents where unit 37 of h (or c, or a gate: f, i, g, o, r, z, n)
peaks highest, with context, and its value histogram; the second finds the units most
specific to tokens 3-5 of the sentence, then the places where they all fire together.
Documents are streamed: memory does not grow with the corpus.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from lstm_studio.commands.common import StderrBar, print_json
from lstm_studio.core.dataset import SPLITS
from lstm_studio.core.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    from lstm_studio.commands.data import add_source_arguments

    parser = subparsers.add_parser(
        "neurons", help="find where a unit fires in a corpus, or the units of a phrase",
        description="Scan a split of a dataset with a saved model: the top phrases for one "
                    "unit of h, c or a gate (with a histogram), or the units specific to a "
                    "span of a sentence and the places they fire together.")
    parser.add_argument("model", metavar="MODEL", help="model file written by `train`")
    add_source_arguments(parser)
    parser.add_argument("--split", choices=[*SPLITS, "all"],
                        help="split to scan (default: test when present, else all documents)")
    parser.add_argument("--unit", metavar="SERIES:UNIT",
                        help="the unit to search for, e.g. h:37, c:5, f:12")
    parser.add_argument("--span", metavar="TEXT", help="a sentence whose span to search for")
    parser.add_argument("--from", dest="start", type=int, metavar="T",
                        help="first token position of the span (0-based)")
    parser.add_argument("--to", dest="stop", type=int, metavar="T",
                        help="last token position of the span (default: --from)")
    parser.add_argument("--series", default="h", help="series for --span (default h)")
    parser.add_argument("--units", type=int, default=5, metavar="N",
                        help="units most specific to the span to look for together (default 5)")
    parser.add_argument("--layer", type=int, default=0)
    parser.add_argument("--direction", choices=("forward", "backward"), default="forward")
    parser.add_argument("--top", type=int, default=20, help="places to list (default 20)")
    parser.add_argument("--lowest", action="store_true",
                        help="--unit: where the unit is lowest instead of highest")
    parser.add_argument("--limit", type=int, metavar="N", help="scan only the first N documents")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def parse_unit(text: str, layer: int, direction: str) -> Any:
    from lstm_studio.core.explain.neurons import UnitRef

    series, sep, unit = text.partition(":")
    if not sep or not unit.strip().isdigit() or not series.strip():
        raise UserError(f"--unit looks like SERIES:UNIT (e.g. h:37 or c:5), not {text!r}.")
    return UnitRef(series.strip(), int(unit), layer, direction)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.commands.data import data_config_from_args
    from lstm_studio.core.checkpoint import load_checkpoint
    from lstm_studio.core.readers import load_sources

    if (args.unit is None) == (args.span is None):
        raise UserError("Give either --unit SERIES:UNIT or --span TEXT --from T [--to T].")
    if args.span is not None and args.start is None:
        raise UserError("--span needs --from T (and optionally --to T): the tokens to match.")
    if args.top < 1:
        raise UserError("--top must be at least 1.")
    bundle = load_checkpoint(args.model)
    dataset = load_sources(args.paths, data_config_from_args(args),
                           progress=StderrBar("Reading").progress())
    split = args.split or ("test" if dataset.split("test") else "all")
    documents = dataset.documents if split == "all" else dataset.split(split)
    if args.limit:
        documents = documents[:args.limit]
    progress = StderrBar("Scanning").progress()
    if args.unit is not None:
        from lstm_studio.core.explain.neurons import scan_unit

        ref = parse_unit(args.unit, args.layer, args.direction)
        result = scan_unit(bundle, documents, ref, top=args.top, lowest=args.lowest,
                           progress=progress)
        header: dict[str, Any] = {"unit": {"series": ref.series, "unit": ref.unit,
                                           "layer": ref.layer, "direction": ref.direction},
                                  "lowest": args.lowest}
        title = f"{ref.describe()}: {'lowest' if args.lowest else 'highest'} places"
    else:
        result, header, title = _span_scan(args, bundle, documents, progress)
    if args.json:
        print_json({**header, "split": split, **result.to_dict()})
        return 0
    print(f"{title}; {result.documents} documents, {result.tokens} tokens, "
          f"{result.seconds:.1f} s")
    for rank, hit in enumerate(result.hits, start=1):
        print(f"{rank:>3}. {hit.score:+.3f}  {_context_text(hit)}  "
              f"[{hit.label or ''}] {hit.source}")
    if result.histogram is not None:
        stats = result.histogram
        print(f"values: mean {stats.mean:.3f}, sd {stats.std:.3f}, min {stats.minimum:.3f}, "
              f"max {stats.maximum:.3f}")
        print(_sparkline(stats))
    return 0


def _span_scan(args: argparse.Namespace, bundle: Any, documents: Sequence,
               progress: Any) -> tuple[Any, dict, str]:
    from lstm_studio.core.explain.neurons import scan_together, span_units
    from lstm_studio.core.gates.trace import trace
    from lstm_studio.core.inspection import series

    tr = trace(bundle, args.span)
    values = series(tr.get(args.layer, args.direction))
    if args.series not in values:
        raise UserError(f"A {tr.cell.upper()} has no series {args.series!r}; use one of "
                        f"{', '.join(values)}.")
    stop = args.start if args.stop is None else args.stop
    chosen = span_units(values[args.series], args.start, stop, args.units)
    result = scan_together(bundle, documents, args.series, chosen, args.layer, args.direction,
                           top=args.top, progress=progress)
    span = " ".join(tr.tokens[args.start:stop + 1])
    header = {"span": {"tokens": tr.tokens, "from": args.start, "to": stop, "text": span,
                       "series": args.series, "layer": args.layer,
                       "direction": args.direction},
              "span_units": [{"unit": u.unit, "score": u.score, "inside": u.inside,
                              "outside": u.outside, "threshold": u.threshold} for u in chosen]}
    units = ", ".join(f"{u.unit} ({u.inside:+.2f} vs {u.outside:+.2f})" for u in chosen)
    title = (f"units of {args.series} specific to “{span}”: {units}\nplaces where they fire "
             f"together ({result.matches} in all)")
    return result, header, title


def _context_text(hit: Any) -> str:
    first = hit.start - hit.context_start
    last = hit.stop - hit.context_start
    words = hit.tokens
    return " ".join([*words[:first], "[" + " ".join(words[first:last + 1]) + "]",
                     *words[last + 1:]])


def _sparkline(histogram: Any) -> str:
    edges, counts = histogram.trimmed()
    if not len(counts):
        return ""
    blocks = " ▁▂▃▄▅▆▇█"
    top = max(int(counts.max()), 1)
    line = "".join(blocks[min(8, round(8 * int(c) / top))] for c in counts)
    return f"{edges[0]:+.2f} {line} {edges[-1]:+.2f}"
