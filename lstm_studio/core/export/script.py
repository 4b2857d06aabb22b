"""A trained classifier's run as one readable PyTorch file (`export --format script`).

The file is the template `templates/train_script.py.txt` (shipped as package data) with the
run's settings filled in as a plain `SETTINGS` dict: data sources and how they were read,
cleaning, vocabulary, maximum length, model and training settings. The template is written for
reading next to the lecture, so it is kept as one file a student can open, not generated code.
"""

from __future__ import annotations

import os
import pprint
import time
from importlib import resources
from pathlib import Path
from typing import Any

from lstm_studio import __version__
from lstm_studio.core.checkpoint import ModelBundle
from lstm_studio.core.cleaning_steps import enabled_steps
from lstm_studio.core.config import (
    CLEANING_STEPS,
    SEGMENT_STEP,
    CleaningConfig,
    config_to_dict,
)
from lstm_studio.core.export.common import ExportError, ExportResult, check_target, write_file
from lstm_studio.core.normalization import default_table, lower_text

TEMPLATE = "train_script.py.txt"
MODEL_KEYS = ("cell", "nonlinearity", "embedding_dim", "hidden_size", "num_layers",
              "bidirectional", "dropout", "pooling")
TRAINING_KEYS = ("optimizer", "lr", "weight_decay", "momentum", "batch_size", "epochs",
                 "grad_clip", "early_stopping", "plateau_schedule", "plateau_factor",
                 "plateau_patience", "restore_best", "seed", "device", "threads",
                 "class_weight", "select")


def template_text() -> str:
    return (resources.files("lstm_studio.core.export.templates") / TEMPLATE).read_text(
        encoding="utf-8")


def cleaning_settings(cleaning: CleaningConfig) -> dict[str, Any]:
    """The steps the run applied (segmentation as decided), with their settings resolved:
    the abbreviation table is written out whole, so the script needs no file of the app's."""
    enabled = enabled_steps(cleaning)
    table = None
    if "expand_abbreviations" in enabled:
        found = cleaning.abbreviations if cleaning.abbreviations is not None else default_table()
        table = {lower_text(key): value for key, value in sorted(found.items())}
    return {
        "steps": {name: name in enabled for name in CLEANING_STEPS},
        "tone_style": cleaning.tone_style,
        "abbreviations": table,
        "detect_language": cleaning.detect_language,
        "languages": list(cleaning.languages),
        "threshold": cleaning.threshold,
        "candidate_languages": cleaning.candidate_languages,
        "drop_empty": cleaning.drop_empty,
        "filter_splits": list(cleaning.filter_splits),
    }


def script_settings(bundle: ModelBundle) -> dict[str, Any]:
    """The run's settings as the script reads them (plain Python values only)."""
    data = bundle.data_config
    cleaning = bundle.cleaning_config
    model = config_to_dict(bundle.model_config)
    training = config_to_dict(bundle.train_config)
    return {
        "data": {
            "sources": [str(Path(s).resolve()) for s in (data.sources if data else [])],
            "split_overrides": ({str(Path(k).resolve()): v
                                 for k, v in data.split_overrides.items()} if data else {}),
            "encoding": data.encoding if data else None,
            "text_column": data.text_column if data else None,
            "label_column": data.label_column if data else None,
        },
        "cleaning": None if cleaning is None else cleaning_settings(cleaning),
        "vocab": {"min_freq": bundle.vocab_config.min_freq,
                  "max_size": bundle.vocab_config.max_size},
        "max_len": bundle.max_len,
        "model": {key: model[key] for key in MODEL_KEYS},
        "training": {key: training[key] for key in TRAINING_KEYS},
        "labels": list(bundle.labels),
    }


def describe(bundle: ModelBundle) -> str:
    config = bundle.model_config
    parts = [f"{config.num_layers}-layer" if config.num_layers > 1 else "",
             "bidirectional" if config.bidirectional else "",
             {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[config.cell]]
    return " ".join(p for p in parts if p) + f" classifier ({', '.join(bundle.labels)})"


def library_note(libraries: list[str]) -> str:
    """What the script imports besides torch, and why, for its first paragraph."""
    reasons = {"langid": "this run filtered languages", "pyvi": "this run segmented words"}
    named = [f"{name} ({reasons[name]})" for name in libraries]
    if not named:
        return ""
    return "".join(f", {part}" for part in named[:-1]) + f" and {named[-1]}"


def render_script(bundle: ModelBundle, file_name: str) -> str:
    if bundle.task != "classify":
        raise ExportError("The training script covers classifiers; this model is a language "
                          "model (export it as ONNX or as a model card instead).")
    settings = script_settings(bundle)
    run_id = bundle.info.get("run_id")
    cleaning = settings["cleaning"] or {"steps": {}, "detect_language": False}
    libraries = [name for name, used in (("langid", cleaning["detect_language"]),
                                         ("pyvi", cleaning["steps"].get(SEGMENT_STEP)))
                 if used]
    notes = ""
    if bundle.data_config is not None and bundle.data_config.random_split:
        notes = (" The run re-split its data at random; this script keeps the sources' own "
                 "splits.")
    title = describe(bundle)
    article = "an" if title[0] in "AEIOULR" else "a"  # "an LSTM", "an RNN", "a GRU"
    values = {
        "@TITLE@": f"Train {article} {title}: an LSTM Studio run as one PyTorch file.",
        "@APP_VERSION@": __version__,
        "@DATE@": time.strftime("%Y-%m-%d"),
        "@RUN@": f" (run {run_id})" if run_id else "",
        "@NOTES@": notes,
        "@LIBRARY_NOTE@": library_note(libraries),
        "@FILE_NAME@": file_name,
        "@SETTINGS@": "SETTINGS = " + pprint.pformat(settings, width=96, sort_dicts=False),
    }
    text = template_text()
    for key, value in values.items():
        text = text.replace(key, value)
    compile(text, file_name, "exec")  # a template edit that breaks Python fails here, not later
    return text


def export_script(bundle: ModelBundle, path: str | os.PathLike[str]) -> ExportResult:
    target = check_target(path)
    text = render_script(bundle, target.name)
    written = write_file(target, text)
    return ExportResult("script", [written], "Wrote the training script; run it with "
                        f"`python {target.name} [--epochs N] [DATA ...]`:")
