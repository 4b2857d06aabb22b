"""`lstm-studio search PATH...`: try settings with Optuna within a time budget.

Every other flag is `train`'s and sets the base the search starts from (epochs per trial,
vocabulary, embeddings...); the searched settings (core/search.py's SPACE) are drawn per
trial. Each trial is recorded in the run history (see `lstm-studio runs`), so the window's
Compare view overlays them. Ctrl+C stops the running trial; the finished ones are kept and
the best is reported, with the `train` flags that reproduce it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_studio.commands.common import StderrBar, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    from lstm_studio.commands.train import add_training_arguments

    parser = subparsers.add_parser(
        "search", help="search training settings with Optuna (each trial is a run)",
        description="Train up to --trials models with settings drawn from a small space (cell, "
                    "hidden size, layers, dropout, learning rate, batch size, pooling, class "
                    "weighting), pruning bad trials on validation, within --budget-seconds "
                    "in total. Needs the 'search' extra (optuna).")
    add_training_arguments(parser)
    parser.add_argument("--trials", type=int, default=10, help="most trials to run (default 10)")
    parser.add_argument("--search-budget", type=float, metavar="SECONDS",
                        help="time budget of the whole search (trials stop at it)")
    parser.add_argument("--name", default="search", help="trials are named 'NAME · trial N'")
    parser.add_argument("--out", metavar="MODEL", help="save the best trial's model here")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.commands.common import stop_on_first_interrupt
    from lstm_studio.commands.train import (
        cleaning_config_from_args,
        configs_from_args,
        load_and_clean,
    )
    from lstm_studio.core.search import run_search, train_flags

    vocab_config, model_config, train_config = configs_from_args(args)
    cleaning = cleaning_config_from_args(args)
    dataset, data_config, _, cleaning = load_and_clean(args, cleaning, quiet=args.json)
    progress = StderrBar("Searching").progress()

    def on_trial(trial) -> None:
        if not args.json:
            value = f"{trial.value:.4f}" if trial.value is not None else "-"
            params = ", ".join(f"{k}={_short(v)}" for k, v in trial.params.items())
            print(f"trial {trial.number}: {trial.state:<8} {value}  {trial.seconds:6.1f} s  "
                  f"{params}", flush=True)

    with stop_on_first_interrupt(progress):
        result = run_search(dataset, vocab_config, model_config, train_config, cleaning,
                            data_config, trials=args.trials, budget_s=args.search_budget,
                            name=args.name, seed=args.seed, progress=progress,
                            on_trial=on_trial)
    saved = None
    if args.out and result.best_bundle is not None:
        from lstm_studio.core.checkpoint import save_checkpoint

        saved = str(save_checkpoint(result.best_bundle, Path(args.out)))
    if args.json:
        print_json({**result.to_dict(), "model": saved})
        return 0
    best = result.best
    done = sum(t.state == "complete" for t in result.trials)
    print(f"{len(result.trials)} trial(s) in {result.seconds:.1f} s ({done} complete"
          f"{', stopped by the user' if result.stopped else ''}); scored by validation "
          f"{result.metric}")
    if best is None:
        print("No trial completed.", file=sys.stderr)
        return 1
    print(f"best: trial {best.number}, validation {result.metric} {best.value:.4f} "
          f"(run {best.run_id})")
    print(f"train flags: {train_flags(best.model_config, best.train_config)}")
    if saved:
        print(f"Best model saved to {saved}")
    return 0


def _short(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
