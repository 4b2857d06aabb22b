"""`lstm-studio text "TEXT"`: what the cleaning steps do to one text, step by step.

The command-line view of the Clean tab's before/after panel and abbreviation-table viewer:

    lstm-studio text "Nhân viên ko thân thiện"                 each step's output, the tokens
    lstm-studio text --model MODEL "Nhân viên ko thân thiện"   a trained model's own pipeline
    lstm-studio text --abbreviations-table > mine.txt          the shipped table, to edit
                                                               (then: --abbreviations mine.txt)
With settings (not --model), `--segment auto` is decided on the text itself, as cleaning
decides it on a corpus.
"""

from __future__ import annotations

import argparse
import sys

from lstm_studio.commands.common import print_json
from lstm_studio.commands.text_options import add_text_arguments, apply_text_arguments
from lstm_studio.core.config import TOGGLED_STEPS, CleaningConfig
from lstm_studio.core.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "text", help="show what each cleaning step does to one text",
        description="Run the cleaning steps (normalisation and word segmentation included) "
                    "over TEXT and print the text after each step and the final tokens; with "
                    "--model, the pipeline stored in that model file.")
    parser.add_argument("text", nargs="?", metavar="TEXT", help="the text to clean")
    parser.add_argument("--model", metavar="MODEL", help="use this model file's pipeline")
    parser.add_argument("--skip-step", action="append", default=[], choices=TOGGLED_STEPS,
                        help="leave one cleaning step out (repeatable)")
    add_text_arguments(parser)
    parser.add_argument("--abbreviations-table", action="store_true",
                        help="print the abbreviation table in effect and exit")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def _config(args: argparse.Namespace) -> CleaningConfig:
    if args.model:
        from lstm_studio.core.checkpoint import load_checkpoint

        bundle = load_checkpoint(args.model)
        if bundle.cleaning_config is None:
            raise UserError(f"{args.model} was trained on text used as it was, without "
                            "cleaning steps.")
        return bundle.cleaning_config
    from lstm_studio.core.cleaning import resolve_config

    config = CleaningConfig(steps={s: s not in args.skip_step for s in TOGGLED_STEPS})
    config = apply_text_arguments(config, args)
    return resolve_config(config, [args.text or ""])[0]


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.cleaning import clean_steps_trace
    from lstm_studio.core.cleaning_steps import STEP_TITLES
    from lstm_studio.core.normalization import default_table, format_table
    from lstm_studio.core.tokenize import tokenize

    if args.abbreviations_table:
        config = _config(args) if args.model else apply_text_arguments(CleaningConfig(), args)
        table = config.abbreviations if config.abbreviations is not None else default_table()
        if args.json:
            print_json(table)
        else:
            sys.stdout.write(format_table(table))
        return 0
    if args.text is None:
        raise UserError('Give a text to clean (lstm-studio text "..."), or '
                        "--abbreviations-table.")
    config = _config(args)
    trace = clean_steps_trace(args.text, config)
    final = trace[-1][1] if trace else args.text
    if args.json:
        print_json({"text": args.text,
                    "steps": [{"step": name, "text": text} for name, text in trace],
                    "cleaned": final, "tokens": tokenize(final), "segment": config.segment,
                    "segmenter": config.segmenter})
        return 0
    print(f"{'input':<35} {args.text}")
    previous = args.text
    for name, text in trace:
        mark = " " if text == previous else "*"
        print(f"{mark} {STEP_TITLES[name]:<33} {text}")
        previous = text
    print(f"{'tokens':<35} {' | '.join(tokenize(final))}")
    print("(* = this step changed the text)")
    return 0
