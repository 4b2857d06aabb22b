"""`lstm-studio train PATH...`: load, clean, train with a progress bar, print final metrics.

Flags left unset keep the preset's (or the config default's) value, so `--preset BiLSTM
--hidden 64` means "the BiLSTM preset with a smaller hidden state".
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from lstm_studio.commands import quality_args
from lstm_studio.commands.common import StderrBar, print_json
from lstm_studio.core.config import (
    CELLS,
    CLEANING_STEPS,
    NONLINEARITIES,
    OPTIMIZERS,
    POOLINGS,
    PRESETS,
    TASKS,
    CleaningConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
)
from lstm_studio.core.errors import ConfigError, DataError
from lstm_studio.core.paths import user_data_dir
from lstm_studio.core.progress import Progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train a classifier or language model",
        description="Load dataset sources, clean them, build the vocabulary from the training "
                    "split, train an RNN/LSTM/GRU and save the model file.")
    add_training_arguments(parser)
    parser.add_argument("--out", metavar="MODEL", help="model file to write "
                        "(default: a new file in the user's models folder)")
    parser.add_argument("--name", default="", help="a name for the run history")
    parser.add_argument("--no-record", action="store_true", help="do not add to the run history")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Sources, cleaning, model, vocabulary, training and quality flags (`train`, `search`)."""
    from lstm_studio.commands.data import add_source_arguments

    add_source_arguments(parser)
    add_cleaning_arguments(parser)
    model = parser.add_argument_group("model")
    model.add_argument("--task", choices=TASKS, default="classify")
    model.add_argument("--preset", choices=sorted(PRESETS), help="start from a named preset")
    model.add_argument("--cell", choices=CELLS)
    model.add_argument("--nonlinearity", choices=NONLINEARITIES, help="plain rnn cell only")
    model.add_argument("--embedding", type=int, help="embedding size")
    model.add_argument("--hidden", type=int, help="hidden size")
    model.add_argument("--layers", type=int)
    model.add_argument("--bidirectional", action="store_true", default=None)
    model.add_argument("--dropout", type=float)
    model.add_argument("--pooling", choices=POOLINGS)
    model.add_argument("--tie-weights", action="store_true", help="language model only")
    vocab = parser.add_argument_group("vocabulary")
    vocab.add_argument("--vocab-size", type=int, default=VocabConfig().max_size)
    vocab.add_argument("--min-freq", type=int, default=1)
    vocab.add_argument("--max-len", type=int,
                       help="truncate documents to this many tokens (default: 95th percentile)")
    train = parser.add_argument_group("training")
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--lr", type=float, default=1e-3)
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    train.add_argument("--weight-decay", type=float, default=0.0)
    train.add_argument("--clip", type=float, default=1.0, help="gradient clipping norm (0: off)")
    train.add_argument("--plateau", action="store_true", help="halve the lr on a plateau")
    train.add_argument("--early-stopping", type=int, metavar="PATIENCE")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    train.add_argument("--threads", type=int, help="CPU threads for torch")
    train.add_argument("--budget-seconds", type=float,
                       help="stop training (after validating) once it has run this long")
    quality_args.add_quality_arguments(parser)


def add_cleaning_arguments(parser: argparse.ArgumentParser, default_lang: str = "vi") -> None:
    group = parser.add_argument_group("cleaning")
    group.add_argument("--no-clean", action="store_true", help="use the text as it is")
    group.add_argument("--lang", default=default_lang,
                       help="languages to keep, comma-separated ('any': no language filter)")
    group.add_argument("--lang-threshold", type=float, default=0.9)
    group.add_argument("--skip-step", action="append", default=[], choices=CLEANING_STEPS,
                       help="leave one cleaning step out (repeatable)")


def cleaning_config_from_args(args: argparse.Namespace) -> CleaningConfig | None:
    if args.no_clean:
        return None
    languages = [lang.strip() for lang in args.lang.split(",") if lang.strip()]
    detect = bool(languages) and languages != ["any"]
    return CleaningConfig(steps={s: s not in args.skip_step for s in CLEANING_STEPS},
                          detect_language=detect, languages=languages if detect else [],
                          threshold=args.lang_threshold)


def load_and_clean(args: argparse.Namespace, cleaning: CleaningConfig | None,
                   quiet: bool = False):
    """Load the sources named on the command line and clean them; returns (dataset, report)."""
    from lstm_studio.commands.data import data_config_from_args
    from lstm_studio.core.readers import load_sources

    data_config = data_config_from_args(args)
    dataset = load_sources(args.paths, data_config, progress=StderrBar("Reading").progress())
    report = None
    if cleaning is not None:
        from lstm_studio.core.cleaning import clean_dataset

        result = clean_dataset(dataset, cleaning, progress=StderrBar("Cleaning").progress())
        dataset, report = result.dataset, result.report
        dropped = report.dropped_counts()
        if not quiet and any(dropped.values()):
            print(f"Cleaning kept {report.kept} documents, dropped "
                  + ", ".join(f"{n} ({why})" for why, n in dropped.items() if n), file=sys.stderr)
    if len(dataset) == 0:
        raise DataError("No documents are left after cleaning; check --lang or use --no-clean.")
    return dataset, data_config, report


