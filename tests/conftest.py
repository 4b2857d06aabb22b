"""Shared fixtures: isolated user folders, the real NTC-SCV data when present, and the
hypothesis profiles.

Nothing here imports Qt: tests/core and tests/cli load this file and run in an environment
without the gui extra.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import platformdirs
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Hypothesis keeps its example database and caches (unicode data, constants) in a storage
# folder that defaults to ./.hypothesis, i.e. the checkout: send it to the user's cache before
# hypothesis first asks for it. The database replays earlier failures first.
HYPOTHESIS_HOME = Path(os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY",
    str(platformdirs.user_cache_path("lstm-studio-tests") / "hypothesis")))

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]

# Deadlines catch a pathological slowdown in one example (a regular expression that
# backtracks, say); they are generous because developer machines are shared.
# HYPOTHESIS_PROFILE=ci (set by .ci/run): derandomised, so a CI run cannot fail by luck, a
# longer deadline for a busy runner, and no database (every CI machine is new).
settings.register_profile(
    "default", deadline=timedelta(seconds=2),
    database=DirectoryBasedExampleDatabase(HYPOTHESIS_HOME / "examples"))
settings.register_profile(
    "ci", deadline=timedelta(seconds=5), derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything, so both suites check all
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A slow test must say how long it may take: the 60 s default would cut it short."""
    unbounded = [item.nodeid for item in items
                 if item.get_closest_marker("slow") and not item.get_closest_marker("timeout")]
    if unbounded:
        raise pytest.UsageError("Slow tests need @pytest.mark.timeout(seconds): "
                                + ", ".join(unbounded))
