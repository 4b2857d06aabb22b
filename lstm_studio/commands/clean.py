"""`lstm-studio clean PATH... --out FILE.csv`: run the cleaning pipeline, save the result.

The cleaned dataset is written atomically as CSV (text, label, split), which `lstm-studio data`
and `train` read back. The report (documents changed per step, languages detected, documents
dropped and why) goes to stdout, as a table or as JSON with --json. With `--project FILE` the
sources and the Clean tab's settings come from the project; flags given here change them.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import replace
from pathlib import Path

from lstm_studio.commands.common import StderrBar, print_json
from lstm_studio.commands.data import add_source_arguments, data_config_from_args, format_table
from lstm_studio.commands.project_args import given, load_dataset, open_project
from lstm_studio.commands.text_options import add_text_arguments, apply_text_arguments
from lstm_studio.core.atomic import atomic_write
from lstm_studio.core.cleaning import CleaningReport, clean_dataset
from lstm_studio.core.cleaning_steps import STEP_TITLES
from lstm_studio.core.config import (
    CLEANING_STEPS,
    TOGGLED_STEPS,
    CleaningConfig,
    validate_cleaning,
)
from lstm_studio.core.dataset import Dataset
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.project import Project
from lstm_studio.core.wording import plural


def _flag(step: str) -> str:
    return "--no-" + step.replace("_", "-")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "clean",
        help="clean a dataset (the lecture's steps + language detection) and save it as CSV",
        description="Apply the cleaning steps in order (NFC, URLs/HTML, abbreviations, tone "
                    "marks, word segmentation, punctuation/digits, emoji, whitespace, "
                    "lowercase), keep documents in the chosen languages (train only, unless "
                    "--filter-valid; the test split is never filtered) and write them to a CSV "
                    "file with columns text, label, split.",
    )
    add_source_arguments(parser)
    parser.add_argument("--out", required=True, metavar="FILE.csv",
                        help="where to write the cleaned dataset")
    parser.add_argument("--lang", action="append", default=[], metavar="CODE",
                        help="language to keep, ISO 639-1 (repeatable or comma list; default vi)")
    parser.add_argument("--threshold", type=float,
                        help="minimum langid probability to keep a document (default "
                             f"{CleaningConfig().threshold})")
    parser.add_argument("--candidates", metavar="CODES",
                        help="only consider these languages in detection (comma list)")
    parser.add_argument("--no-language", action="store_true",
                        help="skip language detection")
    parser.add_argument("--keep-empty", action="store_true",
                        help="keep documents that cleaning leaves empty")
    parser.add_argument("--steps", metavar="STEP,...",
                        help="enable exactly these steps (" + ", ".join(TOGGLED_STEPS) + ")")
    add_text_arguments(parser)
    for step in TOGGLED_STEPS:
        parser.add_argument(_flag(step), dest=f"skip_{step}", action="store_true",
                            help=f"skip: {STEP_TITLES[step]}")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: all cores)")
    parser.add_argument("--show-dropped", type=int, default=10, metavar="N",
                        help="list the first N dropped documents (default 10)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


def _codes(values: list[str]) -> list[str]:
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def cleaning_config_from_args(args: argparse.Namespace,
                              project: Project | None = None) -> CleaningConfig:
    """The project's cleaning settings (or the defaults) with the flags given here on top."""
    config = (CleaningConfig() if project is None
              else replace(project.cleaning, steps=dict(project.cleaning.steps)))
    if args.steps is not None:
        chosen = _codes([args.steps])
        unknown = sorted(set(chosen) - set(TOGGLED_STEPS))
        if unknown:
            raise ConfigError(f"Unknown cleaning step {', '.join(unknown)}; choose from "
                              f"{', '.join(TOGGLED_STEPS)} (segmentation: --segment).")
        config.steps = {step: step in chosen for step in TOGGLED_STEPS}
    for step in TOGGLED_STEPS:
        if getattr(args, f"skip_{step}"):
            config.steps[step] = False
    if args.lang:
        config.languages = _codes(args.lang)
        config.detect_language = True
    if args.candidates:
        config.candidate_languages = _codes([args.candidates])
    if given(args.threshold):
        config.threshold = args.threshold
    if args.no_language:
        config.detect_language = False
    if args.keep_empty:
        config.drop_empty = False
    if args.workers is not None and args.workers < 1:
        raise ConfigError("--workers must be at least 1.")
    return apply_text_arguments(config, args)


