"""`--project FILE`: start a command from a project saved by the app.

A project file (core/project.py) records the dataset sources and split decisions and every
setting of the Clean, Vocabulary and Train tabs. The commands that work on the same things
(`data`, `clean`, `train`, `eval`, `predict`) accept `--project FILE` and take what the command
line leaves unsaid from it; an option given on the command line always wins. That is why the
commands' own defaults are `None`: "not given" must be told apart from "given as the default".
"""

from __future__ import annotations

import argparse
import sys

from lstm_studio.core.config import DataConfig
from lstm_studio.core.dataset import Dataset
from lstm_studio.core.errors import DataError
from lstm_studio.core.progress import Progress
from lstm_studio.core.project import Project, load_project


def add_project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", metavar="FILE",
                        help="take the sources and settings from a project saved by the app "
                             "(.lstmproj); options given here override it")


def open_project(args: argparse.Namespace) -> Project | None:
    """The project named by --project (notes such as a missing model go to stderr), or None."""
    path = getattr(args, "project", None)
    if not path:
        return None
    project, notes = load_project(path)
    for note in notes:
        print(f"lstm-studio: note: {note}", file=sys.stderr)
    return project


def given(value: object) -> bool:
    """Whether an option was given on the command line (its default is None)."""
    return value is not None


def source_paths(args: argparse.Namespace, project: Project | None) -> list[str]:
    """The PATHs on the command line, else the project's sources."""
    if args.paths:
        return list(args.paths)
    if project is not None and project.data.sources:
        return list(project.data.sources)
    raise DataError("Give at least one dataset PATH, or a project with --project FILE.")


def load_dataset(paths: list[str], config: DataConfig, progress: Progress | None) -> Dataset:
    """Read the sources as the Data tab does: splits from the sources, then the random
    re-split when the configuration asks for one."""
    from dataclasses import replace

    from lstm_studio.core.readers import load_configured

    return load_configured(replace(config, sources=list(paths)), progress)


def model_path(args: argparse.Namespace, project: Project | None) -> str:
    """The MODEL on the command line, else the model the project was trained into."""
    if args.model:
        return args.model
    if project is not None and project.model_path:
        return project.model_path
    if project is not None:
        raise DataError("The project has no trained model; train one or give the MODEL file.")
    raise DataError("Give the MODEL file, or a project with --project FILE.")
