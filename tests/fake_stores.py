"""Token-store folders of known sizes in the user's cache (LSTM_STUDIO_HOME is a temporary
folder in every test, tests/conftest.py), for the `cache` command and the Data tab's line."""

from __future__ import annotations

from pathlib import Path

from lstm_studio.core.corpus.cache import stores_dir


def fake_stores(sizes: list[int]) -> Path:
    """One folder per size, each holding a file of that many bytes; returns the stores'
    folder."""
    folder = stores_dir()
    for number, size in enumerate(sizes):
        store = folder / f"store-{number}"
        store.mkdir()
        (store / "tokens.bin").write_bytes(b"\0" * size)
    return folder
