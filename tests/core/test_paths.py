"""Per-user folders: the LSTM_STUDIO_HOME override, and the desktop's own convention without it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lstm_studio.core.paths import user_cache_dir, user_data_dir


def test_override_holds_data_and_a_separate_cache(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "studio-home"
    monkeypatch.setenv("LSTM_STUDIO_HOME", str(home))
    assert user_data_dir() == home
    assert user_cache_dir() == home / "cache"
    assert home.is_dir() and (home / "cache").is_dir()  # created on first use


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_linux_folders_follow_xdg_and_keep_the_old_name(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LSTM_STUDIO_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # Version 1 kept runs in $XDG_DATA_HOME/lstm-studio: the same folder, so nothing is lost.
    assert user_data_dir() == tmp_path / "data" / "lstm-studio"
    assert user_cache_dir() == tmp_path / "cache" / "lstm-studio"
    assert user_data_dir().is_dir() and user_cache_dir().is_dir()
