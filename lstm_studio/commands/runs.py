"""`lstm-studio runs`: the training run history (status, configuration, best metrics, last
checkpoint)."""

from __future__ import annotations

import argparse

from lstm_studio.commands.common import print_json
from lstm_studio.core.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "runs", help="list the training run history",
        description="Every training run with its status (running, finished, stopped, failed, "
                    "or interrupted for a run whose process ended without a word), model, "
                    "metrics, last checkpoint and model file. An interrupted or stopped run "
                    "with a checkpoint continues with: lstm-studio train --resume RUN_ID.")
    parser.add_argument("--show", metavar="RUN_ID", help="print one run in full (JSON)")
    parser.add_argument("--delete", metavar="RUN_ID",
                        help="remove one run (its folder: record, log, checkpoint)")
    parser.add_argument("--runs-dir", metavar="DIR",
                        help="the run history folder (default: the user's)")
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.runs import RunStore

    store = RunStore(args.runs_dir)
    if args.delete:
        if not store.delete(args.delete):
            raise UserError(f"There is no run {args.delete} in the history.")
        print(f"Deleted run {args.delete}.")
        return 0
    if args.show:
        record = store.get(args.show)
        if record is None:
            raise UserError(f"There is no run {args.show} in the history.")
        print_json({**record.to_dict(), "folder": record.folder})
        return 0
    records = store.list_runs()
    if args.json:
        print_json([_row(r) for r in records])
        return 0
    if not records:
        print("No training runs yet.")
        return 0
    print(f"{'run':<22} {'status':<11} {'model':<24} {'epochs':>6} {'kept':>4} {'by':<9} "
          f"{'valid':>8} {'test':>8}  {'checkpoint':<18} file")
    for record in records:
        row = _row(record)
        kept = row["kept_epoch"] if row["kept_epoch"] is not None else "-"
        print(f"{row['run_id']:<22} {row['status']:<11} {row['model']:<24} {row['epochs']:>6} "
              f"{kept:>4} {row['selected_by'] or '-':<9} {_fmt(row['valid'])} "
              f"{_fmt(row['test'])}  {_where(row['last_checkpoint']):<18} "
              f"{row['checkpoint_path'] or '-'}")
    resumable = [record.run_id for record in records if record.resumable]
    if resumable:
        print(f"Resume a run with: lstm-studio train --resume {resumable[0]}")
    return 0


def _headline(metrics: dict | None) -> float | None:
    if not metrics:
        return None
    return metrics.get("accuracy", metrics.get("perplexity"))


def _fmt(value: float | None) -> str:
    return f"{value:>8.4f}" if isinstance(value, (int, float)) else f"{'-':>8}"


def _where(checkpoint: dict | None) -> str:
    """"epoch 3" after a whole epoch, "epoch 4 step 120" inside one."""
    if not checkpoint:
        return "-"
    if checkpoint.get("epoch_step"):
        return f"epoch {checkpoint['epoch'] + 1} step {checkpoint['epoch_step']}"
    return f"epoch {checkpoint['epoch']}"


def _last_validation(history: list[dict]) -> dict | None:
    """A run that never finished has no final metrics: its last validated epoch's."""
    for entry in reversed(history):
        figures = {"accuracy": entry.get("valid_accuracy"),
                   "perplexity": entry.get("valid_perplexity")}
        figures = {key: value for key, value in figures.items() if value is not None}
        if figures:
            return figures
    return None


def _row(record) -> dict:
    m = record.model_config
    model = f"{m.get('task', '?')} {'bi' if m.get('bidirectional') else ''}{m.get('cell', '?')}"
    model += f" {m.get('embedding_dim', '?')}/{m.get('hidden_size', '?')}"
    summary = record.summary or {}
    valid = summary.get("valid") or _last_validation(record.history)
    selection = summary.get("selection") or {}
    return {"kept_epoch": selection.get("epoch", summary.get("best_epoch")),
            "selected_by": selection.get("metric"), "run_id": record.run_id,
            "name": record.name, "created": record.created,
            "status": record.status, "model": model, "epochs": len(record.history),
            "valid": _headline(valid), "test": _headline(summary.get("test")),
            "checkpoint_path": record.checkpoint_path, "message": record.message,
            "last_checkpoint": record.last_checkpoint, "resumable": record.resumable,
            "processes": record.processes, "folder": record.folder}
