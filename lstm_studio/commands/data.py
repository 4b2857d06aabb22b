"""`lstm-studio data PATH...`: load dataset sources and print their summary.

A readable table on stdout (or JSON with --json), a progress bar on stderr while reading.
`--project FILE` reads the sources and split decisions saved in a project instead.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from typing import Any

from lstm_studio.commands.common import StderrBar, print_json
from lstm_studio.commands.project_args import (
    add_project_argument,
    given,
    open_project,
    source_paths,
)
from lstm_studio.core.config import DataConfig, validate_limits
from lstm_studio.core.errors import ConfigError, DataError
from lstm_studio.core.limits import MB, InputLimits
from lstm_studio.core.project import Project
from lstm_studio.core.readers import load_sources
from lstm_studio.core.summary import DatasetSummary, random_split, summarize
from lstm_studio.core.wording import plural, verb


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data",
        help="load dataset sources and summarise them",
        description="Load folders, zips, CSV/TSV, JSON Lines, fastText or text files together "
                    "and print documents per split and label, lengths, duplicates and empties.",
    )
    add_source_arguments(parser)
    parser.add_argument("--random-split", metavar="TRAIN,VALID,TEST",
                        help="re-split at random, stratified by label (e.g. 0.8,0.1,0.1)")
    parser.add_argument("--seed", type=int, help="seed of --random-split (default 0)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that say how to read sources (shared with other commands that load data),
    --project included: its sources are used when no PATH is given."""
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="dataset sources (default: the --project's)")
    parser.add_argument("--split-override", action="append", default=[], metavar="PATH=SPLIT",
                        help="send every document of a source to a split (repeatable)")
    parser.add_argument("--text-column", help="CSV/TSV column or JSON key holding the text")
    parser.add_argument("--label-column", help="CSV/TSV column or JSON key holding the label")
    parser.add_argument("--encoding", help="text encoding when not UTF-8/UTF-16 (e.g. cp1258)")
    add_project_argument(parser)
    add_limit_arguments(parser)


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """The input budgets (docs/limits.md); unset flags keep InputLimits' defaults."""
    defaults = InputLimits()
    group = parser.add_argument_group("input limits")
    group.add_argument("--max-document-mb", type=float, metavar="MB",
                       help="cut longer documents to this size "
                            f"(default {defaults.max_document_bytes / MB:g})")
    group.add_argument("--max-total-mb", type=float, metavar="MB",
                       help="most bytes one load may read, decompressed "
                            f"(default {defaults.max_total_bytes / MB:g})")
    group.add_argument("--max-ratio", type=float, metavar="X",
                       help="refuse archives expanding more than X-fold "
                            f"(default {defaults.max_ratio:g})")
    group.add_argument("--max-entries", type=int, metavar="N",
                       help=f"most files in an archive or folder (default {defaults.max_entries})")
    group.add_argument("--max-depth", type=int, metavar="N",
                       help=f"most folder levels (default {defaults.max_depth})")
    group.add_argument("--max-labels", type=int, metavar="N",
                       help=f"most distinct labels (default {defaults.max_labels})")


def limits_from_args(args: argparse.Namespace, base: InputLimits | None = None) -> InputLimits:
    """`base` (the defaults, or a project's) with the budgets given on the command line
    (validated)."""
    changes: dict[str, float] = {}
    for flag, name, scale in (("max_document_mb", "max_document_bytes", MB),
                              ("max_total_mb", "max_total_bytes", MB),
                              ("max_ratio", "max_ratio", 1), ("max_entries", "max_entries", 1),
                              ("max_depth", "max_depth", 1), ("max_labels", "max_labels", 1)):
        value = getattr(args, flag, None)
        if value is not None:
            if not value > 0:
                raise ConfigError(f"--{flag.replace('_', '-')} must be a positive number.")
            changes[name] = int(value * scale) if scale != 1 else value
    limits = replace(base or InputLimits(), **changes)
    validate_limits(limits)
    return limits