def configs_from_args(args: argparse.Namespace) -> tuple[VocabConfig, ModelConfig, TrainConfig]:
    model = ModelConfig(task=args.task)
    if args.preset:
        model = replace(model, **PRESETS[args.preset])
    overrides: dict[str, Any] = {
        "cell": args.cell, "nonlinearity": args.nonlinearity, "embedding_dim": args.embedding,
        "hidden_size": args.hidden, "num_layers": args.layers,
        "bidirectional": args.bidirectional, "dropout": args.dropout, "pooling": args.pooling,
    }
    model = replace(model, **{k: v for k, v in overrides.items() if v is not None})
    if args.task == "lm" and model.bidirectional and args.bidirectional is None:
        model = replace(model, bidirectional=False)  # a BiLSTM preset used for an LM
    if args.tie_weights:
        model = replace(model, tie_weights=True)
    if model.cell != "rnn" and args.nonlinearity is None:
        model = replace(model, nonlinearity="tanh")
    vocab = VocabConfig(min_freq=args.min_freq, max_size=args.vocab_size or None,
                        max_len=args.max_len, lm_specials=args.task == "lm")
    train = TrainConfig(optimizer=args.optimizer, lr=args.lr, weight_decay=args.weight_decay,
                        plateau_schedule=args.plateau, batch_size=args.batch_size,
                        epochs=args.epochs, grad_clip=args.clip or None,
                        early_stopping=args.early_stopping, seed=args.seed, device=args.device,
                        threads=args.threads, max_len=args.max_len,
                        time_budget_s=args.budget_seconds,
                        **quality_args.quality_overrides(args))
    if train.batch_size < 1 or train.epochs < 1:
        raise ConfigError("Batch size and epochs must be at least 1.")
    return vocab, model, train


def default_model_path() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return user_data_dir() / "models" / f"model-{stamp}.safetensors"


def result_json(result) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": result.status, "message": result.message, "run_id": result.run_id,
        "model": result.checkpoint_path, "epochs": result.epochs,
        "seconds": round(result.seconds, 3),
        "valid": _headline(result.valid), "test": _headline(result.test),
        "history": result.history, "quality": result.quality,
        "calibration": result.bundle.calibration or None,
    }
    if result.bundle.task == "lm":
        best = result.test or result.valid or {}
        data["perplexity"] = best.get("perplexity")
    return data


def _headline(metrics: dict | None) -> dict | None:
    if metrics is None:
        return None
    keep = ("accuracy", "macro_f1", "loss", "perplexity", "documents", "tokens", "per_class",
            "confusion", "labels")
    return {k: metrics[k] for k in keep if k in metrics}


def format_metrics(name: str, metrics: dict | None) -> str:
    if metrics is None:
        return f"{name:<6} -"
    if "accuracy" in metrics:
        return (f"{name:<6} accuracy {metrics['accuracy']:.4f}  macro-F1 {metrics['macro_f1']:.4f}"
                f"  loss {metrics['loss']:.4f}  ({metrics.get('documents', '?')} documents)")
    return (f"{name:<6} loss {metrics['loss']:.4f}  perplexity {metrics['perplexity']:.2f}"
            f"  ({metrics.get('tokens', '?')} tokens)")


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.pipeline import train_model

    vocab_config, model_config, train_config = configs_from_args(args)
    cleaning = cleaning_config_from_args(args)
    dataset, data_config, _ = load_and_clean(args, cleaning, quiet=args.json)
    out = Path(args.out) if args.out else default_model_path()
    progress = StderrBar("Training").progress()
    with stop_on_first_interrupt(progress):
        result = train_model(dataset, vocab_config, model_config, train_config, cleaning,
                             data_config, progress=progress, out_path=str(out),
                             record_run=not args.no_record, name=args.name)
    if args.json:
        print_json(result_json(result))
    else:
        for entry in result.history:
            print(_epoch_line(entry))
        print(format_metrics("valid", result.valid))
        print(format_metrics("test", result.test))
        counts = result.quality.get("label_counts")
        extra = [*quality_args.per_class_lines(result.test or result.valid, counts),
                 quality_args.calibration_line(result.test or result.valid),
                 quality_args.stored_calibration_line(result.bundle.calibration)]
        for line in extra:
            if line:
                print(line)
        print(f"{result.status} in {result.seconds:.1f} s: {result.message}")
        print(f"Model saved to {result.checkpoint_path}")
    return 0 if result.status != "failed" else 1


@contextlib.contextmanager
def stop_on_first_interrupt(progress: Progress) -> Iterator[None]:
    """First Ctrl+C stops training between batches (best weights kept and saved); a second
    one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if progress.cancelled:
            raise KeyboardInterrupt
        print("\nStopping after this batch (Ctrl+C again to abort)...", file=sys.stderr)
        progress.cancel()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _epoch_line(entry: dict) -> str:
    parts = [f"epoch {entry['epoch']}", f"train loss {entry['train_loss']:.4f}"]
    if entry.get("valid_accuracy") is not None:
        parts.append(f"valid acc {entry['valid_accuracy']:.4f}")
        parts.append(f"macro-F1 {entry['valid_macro_f1']:.4f}")
    if entry.get("valid_perplexity") is not None:
        parts.append(f"valid ppl {entry['valid_perplexity']:.2f}")
    parts.append(f"{entry['seconds']:.1f} s")
    if entry.get("tokens_per_s"):
        parts.append(f"{entry['tokens_per_s']:,.0f} tokens/s")
    return "  ".join(parts)
