"""The `lstm-studio` command: the GUI with no arguments, headless work with a subcommand.

Each subcommand lives in its own module under lstm_studio.commands and exposes
`register(subparsers)`; the module's parser sets `func(args) -> int`. Results go to stdout,
progress to stderr, and a UserError becomes one clear line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import os
import sys

from lstm_studio import __version__
from lstm_studio.core.errors import Cancelled, UserError

COMMAND_MODULES: tuple[str, ...] = (
    "data",
    "clean",
    "train",
    "evaluate",
    "predict",
    "generate",
    "runs",
    "ngram",
    "inspect",
    "search",
    "word2vec",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lstm-studio",
        description="LSTM Studio. Without a command it opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"LSTM Studio {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the real window, run every stage on the built-in sample, exit 0 on success",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"lstm_studio.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    # In a frozen app a spawned worker (parallel cleaning) re-runs this executable; this
    # turns it into the worker before argparse sees its arguments. No-op when not frozen.
    multiprocessing.freeze_support()
    args_list = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        from lstm_studio.app import main as gui_main

        return gui_main(self_test=args.self_test)
    try:
        return int(args.func(args) or 0)
    except UserError as error:
        print(f"lstm-studio: error: {error}", file=sys.stderr)
        return 2
    except Cancelled:
        print("lstm-studio: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("lstm-studio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python's final flush
        # of stdout from raising again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
