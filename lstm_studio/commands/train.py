"""`lstm-studio train PATH...`: load, clean, train with a progress bar, print final metrics.

Flags left unset keep the preset's (or the config default's) value, so `--preset BiLSTM
--hidden 64` means "the BiLSTM preset with a smaller hidden state". With `--project FILE` the
project's sources and Clean, Vocabulary and Train settings are the starting point instead of
the defaults (the preset and the flags given here still go on top), and its data is cleaned
only if the project had run cleaning, as the app does.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstm_studio.commands import quality_args
from lstm_studio.commands.common import StderrBar
from lstm_studio.commands.project_args import given
from lstm_studio.commands.text_options import (
    add_text_arguments,
    apply_text_arguments,
    text_arguments_given,
)
from lstm_studio.core.config import (
    CELLS,
    NONLINEARITIES,
    ON_NAN,
    OPTIMIZERS,
    POOLINGS,
    PRESETS,
    TASKS,
    TOGGLED_STEPS,
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
)
from lstm_studio.core.dataset import Dataset
from lstm_studio.core.errors import ConfigError
from lstm_studio.core.paths import user_data_dir
from lstm_studio.core.project import Project

if TYPE_CHECKING:
    from lstm_studio.core.corpus.choice import TrainingData

DEFAULT_LANG = "vi"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train a classifier or language model",
        description="Load dataset sources, clean them, build the vocabulary from the training "
                    "split, train an RNN/LSTM/GRU and save the model file.")
    add_training_arguments(parser)
    parser.add_argument("--out", metavar="MODEL", help="model file to write "
                        "(default: a new file in the user's models folder)")
    parser.add_argument("--name", default="", help="a name for the run history")
    parser.add_argument("--no-record", action="store_true",
                        help="do not add to the run history (no checkpoints either)")
    parser.add_argument("--json", action="store_true",
                        help="print the result as JSON (progress as JSON lines on stderr)")
    parser.add_argument("--store", choices=("auto", "on", "off"),
                        help="train from the on-disk token store, prepared once and reused "
                             "while the sources and cleaning stay the same (auto, the "
                             "default: for sources of 100 MB or more; docs/big-corpora.md)")
    add_run_arguments(parser)
    from lstm_studio.commands.train_run import run

    parser.set_defaults(func=run)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Sources, cleaning, model, vocabulary, training and quality flags (`train`, `search`)."""
    from lstm_studio.commands.data import add_source_arguments

    add_source_arguments(parser)
    add_cleaning_arguments(parser)
    model = parser.add_argument_group("model")
    model.add_argument("--task", choices=TASKS, help="default: classify")
    model.add_argument("--preset", choices=sorted(PRESETS), help="start from a named preset")
    model.add_argument("--cell", choices=CELLS)
    model.add_argument("--nonlinearity", choices=NONLINEARITIES, help="plain rnn cell only")
    model.add_argument("--embedding", type=int, help="embedding size")
    model.add_argument("--hidden", type=int, help="hidden size")
    model.add_argument("--layers", type=int)
    model.add_argument("--bidirectional", action=argparse.BooleanOptionalAction)
    model.add_argument("--dropout", type=float)
    model.add_argument("--pooling", choices=POOLINGS)
    model.add_argument("--tie-weights", action=argparse.BooleanOptionalAction,
                       help="language model only")
    vocab = parser.add_argument_group("vocabulary")
    vocab.add_argument("--vocab-size", type=int,
                       help=f"most frequent words kept (default {VocabConfig().max_size}; 0: all)")
    vocab.add_argument("--min-freq", type=int, help="default 1")
    vocab.add_argument("--max-len", type=int,
                       help="truncate documents to this many tokens (default: 95th percentile)")
    train = parser.add_argument_group("training")
    defaults = TrainConfig()
    train.add_argument("--epochs", type=int, help=f"default {defaults.epochs}")
    train.add_argument("--batch-size", type=int, help=f"default {defaults.batch_size}")
    train.add_argument("--lr", type=float, help=f"default {defaults.lr:g}")
    train.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default {defaults.optimizer}")
    train.add_argument("--weight-decay", type=float, help="default 0")
    train.add_argument("--clip", type=float,
                       help=f"gradient clipping norm (default {defaults.grad_clip:g}; 0: off)")
    train.add_argument("--plateau", action=argparse.BooleanOptionalAction,
                       help="halve the lr on a plateau")
    train.add_argument("--early-stopping", type=int, metavar="PATIENCE")
    train.add_argument("--seed", type=int, help="default 0")
    train.add_argument("--device", help="cpu, cuda, mps or auto (default cpu)")
    train.add_argument("--threads", type=int, help="CPU threads for torch")
    train.add_argument("--budget-seconds", type=float,
                       help="stop training (after validating) once it has run this long")
    train.add_argument("--on-nan", choices=ON_NAN,
                       help="when the loss becomes NaN/infinite, the last verified weights are "
                            "restored, then training stops (exit 1) or goes on with a lower "
                            f"learning rate (default: {TrainConfig().on_nan})")
    train.add_argument("--nan-retries", type=int, metavar="N",
                       help="--on-nan backoff: how many times the learning rate may be lowered "
                            f"before stopping (default {TrainConfig().nan_retries})")
    quality_args.add_quality_arguments(parser)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Resuming, checkpoints, where runs are recorded and data-parallel processes."""
    group = parser.add_argument_group("runs, checkpoints and processes")
    group.add_argument("--resume", metavar="RUN_ID_OR_DIR",
                       help="continue a run from its last checkpoint (no data arguments: the "
                            "run names them; --epochs, --budget-seconds, --threads, --device "
                            "and --nproc may be given again)")
    group.add_argument("--checkpoint-minutes", type=float, metavar="M",
                       help="save a checkpoint every M minutes of training as well as after "
                            "every epoch (default 10; 0: only after epochs)")
    group.add_argument("--runs-dir", metavar="DIR",
                       help="the run history folder to record the run in (default: the "
                            "user's); e.g. on a disk the window can open it from")
    group.add_argument("--nproc", type=int, metavar="N",
                       help="train with N data-parallel processes on this machine, started "
                            "by torchrun's launcher (gloo on CPUs, NCCL on GPUs)")
    group.add_argument("--master-port", type=int, metavar="PORT",
                       help="the local port the --nproc processes meet on (default: a free "
                            "one)")


def add_cleaning_arguments(parser: argparse.ArgumentParser,
                           default_lang: str = DEFAULT_LANG) -> None:
    group = parser.add_argument_group("cleaning")
    group.add_argument("--no-clean", action="store_true", help="use the text as it is")
    group.add_argument("--lang", help="languages to keep, comma-separated ('any': no language "
                                      f"filter; default {default_lang})")
    parser.set_defaults(default_lang=default_lang)
    group.add_argument("--lang-threshold", type=float,
                       help=f"default {CleaningConfig().threshold}")
    group.add_argument("--skip-step", action="append", default=[], choices=TOGGLED_STEPS,
                       help="leave one cleaning step out (repeatable)")
    add_text_arguments(group)


def cleaning_config_from_args(args: argparse.Namespace,
                              project: Project | None = None) -> CleaningConfig | None:
    """None (no cleaning) for --no-clean, and for a project that had not run cleaning unless a
    cleaning flag is given; otherwise the project's (or the default) settings plus the flags."""
    if args.no_clean:
        return None
    flags_given = (given(args.lang) or given(args.lang_threshold) or bool(args.skip_step)
                   or text_arguments_given(args))
    if project is not None and not project.cleaning_ran and not flags_given:
        return None
    lang = args.lang
    if project is not None:
        base = replace(project.cleaning, steps=dict(project.cleaning.steps))
    else:
        base = CleaningConfig()
        lang = lang if given(lang) else args.default_lang
    for step in args.skip_step:
        base.steps[step] = False
    if given(lang):
        languages = [code.strip() for code in lang.split(",") if code.strip()]
        base.detect_language = bool(languages) and languages != ["any"]
        base.languages = languages if base.detect_language else []
    if given(args.lang_threshold):
        base.threshold = args.lang_threshold
    return apply_text_arguments(base, args)


