"""`python -m lstm_studio --self-test` opens the real window offscreen and passes every stage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_self_test_exits_zero(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               LSTM_STUDIO_SETTINGS=str(tmp_path / "settings.ini"),
               LSTM_STUDIO_HOME=str(tmp_path / "home"))
    result = subprocess.run([sys.executable, "-m", "lstm_studio", "--self-test"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in result.stdout.splitlines() if line.startswith("self-test:")]
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    stages = [line.split()[1] for line in lines if " ... " in line]
    assert stages[:4] == ["tabs", "load", "clean", "vocabulary"]
    assert all(line.endswith("s)") for line in lines if " ... " in line)
    assert "346 documents" in lines[1]
    assert lines[-1].startswith(f"self-test: all {len(stages)} stages passed")


def test_a_failing_stage_is_named_and_exits_non_zero(tmp_path: Path) -> None:
    """Sabotage the sample path: the load stage must fail by name, not hang or crash."""
    code = (
        "import sys\n"
        "import lstm_studio.resources_path as resources_path\n"
        "resources_path.sample_paths = lambda kind='reviews': ['/nonexistent/reviews.csv']\n"
        "from lstm_studio.app import main\n"
        "sys.exit(main(self_test=True))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               LSTM_STUDIO_SETTINGS=str(tmp_path / "settings.ini"),
               LSTM_STUDIO_HOME=str(tmp_path / "home"))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "self-test: load ... FAILED" in result.stdout
    assert "does not exist" in result.stdout
    assert "failed at stage 'load'" in result.stdout
