"""Labelled folder trees, wherever they live: on disk or inside a zip.

The rule, shared by the folder and zip readers so both give the same dataset:
- every `.txt` file is one document; hidden files and `__MACOSX` are skipped;
- a folder named `train`, `test`, `valid`, `val`, `dev` (any depth) sets the split of the
  files below it (the deepest such folder wins);
- a file's label is the name of the folder it sits in, unless that folder is a split folder or
  the root, in which case it has no label;
- in a labelled tree, `.txt` files with no label folder (a README.txt, say) are left out and
  the source notes how many.
A zip whose files all sit under one top-level folder that is not a split folder (`data_train/`)
is read as that folder, exactly as if it had been unzipped and the folder opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lstm_studio.core.readers.common import split_alias
from lstm_studio.core.wording import plural, verb

HIDDEN_PREFIXES = (".", "__MACOSX")


@dataclass
class TreePlan:
    """Which members to read, and the label and split each one gets."""

    entries: list[tuple[str, str | None, str | None]]  # (member name, label, split)
    other_files: list[str] = field(default_factory=list)  # not .txt, ignored
    notes: list[str] = field(default_factory=list)


def _hidden(parts: list[str]) -> bool:
    return any(part.startswith(HIDDEN_PREFIXES) for part in parts)


def _folder_meaning(folders: list[str]) -> tuple[str | None, str | None]:
    """(label, split) for files directly inside the folder path `folders`."""
    split = None
    for folder in reversed(folders):
        split = split_alias(folder)
        if split:
            break
    label = folders[-1] if folders and split_alias(folders[-1]) is None else None
    return label, split


def plan_tree(names: list[str], strip_wrapper: bool) -> TreePlan:
    """Apply the folder-tree rule to '/'-separated relative names (folders excluded).

    Work is done once per folder, not per file, since a dataset has thousands of files in a
    handful of folders.
    """
    texts: list[tuple[str, str]] = []  # (folder, name)
    other: list[str] = []
    hidden_folders: dict[str, bool] = {}
    for name in names:
        folder, _, base = name.rpartition("/")
        hidden = hidden_folders.get(folder)
        if hidden is None:
            hidden = hidden_folders[folder] = _hidden(folder.split("/"))
        if hidden or base.startswith(HIDDEN_PREFIXES):
            continue
        if base[-4:].lower() == ".txt":
            texts.append((folder, name))
        else:
            other.append(name)
    folders = {folder for folder, _ in texts}
    offset = 0
    if strip_wrapper and texts and "" not in folders:
        tops = {folder.split("/", 1)[0] for folder in folders}
        if len(tops) == 1 and split_alias(next(iter(tops))) is None:
            offset = 1
    meaning = {folder: _folder_meaning(folder.split("/")[offset:] if folder else [])
               for folder in folders}
    entries = [(name, *meaning[folder]) for folder, name in texts]
    notes: list[str] = []
    unlabelled = [entry[0] for entry in entries if entry[1] is None]
    if unlabelled and len(unlabelled) < len(entries):
        entries = [entry for entry in entries if entry[1] is not None]
        notes.append(
            f"left out {plural(len(unlabelled), '.txt file')} that "
            f"{verb(len(unlabelled), 'is', 'are')} not inside a label folder "
            f"(e.g. {min(unlabelled)})"
        )
    if other:
        notes.append(f"ignored {plural(len(other), 'file')} that "
                     f"{verb(len(other), 'is', 'are')} not .txt "
                     f"(e.g. {min(other)})")
    entries.sort()
    return TreePlan(entries=entries, other_files=other, notes=notes)