def load_and_clean(args: argparse.Namespace, cleaning: CleaningConfig | None,
                   quiet: bool = False, project: Project | None = None,
                   data_config: DataConfig | None = None):
    """Load the sources (`data_config`'s, else the command line's, else the project's) into
    memory and clean them; returns (dataset, data config, TrainingData, cleaning config as
    applied: "auto" decided, table filled in)."""
    prepared, data_config = load_for_train(args, cleaning, quiet, project, data_config,
                                           allow_store=False)
    assert isinstance(prepared.corpus, Dataset)
    return prepared.corpus, data_config, prepared, prepared.cleaning


def load_for_train(args: argparse.Namespace, cleaning: CleaningConfig | None,
                   quiet: bool = False, project: Project | None = None,
                   data_config: DataConfig | None = None, allow_store: bool = True
                   ) -> tuple[TrainingData, DataConfig]:
    """`load_and_clean`, or with `allow_store` the on-disk token store when the data config
    (or `--store`) asks for it (core/corpus/choice.py); says what cleaning did on stderr."""
    from lstm_studio.commands.data import data_config_from_args
    from lstm_studio.core.corpus.choice import load_for_training

    data_config = data_config or data_config_from_args(args, project)
    if getattr(args, "store", None):
        data_config = replace(data_config, store=args.store)
    if not allow_store:
        data_config = replace(data_config, store="off")
    prepared = load_for_training(data_config, cleaning, StderrBar("Reading").progress(),
                                 StderrBar("Preparing" if allow_store else "Cleaning").progress())
    if not quiet:
        for note in prepared.notes:
            print(note, file=sys.stderr)
        if any(prepared.dropped.values()):
            print(f"Cleaning kept {prepared.kept} documents, dropped "
                  + ", ".join(f"{n} ({why})" for why, n in prepared.dropped.items() if n)
                  + f" from {' and '.join(prepared.filtered_splits)}", file=sys.stderr)
        if prepared.segmentation:
            print(f"Word segmentation: {prepared.segmentation}", file=sys.stderr)
    return prepared, data_config


