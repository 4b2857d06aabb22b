"""`lstm-studio runs`: the training run history (status, configuration, best metrics)."""

from __future__ import annotations

import argparse

from lstm_studio.commands.common import print_json
from lstm_studio.core.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "runs", help="list the training run history",
        description="Every training run with its status (running, finished, stopped, failed, "
                    "killed), model, metrics and model file.")
    parser.add_argument("--show", metavar="RUN_ID", help="print one run in full (JSON)")
    parser.add_argument("--delete", metavar="RUN_ID", help="remove one run from the history")
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.runs import RunStore

    store = RunStore()
    if args.delete:
        if not store.delete(args.delete):
            raise UserError(f"There is no run {args.delete} in the history.")
        print(f"Deleted run {args.delete}.")
        return 0
    if args.show:
        record = store.get(args.show)
        if record is None:
            raise UserError(f"There is no run {args.show} in the history.")
        print_json(record.to_dict())
        return 0
    records = store.list_runs()
    if args.json:
        print_json([_row(r) for r in records])
        return 0
    if not records:
        print("No training runs yet.")
        return 0
    header = (f"{'run':<22} {'status':<9} {'model':<24} {'epochs':>6} {'kept':>4} "
              f"{'by':<9} {'valid':>8} {'test':>8}  file")
    print(header)
    for record in records:
        row = _row(record)
        kept = row["kept_epoch"] if row["kept_epoch"] is not None else "-"
        print(f"{row['run_id']:<22} {row['status']:<9} {row['model']:<24} {row['epochs']:>6} "
              f"{kept:>4} {row['selected_by'] or '-':<9} {_fmt(row['valid'])} "
              f"{_fmt(row['test'])}  {row['checkpoint_path'] or '-'}")
    return 0


def _headline(metrics: dict | None) -> float | None:
    if not metrics:
        return None
    return metrics.get("accuracy", metrics.get("perplexity"))


def _fmt(value: float | None) -> str:
    return f"{value:>8.4f}" if isinstance(value, (int, float)) else f"{'-':>8}"


def _row(record) -> dict:
    m = record.model_config
    model = f"{m.get('task', '?')} {'bi' if m.get('bidirectional') else ''}{m.get('cell', '?')}"
    model += f" {m.get('embedding_dim', '?')}/{m.get('hidden_size', '?')}"
    summary = record.summary or {}
    selection = summary.get("selection") or {}
    return {"kept_epoch": selection.get("epoch", summary.get("best_epoch")),
            "selected_by": selection.get("metric"), "run_id": record.run_id,
            "name": record.name, "created": record.created,
            "status": record.status, "model": model, "epochs": len(record.history),
            "valid": _headline(summary.get("valid")), "test": _headline(summary.get("test")),
            "checkpoint_path": record.checkpoint_path, "message": record.message}