def write_csv(dataset: Dataset, path: str | Path) -> None:
    """Atomically write text, label, split; an interrupted write leaves no partial file."""
    with atomic_write(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "split"])
        for doc in dataset.documents:
            writer.writerow([doc.text, doc.label or "", doc.split])


def format_report(report: CleaningReport, out: str, show_dropped: int) -> str:
    counts = report.dropped_counts()
    splits = " and ".join(report.filtered_splits) or "no split"
    lines = [f"Kept {report.kept:,} of {plural(report.total, 'document')} "
             f"(dropped {counts['language']:,} for language, {counts['empty']:,} empty, "
             f"from {splits} only) in {report.seconds:.1f} s with "
             f"{plural(report.workers, 'worker')}.",
             f"Wrote {out}", ""]
    lines += summary_lines(report)
    lines += ["", "Documents changed by each step:"]
    rows = [["step", "changed", "failed"]] + [
        [f"{CLEANING_STEPS.index(step)}. {STEP_TITLES[step]}", f"{changed:,}",
         f"{report.steps_failed.get(step, 0):,}"]
        for step, changed in report.steps_changed.items()]
    lines.append(format_table(rows))
    if report.languages:
        lines += ["", "Detected languages: " + ", ".join(
            f"{code} {count:,}" for code, count in report.languages.items())]
    if report.dropped and show_dropped > 0:
        lines += ["", f"Dropped documents (first {min(show_dropped, len(report.dropped))}):"]
        for item in report.dropped[:show_dropped]:
            preview = " ".join(item.document.text.split())[:70]
            lines.append(f"  {item.document.source}: {preview}")
            lines.append(f"      {item.reason}: {item.detail}")
    return "\n".join(lines)


def summary_lines(report: CleaningReport) -> list[str]:
    """Segmentation, joined words, diacritics and the untouched splits, in words."""
    lines = [f"Word segmentation: {report.segmentation}",
             f"Words joined by _: {report.joined_share(after=False):.1%} as loaded ("
             + ("looks segmented" if report.looked_segmented else "does not look segmented")
             + f"), {report.joined_share():.1%} after cleaning"]
    if report.no_diacritics or report.no_diacritics_dropped:
        lines.append(f"Typed without any diacritics: {report.no_diacritics:,} kept, "
                     f"{report.no_diacritics_dropped:,} dropped (restoring diacritics is not "
                     "offered: see docs/vietnamese.md)")
    if report.corpus_languages:
        lines.append("Short texts were compared with this corpus's other languages: "
                     + ", ".join(report.corpus_languages))
    for split, count in report.spared.items():
        lines.append(f"Kept {count:,} {split} documents the filters would drop: only "
                     f"{' and '.join(report.filtered_splits) or 'no split'} is filtered, so "
                     f"{split} stays whole.")
    failed = {step: n for step, n in report.steps_failed.items() if n}
    if failed:
        lines.append("Failed on some documents (kept without that step): " + ", ".join(
            f"{STEP_TITLES[step]} {n:,}" for step, n in failed.items()))
    return lines


def run(args: argparse.Namespace) -> int:
    project = open_project(args)
    config = cleaning_config_from_args(args, project)
    validate_cleaning(config)  # before spending time on reading
    data_config = data_config_from_args(args, project)
    dataset = load_dataset(data_config.sources, data_config, StderrBar("Reading").progress())
    result = clean_dataset(dataset, config, progress=StderrBar("Cleaning").progress(),
                           workers=args.workers)
    write_csv(result.dataset, args.out)
    if args.json:
        data = result.report.to_dict()  # each dropped document with its text and source
        data["out"] = str(args.out)
        print_json(data)
    else:
        print(format_report(result.report, str(args.out), args.show_dropped))
    return 0
