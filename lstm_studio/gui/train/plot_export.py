"""Writing a run's plots and metrics to disk: one PNG per plot, all numbers in one CSV.

Both writes are atomic: a PNG is rendered to a temporary file and renamed into place, the
CSV goes through core.atomic, so an interrupted export never leaves half a file.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pyqtgraph as pg

from lstm_studio.core.atomic import atomic_write
from lstm_studio.gui.widgets.plot_parts import grid_layout, plot_item

STEP_COLUMNS = ("global_step", "epoch", "step", "loss", "loss_ema", "accuracy", "grad_norm",
                "lr", "tokens_per_s")
EPOCH_COLUMNS = ("epoch", "train_loss", "train_accuracy", "valid_loss", "valid_accuracy",
                 "valid_macro_f1", "valid_perplexity", "seconds", "improved")
CSV_COLUMNS = ("record", *dict.fromkeys(STEP_COLUMNS + EPOCH_COLUMNS))
INTEGER_COLUMNS = frozenset({"global_step", "epoch", "step", "improved"})


def export_png(plot: pg.PlotWidget, path: str | os.PathLike[str], width: int = 1200) -> Path:
    """Write one plot (title, axes, legend and curves) as a PNG `width` pixels wide."""
    from pyqtgraph.exporters import ImageExporter

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A paint sizes the axes for the labels of data set since the last one; the layout then
    # makes room, so no tick label is left out of the file for want of space.
    item = plot_item(plot)
    plot.grab()
    grid_layout(item).activate()
    exporter = ImageExporter(item)
    exporter.parameters()["width"] = width
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".png", dir=target.parent)
    os.close(fd)
    try:
        exporter.export(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def write_metrics_csv(path: str | os.PathLike[str], steps: np.ndarray,
                      epochs: list[dict[str, float]]) -> Path:
    """Step rows (STEP_COLUMNS) then epoch rows (EPOCH_COLUMNS); `record` says which."""
    with atomic_write(path, newline="") as handle:
        writer: csv.DictWriter[str] = csv.DictWriter(handle, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for row in steps:
            values: dict[str, float] = dict(zip(STEP_COLUMNS, map(float, row), strict=True))
            writer.writerow({"record": "step", **_csv_values(values)})
        for epoch in epochs:
            writer.writerow({"record": "epoch",
                             **_csv_values({key: epoch[key] for key in EPOCH_COLUMNS})})
    return Path(path)


def _csv_values(values: dict[str, float]) -> dict[str, str]:
    out = {}
    for key, value in values.items():
        number = float(value)
        if not math.isfinite(number):
            out[key] = ""
        elif key in INTEGER_COLUMNS:
            out[key] = str(int(number))
        else:
            out[key] = repr(number)
    return out
