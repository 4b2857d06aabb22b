"""Atomic saving: a failure mid-write leaves the previous file intact and no temp file behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lstm_studio.core.atomic import atomic_write, atomic_write_text


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "project.json"
    atomic_write_text(target, "old contents")
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write("half of the new")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.json"]


def test_new_file_gets_the_usual_permissions_not_private_ones(tmp_path: Path) -> None:
    target = tmp_path / "cleaned.csv"
    old_mask = os.umask(0o022)
    try:
        atomic_write_text(target, "text,label\n")
    finally:
        os.umask(old_mask)
    assert target.stat().st_mode & 0o777 == 0o644


def test_rewriting_keeps_the_existing_mode(tmp_path: Path) -> None:
    target = tmp_path / "model.safetensors"
    atomic_write_text(target, "v1")
    target.chmod(0o600)
    atomic_write_text(target, "v2")
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.read_text(encoding="utf-8") == "v2"