def _given_only(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def given_settings(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The settings the command line sets explicitly, by config (a preset counts as its
    fields): what a resumed run's settings are compared with."""
    model = dict(PRESETS[args.preset]) if args.preset else {}
    model.update(_given_only({
        "task": args.task, "cell": args.cell, "nonlinearity": args.nonlinearity,
        "embedding_dim": args.embedding, "hidden_size": args.hidden, "num_layers": args.layers,
        "bidirectional": args.bidirectional, "dropout": args.dropout, "pooling": args.pooling,
        "tie_weights": args.tie_weights}))
    vocab = _given_only({"min_freq": args.min_freq, "max_len": args.max_len})
    if given(args.vocab_size):
        vocab["max_size"] = args.vocab_size or None  # 0: keep every word
    train = _given_only({
        "optimizer": args.optimizer, "lr": args.lr, "weight_decay": args.weight_decay,
        "plateau_schedule": args.plateau, "batch_size": args.batch_size,
        "epochs": args.epochs, "early_stopping": args.early_stopping, "seed": args.seed,
        "device": args.device, "threads": args.threads, "max_len": args.max_len,
        "time_budget_s": args.budget_seconds, "on_nan": args.on_nan,
        "nan_retries": args.nan_retries, **quality_args.quality_overrides(args)})
    if given(args.clip):
        train["grad_clip"] = args.clip or None  # 0: no clipping
    return {"model": model, "vocab": vocab, "train": train}


def configs_from_args(args: argparse.Namespace, project: Project | None = None
                      ) -> tuple[VocabConfig, ModelConfig, TrainConfig]:
    """Vocabulary, model and training settings: the project's (or the defaults), then the
    preset, then every flag given on the command line."""
    flags = given_settings(args)
    model = project.model if project is not None else ModelConfig()
    task = args.task or model.task
    model = replace(model, **{**flags["model"], "task": task})
    if task == "lm" and model.bidirectional and args.bidirectional is None:
        model = replace(model, bidirectional=False)  # a BiLSTM preset used for an LM
    if model.cell != "rnn" and args.nonlinearity is None:
        model = replace(model, nonlinearity="tanh")

    vocab = project.vocabulary if project is not None else VocabConfig()
    vocab = replace(vocab, lm_specials=task == "lm", **flags["vocab"])
    train = project.training if project is not None else TrainConfig()
    train = replace(train, **flags["train"])
    if train.batch_size < 1 or train.epochs < 1:
        raise ConfigError("Batch size and epochs must be at least 1.")
    return vocab, model, train


def default_model_path() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return user_data_dir() / "models" / f"model-{stamp}.safetensors"
