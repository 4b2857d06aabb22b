"""`lstm-studio cache`: the corpus cache's folder, stores and size, and --clear.

LSTM_STUDIO_HOME points at a temporary folder (tests/conftest.py), so the cache here is
`<home>/cache/stores`; fake stores are plain folders with files of known sizes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fake_stores import fake_stores

from lstm_studio.cli import main


def test_empty_cache(isolated_user_dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cache"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"Folder: {isolated_user_dirs / 'cache' / 'stores'}", "Stores: 0",
                   "Size:   0 bytes"]


def test_sizes_then_clear(capsys: pytest.CaptureFixture[str]) -> None:
    folder = fake_stores([1_500_000, 600_000, 2048])
    (folder / "old.partial-123").mkdir()  # a killed build: counted as space, not a store
    (folder / "old.partial-123" / "part.bin").write_bytes(b"\0" * 100)
    assert main(["cache", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"folder": str(folder), "stores": 3, "bytes": 2_102_148, "size": "2.0 MB"}

    assert main(["cache"]) == 0
    assert "Size:   2.0 MB (2,102,148 bytes)" in capsys.readouterr().out

    assert main(["cache", "--clear"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Cleared 3 stores: 2.0 MB freed.\n")
    assert "Stores: 0" in out
    assert list(folder.iterdir()) == []


def test_clear_json(capsys: pytest.CaptureFixture[str]) -> None:
    folder = fake_stores([4096])
    assert main(["cache", "--clear", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"folder": str(folder), "stores": 0, "bytes": 0, "size": "0 bytes",
                    "freed": {"stores": 1, "bytes": 4096, "size": "4.0 KB"}}


def test_cache_command_never_loads_torch() -> None:
    """Fresh interpreter: asking about the cache must not pay torch's import."""
    code = ("import sys\nfrom lstm_studio.cli import main\ncode = main(['cache', '--json'])\n"
            "print('torch-loaded', 'torch' in sys.modules)\nsys.exit(code)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "torch-loaded False" in result.stdout
