"""The `lstm-studio` command: the GUI with no arguments, headless work with a subcommand.

Each subcommand lives in its own module under lstm_studio.commands and exposes
`register(subparsers)`; the module's parser sets `func(args) -> int`. Results go to stdout,
progress to stderr, and a UserError becomes one clear line on stderr with exit status 2.

The window needs the `gui` extra (PySide6, pyqtgraph); `pip install lstm-studio` alone gives
the subcommands, and asking it for the window says which extra to install instead of a
traceback.

Exit status (docs/limits.md): 0 done (a training stopped by the user still saves its model);
1 a training that failed (NaN or divergence; the last verified weights are saved and the JSON
says "status": "failed"); 2 refused before any work (bad input, settings or budgets; nothing
is written); 130 interrupted.
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
    "text",
    "train",
    "evaluate",
    "predict",
    "generate",
    "runs",
    "ngram",
    "inspect",
    "export",
    "explain",
    "neurons",
    "search",
    "word2vec",
    "cache",
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
        return open_window(self_test=args.self_test)
    from lstm_studio.commands.common import set_progress_format

    set_progress_format("json" if getattr(args, "json", False) else "bar")
    args.argv = list(args_list)  # the launcher of data-parallel workers passes it on
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


GUI_PACKAGES: tuple[str, ...] = ("PySide6", "shiboken6", "pyqtgraph")
GUI_EXTRA_HINT = 'pip install "lstm-studio[gui]"'


def open_window(self_test: bool = False) -> int:
    """The desktop app (also the `lstm-studio-gui` entry point), or one line on stderr and
    exit status 2 when the gui extra is not installed or Qt cannot load."""
    try:
        # Qt first: pyqtgraph without a Qt binding fails with a less telling error.
        import PySide6.QtWidgets  # noqa: F401, I001
        import pyqtgraph  # noqa: F401
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in GUI_PACKAGES:
            raise
        print(f"lstm-studio: error: the window needs the gui extra, which is not installed; "
              f"install it with: {GUI_EXTRA_HINT} (the subcommands work without it: "
              f"lstm-studio --help)", file=sys.stderr)
        return 2
    except ImportError as error:  # installed, but e.g. a system library Qt needs is missing
        print(f"lstm-studio: error: the window cannot start because Qt failed to load "
              f"({error}); the subcommands work without it: lstm-studio --help",
              file=sys.stderr)
        return 2
    from lstm_studio.app import main as gui_main

    return gui_main(self_test=self_test)


if __name__ == "__main__":
    sys.exit(main())
