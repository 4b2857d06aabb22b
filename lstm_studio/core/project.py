"""Project files: one JSON document that lets work continue tomorrow exactly where it stopped.

It records the dataset sources and split decisions, the cleaning and vocabulary settings (and
whether they had been run), the model and training settings, the trained model's path, and
whatever extra state each tab returns from `project_state()`. Files carry a version number and
go through `migrate()` on opening, so projects written by older versions keep loading. Source
paths are stored absolute and relative to the project file, so a project folder that moved
with its data still opens.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstm_studio import __version__
from lstm_studio.core.atomic import atomic_write_text
from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
    config_from_dict,
    config_to_dict,
    validate_limits,
    validate_model_settings,
    validate_training,
    validate_vocab,
)
from lstm_studio.core.errors import ConfigError, UserError
from lstm_studio.core.limits import InputLimits, check_file_size

FORMAT = "lstm-studio-project"
VERSION = 2
SUFFIX = ".lstmproj"


class ProjectError(UserError):
    """A project file that cannot be opened as asked (missing, corrupt, too new, sources gone)."""


@dataclass
class Project:
    data: DataConfig = field(default_factory=DataConfig)
    cleaning: CleaningConfig = field(default_factory=CleaningConfig)
    cleaning_ran: bool = False
    vocabulary: VocabConfig = field(default_factory=VocabConfig)
    vocabulary_built: bool = False
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainConfig = field(default_factory=TrainConfig)
    model_path: str | None = None
    tabs: dict[str, dict[str, Any]] = field(default_factory=dict)


def _relative(path: str, base: Path) -> str | None:
    try:
        return os.path.relpath(Path(path).resolve(), base.resolve())
    except ValueError:  # another drive on Windows
        return None


def project_to_dict(project: Project, project_path: str | os.PathLike[str]) -> dict[str, Any]:
    base = Path(project_path).resolve().parent
    data = config_to_dict(project.data)
    data["sources"] = [str(Path(p).resolve()) for p in project.data.sources]
    data["split_overrides"] = {str(Path(k).resolve()): v
                               for k, v in project.data.split_overrides.items()}
    return {
        "format": FORMAT,
        "version": VERSION,
        "saved_by": f"LSTM Studio {__version__}",
        "data": data,
        "relative_sources": [_relative(p, base) for p in data["sources"]],
        "cleaning": {"config": config_to_dict(project.cleaning), "ran": project.cleaning_ran},
        "vocabulary": {"config": config_to_dict(project.vocabulary),
                       "built": project.vocabulary_built},
        "model": config_to_dict(project.model),
        "training": config_to_dict(project.training),
        "model_path": str(Path(project.model_path).resolve()) if project.model_path else None,
        "relative_model_path": (_relative(project.model_path, base)
                                if project.model_path else None),
        "tabs": project.tabs,
    }


def save_project(path: str | os.PathLike[str], project: Project) -> None:
    text = json.dumps(project_to_dict(project, path), ensure_ascii=False, indent=2)
    atomic_write_text(path, text + "\n")


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older project dictionary up to VERSION, one step at a time."""
    version = int(data.get("version", 1))
    if version > VERSION:
        raise ProjectError("This project was saved by a newer LSTM Studio; update the app to "
                           "open it.")
    if version < 2:
        # Version 1 kept cleaning and vocabulary configs flat, without the "ran" flags.
        for key, flag in (("cleaning", "ran"), ("vocabulary", "built")):
            value = data.get(key) or {}
            if "config" not in value:
                data[key] = {"config": value, flag: bool(value)}
        data["version"] = 2
    return data


def _resolve(path: str | None, relative: str | None, base: Path) -> str | None:
    """The stored absolute path if it exists, else the one relative to the project file."""
    if path and Path(path).exists():
        return path
    if relative:
        candidate = (base / relative).resolve()
        if candidate.exists():
            return str(candidate)
    return None


def load_project(path: str | os.PathLike[str]) -> tuple[Project, list[str]]:
    """Read, migrate and check a project; returns it and notes for the user (e.g. a model
    file that is gone). Raises ProjectError when it cannot be opened."""
    file = Path(path)
    try:
        check_file_size(file.stat().st_size, InputLimits().max_project_bytes,
                        f"The project file {file.name}", "max_project_bytes", ProjectError)
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"The project file {file} does not exist.") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise ProjectError(f"{file.name} is not a readable LSTM Studio project.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectError(f"{file.name} is not an LSTM Studio project file.")
    try:
        data = migrate(data)
        return _project_from(data, file)
    except (ConfigError, TypeError, ValueError, AttributeError) as error:
        reason = str(error) if isinstance(error, ConfigError) else "a value has the wrong type"
        raise ProjectError(f"{file.name} cannot be opened: {reason[:1].lower()}{reason[1:]}") \
            from None


def _project_from(data: dict[str, Any], file: Path) -> tuple[Project, list[str]]:
    """The Project a migrated dictionary describes: every setting strictly typed and valid
    (a hand-edited negative batch size is refused here, not by a widget later)."""
    base = file.resolve().parent
    data_config = config_from_dict(DataConfig, data.get("data"), strict=True)
    relatives = data.get("relative_sources") or []
    if not (isinstance(relatives, list)
            and all(item is None or isinstance(item, str) for item in relatives)):
        raise ConfigError("Its relative source paths are not a list of paths.")
    relatives = list(relatives)
    relatives += [None] * (len(data_config.sources) - len(relatives))
    sources: list[str] = []
    moved: dict[str, str] = {}
    for stored, relative in zip(data_config.sources, relatives, strict=False):
        found = _resolve(stored, relative, base)
        if found is None:
            raise ProjectError(f"The project's dataset source {stored} is missing; put it back "
                               "or open the data again and save the project.")
        sources.append(found)
        moved[stored] = found
    data_config.sources = sources
    data_config.split_overrides = {moved.get(k, k): v
                                   for k, v in data_config.split_overrides.items()}
    notes: list[str] = []
    model_path = data.get("model_path")
    if model_path is not None and not isinstance(model_path, str):
        raise ConfigError("Its model path is not a path.")
    if model_path:
        found_model = _resolve(model_path, data.get("relative_model_path"), base)
        if found_model is None:
            notes.append(f"The trained model {model_path} is missing; train it again.")
        model_path = found_model
    cleaning = data.get("cleaning") or {}
    vocabulary = data.get("vocabulary") or {}
    tabs = data.get("tabs") or {}
    if not (isinstance(tabs, dict) and all(isinstance(v, dict) for v in tabs.values())):
        raise ConfigError("Its saved tab states are not a mapping of settings.")
    project = Project(
        data=data_config,
        cleaning=config_from_dict(CleaningConfig, cleaning.get("config"), strict=True),
        cleaning_ran=bool(cleaning.get("ran")),
        vocabulary=config_from_dict(VocabConfig, vocabulary.get("config"), strict=True),
        vocabulary_built=bool(vocabulary.get("built")),
        model=config_from_dict(ModelConfig, data.get("model"), strict=True),
        training=config_from_dict(TrainConfig, data.get("training"), strict=True),
        model_path=model_path,
        tabs=dict(tabs),
    )
    validate_limits(project.data.limits)
    validate_model_settings(project.model)
    validate_training(project.training)
    validate_vocab(project.vocabulary)
    return project, notes