def data_config_from_args(args: argparse.Namespace,
                          project: Project | None = None) -> DataConfig:
    """How to read the sources: the project's data settings (if any) with the command line's
    on top. The project's random re-split carries over; only `data` can set a new one."""
    base = project.data if project is not None else DataConfig()
    overrides = dict(base.split_overrides)
    for item in args.split_override:
        path, sep, split = item.rpartition("=")
        if not sep or not path or not split:
            raise DataError(f"--split-override '{item}' must look like PATH=SPLIT.")
        overrides[path] = split
    return DataConfig(
        sources=source_paths(args, project), split_overrides=overrides,
        encoding=args.encoding if given(args.encoding) else base.encoding,
        text_column=args.text_column if given(args.text_column) else base.text_column,
        label_column=args.label_column if given(args.label_column) else base.label_column,
        random_split=base.random_split, random_split_seed=base.random_split_seed,
        limits=limits_from_args(args, base.limits))


def parse_ratios(text: str) -> tuple[float, float, float]:
    try:
        ratios = tuple(float(part) for part in text.split(","))
    except ValueError:
        ratios = ()
    if len(ratios) != 3:
        raise ConfigError(f"--random-split '{text}' must be three numbers like 0.8,0.1,0.1.")
    return ratios  # type: ignore[return-value]


def run(args: argparse.Namespace) -> int:
    config = data_config_from_args(args, open_project(args))
    if args.random_split:
        config.random_split = parse_ratios(args.random_split)
    if given(args.seed):
        config.random_split_seed = args.seed
    bar = StderrBar("Reading")
    started = time.monotonic()
    dataset = load_sources(config.sources, config, progress=bar.progress())
    seconds = time.monotonic() - started  # reading only, as before --project existed
    if config.random_split is not None:
        dataset = random_split(dataset, config.random_split, config.random_split_seed)
    summary = summarize(dataset)
    if args.json:
        data = summary.to_dict()
        data["seconds"] = round(seconds, 3)
        print_json(data)
    else:
        print(format_summary(summary, seconds))
    return 0


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:],
                                                                            strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def format_summary(summary: DatasetSummary, seconds: float | None = None) -> str:
    """The human-readable report: split x label table, lengths, duplicates, sources."""
    columns = summary.labels or [""]
    header = ["split", *(label or "documents" for label in columns)]
    if summary.labels:
        header.append("total")
    rows: list[list[str]] = [header]
    totals: dict[str, int] = {}
    for split, counts in summary.splits.items():
        row = [split, *(_n(counts.get(label, 0)) for label in columns)]
        if summary.labels:
            row.append(_n(sum(counts.values())))
        rows.append(row)
        for label, count in counts.items():
            totals[label] = totals.get(label, 0) + count
    if len(summary.splits) > 1:
        row = ["total", *(_n(totals.get(label, 0)) for label in columns)]
        if summary.labels:
            row.append(_n(summary.documents))
        rows.append(row)
    took = f" in {seconds:.2f} s" if seconds is not None else ""
    lengths = summary.lengths
    out = [
        f"{plural(summary.documents, 'document')} from "
        f"{plural(len(summary.sources), 'source')}{took}",
        "",
        format_table(rows),
        "",
        f"Length (whitespace tokens): min {_n(lengths.min)}, median {_n(lengths.median)}, "
        f"p95 {_n(lengths.p95)}, max {_n(lengths.max)}",
        f"Exact duplicates (whitespace-normalised): {plural(summary.duplicates, 'extra copy')} "
        f"in {plural(summary.duplicate_groups, 'group')} "
        f"({plural(summary.cross_split_duplicates, 'group')} "
        f"{verb(summary.cross_split_duplicates, 'spans', 'span')} splits)",
        f"Empty documents: {_n(summary.empty)}",
        f"Not in Unicode NFC: {_n(summary.non_nfc)}",
        f"Words joined by _: {summary.joined_share:.1%} of {_n(summary.word_tokens)} ("
        + ("looks word-segmented" if summary.looks_segmented else "does not look segmented")
        + ")",
        f"Typed without any diacritics: {_n(summary.no_diacritics)} documents",
        "",
        "Sources:",
    ]
    out.extend(_source_lines(summary.sources))
    return "\n".join(out)


def _source_lines(sources: list[dict[str, Any]]) -> list[str]:
    lines = []
    for source in sources:
        lines.append(f"  {source['path']}  ({source['kind']}, "
                     f"{plural(source['documents'], 'document')})")
        lines.extend(f"    - {note}" for note in source["notes"])
    return lines
