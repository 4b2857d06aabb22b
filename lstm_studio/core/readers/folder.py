"""A labelled folder tree on disk (see `tree` for how labels and splits are read from it)."""

from __future__ import annotations

import os
from pathlib import Path

from lstm_studio.core.errors import DataError
from lstm_studio.core.readers.common import Record, SourceRead, Tick, decode_document
from lstm_studio.core.readers.tree import HIDDEN_PREFIXES, plan_tree


def list_files(root: Path) -> list[str]:
    """Every file under `root` as a '/'-separated relative name, hidden folders pruned."""
    names: list[str] = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if not d.startswith(HIDDEN_PREFIXES)]
        rel = os.path.relpath(directory, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        names.extend(prefix + name for name in files)
    return names


def read_folder(root: Path, encoding: str | None, tick: Tick) -> SourceRead:
    plan = plan_tree(list_files(root), strip_wrapper=False)
    if not plan.entries:
        raise DataError(f"The folder {root} contains no .txt documents.")
    records: list[Record] = []
    total = len(plan.entries)
    prefix = str(root) + os.sep
    for index, (name, label, split) in enumerate(plan.entries):
        where = f"{root.name}/{name}"
        try:
            # Unbuffered raw reads: no Path objects, no buffer layer (about 2x faster).
            with open(prefix + name, "rb", buffering=0) as handle:
                data = handle.readall()
        except OSError as error:
            raise DataError(f"Cannot read {root / name}: {error.strerror}.") from error
        records.append((decode_document(data, where, encoding), label, split, where))
        if index % 2000 == 0:
            tick(index, total)
    return SourceRead(kind="folder", records=records, notes=list(plan.notes))
