"""How `lstm-studio train` runs (its options are in commands/train.py): a new run or a resumed
one (`--resume`), in this process, as the launcher of `--nproc` data-parallel processes
(commands/dist_launch.py), or as one of the processes torchrun started; and what it prints.

A new run is recorded before its data is read, so a run killed at any point is listed by
`lstm-studio runs` (as interrupted). The first Ctrl+C (or a SIGTERM, as a cluster sends before
pre-empting a job) stops after the current step and saves a checkpoint; a second one ends the
process at once.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from lstm_studio.commands import dist_launch, quality_args
from lstm_studio.commands.common import StderrBar, json_progress, print_json, write_progress_line
from lstm_studio.commands.project_args import open_project
from lstm_studio.commands.train import (
    cleaning_config_from_args,
    configs_from_args,
    default_model_path,
    given_settings,
    load_for_train,
)
from lstm_studio.commands.train_progress import TrainingProgress
from lstm_studio.core.config import validate_model_settings, validate_training
from lstm_studio.core.errors import ConfigError, UserError
from lstm_studio.core.model_size import check_fits

DEFAULT_CHECKPOINT_MINUTES = 10.0


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.distributed import launched_by_torchrun

    worker = launched_by_torchrun()
    if args.master_port is not None and args.nproc is None:
        raise ConfigError("--master-port goes with --nproc (the port the processes meet on).")
    if args.nproc is not None:
        if worker and not dist_launch.started_by_launcher():
            raise ConfigError("--nproc starts its own processes; under torchrun leave it out "
                              "(torchrun already started the processes).")
        if not worker:
            dist_launch.check_nproc(args.nproc, args.device)
            if args.nproc > 1:
                return dist_launch.launch(args)
    if not worker:
        return _train(args, distributed=False)
    try:
        return _train(args, distributed=True)
    except UserError as error:
        import os

        rank = int(os.environ.get("RANK", "0"))
        if dist_launch.started_by_launcher():  # the launcher reports it, once
            dist_launch.note_error(rank, str(error))
            return 2
        raise UserError(f"(training process {rank}) {error}") from error


def _train(args: argparse.Namespace, distributed: bool) -> int:
    from lstm_studio.core.distributed import start_world

    job = _resume_job(args) if args.resume else _new_job(args)
    world = start_world(job["train"].device) if distributed else None
    main = world is None or world.is_main
    reporter = TrainingProgress(enabled=main)
    stop = threading.Event()
    dist_launch.watch_launcher_stop(stop)
    try:
        if main and world is not None:
            _announce(job["train"], world)
        with stop_on_signals(stop, quiet=not main):
            result = job["run"](world, reporter, stop)
    except BaseException:
        if world is not None:
            world.close(together=False)
        raise
    if world is not None:
        world.close()
    if main:
        _print_result(args, result, job.get("extra", {}), world)
    return 0 if result.status != "failed" else 1


# --- a new run -------------------------------------------------------------------------------

def _new_job(args: argparse.Namespace) -> dict[str, Any]:
    from lstm_studio.commands.data import data_config_from_args
    from lstm_studio.core.pipeline import run_configs, train_model
    from lstm_studio.core.run_session import RunOptions, RunSession
    from lstm_studio.core.runs import RunStore

    project = open_project(args)
    vocab, model, train = configs_from_args(args, project)
    # Settings too big even for the smallest vocabulary are refused before reading any data.
    validate_model_settings(model)
    validate_training(train)
    check_fits(replace(model, vocab_size=2, num_classes=2), train, max_len=1)
    cleaning = cleaning_config_from_args(args, project)
    data_config = data_config_from_args(args, project)
    if args.store:
        data_config = replace(data_config, store=args.store)
    out = Path(args.out) if args.out else default_model_path()
    extra: dict[str, Any] = {}

    def execute(world, reporter: TrainingProgress, stop: threading.Event):
        session = None
        if not args.no_record and (world is None or world.is_main):
            session = RunSession.start(
                RunStore(args.runs_dir), vars(model), vars(train), args.name,
                configs={**run_configs(vocab, data_config, cleaning), "model_out": str(out)},
                checkpoint_minutes=_minutes(args))
            dist_launch.note_run(str(session.dir.path))
        with session.recording() if session is not None else contextlib.nullcontext():
            prepared, data = load_for_train(args, cleaning, quiet=args.json, project=project,
                                            data_config=data_config)
            dataset, applied = prepared.corpus, prepared.cleaning
            if prepared.store is not None:
                extra["store"] = prepared.store
            options = RunOptions(session=session, world=world, stop_signal=stop,
                                 checkpoint_minutes=_minutes(args))
            return train_model(dataset, vocab, model, train, applied, data,
                               progress=_progress(reporter), on_event=reporter.on_event,
                               out_path=str(out), record_run=not args.no_record,
                               name=args.name, options=options)

    return {"train": train, "run": execute, "extra": extra}


# --- a resumed run ---------------------------------------------------------------------------

def _resume_job(args: argparse.Namespace) -> dict[str, Any]:
    from lstm_studio.core.resume import (
        apply_changes,
        check_settings,
        load_run_data,
        open_resume,
        resume_training,
    )
    from lstm_studio.core.runs import RunStore

    if args.paths or getattr(args, "project", None):
        raise ConfigError("--resume reads the data the run names; leave out the dataset "
                          "PATHs and --project.")
    store = RunStore(args.runs_dir) if args.runs_dir else None
    plan = open_resume(args.resume, store)
    settings = given_settings(args)
    if args.no_clean or args.lang or args.lang_threshold is not None or args.skip_step:
        settings["cleaning"] = {"config": cleaning_config_from_args(args)}
    check_settings(plan, settings)
    apply_changes(plan, args.epochs, args.budget_seconds, args.threads, args.device)

    def execute(world, reporter: TrainingProgress, stop: threading.Event):
        if world is None or world.is_main:
            dist_launch.note_run(plan.record.folder)
        dataset = load_run_data(plan, StderrBar("Reading").progress(),
                                StderrBar("Cleaning").progress())
        return resume_training(plan, dataset, progress=_progress(reporter),
                               on_event=reporter.on_event, world=world,
                               checkpoint_minutes=_minutes(args), stop_signal=stop,
                               out_path=args.out, store=store)

    return {"train": plan.train, "run": execute, "extra": {"resumed_from": plan.resumed_from}}


# --- shared pieces -----------------------------------------------------------------------------

def _minutes(args: argparse.Namespace) -> float:
    return DEFAULT_CHECKPOINT_MINUTES if args.checkpoint_minutes is None \
        else args.checkpoint_minutes


def _progress(reporter: TrainingProgress):
    from lstm_studio.core.progress import Progress

    return Progress(reporter.on_progress, min_interval=0.1)


def _announce(train, world) -> None:
    """The effective batch and learning rate of a data-parallel run, once, on stderr."""
    share = train.batch_size / world.size
    if json_progress():
        write_progress_line({"stage": "distributed", "processes": world.size,
                             "backend": world.backend, "batch_size": train.batch_size,
                             "per_process_batch": share, "lr": train.lr})
        return
    print(f"Data-parallel training on {world.size} processes ({world.backend}): each batch of "
          f"{train.batch_size} is split between them (~{share:g} each), so the effective "
          f"batch size is {train.batch_size} and the learning rate {train.lr:g}, as in one "
          "process.", file=sys.stderr)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event, quiet: bool = False) -> Iterator[None]:
    """First Ctrl+C or SIGTERM: stop after the current step (checkpoint and best weights
    saved); a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        if not quiet:
            print("\nStopping after this step (Ctrl+C again to abort)...", file=sys.stderr)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def result_json(result, world=None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": result.status, "message": result.message, "run_id": result.run_id,
        "model": result.checkpoint_path, "epochs": result.epochs,
        "seconds": round(result.seconds, 3),
        "valid": _headline(result.valid), "test": _headline(result.test),
        "history": result.history, "quality": result.quality,
        "calibration": result.bundle.calibration or None,
    }
    if result.recovered:
        data["recovered"] = result.recovered
    if result.bundle.task == "lm":
        best = result.test or result.valid or {}
        data["perplexity"] = best.get("perplexity")
    if world is not None:
        train = result.bundle.train_config
        data["distributed"] = {"processes": world.size, "backend": world.backend,
                               "batch_size": train.batch_size,
                               "per_process_batch": train.batch_size / world.size,
                               "lr": train.lr}
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


def _print_result(args: argparse.Namespace, result, extra: dict[str, Any], world) -> None:
    if args.json:
        print_json({**result_json(result, world), **extra})
        return
    resumed = extra.get("resumed_from")
    if resumed:
        print(f"Resumed run {resumed['run']} after epoch {resumed['epoch']}"
              + (f", step {resumed['epoch_step']}" if resumed["epoch_step"] else "") + ".")
    for entry in result.history:
        print(_epoch_line(entry))
    print(format_metrics("valid", result.valid))
    print(format_metrics("test", result.test)
          + (" (the whole test split)" if result.test else ""))
    counts = result.quality.get("label_counts")
    for line in (*quality_args.per_class_lines(result.test or result.valid, counts),
                 quality_args.calibration_line(result.test or result.valid),
                 quality_args.stored_calibration_line(result.bundle.calibration)):
        if line:
            print(line)
    print(f"{result.status} in {result.seconds:.1f} s: {result.message}")
    if result.checkpoint_path:
        print(f"Model saved to {result.checkpoint_path}")
    if result.run_id and result.status in ("stopped", "failed"):
        print(f"Resume with: lstm-studio train --resume {result.run_id}")


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

