"""`export_model`: one entry point for the command line and the window's Export dialog.

It loads the model file when given a path, checks the target before doing any work, and hands
over to the format's module. Each format module is imported only when used, so asking for a
model card never needs onnx, and a missing optional package is a clear sentence.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from lstm_studio.core.checkpoint import ModelBundle, load_checkpoint
from lstm_studio.core.config import DataConfig
from lstm_studio.core.export.common import FORMATS, ExportError, ExportResult, check_target
from lstm_studio.core.progress import Progress


def export_model(model: ModelBundle | str | os.PathLike[str], fmt: str,
                 out: str | os.PathLike[str], *, data: Sequence[str] | None = None,
                 data_config: DataConfig | None = None, split: str | None = None,
                 model_name: str | None = None, progress: Progress | None = None
                 ) -> ExportResult:
    """Export `model` (a bundle or a model file) as `fmt` ("onnx", "script" or "card").

    `data` (cards only): dataset sources to compute the cleaning report, split sizes, per-class
    metrics, confusion matrices and calibration from; an empty list means the sources the run
    was trained on. `split` names the split the calibration is computed on.
    """
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    check_target(out)
    if isinstance(model, ModelBundle):
        bundle, name = model, model_name or "model"
    else:
        bundle = load_checkpoint(model)
        name = model_name or os.path.splitext(os.path.basename(os.fspath(model)))[0]
    if fmt == "onnx":
        from lstm_studio.core.export.onnx_graph import export_onnx

        return export_onnx(bundle, out)
    if fmt == "script":
        from lstm_studio.core.export.script import export_script

        return export_script(bundle, out)
    from lstm_studio.core.export.card import export_card

    return export_card(bundle, out, name=name, data=data, data_config=data_config,
                       split=split, progress=progress)
