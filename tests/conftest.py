"""Shared fixtures: isolated user folders, the real NTC-SCV data when present, sample paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """`../shared` beside the checkout (override with LSTM_STUDIO_SHARED)."""
    override = os.environ.get("LSTM_STUDIO_SHARED")
    return Path(override) if override else REPO_ROOT.parent / "shared"


NTC_SCV_DIR = shared_dir() / "data" / "ntc-scv"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run store, settings and model folders go to a temporary place, never the real home."""
    home = tmp_path_factory.mktemp("lstm-studio-home")
    monkeypatch.setenv("LSTM_STUDIO_HOME", str(home))
    return home


@pytest.fixture
def ntc_scv_zips() -> list[Path]:
    zips = [NTC_SCV_DIR / "data_train.zip", NTC_SCV_DIR / "data_test.zip"]
    if not all(path.is_file() for path in zips):
        pytest.skip("NTC-SCV zips not found in ../shared/data/ntc-scv")
    return zips
